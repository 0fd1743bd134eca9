#!/bin/sh
# Makes, under DIR, a source tree with every tree feature real upstreams have (Xen 4.18 and
# later carry xen/arch/riscv/configs/riscv64_defconfig -> tiny64_defconfig; Debian's trees and
# iPXE carry more links), plus the hostile ones a tree from the network may have:
#   relative links to a file, to a directory, to a link (chains), to '.', dangling, to itself;
#   links pointing outside (absolute /etc and /, and ../../..); executable and read-only files;
#   an empty file and an empty directory; a deep path; names with spaces, a leading dash and
#   non-ASCII letters.
# The ../.. links point at DIR/../outside, which a test can watch.
# DIR must not exist.
# Usage: make-link-tree.sh DIR
set -eu
export PATH=/usr/bin:/bin
dir=$1
mkdir "$dir"
cd "$dir"
umask 022

# Regular files, modes.
mkdir -p xen/arch/riscv/configs tools/include scripts docs 'dir with spaces/sub dir' empty-dir
printf 'CONFIG_RISCV_64=y\n' > xen/arch/riscv/configs/tiny64_defconfig
printf '#!/bin/sh\necho run\n' > scripts/run.sh
chmod 0755 scripts/run.sh
printf 'read-only\n' > docs/read-only.txt
chmod 0444 docs/read-only.txt
: > docs/empty
printf 'spaces\n' > 'dir with spaces/sub dir/a file with spaces.txt'
printf 'dash\n' > ./-leading-dash
printf 'utf-8\n' > 'ünïcödé.txt'
printf 'header\n' > tools/include/xen.h

# A deep path (40 levels) with a link climbing back to the top.
deep=deep
up=..
for i in $(seq 1 40); do
  deep="$deep/level-$i"
  up="$up/.."
done
mkdir -p "$deep"
printf 'bottom\n' > "$deep/bottom.txt"
ln -s "$up/docs/empty" "$deep/up-to-docs-empty"

# Relative links: to a file, to a directory, chains of both, to '.'.
ln -s tiny64_defconfig xen/arch/riscv/configs/riscv64_defconfig
ln -s riscv64_defconfig xen/arch/riscv/configs/chained_defconfig
ln -s ../xen/arch tools/arch
ln -s arch tools/arch-chain
ln -s ../tools/arch-chain/riscv/configs 'dir with spaces/configs link'
ln -s . tools/self
ln -s 'sub dir/a file with spaces.txt' 'dir with spaces/link with spaces'
ln -s run.sh scripts/run-link.sh

# Dangling links, a link to itself.
ln -s does-not-exist dangling
ln -s ../missing/dir tools/dangling-dir
ln -s loop loop

# Links pointing outside the tree.
ln -s /etc evil
ln -s / tools/root
ln -s ../../outside tools/escape-up
ln -s ../outside/file escape-file
