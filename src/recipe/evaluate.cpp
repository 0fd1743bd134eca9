#include "xenbuild/recipe/evaluate.hpp"

#include "eval_context.hpp"
#include "meta.hpp"
#include "validate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/paths.hpp"
#include "xenbuild/util/suggest.hpp"

namespace xenbuild::recipe {

namespace {

std::vector<std::string> parameterNames(const RecipeSet& set) {
    std::vector<std::string> names;
    for (const auto& p : set.parameters())
        names.push_back(p.name);
    return names;
}

ParamValue convertOverride(const RecipeSet& set, const Parameter& p, const std::string& text) {
    if (p.type == ParamType::Bool) {
        if (text == "true") return true;
        if (text == "false") return false;
    } else if (p.type == ParamType::Path) {
        if (util::absolutePathProblem(text).empty()) return text;
    } else {
        return text;
    }
    const std::string expected =
        p.type == ParamType::Bool ? "a bool (true or false)" : "an absolute, normalised path";
    const auto& doc = set.builder();
    const Position at = doc.positionOf(appendPointer("/parameters", p.name));
    throw EvalError(mention(Setting::BuildArgument) + " " + p.name + "=" + text + ": expected " +
                    expected + ", got " + quote(text) + "\n  parameter " + quote(p.name) +
                    " is declared as " + std::string(toString(p.type)) + " at " + doc.path + ":" +
                    std::to_string(at.line) + ":" + std::to_string(at.column));
}

std::map<std::string, ParamValue> resolveArgs(const RecipeSet& set, const Variant& variant,
                                              const Overrides& overrides,
                                              const EvalOptions& options) {
    const HostProfile& host = options.hostProfile ? *options.hostProfile : set.hostProfile();
    std::map<std::string, ParamValue> args;
    for (const auto& p : set.parameters()) {
        if (p.defaultValue) {
            args[p.name] = *p.defaultValue;
            continue;
        }
        const auto path = host.paths.find(p.hostProfileKey);
        if (path == host.paths.end()) {
            throw EvalError("host profile " + quote(host.name) + " has no path " +
                            quote(p.hostProfileKey) + ", which parameter " + quote(p.name) +
                            " takes its default from (add it to the profile's \"paths\")");
        }
        args[p.name] = path->second;
    }
    for (const auto& [name, value] : variant.args)
        args[name] = value;
    for (const auto& [name, text] : overrides) {
        const Parameter* p = set.parameter(name);
        if (p == nullptr) {
            throw EvalError(mention(Setting::BuildArgument) + " " + name + "=" + text +
                            ": unknown parameter " + quote(name) +
                            util::didYouMean(name, parameterNames(set)) +
                            " (parameters are declared in " + set.builder().path + ")");
        }
        args[name] = convertOverride(set, *p, text);
    }
    return args;
}

std::vector<SourcePin> pinSources(const RecipeSet& set, const BranchFile& branch,
                                  const detail::EvalContext& ctx) {
    std::vector<SourcePin> pins;
    const auto& uses = set.sources();
    for (std::size_t i = 0; i < uses.size(); ++i) {
        const SourceSpec& use = uses[i];
        const std::string pointer = "/sources/" + std::to_string(i);
        if (!use.condition.empty() && !ctx.condition(use.condition, pointer + "/if")) continue;
        const std::string& name = use.name;
        const auto it = std::find_if(branch.sources.begin(), branch.sources.end(),
                                     [&name](const auto& entry) { return entry.first == name; });
        if (it == branch.sources.end()) {
            throw EvalError(
                set.branchDocument(branch.branch)
                    .describeAt("/sources", "branch " + branch.branch + " has no pin for source " +
                                                quote(name) + ", which the builder uses"));
        }
        const SourceEntry& e = it->second;
        pins.push_back(SourcePin{.name = name,
                                 .url = use.url,
                                 .rev = e.rev,
                                 .tag = e.tag,
                                 .hash = util::Hash::parse(e.hash),
                                 .submodules = use.submodules,
                                 .stageAt = use.stageAt,
                                 .stageAs = use.stageAs});
    }
    return pins;
}

PatchRef patchRef(const PatchInfo& info, const std::string& branch) {
    const auto fuzz = info.fuzz.find(branch);
    return PatchRef{.id = info.id,
                    .project = info.project,
                    .url = info.url,
                    .sha256 = util::Hash::parse(info.sha256),
                    .fuzz = fuzz == info.fuzz.end() ? 0U : fuzz->second,
                    .local = info.local,
                    .xsa = info.xsa};
}

// Upstream patches, then local ones; patches for a component this package does not build (a
// QEMU patch in a slim build) are left out.
std::vector<PatchRef> collectPatches(const RecipeSet& set, const BranchFile& branch,
                                     const std::vector<SourcePin>& sources) {
    std::vector<const PatchInfo*> candidates = set.patchesFor(branch.branch);
    for (const auto& info : set.localPatches(branch.branch))
        candidates.push_back(&info);
    std::vector<PatchRef> patches;
    for (const PatchInfo* info : candidates) {
        const bool staged = std::any_of(sources.begin(), sources.end(),
                                        [info](const auto& s) { return s.name == info->project; });
        if (staged) patches.push_back(patchRef(*info, branch.branch));
    }
    return patches;
}

// The sizes at `pointer` (the schema asks for a non-empty list of integers in range; repeated
// here with a precise message).
std::vector<unsigned> sizesAt(const detail::EvalContext& ctx, const std::string& pointer) {
    const nlohmann::json::json_pointer at(pointer);
    if (!ctx.doc.value.contains(at) || !ctx.doc.value.at(at).is_array() ||
        ctx.doc.value.at(at).empty()) {
        throw ParseError(ctx.doc.describeAt(pointer, "expected a non-empty list of sizes in KiB"));
    }
    std::vector<unsigned> sizes;
    for (std::size_t i = 0; i < ctx.doc.value.at(at).size(); ++i) {
        sizes.push_back(static_cast<unsigned>(detail::boundedInteger(
            ctx.doc, pointer + "/" + std::to_string(i), 1, detail::kMaxImageKiB)));
    }
    return sizes;
}

// The `source` a check reads must be staged by this plan: a check of a component the package
// takes from the host needs the component's condition.
std::string sourceAt(const detail::EvalContext& ctx, const std::vector<SourcePin>& sources,
                     const std::string& pointer) {
    std::string name = ctx.stringAt(pointer);
    if (std::none_of(sources.begin(), sources.end(),
                     [&name](const SourcePin& s) { return s.name == name; })) {
        throw EvalError(ctx.doc.describeAt(
            pointer, "the check reads the source " + quote(name) +
                         ", which this plan does not stage (its condition is false): give the "
                         "check the source's condition"));
    }
    return name;
}

Check firmwareCheck(const detail::EvalContext& ctx, CheckKind kind, const std::string& params,
                    const std::vector<SourcePin>& sources) {
    const std::string path = ctx.stringAt(params + "/path");
    if (kind == CheckKind::Seabios) {
        return Check{.params = SeabiosParams{.path = path,
                                             .source = sourceAt(ctx, sources, params + "/source"),
                                             .extraVersion = ctx.stringAt(params + "/extraVersion"),
                                             .sizesKiB = sizesAt(ctx, params + "/sizesKiB")}};
    }
    if (kind == CheckKind::UefiFirmware) {
        return Check{.params = UefiFirmwareParams{.path = path,
                                                  .sizesKiB = sizesAt(ctx, params + "/sizesKiB")}};
    }
    return Check{.params = OptionRomParams{.path = path}};
}

Check programCheck(const detail::EvalContext& ctx, CheckKind kind, const std::string& params,
                   const std::vector<SourcePin>& sources) {
    const std::string path = ctx.stringAt(params + "/path");
    if (kind == CheckKind::Elf) {
        std::string elfClass = ctx.stringAt(params + "/class");
        if (elfClass != "ELF32" && elfClass != "ELF64") {
            throw ParseError(ctx.doc.describeAt(
                params + "/class", "expected \"ELF32\" or \"ELF64\", got " + quoteShort(elfClass)));
        }
        return Check{.params = ElfParams{.path = path, .elfClass = std::move(elfClass)}};
    }
    return Check{.params =
                     ProgramVersionParams{.path = path,
                                          .args = ctx.stringsAt(params + "/args"),
                                          .source = sourceAt(ctx, sources, params + "/source"),
                                          .versionFile = ctx.stringAt(params + "/versionFile"),
                                          .libraryPath = ctx.stringsAt(params + "/libraryPath")}};
}

// The check at `pointer` with its parameters interpolated.
Check checkOf(const detail::EvalContext& ctx, const nlohmann::json& kindName,
              const std::string& pointer, const std::vector<SourcePin>& sources) {
    const auto kind =
        kindName.is_string() ? parseCheckKind(kindName.get<std::string>()) : std::nullopt;
    if (!kind) {
        throw ParseError(ctx.doc.describeAt(
            pointer + "/kind", "unknown check kind " + quoteShort(kindName.dump()) +
                                   " (known: pe32plus, pkg-config, hypervisor-version, seabios, "
                                   "uefi-firmware, option-rom, program-version, elf)"));
    }
    const std::string params = pointer + "/params";
    const std::string path = ctx.stringAt(params + "/path");
    switch (*kind) {
    case CheckKind::Pe32Plus:
        return Check{.params = Pe32PlusParams{.path = path}};
    case CheckKind::PkgConfig:
        return Check{.params = PkgConfigParams{.path = path,
                                               .modules = ctx.stringsAt(params + "/modules"),
                                               .prefix = ctx.stringAt(params + "/prefix")}};
    case CheckKind::HypervisorVersion:
        return Check{.params = HypervisorVersionParams{
                         .path = path, .version = ctx.stringAt(params + "/version")}};
    case CheckKind::Seabios:
    case CheckKind::UefiFirmware:
    case CheckKind::OptionRom:
        return firmwareCheck(ctx, *kind, params, sources);
    case CheckKind::ProgramVersion:
    case CheckKind::Elf:
        break;
    }
    return programCheck(ctx, *kind, params, sources);
}

std::vector<Check> collectChecks(const detail::EvalContext& ctx,
                                 const std::vector<SourcePin>& sources) {
    std::vector<Check> checks;
    const auto& specs = ctx.doc.value.at("checks");
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const std::string pointer = "/checks/" + std::to_string(i);
        const auto& spec = specs[i];
        if (spec.contains("if") &&
            !ctx.condition(spec.at("if").get<std::string>(), pointer + "/if")) {
            continue;
        }
        checks.push_back(checkOf(ctx, spec.at("kind"), pointer, sources));
    }
    return checks;
}

// outputPaths, interpolated: absolute, normalised, each claimed by one output only.
std::map<std::string, std::vector<std::string>> collectOutputPaths(const detail::EvalContext& ctx) {
    std::map<std::string, std::vector<std::string>> result;
    if (!ctx.doc.value.contains("outputPaths")) return result;
    std::map<std::string, std::string> claimedBy;
    for (const auto& [output, paths] : ctx.doc.value.at("outputPaths").items()) {
        const std::string pointer = appendPointer("/outputPaths", output);
        for (std::size_t i = 0; i < paths.size(); ++i) {
            const std::string at = pointer + "/" + std::to_string(i);
            const std::string path = ctx.interpolate(paths[i].get<std::string>(), at);
            if (const auto problem = util::absolutePathProblem(path); !problem.empty()) {
                throw EvalError(
                    ctx.doc.describeAt(at, "the install path " + quote(path) + " " + problem));
            }
            if (const auto [it, added] = claimedBy.emplace(path, output); !added) {
                throw EvalError(ctx.doc.describeAt(
                    at, "the install path " + quote(path) + " is claimed by the outputs " +
                            quote(it->second) + " and " + quote(output)));
            }
            result[output].push_back(path);
        }
    }
    return result;
}

std::map<std::string, std::string> buildEnv(const detail::EvalContext& ctx) {
    std::map<std::string, std::string> env;
    for (const auto& [key, value] : ctx.doc.value.at("env").items()) {
        env[key] = ctx.interpolate(value.get<std::string>(), appendPointer("/env", key));
    }
    return env;
}

detail::EvalContext makeContext(const RecipeSet& set, const PackageRef& ref,
                                const BranchFile& branch, const Variant& variant,
                                std::map<std::string, ParamValue> args) {
    detail::EvalContext ctx{.doc = set.builder(), .args = std::move(args)};
    ctx.outputs = set.builder().value.at("outputs").get<std::vector<std::string>>();
    for (const auto& [name, value] : ctx.args)
        ctx.vars[name] = paramText(value);
    ctx.vars["pname"] = set.pname();
    ctx.vars["name"] = ref.target;
    ctx.vars["version"] = branch.version;
    ctx.vars["branch"] = branch.branch;
    ctx.vars["variant"] = ref.variant;
    ctx.vars["variant.description"] = variant.description;
    ctx.vars["variant.longDescription"] = variant.longDescription;
    ctx.vars.merge(detail::releaseVariables(branch.support.initialRelease));
    return ctx;
}

} // namespace

std::pair<std::string, std::string> parseOverride(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw UsageError(mention(Setting::BuildArgument) + " " + quote(text) +
                         ": expected NAME=VALUE, e.g. " + mention(Setting::BuildArgument) +
                         " withEFI=false");
    }
    return {text.substr(0, eq), text.substr(eq + 1)};
}

BuildPlan evaluate(const RecipeSet& set, const std::string& name, const Overrides& overrides,
                   const EvalOptions& options) {
    const PackageRef ref = set.resolve(name);
    return withContext("while evaluating " + quote(ref.target), [&] {
        const BranchFile& branch = set.branches().at(ref.branch);
        const Variant& variant = set.variants().at(ref.variant);
        const auto ctx =
            makeContext(set, ref, branch, variant, resolveArgs(set, variant, overrides, options));
        BuildPlan plan;
        plan.name = ref.target;
        plan.pname = set.pname();
        plan.version = branch.version;
        plan.branch = branch.branch;
        plan.variant = ref.variant;
        plan.args = ctx.args;
        plan.sources = pinSources(set, branch, ctx);
        plan.patches = collectPatches(set, branch, plan.sources);
        plan.configureFlags =
            ctx.stringItems(set.builder().value.at("configureFlags"), "/configureFlags");
        plan.makeFlags = ctx.stringItems(set.builder().value.at("makeFlags"), "/makeFlags");
        if (set.builder().value.contains("makeTargets")) {
            plan.makeTargets =
                ctx.stringItems(set.builder().value.at("makeTargets"), "/makeTargets");
        }
        plan.env = buildEnv(ctx);
        plan.outputs = ctx.outputs;
        plan.outputPaths = collectOutputPaths(ctx);
        plan.checks = collectChecks(ctx, plan.sources);
        plan.meta = detail::renderMeta(set, branch, ctx, plan.patches,
                                       options.today.value_or(util::currentDate()));
        plan.hash = computePlanHash(plan);
        return plan;
    });
}

} // namespace xenbuild::recipe
