#include "record.hpp"

#include "xenbuild/builder/output_index.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace xenbuild::builder {

const OutputInfo* BuildResult::output(const std::string& name) const {
    for (const auto& info : outputs) {
        if (info.name == name) return &info;
    }
    return nullptr;
}

std::string BuildResult::outputStatus() const {
    if (cached) return "present";
    return substitutedFrom.empty() ? "built" : "substituted";
}

nlohmann::json BuildResult::toJson() const {
    nlohmann::json json;
    json["plan"] = plan;
    json["key"] = key;
    json["cached"] = cached;
    if (!substitutedFrom.empty()) json["substitutedFrom"] = substitutedFrom;
    json["sandbox"] = sandboxMode;
    json["outputs"] = nlohmann::json::object();
    for (const auto& info : outputs)
        json["outputs"][info.name] = info.path.string();
    json["outputStatus"] = nlohmann::json::object();
    for (const auto& info : outputs)
        json["outputStatus"][info.name] = outputStatus();
    json["checks"] = nlohmann::json::array();
    for (const auto& check : checks) {
        json["checks"].push_back(
            {{"kind", check.kind}, {"passed", check.passed}, {"detail", check.detail}});
    }
    json["patches"] = nlohmann::json::array();
    for (const auto& applied : patches) {
        json["patches"].push_back({{"id", applied.id}, {"status", applied.status}});
    }
    json["skippedPatches"] = skippedPatches;
    json["excludedPatches"] = excludedPatches;
    json["sourceOverrides"] = sourceOverrides;
    json["log"] = log.string();
    json["seconds"] = seconds;
    if (!stepSeconds.empty()) json["stepSeconds"] = stepSeconds;
    for (const auto& [name, span] : componentTimes)
        json["componentTimes"][name] = {{"start", span.start}, {"end", span.end}};
    if (!differingFiles.empty()) json["differingFiles"] = differingFiles;
    if (ccache) json["ccache"] = ccache->toJson();
    if (!toolchain.versions.empty()) json["toolchain"] = toolchain.toJson();
    if (startedAt) json["startedAt"] = util::formatTimestamp(*startedAt);
    if (finishedAt) json["finishedAt"] = util::formatTimestamp(*finishedAt);
    return json;
}

fs::path latestLogPath(const store::Store& store, const std::string& plan) {
    return store.dir() / "logs" / (plan + ".log");
}

namespace detail {

fs::path recordPath(const store::Store& store, const std::string& key) {
    return store.dir() / "builds" / (key + ".json");
}

fs::path logPath(const store::Store& store, const std::string& key) {
    return store.dir() / "logs" / (key + ".log");
}

fs::path temporaryPath(const store::Store& store, const std::string& key, const std::string& what) {
    return store.dir() / ".tmp" / ("build-" + key + "~" + what);
}

void linkLatestLog(const store::Store& store, const std::string& key, const std::string& plan,
                   const fs::path& log) {
    const fs::path link = latestLogPath(store, plan);
    const fs::path temporary = temporaryPath(store, key, "log-link");
    std::error_code ignored;
    fs::remove(temporary, ignored);
    fs::create_symlink(log.filename(), temporary);
    fs::rename(temporary, link);
}

namespace {

std::optional<std::chrono::sys_seconds> timestampOf(const nlohmann::json& json,
                                                    const std::string& key) {
    if (!json.contains(key)) return std::nullopt;
    return util::parseTimestamp(json.at(key).get<std::string>());
}

Toolchain toolchainFromJson(const nlohmann::json& json) {
    Toolchain toolchain;
    for (const auto& [name, value] : json.items()) {
        if (name == "hash") {
            toolchain.hash = util::Hash::parse(value.get<std::string>());
        } else {
            toolchain.versions[name] = value.get<std::string>();
        }
    }
    return toolchain;
}

} // namespace

BuildResult resultFromJson(const nlohmann::json& json) {
    BuildResult result;
    result.plan = json.at("plan").get<std::string>();
    result.key = json.at("key").get<std::string>();
    result.sandboxMode = json.at("sandbox").get<std::string>();
    result.substitutedFrom = json.value("substitutedFrom", "");
    for (const auto& [name, path] : json.at("outputs").items()) {
        result.outputs.push_back({name, path.get<std::string>()});
    }
    for (const auto& check : json.at("checks")) {
        result.checks.push_back({.kind = check.at("kind").get<std::string>(),
                                 .passed = check.at("passed").get<bool>(),
                                 .detail = check.at("detail").get<std::string>()});
    }
    for (const auto& applied : json.at("patches")) {
        result.patches.push_back({.id = applied.at("id").get<std::string>(),
                                  .status = applied.at("status").get<std::string>()});
    }
    result.skippedPatches = json.value("skippedPatches", std::vector<std::string>{});
    result.excludedPatches = json.value("excludedPatches", std::vector<std::string>{});
    result.sourceOverrides = json.value("sourceOverrides", std::map<std::string, std::string>{});
    result.log = json.at("log").get<std::string>();
    result.seconds = json.value("seconds", 0.0);
    result.stepSeconds = json.value("stepSeconds", std::map<std::string, double>{});
    if (json.contains("componentTimes")) {
        for (const auto& [name, span] : json.at("componentTimes").items())
            result.componentTimes[name] = {span.at("start").get<double>(),
                                           span.at("end").get<double>()};
    }
    if (json.contains("toolchain")) result.toolchain = toolchainFromJson(json.at("toolchain"));
    if (json.contains("ccache")) result.ccache = CompilerCacheStats::fromJson(json.at("ccache"));
    result.startedAt = timestampOf(json, "startedAt");
    result.finishedAt = timestampOf(json, "finishedAt");
    return result;
}

} // namespace detail

BuildResult BuildResult::fromJson(const nlohmann::json& json) {
    return detail::resultFromJson(json);
}

namespace detail {

std::optional<BuildResult> readRecord(const store::Store& store, const std::string& key) {
    std::ifstream in(recordPath(store, key));
    if (!in) return std::nullopt;
    try {
        return resultFromJson(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;      // an unreadable record is no cache hit; the build runs again
    } catch (const ParseError&) { // a damaged toolchain hash
        return std::nullopt;      // an unreadable record is no cache hit; the build runs again
    }
}

void writeRecord(const store::Store& store, const BuildResult& result) {
    const fs::path path = recordPath(store, result.key);
    fs::create_directories(path.parent_path());
    const fs::path temporary = temporaryPath(store, result.key, "record");
    {
        std::ofstream out(temporary);
        out << result.toJson().dump(2) << '\n';
        if (!out) throwSystemError("cannot write build record", temporary.string());
    }
    fs::rename(temporary, path);
}

bool outputsPresent(const store::Store& store, const BuildResult& result) {
    for (const auto& output : result.outputs) {
        if (!store.lookupChecked(output.path.filename().string())) return false;
    }
    return !result.outputs.empty();
}

} // namespace detail
} // namespace xenbuild::builder
