#pragma once
// A small upstream made with the git CLI at test time: `sub` (a repository used as a submodule)
// and `main` (executables, symlinks including a dangling one, nested directories, the submodule
// at `vendor/sub` with a relative URL, an annotated tag v1.0 and a lightweight tag v2 on a later
// commit). expectedHash() computes the nix-prefetch-git hash the slow way: git clone, checkout,
// submodule update, remove every .git, nix-hash.

#include "support/fixtures.hpp"

#include <string>

namespace xenbuild::testing {

struct GitFixture {
    fs::path root;
    fs::path main;
    fs::path sub;
    std::string v1; // commit of tag v1.0
    std::string v2; // commit of tag v2

    explicit GitFixture(const fs::path& dir) : root(dir), main(dir / "main"), sub(dir / "sub") {
        const std::string git = "git -c protocol.file.allow=always -c init.defaultBranch=master ";
        writeFile(sub / "sub.txt", "submodule file\n");
        writeFile(sub / "tool.sh", "#!/bin/sh\necho sub\n", true);
        runOk("cd " + shellQuote(sub.string()) + " && " + git + "init -q && " + git + "add -A && " +
              git + "commit -qm sub");
        writeFile(main / "README", "hello\n");
        writeFile(main / "bin" / "run", "#!/bin/sh\necho run\n", true);
        writeFile(main / "src" / "deep" / "file.c", "int x;\n");
        writeFile(main / "with space.txt", "space\n");
        fs::create_symlink("README", main / "link");
        fs::create_symlink("missing/target", main / "dangling");
        const std::string inMain = "cd " + shellQuote(main.string()) + " && ";
        runOk(inMain + git + "init -q && " + git + "submodule add -q ../sub vendor/sub && " + git +
              "add -A && " + git + "commit -qm one && " + git + "tag -a v1.0 -m release");
        v1 = trim(runOk(inMain + git + "rev-parse HEAD"));
        writeFile(main / "README", "hello again\n");
        runOk(inMain + git + "commit -qam two && " + git + "tag v2");
        v2 = trim(runOk(inMain + git + "rev-parse HEAD"));
    }

    // nix-prefetch-git's hash of `rev`, computed with the git CLI and nix-hash.
    std::string expectedHash(const std::string& rev, bool submodules) const {
        const fs::path clone = root / ("expected-" + rev + (submodules ? "-sub" : ""));
        const std::string git = "git -c protocol.file.allow=always ";
        std::string script = git + "clone -q " + shellQuote(main.string()) + " " +
                             shellQuote(clone.string()) + " && cd " + shellQuote(clone.string()) +
                             " && " + git + "checkout -q " + rev;
        if (submodules) script += " && " + git + "submodule update -q --init --recursive";
        script += " && find . -name .git -prune -exec rm -rf {} +";
        runOk(script);
        return nixHash(clone);
    }
};

} // namespace xenbuild::testing
