#!/usr/bin/env bash
# Fetches Debian's dom0 kernel for `xenbuild test` without installing anything and without
# root: `apt-get download` of the kernel package that linux-image-amd64 currently depends on,
# then only vmlinuz and the Xen modules the test loads (not built into Debian's kernel) are
# extracted: dom0's five, and the block frontend the guest of a standard build's test loads
# (its disk is served by the built QEMU as a qdisk backend, so no xen-blkback):
#
#   DEST/vmlinuz
#   DEST/modules/{xen-evtchn,xen-gntdev,xen-gntalloc,xen-privcmd,xenfs,xen-blkfront}.ko
#   DEST/kernel-package          (the package file name, for the record)
#
# DEST defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/xenbuild/dom0, where `xenbuild test` looks
# when neither --dom0-kernel/--dom0-modules nor the host profile's dom0Kernel/dom0Modules say
# otherwise. Compressed modules (.ko.xz, .ko.zst, .ko.gz) are decompressed, because busybox's
# insmod loads plain .ko files. Usage: scripts/fetch-dom0-kernel.sh [DEST]
set -euo pipefail

dest=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/xenbuild/dom0}
modules=(xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkfront)
export PATH=/usr/bin:/bin:/usr/sbin:/sbin LC_ALL=C

package=$(apt-cache depends linux-image-amd64 2>/dev/null |
  sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
if [ -z "$package" ]; then
  echo "error: cannot find the kernel package linux-image-amd64 depends on (apt-get update?)" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/xb-dom0-XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$package" >/dev/null 2>"$work/apt.err") || {
  cat "$work/apt.err" >&2
  echo "error: apt-get download $package failed" >&2
  exit 1
}
deb=$(ls "$work"/*.deb)
dpkg-deb --fsys-tarfile "$deb" > "$work/data.tar"
listing=$(tar -tf "$work/data.tar")

# The one vmlinuz and each module, wherever the package keeps them.
members=()
kernel=$(grep -E '^\./boot/vmlinuz-' <<<"$listing" | head -n1)
[ -n "$kernel" ] || { echo "error: no /boot/vmlinuz-* in $deb" >&2; exit 1; }
members+=("$kernel")
for m in "${modules[@]}"; do
  path=$(grep -E "/kernel/drivers/(xen|block)/(.*/)?$m\.ko(\.xz|\.zst|\.gz)?\$" <<<"$listing" | head -n1)
  [ -n "$path" ] || { echo "error: module $m not found in $deb" >&2; exit 1; }
  members+=("$path")
done
mkdir -p "$work/x"
tar -xf "$work/data.tar" -C "$work/x" "${members[@]}"

# Assemble next to DEST and swap it in, so DEST is never half-written.
stage="$dest.new.$$"
rm -rf "$stage"
mkdir -p "$stage/modules"
cp "$work/x/$kernel" "$stage/vmlinuz"
for path in "${members[@]:1}"; do
  name=$(basename "$path")
  case "$name" in
    *.ko.xz) xz -dc "$work/x/$path" > "$stage/modules/${name%.xz}" ;;
    *.ko.zst) zstd -qdc "$work/x/$path" > "$stage/modules/${name%.zst}" ;;
    *.ko.gz) gzip -dc "$work/x/$path" > "$stage/modules/${name%.gz}" ;;
    *) cp "$work/x/$path" "$stage/modules/$name" ;;
  esac
done
basename "$deb" > "$stage/kernel-package"
rm -rf "$dest.old.$$"
if [ -e "$dest" ]; then mv "$dest" "$dest.old.$$"; fi
mv "$stage" "$dest"
rm -rf "$dest.old.$$"
echo "dom0 kernel from $(basename "$deb") in $dest"
