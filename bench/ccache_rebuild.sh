#!/usr/bin/env bash
# The compiler cache on the real 4.17 slim tree (Debian's Xen 4.17 source, issue "fast
# iteration"): the rebuild after one more patch that touches one hypervisor file, with a warm
# `--ccache` against a cold one (target: warm <= 0.35x cold), and the proof that the cache does not
# change a byte: cold, warm and no-ccache builds of one plan give equal NAR hashes per output.
#   bench/ccache_rebuild.sh [BUILD_DIR] [WORK_DIR]
# About 20 minutes on two cores (four full builds, two cached ones). WORK_DIR (default a new
# /tmp/xb-ccbench-*) keeps the stores, reports and figures (figures.txt) when given.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$project/build}
xenbuild="$build/xenbuild"
work=${2:-$(mktemp -d /tmp/xb-ccbench-XXXXXX)}
mkdir -p "$work"
export PATH=/usr/bin:/bin
src=$(bash "$project/scripts/fetch-debian-xen.sh")

# The patched recipe set: the checked-in recipes plus one local patch (patches/4.17/, applied
# after the upstream ones) adding a definition to xen/common/version.c.
patched=$work/patched
rm -rf "$patched"
mkdir -p "$patched/patches/4.17" "$patched/b/xen/common"
cp -r "$project/recipes" "$patched/recipes"
cp "$src/xen/common/version.c" "$patched/b/xen/common/version.c"
printf '\nconst char xenbuild_bench_marker[] = "one hypervisor file changed";\n' \
  >> "$patched/b/xen/common/version.c"
(cd "$patched" && diff -u --label a/xen/common/version.c --label b/xen/common/version.c \
   "$src/xen/common/version.c" b/xen/common/version.c) > "$patched/patches/4.17/0001-xen-bench-one-file-4.17.patch" ||
  true # diff exits 1 when the files differ
rm -rf "$patched/b"

# run NAME STORE RECIPES ARGS...: one build, its `--json` result in $work/NAME.json, its wall
# time in $work/NAME.ms.
run() {
  local name=$1 store=$2 recipes=$3
  shift 3
  local start end
  echo "bench: $name ..." >&2
  start=$(date +%s%N)
  "$xenbuild" -q --recipes "$recipes" --store "$work/$store" build xen_4_17-slim \
    --override-source "xen=$src" --exclude-patch all --json "$@" > "$work/$name.json"
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 ))" > "$work/$name.ms"
}
# nar NAME: "output narhash" lines of a build's outputs.
nar() {
  jq -r '.[0].outputs | to_entries[] | "\(.key) \(.value)"' "$work/$1.json" |
    while read -r output path; do
      echo "$output $("$xenbuild" hash path "$path")"
    done
}
field() { jq -r ".[0]$2" "$work/$1.json"; }
seconds() { awk -v ms="$(cat "$work/$1.ms")" 'BEGIN { printf "%.1f", ms / 1000 }'; }

chmod -R u+w "$work"/store-* 2>/dev/null || true
rm -rf "$work"/store-* "$work"/*.json "$work"/*.ms
base=$project/recipes
run base-cold store-a "$base" --ccache
run base-plain store-b "$base" --no-ccache
run base-warm store-a "$base" --ccache --rebuild
run patch-warm store-a "$patched/recipes" --ccache
run patch-cold store-c "$patched/recipes" --ccache

status=0
for name in base-cold base-plain base-warm; do nar "$name" > "$work/$name.nar"; done
for name in patch-warm patch-cold; do nar "$name" > "$work/$name.nar"; done
same() {
  if cmp -s "$work/$1.nar" "$work/$2.nar" && [ "$(field "$1" .key)" = "$(field "$2" .key)" ]; then
    echo "equal"
  else
    echo "DIFFERENT"
    status=1
  fi
}
ratio=$(awk -v w="$(cat "$work/patch-warm.ms")" -v c="$(cat "$work/patch-cold.ms")" \
  'BEGIN { printf "%.2f", w / c }')
{
  echo "xen_4_17-slim from $(basename "$src"), $(nproc) cores, $(gcc --version | head -n 1)"
  for name in base-cold base-plain base-warm patch-cold patch-warm; do
    printf '%-10s %7s s  ccache %s\n' "$name" "$(seconds "$name")" \
      "$(field "$name" '.ccache // "off" | if type == "object" then "hits \(.hits) misses \(.misses) uncacheable \(.uncacheable)" else . end')"
  done
  echo "outputs, cold vs no-ccache (same key): $(same base-cold base-plain)"
  echo "outputs, cold vs warm --rebuild: $(same base-cold base-warm); differing files: $(field base-warm '.differingFiles // [] | length')"
  echo "outputs of the patched plan, cold cache vs warm: $(same patch-cold patch-warm)"
  echo "rebuild after a one-file hypervisor patch: warm $(seconds patch-warm) s / cold $(seconds patch-cold) s = ${ratio}x (target <= 0.35x)"
  cat "$work/base-cold.nar"
} | tee "$work/figures.txt"
awk -v r="$ratio" 'BEGIN { exit !(r <= 0.35) }' || status=1
exit "$status"
