#!/usr/bin/env bash
# Patch series application: xenbuild's patch library vs a GNU `patch -p1` loop, same series,
# same tree, one run. Prints both times (best of RUNS) and the ratio (target: <= 1.0x).
#   bench/patch_bench.sh                     200 generated patches over a copy of /usr/include
#   PATCHES=500 SRC=/some/tree bench/patch_bench.sh
#   SRC=xen-4.17.5 SERIES=debian/patches/series bench/patch_bench.sh   a real quilt series
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
cd "$(dirname "$0")/.."

build_dir=${XENBUILD_BUILD_DIR:-build}
patches=${PATCHES:-200}
src=$(realpath "${SRC:-/usr/include}")
series_file=${SERIES:+$(realpath "$SERIES")}
runs=${RUNS:-3}

cmake --build "$build_dir" --target xenbuild_patch_bench >/dev/null
driver=$(realpath "$build_dir/xenbuild_patch_bench")

work=$(mktemp -d /tmp/xb-pbench-XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -n "$series_file" ]; then
  series=()
  while read -r name _; do
    case "$name" in '' | '#'*) continue ;; esac
    series+=("$(dirname "$series_file")/$name")
  done < "$series_file"
else
  /usr/bin/python3 bench/gen_patch_series.py "$src" "$work/patches" "$patches"
  mapfile -t series < <(ls "$work"/patches/*.patch)
fi
# Every path a patch names (-p1), to compare the two results.
mapfile -t touched < <(grep -h -E '^(---|\+\+\+) [^/]+/' "${series[@]}" |
  sed -E 's/^(---|\+\+\+) [^/]+\///; s/\t.*//' | sort -u)
cp -a "$src" "$work/orig"
hunks=$(cat "${series[@]}" | grep -c '^@@')
printf 'series: %d patches, %d hunks, %d files touched, tree %s (%s)\n' "${#series[@]}" "$hunks" \
  "${#touched[@]}" "$(du -sh "$work/orig" | cut -f1)" "$src"

# A fresh tree per run as a hard-linked copy: both tools write a patched file to a new file
# renamed into place (or unlink it), so the original is never modified.
reset_tree() {
  rm -rf "$1"
  cp -al "$work/orig" "$1"
}
now() { date +%s.%N; }

best_gnu=""
best_ours=""
for ((run = 1; run <= runs; run++)); do
  reset_tree "$work/gnu"
  reset_tree "$work/ours"
  sync
  t0=$(now)
  for p in "${series[@]}"; do
    /usr/bin/patch -p1 -s --no-backup-if-mismatch -d "$work/gnu" -i "$p"
  done
  t1=$(now)
  "$driver" "$work/ours" "${series[@]}" 2>/dev/null
  t2=$(now)
  for f in "${touched[@]}"; do
    if [ -e "$work/gnu/$f" ] || [ -e "$work/ours/$f" ]; then
      cmp -s "$work/gnu/$f" "$work/ours/$f" || { echo "'$f' differs after run $run" >&2; exit 1; }
    fi
  done
  gnu=$(echo "$t1 - $t0" | bc)
  ours=$(echo "$t2 - $t1" | bc)
  echo "run $run: gnu patch loop ${gnu}s, xenbuild ${ours}s"
  if [ -z "$best_gnu" ] || (($(echo "$gnu < $best_gnu" | bc))); then best_gnu=$gnu; fi
  if [ -z "$best_ours" ] || (($(echo "$ours < $best_ours" | bc))); then best_ours=$ours; fi
done

printf 'best of %d: gnu patch loop %.3fs, xenbuild %.3fs, ratio %.3fx (target <= 1.0x)\n' \
  "$runs" "$best_gnu" "$best_ours" "$(echo "scale=6; $best_ours / $best_gnu" | bc)"
