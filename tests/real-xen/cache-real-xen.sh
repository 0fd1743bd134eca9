#!/usr/bin/env bash
# The binary cache on the real thing (docs/cache.md): the 4.17 slim build of real_xen_build
# pushed to a file:// cache, then substituted into a fresh store (another directory: build keys
# do not depend on the store directory), byte-identical, `store verify` clean, and the boot
# test passing on the substituted outputs. Run by ctest under the label `real-xen`, after
# real_xen_build (whose store it pushes from).
#   cache-real-xen.sh XENBUILD_BINARY PROJECT_DIR WORK_DIR
set -euo pipefail
xenbuild=$1
project=$2
work=$3
export PATH=/usr/bin:/bin
src=$(bash "$project/scripts/fetch-debian-xen.sh")
store=${XENBUILD_REAL_XEN_STORE:-$work/store}
cache="$work/cache"
fresh="$work/store-substituted"
args=(xen_4_17-slim --override-source "xen=$src" --exclude-patch all)
python3=/usr/bin/python3

fail() { echo "FAIL: $*" >&2; exit 1; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

chmod -R u+w "$cache" "$fresh" 2>/dev/null || true
rm -rf "$cache" "$fresh" "$work/cache-key".*
"$xenbuild" cache keygen cache-key --dir "$work" > /dev/null
key=$(cat "$work/cache-key.pub")

start=$(date +%s%N)
"$xenbuild" --store "$store" cache push "file://$cache" "${args[@]}" \
  --sign-key "$work/cache-key.sec" --json > "$work/push.json" || fail "the push failed"
echo "push: $(ms "$start") ms"
start=$(date +%s%N)
"$xenbuild" --store "$store" cache push "file://$cache" "${args[@]}" \
  --sign-key "$work/cache-key.sec" --json > "$work/push-again.json"
echo "push again: $(ms "$start") ms (target < 100 ms)"
"$python3" - "$work/push.json" "$work/push-again.json" <<'PY' || fail "the pushes are not as expected"
import json, sys
first, again = (json.load(open(f))[0]["entries"] for f in sys.argv[1:3])
assert all(e["uploaded"] for e in first), first
assert not any(e["uploaded"] for e in again), again
PY

start=$(date +%s%N)
"$xenbuild" --store "$fresh" build "${args[@]}" --substituter "file://$cache" \
  --trusted-key "$key" -o "$work/result-substituted" --json > "$work/substituted.json" ||
  fail "the substituting build failed"
echo "substitute: $(ms "$start") ms"
"$python3" - "$work/substituted.json" "$work/build.json" <<'PY' || fail "the outputs were not substituted"
import json, sys
result = json.load(open(sys.argv[1]))[0]
assert set(result["outputStatus"].values()) == {"substituted"}, result["outputStatus"]
built = json.load(open(sys.argv[2]))[0]
print(f"the build it replaces took {built['seconds']:.0f} s")
PY
"$xenbuild" --store "$fresh" store verify || fail "store verify failed on the substituted store"
for link in result result-boot result-dev result-man result-doc; do
  built=$("$xenbuild" hash path "$(readlink -f "$work/$link")")
  got=$("$xenbuild" hash path "$(readlink -f "$work/${link/result/result-substituted}")")
  [ "$built" = "$got" ] || fail "$link differs from the built one ($built vs $got)"
done

dom0=${XENBUILD_DOM0_DIR:-$work/dom0}
[ -f "$dom0/vmlinuz" ] || bash "$project/scripts/fetch-dom0-kernel.sh" "$dom0"
"$xenbuild" --store "$fresh" test "${args[@]}" --dom0-kernel "$dom0/vmlinuz" \
  --dom0-modules "$dom0/modules" --json > "$work/boot-substituted.json" ||
  fail "the boot test failed on the substituted outputs (report: $work/boot-substituted.json)"
echo "1 passed, 0 failed"
