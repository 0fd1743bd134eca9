#pragma once
// Git repositories holding objects git itself would never write (tree entries named "../x",
// ".git", "a/b", ...), made with `git hash-object --literally`, which skips git's checks.

#include "support/fixtures.hpp"

#include <string>

namespace xenbuild::testing {

// Makes a repository at `repo` whose master is one commit of the tree `root`, a Python
// expression over blob(bytes), tree(*entries) with entries (mode, name bytes, object id), the
// blob id B ("pwned\n"), the entry F (a harmless README) and the entry M (a .gitmodules
// holding `gitmodules`). Returns the commit id.
inline std::string makeHostileRepo(const fs::path& repo, const std::string& root,
                                   const std::string& gitmodules = "") {
    const std::string script =
        "import subprocess, sys\n"
        "repo = sys.argv[1]\n"
        "def git(*args, data=None):\n"
        "    return subprocess.run(['git', '-C', repo, *args], input=data, capture_output=True,\n"
        "                          check=True).stdout.strip().decode()\n"
        "def obj(kind, data):\n"
        "    return git('hash-object', '-w', '--literally', '-t', kind, '--stdin', data=data)\n"
        "def blob(data):\n"
        "    return obj('blob', data)\n"
        "def tree(*entries):\n"
        "    return obj('tree', b''.join(m.encode() + b' ' + n + b'\\0' + bytes.fromhex(h)\n"
        "                                for m, n, h in entries))\n"
        "B = blob(b'pwned\\n')\n"
        "F = ('100644', b'README', blob(b'hello\\n'))\n"
        "M = ('100644', b'.gitmodules', blob(b'''" +
        gitmodules +
        "'''))\n"
        "root = " +
        root +
        "\n"
        "commit = git('commit-tree', root, '-m', 'hostile')\n"
        "git('update-ref', 'refs/heads/master', commit)\n"
        "print(commit)\n";
    xenbuild::testing::runOk("git init -q " + xenbuild::testing::shellQuote(repo.string()));
    xenbuild::testing::writeFile(repo.string() + ".py", script);
    return xenbuild::testing::trim(xenbuild::testing::runOk(
        "/usr/bin/python3 " + xenbuild::testing::shellQuote(repo.string() + ".py") + " " +
        xenbuild::testing::shellQuote(repo.string())));
}

} // namespace xenbuild::testing
