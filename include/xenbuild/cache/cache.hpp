#pragma once
// Binary caches (docs/cache.md): build outputs pushed once, signed, to a directory or HTTP
// server in Nix's binary-cache layout, and substituted by every other store instead of
// building them. What is cached is a build: its outputs, each a NAR with its narinfo named by
// the output's store id, and its build record (what `bundle`, `test` and `-o` use), itself a
// one-file NAR with a narinfo named from the build key, pushed last.
//
//   <cache>/nix-cache-info
//   <cache>/<hash part of an output id>.narinfo        one per output
//   <cache>/<hash part of the record name>.narinfo     one per build: its record
//   <cache>/nar/<file hash>.nar.zst                    the compressed NARs

#include "xenbuild/builder/result.hpp"
#include "xenbuild/builder/substituter.hpp"
#include "xenbuild/cache/keys.hpp"
#include "xenbuild/fetch/options.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/progress.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::cache {

// Transfer settings of every cache access.
struct CacheOptions {
    fetch::HttpOptions http{.connectTimeoutSeconds = 10, .lowSpeedSeconds = 30, .attempts = 3};
    fetch::FetchLimits limits; // downloadBytes: one compressed NAR; unpackedBytes: one NAR
    int compressionLevel = 3;  // zstd
};

// "file:///dir", "http://…", "https://…" (a trailing '/' is dropped); UsageError otherwise.
std::string normaliseCacheUrl(const std::string& url);

// The store name the record of build `key` of `plan` is cached under (its narinfo is named by
// the hash part): "<32 nix32 of sha256("build-record:" + key)>-<plan>.build.json".
std::string recordName(const std::string& key, const std::string& plan);

struct PushedEntry {
    std::string name;        // "<id>" of an output, or the record's name
    std::string what;        // "out", "boot", ..., "record"
    bool uploaded = false;   // false: the cache had it
    std::uint64_t bytes = 0; // compressed size uploaded
};

struct PushReport {
    std::string plan;
    std::string key;
    std::vector<PushedEntry> entries; // outputs in order, then the record
};

// Uploads the outputs and record of the finished build `result` that the cache at `url`
// lacks, signed with `key`: for each, the narinfo is looked up first; a NAR is uploaded before
// its narinfo and the record's narinfo last, so a reader never finds a narinfo without its NAR
// nor a record without its outputs. Each output is checked against the store (its recorded
// hash) before it leaves. Throws FetchError (transfer), StoreError (a damaged output).
PushReport push(const store::Store& store, const builder::BuildResult& result,
                const std::string& url, const SecretKey& key, const CacheOptions& options,
                util::ProgressObserver& observer);

// The substituter of builder::BuildOptions: tries each cache in order.
class CacheSubstituter final : public builder::Substituter {
  public:
    CacheSubstituter(std::vector<std::string> urls, std::vector<PublicKey> trusted,
                     CacheOptions options);
    std::optional<builder::BuildResult> substitute(store::Store& store,
                                                   const recipe::BuildPlan& plan,
                                                   const std::string& key,
                                                   const std::vector<builder::OutputInfo>& outputs,
                                                   util::ProgressObserver& observer) override;

  private:
    std::vector<std::string> urls_;
    std::vector<PublicKey> trusted_;
    CacheOptions options_;
};

// Substituters and trusted keys from a config file (docs/cache.md): lines
// "substituter URL" and "trusted-key NAME:BASE64"; and the compiler cache's settings
// (docs/sandbox.md): "ccache on|off" and "ccache-max-size SIZE"; blank lines and '#' comments
// ignored.
struct CacheConfig {
    std::vector<std::string> substituters;
    std::vector<std::string> trustedKeys;
    std::optional<bool> ccache;                  // builds use the compiler cache by default
    std::optional<std::uint64_t> ccacheMaxBytes; // its size limit (not 0)
    // Adds the file's settings; ParseError with file:line for a bad line. A missing file is no
    // error.
    void loadFile(const std::filesystem::path& path);
    // $XENBUILD_CACHE_CONFIG, else the mirrors config's directory's `cache` file.
    static std::filesystem::path defaultConfigFile();
};

} // namespace xenbuild::cache
