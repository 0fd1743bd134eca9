#pragma once
// Local patches: files in patches/<branch>/ named NNNN-project-description-branch.patch, applied
// in numeric order after a branch's upstream patches.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::patch {

// The naming rule, quoted by every error about a misnamed local patch.
inline constexpr std::string_view kLocalPatchNameSpec =
    "NNNN-project-description-branch.patch (NNNN: 4-digit order; project: xen, qemu, seabios, "
    "ovmf or ipxe; description: letters, digits and dashes; branch: the directory name, "
    "e.g. 4.19)";

// The projects a patch can apply to, in staging order.
inline constexpr std::string_view kPatchProjects[] = {"xen", "qemu", "seabios", "ovmf", "ipxe"};

struct LocalPatchName {
    std::string fileName;    // "0001-xen-fix-gcc13-build-4.19.patch"
    unsigned number = 0;     // 1 from "0001"
    std::string project;     // "xen"
    std::string description; // "fix-gcc13-build"
    std::string branch;      // "4.19"
};

struct LocalPatch {
    LocalPatchName name;
    std::filesystem::path path;
};

// Checks a file name against the spec for the directory patches/<branch>/; throws PatchError
// quoting the name, what is wrong and the spec.
LocalPatchName parseLocalPatchName(std::string_view fileName, std::string_view branch);

// The local patches of `dir` (patches/<branch>/) sorted by number; an empty list when the
// directory does not exist. Hidden files (".*") are ignored; any other entry that does not
// follow the spec, and two patches with the same number, are a PatchError.
std::vector<LocalPatch> listLocalPatches(const std::filesystem::path& dir, std::string_view branch);

} // namespace xenbuild::patch
