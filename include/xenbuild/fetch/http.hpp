#pragma once
// Downloads over HTTP(S) and file:// with libcurl: TLS verification on, connect and low-speed
// timeouts, retries with exponential backoff for transient failures, and progress reports.

#include "xenbuild/fetch/options.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace xenbuild::fetch {

// Called with bytes received so far and the expected total (0 when unknown).
using ByteProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Downloads `url` to the new file `dest`. With `offline`, only file:// URLs are allowed (no
// network connection is ever opened). Throws FetchError naming the URL and curl's message; a
// body larger than `limits.downloadBytes`, or response headers over 256 KiB in all, stop the
// download at once (no retry) with a message naming the limit. Nothing is left at `dest` after
// a failure.
void downloadFile(const std::string& url, const std::filesystem::path& dest,
                  const HttpOptions& options, bool offline, const ByteProgress& progress,
                  const FetchLimits& limits = {});

// downloadFile for a binary cache (never offline, no progress): returns false, leaving nothing
// at `dest`, when the server answers 404 or 410 (or a file:// URL does not exist); throws
// FetchError for every other failure.
bool downloadIfPresent(const std::string& url, const std::filesystem::path& dest,
                       const HttpOptions& options, const FetchLimits& limits);

// Uploads the file `source` to `url` with an HTTP PUT (as WebDAV servers, artifact servers and
// object stores with pre-authorised URLs accept), retrying transient failures like downloads.
// Throws FetchError naming the URL and the server's answer.
void uploadFile(const std::string& url, const std::filesystem::path& source,
                const HttpOptions& options);

} // namespace xenbuild::fetch
