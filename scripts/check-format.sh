#!/usr/bin/env bash
# Fails when a C++ file does not follow the checked-in .clang-format, or when clang-tidy (the
# checks of the checked-in .clang-tidy) finds something. Debian 12's clang-format and clang-tidy.
#   scripts/check-format.sh              format check on every file; clang-tidy on the .cpp files
#                                        of src/ changed since the merge-base with main
#   scripts/check-format.sh --fix        rewrite the format in place (no clang-tidy)
#   scripts/check-format.sh --tidy-all   clang-tidy on every .cpp file of src/ (scripts/test.sh)
# clang-tidy uses the configuration of $XENBUILD_BUILD_DIR (default build/), as a file-by-file
# database in its tidy-db/; without a configured build it is skipped with a note (configure
# first: scripts/configure.sh test build).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}

mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'include/*.hpp' 'tests/*.cpp' \
                                  'tests/*.hpp' 'bench/*.cpp')
if [ "$mode" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
else
  clang-format --dry-run --Werror "${files[@]}"
fi

build_dir=${XENBUILD_BUILD_DIR:-build}
if [ "$mode" = --tidy-all ]; then
  mapfile -t tidy < <(git ls-files 'src/*.cpp')
else
  base=$(git merge-base HEAD main 2>/dev/null || true)
  tidy=()
  if [ -n "$base" ]; then
    mapfile -t tidy < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cpp'
                        git ls-files --others --exclude-standard 'src/*.cpp')
  fi
fi
if [ "${#tidy[@]}" -eq 0 ]; then exit 0; fi
if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "check-format: no $build_dir/compile_commands.json, clang-tidy skipped" >&2
  exit 0
fi
# The build's database names unity batches, not the files (docs/HACKING.md, "Build time"): a
# database of each file's own command comes from configuring (only) a file-by-file build beside
# it, with the build's compiler and options.
tidy_db=$build_dir/tidy-db
cmake -S . -B "$tidy_db" -G Ninja -DXENBUILD_UNITY=OFF -DXENBUILD_USE_CCACHE=OFF -DXENBUILD_TESTS=OFF \
  -DCMAKE_CXX_COMPILER="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt")" \
  -DCMAKE_BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")" \
  -DXENBUILD_WERROR="$(sed -n 's/^XENBUILD_WERROR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")" > /dev/null
# clang-tidy's stderr is its count of suppressed warnings, for every file: left out.
printf '%s\n' "${tidy[@]}" | sort -u |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$tidy_db" --quiet 2> >(grep -v 'warnings generated' >&2)
