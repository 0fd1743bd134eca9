#!/usr/bin/env bash
# The standard variant for real: Debian's Xen 4.17 tree built with the recipe xen_4_17, its
# in-tree QEMU, SeaBIOS and OVMF taken from Debian's source packages through --override-source
# (scripts/fetch-debian-components.sh), then checked from the outside and boot-tested with a PV
# guest whose disk the built QEMU serves (docs/boot-test.md). iPXE's source package cannot be
# fetched from Debian's mirror, so iPXE is the host's (--arg withInternalIPXE=false); see
# docs/real-xen-build.md. Run by ctest under the label `real-xen-standard` (scripts/test.sh with
# XENBUILD_REAL_XEN_STANDARD=1). About 30 to 45 minutes on two cores.
# MODE `firmware` is the subset CI runs (ctest real_xen_standard_firmware, label real-xen):
# SeaBIOS and OVMF in-tree, QEMU and iPXE the host's (about 15 minutes), boot without the guest.
#   build-real-xen-standard.sh XENBUILD_BINARY PROJECT_DIR WORK_DIR [full|firmware]
set -euo pipefail
xenbuild=$1
project=$2
work=$3
mode=${4:-full}
export PATH=/usr/bin:/bin
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

src=$(bash "$project/scripts/fetch-debian-xen.sh")
args=(xen_4_17 --override-source "xen=$src" --exclude-patch all --arg withInternalIPXE=false)
components=(ovmf qemu seabios)
[ "$mode" = full ] || { args+=(--arg withInternalQEMU=false); components=(ovmf seabios); }
while IFS== read -r name dir; do
  [[ " ${components[*]} " == *" $name "* ]] && args+=(--override-source "$name=$dir")
done < <(bash "$project/scripts/fetch-debian-components.sh")
export XENBUILD_STANDARD_MODE=$mode
store=${XENBUILD_REAL_XEN_STORE:-$work/store}

"$xenbuild" --store "$store" build "${args[@]}" -o "$work/result" --json \
  --report "$work/report.json" > "$work/build.json" || fail "the build failed (see its log)"

python3=/usr/bin/python3
"$python3" - "$work/build.json" "$work/report.json" <<'PY' || fail "the build result is not as expected"
import json, os, sys
result = json.load(open(sys.argv[1]))[0]
report = json.load(open(sys.argv[2]))
assert result["sandbox"] == "namespaces", result["sandbox"]
full = os.environ["XENBUILD_STANDARD_MODE"] == "full"
expected = ["ovmf", "qemu", "seabios", "xen"] if full else ["ovmf", "seabios", "xen"]
assert sorted(result["sourceOverrides"]) == expected, result["sourceOverrides"]
failed = [c for c in result["checks"] if not c["passed"]]
assert not failed, failed
kinds = {c["kind"] for c in result["checks"]}
# The checks of the in-tree components (docs/recipe-format.md, Checks): SeaBIOS, OVMF, QEMU's
# --version in the sandbox, hvmloader's ELF32 (iPXE is the host's here: no option-rom check).
for kind in ("pe32plus", "hypervisor-version", "relocatable", "seabios", "uefi-firmware", "elf") + (
        ("program-version",) if full else ()):
    assert kind in kinds, f"check {kind} did not run: {sorted(kinds)}"
for check in result["checks"]:
    print(f"check {check['kind']}: {check['detail']}")
package = report["packages"][0]
for name, span in sorted(package.get("componentTimes", {}).items()):
    print(f"make time of {name}: {span['end'] - span['start']:.0f} s "
          f"({span['start']:.0f}-{span['end']:.0f} s after make started)")
print(f"phases: {package['phases']}")
PY

# Where Xen puts the components, on the out output.
out="$work/result/usr/lib/xen"
for firmware in hvmloader seabios.bin ovmf.bin; do
  [ -s "$out/boot/$firmware" ] || fail "$firmware is missing from $out/boot"
done
if [ "$mode" = full ]; then
  [ -x "$out/bin/qemu-system-i386" ] || fail "qemu-system-i386 is missing from $out/bin"
else
  [ ! -e "$out/bin/qemu-system-i386" ] || fail "qemu-system-i386 was built with withInternalQEMU=false"
fi

# The boot test: dom0 up, then a PV guest whose disk the built QEMU serves (qdisk).
dom0=${XENBUILD_DOM0_DIR:-$work/dom0}
bash "$project/scripts/fetch-dom0-kernel.sh" "$dom0" > /dev/null
"$xenbuild" --store "$store" test "${args[@]}" --dom0-kernel "$dom0/vmlinuz" \
  --dom0-modules "$dom0/modules" --json > "$work/boot.json" ||
  fail "the boot test failed (report: $work/boot.json)"
"$python3" - "$work/boot.json" <<'PY' || fail "the boot report is not as expected"
import json, os, sys
report = json.load(open(sys.argv[1]))
assert report["verdict"] == "pass" and report["version"] == "4.17.5", report
# The built QEMU served the guest's disk: the guest printed the token only that disk holds.
guest = report.get("guest")
if os.environ["XENBUILD_STANDARD_MODE"] == "full":
    assert guest and guest["token"] == guest["expectedToken"], report
    assert guest["deviceModel"].endswith("/usr/lib/xen/bin/qemu-system-i386"), guest
    print(f"qdisk guest: token {guest['token']} after {guest['secondsToMarker']:.1f} s")
else:
    assert not guest, report  # no QEMU of its own: dom0's test only
print(f"boot test: {json.dumps(report)[:400]}")
PY
echo "1 passed, 0 failed"
