// `xenbuild test PKG`: boot the cached build of PKG under QEMU and check `xl info`
// (docs/boot-test.md).

#include "cli/cache_options.hpp"
#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "cli/report.hpp"
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
    std::optional<unsigned> timeoutSeconds; // unset: 120 s, 300 s with the qdisk guest
    std::string deviceModel;
    std::string dom0Kernel;
    std::string dom0Modules;
    std::string busybox = "/bin/busybox";
    std::string workDir;
    BuiltWithArgs builtWith;
    std::string report; // --report FILE.json
    std::string junit;  // --junit FILE.xml
    SubstituterArgs substituters;
};

builder::BuildResult cachedBuild(const TestArgs& args, const GlobalOptions& global,
                                 store::Store& store, const recipe::BuildPlan& plan) {
    auto options = buildOptionsFrom(args.builtWith);
    options.substituter = makeSubstituter(args.substituters, fetchOptions(global));
    // Through the output index: no compiler needed to test a build (only to substitute one).
    const auto view = makeEventLines(global);
    auto result = builder::findOrSubstitute(store, plan, options, *view);
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
    auto seconds = [](double value) {
        std::ostringstream text;
        text << value;
        return text.str();
    };
    if (report.secondsToMarker)
        output.line("  seconds to marker: " + seconds(*report.secondsToMarker));
    if (report.expected.qdiskToken) {
        output.line("  qdisk guest token: " + v.guestToken.value_or("-") + " (expected " +
                    *report.expected.qdiskToken + ", device model " + report.deviceModel.string() +
                    ")");
        if (report.secondsToGuestMarker)
            output.line("  seconds to guest marker: " + seconds(*report.secondsToGuestMarker));
    }
    if (report.kept) output.line("  work dir: " + report.workDir.string());
}

// The --report and --junit files of a test: the package as found in the store (or why not),
// and a "boot test" test case.
void writeTestReports(const TestArgs& args, const recipe::BuildPlan& plan,
                      const std::optional<builder::BuildResult>& found,
                      const std::optional<boot::BootReport>& booted, double seconds,
                      const std::exception_ptr& error) {
    if (args.report.empty() && args.junit.empty()) return;
    RunReport report{.command = "test", .timestamp = utcTimestamp(), .packages = {}};
    if (!found) {
        builder::BuildResult attempt;
        attempt.plan = plan.name;
        report.packages.push_back(packageReport(plan, attempt, seconds, error));
    } else {
        auto package = packageReport(plan, *found, seconds, nullptr);
        // Found in the store (or substituted from a binary cache in this run), not built.
        package.status = found->cached ? "cached" : "substituted";
        package.tests.front().seconds = 0; // likewise
        ReportTest test{.name = "boot test", .seconds = booted ? booted->seconds : seconds};
        if (booted) {
            package.bootTest = booted->toJson();
            for (const auto& line : booted->verdict.lastLines)
                test.output += line + "\n";
        }
        if (error) {
            package.status = "failed";
            package.result.failedStep = "boot test";
            package.error = describeError(error);
            package.logTail = test.output;
            test.passed = false;
            test.message = errorSummary(error);
            test.text = package.error;
        }
        package.tests.push_back(std::move(test));
        report.packages.push_back(std::move(package));
    }
    writeReports(report, args.report, args.junit);
}

// Finds the build of `plan` (into `found`), boots it (the report into `boot`), prints the report;
// throws when either fails.
void testPlan(const TestArgs& args, const GlobalOptions& global, const recipe::RecipeSet& set,
              const recipe::EvalOptions& evalOptions, const recipe::BuildPlan& plan,
              std::optional<builder::BuildResult>& found, std::optional<boot::BootReport>& booted) {
    auto store = openStore(global);
    found = cachedBuild(args, global, store, plan);
    const auto& result = *found;
    boot::BootOptions options;
    if (args.timeoutSeconds) options.timeout = std::chrono::seconds(*args.timeoutSeconds);
    options.deviceModel = args.deviceModel;
    options.keep = args.keep;
    options.workDir = args.workDir;
    options.busybox = args.busybox;
    const util::InterruptGuard interrupt; // Ctrl-C stops QEMU and removes the work dir
    options.cancel = &interrupt.flag();
    // Boot steps as plain lines on stderr ("boot: booting ... under QEMU"), nothing with -q.
    const auto view = makeEventLines(global);
    booted = withContext("while boot-testing " + quote(plan.name), [&] {
        const auto& profile =
            evalOptions.hostProfile ? *evalOptions.hostProfile : set.hostProfile();
        const auto dom0 = boot::resolveDom0({args.dom0Kernel, args.dom0Modules}, profile);
        return boot::testBuild(result, plan.version, dom0, options, *view);
    });
    const auto& report = *booted;
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

void runTest(const TestArgs& args, const GlobalOptions& global) {
    const auto set = loadRecipes(global);
    const auto evalOptions = evalOptionsFrom(args.eval);
    const auto plan = recipe::evaluate(set, args.package, overridesFrom(args.eval), evalOptions);
    const auto started = std::chrono::steady_clock::now();
    const auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    std::optional<builder::BuildResult> found;
    std::optional<boot::BootReport> booted;
    try {
        testPlan(args, global, set, evalOptions, plan, found, booted);
    } catch (...) {
        writeTestReports(args, plan, found, booted, elapsed(), std::current_exception());
        throw;
    }
    writeTestReports(args, plan, found, booted, elapsed(), nullptr);
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
    command->add_option("--timeout", args->timeoutSeconds,
                        "Give up after SECONDS (default 120, 300 with the qdisk guest)");
    command->add_option("--device-model", args->deviceModel,
                        "Serve the qdisk guest's disk with this Xen-enabled QEMU instead of the "
                        "build's (runs the guest for a slim build too)");
    command->add_option("--dom0-kernel", args->dom0Kernel,
                        "dom0 vmlinuz (default: host profile dom0Kernel, else "
                        "$XDG_CACHE_HOME/xenbuild/dom0/vmlinuz)");
    command->add_option("--dom0-modules", args->dom0Modules,
                        "Directory with the Xen modules: dom0's five, and xen-blkfront for "
                        "the qdisk guest (default: host profile "
                        "dom0Modules, else $XDG_CACHE_HOME/xenbuild/dom0/modules)");
    command->add_option("--busybox", args->busybox, "Static busybox for the initramfs")
        ->default_val("/bin/busybox");
    command->add_option("--work-dir", args->workDir,
                        "Boot in this directory (default: a new temporary one)");
    addBuiltWithOptions(*command, args->builtWith);
    addSubstituterOptions(*command, args->substituters);
    command
        ->add_option("--report", args->report,
                     "Write a JSON report of the package and its boot test to FILE")
        ->type_name("FILE");
    command
        ->add_option("--junit", args->junit,
                     "Write a JUnit XML report (the build's checks and the boot test) to FILE")
        ->type_name("FILE");
    command->callback([args, &global] { runTest(*args, global); });
}

} // namespace xenbuild::cli
