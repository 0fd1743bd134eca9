#include "update/release.hpp"

#include "xenbuild/fetch/tag_signature.hpp"
#include "xenbuild/util/error.hpp"

#include <map>

namespace xenbuild::update::detail {

bool isCommitId(const std::string& text) {
    return text.size() == 40 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::pair<std::string, std::string> verifyReleaseTag(const fetch::GitCache& cache,
                                                     const std::string& tag,
                                                     const fetch::SignatureVerifier& verifier) {
    const std::string where = "tag " + quote(tag) + " of " + quote(cache.url());
    return withContext("while verifying " + where, [&] {
        const auto raw = cache.tagObject(tag);
        if (!raw) {
            throw SignatureError(where +
                                 " is a lightweight tag: it carries no signature, refusing it");
        }
        const auto verified = fetch::verifyTagObject(*raw, verifier, tag);
        if (verified.objectType != "commit") {
            throw SignatureError(where + " tags a " + verified.objectType + ", not a commit");
        }
        const std::string commit = cache.tagCommit(tag);
        if (commit != verified.objectId) {
            throw SignatureError(where + " resolves to " + commit + " but its signed object is " +
                                 verified.objectId);
        }
        return std::pair{commit,
                         verified.signature.uid + " (" + verified.signature.fingerprint + ")"};
    });
}

VerifiedRelease readRelease(const fetch::GitCache& cache, const Release& release,
                            const fetch::SignatureVerifier& verifier) {
    VerifiedRelease out;
    out.release = release;
    std::tie(out.commit, out.signer) = verifyReleaseTag(cache, release.tag, verifier);
    const std::string tree = quote(release.tag) + " of " + quote(cache.url());
    std::map<std::string, std::string> files;
    for (const std::string_view name : {kConfigMk, kEtherbootMakefile}) {
        if (auto text = cache.readFile(out.commit, std::string(name))) {
            files[std::string(name)] = std::move(*text);
        }
    }
    if (files.count(std::string(kConfigMk)) == 0) {
        throw ParseError(tree + " has no " + std::string(kConfigMk) +
                         ": it does not look like a Xen tree");
    }
    out.pins = readComponentPins(files);
    const auto support = cache.readFile(out.commit, std::string(kSupportMd));
    if (!support) throw ParseError(tree + " has no " + std::string(kSupportMd));
    out.support = parseSupportDates(*support, std::string(kSupportMd) + " of " + tree);
    return out;
}

} // namespace xenbuild::update::detail
