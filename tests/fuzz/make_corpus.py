#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the project's
own recipes, advisory and small made-up trees, patches and archives. Deterministic: rerunning it
gives the same files (archives carry fixed times and owners). Run it when the recipe format
changes, then review and commit the corpus:

    python3 tests/fuzz/make_corpus.py

Inputs that once broke a target do not belong here but in tests/fuzz/regressions/<target>/.
"""

import bz2
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
CORPUS = HERE / "corpus"


def write(target, name, data):
    path = CORPUS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def file_set(files):
    """The "==> NAME <==" format of tests/fuzz/fuzz_support.hpp."""
    out = ""
    for name, content in files:
        out += f"==> {name} <==\n{content}"
        if not content.endswith("\n"):
            out += "\n"
    return out


def recipe_texts():
    return {p.name: p.read_text() for p in sorted((SOURCE / "recipes/xen").glob("*.json"))}


def strip_comments(text):
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//")) + "\n"


def json_seeds():
    for name, text in recipe_texts().items():
        write("json", "recipe-" + name, text)
    write("json", "schema.json", (SOURCE / "docs/recipe.schema.json").read_text())
    write("json", "comments.json", '/* a */ {"kind": // b\n "branch", "x": [1, -2.5e3, true, '
          'false, null, "\\u00e9\\ud83d\\ude00\\n"] /* c */}\n')
    write("json", "unicode.json", '{"\u00e9t\u00e9": "\u65e5\u672c", "e": "\\"\\\\\\/\\b\\f\\t"}')
    write("json", "numbers.json", "[0, -0, 1e308, 18446744073709551615, -9223372036854775808, "
          "0.5e-3, 4294967296]")
    write("json", "host-profile-min.json", '{"kind": "host-profile", "name": "x", "paths": {}}')


def recipe_set_seeds():
    texts = recipe_texts()
    write("recipe_set", "full", file_set(
        [("recipes/xen/" + n, t) for n, t in texts.items()] + [("args", "withEFI=false\n")]))
    small = [("recipes/xen/" + n, strip_comments(t)) for n, t in texts.items()
             if n in ("builder.json", "variants.json", "patches.json", "host-profile.json",
                      "4.19.json")]
    small.append(("patches/4.19/0001-xen-fix-build-4.19.patch", PLAIN_PATCH))
    small.append(("args", "withFlask=true\nhostQEMU=/usr/bin/qemu\n"))
    write("recipe_set", "one-branch", file_set(small))


PLAIN_PATCH = """From: A Developer <dev@example.org>
Subject: [PATCH] x86: fix the build

A description before the diff, as XSA patches have.

--- a/xen/Makefile
+++ b/xen/Makefile
@@ -1,4 +1,5 @@
 # Xen
+CFLAGS += -O2
 all:
 \techo building
 
"""

MAKEFILE = "# Xen\nall:\n\techo building\n\ninstall:\n\techo installing\n"


def git(repo, *args):
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME="/nonexistent", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_AUTHOR_DATE="2024-01-01T00:00:00Z",
               GIT_COMMITTER_DATE="2024-01-01T00:00:00Z")
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=env,
                          capture_output=True).stdout.decode()


def git_patch_seed():
    """A `git diff` with every kind of file change, and the tree it applies to."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        git(repo, "init", "-q")
        before = {"xen/Makefile": MAKEFILE, "xen/common/old.c": "int old;\n" * 4,
                  "xen/common/moved.c": "int moved(void)\n{\n    return 1;\n}\n",
                  "tools/script.sh": "#!/bin/sh\necho hi\n", "README": "Xen\n"}
        for name, content in before.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(content)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "before")
        (repo / "xen/Makefile").write_text(MAKEFILE.replace("building", "building xen"))
        (repo / "xen/common/old.c").unlink()
        (repo / "xen/common/new.c").write_text("int new_thing;\n")
        (repo / "xen/common/moved.c").rename(repo / "xen/common/renamed.c")
        os.chmod(repo / "tools/script.sh", 0o755)
        (repo / "README").write_text("Xen hypervisor")  # no newline at the end
        git(repo, "add", "-A")
        diff = git(repo, "diff", "--cached", "-M")
    return file_set(list(before.items()) + [("0001-change.patch", diff)])


def patch_seeds():
    write("patch", "plain", file_set([("xen/Makefile", MAKEFILE), ("xsa.patch", PLAIN_PATCH)]))
    write("patch", "git", git_patch_seed())
    write("patch", "series-fuzz", file_set([
        ("fuzz", "2"),
        ("xen/Makefile", MAKEFILE.replace("# Xen", "# Xen hypervisor")),
        ("1.patch", PLAIN_PATCH),
        ("2.patch", "--- a/xen/Makefile\n+++ b/xen/Makefile\n@@ -5,2 +5,3 @@\n install:\n"
                    "+\tmkdir -p $(DESTDIR)\n \techo installing\n")]))
    write("patch", "crlf-create", file_set([
        ("dos.txt", "line one\r\nline two\r\n"),
        ("a.patch", "--- a/dos.txt\n+++ b/dos.txt\n@@ -1,2 +1,2 @@\n line one\r\n-line two\r\n"
                    "+line 2\r\n--- /dev/null\n+++ b/new/file.txt\n@@ -0,0 +1 @@\n+new\n"
                    "\\ No newline at end of file\n")]))
    # The harness maps absolute link targets into a directory standing for "outside".
    write("patch", "symlinks", file_set([
        ("xen/Makefile", MAKEFILE), ("link@", "xen"), ("out@", "/"), ("file@", "/sentinel"),
        ("a.patch", "--- a/link/Makefile\n+++ b/link/Makefile\n@@ -1 +1 @@\n-# Xen\n+# X\n"),
        ("b.patch", "--- a/out/passwd\n+++ b/out/passwd\n@@ -0,0 +1 @@\n+root::0:0::/:/bin/sh\n"),
        ("c.patch", "--- a/file\n+++ b/file\n@@ -1 +1 @@\n-outside the tree\n+changed\n")]))
    write("patch", "already-applied", file_set([
        ("xen/Makefile", MAKEFILE.replace("all:\n", "CFLAGS += -O2\nall:\n")),
        ("a.patch", PLAIN_PATCH)]))


def diff_seeds():
    texts = recipe_texts()
    write("diff_roundtrip", "branches", file_set([("before", texts["4.18.json"]),
                                                  ("after", texts["4.19.json"])]))
    write("diff_roundtrip", "no-newline", "==> before <==\na\nb\nc\n==> after <==\na\nB\nc")
    write("diff_roundtrip", "create", "==> after <==\none\ntwo\n")
    write("diff_roundtrip", "crlf", "==> before <==\nx\r\ny\r\n\r\nz\r\n==> after <==\n"
          "x\r\n\r\nz\r\nw\r\n")
    lines = [f"line {i}\n" for i in range(40)]
    changed = list(lines)
    changed[3] = "three\n"
    del changed[20]
    changed.insert(35, "inserted\n")
    write("diff_roundtrip", "hunks", file_set([("before", "".join(lines)),
                                               ("after", "".join(changed))]))


def verified_text(clearsigned):
    """The signed text of a clear-signed message, dash-escaping removed."""
    body = clearsigned.split("\n\n", 1)[1].split("-----BEGIN PGP SIGNATURE-----")[0]
    return "".join(l[2:] if l.startswith("- ") else l for l in body.splitlines(True))


def advisory_seeds():
    real = verified_text((SOURCE / "tests/data/xsa-458-advisory.txt").read_text())
    write("advisory", "xsa-458", real)
    write("advisory", "synthetic", """
     Xen Security Advisory CVE-2099-1001,CVE-2099-1002,
                      CVE-2099-1003 / XSA-999
                               version 3

          x86: a long headline that wraps over
                     two lines

ISSUE DESCRIPTION
=================

First paragraph, which
spans two lines.

- dashed item one

RESOLUTION
==========

$ sha256sum xsa999*/*
0000000000000000000000000000000000000000000000000000000000000001  xsa999/xsa999-4.18.patch
00000000000000000000000000000000000000000000000000000000000000ff *xsa999/xsa999-4.19.patch
$
""")


def nar_record(op, name, payload=b""):
    return bytes([op, len(name)]) + name + payload


def nar_seeds():
    content = b"#!/bin/sh\necho hello\n"
    tree = (bytes([0])
            + nar_record(0, b"README", struct.pack("<H", 5) + b"hello")
            + nar_record(1, b"run.sh", struct.pack("<H", len(content)) + content)
            + nar_record(2, b"link", bytes([6]) + b"README")
            + nar_record(2, b"dangling", bytes([9]) + b"../../etc")
            + nar_record(3, b"sub")
            + nar_record(0, b"\xc3\xa9", struct.pack("<H", 8) + b"12345678")
            + nar_record(0, b"Z", struct.pack("<H", 0))
            + nar_record(3, b"deeper")
            + nar_record(0, b"a.b", struct.pack("<H", 9) + b"123456789")
            + bytes([4, 4])
            + nar_record(0, b"zz", struct.pack("<H", 1) + b"z"))
    write("nar", "tree", tree)
    write("nar", "file", bytes([1]) + b"a single regular file\n")
    write("nar", "executable", bytes([2]) + b"#!/bin/sh\n")
    write("nar", "symlink", bytes([3]) + b"some/target")


def tar_bytes(members, compression=""):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = out.getvalue().rstrip(b"\0")  # the record padding: keep two zero blocks only
    raw += b"\0" * (-len(raw) % 512 + 1024)
    compress = {"": bytes, "gz": lambda b: gzip.compress(b, mtime=0), "bz2": bz2.compress,
                "xz": lzma.compress}[compression]
    return compress(raw)


def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = link
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        return info, data
    return info, None


def project_tree(top):
    return [member(top + "/", tarfile.DIRTYPE, mode=0o755),
            member(top + "/Makefile", data=MAKEFILE.encode()),
            member(top + "/configure", data=b"#!/bin/sh\nexit 0\n", mode=0o755),
            member(top + "/xen/", tarfile.DIRTYPE, mode=0o755),
            member(top + "/xen/Makefile", data=b"all:\n"),
            member(top + "/xen/link", tarfile.SYMTYPE, link="Makefile"),
            member(top + "/xen/up", tarfile.SYMTYPE, link="../configure"),
            member(top + "/hard", tarfile.LNKTYPE, link=top + "/Makefile")]


def zip_bytes(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return out.getvalue()


def archive_seeds():
    tree = project_tree("xen-4.19.0")
    write("archive", "project.tar", tar_bytes(tree))
    write("archive", "project.tar.gz", tar_bytes(tree, "gz"))
    write("archive", "project.tar.bz2", tar_bytes(tree, "bz2"))
    write("archive", "project.tar.xz", tar_bytes(tree, "xz"))
    write("archive", "project.zip", zip_bytes([
        ("top/", b"", 0o40755), ("top/README", b"zip\n", 0o100644),
        ("top/run.sh", b"#!/bin/sh\n", 0o100755), ("top/link", b"README", 0o120777)]))
    # What the extractor must refuse, one refusal each.
    write("archive", "hostile-dotdot.tar", tar_bytes([member("top/../../escape", data=b"x")]))
    write("archive", "hostile-absolute.tar", tar_bytes([member("/tmp/escape", data=b"x")]))
    write("archive", "hostile-symlink.tar.gz", tar_bytes(
        [member("top/", tarfile.DIRTYPE, mode=0o755),
         member("top/out", tarfile.SYMTYPE, link="../../.."),
         member("top/abs", tarfile.SYMTYPE, link="/etc")], "gz"))
    write("archive", "hostile-through-link.tar", tar_bytes(
        [member("top/", tarfile.DIRTYPE, mode=0o755), member("top/l", tarfile.SYMTYPE, link="."),
         member("top/l/x", data=b"through a link\n")]))
    write("archive", "hostile-hardlink.tar", tar_bytes(
        [member("top/h", tarfile.LNKTYPE, link="../outside")]))
    write("archive", "hostile-device.tar", tar_bytes(
        [member("top/fifo", tarfile.FIFOTYPE), member("top/dev", tarfile.CHRTYPE)]))
    write("archive", "setuid.tar", tar_bytes(
        [member("top/suid", data=b"#!/bin/sh\n", mode=0o4755)]))
    write("archive", "dot-root.tar.gz", tar_bytes(
        [member("./", tarfile.DIRTYPE, mode=0o755), member("./top/", tarfile.DIRTYPE, mode=0o755),
         member("./top/file", data=b"dot\n")], "gz"))
    write("archive", "plain.gz", gzip.compress(b"not a tar\n", mtime=0))


def main():
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    for seeds in (json_seeds, recipe_set_seeds, patch_seeds, diff_seeds, advisory_seeds,
                  nar_seeds, archive_seeds):
        seeds()
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in CORPUS.rglob('*') if p.is_file())} seeds, {total} bytes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
