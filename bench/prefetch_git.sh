#!/bin/sh
# Prefetching a pinned rev from a local mirror: `xenbuild prefetch --git file://MIRROR --rev REV`
# into an empty store, against what nix-prefetch-git does by hand: `git clone --no-checkout`,
# `git checkout REV`, removing .git and `nix-hash --type sha256`. Alternating runs; prints both
# totals and the ratio (target <= 1.0).
#   bench/prefetch_git.sh [TREE] [RUNS]
# The mirror is a git repository made from TREE (default: Debian's Xen source in /tmp/xen-src,
# else /usr/include) with one commit, built once under $BENCH_DIR (default /tmp/xb-bench).
set -eu
PATH=/usr/bin:/bin
export PATH
here=$(cd "$(dirname "$0")/.." && pwd)
xenbuild=${XENBUILD:-$here/build/xenbuild}
tree=${1:-$(ls -d /tmp/xen-src/xen-*/ 2>/dev/null | head -1)}
tree=${tree:-/usr/include}
runs=${2:-6}
work=${BENCH_DIR:-/tmp/xb-bench}
mirror=$work/mirror.git
git="git -c user.name=bench -c user.email=bench@localhost -c init.defaultBranch=master"

if [ ! -d "$mirror" ]; then
    rm -rf "$work/src"; mkdir -p "$work/src"
    cp -a "$tree/." "$work/src/"
    find "$work/src" -name .git -prune -exec rm -rf {} +
    (cd "$work/src" && $git init -q && $git add -A -f && $git commit -qm import)
    $git clone -q --bare "$work/src" "$mirror"
    git --git-dir="$mirror" repack -adq # mirrors fetched from upstream are packed
    rm -rf "$work/src"
fi
rev=$(git --git-dir="$mirror" rev-parse HEAD)
now() { date +%s%N; }

run_ours() {
    s=$(now)
    ours=$("$xenbuild" -q prefetch --git "file://$mirror" --rev "$rev" --json --store "$work/store" |
           sed -n 's/.*"sha256": "\(.*\)".*/\1/p')
    e=$(now); t_ours=$((t_ours + e - s))
}
run_git() {
    s=$(now)
    git clone -q --no-checkout "file://$mirror" "$work/clone"
    git -C "$work/clone" checkout -q "$rev"
    rm -rf "$work/clone/.git"
    theirs=$(nix-hash --type sha256 --base32 "$work/clone")
    e=$(now); t_git=$((t_git + e - s))
}

# Each iteration deletes both previous results and syncs; the file system's deferred work after
# those deletions lands on whichever side runs first, so the order alternates.
t_ours=0; t_git=0; i=0
while [ "$i" -lt "$runs" ]; do
    chmod -R u+w "$work/store" 2>/dev/null || true
    rm -rf "$work/store" "$work/clone"
    sync
    if [ $((i % 2)) -eq 0 ]; then
        run_ours; sync; run_git
    else
        run_git; sync; run_ours
    fi
    if [ "$ours" != "$theirs" ]; then
        echo "hash mismatch: xenbuild $ours, git+nix-hash $theirs" >&2
        exit 1
    fi
    i=$((i + 1))
done
chmod -R u+w "$work/store" 2>/dev/null || true
rm -rf "$work/store" "$work/clone"
echo "mirror: $mirror (from $tree), rev $rev, $runs runs each, hash $ours"
echo "xenbuild prefetch:             $((t_ours / 1000000)) ms total"
echo "git clone+checkout+nix-hash:   $((t_git / 1000000)) ms total"
awk -v a="$t_ours" -v b="$t_git" 'BEGIN { printf "ratio: %.2f (target <= 1.00)\n", a / b }'
