#include "xenbuild/builder/toolchain.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace xenbuild::builder {

namespace {

struct Tool {
    const char* name;
    const char* program;
    const char* package;
};

constexpr Tool kTools[] = {
    {"cc", "cc", "build-essential"},
    {"ld", "ld", "binutils"},
    {"make", "make", "make"},
};

std::string firstLine(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string probeVersion(const Tool& tool) {
    util::ProcessSpec spec;
    spec.argv = {tool.program, "--version"};
    spec.env = util::Environment{{"PATH", kBuildPath}, {"LC_ALL", "C"}};
    spec.capture = true;
    spec.timeout = std::chrono::seconds(30);
    if (!util::findProgram(tool.program, kBuildPath)) {
        throw BuildError(std::string("the build toolchain has no ") + quote(tool.program) + " in " +
                         kBuildPath + "; install the Debian package " + quote(tool.package));
    }
    const auto result = util::runProcess(spec);
    if (!result.success()) {
        throw BuildError(std::string("'") + tool.program + " --version' " +
                         result.describeStatus());
    }
    return firstLine(result.out);
}

} // namespace

nlohmann::json Toolchain::toJson() const {
    nlohmann::json json = versions;
    json["hash"] = hash.sri();
    return json;
}

Toolchain identifyToolchain() {
    Toolchain toolchain;
    util::Sha256 hasher;
    for (const auto& tool : kTools) {
        const std::string version = probeVersion(tool);
        toolchain.versions[tool.name] = version;
        hasher.update(std::string(tool.name) + "=" + version + "\n");
    }
    toolchain.hash = hasher.finish();
    return toolchain;
}

} // namespace xenbuild::builder
