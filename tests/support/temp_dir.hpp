#pragma once
// The tests' temporary directory: util::TempDir directly under /tmp, whatever TMPDIR says (short
// paths: gpg-agent fails when GNUPGHOME is long), removed with everything in it afterwards,
// including trees the store made read-only.

#include "xenbuild/util/temp_dir.hpp"

#include <string>

namespace xenbuild::test {

class TempDir : public util::TempDir {
  public:
    explicit TempDir(const std::string& prefix = "xb-") : util::TempDir(prefix, "/tmp") {}
};

} // namespace xenbuild::test
