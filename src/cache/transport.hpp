#pragma once
// Reading and writing the files of a binary cache: a directory (file://) or an HTTP(S) server
// (GET, PUT). Names are relative ("nix-cache-info", "<hash>.narinfo", "nar/<file>"), checked by
// the callers to stay inside the cache.

#include "xenbuild/cache/cache.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace xenbuild::cache::detail {

class Transport {
  public:
    virtual ~Transport() = default;
    // The URL of `name`, for messages.
    virtual std::string url(const std::string& name) const = 0;
    // Downloads `name` into the new file `dest`: false when the cache does not have it. Throws
    // FetchError for any other failure, and for a file over `maxBytes`.
    virtual bool get(const std::string& name, const std::filesystem::path& dest,
                     std::uint64_t maxBytes) = 0;
    // Uploads `source` as `name`, replacing it atomically where the medium can.
    virtual void put(const std::string& name, const std::filesystem::path& source) = 0;
};

std::unique_ptr<Transport> makeTransport(const std::string& url, const CacheOptions& options);

} // namespace xenbuild::cache::detail
