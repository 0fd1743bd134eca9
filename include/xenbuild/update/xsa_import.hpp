#pragma once
// `xenbuild xsa import`: record a verified Xen Security Advisory in recipes/xen/patches.json, the
// one place that says which branches a patch applies to (all but its notApplicable ones).
//
// patches.json is rewritten canonically: the comment block before the opening '{' is kept as
// written, the JSON body is printed with two-space indentation in the file's own order (entries
// and keys keep their places; the list is the application order, and a new XSA goes before the
// first XSA with a higher number, else after the last XSA, else at the end). Comments inside
// the JSON body are not kept.

#include "xenbuild/update/advisory.hpp"
#include "xenbuild/update/updater.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::update {

// The published patch URL of an XSA (xen-pins.json's pattern).
std::string xsaPatchUrl(int number); // https://xenbits.xenproject.org/xsa/xsa<N>.patch

struct XsaImportResult {
    std::string id;                    // "XSA-458"
    bool added = false;                // false: an existing entry was updated
    std::vector<std::string> branches; // the branches it applies to afterwards
    std::vector<FileChange> files;     // the files that change
};

// Computes the new patches.json; writes nothing. With `branches`, the patch is for those only:
// every other branch is marked notApplicable ("imported for 4.19 only") unless it already is.
// Throws ParseError when the advisory does not publish a single xsa<N>.patch, UsageError for an
// unknown branch or one the patch is marked not applicable for.
XsaImportResult planXsaImport(const Advisory& advisory, const std::filesystem::path& recipesDir,
                              const std::vector<std::string>& branches);

struct NotApplicableMark {
    std::string id;     // "XSA-900"
    std::string branch; // "4.19"
    std::string reason; // "already contained in 4.19.1"
};

// `text` (a patches.json) with notApplicable[branch] = reason set for each mark, canonical.
std::string withNotApplicable(const std::string& text, const std::string& path,
                              const std::vector<NotApplicableMark>& marks);

// The canonical patches.json text for `text` (an existing patches.json), for tests and tools.
std::string canonicalPatchesJson(const std::string& text, const std::string& path);

} // namespace xenbuild::update
