#pragma once
// Settings shared by every fetcher, passed explicitly (no global state).

#include "xenbuild/fetch/mirrors.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace xenbuild::fetch {

struct HttpOptions {
    long connectTimeoutSeconds = 30;
    long lowSpeedSeconds = 60; // abort when below 1 byte/s for this long
    unsigned attempts = 4;     // 1 + retries, for transient failures (connect, timeout, 5xx)
    std::chrono::milliseconds backoff{500}; // doubled after each failed attempt
};

// Bounds on what one fetch may consume, against hostile or broken upstreams (an endless HTTP
// body, a decompression bomb, a git tree that repeats one subtree a million times). 0 means no
// limit. The defaults are generous for Xen's sources (the largest tree, qemu-xen with its
// history, is a few hundred MB): raise them for something bigger.
struct FetchLimits {
    std::uint64_t downloadBytes = std::uint64_t{2} << 30; // one HTTP download or git fetch
    std::uint64_t unpackedBytes = std::uint64_t{8} << 30; // file bytes of one archive/checkout
    std::uint64_t entries = 1'000'000; // members of one archive, entries of one checkout
    // Unpacked bytes per byte of archive. Applies only beyond ratioFloor unpacked bytes, so small
    // archives of very compressible data still unpack.
    std::uint64_t ratio = 200;
    std::uint64_t ratioFloor = std::uint64_t{64} << 20;

    // Sets one limit from "NAME=VALUE": download, unpacked (sizes: a number with an optional
    // K, M, G or T suffix, powers of 1024, "KiB" and "B" spellings accepted), entries or ratio
    // (numbers); "none" or 0 removes the limit. Throws UsageError naming the text.
    void set(const std::string& assignment);
};

// "2 GiB", "512 KiB", "1000 bytes": a limit as messages print it.
std::string describeBytes(std::uint64_t bytes);

struct FetchOptions {
    Mirrors mirrors;
    bool offline = false; // never open a network connection
    unsigned jobs = 4;    // parallel fetches in prefetchPlan
    // Local git repositories (paths and file:// URLs, also after mirror rewriting) are read in
    // place by default; with this set they are fetched into the store's bare cache like remote
    // ones (useful when the local copy is a transient mount).
    bool cacheLocalGit = false;
    HttpOptions http;
    FetchLimits limits;
};

} // namespace xenbuild::fetch
