// `xenbuild cache keygen NAME`, `xenbuild cache push URL PKG... --sign-key FILE`, and the
// substituter options of `build` (docs/cache.md).

#include "cli/cache_options.hpp"
#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "cli/source_overrides.hpp"
#include "xenbuild/builder/builder.hpp"
#include "xenbuild/cache/cache.hpp"
#include "xenbuild/cache/keys.hpp"
#include "xenbuild/fetch/options.hpp"
#include "xenbuild/util/error.hpp"

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <vector>

namespace fs = std::filesystem;

namespace xenbuild::cli {

namespace {

struct KeygenArgs {
    std::string name;
    std::string dir = ".";
    bool json = false;
};

struct PushArgs {
    std::string url;
    std::vector<std::string> packages;
    std::string signKey;
    EvalArgs eval;
    BuiltWithArgs builtWith;
    bool json = false;
};

void runKeygen(const KeygenArgs& args, const GlobalOptions& global) {
    const auto [secretFile, publicFile] = cache::writeKeyPair(args.name, args.dir);
    const auto publicKey = cache::SecretKey::load(secretFile).publicKey().toString();
    Output output(global, args.json);
    if (args.json) {
        output.json({{"secretKeyFile", secretFile.string()},
                     {"publicKeyFile", publicFile.string()},
                     {"publicKey", publicKey}});
        return;
    }
    output.line("secret key: " + secretFile.string() + " (keep it private)");
    output.line("public key: " + publicFile.string());
    output.line(publicKey);
}

void runPush(const PushArgs& args, const GlobalOptions& global) {
    const std::string url = cache::normaliseCacheUrl(args.url);
    if (args.signKey.empty()) {
        throw UsageError("cache push: --sign-key FILE is required (a secret key from "
                         "`xenbuild cache keygen NAME`)");
    }
    const auto key = cache::SecretKey::load(args.signKey);
    const auto set = loadRecipes(global);
    const auto store = openStore(global);
    const auto options = buildOptionsFrom(args.builtWith);
    std::vector<builder::BuildResult> builds;
    for (const auto& name : args.packages) {
        const auto plan =
            recipe::evaluate(set, name, overridesFrom(args.eval), evalOptionsFrom(args.eval));
        auto found = builder::findNewestResult(store, plan, options);
        if (!found) {
            throw BuildError(quote(plan.name) + " has not been built in the store " +
                             quote(store.dir().string()) + "; run `xenbuild build " + name +
                             "` first (with the same --arg, --host-profile, --override-source "
                             "and --exclude-patch options)");
        }
        builds.push_back(std::move(*found));
    }
    cache::CacheOptions cacheOptions;
    cacheOptions.limits = fetchOptions(global).limits;
    const auto view = makeEventLines(global);
    Output output(global, args.json);
    nlohmann::json json = nlohmann::json::array();
    for (const auto& build : builds) {
        const auto report = cache::push(store, build, url, key, cacheOptions, *view);
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& entry : report.entries) {
            entries.push_back({{"name", entry.name},
                               {"what", entry.what},
                               {"uploaded", entry.uploaded},
                               {"bytes", entry.bytes}});
            if (!args.json) {
                output.line("  " + entry.what + " " + entry.name + ": " +
                            (entry.uploaded ? "uploaded (" + fetch::describeBytes(entry.bytes) + ")"
                                            : "skipped (in the cache)"));
            }
        }
        json.push_back({{"plan", report.plan}, {"key", report.key}, {"entries", entries}});
    }
    if (args.json) output.json(json);
}

} // namespace

void addSubstituterOptions(CLI::App& command, SubstituterArgs& args) {
    command
        .add_option("--substituter", args.substituters,
                    "Before building, get the outputs from this binary cache if it has them "
                    "(file:///DIR or http(s)://; repeatable, tried in order; docs/cache.md)")
        ->type_name("URL");
    command
        .add_option("--trusted-key", args.trustedKeys,
                    "Accept cached outputs signed by this public key (repeatable)")
        ->type_name("NAME:KEY");
    command
        .add_option("--substituter-timeout", args.timeoutSeconds,
                    "Give up on a cache that does not answer for SECONDS (then build)")
        ->type_name("SECONDS")
        ->default_val(30);
}

cache::CacheConfig loadCacheConfig() {
    cache::CacheConfig config;
    const auto file = cache::CacheConfig::defaultConfigFile();
    if (!file.empty()) config.loadFile(file);
    return config;
}

std::shared_ptr<builder::Substituter> makeSubstituter(const SubstituterArgs& args,
                                                      const fetch::FetchOptions& fetch) {
    cache::CacheConfig config;
    config.substituters = args.substituters;
    for (auto& url : config.substituters)
        url = cache::normaliseCacheUrl(url);
    config.trustedKeys = args.trustedKeys;
    const auto file = loadCacheConfig();
    config.substituters.insert(config.substituters.end(), file.substituters.begin(),
                               file.substituters.end());
    config.trustedKeys.insert(config.trustedKeys.end(), file.trustedKeys.begin(),
                              file.trustedKeys.end());
    if (fetch.offline) { // never a network connection: local caches only
        std::erase_if(config.substituters,
                      [](const std::string& url) { return url.rfind("file://", 0) != 0; });
    }
    if (config.substituters.empty()) return nullptr;
    std::vector<cache::PublicKey> keys;
    for (const auto& text : config.trustedKeys) {
        try {
            keys.push_back(cache::PublicKey::parse(text));
        } catch (const ParseError& e) {
            throw UsageError(std::string("--trusted-key: ") + e.what());
        }
    }
    if (keys.empty()) {
        throw UsageError("--substituter needs a --trusted-key NAME:KEY (the cache's public key, "
                         "from `xenbuild cache keygen`): nothing unsigned is ever substituted");
    }
    cache::CacheOptions options;
    options.limits = fetch.limits;
    const auto seconds = static_cast<long>(std::max(1U, args.timeoutSeconds));
    options.http.connectTimeoutSeconds = seconds;
    options.http.lowSpeedSeconds = seconds;
    return std::make_shared<cache::CacheSubstituter>(config.substituters, std::move(keys), options);
}

void registerCache(CLI::App& app, GlobalOptions& global) {
    auto* command = app.add_subcommand(
        "cache", "Share build outputs through a binary cache: keys, push (docs/cache.md)");
    command->require_subcommand(1);

    auto keygen = std::make_shared<KeygenArgs>();
    auto* keygenCommand = command->add_subcommand(
        "keygen", "Write an Ed25519 signing key pair NAME.sec (mode 0600) and NAME.pub");
    keygenCommand->add_option("name", keygen->name, "Key name, e.g. cache.example.org-1")
        ->required();
    keygenCommand->add_option("--dir", keygen->dir, "Write the files into DIR")
        ->type_name("DIR")
        ->default_val(".");
    keygenCommand->add_flag("--json", keygen->json, "Print the files and public key as JSON");
    keygenCommand->callback([keygen, &global] { runKeygen(*keygen, global); });

    auto push = std::make_shared<PushArgs>();
    auto* pushCommand = command->add_subcommand(
        "push", "Upload the newest builds of packages to a binary cache, signed (what the cache "
                "has is skipped)");
    pushCommand->add_option("url", push->url, "The cache: file:///DIR or http(s)://HOST/PATH")
        ->required();
    pushCommand->add_option("packages", push->packages, "Built packages, e.g. xen_4_19-slim")
        ->required();
    pushCommand
        ->add_option("--sign-key", push->signKey,
                     "Sign with this secret key (from `xenbuild cache keygen`)")
        ->type_name("FILE");
    addEvalOptions(*pushCommand, push->eval);
    addBuiltWithOptions(*pushCommand, push->builtWith);
    pushCommand->add_flag("--json", push->json, "Print what was uploaded and skipped as JSON");
    pushCommand->callback([push, &global] { runPush(*push, global); });
}

} // namespace xenbuild::cli
