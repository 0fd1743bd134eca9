// xenbuild's entry point: global options, the subcommand list, logging sinks, and the one
// place where exceptions become messages and exit statuses (0 ok, 1 failure, 2 usage).

#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/log.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <iostream>

namespace {

using xenbuild::cli::GlobalOptions;

void addGlobalOptions(CLI::App& app, GlobalOptions& global) {
    app.add_option("--recipes", global.recipesDir,
                   "Recipe directory (default: the installed or "
                   "checked-out recipes/)");
    app.add_flag("-v,--verbose", global.verbosity, "More log output (repeat for debug)");
    app.add_flag("-q,--quiet", global.quiet, "Only errors and results");
    app.add_option("--store", global.storeDir,
                   "Store directory (default: $XENBUILD_STORE or $XDG_CACHE_HOME/xenbuild)");
    app.add_option("--mirror", global.mirrors,
                   "Rewrite URLs starting with FROM to start with TO (repeatable)")
        ->type_name("FROM=TO")
        ->allow_extra_args(false); // one rule per --mirror: never swallows a package name
    app.add_flag("--offline", global.offline, "Never open a network connection");
    app.add_option("--fetch-limit", global.fetchLimits,
                   "Raise or lower a fetch limit: download=SIZE (2G), unpacked=SIZE (8G), "
                   "entries=N (1000000), ratio=N (200); 'none' for no limit (repeatable)")
        ->type_name("NAME=VALUE")
        ->allow_extra_args(false); // one value per --fetch-limit: never swallows a package name
}

void installLogger(const GlobalOptions& global) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>(xenbuild::util::loggerName, sink);
    logger->set_pattern("%^%l%$: %v");
    if (global.quiet) {
        logger->set_level(spdlog::level::err);
    } else if (global.verbosity >= 2) {
        logger->set_level(spdlog::level::debug);
    } else if (global.verbosity == 1) {
        logger->set_level(spdlog::level::info);
    } else {
        logger->set_level(spdlog::level::warn);
    }
    spdlog::drop(xenbuild::util::loggerName);
    spdlog::register_logger(logger);
}

int reportError(const xenbuild::Error& error) {
    // Control characters that came with hostile input and were not quoted are escaped here.
    std::cerr << "error: "
              << xenbuild::escapeControl(error.describe(xenbuild::cli::optionName), "\n\t") << '\n';
    return dynamic_cast<const xenbuild::UsageError*>(&error) != nullptr ? 2 : 1;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"xenbuild: evaluate Xen Project Hypervisor recipes and build them reproducibly",
                 "xenbuild"};
    app.set_version_flag("--version", XENBUILD_VERSION);
    app.require_subcommand(1);
    app.fallthrough(true); // global options are accepted after the subcommand too
    GlobalOptions global;
    addGlobalOptions(app, global);
    app.parse_complete_callback([&global] { installLogger(global); });
    xenbuild::cli::registerCommands(app, global);

    try {
        app.parse(argc, argv);
        return 0;
    } catch (const CLI::ParseError& error) {
        // --help and --version arrive here as "errors" with exit code 0.
        const int code = app.exit(error);
        return code == 0 ? 0 : 2;
    } catch (const xenbuild::Error& error) {
        return reportError(error);
    } catch (const std::exception& error) {
        std::cerr << "error: internal: " << error.what() << '\n';
        return 1;
    }
}
