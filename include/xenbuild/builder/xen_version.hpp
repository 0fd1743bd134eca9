#pragma once
// Reading the version a Xen hypervisor binary carries, for the "hypervisor-version" check.
// Xen embeds it twice (seen on a 4.17.5 build, see docs/real-xen-build.md):
//   - the console banner XEN_BANNER " Xen 4.17.5\n" (plain text when figlet is not installed,
//     which is the case in the sandbox), in xen.gz, xen-syms and xen.efi;
//   - the EFI loader's UTF-16 string "Xen 4.17.5 (c/s ...) EFI loader", in all three as well.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace xenbuild::builder {

// The first version found in a hypervisor image's bytes ("4.17.5", "4.19.1-pre"), if any.
std::optional<std::string> findXenVersion(std::string_view image);

// Reads `path` (xen.gz is decompressed, xen-syms/xen.efi read as they are) and finds the
// version. Throws SystemError if unreadable, BuildError if a .gz file is corrupt.
std::optional<std::string> hypervisorVersion(const std::filesystem::path& path);

} // namespace xenbuild::builder
