#!/usr/bin/env bash
# Orchestration overhead: xenbuild building a tree vs the same configure + make by hand, in one
# run (target: at most 1.03x). By default on Debian's real Xen 4.17 tree (slim, `make dist-xen
# dist-tools`, about 5-10 minutes each on two cores); `--fake` uses the Xen-shaped test tree,
# where the fixed cost of xenbuild (evaluation, staging copy, sandbox start) dominates.
#   bench/build_overhead.sh [--fake] [BUILD_DIR]
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
fake=0
if [ "${1:-}" = --fake ]; then fake=1; shift; fi
build=${1:-$project/build}
xenbuild="$build/xenbuild"
work=$(mktemp -d /tmp/xb-overhead-XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export PATH=/usr/bin:/bin XENBUILD_TODAY=2026-11-21
if [ $fake = 1 ]; then
  bash "$project/tests/e2e/make-fake-upstream.sh" "$work/up" "$project"
  rm -f "$work/up/patches/4.19/"*.patch
  src="$work/up/git/xen"; package=xen_4_19-slim
  args=(--recipes "$work/up/recipes" --host-profile "$work/up/host-profile.json")
else
  src=$(bash "$project/scripts/fetch-debian-xen.sh"); package=xen_4_17-slim
  args=(--exclude-patch all)
fi
# The same flags and environment as the plan, by hand, in a copy of the tree.
plan=$("$xenbuild" show "$package" --json "${args[@]/--exclude-patch*/}" 2>/dev/null || true)
[ -n "$plan" ] || plan=$("$xenbuild" show "$package" --json ${fake:+"${args[@]:0:4}"})
mapfile -t configure < <(/usr/bin/python3 -c 'import json,sys
p=json.load(sys.stdin)
for f in p["configureFlags"]: print(f.replace("${outputs.", "/tmp/xb-out/").replace("}", ""))' <<<"$plan")
mapfile -t makeargs < <(/usr/bin/python3 -c 'import json,sys
p=json.load(sys.stdin)
for f in p["makeFlags"] + p["makeTargets"]: print(f.replace("${outputs.", "/tmp/xb-out/").replace("}", ""))' <<<"$plan")
mapfile -t envs < <(/usr/bin/python3 -c 'import json,sys
p=json.load(sys.stdin)
for k, v in p["env"].items(): print(f"{k}={v}")' <<<"$plan")

cp -a "$src" "$work/by-hand"
start=$(date +%s%N)
(cd "$work/by-hand" && env -i PATH=/usr/bin:/bin HOME=/homeless-shelter "${envs[@]}" \
   ./configure "${configure[@]}" > "$work/by-hand.log" 2>&1 &&
 env -i PATH=/usr/bin:/bin HOME=/homeless-shelter "${envs[@]}" \
   make -j"$(nproc)" "${makeargs[@]}" >> "$work/by-hand.log" 2>&1)
by_hand=$(( ($(date +%s%N) - start) / 1000000 ))

start=$(date +%s%N)
"$xenbuild" -q --store "$work/store" build "$package" --override-source "xen=$src" "${args[@]}" > /dev/null
tool=$(( ($(date +%s%N) - start) / 1000000 ))
ratio=$(/usr/bin/python3 -c "print(f'{$tool / $by_hand:.3f}')")
echo "build of $package: by hand ${by_hand} ms, xenbuild ${tool} ms, ratio ${ratio}x (target <= 1.03x)"
