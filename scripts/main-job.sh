#!/usr/bin/env bash
# README command 1: install dependencies, build xenbuild, and build real Xen with it: Debian's
# Xen 4.17 source (fetched with `apt-get source`, the only download) through the 4.17 slim
# recipe, in the sandbox, with progress. Results, each at its install paths on a Xen host:
# ./result (tools: usr/sbin/xl, ...), ./result-boot (boot/xen.gz, boot/xen.efi), ./result-dev,
# ./result-man, ./result-doc. A few minutes on two cores. Then the CI job
# of docs/ci.md on it (ci/job.sh): reports, a signed release bundle in ./dist/xen_4_17-slim/bundle
# (verified, SBOM validated), and the boot smoke test: the result booted under QEMU as dom0,
# `xl info` checked.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${XENBUILD_SKIP_DEPS:-0}" != 1 ]; then
  bash scripts/install-deps.sh
fi

build_dir=${XENBUILD_BUILD_DIR:-build}
bash scripts/configure.sh main "$build_dir"
cmake --build "$build_dir" -j"$(nproc)" --target xenbuild
xenbuild="$build_dir/xenbuild"

"$xenbuild" list
echo
xen_tree=$(bash scripts/fetch-debian-xen.sh)
# The Debian tree already carries the stable-branch security fixes and the recipe's upstream
# patches cannot be fetched offline, so they are left out explicitly (the result records it).
"$xenbuild" build xen_4_17-slim --override-source "xen=$xen_tree" --exclude-patch all -o result
"$xenbuild" show xen_4_17-slim | head -n 5
ls -l result result-boot/boot/
bash scripts/fetch-dom0-kernel.sh > /dev/null

# The CI job of docs/ci.md on this build (ci/job.sh; the build is now a cache hit): JSON and
# JUnit reports, the release bundle signed with a throwaway key and verified against it, then the
# boot test: the result booted under QEMU with Debian's dom0 kernel, `xl info` checked (10 s).
gnupg=$(mktemp -d /tmp/xb-gpg.XXXXXX) # short: gpg-agent's socket path must fit
trap 'GNUPGHOME="$gnupg" gpgconf --kill gpg-agent 2>/dev/null || true; rm -rf "$gnupg"' EXIT
GNUPGHOME=$gnupg gpg --batch --quiet --passphrase '' \
  --quick-gen-key "xenbuild main job (throwaway) <main-job@xenbuild.invalid>" ed25519 sign 1d
GNUPGHOME=$gnupg gpg --batch --armor --export-secret-keys > "$gnupg/secret.asc"
GNUPGHOME=$gnupg gpg --batch --armor --export > "$gnupg/public.asc"
dist=dist/xen_4_17-slim
XENBUILD="$xenbuild" XENBUILD_SIGN_KEY="$gnupg/secret.asc" XENBUILD_VERIFY_KEY="$gnupg/public.asc" \
  bash ci/job.sh xen_4_17-slim "$dist" --override-source "xen=$xen_tree" --exclude-patch all
# The SBOM against the official SPDX 2.3 schema (ajv-cli, from scripts/install-deps.sh).
if command -v ajv >/dev/null; then
  ajv validate --spec=draft7 --strict=false -s tests/data/spdx-2.3-schema.json \
    -d "$dist/bundle/xen-"*.spdx.json
else
  echo "ajv not installed (scripts/install-deps.sh installs it): the SBOM was not validated"
fi
echo
echo "bundle (verified): $PWD/$dist/bundle"
echo "reports: $PWD/$dist/build.json, build.xml, test.json, test.xml"
