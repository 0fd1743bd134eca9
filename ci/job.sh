#!/usr/bin/env bash
# One CI job of the example pipelines (docs/ci.md): build one package with reports, bundle it,
# verify the bundle, then boot-test the build. The pipelines call exactly this, and the test
# suite runs it on the fixture tree (tests/e2e/ci_pipeline_test.cpp).
#
# Usage: ci/job.sh PACKAGE OUTDIR [OPTION...]
#   OPTIONs go to build, bundle and test alike (--arg, --host-profile, --override-source, ...).
# Leaves in OUTDIR:
#   build.json, build.xml   the build's JSON and JUnit reports (docs/reports.md)
#   bundle/                 the release bundle (docs/bundle.md), verified
#   test.json, test.xml     the boot test's reports (not with XENBUILD_BOOT_TEST=0)
# Environment:
#   XENBUILD              the xenbuild binary (default: xenbuild on PATH); --recipes and --store
#                         come from XENBUILD_RECIPES and XENBUILD_STORE as usual
#   XENBUILD_SIGN_KEY     an armored OpenPGP secret key file: the bundle is signed with it
#   XENBUILD_VERIFY_KEY   the matching public key: `bundle verify` then checks the signatures
#   XENBUILD_BOOT_TEST=0  no boot test (a runner without QEMU or a dom0 kernel)
# Exit status: the first failing step's (build and test: 1 when the package failed, 2 for a bad
# command line); the bundle is written and verified before the boot test, so a job whose boot
# test fails still leaves a verified bundle and every report.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: ci/job.sh PACKAGE OUTDIR [OPTION...]" >&2
  exit 2
fi
package=$1
out=$2
shift 2
xenbuild=${XENBUILD:-xenbuild}
mkdir -p "$out"

echo "== build $package"
"$xenbuild" build "$package" --report "$out/build.json" --junit "$out/build.xml" "$@"

echo "== bundle $package"
sign=()
if [ -n "${XENBUILD_SIGN_KEY:-}" ]; then sign=(--sign-key "$XENBUILD_SIGN_KEY"); fi
rm -rf "$out/bundle"
"$xenbuild" bundle "$package" -o "$out/bundle" "${sign[@]}" "$@"

echo "== verify the bundle"
key=()
if [ -n "${XENBUILD_VERIFY_KEY:-}" ]; then key=(--key "$XENBUILD_VERIFY_KEY"); fi
"$xenbuild" bundle verify "$out/bundle" "${key[@]}"

if [ "${XENBUILD_BOOT_TEST:-1}" != 0 ]; then
  echo "== boot test $package"
  "$xenbuild" test "$package" --report "$out/test.json" --junit "$out/test.xml" "$@"
fi
echo "bundle of $package in $out/bundle"
