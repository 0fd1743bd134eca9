// xenbuild hash path|file PATH...: print Nix-compatible hashes (NAR or flat sha256) as SRI, the
// format recipes pin; --base32 / --hex for the other forms. Used by maintainers and bench/.

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace xenbuild::cli {

namespace {

struct HashArgs {
    std::vector<std::string> paths;
    bool base32 = false;
    bool hex = false;
};

std::string format(const util::Hash& hash, const HashArgs& args) {
    if (args.base32) return hash.nix32();
    if (args.hex) return hash.hex();
    return hash.sri();
}

void addMode(CLI::App& parent, const GlobalOptions& global, const std::string& name,
             const std::string& help, bool nar) {
    auto args = std::make_shared<HashArgs>();
    auto* cmd = parent.add_subcommand(name, help);
    cmd->add_option("paths", args->paths, "Files or directories")->required();
    auto* base32 = cmd->add_flag("--base32", args->base32, "Print Nix base32");
    cmd->add_flag("--hex", args->hex, "Print hex")->excludes(base32);
    cmd->callback([args, nar, &global] {
        Output output(global, false);
        for (const auto& path : args->paths) {
            const auto hash = nar ? store::narHash(path) : util::sha256File(path);
            output.line(format(hash, *args) + (args->paths.size() > 1 ? "  " + path : ""));
        }
    });
}

} // namespace

void registerHash(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("hash", "Print sha256 hashes as recipes pin them");
    cmd->require_subcommand(1);
    addMode(*cmd, global, "path", "NAR hash of a tree (like nix-hash --type sha256)", true);
    addMode(*cmd, global, "file", "Flat hash of a file's bytes (how patches are pinned)", false);
}

} // namespace xenbuild::cli
