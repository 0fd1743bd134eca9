#!/usr/bin/env bash
# The setup step of the example pipelines (docs/ci.md), on a Debian 12 runner (as root, or with
# sudo): install xenbuild's dependencies and build it, then put it on PATH for the next steps.
# XENBUILD_SKIP_XEN_BUILD_DEPS=1 leaves out what only building Xen needs (the matrix job).
# Prints the directory holding the xenbuild binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXENBUILD_TESTS=OFF >&2
cmake --build build-ci -j"$(nproc)" --target xenbuild >&2
echo "$PWD/build-ci"
