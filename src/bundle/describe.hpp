#pragma once
// What the SBOM and the provenance both say about a build, in the same words: its deviations
// from the plan (source overrides, excluded patches), how a source is located, what a patch
// fixes. Private to the bundle module.

#include "xenbuild/bundle/bundle.hpp"

#include <string>
#include <vector>

namespace xenbuild::bundle::detail {

// "xenbuild-0.1.0".
std::string toolName();

// One sentence per source override and excluded patch, in that order ("" when none):
// "SOURCE OVERRIDDEN: source 'xen' was built from the local directory '/src/xen' (NAR hash
// sha256-...), not from git commit <rev> of <url>".
std::vector<std::string> deviations(const BuildInfo& build);

// "git+<url>@<rev>" (SPDX's and SLSA's form of a git location).
std::string gitLocation(const recipe::SourcePin& source);

// "XSA-460 fixes CVE-2024-31145, CVE-2024-31146" / "XSA-460 (no CVE assigned)", or "" for a
// patch without an advisory.
std::string fixText(const BuildInfo& build, const recipe::PatchRef& patch);

// The status the build record gives the patch ("clean", "fuzz 2", "failed: ..."), or "".
std::string patchStatus(const BuildInfo& build, const std::string& id);

// The build's finish time as RFC 3339 (the record has it: findBuild checks).
std::string finishedAt(const BuildInfo& build);
std::string startedAt(const BuildInfo& build);

} // namespace xenbuild::bundle::detail
