#pragma once
// What the updater reads out of a tagged Xen tree: the component pins in Config.mk and
// tools/firmware/etherboot/Makefile, and the support dates in SUPPORT.md.

#include "xenbuild/recipe/recipe_set.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::update {

inline constexpr std::string_view kConfigMk = "Config.mk";
inline constexpr std::string_view kEtherbootMakefile = "tools/firmware/etherboot/Makefile";
inline constexpr std::string_view kSupportMd = "SUPPORT.md";

// Where each component's pin lives in the Xen tree.
struct PinSource {
    std::string component; // the recipes' source name: "qemu"
    std::string_view file; // kConfigMk or kEtherbootMakefile
    std::string variable;  // "QEMU_UPSTREAM_REVISION"
};
const std::vector<PinSource>& pinSources();

// The simple variable assignments of a makefile (`NAME ?= v`, `NAME := v`, `NAME = v`,
// comments stripped), with `$(NAME)` / `${NAME}` references to other variables of the same
// file expanded. `?=` does not override an earlier assignment. Conditionals are not evaluated:
// the assignments are read in file order.
std::map<std::string, std::string> makefileVariables(std::string_view text);

// One pin: the value as written after expansion ("rel-1.16.3", a commit id) and where.
struct ComponentPin {
    std::string component;
    std::string value;
    std::string where; // "Config.mk:QEMU_UPSTREAM_REVISION"
};

// Reads every pin from the files of a tree (`files` maps kConfigMk / kEtherbootMakefile to their
// content). A pin whose variable is missing or empty is left out.
std::vector<ComponentPin> readComponentPins(const std::map<std::string, std::string>& files);

// The dates of SUPPORT.md ("Initial-Release:", "Supported-Until:", "Security-Support-Until:",
// YYYY-MM-DD). Throws ParseError naming `what` when one is missing or not a date.
recipe::SupportDates parseSupportDates(std::string_view text, const std::string& what);

} // namespace xenbuild::update
