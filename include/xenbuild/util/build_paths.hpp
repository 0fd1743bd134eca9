#pragma once
// Paths fixed when xenbuild is configured. They live in one generated translation unit (not in
// compile definitions) so that the rest of the code compiles to the same objects in every
// checkout, which lets a compiler cache share them between work trees.

namespace xenbuild::util {

// The source checkout xenbuild was configured from (its recipes/ and keys/ are the defaults).
const char* sourceDir();

} // namespace xenbuild::util
