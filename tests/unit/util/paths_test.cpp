#include "xenbuild/util/paths.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using xenbuild::util::confinementProblem;
using xenbuild::util::relativePathProblem;
namespace fs = std::filesystem;

TEST_CASE("util::relativePathProblem accepts plain relative paths only", "[util][paths]") {
    CHECK(relativePathProblem("tools/qemu-xen") == "");
    CHECK(relativePathProblem("tools/firmware/etherboot/ipxe.tar.gz") == "");
    CHECK(relativePathProblem(".config/a..b/...") == "");
    CHECK(relativePathProblem("") == "is empty");
    CHECK(relativePathProblem("../../../../victim") ==
          "has a '..' component; it must be normalised and stay inside its directory");
    CHECK(relativePathProblem("tools/../..") ==
          "has a '..' component; it must be normalised and stay inside its directory");
    CHECK(relativePathProblem("./tools") ==
          "has a '.' component; it must be normalised and stay inside its directory");
    CHECK(relativePathProblem("/etc") == "is absolute; it must be relative");
    CHECK(relativePathProblem("tools//qemu") == "has an empty component ('//' or a trailing '/')");
    CHECK(relativePathProblem("tools/") == "has an empty component ('//' or a trailing '/')");
    CHECK(relativePathProblem("..\\..\\x") == "contains a backslash; separate components with '/'");
    CHECK(relativePathProblem(std::string("a\0/b", 4)) == "contains a NUL byte");
    CHECK(relativePathProblem("a\nb") == "contains a control character");
}

TEST_CASE("util::confinementProblem refuses a path through a symbolic link", "[util][paths]") {
    xenbuild::testing::TempDir dir;
    fs::create_directories(dir / "tree/tools");
    fs::create_directory_symlink("/tmp", dir / "tree/escape");
    const fs::path root = dir / "tree";
    CHECK(confinementProblem(root, "") == "");
    CHECK(confinementProblem(root, "tools/qemu-xen") == "");
    CHECK(confinementProblem(root, "not/yet/there") == "");
    // The last component may be a link: it is replaced, not followed.
    CHECK(confinementProblem(root, "escape") == "");
    CHECK(confinementProblem(root, "escape/victim") ==
          "its component 'escape' is a symbolic link, which could lead out of '" + root.string() +
              "'");
    CHECK(confinementProblem(root, "../victim") ==
          "has a '..' component; it must be normalised and stay inside its directory");
}
