// xenbuild store ls|verify|gc: inspect and maintain the store.

#include "cli/cache_options.hpp"
#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "xenbuild/builder/builder.hpp"
#include "xenbuild/builder/compiler_cache.hpp"
#include "xenbuild/fetch/options.hpp"
#include "xenbuild/store/plan_paths.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/size.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <memory>

namespace fs = std::filesystem;

namespace xenbuild::cli {

namespace {

nlohmann::json entryJson(const store::Entry& entry) {
    return {{"id", entry.id},
            {"path", entry.path.string()},
            {"kind", store::toString(entry.info.kind)},
            {"name", entry.info.name},
            {"hash", entry.info.hash.sri()},
            {"url", entry.info.url},
            {"rev", entry.info.rev},
            {"time", entry.info.time}};
}

std::string isoTime(std::int64_t seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

void listEntries(const GlobalOptions& global, bool json) {
    const auto entries = openStore(global).list();
    Output output(global, json);
    if (json) {
        auto out = nlohmann::json::array();
        for (const auto& entry : entries)
            out.push_back(entryJson(entry));
        output.json(out);
        return;
    }
    for (const auto& entry : entries) {
        output.line(entry.path.string() + "  " + store::toString(entry.info.kind) + "  " +
                    isoTime(entry.info.time) + "  " + entry.info.url +
                    (entry.info.rev.empty() ? "" : " " + entry.info.rev));
    }
}

void verifyEntries(const GlobalOptions& global, bool json) {
    auto store = openStore(global);
    Output output(global, json);
    const auto issues = store.verify(output.progress());
    output.finish();
    if (json) {
        auto out = nlohmann::json::array();
        for (const auto& issue : issues) {
            auto item = entryJson(issue.entry);
            item["problem"] = issue.problem;
            out.push_back(item);
        }
        output.json({{"entries", store.list().size()}, {"corrupt", out}});
    } else {
        for (const auto& issue : issues)
            output.line(issue.entry.path.string() + ": " + issue.problem);
    }
    if (!issues.empty()) {
        throw StoreError(std::to_string(issues.size()) +
                         " store entries are corrupt; remove them with `xenbuild store repair` "
                         "(the next prefetch or build makes them again)");
    }
}

// --ccache-max-size, else the cache config file's ccache-max-size, else 5 GiB.
std::uint64_t compilerCacheLimit(const std::string& option) {
    if (option.empty()) {
        return loadCacheConfig().ccacheMaxBytes.value_or(builder::kDefaultCompilerCacheMaxBytes);
    }
    const auto bytes = util::parseByteSize(option);
    if (!bytes) {
        throw UsageError("--ccache-max-size " + quote(option) +
                         ": expected a size such as 500M or 5G (0 empties the compiler cache)");
    }
    return *bytes;
}

// What gc did to the compiler cache, one line per toolchain's cache.
void printCompilerCacheTrims(Output& output, const std::vector<builder::CompilerCacheTrim>& trims,
                             std::uint64_t limit, bool dryRun) {
    for (const auto& trim : trims) {
        const std::string dir = trim.dir.string();
        const std::string before = fetch::describeBytes(trim.bytesBefore);
        if (!trim.notTrimmedBecause.empty()) {
            output.note("compiler cache " + dir + " (" + before +
                        ") not trimmed: " + trim.notTrimmedBecause);
        } else if (trim.removed) {
            output.line((dryRun ? "would remove unused compiler cache "
                                : "removed unused compiler cache ") +
                        dir + " (" + before + ")");
        } else if (dryRun) {
            output.line("compiler cache " + dir + ": " + before + " (limit " +
                        fetch::describeBytes(limit) + ")");
        } else {
            output.line("compiler cache " + dir + ": " + before + " -> " +
                        fetch::describeBytes(trim.bytesAfter) + " (limit " +
                        fetch::describeBytes(limit) + ")");
        }
    }
}

void collectGarbage(const GlobalOptions& global, bool dryRun, const std::string& ccacheMaxSize) {
    const std::uint64_t limit = compilerCacheLimit(ccacheMaxSize);
    auto store = openStore(global);
    const auto result = store.gc({.dryRun = dryRun});
    const auto trims = builder::trimCompilerCaches(store, {.maxBytes = limit, .dryRun = dryRun});
    Output output(global, false);
    for (const auto& entry : result.removed)
        output.line((dryRun ? "would remove " : "removed ") + entry.path.string());
    output.line((dryRun ? "would free " : "freed ") + std::to_string(result.bytes) + " bytes (" +
                std::to_string(result.removed.size()) + " entries), kept " +
                std::to_string(result.kept.size()) + " entries");
    printCompilerCacheTrims(output, trims, limit, dryRun);
}

bool isStoreDir(const fs::path& dir) {
    std::error_code error;
    return fs::is_directory(dir / ".meta", error) && fs::is_directory(dir / ".locks", error);
}

// The store entry a PATH argument names: <store>/<id>, or a link (a result link) to one.
fs::path entryPath(const std::string& argument) {
    fs::path path = fs::absolute(argument).lexically_normal();
    if (path.filename().empty()) path = path.parent_path();
    std::error_code error;
    if (!isStoreDir(path.parent_path()) && fs::is_symlink(fs::symlink_status(path, error))) {
        const auto target = fs::canonical(path, error);
        if (!error) path = target;
    }
    if (!isStoreDir(path.parent_path())) {
        throw UsageError(quote(argument) + " is not a store entry (a path <store>/<id>, as "
                                           "printed by prefetch, build and store verify)");
    }
    return path;
}

// PATH arguments are entries (their store is used when --store is not given) or bare ids.
void repairEntries(const GlobalOptions& global, const std::vector<std::string>& arguments) {
    GlobalOptions options = global;
    std::vector<fs::path> paths;
    std::vector<std::string> ids;
    for (const auto& argument : arguments) {
        if (argument.find('/') == std::string::npos) {
            ids.push_back(argument);
            continue;
        }
        paths.push_back(entryPath(argument));
        if (options.storeDir.empty()) options.storeDir = paths.back().parent_path().string();
        ids.push_back(paths.back().filename().string());
    }
    auto store = openStore(options);
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (paths[i].parent_path() != store.dir()) {
            throw UsageError(quote(paths[i].string()) + " is not an entry of the store " +
                             quote(store.dir().string()) + "; repair one store at a time");
        }
    }
    Output output(global, false);
    const auto outcomes = store.repair(ids, output.progress());
    output.finish();
    std::size_t removed = 0;
    std::size_t refreshed = 0;
    for (const auto& outcome : outcomes) {
        if (outcome.removed) {
            ++removed;
            output.line("removed " + outcome.entry.path.string() + ": " + outcome.problem);
        } else if (outcome.refreshed) {
            ++refreshed;
            output.line("intact " + outcome.entry.path.string() + " (fingerprint recorded again)");
        } else if (!ids.empty()) {
            output.line("intact " + outcome.entry.path.string());
        }
    }
    output.line(
        "checked " + std::to_string(outcomes.size()) + " entries: " + std::to_string(removed) +
        " removed, " + std::to_string(refreshed) + " fingerprints recorded again" +
        (removed > 0 ? "; the next prefetch or build makes the removed entries again" : ""));
}

// Sources and patches of the plan (fetched or not), then its build outputs if it was built.
void printPaths(const GlobalOptions& global, const std::string& package, const EvalArgs& eval,
                bool json) {
    const auto plan =
        recipe::evaluate(loadRecipes(global), package, overridesFrom(eval), evalOptionsFrom(eval));
    auto store = openStore(global);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& entry : store::planEntries(plan, store)) {
        out.push_back({{"role", recipe::toString(entry.role)},
                       {"name", entry.name},
                       {"path", entry.path.string()},
                       {"present", entry.present}});
    }
    // The newest build's outputs, else where a build would put them: no compiler needed.
    const auto outputs = builder::plannedOutputs(store, plan, {});
    for (const auto& output : outputs.outputs) {
        out.push_back({{"role", "output"},
                       {"name", output.name},
                       {"path", output.path.string()},
                       {"present", store.lookupId(output.path.filename().string()).has_value()}});
    }
    if (outputs.outputs.empty()) {
        for (const auto& name : plan.outputs) {
            out.push_back({{"role", "output"},
                           {"name", name},
                           {"path", nullptr},
                           {"present", false},
                           {"unknownBecause", outputs.unknownBecause}});
        }
    }
    Output output(global, json);
    if (json) {
        output.json(out);
        return;
    }
    for (const auto& item : out) {
        std::string text =
            item["role"].get<std::string>() + ' ' + item["name"].get<std::string>() + ": ";
        if (item["path"].is_null()) {
            output.line(text + "unknown until built (" + item["unknownBecause"].get<std::string>() +
                        ")");
            continue;
        }
        output.line(text + item["path"].get<std::string>() +
                    (item["present"].get<bool>() ? "" : " (not in the store)"));
    }
}

} // namespace

void registerStore(CLI::App& app, GlobalOptions& global) {
    auto* cmd = app.add_subcommand("store", "Inspect and maintain the store");
    cmd->require_subcommand(1);
    auto json = std::make_shared<bool>(false);
    auto dryRun = std::make_shared<bool>(false);

    auto* ls = cmd->add_subcommand("ls", "List store entries");
    ls->add_flag("--json", *json, "Print JSON");
    ls->callback([json, &global] { listEntries(global, *json); });

    auto* verify = cmd->add_subcommand("verify", "Re-hash every entry and report corruption");
    verify->add_flag("--json", *json, "Print JSON");
    verify->callback([json, &global] { verifyEntries(global, *json); });

    auto package = std::make_shared<std::string>();
    auto eval = std::make_shared<EvalArgs>();
    auto* path =
        cmd->add_subcommand("path", "Store paths of a package's sources, patches and outputs");
    path->add_option("package", *package, "Package, e.g. xen_4_19-slim")->required();
    addEvalOptions(*path, *eval);
    path->add_flag("--json", *json, "Print JSON");
    path->callback([package, eval, json, &global] { printPaths(global, *package, *eval, *json); });

    auto entries = std::make_shared<std::vector<std::string>>();
    auto* repair = cmd->add_subcommand(
        "repair", "Re-hash entries (all without PATH): remove corrupt ones so they are fetched "
                  "or built again, record the fingerprint of intact ones");
    repair->add_option("paths", *entries, "Store entries (paths or ids); default: all");
    repair->callback([entries, &global] { repairEntries(global, *entries); });

    auto ccacheMaxSize = std::make_shared<std::string>();
    auto* gc = cmd->add_subcommand("gc", "Remove entries no gc root or recent plan references, "
                                         "and trim the compiler cache");
    gc->add_flag("--dry-run", *dryRun, "Only print what would be removed");
    gc->add_option("--ccache-max-size", *ccacheMaxSize,
                   "Trim the compiler cache of each toolchain to SIZE, e.g. 500M or 5G (default: "
                   "the cache config file's ccache-max-size, else 5G; 0 empties it)")
        ->type_name("SIZE");
    gc->callback(
        [dryRun, ccacheMaxSize, &global] { collectGarbage(global, *dryRun, *ccacheMaxSize); });
}

} // namespace xenbuild::cli
