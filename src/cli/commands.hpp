#pragma once
// The explicit list of subcommands. Each subcommand lives in its own cmd_<name>.cpp and exposes
// one register function; commands.cpp calls them all in order (no static registration, which a
// static library would silently drop).

#include "cli/context.hpp"

namespace CLI {
class App;
}

namespace xenbuild::cli {

void registerCommands(CLI::App& app, GlobalOptions& global);

void registerList(CLI::App& app, GlobalOptions& global);
void registerEval(CLI::App& app, GlobalOptions& global);
void registerShow(CLI::App& app, GlobalOptions& global);
void registerPrefetch(CLI::App& app, GlobalOptions& global);
void registerBuild(CLI::App& app, GlobalOptions& global);
void registerPatches(CLI::App& app, GlobalOptions& global);
void registerTest(CLI::App& app, GlobalOptions& global);
void registerBundle(CLI::App& app, GlobalOptions& global);
void registerCi(CLI::App& app, GlobalOptions& global);
void registerLog(CLI::App& app, GlobalOptions& global);
void registerStore(CLI::App& app, GlobalOptions& global);
void registerHash(CLI::App& app, GlobalOptions& global);
void registerUpdate(CLI::App& app, GlobalOptions& global);
void registerVerify(CLI::App& app, GlobalOptions& global);
void registerXsa(CLI::App& app, GlobalOptions& global);
void registerCache(CLI::App& app, GlobalOptions& global);

} // namespace xenbuild::cli
