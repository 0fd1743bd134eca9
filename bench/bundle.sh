#!/usr/bin/env bash
# `xenbuild bundle` of a built package vs `tar --sort=name ... | zstd` of the same output trees
# (target: bundle <= 1.2x). bundle writes one reproducible tar.zst per output plus the SBOM,
# provenance and SHA256SUMS (unsigned here); the reference writes one tar.zst per output the same
# way (sorted names, owner 0, fixed mtime, zstd's default level 3). Best of RUNS each, same run.
#   bench/bundle.sh [BUILD_DIR] [RUNS]          the main job's build: xen_4_17-slim of Debian's
#                                               Xen 4.17 tree in the default store (run
#                                               scripts/main-job.sh first)
#   bench/bundle.sh --fake [BUILD_DIR] [RUNS]   xen_4_19-slim of the end-to-end tests' tree,
#                                               built here in a temporary store, with a local
#                                               patch that installs about 100 MB of the host's
#                                               compiler binaries as firmware (real, compressible
#                                               machine code), so that archiving dominates as it
#                                               does on a real build
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
fake=0
if [ "${1:-}" = --fake ]; then fake=1; shift; fi
build=${1:-$project/build}
runs=${2:-5}
xenbuild="$build/xenbuild"
work=$(mktemp -d /tmp/xb-bundle-XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export XENBUILD_TODAY=2026-11-21

if [ "$fake" = 1 ]; then
  PATH=/usr/bin:/bin bash "$project/tests/e2e/make-fake-upstream.sh" "$work/up" "$project"
  gcc_dir=$(dirname "$(gcc -print-prog-name=cc1)")
  cat > "$work/up/patches/4.19/0003-xen-payload-4.19.patch" <<PATCH
--- /dev/null
+++ b/tools/hooks/payload.sh
@@ -0,0 +1,2 @@
+mkdir -p firmware
+cat $gcc_dir/cc1 $gcc_dir/cc1plus $gcc_dir/lto1 > firmware/bios.bin
PATCH
  package=xen_4_19-slim
  opts=(--recipes "$work/up/recipes" --store "$work/store")
  pkg_opts=(--host-profile "$work/up/host-profile.json")
  "$xenbuild" -q "${opts[@]}" build "$package" "${pkg_opts[@]}" -o "$work/result" > /dev/null
  links=("$work"/result*)
else
  package=xen_4_17-slim
  opts=()
  pkg_opts=(--override-source "xen=$(bash "$project/scripts/fetch-debian-xen.sh")" --exclude-patch all)
  links=("$project"/result*) # the main job's result links
fi

# The output trees of the build: its result links, resolved.
outputs=()
for link in "${links[@]}"; do
  if [ -L "$link" ]; then outputs+=("$(readlink -f "$link")"); fi
done
if [ "${#outputs[@]}" -eq 0 ]; then
  echo "no result links of $package: build it first (scripts/main-job.sh)" >&2
  exit 1
fi
epoch=0 # any fixed time: the figures do not depend on it
size=$(du -scb "${outputs[@]}" | tail -n 1 | cut -f1)

run_bundle() {
  rm -rf "$work/bundle"
  "$xenbuild" -q "${opts[@]}" bundle "$package" "${pkg_opts[@]}" -o "$work/bundle" > /dev/null
}
run_tar() {
  rm -rf "$work/tar"; mkdir "$work/tar"
  local i=0
  for dir in "${outputs[@]}"; do
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$dir" -c . |
      zstd -q > "$work/tar/$i.tar.zst"
    i=$((i + 1))
  done
}
best_ms() {
  local best=999999999
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N); "$@"; end=$(date +%s%N)
    local ms=$(( (end - start) / 1000000 )); (( ms < best )) && best=$ms
  done
  echo "$best"
}
bundle_ms=$(best_ms run_bundle)
tar_ms=$(best_ms run_tar)
bundle_bytes=$(du -cb "$work/bundle"/*.tar.zst | tail -n 1 | cut -f1)
tar_bytes=$(du -cb "$work/tar"/*.tar.zst | tail -n 1 | cut -f1)
ratio=$(awk -v a="$bundle_ms" -v b="$tar_ms" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "bundle of $package (${#outputs[@]} outputs, $((size / 1024)) KiB): xenbuild bundle ${bundle_ms} ms" \
  "(archives $((bundle_bytes / 1024)) KiB) vs tar | zstd ${tar_ms} ms ($((tar_bytes / 1024)) KiB):" \
  "${ratio}x, best of $runs (target <= 1.2x)"
