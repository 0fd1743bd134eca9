#!/usr/bin/env bash
# Installs every Debian 12 package xenbuild needs to build, test and build real Xen.
# Idempotent; safe to run again. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# `apt-get source xen` and `apt-get build-dep xen` need deb-src entries. trixie's are for
# Debian's Xen 4.20 tree, which the real-tree test fetches (`apt-get source xen/trixie`); with
# them, every other use names bookworm (`xen/bookworm`), or apt would pick trixie's newer Xen.
src_list=/etc/apt/sources.list.d/xenbuild-deb-src.sources
src_entry='Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
if [ "$(cat "$src_list" 2>/dev/null)" != "$src_entry" ]; then
  printf '%s\n' "$src_entry" | $SUDO tee "$src_list" >/dev/null
fi

$SUDO apt-get update -qq

packages=(
  # toolchain (ccache also for `xenbuild build --ccache`: ccache and /usr/lib/ccache)
  build-essential cmake ninja-build pkg-config clang-format clang-tidy ccache
  # libraries (chosen in the brief)
  libgit2-dev zlib1g-dev libgpgme-dev libarchive-dev nlohmann-json3-dev libcli11-dev libspdlog-dev
  catch2 libcurl4-openssl-dev libssl-dev libzstd-dev
  # runtime tools: sandbox, reference hasher, git and gpg for tests, PE-capable binutils
  bubblewrap nix-bin git gnupg binutils patch python3 dpkg-dev
  # Xen's own build
  flex bison
  # the standard variant's in-tree components (docs/real-xen-build.md): OVMF (edk2) needs nasm
  # and iasl, QEMU 7.2 needs Meson (Debian's source drops the bundled one), libfdt, glib, pixman
  nasm acpica-tools uuid-dev meson libfdt-dev libglib2.0-dev libpixman-1-dev
  # `xenbuild test` (docs/boot-test.md): QEMU for the boot, a static busybox for the dom0
  # initramfs, tools the tests list archives with (scripts/fetch-dom0-kernel.sh fetches the
  # dom0 kernel itself, as a user, with apt-get download)
  qemu-system-x86 busybox-static libarchive-tools cpio xz-utils zstd
  # fuzzing (scripts/fuzz.sh: clang with libFuzzer) and the schema validator's conformance test
  # against the official JSON Schema Test Suite (docs/schema.md)
  clang libfuzzer-14-dev json-schema-test-suite
  # xmllint: the tests validate `--junit` reports against the Jenkins JUnit schema
  libxml2-utils
  # docs/bundle.md checks a bundle by hand with jq (and the tests do)
  jq
  # the CI pipeline test reads the example pipelines' YAML (tests/e2e/ci_pipeline_test.cpp)
  python3-yaml
  # the binary-cache tests (docs/cache.md) serve a cache with a real nginx (GET, WebDAV PUT)
  nginx-light libnginx-mod-http-dav-ext
)
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"

# npm, for the validators the tests run: the machine's own Node.js and npm where it has them (this
# image's nodesource nodejs bundles npm and conflicts with Debian's npm package), else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# Validators from npm, pinned: ajv-cli checks bundle SBOMs against the official SPDX 2.3 schema
# (tests/data/spdx-2.3-schema.json, docs/bundle.md); action-validator checks the example GitHub
# workflow (ci/github/, docs/ci.md) against GitHub's workflow schema.
npm_tools=(ajv-cli@5.0.0 @action-validator/core@0.6.0 @action-validator/cli@0.6.0)
for tool in "${npm_tools[@]}"; do
  if ! npm ls -g --depth=0 "$tool" >/dev/null 2>&1; then
    $SUDO npm install -g --no-audit --no-fund "$tool"
  fi
done

if [ "${XENBUILD_SKIP_XEN_BUILD_DEPS:-0}" != 1 ]; then
  $SUDO apt-get build-dep -y -qq xen/bookworm
fi
