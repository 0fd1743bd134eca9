#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

namespace xenbuild::cli {

void registerCommands(CLI::App& app, GlobalOptions& global) {
    registerList(app, global);
    registerEval(app, global);
    registerShow(app, global);
    registerPrefetch(app, global);
    registerBuild(app, global);
    registerPatches(app, global);
    registerTest(app, global);
    registerBundle(app, global);
    registerCi(app, global);
    registerCache(app, global);
    registerLog(app, global);
    registerStore(app, global);
    registerHash(app, global);
    registerUpdate(app, global);
    registerVerify(app, global);
    registerXsa(app, global);
}

} // namespace xenbuild::cli
