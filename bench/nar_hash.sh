#!/bin/sh
# NAR hashing: `xenbuild hash path TREE` against `nix-hash --type sha256 TREE` on the same tree,
# alternating runs (warm page cache), and prints both totals and the ratio (target <= 0.6).
#   bench/nar_hash.sh [TREE] [RUNS]
# TREE defaults to Debian's Xen source unpacked in /tmp/xen-src (see docs/store.md) and falls
# back to /usr/include. XENBUILD defaults to build/xenbuild.
set -eu
PATH=/usr/bin:/bin
export PATH
here=$(cd "$(dirname "$0")/.." && pwd)
xenbuild=${XENBUILD:-$here/build/xenbuild}
tree=${1:-$(ls -d /tmp/xen-src/xen-*/ 2>/dev/null | head -1)}
tree=${tree:-/usr/include}
runs=${2:-10}

now() { date +%s%N; }

ours=$("$xenbuild" hash path --hex "$tree")
theirs=$(nix-hash --type sha256 "$tree")
if [ "$ours" != "$theirs" ]; then
    echo "hash mismatch on $tree: xenbuild $ours, nix-hash $theirs" >&2
    exit 1
fi
"$xenbuild" hash path "$tree" >/dev/null; nix-hash --type sha256 "$tree" >/dev/null # warm up

t_ours=0; t_nix=0; i=0
while [ "$i" -lt "$runs" ]; do
    s=$(now); "$xenbuild" hash path "$tree" >/dev/null; e=$(now); t_ours=$((t_ours + e - s))
    s=$(now); nix-hash --type sha256 "$tree" >/dev/null; e=$(now); t_nix=$((t_nix + e - s))
    i=$((i + 1))
done
files=$(find "$tree" | wc -l); size=$(du -sh "$tree" | cut -f1)
echo "tree: $tree ($files entries, $size), $runs runs each, hash $ours"
echo "xenbuild hash path: $((t_ours / 1000000)) ms total"
echo "nix-hash:           $((t_nix / 1000000)) ms total"
awk -v a="$t_ours" -v b="$t_nix" 'BEGIN { printf "ratio: %.2f (target <= 0.60)\n", a / b }'
