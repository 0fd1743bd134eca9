#include "fetch/git.hpp"

#include <catch2/catch.hpp>

using xenbuild::fetch::detail::parseGitmodules;
using xenbuild::fetch::detail::resolveSubmoduleUrl;

TEST_CASE("fetch::detail::resolveSubmoduleUrl resolves relative URLs like git", "[fetch][git]") {
    CHECK(resolveSubmoduleUrl("https://host/git/qemu.git", "../keycodemapdb.git") ==
          "https://host/git/keycodemapdb.git");
    CHECK(resolveSubmoduleUrl("https://host/git/qemu.git/", "../../other/x") ==
          "https://host/other/x");
    CHECK(resolveSubmoduleUrl("/srv/repos/main", "./sub") == "/srv/repos/main/sub");
    CHECK(resolveSubmoduleUrl("git@host:org/repo.git", "../dep.git") == "git@host:org/dep.git");
    CHECK(resolveSubmoduleUrl("https://host/a.git", "https://elsewhere/b.git") ==
          "https://elsewhere/b.git");
}

TEST_CASE("fetch::detail::parseGitmodules maps paths to URLs", "[fetch][git]") {
    const auto urls = parseGitmodules("[submodule \"ui/keycodemapdb\"]\n"
                                      "\tpath = ui/keycodemapdb\n"
                                      "\turl = ../keycodemapdb.git\n"
                                      "# a comment\n"
                                      "[submodule \"dtc\"]\n"
                                      "  url = \"https://host/dtc.git\"\n"
                                      "  path=dtc\n"
                                      "[submodule \"incomplete\"]\n"
                                      "  path = nowhere\n");
    REQUIRE(urls.size() == 2);
    CHECK(urls.at("ui/keycodemapdb") == "../keycodemapdb.git");
    CHECK(urls.at("dtc") == "https://host/dtc.git");
}
