#!/usr/bin/env bash
# The real thing: Debian's Xen 4.17 source built through xenbuild's normal path with the 4.17
# slim recipe, then its outputs checked from the outside. Run by ctest under the label
# `real-xen` (scripts/test.sh with XENBUILD_REAL_XEN=1; CI does). About 5 to 10 minutes.
#   build-real-xen.sh XENBUILD_BINARY PROJECT_DIR WORK_DIR
set -euo pipefail
xenbuild=$1
project=$2
work=$3
export PATH=/usr/bin:/bin
mkdir -p "$work"
src=$(bash "$project/scripts/fetch-debian-xen.sh")
store=${XENBUILD_REAL_XEN_STORE:-$work/store}

fail() { echo "FAIL: $*" >&2; exit 1; }

# The Debian tree already carries the stable-branch fixes, and the recipe's upstream patches
# cannot be fetched offline: they are left out explicitly (recorded in the result).
"$xenbuild" --store "$store" build xen_4_17-slim --override-source "xen=$src" \
  --exclude-patch all -o "$work/result" --json > "$work/build.json"

python3=/usr/bin/python3
"$python3" - "$work/build.json" <<'PY' || fail "the build result is not as expected"
import json, sys
result = json.load(open(sys.argv[1]))[0]
assert result["sandbox"] == "namespaces", result["sandbox"]
assert result["excludedPatches"] == ["all"], result["excludedPatches"]
checks = {c["kind"]: c for c in result["checks"]}
for kind in ("pe32plus", "pkg-config", "hypervisor-version", "relocatable"):
    assert checks[kind]["passed"], checks[kind]
    print(f"check {kind}: {checks[kind]['detail']}")
PY

# Each output holds its files at their install paths on the target host.
boot="$work/result-boot/boot"
[ -f "$boot/xen.gz" ] || fail "xen.gz is missing from $boot"
[ -f "$boot/xen.efi" ] || fail "xen.efi is missing from $boot"
objdump -f "$boot/xen.efi" | grep -q 'file format pei-x86-64' || fail "xen.efi is not PE32+ x86-64"
zcat "$boot/xen.gz" > "$work/xen"   # no pipe into grep -q: pipefail would see zcat's SIGPIPE
grep -aq 'Xen 4.17.5' "$work/xen" || fail "xen.gz does not carry version 4.17.5"
for tool in xl xenstored; do
  [ -x "$work/result/usr/sbin/$tool" ] || fail "$tool is missing from the out output"
done
[ -f "$work/result/etc/xen/xl.conf" ] || fail "xl.conf is missing from the out output's /etc"
count=$(ls "$work/result-dev/usr/lib/pkgconfig/"*.pc | wc -l)
[ "$count" -ge 15 ] || fail "only $count pkg-config files in the dev output"
PKG_CONFIG_LIBDIR="$work/result-dev/usr/lib/pkgconfig" pkg-config --modversion xenlight | grep -q '^4\.17' ||
  fail "xenlight.pc does not resolve to 4.17"

# A second build is served from the cache.
"$xenbuild" --store "$store" build xen_4_17-slim --override-source "xen=$src" \
  --exclude-patch all --json | "$python3" -c 'import json,sys; assert json.load(sys.stdin)[0]["cached"]' ||
  fail "the second build was not a cache hit"

# The boot smoke test (docs/boot-test.md): the built hypervisor and tools under QEMU with
# Debian's dom0 kernel, fetched once by the setup script (as any user).
dom0=${XENBUILD_DOM0_DIR:-$work/dom0}
# (again when it predates xen-blkfront, which the qdisk guest of a standard build loads)
[ -f "$dom0/modules/xen-blkfront.ko" ] || bash "$project/scripts/fetch-dom0-kernel.sh" "$dom0"
"$xenbuild" --store "$store" test xen_4_17-slim --override-source "xen=$src" \
  --exclude-patch all --dom0-kernel "$dom0/vmlinuz" --dom0-modules "$dom0/modules" \
  --json > "$work/boot.json" || fail "the boot test failed (report: $work/boot.json)"
"$python3" - "$work/boot.json" <<'PY' || fail "the boot report is not as expected"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["verdict"] == "pass" and report["version"] == "4.17.5", report
print(f"boot test: xl info reports {report['version']} build-id {report['buildId']}, "
      f"marker after {report['secondsToMarker']:.1f} s")
PY
echo "1 passed, 0 failed"
