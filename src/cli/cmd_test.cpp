// `xenbuild test PKG`: boot the cached build of PKG under QEMU and check `xl info`
// (docs/boot-test.md).

#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "cli/source_overrides.hpp"
#include "xenbuild/boot/boot_test.hpp"
#include "xenbuild/builder/builder.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/interrupt.hpp"

#include <CLI/CLI.hpp>

#include <sstream>

namespace fs = std::filesystem;

namespace xenbuild::cli {

namespace {

struct TestArgs {
    std::string package;
    EvalArgs eval;
    bool json = false;
    bool keep = false;
    unsigned timeoutSeconds = 120;
    std::string dom0Kernel;
    std::string dom0Modules;
    std::string busybox = "/bin/busybox";
    std::string workDir;
    std::vector<std::string> overrides; // NAME=DIR, as given to `build`
    bool skipInapplicable = false;
    std::vector<std::string> excludedPatches;
};

builder::BuildResult cachedBuild(const TestArgs& args, const store::Store& store,
                                 const recipe::BuildPlan& plan) {
    builder::BuildOptions options;
    options.sourceOverrides = parseSourceOverrides(args.overrides);
    options.skipInapplicablePatches = args.skipInapplicable;
    options.excludedPatches = args.excludedPatches;
    // Through the output index: no compiler needed to test a build.
    auto result = builder::findNewestResult(store, plan, options);
    const std::string hint = "; run `xenbuild build " + args.package +
                             "` first (with the same --arg, --host-profile, "
                             "--override-source and --exclude-patch options)";
    if (!result) throw BuildError(quote(plan.name) + " has not been built" + hint);
    for (const auto& output : result->outputs) {
        std::error_code ec;
        if (!fs::is_directory(output.path, ec)) {
            throw BuildError("the " + output.name + " output of " + quote(plan.name) + " (" +
                             output.path.string() + ") is no longer in the store" + hint);
        }
    }
    return *result;
}

void printReport(Output& output, const boot::BootReport& report, const std::string& plan) {
    const auto& v = report.verdict;
    output.line(plan + ": boot test " + (v.passed ? "passed" : "FAILED"));
    output.line("  xen_version: " + v.version.value_or("-") + " (expected " +
                report.expected.version + ")");
    output.line("  build_id: " + v.buildId.value_or("-") + " (expected " + report.expected.buildId +
                ")");
    if (report.secondsToMarker) {
        std::ostringstream seconds;
        seconds << *report.secondsToMarker;
        output.line("  seconds to marker: " + seconds.str());
    }
    if (report.kept) output.line("  work dir: " + report.workDir.string());
}

void runTest(const TestArgs& args, const GlobalOptions& global) {
    const auto set = loadRecipes(global);
    const auto evalOptions = evalOptionsFrom(args.eval);
    const auto plan = recipe::evaluate(set, args.package, overridesFrom(args.eval), evalOptions);
    auto store = openStore(global);
    const auto result = cachedBuild(args, store, plan);

    boot::BootOptions options;
    options.timeout = std::chrono::seconds(args.timeoutSeconds);
    options.keep = args.keep;
    options.workDir = args.workDir;
    options.busybox = args.busybox;
    const util::InterruptGuard interrupt; // Ctrl-C stops QEMU and removes the work dir
    options.cancel = &interrupt.flag();
    // Boot steps as plain lines on stderr ("boot: booting ... under QEMU"), nothing with -q.
    const auto view = makeEventLines(global);
    const auto report = withContext("while boot-testing " + quote(plan.name), [&] {
        const auto& profile =
            evalOptions.hostProfile ? *evalOptions.hostProfile : set.hostProfile();
        const auto dom0 = boot::resolveDom0({args.dom0Kernel, args.dom0Modules}, profile);
        return boot::testBuild(result, plan.version, dom0, options, *view);
    });
    Output output(global, args.json);
    if (args.json) {
        auto json = report.toJson();
        json["plan"] = plan.name;
        output.json(json);
    } else {
        printReport(output, report, plan.name);
    }
    if (!report.verdict.passed) throw BuildError(report.describeFailure());
}

} // namespace

void registerTest(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<TestArgs>();
    auto* command = app.add_subcommand(
        "test", "Boot the built hypervisor with a dom0 under QEMU and check `xl info`");
    command->add_option("package", args->package, "A built package, e.g. xen_4_17")->required();
    addEvalOptions(*command, args->eval);
    command->add_flag("--json", args->json, "Print the report as JSON");
    command->add_flag("--keep", args->keep, "Keep the work directory after a pass");
    command->add_option("--timeout", args->timeoutSeconds, "Give up after SECONDS")
        ->default_val(120);
    command->add_option("--dom0-kernel", args->dom0Kernel,
                        "dom0 vmlinuz (default: host profile dom0Kernel, else "
                        "$XDG_CACHE_HOME/xenbuild/dom0/vmlinuz)");
    command->add_option("--dom0-modules", args->dom0Modules,
                        "Directory with the five Xen modules (default: host profile "
                        "dom0Modules, else $XDG_CACHE_HOME/xenbuild/dom0/modules)");
    command->add_option("--busybox", args->busybox, "Static busybox for the initramfs")
        ->default_val("/bin/busybox");
    command->add_option("--work-dir", args->workDir,
                        "Boot in this directory (default: a new temporary one)");
    command
        ->add_option("--override-source", args->overrides,
                     "The source overrides the package was built with")
        ->type_name("NAME=DIR");
    command->add_flag("--skip-inapplicable-patches", args->skipInapplicable,
                      "The package was built with --skip-inapplicable-patches");
    command
        ->add_option("--exclude-patch", args->excludedPatches,
                     "The patches the package was built without")
        ->type_name("ID");
    command->callback([args, &global] { runTest(*args, global); });
}

} // namespace xenbuild::cli
