#!/bin/sh
# As Xen's scripts/git-checkout.sh: clone TREE at TAG into DIR-remote unless it already exists
# (staged), then link DIR to it.
if [ $# -lt 3 ]; then echo "Usage: $0 <tree> <tag> <dir>" >&2; exit 1; fi
TREE=$1 TAG=$2 DIR=$3
set -e
if [ ! -d "$DIR-remote" ]; then
  rm -rf "$DIR-remote" "$DIR-remote.tmp"
  mkdir -p "$DIR-remote.tmp"; rmdir "$DIR-remote.tmp"
  ${GIT:-git} clone "$TREE" "$DIR-remote.tmp"
  mv "$DIR-remote.tmp" "$DIR-remote"
fi
rm -f "$DIR"
ln -sf "$(basename "$DIR-remote")" "$DIR"
