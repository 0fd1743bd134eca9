#include "xenbuild/patch/local.hpp"

#include "xenbuild/util/error.hpp"

#include <algorithm>

namespace fs = std::filesystem;

namespace xenbuild::patch {

namespace {

[[noreturn]] void misnamed(std::string_view fileName, const std::string& why) {
    throw PatchError("misnamed local patch " + quote(std::string(fileName)) + ": " + why +
                     "; local patches must be named " + std::string(kLocalPatchNameSpec));
}

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

bool isDescriptionChar(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

unsigned parseNumber(std::string_view fileName) {
    if (fileName.size() < 5 || !std::all_of(fileName.begin(), fileName.begin() + 4, isDigit) ||
        fileName[4] != '-')
        misnamed(fileName, "it does not start with a 4-digit number and a dash");
    unsigned number = 0;
    for (std::size_t i = 0; i < 4; ++i)
        number = number * 10 + static_cast<unsigned>(fileName[i] - '0');
    return number;
}

std::string parseProject(std::string_view fileName, std::string_view& rest) {
    const auto dash = rest.find('-');
    const std::string_view project = rest.substr(0, dash);
    if (std::find(std::begin(kPatchProjects), std::end(kPatchProjects), project) ==
        std::end(kPatchProjects))
        misnamed(fileName, "unknown project " + quote(std::string(project)));
    if (dash == std::string_view::npos) misnamed(fileName, "the description is empty");
    rest.remove_prefix(dash + 1);
    return std::string(project);
}

} // namespace

LocalPatchName parseLocalPatchName(std::string_view fileName, std::string_view branch) {
    LocalPatchName name;
    name.fileName = std::string(fileName);
    name.number = parseNumber(fileName);
    const std::string suffix = "-" + std::string(branch) + ".patch";
    if (!fileName.ends_with(".patch")) misnamed(fileName, "it does not end in '.patch'");
    if (fileName.size() < 5 + suffix.size() || !fileName.ends_with(suffix))
        misnamed(fileName, "it does not end in " + quote(suffix) + " for the directory " +
                               quote(std::string(branch)));
    std::string_view rest = fileName.substr(5, fileName.size() - 5 - suffix.size());
    name.project = parseProject(fileName, rest);
    if (rest.empty()) misnamed(fileName, "the description is empty");
    if (!std::all_of(rest.begin(), rest.end(), isDescriptionChar))
        misnamed(fileName, "the description " + quote(std::string(rest)) +
                               " holds characters other than letters, digits and dashes");
    if (rest.front() == '-' || rest.back() == '-')
        misnamed(fileName,
                 "the description " + quote(std::string(rest)) + " starts or ends with a dash");
    name.description = std::string(rest);
    name.branch = std::string(branch);
    return name;
}

std::vector<LocalPatch> listLocalPatches(const fs::path& dir, std::string_view branch) {
    std::vector<LocalPatch> patches;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return patches;
    fs::directory_iterator it(dir, ec);
    if (ec) throw SystemError("cannot list " + quote(dir.string()) + ": " + ec.message());
    for (const fs::directory_entry& entry : it) {
        const std::string fileName = entry.path().filename().string();
        if (fileName.starts_with('.')) continue;
        LocalPatchName name = withContext("in " + quote(dir.string()),
                                          [&] { return parseLocalPatchName(fileName, branch); });
        if (!entry.is_regular_file())
            throw PatchError("local patch " + quote(entry.path().string()) +
                             " is not a regular file");
        patches.push_back({std::move(name), entry.path()});
    }
    std::sort(patches.begin(), patches.end(), [](const LocalPatch& a, const LocalPatch& b) {
        return a.name.number != b.name.number ? a.name.number < b.name.number
                                              : a.name.fileName < b.name.fileName;
    });
    for (std::size_t i = 1; i < patches.size(); ++i)
        if (patches[i].name.number == patches[i - 1].name.number)
            throw PatchError("local patches " + quote(patches[i - 1].name.fileName) + " and " +
                             quote(patches[i].name.fileName) + " in " + quote(dir.string()) +
                             " share the number " + patches[i].name.fileName.substr(0, 4) +
                             "; give each patch its own number");
    return patches;
}

} // namespace xenbuild::patch
