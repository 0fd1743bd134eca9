#!/usr/bin/env bash
# Prints `NAME=DIR` lines for the standard variant's in-tree components taken from Debian's
# source packages, ready for `xenbuild build --override-source NAME=DIR` (docs/real-xen-build.md):
#
#   qemu=DIR      qemu/bookworm     (QEMU 7.2, for the Xen Project's qemu-xen fork, 7.x-based)
#   seabios=DIR   seabios/bookworm  (SeaBIOS 1.16.2, for rel-1.16.x)
#   ovmf=DIR      edk2/bookworm     (edk2-stable202211, for Xen's OVMF pin of 2022)
#
# Each is fetched once with `apt-get source --download-only` (Debian's mirror is the only network
# used) into a cache and unpacked with `dpkg-source -x`, so the tree is the one Debian builds,
# with Debian's patches. One exception, edk2: Debian's "Disable the Shell when SecureBoot is
# enabled" patch makes the Shell need a SecureBootVariableLib, which Debian's own OVMF platforms
# provide but Xen's OvmfPkg/OvmfXen.dsc does not (the build stops with "Instance of library class
# [SecureBootVariableLib] is not found"). So edk2 is unpacked without Debian's patches, and only
# brotlicompress-disable.diff is applied: Debian strips BaseTools' Brotli submodule from its orig
# tarball, and that patch is what lets BaseTools build without it. And QEMU: Debian strips the
# Meson that QEMU releases bundle (meson/), while Xen runs QEMU's configure with --python, which
# QEMU 7.2 only accepts with its bundled Meson ("--python requires using QEMU's embedded Meson
# distribution"); so the tree gets meson/meson.py, a launcher of the host's Meson (Debian's meson
# package, 1.0.1, the one Debian builds QEMU 7.2 with), where configure looks for the bundled one.
# Debian's skip-meson-pc-bios.diff also takes pc-bios/ out of QEMU's build (Debian installs
# firmware and keymaps from its own rules), so QEMU would install no keymaps, and Xen's QEMU
# does not start without en-us (libxl always passes -vnc): meson.build gets its keymaps back.
#
# iPXE is not here: Debian's mirror does not serve the ipxe source package's tarballs (404 for
# bookworm's, trixie's and sid's), so offline builds use the host's iPXE ROM
# (`--arg withInternalIPXE=false`, ipxe-qemu); docs/real-xen-build.md says more.
#   scripts/fetch-debian-components.sh [CACHE_DIR]
set -euo pipefail
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/xenbuild-debian-src}
export PATH=/usr/bin:/bin LC_ALL=C
mkdir -p "$cache"
cd "$cache"

# unpack SOURCE/SUITE: prints the unpacked tree of Debian's source package SOURCE in SUITE.
unpack() {
  local source=$1 suite=$2 dsc tree
  dsc=$(ls "${source}"_*.dsc 2>/dev/null | head -n 1 || true)
  if [ -z "$dsc" ]; then
    echo "fetching Debian's $source source package into $cache" >&2
    apt-get source --download-only -qq "$source/$suite" >&2 2>"$cache/$source.apt.err" || {
      cat "$cache/$source.apt.err" >&2
      echo "error: apt-get source $source/$suite failed (deb-src entries: scripts/install-deps.sh)" >&2
      exit 1
    }
    dsc=$(ls "${source}"_*.dsc | head -n 1)
  fi
  tree="$cache/${dsc%.dsc}"
  if [ ! -f "$tree.unpacked" ]; then
    rm -rf "$tree" "$tree.tmp"
    if [ "$source" = edk2 ]; then
      dpkg-source --no-check --skip-patches -x "$dsc" "$tree.tmp" >/dev/null
      patch -s -d "$tree.tmp" -p1 < "$tree.tmp/debian/patches/brotlicompress-disable.diff"
    else
      dpkg-source --no-check -x "$dsc" "$tree.tmp" >/dev/null
    fi
    if [ "$source" = qemu ] && [ ! -e "$tree.tmp/meson/meson.py" ]; then
      [ -d /usr/lib/python3/dist-packages/mesonbuild ] || {
        echo "error: QEMU's tree needs the host's Meson: apt-get install meson" >&2
        exit 1
      }
      mkdir -p "$tree.tmp/meson"
      printf '%s\n' '#!/usr/bin/env python3' \
        '# The host'"'"'s Meson (Debian'"'"'s meson package) where QEMU looks for its bundled copy.' \
        'import sys' 'from mesonbuild import mesonmain' 'sys.exit(mesonmain.main())' \
        > "$tree.tmp/meson/meson.py"
      chmod +x "$tree.tmp/meson/meson.py"
    fi
    if [ "$source" = qemu ] && grep -q "^#subdir('pc-bios')" "$tree.tmp/meson.build"; then
      sed -i "s|^#subdir('pc-bios')|&\nsubdir('pc-bios/keymaps')|" "$tree.tmp/meson.build"
    fi
    mv "$tree.tmp" "$tree"
    touch "$tree.unpacked"
  fi
  echo "$tree"
}

echo "qemu=$(unpack qemu bookworm)"
echo "seabios=$(unpack seabios bookworm)"
echo "ovmf=$(unpack edk2 bookworm)"
