#pragma once
// Paths of the checkout under test, generated once by CMake (tests/support/test_paths.cpp.in)
// rather than passed as compile definitions, so that test objects are identical across work
// trees and a compiler cache can share them.

namespace xenbuild::testing {

const char* sourceDir();      // the source checkout
const char* testDataDir();    // tests/data
const char* goldenDir();      // tests/golden
const char* xenbuildBinary(); // the built xenbuild executable

} // namespace xenbuild::testing
