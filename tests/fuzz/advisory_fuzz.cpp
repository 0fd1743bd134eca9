// Fuzz target: the advisory parser (update/advisory.hpp) on verified text, as `xsa import`
// hands it over after the signature check (the check itself is gpgme's).
//
// Checked: text that is not an advisory is a ParseError naming the source; a parsed advisory
// has a number, a title, a description, and patch files with a name.

#include "fuzz/fuzz_support.hpp"
#include "xenbuild/update/advisory.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace xenbuild;
    update::Advisory advisory;
    try {
        advisory = update::parseAdvisoryText(fuzz::asText(data, size), "advisory.txt");
    } catch (const ParseError& e) {
        fuzz::check(std::string_view(e.what()).find("advisory.txt") != std::string_view::npos,
                    std::string("an advisory error that does not name the advisory: ") + e.what());
        return 0;
    } catch (const std::exception& e) {
        fuzz::fail(std::string("the advisory parser threw outside ParseError: ") + e.what());
    }
    fuzz::check(!advisory.title.empty() && !advisory.description.empty(),
                "an advisory without a title or a description");
    fuzz::check(advisory.id() == "XSA-" + std::to_string(advisory.number), "a malformed id");
    for (const auto& patch : advisory.patches)
        fuzz::check(!patch.file.empty(), "a patch without a file name");
    return 0;
}
