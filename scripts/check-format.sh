#!/usr/bin/env bash
# Fails when a C++ file does not follow the checked-in .clang-format, or when clang-tidy (the
# checks of the checked-in .clang-tidy) finds something. Debian 12's clang-format and clang-tidy.
#   scripts/check-format.sh              format check on every file; clang-tidy on the .cpp files
#                                        of src/ changed since the merge-base with main
#   scripts/check-format.sh --fix        rewrite the format in place (no clang-tidy)
#   scripts/check-format.sh --tidy-all   clang-tidy on every .cpp file of src/ (scripts/test.sh)
# clang-tidy reads the compilation database of $XENBUILD_BUILD_DIR (default build/); without one
# it is skipped with a note (configure first: cmake -S . -B build -G Ninja).
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
# clang-tidy's stderr is its count of suppressed warnings, for every file: left out.
printf '%s\n' "${tidy[@]}" | sort -u |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$build_dir" --quiet 2> >(grep -v 'warnings generated' >&2)
