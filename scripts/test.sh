#!/usr/bin/env bash
# README command 2: install dependencies, build with warnings as errors, run the whole suite.
#   scripts/test.sh            default suite (fast; what CI runs first), then the real-tree
#                              tests on Debian's Xen source trees (`ctest -L real-tree`)
#   XENBUILD_REAL_XEN=1 ...     also the real-Xen end-to-end target (`ctest -L '^real-xen$'`)
#   XENBUILD_REAL_XEN_STANDARD=1 ... also the standard variant built for real (`ctest -L
#                              real-xen-standard`, about 30 minutes; docs/real-xen-build.md)
#   XENBUILD_ASAN=1 ...         also the default suite built with ASan+UBSan (in build-asan)
#   XENBUILD_FUZZ_SECONDS=N ... also every fuzz target for N seconds (scripts/fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${XENBUILD_SKIP_DEPS:-0}" != 1 ]; then
  bash scripts/install-deps.sh
fi

bash scripts/check-format.sh # .clang-format (and .clang-tidy on changed files) is the contract

build_dir=${XENBUILD_BUILD_DIR:-build}
# Every option the run depends on is set explicitly (scripts/configure.sh): the build directory
# may have been configured by scripts/main-job.sh (tests off) first. tests/scripts/readme-
# commands.sh tests the two in that order.
bash scripts/configure.sh test "$build_dir"
cmake --build "$build_dir" -j"$(nproc)"
# clang-tidy (.clang-tidy) on every source file, with the compilation database just made.
XENBUILD_BUILD_DIR=$build_dir bash scripts/check-format.sh --tidy-all
# Builds run with a clean PATH; the image's pyenv python must not leak into tests either.
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j"$(nproc)" -LE 'real-xen|real-tree'
# Debian's Xen source trees (fetched once into the build directory): about a minute.
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -L real-tree
if [ "${XENBUILD_ASAN:-0}" = 1 ]; then
  # Everything built with AddressSanitizer and UBSan; any report fails its test (docs/HACKING.md).
  asan_dir=${XENBUILD_ASAN_BUILD_DIR:-build-asan}
  cmake -S . -B "$asan_dir" -G Ninja -DXENBUILD_WERROR=ON -DXENBUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXENBUILD_SANITIZE=address,undefined
  cmake --build "$asan_dir" -j"$(nproc)"
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir "$asan_dir" --output-on-failure --no-tests=error -j"$(nproc)" -LE 'real-xen|real-tree'
fi
if [ "${XENBUILD_FUZZ_SECONDS:-0}" != 0 ]; then
  bash scripts/fuzz.sh "$XENBUILD_FUZZ_SECONDS"
fi
if [ "${XENBUILD_REAL_XEN:-0}" = 1 ]; then
  # A label regex: anchored, or it would also select real-xen-standard.
  ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -L '^real-xen$'
fi
if [ "${XENBUILD_REAL_XEN_STANDARD:-0}" = 1 ]; then
  ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -L real-xen-standard
fi
