#pragma once
// The bundle's SBOM: an SPDX 2.3 JSON document (valid against the official schema,
// tests/data/spdx-2.3-schema.json) describing the built package.
//
//   the package      name, version, licenses, homepage, build date; annotations for every
//                    source override and excluded patch (also in the document's comment)
//   its archives     one package per bundle archive (packageFileName, SHA256), CONTAINS
//   its sources      downloadLocation git+URL@rev, the tag or revision, SHA256 of the tree's NAR
//                    (an overridden source: its local directory's NAR, downloadLocation
//                    NOASSERTION), GENERATED_FROM
//   its patches      downloadLocation, SHA256, PATCH_APPLIED to their source; an advisory's patch
//                    carries SECURITY references (fix: the patch, advisory: each CVE) and an
//                    annotation naming the advisory and CVEs it fixes
//   its toolchain    cc, ld, make and xenbuild as packages, BUILD_TOOL_OF

#include "xenbuild/bundle/bundle.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace xenbuild::bundle {

// The document for `build` with its archives (role "archive", with their outputs).
nlohmann::json spdxDocument(const BuildInfo& build, const std::vector<BundleFile>& archives);

// "SPDXRef-<kind>-<name>" with every character SPDX ids do not allow replaced by '-'.
std::string spdxId(const std::string& kind, const std::string& name);

} // namespace xenbuild::bundle
