#pragma once
// A Xen release read out of the git cache: its tag verified, its pins and support dates read
// from the tagged tree. Private to the update module.

#include "xenbuild/fetch/git_cache.hpp"
#include "xenbuild/fetch/signature.hpp"
#include "xenbuild/update/version.hpp"
#include "xenbuild/update/xen_tree.hpp"

#include <string>
#include <vector>

namespace xenbuild::update::detail {

struct VerifiedRelease {
    Release release;
    std::string commit;             // the tagged commit
    std::string signer;             // "uid (fingerprint)"
    std::vector<ComponentPin> pins; // from Config.mk and the etherboot Makefile
    recipe::SupportDates support;   // from SUPPORT.md
};

// Verifies the tag's signature (a lightweight tag is refused as unsigned), checks that it names
// a commit, and reads the tree. Throws SignatureError / ParseError / FetchError naming the tag
// and the repository.
VerifiedRelease readRelease(const fetch::GitCache& cache, const Release& release,
                            const fetch::SignatureVerifier& verifier);

// Verifies `tag` of `cache` only; returns the commit and the signer.
std::pair<std::string, std::string> verifyReleaseTag(const fetch::GitCache& cache,
                                                     const std::string& tag,
                                                     const fetch::SignatureVerifier& verifier);

bool isCommitId(const std::string& text);

} // namespace xenbuild::update::detail
