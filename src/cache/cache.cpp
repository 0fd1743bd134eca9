// Pushing builds to a binary cache and substituting them from one (docs/cache.md).

#include "xenbuild/cache/cache.hpp"

#include "cache/transport.hpp"
#include "cache/zstd.hpp"
#include "xenbuild/builder/build_key.hpp"
#include "xenbuild/cache/narinfo.hpp"
#include "xenbuild/fetch/mirrors.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/log.hpp"
#include "xenbuild/util/size.hpp"
#include "xenbuild/util/temp_dir.hpp"
#include "xenbuild/util/xdg.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::cache {

using Event = util::ProgressEvent;

namespace {

constexpr const char* kCacheInfo = "nix-cache-info";

struct PackedNar {
    fs::path file;
    util::Hash narHash;
    std::uint64_t narSize = 0;
    util::Hash fileHash;
    std::uint64_t fileSize = 0;
};

// The NAR of `path`, zstd-compressed into `file`, with both hashes and sizes.
PackedNar packNar(const fs::path& path, const fs::path& file, int level) {
    PackedNar packed;
    packed.file = file;
    {
        const util::Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd.valid()) throwSystemError("cannot create", file.string());
        detail::ZstdWriter writer(fd.get(), level, file.string());
        util::Sha256 narHash;
        store::dumpNar(path, [&](const void* data, std::size_t length) {
            narHash.update(data, length);
            packed.narSize += length;
            writer.write(data, length);
        });
        writer.finish();
        packed.narHash = narHash.finish();
        if (::fsync(fd.get()) != 0) throwSystemError("cannot write", file.string());
    }
    packed.fileHash = util::sha256File(file);
    packed.fileSize = fs::file_size(file);
    return packed;
}

class Pusher {
  public:
    Pusher(const store::Store& store, const std::string& url, const SecretKey& key,
           const CacheOptions& options, util::ProgressObserver& observer)
        : store_(store), key_(key), options_(options), observer_(observer),
          transport_(detail::makeTransport(url, options)), work_("xenbuild-push-") {}

    void ensureCacheInfo() {
        if (present(kCacheInfo)) return;
        const fs::path file = work_ / kCacheInfo;
        util::writeFileAtomic(file, "StoreDir: " + store_.dir().string() +
                                        "\nWantMassQuery: 0\nPriority: 50\n");
        transport_->put(kCacheInfo, file);
    }

    // Pushes the tree or file at `path` as the store path `baseName`; false when present.
    // `locate` gives the tree or file to push and its expected NAR hash, when it is pushed.
    using Locate = std::function<std::pair<fs::path, std::optional<util::Hash>>()>;
    PushedEntry pushEntry(const std::string& baseName, const std::string& what,
                          const Locate& locate, const std::vector<std::string>& references) {
        PushedEntry pushed{.name = baseName, .what = what};
        const std::string narinfoName = hashPart(baseName) + ".narinfo";
        if (present(narinfoName)) return pushed;
        const auto [path, expected] = locate();
        observer_.onEvent(
            {Event::Kind::Started, "push " + baseName, "uploading " + what, 0, 0, ""});
        const PackedNar nar =
            packNar(path, work_ / (hashPart(baseName) + ".nar.zst"), options_.compressionLevel);
        if (expected && nar.narHash != *expected) {
            throw StoreError("the " + what + " output " + quote(baseName) +
                             " changed since it was built (its content no longer matches its "
                             "hash); run `xenbuild store repair " +
                             baseName + "` and build it again");
        }
        NarInfo info;
        info.storePath = (store_.dir() / baseName).string();
        info.url = "nar/" + nar.fileHash.nix32() + ".nar.zst";
        info.compression = "zstd";
        info.fileHash = nar.fileHash;
        info.fileSize = nar.fileSize;
        info.narHash = nar.narHash;
        info.narSize = nar.narSize;
        info.references = references;
        info.sigs.push_back(key_.sign(info.fingerprint()));
        const fs::path narinfoFile = work_ / narinfoName;
        util::writeFileAtomic(narinfoFile, info.format());
        transport_->put(info.url, nar.file); // the NAR first: no narinfo without its NAR
        transport_->put(narinfoName, narinfoFile);
        fs::remove(nar.file);
        pushed.uploaded = true;
        pushed.bytes = nar.fileSize;
        observer_.onEvent({Event::Kind::Finished, "push " + baseName,
                           "uploaded " + fetch::describeBytes(nar.fileSize), 0, 0, ""});
        return pushed;
    }

    const fs::path& work() const { return work_.path(); }

  private:
    bool present(const std::string& name) {
        const fs::path probe = work_ / ("probe-" + std::to_string(probes_++));
        const bool found = transport_->get(name, probe, kMaxNarInfoBytes);
        std::error_code ignored;
        fs::remove(probe, ignored);
        return found;
    }

    const store::Store& store_;
    const SecretKey& key_;
    const CacheOptions& options_;
    util::ProgressObserver& observer_;
    std::unique_ptr<detail::Transport> transport_;
    util::TempDir work_;
    unsigned probes_ = 0;
};

// One substitution attempt from one cache.
class Fetcher {
  public:
    Fetcher(const std::string& url, const std::vector<PublicKey>& trusted,
            const CacheOptions& options, const fs::path& work)
        : url_(url), trusted_(trusted), options_(options),
          transport_(detail::makeTransport(url, options)), work_(work) {}

    // The verified narinfo of `baseName`; std::nullopt when the cache does not have it.
    std::optional<NarInfo> narInfo(const std::string& baseName) {
        const std::string name = hashPart(baseName) + ".narinfo";
        const fs::path file = work_ / name;
        if (!transport_->get(name, file, kMaxNarInfoBytes)) return std::nullopt;
        const std::string origin = transport_->url(name);
        NarInfo info = parseNarInfo(
            util::readRegularFile(file, {.what = "narinfo", .maxBytes = kMaxNarInfoBytes}), origin);
        if (info.baseName() != baseName) {
            throw SignatureError(quote(origin) + " describes " + quote(info.baseName()) + ", not " +
                                 quote(baseName));
        }
        if (trustedSigner(trusted_, info.sigs, info.fingerprint()) == nullptr) {
            std::string signers;
            for (const auto& sig : info.sigs)
                signers += (signers.empty() ? "" : ", ") + quote(sig.substr(0, sig.find(':')));
            throw SignatureError(quote(origin) + " is not signed by a trusted key (signed by " +
                                 (signers.empty() ? std::string("nobody") : signers) +
                                 "; trusted: " + trustedNames() + ")");
        }
        if (options_.limits.downloadBytes != 0 && info.fileSize > options_.limits.downloadBytes) {
            throw FetchError(quote(origin) + ": the NAR is larger than the download limit of " +
                             fetch::describeBytes(options_.limits.downloadBytes));
        }
        if (options_.limits.unpackedBytes != 0 && info.narSize > options_.limits.unpackedBytes) {
            throw FetchError(quote(origin) + ": the NAR unpacks to more than the limit of " +
                             fetch::describeBytes(options_.limits.unpackedBytes));
        }
        return info;
    }

    // Downloads, checks and unpacks the NAR of `info` at `dest`.
    void restore(const NarInfo& info, const fs::path& dest) {
        const fs::path file = work_ / (hashPart(info.baseName()) + ".nar");
        const std::string origin = transport_->url(info.url);
        if (!transport_->get(info.url, file, info.fileSize)) {
            throw FetchError(quote(origin) + " is missing (its narinfo names it)");
        }
        const auto size = fs::file_size(file);
        if (size != info.fileSize) {
            throw FetchError(quote(origin) + " has " + std::to_string(size) +
                             " bytes, its narinfo says " + std::to_string(info.fileSize) +
                             " (truncated?)");
        }
        const util::Hash fileHash = util::sha256File(file);
        if (fileHash != info.fileHash) {
            throw HashMismatch(quote(origin) + " does not match its narinfo's FileHash (expected " +
                               info.fileHash.sri() + ", got " + fileHash.sri() + ")");
        }
        const util::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd.valid()) throwSystemError("cannot open", file.string());
        store::NarLimits limits;
        limits.bytes = info.narSize;
        util::Hash narHash;
        if (info.compression == "zstd") {
            detail::ZstdReader reader(fd.get(), quote(origin));
            narHash = store::restoreNar(
                [&](void* data, std::size_t length) { return reader.read(data, length); }, dest,
                quote(origin), limits);
        } else {
            narHash = store::restoreNar(
                [&](void* data, std::size_t length) {
                    for (;;) {
                        const ssize_t got = ::read(fd.get(), data, length);
                        if (got < 0 && errno == EINTR) continue;
                        if (got < 0) throwSystemError("cannot read", file.string());
                        return static_cast<std::size_t>(got);
                    }
                },
                dest, quote(origin), limits);
        }
        fs::remove(file);
        if (narHash != info.narHash) {
            throw HashMismatch(quote(origin) + " does not match its narinfo's NarHash (expected " +
                               info.narHash.sri() + ", got " + narHash.sri() + ")");
        }
    }

  private:
    std::string trustedNames() const {
        std::string names;
        for (const auto& key : trusted_)
            names += (names.empty() ? "" : ", ") + quote(key.name);
        return names.empty() ? "none" : names;
    }

    std::string url_;
    const std::vector<PublicKey>& trusted_;
    const CacheOptions& options_;
    std::unique_ptr<detail::Transport> transport_;
    fs::path work_;
};

std::string trimmed(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r");
    if (begin == std::string::npos) return {};
    const auto end = text.find_last_not_of(" \t\r");
    return text.substr(begin, end - begin + 1);
}

} // namespace

std::string normaliseCacheUrl(const std::string& url) {
    std::string normal = url;
    while (normal.size() > 1 && normal.back() == '/')
        normal.pop_back();
    const bool file = normal.rfind("file:///", 0) == 0 || normal == "file:/";
    const bool http = normal.rfind("http://", 0) == 0 || normal.rfind("https://", 0) == 0;
    if ((!file && !http) || normal.find_first_of(" \t\r\n") != std::string::npos) {
        throw UsageError("unsupported cache URL " + quote(url) +
                         ": use file:///DIR (an absolute path), http://HOST/PATH or "
                         "https://HOST/PATH");
    }
    return normal;
}

std::string recordName(const std::string& key, const std::string& plan) {
    return util::sha256("build-record:" + key).nix32().substr(0, 32) + "-" +
           store::sanitiseName(plan) + ".build.json";
}

PushReport push(const store::Store& store, const builder::BuildResult& result,
                const std::string& url, const SecretKey& key, const CacheOptions& options,
                util::ProgressObserver& observer) {
    return withContext("while pushing " + quote(result.plan) + " to " + quote(url), [&] {
        PushReport report{.plan = result.plan, .key = result.key, .entries = {}};
        Pusher pusher(store, url, key, options, observer);
        pusher.ensureCacheInfo();
        std::vector<std::string> outputIds;
        for (const auto& output : result.outputs) {
            const std::string id = output.path.filename().string();
            outputIds.push_back(id);
            // Checked against the store only when it is to be uploaded: a push of what the
            // cache has reads nothing but narinfos.
            const auto locate = [&]() -> std::pair<fs::path, std::optional<util::Hash>> {
                const auto entry = store.lookupChecked(id);
                if (!entry) {
                    throw StoreError("the " + output.name + " output of " + quote(result.plan) +
                                     " (" + id + ") is no longer in the store; build it again");
                }
                return {entry->path, entry->info.hash};
            };
            report.entries.push_back(pusher.pushEntry(id, output.name, locate, {}));
        }
        // The record last: a reader that finds it finds every output.
        builder::BuildResult record = result;
        record.cached = false;
        record.differingFiles.clear();
        const fs::path recordFile = pusher.work() / "record.json";
        util::writeFileAtomic(recordFile, record.toJson().dump(2) + "\n");
        report.entries.push_back(pusher.pushEntry(
            recordName(result.key, result.plan), "record",
            [&]() -> std::pair<fs::path, std::optional<util::Hash>> {
                return {recordFile, std::nullopt};
            },
            outputIds));
        return report;
    });
}

CacheSubstituter::CacheSubstituter(std::vector<std::string> urls, std::vector<PublicKey> trusted,
                                   CacheOptions options)
    : urls_(std::move(urls)), trusted_(std::move(trusted)), options_(options) {}

namespace {

// The build record from a cache, checked against what this build expects.
builder::BuildResult readCachedRecord(const fs::path& file, const std::string& origin,
                                      const recipe::BuildPlan& plan, const std::string& key,
                                      const std::vector<builder::OutputInfo>& outputs) {
    builder::BuildResult record;
    try {
        record = builder::BuildResult::fromJson(nlohmann::json::parse(
            util::readRegularFile(file, {.what = "build record", .maxBytes = 16 << 20})));
    } catch (const nlohmann::json::exception& e) {
        throw ParseError("malformed build record " + quote(origin) + ": " + e.what());
    }
    if (record.key != key || record.plan != plan.name) {
        throw ParseError("the build record " + quote(origin) + " is of " + quote(record.plan) +
                         " key " + record.key + ", not of " + quote(plan.name) + " key " + key);
    }
    std::set<std::string> cached;
    for (const auto& output : record.outputs)
        cached.insert(output.name + "=" + output.path.filename().string());
    std::set<std::string> wanted;
    for (const auto& output : outputs)
        wanted.insert(output.name + "=" + output.path.filename().string());
    if (cached != wanted) {
        throw ParseError("the build record " + quote(origin) +
                         " lists other outputs than this build makes");
    }
    return record;
}

} // namespace

std::optional<builder::BuildResult> CacheSubstituter::substitute(
    store::Store& store, const recipe::BuildPlan& plan, const std::string& key,
    const std::vector<builder::OutputInfo>& outputs, util::ProgressObserver& observer) {
    const std::string activity = "build " + plan.name;
    auto say = [&](const std::string& text) {
        util::logger()->info("{}: {}", plan.name, text);
        observer.onEvent({Event::Kind::Message, activity, text, 0, 0, ""});
    };
    for (const auto& url : urls_) {
        try {
            // Temporaries under the build's lock key: swept if this process dies.
            util::TempDir work("build-" + key + "~subst-", store.dir() / ".tmp");
            Fetcher fetcher(url, trusted_, options_, work.path());
            const std::string record = recordName(key, plan.name);
            const auto recordInfo = fetcher.narInfo(record);
            if (!recordInfo) {
                say("not in the binary cache " + url);
                continue;
            }
            observer.onEvent(
                {Event::Kind::Started, activity, "substituting from " + url, 0, 0, ""});
            const fs::path recordFile = work / "record.json";
            fetcher.restore(*recordInfo, recordFile);
            auto result = readCachedRecord(recordFile, url + "/" + hashPart(record) + ".narinfo",
                                           plan, key, outputs);
            std::vector<store::OutputCommit> commits;
            for (const auto& output : outputs) {
                const std::string id = output.path.filename().string();
                if (store.lookupChecked(id)) continue; // already here (kept as it is)
                const auto info = fetcher.narInfo(id);
                if (!info) {
                    throw FetchError("the cache has the build record but not the " + output.name +
                                     " output " + quote(id));
                }
                const fs::path staged = work / ("output-" + output.name);
                fetcher.restore(*info, staged);
                commits.push_back({id, staged, builder::outputName(plan, output.name)});
            }
            store::commitOutputs(store, commits, key);
            result.outputs = outputs;
            result.cached = false;
            result.substitutedFrom = url;
            result.differingFiles.clear();
            result.failedStep.clear();
            return result;
        } catch (const std::exception& e) {
            const std::string why = dynamic_cast<const Error*>(&e) != nullptr
                                        ? dynamic_cast<const Error&>(e).describe()
                                        : std::string(e.what());
            util::logger()->warn("{}: cannot substitute from {}: {}", plan.name, url, why);
            observer.onEvent(
                {Event::Kind::Message, activity,
                 "cannot substitute from " + url + ": " + why + "; falling back to building", 0, 0,
                 ""});
        }
    }
    return std::nullopt;
}

void CacheConfig::loadFile(const fs::path& path) {
    std::error_code error;
    if (!fs::exists(path, error)) return;
    const std::string text =
        util::readRegularFile(path, {.what = "cache config file", .maxBytes = 1 << 20});
    std::istringstream in(text);
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        line = trimmed(line);
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.find_first_of(" \t");
        const std::string name = line.substr(0, space);
        const std::string value = space == std::string::npos ? "" : trimmed(line.substr(space));
        auto fail = [&](const std::string& problem) {
            return ParseError(path.string() + ":" + std::to_string(number) + ": " + problem);
        };
        if (value.empty()) {
            throw fail("expected 'substituter URL', 'trusted-key NAME:KEY', 'ccache on|off' or "
                       "'ccache-max-size SIZE'");
        }
        if (name == "substituter") {
            try {
                substituters.push_back(normaliseCacheUrl(value));
            } catch (const UsageError& e) {
                throw fail(e.what());
            }
        } else if (name == "trusted-key") {
            try {
                (void)PublicKey::parse(value);
            } catch (const ParseError& e) {
                throw fail(e.what());
            }
            trustedKeys.push_back(value);
        } else if (name == "ccache") {
            if (value != "on" && value != "off") {
                throw fail("expected 'ccache on' or 'ccache off', not " + quote(value));
            }
            ccache = value == "on";
        } else if (name == "ccache-max-size") {
            const auto bytes = util::parseByteSize(value);
            if (!bytes || *bytes == 0) {
                throw fail("invalid ccache-max-size " + quote(value) +
                           ": expected a size above 0 such as 500M or 5G");
            }
            ccacheMaxBytes = *bytes;
        } else {
            throw fail("unknown setting " + quote(name) +
                       " (substituter, trusted-key, ccache, ccache-max-size)");
        }
    }
}

fs::path CacheConfig::defaultConfigFile() {
    if (const char* env = std::getenv("XENBUILD_CACHE_CONFIG"); env != nullptr && *env != '\0') {
        return env;
    }
    const auto mirrors = fetch::Mirrors::defaultConfigFile();
    return mirrors.empty() ? mirrors : mirrors.parent_path() / "cache";
}

} // namespace xenbuild::cache
