#pragma once
// The bundle's provenance: an in-toto Statement v1 whose predicate is SLSA Provenance v1.0,
// wrapped in a DSSE envelope (https://github.com/secure-systems-lab/dsse).
//
//   subject                     every archive with its sha256
//   buildDefinition.buildType   kBuildType
//     externalParameters        the package, the plan (its JSON and hash), source overrides,
//                               excluded patches, and "deviations": one sentence per override
//                               or exclusion (absent when there is none)
//     internalParameters        build key, sandbox mode, toolchain, each patch's status
//     resolvedDependencies      sources (uri git+URL@rev, digest gitCommit and narSha256) and
//                               patches (uri, digest sha256), overridden sources as their
//                               local directory
//   runDetails.builder          id (BundleOptions::builderId), version: xenbuild and toolchain
//   runDetails.metadata         invocationId (the build key), startedOn, finishedOn

#include "xenbuild/bundle/bundle.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::bundle {

inline constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr const char* kProvenanceType = "https://slsa.dev/provenance/v1";
inline constexpr const char* kBuildType = "urn:xenbuild:build-type:plan:v1";
inline constexpr const char* kPayloadType = "application/vnd.in-toto+json";

nlohmann::json provenanceStatement(const BuildInfo& build, const std::vector<BundleFile>& archives,
                                   const std::string& builderId);

// DSSE's pre-authentication encoding, what a signature covers:
// "DSSEv1 <len(type)> <type> <len(body)> <body>".
std::string dssePae(std::string_view payloadType, std::string_view payload);

struct DsseSignature {
    std::string keyid; // the signing key's fingerprint
    std::string sig;   // the binary OpenPGP signature over dssePae()
};

// {"payloadType", "payload" (base64), "signatures": [{"keyid", "sig" (base64)}]}.
nlohmann::json dsseEnvelope(std::string_view payloadType, std::string_view payload,
                            const std::vector<DsseSignature>& signatures);

} // namespace xenbuild::bundle
