#!/usr/bin/env bash
# Where the time of a standard build goes: the make time of each in-tree component (QEMU,
# SeaBIOS, OVMF, iPXE) of Debian's Xen 4.17 built as xen_4_17 with the components from Debian's
# source packages (as ctest's real_xen_standard builds it; docs/real-xen-build.md), read from
# the build's report (`componentTimes`: first to last line of make's output naming the
# component's directory) next to the whole configure and make steps. About 30 to 45 minutes
# on two cores; with `--report FILE` it only prints the figures of a report a build already
# wrote (`xenbuild build ... --report FILE`).
#   bench/standard_components.sh [--report FILE] [BUILD_DIR]
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
report=
if [ "${1:-}" = --report ]; then report=$2; shift 2; fi
build=${1:-$project/build}
export PATH=/usr/bin:/bin:/usr/sbin
if [ -z "$report" ]; then
  work=$(mktemp -d /tmp/xb-std-XXXXXX)
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  src=$(bash "$project/scripts/fetch-debian-xen.sh")
  args=(xen_4_17 --override-source "xen=$src" --exclude-patch all --arg withInternalIPXE=false)
  while read -r component; do args+=(--override-source "$component"); done \
    < <(bash "$project/scripts/fetch-debian-components.sh")
  report="$work/report.json"
  "$build/xenbuild" --store "$work/store" build "${args[@]}" --report "$report" > /dev/null
fi
/usr/bin/python3 - "$report" <<'PY'
import json, sys
package = json.load(open(sys.argv[1]))["packages"][0]
phases, spans = package["phases"], package.get("componentTimes", {})
if not spans:
    sys.exit(f"{sys.argv[1]}: no componentTimes (a cached result, or a slim build)")
make = phases["make"]
print(f"{package['package']}: configure {phases.get('configure', 0):.0f} s, make {make:.0f} s")
for name, span in sorted(spans.items(), key=lambda item: item[1]["start"]):
    length = span["end"] - span["start"]
    print(f"  {name:8} {length:6.0f} s  ({100 * length / make:4.1f}% of make; "
          f"{span['start']:.0f}-{span['end']:.0f} s)")
PY
