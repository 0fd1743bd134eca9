// xenbuild show PKG [--json]: the build plan of one package, readable or as canonical JSON.

#include "cli/commands.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "xenbuild/util/date.hpp"

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include <sstream>

namespace xenbuild::cli {

namespace {

void printList(std::ostream& os, const std::string& title, const std::vector<std::string>& items) {
    os << '\n' << title << ":\n";
    if (items.empty()) os << "  (none)\n";
    for (const auto& item : items)
        os << "  " << item << '\n';
}

// "pkg-config" then its parameters as key=value lines, lists joined by spaces.
std::string describeCheck(const recipe::Check& check) {
    auto text = [](const nlohmann::json& value) {
        return value.is_string() ? value.get<std::string>() : value.dump();
    };
    std::string out(recipe::toString(check.kind()));
    const auto params = check.paramsJson();
    for (const auto& [key, value] : params.items()) {
        std::string shown;
        if (value.is_array()) {
            for (const auto& item : value)
                shown += (shown.empty() ? "" : " ") + text(item);
        } else {
            shown = text(value);
        }
        out += "\n    " + key + "=" + shown;
    }
    return out;
}

void printHeader(std::ostream& os, const recipe::BuildPlan& plan) {
    os << plan.name << ": " << plan.meta.description << '\n'
       << "  version    " << plan.version << " (branch " << plan.branch << ", variant "
       << plan.variant << ")\n"
       << "  plan hash  " << plan.hash.sri() << '\n'
       << "  security   " << recipe::toString(plan.meta.securitySupport) << " (until "
       << util::formatDate(plan.meta.securitySupportUntil) << ")\n"
       << "  homepage   " << plan.meta.homepage << '\n';
    std::string args;
    for (const auto& [name, value] : plan.args) {
        args += "\n    " + name + "=" + recipe::paramText(value);
    }
    os << "  args" << args << '\n';
    std::string inTree;
    for (const auto& component : plan.inTree())
        inTree += (inTree.empty() ? "" : " ") + component;
    os << "  in-tree    " << (inTree.empty() ? "(none)" : inTree) << '\n';
}

void printSources(std::ostream& os, const recipe::BuildPlan& plan) {
    os << "\nsources (staged in this order):\n";
    for (const auto& s : plan.sources) {
        os << "  " << s.name << '\n'
           << "    url   " << s.url << (s.submodules ? " (with submodules)" : "") << '\n'
           << "    rev   " << s.rev << (s.tag.empty() ? "" : " (" + s.tag + ")") << '\n'
           << "    hash  " << s.hash.sri() << '\n'
           << "    stage " << (s.stageAt.empty() ? "." : s.stageAt) << " ("
           << recipe::toString(s.stageAs) << ")\n";
    }
}

void printPatches(std::ostream& os, const recipe::BuildPlan& plan) {
    os << "\npatches (applied in order with -p1):\n";
    if (plan.patches.empty()) os << "  (none)\n";
    for (std::size_t i = 0; i < plan.patches.size(); ++i) {
        const auto& p = plan.patches[i];
        os << "  " << i + 1 << ". " << p.id << " -> " << p.project
           << (p.fuzz > 0 ? ", fuzz " + std::to_string(p.fuzz) : "") << (p.local ? ", local" : "")
           << '\n'
           << "     " << p.url << '\n'
           << "     sha256 " << p.sha256.hex() << '\n';
    }
}

void printReadable(std::ostream& os, const recipe::BuildPlan& plan) {
    printHeader(os, plan);
    printSources(os, plan);
    printPatches(os, plan);
    printList(os, "configure flags", plan.configureFlags);
    printList(os, "make flags", plan.makeFlags);
    std::vector<std::string> env;
    for (const auto& [key, value] : plan.env)
        env.push_back(key + "=" + value);
    printList(os, "environment", env);
    std::string outputs;
    for (const auto& output : plan.outputs)
        outputs += (outputs.empty() ? "" : " ") + output;
    printList(os, "outputs", {outputs});
    std::vector<std::string> checks;
    for (const auto& check : plan.checks)
        checks.push_back(describeCheck(check));
    printList(os, "checks", checks);
}

} // namespace

void registerShow(CLI::App& app, GlobalOptions& global) {
    struct Options {
        std::string package;
        bool json = false;
        EvalArgs eval;
    };
    auto options = std::make_shared<Options>();
    auto* command = app.add_subcommand(
        "show", "Show the build plan of a package and the components it builds in-tree");
    command->add_option("PKG", options->package, "Package name or alias (see 'xenbuild list')")
        ->required();
    command->add_flag("--json", options->json,
                      "Print the plan as canonical JSON, including its hash and \"inTree\" "
                      "(the components it builds in-tree: the sources staged into Xen's tree, "
                      "e.g. [\"qemu\",\"seabios\",\"ovmf\",\"ipxe\"]; [] for slim packages)");
    addEvalOptions(*command, options->eval);
    command->callback([&global, options] {
        const auto overrides = overridesFrom(options->eval);
        const auto set = loadRecipes(global);
        const auto plan =
            recipe::evaluate(set, options->package, overrides, evalOptionsFrom(options->eval));
        Output output(global, options->json);
        if (output.json()) {
            output.json(plan.toJson());
            return;
        }
        std::ostringstream text;
        printReadable(text, plan);
        output.text(text.str());
    });
}

} // namespace xenbuild::cli
