#include "validate.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/paths.hpp"

#include <algorithm>
#include <set>

namespace xenbuild::recipe::detail {

namespace {

[[noreturn]] void failAt(const JsonDocument& doc, const std::string& pointer,
                         const std::string& message) {
    throw ParseError(doc.describeAt(pointer, message));
}

void checkSources(const JsonDocument& doc) {
    const auto& sources = doc.value.at("sources");
    if (sources.empty()) {
        failAt(doc, "/sources", "the builder needs at least one source: the tree to build");
    }
    std::set<std::string> names, places;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const std::string pointer = "/sources/" + std::to_string(i);
        const auto name = sources[i].at("name").get<std::string>();
        const auto stageAt = sources[i].at("stageAt").get<std::string>();
        if (!names.insert(name).second) {
            failAt(doc, pointer + "/name", "source " + quote(name) + " is listed twice");
        }
        if (i == 0) {
            if (!stageAt.empty() || sources[i].at("stageAs") != "tree") {
                failAt(doc, pointer,
                       "the first source is the tree the others are staged into: it needs "
                       "\"stageAt\": \"\" and \"stageAs\": \"tree\"");
            }
            if (sources[i].contains("if")) {
                failAt(doc, pointer + "/if",
                       "the first source is the tree every build stages: it cannot have a "
                       "condition");
            }
            continue;
        }
        if (const auto problem = util::relativePathProblem(stageAt); !problem.empty()) {
            failAt(doc, pointer + "/stageAt",
                   "stageAt of source " + quote(name) + " " + problem +
                       " (it is a path relative to the tree of " +
                       quote(sources[0].at("name").get<std::string>()) + ")");
        }
        if (!places.insert(stageAt).second) {
            failAt(doc, pointer + "/stageAt", "two sources are staged at " + quoteShort(stageAt));
        }
    }
}

void checkOutputs(const JsonDocument& doc) {
    const auto& outputs = doc.value.at("outputs");
    if (outputs.empty() || outputs[0] != "out") {
        failAt(doc, "/outputs",
               "the first output must be \"out\" (what the build installs outside the other "
               "outputs goes there)");
    }
}

bool isPathParameter(const JsonDocument& doc, const std::string& name) {
    const auto& parameters = doc.value.at("parameters");
    const auto it = parameters.find(name);
    return it != parameters.end() && it->at("type") == "path";
}

// A leading "${name}" of `text` must name a path parameter (its value is an absolute,
// normalised path, so what follows stays a plain path); returns the rest of `text`.
std::string afterPathParameter(const JsonDocument& doc, const std::string& pointer,
                               const std::string& text, const std::string& what) {
    if (text.rfind("${", 0) != 0) return text;
    const auto close = text.find('}');
    const std::string name = text.substr(2, close - 2);
    if (!isPathParameter(doc, name)) {
        failAt(doc, pointer,
               what + " may only continue with a path parameter, and " + quote(name) +
                   " is not one (declare it with \"type\": \"path\")");
    }
    return text.substr(close + 1);
}

// "${outputs.<name>}", optionally a path parameter ("${prefix}"), then optionally "/" and a
// plain relative path (whether the output exists is for interpolation to say, with its
// suggestions).
void checkOutputPath(const JsonDocument& doc, const std::string& pointer, const std::string& text) {
    static const std::string open = "${outputs.";
    const auto close = text.find('}');
    if (text.rfind(open, 0) != 0 || close == std::string::npos) {
        failAt(doc, pointer,
               "a check path must start with ${outputs.<output>}, got " + quoteShort(text));
    }
    const std::string output = text.substr(0, close + 1);
    const std::string rest =
        afterPathParameter(doc, pointer, text.substr(close + 1), "a check path after " + output);
    if (rest.empty()) return;
    const auto problem = rest[0] == '/' ? util::relativePathProblem(rest.substr(1))
                                        : std::string("does not continue with '/'");
    if (!problem.empty()) {
        failAt(doc, pointer,
               "the path after " + output + " " + problem +
                   " (a check reads only inside the outputs)");
    }
}

void checkCheckPaths(const JsonDocument& doc) {
    const auto& checks = doc.value.at("checks");
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const std::string pointer = "/checks/" + std::to_string(i) + "/params";
        const auto& params = checks[i].at("params");
        if (const auto it = params.find("path"); it != params.end() && it->is_string()) {
            checkOutputPath(doc, pointer + "/path", it->get<std::string>());
        }
        const auto libraries = params.find("libraryPath");
        if (libraries == params.end() || !libraries->is_array()) continue;
        for (std::size_t j = 0; j < libraries->size(); ++j) {
            if (!(*libraries)[j].is_string()) continue;
            checkOutputPath(doc, pointer + "/libraryPath/" + std::to_string(j),
                            (*libraries)[j].get<std::string>());
        }
    }
}

// A check's `source` names one of the builder's sources, and its `versionFile` is a plain
// relative path inside that source's tree.
void checkCheckSources(const JsonDocument& doc) {
    std::vector<std::string> names;
    for (const auto& source : doc.value.at("sources"))
        names.push_back(source.at("name").get<std::string>());
    const auto& checks = doc.value.at("checks");
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const std::string pointer = "/checks/" + std::to_string(i) + "/params";
        const auto& params = checks[i].at("params");
        const auto source = params.find("source");
        if (source != params.end() && source->is_string() &&
            std::find(names.begin(), names.end(), source->get<std::string>()) == names.end()) {
            failAt(doc, pointer + "/source",
                   "the check reads the source " + quoteShort(source->get<std::string>()) +
                       ", which is not one of the builder's sources");
        }
        const auto file = params.find("versionFile");
        if (file == params.end() || !file->is_string()) continue;
        if (const auto problem = util::relativePathProblem(file->get<std::string>());
            !problem.empty()) {
            failAt(doc, pointer + "/versionFile",
                   "versionFile " + problem + " (it is a path relative to the source's tree)");
        }
    }
}

// Each key of outputPaths is an output other than the first (which takes the rest); each path
// starts with '/' or a path parameter.
void checkOutputPaths(const JsonDocument& doc) {
    if (!doc.value.contains("outputPaths")) return;
    const auto& outputs = doc.value.at("outputs");
    for (const auto& [name, paths] : doc.value.at("outputPaths").items()) {
        const std::string pointer = appendPointer("/outputPaths", name);
        if (std::find(outputs.begin(), outputs.end(), name) == outputs.end()) {
            failAt(doc, pointer,
                   "outputPaths names " + quote(name) + ", which is not one of the outputs");
        }
        if (name == outputs[0]) {
            failAt(doc, pointer,
                   "the first output " + quote(name) +
                       " takes every install path no other output claims: it has no "
                       "outputPaths");
        }
        for (std::size_t i = 0; i < paths.size(); ++i) {
            afterPathParameter(doc, pointer + "/" + std::to_string(i), paths[i].get<std::string>(),
                               "an install path");
        }
    }
}

void checkParameters(const JsonDocument& doc) {
    for (const auto& [name, spec] : doc.value.at("parameters").items()) {
        const auto it = spec.find("default");
        if (spec.at("type") != "path" || it == spec.end() || !it->is_string()) continue;
        if (const auto problem = util::absolutePathProblem(it->get<std::string>());
            !problem.empty()) {
            failAt(doc, appendPointer("/parameters", name) + "/default",
                   "default of path parameter " + quote(name) + " " + problem +
                       " (a path parameter is absolute and normalised)");
        }
    }
}

} // namespace

std::int64_t boundedInteger(const JsonDocument& doc, const std::string& pointer, std::int64_t min,
                            std::int64_t max) {
    const auto& value = doc.value.at(nlohmann::json::json_pointer(pointer));
    bool inRange = false;
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        inRange = number <= static_cast<std::uint64_t>(max) &&
                  (min <= 0 || number >= static_cast<std::uint64_t>(min));
    } else if (value.is_number_integer()) {
        const auto number = value.get<std::int64_t>();
        inRange = number >= min && number <= max;
    }
    if (!inRange) {
        std::string shown = value.dump();
        if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
        failAt(doc, pointer,
               "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                   ", got " + shown);
    }
    return value.get<std::int64_t>();
}

void checkBuilder(const JsonDocument& builder) {
    checkParameters(builder);
    checkSources(builder);
    checkOutputs(builder);
    checkCheckPaths(builder);
    checkCheckSources(builder);
    checkOutputPaths(builder);
}

} // namespace xenbuild::recipe::detail
