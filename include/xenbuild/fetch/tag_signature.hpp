#pragma once
// Signed annotated git tags, verified from the raw tag object without any git library.
//
// The input is the tag object exactly as `git cat-file tag NAME` prints it:
//
//   object <hex id>\ntype commit\ntag NAME\ntagger Name <mail> 1700000000 +0000\n\n
//   message...\n-----BEGIN PGP SIGNATURE-----\n...\n-----END PGP SIGNATURE-----\n
//
// Like git, the signature is everything from the last line starting with
// "-----BEGIN PGP SIGNATURE-----" to the end, and the signed payload is everything before it.
// Only OpenPGP signatures are recognised: a tag signed with SSH or X.509 (git's other signature
// formats) counts as unsigned and is refused.
// A lightweight tag has no tag object at all (the ref points straight at a commit): telling
// the two apart is the caller's job, who then has nothing to pass here and must refuse the tag.

#include "xenbuild/fetch/signature.hpp"

#include <string>
#include <string_view>

namespace xenbuild::fetch {

struct VerifiedTag {
    std::string tagName;    // the "tag" header
    std::string objectId;   // the "object" header: the tagged object (a commit for releases)
    std::string objectType; // the "type" header
    std::string tagger;     // the "tagger" header without its timestamp ("" when absent)
    std::string message;    // the tag message, without the signature
    SignatureInfo signature;
};

// The unsigned payload and the armored signature of a tag object ("" when it is unsigned).
struct TagObjectParts {
    std::string_view payload;
    std::string_view signature;
};
TagObjectParts splitTagObject(std::string_view rawTag);

// Parses the tag object and verifies its signature with `verifier`. Throws ParseError when the
// bytes are not a tag object and SignatureError when the tag is unsigned or its signature is
// not acceptable (see SignatureVerifier). When `expectedName` is given (the ref the object was
// read from, e.g. "RELEASE-4.19.0"), a tag object carrying another name is refused too: a
// correctly signed tag must not be replayed under a different ref.
VerifiedTag verifyTagObject(std::string_view rawTag, const SignatureVerifier& verifier,
                            std::string_view expectedName = {});

} // namespace xenbuild::fetch
