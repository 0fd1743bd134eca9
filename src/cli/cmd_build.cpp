// `xenbuild build PKG...`: evaluate, fetch, build in the sandbox, link results.

#include "cli/build_view.hpp"
#include "cli/cache_options.hpp"
#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "cli/report.hpp"
#include "cli/source_overrides.hpp"
#include "xenbuild/builder/builder.hpp"
#include "xenbuild/builder/scheduler.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/interrupt.hpp"

#include <CLI/CLI.hpp>

#include <atomic>

namespace xenbuild::cli {

namespace {

struct BuildArgs {
    std::vector<std::string> packages;
    EvalArgs eval;
    std::string outLink;
    unsigned jobs = 1;
    unsigned cores = 0;
    bool rebuild = false;
    bool keepFailed = false;
    std::string sandbox = "on";
    std::vector<std::string> overrides; // NAME=DIR
    bool skipInapplicable = false;
    std::vector<std::string> excludedPatches;
    unsigned timeoutSeconds = 0;
    bool json = false;
    bool check = false;
    std::string report; // --report FILE.json
    std::string junit;  // --junit FILE.xml
    SubstituterArgs substituters;
    bool ccache = false;   // --ccache
    bool noCcache = false; // --no-ccache; neither: the config file's `ccache`
};

builder::BuildOptions buildOptions(const BuildArgs& args, const GlobalOptions& global,
                                   const std::atomic<bool>& cancel) {
    builder::BuildOptions options;
    options.cores = args.cores;
    options.keepFailed = args.keepFailed;
    options.rebuild = args.rebuild;
    options.sourceOverrides = parseSourceOverrides(args.overrides);
    if (args.skipInapplicable && options.sourceOverrides.empty()) {
        throw UsageError("--skip-inapplicable-patches only applies with --override-source");
    }
    options.skipInapplicablePatches = args.skipInapplicable;
    options.excludedPatches = args.excludedPatches;
    options.timeout = std::chrono::seconds(args.timeoutSeconds);
    options.cancel = &cancel;
    options.fetch = fetchOptions(global);
    options.substituter = makeSubstituter(args.substituters, options.fetch);
    if (args.ccache && args.noCcache)
        throw UsageError("--ccache and --no-ccache exclude each other");
    const auto config = loadCacheConfig();
    options.ccache = args.ccache || (!args.noCcache && config.ccache.value_or(false));
    options.ccacheMaxBytes = config.ccacheMaxBytes.value_or(builder::kDefaultCompilerCacheMaxBytes);
    return options;
}

void printResult(Output& output, const builder::BuildResult& result) {
    output.line(result.plan + (result.cached ? " (cached)"
                               : !result.substitutedFrom.empty()
                                   ? " (substituted from " + result.substitutedFrom + ")"
                                   : ""));
    for (const auto& item : result.outputs)
        output.line("  " + item.name + ": " + item.path.string());
    for (const auto& skipped : result.skippedPatches)
        output.line("  skipped patch " + skipped);
    for (const auto& excluded : result.excludedPatches)
        output.line("  excluded patch " + excluded + " (on request)");
    // This run's compiler calls (a cached result's record holds those of the build that made it).
    if (result.ccache && result.outputStatus() == "built")
        output.line("  ccache: " + result.ccache->summary());
    if (!result.differingFiles.empty()) {
        output.line("  not reproducible: " + std::to_string(result.differingFiles.size()) +
                    " files differ");
        for (const auto& file : result.differingFiles)
            output.line("    " + file);
    }
}

void runBuild(const BuildArgs& args, const GlobalOptions& global) {
    const auto set = loadRecipes(global);
    const auto overrides = overridesFrom(args.eval);
    const auto evalOptions = evalOptionsFrom(args.eval);
    std::vector<recipe::BuildPlan> plans;
    for (const auto& name : args.packages) {
        plans.push_back(recipe::evaluate(set, name, overrides, evalOptions));
    }
    auto store = openStore(global, args.check);
    auto sandbox = sandbox::makeSandbox(sandbox::parseMode(args.sandbox));
    BuildView view(global, makeProgressView(global));
    // SIGINT/SIGTERM set the flag; the sandbox then tears every process of the builds down.
    util::InterruptGuard interrupt;
    RunReport report{.command = "build", .timestamp = utcTimestamp(), .packages = {}};
    builder::Builder builder(store, *sandbox, buildOptions(args, global, interrupt.flag()), view);

    const auto scheduled = builder::Scheduler(builder, args.jobs).run(plans);
    const auto& results = scheduled.results;
    // The reports first: a CI system needs them most when a build failed.
    std::vector<std::exception_ptr> errors(plans.size());
    for (const auto& failure : scheduled.failures)
        errors[failure.index] = failure.error;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        report.packages.push_back(packageReport(plans[i],
                                                results[i] ? *results[i] : scheduled.attempts[i],
                                                scheduled.seconds[i], errors[i]));
    }
    writeReports(report, args.report, args.junit);

    Output output(global, args.json);
    nlohmann::json json = nlohmann::json::array();
    for (std::size_t i = 0; i < plans.size(); ++i) {
        if (!results[i]) continue;
        if (!args.outLink.empty()) {
            const std::string base =
                plans.size() == 1 ? args.outLink : args.outLink + "-" + plans[i].name;
            builder::linkResults(*results[i], base, store);
        }
        if (args.json)
            json.push_back(results[i]->toJson());
        else
            printResult(output, *results[i]);
    }
    if (args.json) output.json(json);
    scheduled.throwFailures(); // every failure, each with its context
}

} // namespace

void registerBuild(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<BuildArgs>();
    auto* command =
        app.add_subcommand("build", "Build packages in the sandbox (fetching sources first)");
    command->add_option("packages", args->packages, "Packages to build, e.g. xen_4_19-slim")
        ->required();
    addEvalOptions(*command, args->eval);
    command->add_option("-o,--out-link", args->outLink,
                        "Create result symlinks BASE, BASE-boot, BASE-dev, ... to the outputs");
    command->add_option("-j,--jobs", args->jobs, "Packages built at the same time")->default_val(1);
    command->add_option("--cores", args->cores, "make -jN within one build (default: all CPUs)");
    command->add_flag("--rebuild", args->rebuild,
                      "Build again even if cached and report output files that differ");
    command->add_flag("--keep-failed", args->keepFailed,
                      "Keep the build directory of a failed build");
    command->add_option("--sandbox", args->sandbox, "on (namespaces, default) or off")
        ->check(CLI::IsMember({"on", "off", "namespaces"}));
    command
        ->add_option("--override-source", args->overrides,
                     "Use a local directory instead of a pinned source (recorded)")
        ->type_name("NAME=DIR");
    command->add_flag("--skip-inapplicable-patches", args->skipInapplicable,
                      "With --override-source: skip patches that do not apply (reported)");
    command
        ->add_option("--exclude-patch", args->excludedPatches,
                     "Leave an upstream patch out of the series (recorded; 'all' for every "
                     "upstream patch)")
        ->type_name("ID");
    command->add_option("--timeout", args->timeoutSeconds, "Stop a build step after SECONDS");
    command->add_flag("--json", args->json, "Print the build results as JSON");
    command
        ->add_option("--report", args->report,
                     "Write a JSON report of every package to FILE (docs/reports.md)")
        ->type_name("FILE");
    command
        ->add_option("--junit", args->junit,
                     "Write a JUnit XML report (a test case per build and check) to FILE")
        ->type_name("FILE");
    addSubstituterOptions(*command, args->substituters);
    command->add_flag(
        "--ccache", args->ccache,
        "Compile through ccache with the store's compiler cache (same outputs; docs/sandbox.md)");
    command->add_flag("--no-ccache", args->noCcache,
                      "Do not use the compiler cache, even if the cache config file turns it on");
    command->add_flag("--check", args->check,
                      "Re-hash the store entries the build uses (default: compare sizes and "
                      "times)");
    command->callback([args, &global] { runBuild(*args, global); });
}

} // namespace xenbuild::cli
