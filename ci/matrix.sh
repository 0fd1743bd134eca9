#!/usr/bin/env bash
# The matrix step of the example pipelines (docs/ci.md): the packages to build, as FORMAT.
#
# Usage: ci/matrix.sh FORMAT [BASE [OPTION...]]
#   FORMAT   github: one line `matrix={"include":[...]}` for "$GITHUB_OUTPUT";
#            gitlab: a child pipeline (one job per package, each running ci/job.sh);
#            json, text: as `xenbuild ci matrix --format` prints them
#   BASE     a git revision: only the packages whose plan changed since (--changed-since).
#            Empty, or git's null commit (a new branch's "before"): every package.
#   OPTIONs  go to `xenbuild ci matrix` (--arg, --host-profile: the same as the jobs get)
# Environment: XENBUILD, the xenbuild binary (default: xenbuild on PATH).
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: ci/matrix.sh FORMAT [BASE [OPTION...]]" >&2
  exit 2
fi
format=$1
base=${2:-}
shift $(($# < 2 ? $# : 2))
xenbuild=${XENBUILD:-xenbuild}

since=()
if [ -n "$base" ] && [ -n "${base//0/}" ]; then since=(--changed-since "$base"); fi
if [ "$format" = github ]; then
  matrix=$("$xenbuild" ci matrix --format github "${since[@]}" "$@")
  printf 'matrix=%s\n' "$matrix"
else
  "$xenbuild" ci matrix --format "$format" "${since[@]}" "$@"
fi
