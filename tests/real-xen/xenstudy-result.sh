#!/usr/bin/env bash
# Makes a build-result layout (RESULT = the `out` output, RESULT-boot = the boot output) out of
# a Xen tree built with plain `make dist` (e.g. Debian's source), for the real-xen boot test:
#   tests/real-xen/xenstudy-result.sh XEN_TREE RESULT
#   XENBUILD_BOOT_RESULT=RESULT ./build/xenbuild_tests "[real-xen-boot]"
# Only symlinks are made; the tree is not modified.
set -euo pipefail
tree=$(cd "$1" && pwd)
result=$2
install=$tree/dist/install
[ -x "$install/usr/sbin/xl" ] || { echo "error: $install/usr/sbin/xl missing: build the tree first" >&2; exit 1; }
rm -rf "$result" "$result-boot"
mkdir -p "$result" "$result-boot/boot"
# Outputs hold their files at their install paths (docs/recipe-format.md).
ln -s "$install/usr" "$result/usr"
ln -s "$install/etc" "$result/etc"
ln -s "$tree/xen/xen.gz" "$result-boot/boot/xen.gz"
ln -s "$tree/xen/xen-syms" "$result-boot/boot/xen-syms"
echo "$result"
