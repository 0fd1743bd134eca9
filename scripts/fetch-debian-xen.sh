#!/usr/bin/env bash
# Prints the path of an unpacked upstream Xen 4.17 tree from Debian's source package, fetching
# it with `apt-get source --download-only xen/bookworm` (Debian's mirror is the only network
# used) into a cache the first time; bookworm is named because the deb-src entries also list
# trixie (Xen 4.20, for the real-tree test). The tree is the *orig* tarball, without Debian's
# packaging patches (those delete the generated configure scripts); it is RELEASE-4.17.5 plus
# stable-4.17 fixes.
#   scripts/fetch-debian-xen.sh [CACHE_DIR]
set -euo pipefail
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/xenbuild-debian-xen}
mkdir -p "$cache"
cd "$cache"
orig=$(ls xen_4.17.*.orig.tar.xz 2>/dev/null | head -n 1 || true)
if [ -z "$orig" ]; then
  echo "fetching Debian's Xen source package into $cache" >&2
  PATH=/usr/bin:/bin apt-get source --download-only -qq xen/bookworm >&2
  orig=$(ls xen_4.17.*.orig.tar.xz | head -n 1)
fi
version=${orig#xen_}
version=${version%.orig.tar.xz}
tree="$cache/xen-$version"
if [ ! -f "$tree.unpacked" ]; then
  rm -rf "$tree" "$tree.tmp"
  mkdir "$tree.tmp"
  tar -xJf "$orig" -C "$tree.tmp" --strip-components=1
  mv "$tree.tmp" "$tree"
  touch "$tree.unpacked"
fi
echo "$tree"
