#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

namespace xenbuild::cli {

void registerCommands(CLI::App& app, GlobalOptions& global) {
    (void)app;
    (void)global;
}

} // namespace xenbuild::cli
