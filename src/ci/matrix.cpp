#include "xenbuild/ci/matrix.hpp"

#include "xenbuild/fetch/git_history.hpp"
#include "xenbuild/recipe/json.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <map>

namespace fs = std::filesystem;

namespace xenbuild::ci {

namespace {

// Every file of `dir` (a path of the layout) at `commit`, keyed by its layout path; nothing
// when `dir` is outside the work tree (patches/ beside a recipes/ at its top).
void addFilesAt(const fetch::GitHistory& history, const std::string& commit, const fs::path& dir,
                recipe::RecipeFiles& files) {
    fs::path relative;
    try {
        relative = history.relativePath(dir);
    } catch (const UsageError&) {
        return;
    }
    const auto limit = std::max(recipe::kMaxRecipeBytes, util::kMaxPatchBytes);
    for (auto& [path, text] : history.filesAt(commit, relative, limit))
        files.emplace(dir / path, std::move(text));
}

// The recipe set at the base commit, or the error that keeps it from loading.
std::optional<recipe::RecipeSet> loadBase(const fetch::GitHistory& history,
                                          const recipe::RecipeLayout& layout, Base& base) {
    try {
        recipe::RecipeFiles files;
        addFilesAt(history, base.commit, layout.recipes, files);
        addFilesAt(history, base.commit, layout.patches, files);
        return recipe::RecipeSet::load(layout, files);
    } catch (const ParseError& e) {
        base.loadError = e.describe();
    } catch (const EvalError& e) {
        base.loadError = e.describe();
    } catch (const SystemError& e) { // the in-memory reader's refusals (a directory, a limit)
        base.loadError = e.describe();
    }
    return std::nullopt;
}

// Why `job` is in the matrix against `base`, or nullopt when it is not.
std::optional<Change> changeOf(const Job& job, const recipe::RecipeSet* baseSet, const Base& base,
                               const MatrixOptions& options) {
    if (baseSet == nullptr) return Change::NoBase;
    const auto names = baseSet->packageNames();
    if (std::find(names.begin(), names.end(), job.name) == names.end()) return Change::New;
    util::Hash before;
    try {
        before = recipe::evaluate(*baseSet, job.name, options.overrides, options.eval).hash;
    } catch (const Error&) {
        return Change::NoBase;
    }
    if (before != job.planHash) return Change::Plan;
    if (!base.toolChanges.empty()) return Change::Tool;
    return std::nullopt;
}

} // namespace

std::string_view toString(Change change) {
    switch (change) {
    case Change::All:
        return "all";
    case Change::New:
        return "new";
    case Change::Plan:
        return "plan";
    case Change::Tool:
        return "tool";
    case Change::NoBase:
        return "no-base";
    }
    return "all";
}

nlohmann::json Job::toJson() const {
    return {{"name", name},
            {"aliases", aliases},
            {"version", version},
            {"variant", variant},
            {"branch", branch},
            {"planHash", planHash.sri()},
            {"securitySupport", recipe::toString(securitySupport)},
            {"securitySupportUntil", util::formatDate(securitySupportUntil)},
            {"change", toString(change)}};
}

nlohmann::json Matrix::toJson() const {
    nlohmann::json jobList = nlohmann::json::array();
    for (const auto& job : jobs)
        jobList.push_back(job.toJson());
    nlohmann::json baseJson = nullptr;
    if (base) {
        baseJson = {{"rev", base->rev},
                    {"commit", base->commit},
                    {"toolChanges", base->toolChanges},
                    {"loadError", base->loadError.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(base->loadError)}};
    }
    return {{"packages", packages}, {"base", baseJson}, {"jobs", std::move(jobList)}};
}

const std::vector<std::string>& planCodePaths() {
    // The recipe module (reading, schema checks, evaluation, the plan hash), the schema compiled
    // into it, and the hashing the plan hash and its inputs are spelled with.
    static const std::vector<std::string> paths = {"src/recipe", "include/xenbuild/recipe",
                                                   "docs/recipe.schema.json", "src/util/hash.cpp",
                                                   "include/xenbuild/util/hash.hpp"};
    return paths;
}

Matrix computeMatrix(const recipe::RecipeSet& set, const recipe::RecipeLayout& layout,
                     const MatrixOptions& options) {
    std::vector<std::string> concrete;
    std::map<std::string, std::vector<std::string>> aliases;
    for (const auto& name : set.packageNames()) {
        const auto ref = set.resolve(name);
        if (ref.target == name) {
            concrete.push_back(name);
        } else {
            aliases[ref.target].push_back(name);
        }
    }
    Matrix matrix;
    std::vector<Job> jobs;
    for (const auto& name : concrete) {
        const auto plan = withContext("while evaluating " + quote(name), [&] {
            return recipe::evaluate(set, name, options.overrides, options.eval);
        });
        auto& named = aliases[name];
        std::sort(named.begin(), named.end());
        jobs.push_back(Job{.name = name,
                           .aliases = named,
                           .version = plan.version,
                           .variant = plan.variant,
                           .branch = plan.branch,
                           .planHash = plan.hash,
                           .securitySupport = plan.meta.securitySupport,
                           .securitySupportUntil = plan.meta.securitySupportUntil,
                           .change = Change::All});
    }
    matrix.packages = jobs.size();
    if (options.changedSince.empty()) {
        matrix.jobs = std::move(jobs);
        return matrix;
    }

    const fetch::GitHistory history(layout.recipes);
    Base base;
    base.rev = options.changedSince;
    base.commit = history.resolveCommit(options.changedSince);
    base.toolChanges = history.changedSince(base.commit, planCodePaths());
    const auto baseSet = loadBase(history, layout, base);
    for (auto& job : jobs) {
        const auto change = changeOf(job, baseSet ? &*baseSet : nullptr, base, options);
        if (!change) continue;
        job.change = *change;
        matrix.jobs.push_back(std::move(job));
    }
    matrix.base = std::move(base);
    return matrix;
}

nlohmann::json githubMatrix(const Matrix& matrix) {
    nlohmann::json include = nlohmann::json::array();
    for (const auto& job : matrix.jobs)
        include.push_back(job.toJson());
    return {{"include", std::move(include)}};
}

std::string gitlabJobName(const std::string& package) {
    std::string name = "build:" + package;
    for (auto& c : name) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == ':';
        if (!safe) c = '_';
    }
    return name;
}

std::string gitlabPipeline(const Matrix& matrix, const std::string& templateFile) {
    // Every scalar is written as a JSON string: a valid YAML double-quoted scalar.
    const auto str = [](const std::string& text) { return nlohmann::json(text).dump(); };
    std::string out = "# Generated by `xenbuild ci matrix --format gitlab` (docs/ci.md): a child "
                      "pipeline, one job per package.\n";
    if (matrix.jobs.empty()) {
        const std::string since =
            matrix.base ? " changed since commit " + matrix.base->commit : " in the recipes";
        out += "# No package to build; a child pipeline needs a job, so this one only says so.\n";
        out += str("no package to build") + ":\n  script:\n    - " +
               str("echo 'xenbuild ci matrix: no package" + since + "'") + "\n";
        return out;
    }
    out += "include:\n  - local: " + str(templateFile) + "\n";
    for (const auto& job : matrix.jobs) {
        out += "\n" + str(gitlabJobName(job.name)) + ":\n";
        out += "  extends: .xenbuild-package\n";
        out += "  variables:\n";
        const std::pair<const char*, std::string> variables[] = {
            {"XENBUILD_PACKAGE", job.name},
            {"XENBUILD_VERSION", job.version},
            {"XENBUILD_VARIANT", job.variant},
            {"XENBUILD_BRANCH", job.branch},
            {"XENBUILD_PLAN_HASH", job.planHash.sri()},
            {"XENBUILD_SECURITY_SUPPORT", std::string(recipe::toString(job.securitySupport))},
            {"XENBUILD_CHANGE", std::string(toString(job.change))}};
        for (const auto& [key, value] : variables)
            out += "    " + std::string(key) + ": " + str(value) + "\n";
    }
    return out;
}

} // namespace xenbuild::ci
