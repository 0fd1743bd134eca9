#pragma once
// --substituter, --trusted-key and --substituter-timeout, shared by the commands that may get a
// build's outputs from a binary cache instead of building them (build; docs/cache.md), merged
// with the cache config file (cache::CacheConfig), which also holds the compiler cache's
// settings (build --ccache, store gc --ccache-max-size).

#include "xenbuild/builder/substituter.hpp"
#include "xenbuild/cache/cache.hpp"
#include "xenbuild/fetch/options.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace xenbuild::cli {

struct SubstituterArgs {
    std::vector<std::string> substituters; // URLs, tried in order before the config file's
    std::vector<std::string> trustedKeys;  // NAME:BASE64
    unsigned timeoutSeconds = 30;
};

void addSubstituterOptions(CLI::App& command, SubstituterArgs& args);

// The cache config file's settings (cache::CacheConfig::defaultConfigFile(); none when it does
// not exist). ParseError for a bad line.
cache::CacheConfig loadCacheConfig();

// The substituter the options and the config file ask for, downloading within the fetch
// limits (--fetch-limit); with --offline only file:// caches are used. nullptr when they name
// no cache. UsageError for a malformed URL or key, or caches without any trusted key.
std::shared_ptr<builder::Substituter> makeSubstituter(const SubstituterArgs& args,
                                                      const fetch::FetchOptions& fetch);

} // namespace xenbuild::cli
