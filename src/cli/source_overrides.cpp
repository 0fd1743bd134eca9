#include "cli/source_overrides.hpp"

#include "xenbuild/util/error.hpp"

namespace xenbuild::cli {

std::map<std::string, std::filesystem::path>
parseSourceOverrides(const std::vector<std::string>& items) {
    std::map<std::string, std::filesystem::path> overrides;
    for (const auto& item : items) {
        const auto equals = item.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == item.size()) {
            throw UsageError("--override-source expects NAME=DIR, got " + quote(item));
        }
        overrides[item.substr(0, equals)] =
            std::filesystem::absolute(item.substr(equals + 1)).lexically_normal();
    }
    return overrides;
}

void addBuiltWithOptions(CLI::App& command, BuiltWithArgs& args) {
    command
        .add_option("--override-source", args.overrides,
                    "The source overrides the package was built with")
        ->type_name("NAME=DIR");
    command.add_flag("--skip-inapplicable-patches", args.skipInapplicable,
                     "The package was built with --skip-inapplicable-patches");
    command
        .add_option("--exclude-patch", args.excludedPatches,
                    "The patches the package was built without")
        ->type_name("ID");
}

builder::BuildOptions buildOptionsFrom(const BuiltWithArgs& args) {
    builder::BuildOptions options;
    options.sourceOverrides = parseSourceOverrides(args.overrides);
    options.skipInapplicablePatches = args.skipInapplicable;
    options.excludedPatches = args.excludedPatches;
    return options;
}

} // namespace xenbuild::cli
