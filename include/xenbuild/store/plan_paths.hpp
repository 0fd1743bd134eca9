#pragma once
// Where a BuildPlan's sources and patches live in the store (whether fetched yet or not). This
// is what `xenbuild store path PKG` prints and what the builder stages from.

#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/store/store.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::store {

struct PlannedEntry {
    recipe::InputRole role = recipe::InputRole::Source;
    std::string name;           // source name or patch id
    std::string id;             // store entry id
    std::filesystem::path path; // <store>/<id>
    bool present = false;       // already in the store
};

// The store name of a patch file: the last segment of its URL, else its id.
std::string patchStoreName(const recipe::PatchRef& patch);

// Sources first (plan order), then patches (application order).
std::vector<PlannedEntry> planEntries(const recipe::BuildPlan& plan, const Store& store);

} // namespace xenbuild::store
