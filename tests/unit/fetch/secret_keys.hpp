#pragma once
// Secret keys of the GpgFixture's test keys, exported to files as `xenbuild bundle --sign-key`
// reads them.

#include "unit/fetch/gpg_fixture.hpp"

#include <filesystem>
#include <string>

namespace xenbuild::testing {

// The armored secret key of `key` (no passphrase) in `dir`/<fingerprint>.sec.asc.
inline std::filesystem::path exportSecretKey(const TestKey& key, const std::filesystem::path& dir) {
    const auto file = dir / (key.fingerprint + ".sec.asc");
    writeFile(file,
              GpgFixture::instance().gpg({"--armor", "--export-secret-keys", key.fingerprint}));
    return file;
}

} // namespace xenbuild::testing
