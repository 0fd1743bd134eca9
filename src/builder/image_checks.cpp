// The checks of what Xen installs for HVM guests: the SeaBIOS, OVMF and iPXE images
// (xenbuild/builder/firmware.hpp reads them), hvmloader (an ELF32 image) and QEMU (a program run
// in the build's sandbox that must print its tree's version).

#include "checks.hpp"
#include "xenbuild/builder/firmware.hpp"
#include "xenbuild/util/elf.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <cctype>

namespace fs = std::filesystem;

namespace xenbuild::builder::detail {

namespace {

constexpr std::uint64_t kMaxImageBytes = 64 * util::kMiB;

CheckResult fail(std::string detail) {
    return {.passed = false, .detail = std::move(detail)};
}

CheckResult pass(std::string detail) {
    return {.passed = true, .detail = std::move(detail)};
}

// The file of a check path, or why there is none to read (a missing file, a link, a directory).
std::optional<std::string> missing(const fs::path& file, const std::string& shown) {
    std::error_code error;
    const auto status = fs::symlink_status(file, error);
    if (!fs::exists(status)) return shown + " is missing: the build did not install it";
    if (!fs::is_regular_file(status)) return shown + " is not a regular file";
    return std::nullopt;
}

std::string readImage(const fs::path& file) {
    return util::readRegularFile(
        file, {.what = "image", .maxBytes = kMaxImageBytes, .followSymlinks = false});
}

// "128 or 256 KiB" style: "128 KiB or 256 KiB", "1 MiB, 2 MiB or 4 MiB".
std::string describeSizes(const std::vector<unsigned>& sizesKiB) {
    std::string text;
    for (std::size_t i = 0; i < sizesKiB.size(); ++i) {
        if (i > 0) text += i + 1 == sizesKiB.size() ? " or " : ", ";
        text += describeSize(std::uint64_t{sizesKiB[i]} * 1024);
    }
    return text;
}

// Why a file of `size` bytes is none of `sizesKiB`, or "" when it is one.
std::string sizeProblem(std::uint64_t size, const std::vector<unsigned>& sizesKiB,
                        const std::string& what) {
    const bool fits = std::any_of(sizesKiB.begin(), sizesKiB.end(), [size](unsigned kib) {
        return std::uint64_t{kib} * 1024 == size;
    });
    if (fits) return "";
    return describeSize(size) +
           (describeSize(size).ends_with("bytes") ? "" : " (" + std::to_string(size) + " bytes)") +
           "; " + what + " is " + describeSizes(sizesKiB);
}

const StagedSource* stagedSource(const CheckContext& context, const std::string& name) {
    const auto found = context.sources.find(name);
    return found == context.sources.end() ? nullptr : &found->second;
}

std::string firstLine(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0)
        line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    return start == std::string::npos ? "" : line.substr(start);
}

// The first line of `relative` in the staged tree, "" when the file is absent or empty.
std::string stagedVersion(const StagedSource& source, const std::string& relative) {
    const fs::path file = source.root / relative;
    std::error_code error;
    if (!fs::is_regular_file(fs::symlink_status(file, error))) return "";
    return firstLine(util::readRegularFile(
        file, {.what = "version file", .maxBytes = util::kMiB, .followSymlinks = false}));
}

// What a SeaBIOS image must say: the revision and the sentence that says where it comes from.
struct ExpectedRevision {
    std::string revision;
    std::string basis;
};

std::optional<ExpectedRevision> expectedSeabios(const recipe::SeabiosParams& params,
                                                const StagedSource& source) {
    if (source.overriddenBy.empty()) {
        return ExpectedRevision{source.revision,
                                "pinned: " + params.source + " at " + source.revision};
    }
    // Xen's build writes its Config.mk revision into .version whatever tree is staged, and
    // SeaBIOS builds its version from that file: an override is labelled with what the build
    // wrote, which the staged tree holds.
    const std::string written = stagedVersion(source, ".version");
    if (written.empty()) return std::nullopt;
    return ExpectedRevision{written, params.source + " is overridden by " +
                                         quote(source.overriddenBy.string()) +
                                         ": compared with the .version the build wrote into its "
                                         "staged tree, " +
                                         written};
}

std::string machineName(unsigned machine) {
    switch (machine) {
    case 3:
        return "i386";
    case 62:
        return "x86-64";
    case 40:
        return "ARM";
    case 183:
        return "AArch64";
    default:
        return "machine " + std::to_string(machine);
    }
}

// The first word of `line` that starts with a digit ("7.0.0" of "QEMU emulator version 7.0.0").
std::string versionWord(const std::string& line) {
    std::size_t at = 0;
    while (at < line.size()) {
        const auto start = line.find_first_not_of(" \t", at);
        if (start == std::string::npos) break;
        const auto end = std::min(line.find_first_of(" \t", start), line.size());
        if (std::isdigit(static_cast<unsigned char>(line[start])) != 0) {
            std::string word = line.substr(start, end - start);
            while (!word.empty() && (word.back() == ',' || word.back() == ';'))
                word.pop_back();
            return word;
        }
        at = end;
    }
    return "";
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
    std::string text;
    for (const auto& item : items)
        text += (text.empty() ? "" : separator) + item;
    return text;
}

// The result of the "seabios" check for what the image says.
CheckResult seabiosVerdict(const std::string& shown, const SeabiosVersion& version,
                           const std::string& want, const std::string& basis, std::size_t size) {
    if (version.matches) {
        return pass(shown + ": SeaBIOS " + *version.found + ", " + describeSize(size) + basis);
    }
    if (!version.banner) {
        return fail(shown + ": not a SeaBIOS image (no \"SeaBIOS (version\" string); expected " +
                    want + basis);
    }
    if (version.found) {
        return fail(shown + ": SeaBIOS version " + *version.found + "; expected " + want + basis);
    }
    return fail(shown + ": no SeaBIOS version string; expected " + want + basis);
}

// Runs the program `file` of a "program-version" check with its arguments and library path.
ProgramOutput runStaged(const recipe::ProgramVersionParams& params, const fs::path& file,
                        const CheckContext& context) {
    std::vector<std::string> argv = {file.string()};
    argv.insert(argv.end(), params.args.begin(), params.args.end());
    std::vector<std::string> libraries;
    for (const auto& dir : params.libraryPath)
        libraries.push_back(substituteOutputs(dir, context.staged));
    util::Environment env;
    if (!libraries.empty()) env["LD_LIBRARY_PATH"] = joined(libraries, ":");
    return context.runProgram(argv, env);
}

// Whether `output`'s first line says `expected` (`basis` says where that comes from).
CheckResult compareVersion(const std::string& command, const ProgramOutput& output,
                           const std::string& expected, const std::string& basis) {
    if (!output.run.success()) {
        return fail(command + " " + output.run.process.describeStatus() +
                    (output.lines.empty() ? "" : ": " + output.lines.back()));
    }
    const std::string line = output.lines.empty() ? "" : firstLine(output.lines.front());
    const std::string found = versionWord(line);
    if (found.empty()) {
        return fail(command + " printed no version (" + quote(line) + "); expected " + expected +
                    ", " + basis);
    }
    if (found != expected) {
        return fail(command + " says " + found + " (" + quote(line) + "); expected " + expected +
                    ", " + basis);
    }
    return pass(command + ": " + line + ", as " + basis + " says");
}

// Runs a check whose files may turn out unreadable: that fails the check, saying why.
template <typename Body>
CheckResult guarded(Body body) {
    try {
        return body();
    } catch (const SystemError& error) {
        return fail(error.what());
    }
}

} // namespace

CheckResult checkSeabios(const recipe::SeabiosParams& params, const CheckContext& context) {
    return guarded([&]() -> CheckResult {
        const fs::path file = substituteOutputs(params.path, context.staged);
        const std::string shown = shownPath(params.path);
        if (auto problem = missing(file, shown)) return fail(*problem);
        const StagedSource* source = stagedSource(context, params.source);
        if (source == nullptr) {
            return fail(shown + ": the build staged no source " + quote(params.source));
        }
        const auto expected = expectedSeabios(params, *source);
        if (!expected) {
            return fail(shown + ": cannot tell which version to expect: " + params.source +
                        " is overridden by " + quote(source->overriddenBy.string()) +
                        " and its staged tree has no .version");
        }
        const std::string want = expected->revision + params.extraVersion;
        const std::string image = readImage(file);
        if (auto problem = sizeProblem(image.size(), params.sizesKiB, "a SeaBIOS image");
            !problem.empty()) {
            return fail(shown + ": " + problem);
        }
        return seabiosVerdict(shown, seabiosVersion(image, expected->revision, params.extraVersion),
                              want, " (" + expected->basis + ")", image.size());
    });
}

CheckResult checkUefiFirmware(const recipe::UefiFirmwareParams& params,
                              const CheckContext& context) {
    return guarded([&]() -> CheckResult {
        const fs::path file = substituteOutputs(params.path, context.staged);
        const std::string shown = shownPath(params.path);
        if (auto problem = missing(file, shown)) return fail(*problem);
        const std::string image = readImage(file);
        if (auto problem = sizeProblem(image.size(), params.sizesKiB, "a UEFI firmware image");
            !problem.empty()) {
            return fail(shown + ": " + problem);
        }
        const auto volumes = firmwareVolumes(image);
        if (volumes.empty()) {
            return fail(shown + ": no UEFI firmware volume (no valid \"_FVH\" header at a 4 KiB "
                                "boundary); not a UEFI firmware image");
        }
        return pass(shown + ": UEFI firmware, " + describeSize(image.size()) + ", " +
                    std::to_string(volumes.size()) + " firmware volume" +
                    (volumes.size() == 1 ? "" : "s"));
    });
}

CheckResult checkOptionRom(const recipe::OptionRomParams& params, const CheckContext& context) {
    return guarded([&]() -> CheckResult {
        const fs::path file = substituteOutputs(params.path, context.staged);
        const std::string shown = shownPath(params.path);
        if (auto problem = missing(file, shown)) return fail(*problem);
        const auto roms = optionRoms(readImage(file));
        if (!roms.problem.empty()) {
            return fail(shown + ": not a valid PCI option ROM: " + roms.problem +
                        (roms.images.empty() ? "" : " (after " + roms.describe() + ")"));
        }
        return pass(shown + ": " + roms.describe());
    });
}

CheckResult checkElf(const recipe::ElfParams& params, const CheckContext& context) {
    return guarded([&]() -> CheckResult {
        const fs::path file = substituteOutputs(params.path, context.staged);
        const std::string shown = shownPath(params.path);
        if (auto problem = missing(file, shown)) return fail(*problem);
        if (!util::isElf(file)) {
            return fail(shown + ": not an ELF file; expected " + params.elfClass);
        }
        util::ElfInfo elf;
        try {
            elf = util::readElf(file);
        } catch (const ParseError& error) {
            return fail(shown + ": " + error.what() + "; expected " + params.elfClass);
        }
        const std::string found =
            std::string(elf.is64 ? "ELF64 " : "ELF32 ") + machineName(elf.machine);
        if (found.rfind(params.elfClass, 0) != 0) {
            return fail(shown + ": " + found + "; expected " + params.elfClass);
        }
        return pass(shown + ": " + found);
    });
}

CheckResult checkProgramVersion(const recipe::ProgramVersionParams& params,
                                const CheckContext& context) {
    return guarded([&]() -> CheckResult {
        const fs::path file = substituteOutputs(params.path, context.staged);
        const std::string shown = shownPath(params.path);
        if (auto problem = missing(file, shown)) return fail(*problem);
        const std::string command =
            params.args.empty() ? shown : shown + " " + joined(params.args, " ");
        if (!util::isElf(file)) {
            return fail(shown + ": not an ELF program, cannot run " + quote(command));
        }
        const StagedSource* source = stagedSource(context, params.source);
        if (source == nullptr) {
            return fail(shown + ": the build staged no source " + quote(params.source));
        }
        const std::string basis =
            "the " + params.versionFile + " of the staged " + params.source + " tree" +
            (source->overriddenBy.empty()
                 ? ""
                 : " (overridden by " + quote(source->overriddenBy.string()) + ")");
        const std::string expected = stagedVersion(*source, params.versionFile);
        if (expected.empty()) {
            return fail(shown + ": cannot tell which version to expect: " + basis +
                        " is missing or empty");
        }
        if (!context.runProgram) {
            return fail(shown + ": no sandbox to run " + quote(command) + " in");
        }
        return compareVersion(quote(command), runStaged(params, file, context), expected, basis);
    });
}

} // namespace xenbuild::builder::detail
