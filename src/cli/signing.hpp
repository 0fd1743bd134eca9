#pragma once
// The signature options shared by update, verify and xsa import. By default the Xen Project
// code-signing key shipped with xenbuild is trusted (keys/ next to the recipes, else the
// source tree's). `--keyring FILE --trust FINGERPRINT` replace it: maintainers use them to try
// a new key and the tests to trust a key they generate. They are hidden from --help.

#include "cli/context.hpp"
#include "xenbuild/fetch/signature.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xenbuild::cli {

struct SigningOptions {
    std::vector<std::filesystem::path> keyrings; // armored public key files
    std::string trust;                           // fingerprint to require
};

void addSigningOptions(CLI::App& command, SigningOptions& options);

fetch::SignatureVerifier makeVerifier(const SigningOptions& options, const GlobalOptions& global);

} // namespace xenbuild::cli
