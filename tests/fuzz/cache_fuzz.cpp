// Fuzz target: what a binary cache sends (docs/cache.md), the NAR reader (store::restoreNar)
// and the narinfo parser (cache::parseNarInfo), on any bytes.
//
// Checked: bad input is only ever an xenbuild::Error; nothing is written outside the
// destination; a NAR the reader accepts is canonical: dumpNar of what it unpacked gives back
// exactly the input, and the hash it returned is that tree's narHash. A narinfo the parser
// accepts formats to text that parses to the same narinfo.

#include "fuzz/fuzz_support.hpp"
#include "xenbuild/cache/narinfo.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/hash.hpp"

#include <cstring>

namespace {

using namespace xenbuild;
namespace fs = std::filesystem;

void checkNar(std::string_view input) {
    const fs::path base = fuzz::scratch() / "cache";
    fuzz::resetDir(base);
    const fs::path dest = base / "out";
    std::size_t offset = 0;
    store::NarLimits limits;
    limits.bytes = 1 << 20;
    limits.entries = 1000;
    limits.depth = 16;
    util::Hash hash;
    const bool accepted = fuzz::expectOnlyErrors([&] {
        hash = store::restoreNar(
            [&](void* data, std::size_t length) {
                const std::size_t n = std::min(length, input.size() - offset);
                std::memcpy(data, input.data() + offset, n);
                offset += n;
                return n;
            },
            dest, "fuzz input", limits);
    });
    for (const auto& entry : fs::directory_iterator(base))
        fuzz::check(entry.path() == dest, "restoreNar wrote outside its destination");
    if (!accepted) return;
    std::string again;
    store::dumpNar(dest, [&](const void* data, std::size_t length) {
        again.append(static_cast<const char*>(data), length);
    });
    fuzz::check(again == input, "an accepted NAR does not serialise back to itself");
    fuzz::check(hash == store::narHash(dest), "restoreNar's hash is not the tree's narHash");
}

void checkNarInfo(std::string_view input) {
    cache::NarInfo info;
    if (!fuzz::expectOnlyErrors([&] { info = cache::parseNarInfo(std::string(input), "fuzz"); }))
        return;
    const std::string text = info.format();
    cache::NarInfo again;
    fuzz::check(fuzz::expectOnlyErrors([&] { again = cache::parseNarInfo(text, "formatted"); }),
                "a formatted narinfo does not parse");
    fuzz::check(again.format() == text, "a narinfo does not round-trip");
    (void)info.fingerprint();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::asText(data, size);
    checkNar(input);
    checkNarInfo(input);
    return 0;
}
