#pragma once
// The host toolchain's identity: what the build's outputs depend on besides the plan. It is
// the first line of `cc --version`, `ld --version` and `make --version` (found through the
// sandbox's clean PATH), hashed into the build key, so upgrading the compiler, binutils or make
// builds anew instead of reusing outputs made by another toolchain.

#include "xenbuild/util/hash.hpp"

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <string>

namespace xenbuild::builder {

struct Toolchain {
    std::map<std::string, std::string> versions; // "cc" -> "cc (Debian 12.2.0-14) 12.2.0"
    util::Hash hash;                             // sha256 over the versions
    nlohmann::json toJson() const;
};

// The PATH builds run with; also where the toolchain is looked up.
inline constexpr const char* kBuildPath = "/usr/bin:/bin:/usr/sbin:/sbin";

// Runs the three programs. Throws BuildError naming the program (and the package to install)
// when one is missing.
Toolchain identifyToolchain();

} // namespace xenbuild::builder
