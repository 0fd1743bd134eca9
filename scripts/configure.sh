#!/usr/bin/env bash
# Configures xenbuild's build directory the one way both README commands share, with every
# option either depends on given explicitly: a directory configured by one command is right
# for the other (a cached XENBUILD_TESTS=OFF from the main job must not make the test run build
# no tests), and both use the same compile flags, so the test run after the main job only
# compiles the tests (docs/HACKING.md, "Build time").
#   scripts/configure.sh main|test BUILD_DIR
#     main: the tool alone (scripts/main-job.sh); test: the tool and the test programs
#     (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
build_dir=${2:-}
case $mode in
  main) tests=OFF ;;
  test) tests=ON ;;
  *)
    echo "usage: scripts/configure.sh main|test BUILD_DIR" >&2
    exit 2
    ;;
esac
if [ -z "$build_dir" ]; then
  echo "usage: scripts/configure.sh main|test BUILD_DIR" >&2
  exit 2
fi
# Warnings are errors in both: the flags are then the same and the objects shared. Unity
# batches and ccache (when installed) are the fastest configuration (docs/HACKING.md).
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXENBUILD_WERROR=ON \
  -DXENBUILD_TESTS="$tests" -DXENBUILD_UNITY=ON -DXENBUILD_USE_CCACHE=ON \
  -DXENBUILD_SANITIZE= -DXENBUILD_FUZZ=OFF
