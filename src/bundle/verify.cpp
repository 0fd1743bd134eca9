// Checking a bundle (verify.hpp): files and digests, SBOM and provenance against the archives,
// signatures against a key.

#include "xenbuild/bundle/verify.hpp"

#include "xenbuild/bundle/bundle.hpp"
#include "xenbuild/bundle/checksums.hpp"
#include "xenbuild/bundle/provenance.hpp"
#include "xenbuild/fetch/signature.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/hash.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <stdexcept>

namespace fs = std::filesystem;

namespace xenbuild::bundle {

namespace {

using nlohmann::json;
using Digests = std::map<std::string, std::string>; // file name -> sha256 hex

constexpr std::uint64_t kMaxDocumentBytes = 64 * util::kMiB;

bool endsWith(const std::string& text, std::string_view suffix) {
    return text.size() > suffix.size() && text.ends_with(suffix);
}

// What the bundle directory holds and what SHA256SUMS says of it.
struct Contents {
    fs::path dir;
    std::set<std::string> files; // regular files, by name
    Digests actual;              // every file but SHA256SUMS and its signature
    Digests listed;              // SHA256SUMS
    std::string sumsText;
    bool haveSums = false;
};

Contents readContents(const fs::path& dir, std::vector<std::string>& problems) {
    Contents contents;
    contents.dir = dir;
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (!it->is_regular_file(error) || it->is_symlink(error)) {
            problems.push_back(quote(name) + " is not a regular file: a bundle holds only files");
            continue;
        }
        contents.files.insert(name);
    }
    if (error)
        throw SystemError("cannot list the bundle " + quote(dir.string()) + ": " + error.message());
    for (const auto& name : contents.files) {
        if (name == kSumsName || name == kSumsSignatureName) continue;
        contents.actual[name] = util::sha256File(dir / name).hex();
    }
    if (contents.files.count(kSumsName) == 0) {
        problems.push_back(std::string("missing file ") + quote(kSumsName) +
                           ": the bundle's digests cannot be checked");
        return contents;
    }
    contents.haveSums = true;
    contents.sumsText =
        util::readRegularFile(dir / kSumsName, {.what = kSumsName, .maxBytes = util::kMiB});
    for (const auto& line : parseChecksums(contents.sumsText, problems))
        contents.listed[line.name] = line.sha256.hex();
    return contents;
}

void checkDigests(const Contents& contents, std::vector<std::string>& problems) {
    for (const auto& [name, expected] : contents.listed) {
        const auto actual = contents.actual.find(name);
        if (name == kSumsName || name == kSumsSignatureName) {
            problems.push_back(std::string(kSumsName) + " lists " + quote(name) +
                               ", which it cannot cover");
        } else if (actual == contents.actual.end()) {
            problems.push_back("missing file " + quote(name) + " (listed in SHA256SUMS)");
        } else if (actual->second != expected) {
            problems.push_back(quote(name) + " was modified: SHA256SUMS says sha256 " + expected +
                               ", the file has sha256 " + actual->second);
        }
    }
    if (!contents.haveSums) return;
    for (const auto& [name, actual] : contents.actual)
        if (contents.listed.count(name) == 0)
            problems.push_back("extra file " + quote(name) + " (not listed in SHA256SUMS)");
}

// The one file named `*suffix` the bundle has or lists; "" (with a problem) when there is none
// or more than one.
std::string documentName(const Contents& contents, std::string_view suffix, const char* what,
                         std::vector<std::string>& problems) {
    std::set<std::string> names;
    for (const auto& name : contents.files)
        if (endsWith(name, suffix)) names.insert(name);
    for (const auto& [name, digest] : contents.listed)
        if (endsWith(name, suffix)) names.insert(name);
    if (names.size() == 1) return *names.begin();
    problems.push_back(
        names.empty() ? std::string("the bundle has no ") + what + " (*" + std::string(suffix) + ")"
                      : std::string("the bundle has ") + std::to_string(names.size()) + " " + what +
                            "s (*" + std::string(suffix) + "); expected one");
    return "";
}

std::optional<json> readJson(const Contents& contents, const std::string& name,
                             std::vector<std::string>& problems) {
    if (name.empty() || contents.files.count(name) == 0) return std::nullopt; // reported
    try {
        return json::parse(util::readRegularFile(contents.dir / name,
                                                 {.what = name, .maxBytes = kMaxDocumentBytes}));
    } catch (const json::exception& error) {
        problems.push_back(quote(name) + " is not valid JSON: " + error.what());
        return std::nullopt;
    }
}

// Archive name -> sha256 the SBOM gives it (its packages of purpose ARCHIVE).
Digests sbomDigests(const json& sbom, const std::string& name, std::vector<std::string>& problems) {
    Digests digests;
    try {
        for (const auto& package : sbom.at("packages")) {
            if (package.value("primaryPackagePurpose", "") != "ARCHIVE") continue;
            const auto file = package.at("packageFileName").get<std::string>();
            for (const auto& checksum : package.at("checksums"))
                if (checksum.at("algorithm") == "SHA256")
                    digests[file] = checksum.at("checksumValue").get<std::string>();
        }
    } catch (const json::exception& error) {
        problems.push_back(quote(name) + " is not an SPDX document of a bundle: " + error.what());
    }
    return digests;
}

struct Envelope {
    std::string payloadType;
    std::string payload;                                         // decoded
    std::vector<std::pair<std::string, std::string>> signatures; // keyid, decoded signature
};

std::optional<Envelope> readEnvelope(const json& document, const std::string& name,
                                     std::vector<std::string>& problems) {
    try {
        Envelope envelope;
        envelope.payloadType = document.at("payloadType").get<std::string>();
        const auto payload = util::fromBase64(document.at("payload").get<std::string>());
        if (!payload) throw std::invalid_argument("its payload is not base64");
        envelope.payload = *payload;
        for (const auto& signature : document.at("signatures")) {
            const auto sig = util::fromBase64(signature.at("sig").get<std::string>());
            if (!sig) throw std::invalid_argument("a signature is not base64");
            envelope.signatures.emplace_back(signature.value("keyid", ""), *sig);
        }
        if (envelope.payloadType != kPayloadType)
            throw std::invalid_argument("its payloadType is " + quote(envelope.payloadType) +
                                        ", not " + quote(kPayloadType));
        return envelope;
    } catch (const std::exception& error) {
        problems.push_back(quote(name) + " is not a DSSE envelope of a bundle: " + error.what());
        return std::nullopt;
    }
}

// Archive name -> sha256 the provenance statement gives it (its subjects).
Digests statementDigests(const std::string& payload, const std::string& name,
                         std::vector<std::string>& problems) {
    Digests digests;
    try {
        const json statement = json::parse(payload);
        if (statement.at("_type") != kStatementType ||
            statement.at("predicateType") != kProvenanceType)
            throw std::invalid_argument(std::string("expected an in-toto statement of type ") +
                                        kProvenanceType);
        for (const auto& subject : statement.at("subject"))
            digests[subject.at("name").get<std::string>()] =
                subject.at("digest").at("sha256").get<std::string>();
    } catch (const std::exception& error) {
        problems.push_back("the provenance in " + quote(name) +
                           " is not SLSA provenance of a bundle: " + error.what());
    }
    return digests;
}

// Every archive, in the directory or named anywhere, has the digest the SBOM and the
// provenance give it.
void checkArchives(const Contents& contents, const Digests& sbom, const std::string& sbomFile,
                   const Digests& provenance, const std::string& provenanceFile,
                   VerifyReport& report) {
    std::set<std::string> archives;
    for (const auto& name : contents.files)
        if (endsWith(name, ".tar.zst")) archives.insert(name);
    for (const auto* digests : {&contents.listed, &sbom, &provenance})
        for (const auto& [name, digest] : *digests)
            if (endsWith(name, ".tar.zst")) archives.insert(name);
    if (archives.empty()) report.problems.push_back("the bundle has no archive (*.tar.zst)");
    for (const auto& name : archives) {
        report.archives.push_back(name);
        const auto actual = contents.actual.find(name);
        if (actual == contents.actual.end()) {
            if (contents.listed.count(name) == 0)
                report.problems.push_back("missing file " + quote(name) +
                                          " (named by the SBOM or the provenance)");
            continue;
        }
        auto compare = [&](const Digests& digests, const std::string& document, bool read) {
            if (!read) return;
            const auto named = digests.find(name);
            if (named == digests.end()) {
                report.problems.push_back(quote(document) + " does not name the archive " +
                                          quote(name));
            } else if (named->second != actual->second) {
                report.problems.push_back(quote(document) + " names sha256 " + named->second +
                                          " for " + quote(name) + ", but the archive has sha256 " +
                                          actual->second);
            }
        };
        compare(sbom, sbomFile, !sbomFile.empty());
        compare(provenance, provenanceFile, !provenanceFile.empty());
    }
}

void checkSignatures(const Contents& contents, const std::optional<Envelope>& envelope,
                     const fetch::SignatureVerifier* verifier, VerifyReport& report) {
    const bool sumsSigned = contents.files.count(kSumsSignatureName) != 0;
    const bool envelopeSigned = envelope && !envelope->signatures.empty();
    if (envelopeSigned) report.signer = envelope->signatures.front().first;
    if (!sumsSigned && !envelopeSigned) {
        report.signature = SignatureState::Unsigned;
        if (verifier != nullptr)
            report.problems.push_back("the bundle is not signed (no " +
                                      std::string(kSumsSignatureName) +
                                      ", no signature in the provenance), but a key to check it "
                                      "against was given");
        return;
    }
    if (verifier == nullptr) {
        report.signature = SignatureState::NotChecked;
        return;
    }
    const std::size_t before = report.problems.size();
    auto check = [&](std::string_view data, std::string_view signature, const std::string& what) {
        try {
            const auto info = verifier->verifyDetached(data, signature, what);
            report.signer = info.fingerprint;
        } catch (const SignatureError& error) {
            report.problems.push_back(error.what());
        }
    };
    if (!sumsSigned)
        report.problems.push_back(std::string("missing file ") + quote(kSumsSignatureName) +
                                  ": the provenance is signed, SHA256SUMS is not");
    else if (contents.haveSums)
        check(contents.sumsText,
              util::readRegularFile(contents.dir / kSumsSignatureName,
                                    {.what = kSumsSignatureName, .maxBytes = util::kMiB}),
              kSumsName);
    if (!envelopeSigned)
        report.problems.push_back("the provenance is not signed, SHA256SUMS is");
    else
        for (const auto& [keyid, sig] : envelope->signatures)
            check(dssePae(envelope->payloadType, envelope->payload), sig,
                  "the provenance (DSSE signature by " + quote(keyid) + ")");
    report.signature =
        report.problems.size() == before ? SignatureState::Verified : SignatureState::Bad;
}

} // namespace

VerifyReport verifyBundle(const fs::path& dir, const std::optional<fs::path>& keyFile) {
    std::error_code error;
    if (!fs::is_directory(dir, error))
        throw SystemError("cannot verify the bundle " + quote(dir.string()) + ": not a directory");
    std::optional<fetch::SignatureVerifier> verifier;
    if (keyFile) verifier.emplace(fetch::SignatureVerifier::trustingKeyFile(*keyFile));
    VerifyReport report;
    const Contents contents = readContents(dir, report.problems);
    checkDigests(contents, report.problems);

    const std::string sbomFile = documentName(contents, ".spdx.json", "SBOM", report.problems);
    const std::string provenanceFile =
        documentName(contents, ".intoto.jsonl", "provenance", report.problems);
    Digests sbom;
    if (const auto document = readJson(contents, sbomFile, report.problems))
        sbom = sbomDigests(*document, sbomFile, report.problems);
    std::optional<Envelope> envelope;
    Digests provenance;
    if (const auto document = readJson(contents, provenanceFile, report.problems))
        envelope = readEnvelope(*document, provenanceFile, report.problems);
    if (envelope) provenance = statementDigests(envelope->payload, provenanceFile, report.problems);
    checkArchives(contents, sbom, contents.files.count(sbomFile) != 0 ? sbomFile : "", provenance,
                  envelope ? provenanceFile : "", report);
    checkSignatures(contents, envelope, verifier ? &*verifier : nullptr, report);
    return report;
}

} // namespace xenbuild::bundle
