#!/usr/bin/env bash
# Fails when a C++ file does not follow the checked-in .clang-format (Debian 12's clang-format).
#   scripts/check-format.sh          check;   scripts/check-format.sh --fix   rewrite in place
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'include/*.hpp' 'tests/*.cpp' \
                                  'tests/*.hpp' 'bench/*.cpp')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
fi
