#!/usr/bin/env bash
# README command 1: install dependencies, build xenbuild, and run the main job offline:
# list every package and show the fully pinned build plan of `xen-slim`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${XENBUILD_SKIP_DEPS:-0}" != 1 ]; then
  bash scripts/install-deps.sh
fi

build_dir=${XENBUILD_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXENBUILD_TESTS=OFF
cmake --build "$build_dir" -j"$(nproc)" --target xenbuild

xenbuild="$build_dir/xenbuild"
"$xenbuild" list
echo
"$xenbuild" show xen-slim
