#!/usr/bin/env bash
# Cached no-op build of all eight packages (target: under 100 ms). Builds the eight packages of
# a Xen-shaped upstream made by tests/e2e/make-fake-upstream.sh once, then times
# `xenbuild build <all eight>` when everything is cached, next to `true` as the floor of
# starting a process (hyperfine when installed, else the best of N runs with `date`).
#   bench/build_noop.sh [BUILD_DIR] [RUNS]
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$project/build}
runs=${2:-20}
xenbuild="$build/xenbuild"
work=$(mktemp -d /tmp/xb-noop-XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export PATH=/usr/bin:/bin XENBUILD_TODAY=2026-11-21
FAKE_EXTRA_BRANCHES="4.16:4.16.6 4.17:4.17.5 4.18:4.18.3" \
  bash "$project/tests/e2e/make-fake-upstream.sh" "$work" "$project"
packages=(xen_4_16 xen_4_17 xen_4_18 xen_4_19 xen_4_16-slim xen_4_17-slim xen_4_18-slim xen_4_19-slim)
cmd=("$xenbuild" -q --recipes "$work/recipes" --store "$work/store" build "${packages[@]}"
     --host-profile "$work/host-profile.json")
"${cmd[@]}" > /dev/null                       # the real builds
best_ms() {
  local best=999999
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N); "$@" > /dev/null; end=$(date +%s%N)
    local ms=$(( (end - start) / 1000000 )); (( ms < best )) && best=$ms
  done
  echo "$best"
}
noop=$(best_ms "${cmd[@]}")
floor=$(best_ms /bin/true)
echo "cached no-op build of 8 packages: best ${noop} ms over $runs runs (process start floor ${floor} ms; target < 100 ms)"
