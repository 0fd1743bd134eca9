// libcurl downloads. The one file that uses libcurl.

#include "xenbuild/fetch/http.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/log.hpp"
#include "xenbuild/util/scope_guard.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xenbuild::fetch {

namespace {

struct CurlDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

// The response headers of one attempt, redirects included, may not exceed this (real ones are a
// few KiB; the count is never reset, so a server cannot restart it).
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

struct Transfer {
    int fd = -1;
    const ByteProgress* progress = nullptr;
    std::uint64_t maxBytes = 0; // 0: no limit
    std::uint64_t reported = 0;
    std::uint64_t received = 0;
    std::size_t headerBytes = 0;
    bool writeFailed = false;
    bool tooLarge = false;
    bool headerTooLarge = false;
    int writeErrno = 0; // why it failed (ENOSPC: the store is full)
};

std::size_t onHeader(char*, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t length = size * count;
    transfer->headerBytes += length;
    if (transfer->headerBytes > kMaxHeaderBytes) {
        transfer->headerTooLarge = true;
        return 0;
    }
    return length;
}

std::size_t onData(char* data, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t length = size * count;
    transfer->received += length;
    if (transfer->maxBytes != 0 && transfer->received > transfer->maxBytes) {
        transfer->tooLarge = true;
        return 0;
    }
    if (const auto error = util::tryWriteAll(transfer->fd, {data, length})) {
        transfer->writeFailed = true;
        transfer->writeErrno = error.value();
        return 0;
    }
    return length;
}

int onProgress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    auto* transfer = static_cast<Transfer*>(user);
    const auto done = static_cast<std::uint64_t>(now);
    if (*transfer->progress && (done >= transfer->reported + 65536 ||
                                (total > 0 && now == total && done != transfer->reported))) {
        transfer->reported = done;
        (*transfer->progress)(done, static_cast<std::uint64_t>(total));
    }
    return 0;
}

struct Outcome {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string message;
};

bool isTransient(const Outcome& outcome) {
    switch (outcome.code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_COULDNT_RESOLVE_HOST:
        return true;
    case CURLE_HTTP_RETURNED_ERROR:
        return outcome.status >= 500 || outcome.status == 429 || outcome.status == 408;
    default:
        return false;
    }
}

void configure(CURL* curl, const std::string& url, const HttpOptions& options, bool offline,
               Transfer& transfer, char* errorBuffer) {
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, offline ? "file" : "http,https,file");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, offline ? "file" : "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connectTimeoutSeconds);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.lowSpeedSeconds);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "xenbuild/" XENBUILD_VERSION);
    if (transfer.maxBytes != 0) {
        curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                         static_cast<curl_off_t>(std::min<std::uint64_t>(
                             transfer.maxBytes, std::numeric_limits<curl_off_t>::max())));
    }
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onData);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
}

std::string tooLargeMessage(std::uint64_t limit) {
    return "it is larger than the download limit of " + describeBytes(limit) +
           "; if that is expected, raise the limit with " + mention(Setting::FetchLimit) +
           " download=SIZE";
}

Outcome attempt(const std::string& url, int fd, const HttpOptions& options, bool offline,
                const ByteProgress& progress, std::uint64_t maxBytes) {
    CurlHandle curl(curl_easy_init());
    if (!curl) throw FetchError("cannot download " + quote(url) + ": curl_easy_init failed");
    Transfer transfer;
    transfer.fd = fd;
    transfer.progress = &progress;
    transfer.maxBytes = maxBytes;
    char errorBuffer[CURL_ERROR_SIZE] = {};
    configure(curl.get(), url, options, offline, transfer, errorBuffer);
    Outcome outcome;
    outcome.code = curl_easy_perform(curl.get());
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &outcome.status);
    outcome.message = errorBuffer[0] != '\0' ? errorBuffer : curl_easy_strerror(outcome.code);
    if (transfer.writeFailed) {
        outcome.message =
            "cannot write the downloaded data: " + std::string(std::strerror(transfer.writeErrno));
    }
    if (transfer.tooLarge || outcome.code == CURLE_FILESIZE_EXCEEDED) {
        outcome.message = tooLargeMessage(maxBytes);
    }
    if (transfer.headerTooLarge) {
        outcome.message =
            "the server sent more than " + describeBytes(kMaxHeaderBytes) + " of response headers";
    } else if (outcome.code == CURLE_OUT_OF_MEMORY && transfer.received == 0) {
        // curl 7.x reports a header line over its own limit (100 KiB) as running out of memory.
        outcome.message = "the server sent a response header line too long to read (over " +
                          describeBytes(100 * 1024) +
                          "), or memory ran out (curl: " + outcome.message + ")";
    }
    return outcome;
}

void restart(int fd, const std::filesystem::path& dest) {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
        throwSystemError("cannot truncate", dest.string());
    }
}

} // namespace

namespace {

bool isMissing(const Outcome& outcome) {
    return (outcome.code == CURLE_HTTP_RETURNED_ERROR &&
            (outcome.status == 404 || outcome.status == 410)) ||
           outcome.code == CURLE_FILE_COULDNT_READ_FILE;
}

// downloadFile, and with `missingOk` false instead of an error for a missing file.
bool download(const std::string& url, const std::filesystem::path& dest, const HttpOptions& options,
              bool offline, const ByteProgress& progress, const FetchLimits& limits,
              bool missingOk) {
    if (offline && url.rfind("file://", 0) != 0) {
        throw FetchError("cannot download " + quote(url) + " in offline mode");
    }
    const util::Fd fd(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) throwSystemError("cannot create", dest.string());
    util::ScopeGuard removeDest([&] { // nothing half-written stays behind
        std::error_code ignored;
        std::filesystem::remove(dest, ignored);
    });
    auto delay = options.backoff;
    for (unsigned number = 1;; ++number) {
        const Outcome outcome =
            attempt(url, fd.get(), options, offline, progress, limits.downloadBytes);
        if (outcome.code == CURLE_OK) break;
        if (missingOk && isMissing(outcome)) return false;
        if (!isTransient(outcome) || number >= options.attempts) {
            throw FetchError(
                "cannot download " + quote(url) + ": " + outcome.message +
                (number > 1 ? " (after " + std::to_string(number) + " attempts)" : ""));
        }
        util::logger()->warn("downloading {} failed ({}), retrying in {} ms", url, outcome.message,
                             delay.count());
        std::this_thread::sleep_for(delay);
        delay *= 2;
        restart(fd.get(), dest);
    }
    if (::fsync(fd.get()) != 0) throwSystemError("cannot write", dest.string());
    removeDest.dismiss();
    return true;
}

std::size_t onUploadRead(char* buffer, std::size_t size, std::size_t count, void* user) {
    const int fd = *static_cast<int*>(user);
    for (;;) {
        const ssize_t got = ::read(fd, buffer, size * count);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return CURL_READFUNC_ABORT;
        return static_cast<std::size_t>(got);
    }
}

} // namespace

void downloadFile(const std::string& url, const std::filesystem::path& dest,
                  const HttpOptions& options, bool offline, const ByteProgress& progress,
                  const FetchLimits& limits) {
    download(url, dest, options, offline, progress, limits, false);
}

bool downloadIfPresent(const std::string& url, const std::filesystem::path& dest,
                       const HttpOptions& options, const FetchLimits& limits) {
    return download(url, dest, options, false, ByteProgress{}, limits, true);
}

void uploadFile(const std::string& url, const std::filesystem::path& source,
                const HttpOptions& options) {
    const util::Fd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throwSystemError("cannot open", source.string());
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throwSystemError("cannot stat", source.string());
    auto delay = options.backoff;
    for (unsigned number = 1;; ++number) {
        if (::lseek(fd.get(), 0, SEEK_SET) != 0) throwSystemError("cannot read", source.string());
        CurlHandle curl(curl_easy_init());
        if (!curl) throw FetchError("cannot upload to " + quote(url) + ": curl_easy_init failed");
        // The response body (if any) is read like a download's, into nowhere, bounded.
        Transfer transfer;
        const util::Fd sink(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        transfer.fd = sink.get();
        const ByteProgress none;
        transfer.progress = &none;
        transfer.maxBytes = 1 << 20;
        char errorBuffer[CURL_ERROR_SIZE] = {};
        configure(curl.get(), url, options, false, transfer, errorBuffer);
        curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
        int readFd = fd.get();
        curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, onUploadRead);
        curl_easy_setopt(curl.get(), CURLOPT_READDATA, &readFd);
        curl_easy_setopt(curl.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(st.st_size));
        Outcome outcome;
        outcome.code = curl_easy_perform(curl.get());
        curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &outcome.status);
        outcome.message = errorBuffer[0] != '\0' ? errorBuffer : curl_easy_strerror(outcome.code);
        if (outcome.code == CURLE_OK) return;
        if (!isTransient(outcome) || number >= options.attempts) {
            throw FetchError(
                "cannot upload to " + quote(url) + ": " + outcome.message +
                (number > 1 ? " (after " + std::to_string(number) + " attempts)" : ""));
        }
        util::logger()->warn("uploading {} failed ({}), retrying in {} ms", url, outcome.message,
                             delay.count());
        std::this_thread::sleep_for(delay);
        delay *= 2;
    }
}

} // namespace xenbuild::fetch
