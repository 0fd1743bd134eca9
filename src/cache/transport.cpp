#include "cache/transport.hpp"

#include "xenbuild/fetch/http.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/scope_guard.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::cache::detail {

namespace {

class FileTransport final : public Transport {
  public:
    FileTransport(std::string url, fs::path dir) : url_(std::move(url)), dir_(std::move(dir)) {}

    std::string url(const std::string& name) const override { return url_ + "/" + name; }

    bool get(const std::string& name, const fs::path& dest, std::uint64_t maxBytes) override {
        const fs::path source = dir_ / name;
        const util::Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
        if (!in.valid()) {
            if (errno == ENOENT) return false;
            throw FetchError("cannot read " + quote(url(name)) + ": " + std::strerror(errno));
        }
        const util::Fd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!out.valid()) throwSystemError("cannot create", dest.string());
        util::ScopeGuard removeDest([&] {
            std::error_code ignored;
            fs::remove(dest, ignored);
        });
        std::array<char, 256 * 1024> buffer{};
        std::uint64_t total = 0;
        for (;;) {
            const ssize_t got = ::read(in.get(), buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                throw FetchError("cannot read " + quote(url(name)) + ": " + std::strerror(errno));
            }
            if (got == 0) break;
            total += static_cast<std::uint64_t>(got);
            if (maxBytes != 0 && total > maxBytes) {
                throw FetchError("cannot read " + quote(url(name)) + ": larger than " +
                                 fetch::describeBytes(maxBytes));
            }
            util::writeAll(out.get(), {buffer.data(), static_cast<std::size_t>(got)}, dest);
        }
        removeDest.dismiss();
        return true;
    }

    void put(const std::string& name, const fs::path& source) override {
        const fs::path target = dir_ / name;
        std::error_code error;
        fs::create_directories(target.parent_path(), error);
        if (error) {
            throw FetchError("cannot create " + quote(target.parent_path().string()) + ": " +
                             error.message());
        }
        // A temporary beside the target, renamed over it: readers see all of it or nothing.
        const fs::path temporary = target.parent_path() / ("." + target.filename().string() +
                                                           ".tmp-" + std::to_string(::getpid()));
        util::ScopeGuard removeTemporary([&] {
            std::error_code ignored;
            fs::remove(temporary, ignored);
        });
        fs::copy_file(source, temporary, fs::copy_options::overwrite_existing, error);
        if (error) {
            throw FetchError("cannot write " + quote(url(name)) + ": " + error.message());
        }
        fs::permissions(temporary, fs::perms(0644), error);
        {
            const util::Fd fd(::open(temporary.c_str(), O_RDONLY | O_CLOEXEC));
            if (!fd.valid() || ::fsync(fd.get()) != 0) {
                throw FetchError("cannot write " + quote(url(name)) + ": " + std::strerror(errno));
            }
        }
        fs::rename(temporary, target, error);
        if (error) {
            throw FetchError("cannot write " + quote(url(name)) + ": " + error.message());
        }
        removeTemporary.dismiss();
    }

  private:
    std::string url_;
    fs::path dir_;
};

class HttpTransport final : public Transport {
  public:
    HttpTransport(std::string url, const CacheOptions& options)
        : url_(std::move(url)), options_(options) {}

    std::string url(const std::string& name) const override { return url_ + "/" + name; }

    bool get(const std::string& name, const fs::path& dest, std::uint64_t maxBytes) override {
        fetch::FetchLimits limits;
        limits.downloadBytes = maxBytes;
        return fetch::downloadIfPresent(url(name), dest, options_.http, limits);
    }

    void put(const std::string& name, const fs::path& source) override {
        fetch::uploadFile(url(name), source, options_.http);
    }

  private:
    std::string url_;
    CacheOptions options_;
};

} // namespace

std::unique_ptr<Transport> makeTransport(const std::string& url, const CacheOptions& options) {
    const std::string normal = normaliseCacheUrl(url);
    if (normal.rfind("file://", 0) == 0) {
        return std::make_unique<FileTransport>(normal, fs::path(normal.substr(7)));
    }
    return std::make_unique<HttpTransport>(normal, options);
}

} // namespace xenbuild::cache::detail
