#pragma once
// Settings shared by every fetcher, passed explicitly (no global state).

#include "xenbuild/fetch/mirrors.hpp"

#include <chrono>

namespace xenbuild::fetch {

struct HttpOptions {
    long connectTimeoutSeconds = 30;
    long lowSpeedSeconds = 60; // abort when below 1 byte/s for this long
    unsigned attempts = 4;     // 1 + retries, for transient failures (connect, timeout, 5xx)
    std::chrono::milliseconds backoff{500}; // doubled after each failed attempt
};

struct FetchOptions {
    Mirrors mirrors;
    bool offline = false; // never open a network connection
    unsigned jobs = 4;    // parallel fetches in prefetchPlan
    // Local git repositories (paths and file:// URLs, also after mirror rewriting) are read in
    // place by default; with this set they are fetched into the store's bare cache like remote
    // ones (useful when the local copy is a transient mount).
    bool cacheLocalGit = false;
    HttpOptions http;
};

} // namespace xenbuild::fetch
