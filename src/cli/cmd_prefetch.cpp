// xenbuild prefetch: fetch sources into the store and print their pins.
//   prefetch --git URL --rev REV [--submodules] [--hash H] [--json]
//   prefetch --url URL [--unpack] [--hash H] [--json]
//   prefetch PKG... [--arg K=V] [--json]   every source and patch of the packages' plans

#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/util/error.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>

namespace xenbuild::cli {

namespace {

struct PrefetchArgs {
    std::vector<std::string> packages;
    EvalArgs eval;
    std::string git;
    std::string url;
    std::string rev;
    std::string hash;
    std::string name;
    bool submodules = false;
    bool unpack = false;
    bool json = false;
    bool check = false;
};

void printResult(Output& output, const fetch::FetchResult& result, const PrefetchArgs& args) {
    if (output.json()) {
        nlohmann::json out = {{"url", result.url},
                              {"rev", result.rev},
                              {"hash", result.hash.sri()},
                              {"sha256", result.hash.nix32()},
                              {"path", result.path.string()}};
        if (!args.git.empty()) out["fetchSubmodules"] = args.submodules;
        output.json(out);
        return;
    }
    if (!result.rev.empty()) output.line("rev: " + result.rev);
    output.line("hash: " + result.hash.sri());
    output.line("path: " + result.path.string());
}

std::optional<util::Hash> parsedHash(const std::string& text) {
    if (text.empty()) return std::nullopt;
    return util::Hash::parse(text);
}

void validate(const PrefetchArgs& args) {
    const int modes =
        (args.packages.empty() ? 0 : 1) + (args.git.empty() ? 0 : 1) + (args.url.empty() ? 0 : 1);
    if (modes != 1) {
        throw UsageError("prefetch needs exactly one of: package names, --git URL --rev REV, "
                         "or --url URL");
    }
    if (!args.git.empty() && args.rev.empty()) {
        throw UsageError("prefetch --git needs --rev (a commit id, tag or branch)");
    }
    if (args.git.empty() && (args.submodules || !args.rev.empty())) {
        throw UsageError("--rev and --submodules only apply to prefetch --git");
    }
    if (args.url.empty() && args.unpack) throw UsageError("--unpack only applies to --url");
}

void run(const PrefetchArgs& args, const GlobalOptions& global) {
    validate(args);
    if (!args.packages.empty()) {
        const auto set = loadRecipes(global);
        std::vector<recipe::BuildPlan> plans;
        for (const auto& name : args.packages) {
            plans.push_back(
                recipe::evaluate(set, name, overridesFrom(args.eval), evalOptionsFrom(args.eval)));
        }
        runPrefetchPlans(plans, global, args.json, args.check);
        return;
    }
    auto store = openStore(global, args.check);
    const auto options = fetchOptions(global);
    Output output(global, args.json);
    fetch::FetchResult result;
    if (!args.git.empty()) {
        std::string name = args.name.empty() ? fetch::urlBaseName(args.git) : args.name;
        if (args.name.empty() && name.size() > 4 && name.ends_with(".git"))
            name.resize(name.size() - 4);
        const fetch::GitRequest request{.name = name,
                                        .url = args.git,
                                        .rev = args.rev,
                                        .hash = parsedHash(args.hash),
                                        .submodules = args.submodules};
        result = fetch::fetchGit(store, request, options, output.progress());
    } else {
        const fetch::UrlRequest request{.name = args.name,
                                        .url = args.url,
                                        .hash = parsedHash(args.hash),
                                        .unpack = args.unpack};
        result = fetch::fetchUrl(store, request, options, output.progress());
    }
    output.finish();
    printResult(output, result, args);
}

} // namespace

void registerPrefetch(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<PrefetchArgs>();
    auto* cmd = app.add_subcommand("prefetch", "Fetch sources into the store and print their "
                                               "hashes (like nix-prefetch-git)");
    cmd->add_option("packages", args->packages, "Packages whose sources and patches to fetch");
    addEvalOptions(*cmd, args->eval);
    cmd->add_option("--git", args->git, "Git repository URL or local path");
    cmd->add_option("--rev", args->rev, "Commit id, tag or branch (recorded as the commit)");
    cmd->add_flag("--submodules", args->submodules, "Check out submodules recursively");
    cmd->add_option("--url", args->url, "File or tarball URL (http, https, file)");
    cmd->add_flag("--unpack", args->unpack,
                  "Unpack the tarball (single top-level directory) and hash the tree");
    cmd->add_option("--hash", args->hash, "Expected hash: verify, and reuse the store entry");
    cmd->add_option("--name", args->name, "Store name (default: last URL segment)");
    cmd->add_flag("--json", args->json, "Print {url, rev, hash, sha256, path} as JSON");
    cmd->add_flag("--check", args->check,
                  "Re-hash store entries that are reused (default: compare sizes and times)");
    cmd->callback([args, &global] { run(*args, global); });
}

} // namespace xenbuild::cli
