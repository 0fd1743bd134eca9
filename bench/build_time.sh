#!/usr/bin/env bash
# xenbuild's own build time, before and after, in one run (bench/README.md, "Build time"): a
# clean build of every target (`cmake --build`, all cores) of two revisions, each configured as
# its README test command configures it, with the compiler cache off (CCACHE_DISABLE=1: a clean
# build compiles everything), then the incremental rebuild after touching
# include/xenbuild/recipe/plan.hpp. Prints wall and CPU (user+sys) seconds and the ratios.
#   bench/build_time.sh BEFORE_REV [AFTER_REV]     (AFTER_REV: default HEAD)
# About 20 minutes on two cores. Both revisions are exported from git (uncommitted changes are
# not measured) into a scratch directory, removed at the end.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
before=${1:?usage: bench/build_time.sh BEFORE_REV [AFTER_REV]}
after=${2:-HEAD}
export PATH=/usr/bin:/bin CCACHE_DISABLE=1
work=$(mktemp -d /tmp/xb-buildtime-XXXXXX)
trap 'rm -rf "$work"' EXIT
jobs=$(nproc)

# configure TREE BUILD: the tree's own README test configuration (scripts/configure.sh where the
# tree has it, else the cmake line scripts/test.sh had before it).
configure() {
  if [ -f "$1/scripts/configure.sh" ]; then
    (cd "$1" && bash scripts/configure.sh test "$2") > /dev/null
  else
    cmake -S "$1" -B "$2" -G Ninja -DXENBUILD_WERROR=ON -DXENBUILD_TESTS=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  fi
}
# timed NAME COMMAND...: wall and user+sys seconds of COMMAND in $work/NAME.time.
timed() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S' -o "$work/$name.time" "$@" > "$work/$name.log" 2>&1 ||
    { tail -n 20 "$work/$name.log" >&2; echo "bench: $name failed" >&2; exit 1; }
}
wall() { awk '{ printf "%.1f", $1 }' "$work/$1.time"; }
cpu() { awk '{ printf "%.1f", $2 + $3 }' "$work/$1.time"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

for side in before after; do
  rev=${!side}
  mkdir "$work/$side"
  git -C "$project" archive "$rev" | tar -x -C "$work/$side"
  git -C "$project" rev-parse --short "$rev" > "$work/$side.rev"
  echo "bench: $side ($(cat "$work/$side.rev")): clean build ..." >&2
  configure "$work/$side" "$work/$side/build"
  timed "$side-clean" cmake --build "$work/$side/build" -j"$jobs"
  echo "bench: $side: rebuild after touching plan.hpp ..." >&2
  touch "$work/$side/include/xenbuild/recipe/plan.hpp"
  timed "$side-plan" cmake --build "$work/$side/build" -j"$jobs"
  rm -rf "$work/$side/build"
done

echo "xenbuild build time, $jobs cores, $(c++ --version | head -n 1), compiler cache off"
printf '%-42s %14s %14s\n' "" "before $(cat "$work/before.rev")" "after $(cat "$work/after.rev")"
for what in clean plan; do
  label="clean build, every target"
  [ "$what" = plan ] && label="rebuild after touching plan.hpp"
  printf '%-42s %12s s %12s s   %sx wall\n' "$label, wall" "$(wall "before-$what")" \
    "$(wall "after-$what")" "$(ratio "$(wall "after-$what")" "$(wall "before-$what")")"
  printf '%-42s %12s s %12s s   %sx CPU\n' "$label, CPU" "$(cpu "before-$what")" \
    "$(cpu "after-$what")" "$(ratio "$(cpu "after-$what")" "$(cpu "before-$what")")"
done
