#pragma once
// `xenbuild xsa import`: record a verified Xen Security Advisory in recipes/xen/patches.json and
// optionally list it in branch files.
//
// patches.json is rewritten canonically: the comment block before the opening '{' is kept as
// written, the JSON body is printed with two-space indentation in the file's own order (entries
// and keys keep their places; a new XSA goes before the first XSA with a higher number, else
// after the last XSA). Comments inside the JSON body are not kept.

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
    std::vector<std::string> branches; // branches whose patch list gained the id
    std::vector<FileChange> files;     // the files that change
};

// Computes the new patches.json (and branch files for `branches`); writes nothing. Throws
// ParseError when the advisory does not publish a single xsa<N>.patch, UsageError for an
// unknown branch or one the patch is marked not applicable for.
XsaImportResult planXsaImport(const Advisory& advisory, const std::filesystem::path& recipesDir,
                              const std::vector<std::string>& branches);

// The canonical patches.json text for `text` (an existing patches.json), for tests and tools.
std::string canonicalPatchesJson(const std::string& text, const std::string& path);

} // namespace xenbuild::update
