#!/usr/bin/env bash
# The real-tree test (`ctest -L real-tree`): Debian's Xen source package for SUITE, fetched with
# `apt-get source --download-only xen/SUITE` (Debian's mirror is the only download) into
# CACHE/SUITE and unpacked with dpkg-source, which applies Debian's patches. Both are reused
# when present. On that real tree it checks:
#   (a) `xenbuild hash path` equals `nix-hash --type sha256` (prefetch's NAR hash);
#   (b) staging copies it byte for byte, links included, and the iPXE-style tarball of it holds
#       every entry (links as symlink members)        -- xenbuild_tests "[real-tree-stage]";
#   (c) every patch of debian/patches/series, already applied by dpkg-source, is detected as
#       already applied by xenbuild's patch series   -- xenbuild_tests "[real-tree-patches]".
# Trees of Xen 4.18 and later must carry the riscv symlink (the one that broke staging).
# Exit 77 (ctest: skipped) only when Debian's mirror answers that the package's files are
# not there; any other failure fails.
# Usage: debian-xen-tree.sh XENBUILD XENBUILD_TESTS CACHE SUITE
set -euo pipefail
export PATH=/usr/bin:/bin LC_ALL=C
xenbuild=$1
tests=$2
cache=$3/$4
suite=$4

mkdir -p "$cache"
cd "$cache"
if [ ! -f tree.unpacked ]; then
  if ! ls xen_*.dsc >/dev/null 2>&1; then
    echo "fetching Debian's xen/$suite source package into $cache"
    if ! apt-get source --download-only -qq "xen/$suite" > apt.log 2>&1; then
      cat apt.log
      rm -f xen_*
      if grep -q "404  Not Found" apt.log; then
        echo "SKIPPED: Debian's mirror does not hold the files of xen/$suite (404 above)"
        exit 77
      fi
      echo "error: apt-get source xen/$suite failed (is there a deb-src entry for $suite?" \
           "scripts/install-deps.sh adds it)" >&2
      exit 1
    fi
  fi
  rm -rf tree tree.tmp
  dpkg-source --no-check -x xen_*.dsc tree.tmp > dpkg-source.log
  mv tree.tmp tree
  touch tree.unpacked
fi
tree=$cache/tree
dsc=$(ls xen_*.dsc)
version=${dsc#xen_}
version=${version%.dsc}
echo "Debian's xen $version ($suite): $(find tree -type f | wc -l) files," \
     "$(find tree -type l | wc -l) symbolic links, $(grep -c . tree/debian/patches/series)" \
     "patches in debian/patches/series"

minor=$(echo "$version" | sed -n 's/^4\.\([0-9]*\)\..*/\1/p')
if [ "${minor:-0}" -ge 18 ]; then
  link=tree/xen/arch/riscv/configs/riscv64_defconfig
  if [ "$(readlink "$link")" != tiny64_defconfig ]; then
    echo "FAILED: $link is not the link -> tiny64_defconfig that Xen 4.18+ trees carry" >&2
    exit 1
  fi
fi

# (a) prefetch-equivalent hashing
ours=$("$xenbuild" hash path --hex "$tree")
nix=$(nix-hash --type sha256 "$tree")
if [ "$ours" != "$nix" ]; then
  echo "FAILED: xenbuild hash path $ours, nix-hash $nix" >&2
  exit 1
fi
echo "ok: NAR hash $ours (xenbuild hash path = nix-hash)"

# (b) and (c)
XENBUILD_REAL_TREE=$tree "$tests" "[real-tree-stage],[real-tree-patches]"
