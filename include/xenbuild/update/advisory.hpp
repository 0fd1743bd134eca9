#pragma once
// Xen Security Advisories (XSAs): the clear-signed text published at
// https://xenbits.xenproject.org/xsa/advisory-<N>.txt, verified against the Xen Project key
// and reduced to what the recipes record for an upstream patch.

#include "xenbuild/fetch/signature.hpp"
#include "xenbuild/util/hash.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::update {

// One published patch file, as listed in the advisory's `$ sha256sum xsa*` block.
struct AdvisoryPatch {
    std::string file; // e.g. "xsa458.patch" or "xsa407-4.16/0001-x86-spec-ctrl.patch"
    util::Hash sha256;
};

struct Advisory {
    int number = 0;                // 458
    int version = 0;               // the advisory's revision ("version 2")
    std::vector<std::string> cves; // "CVE-2024-31143", in the advisory's order; may be empty
    std::string headline;          // as printed: "double unlock in x86 guest IRQ handling"
    std::string title;             // normalised: "Double unlock in x86 guest IRQ handling"
    // The ISSUE DESCRIPTION section: each paragraph's lines joined with one space (spacing
    // inside lines kept), paragraphs joined with "\n".
    std::string description;
    std::vector<AdvisoryPatch> patches;
    fetch::SignatureInfo signature; // who signed it (empty when only parsed)

    std::string id() const { return "XSA-" + std::to_string(number); } // "XSA-458"
};

// The largest advisory file read (published advisories are 5 to 50 KiB).
inline constexpr std::uint64_t kMaxAdvisoryBytes = std::uint64_t{1} << 20;

// The largest advisory number accepted (docs/recipe.schema.json bounds patches' "xsa" alike).
inline constexpr int kMaxXsaNumber = 99999;

// Verifies the clear-signed advisory with `verifier` (which must trust the Xen Project key for
// real advisories) and parses the signed text only. Throws SignatureError for an unsigned,
// tampered or untrusted advisory and ParseError when the signed text is not an advisory.
// `source` names it in messages (a path or URL).
Advisory readAdvisory(std::string_view clearsigned, const fetch::SignatureVerifier& verifier,
                      const std::string& source);
Advisory readAdvisoryFile(const std::filesystem::path& path,
                          const fetch::SignatureVerifier& verifier);

// Parses advisory text that was already verified (no signature check here).
Advisory parseAdvisoryText(std::string_view text, const std::string& source);

// The recipes' form of a headline: the first letter is capitalised when the first word is a
// plain lower-case word ("double unlock ..." -> "Double unlock ..."); identifiers such as
// "x86:" or "libxl" followed by ':' are kept as written.
std::string normaliseTitle(std::string_view headline);

} // namespace xenbuild::update
