#pragma once
// The canonical form of a branch file (recipes/<pname>/<branch>.json). The updater rewrites
// these files; rendering is deterministic (fixed key order, two-space indentation, one trailing
// newline, no comments), so parsing a file and rendering it again is byte-identical.

#include "xenbuild/recipe/json.hpp"
#include "xenbuild/recipe/recipe_set.hpp"

#include <filesystem>
#include <string>

namespace xenbuild::recipe {

// Reads a schema-valid branch document, sources in the order of the file. Throws ParseError
// with the file position otherwise.
BranchFile parseBranchFile(const JsonDocument& document);

// The canonical text, sources in the order given (the updater and RecipeSet::load use the
// builder's order).
std::string renderBranchJson(const BranchFile& branch);

// Writes renderBranchJson() atomically (util::writeFileAtomic: a temporary beside it, renamed):
// the file is either the old or the new content, never half-written.
void writeBranchFile(const std::filesystem::path& path, const BranchFile& branch);

} // namespace xenbuild::recipe
