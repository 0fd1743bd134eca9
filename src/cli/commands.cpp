#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

namespace xenbuild::cli {

void registerCommands(CLI::App& app, GlobalOptions& global) {
    registerPrefetch(app, global);
    registerStore(app, global);
    registerHash(app, global);
}

} // namespace xenbuild::cli
