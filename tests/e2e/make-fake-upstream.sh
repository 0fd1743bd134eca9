#!/bin/bash
# Creates a small Xen-shaped upstream under ROOT for end-to-end tests and benchmarks:
#   ROOT/git/{xen,qemu,seabios,ovmf,ipxe}   git repositories (xen from tests/data/fake-xen,
#                                            tagged RELEASE-4.19.0, with Xen 4.18+'s riscv
#                                            symlink; components from tests/data/fake-components
#                                            with a README, iPXE also with a link
#                                            README.link -> README; seabios tagged rel-1.16.3,
#                                            the revision the tree's Config.mk names)
#   ROOT/recipes/xen/*.json                 the project's recipes, the builder's sources pointing
#                                            at those repositories (file:// URLs), a 4.19 branch
#                                            file pinning them (revs, NAR hashes) and no upstream
#                                            patches
#   ROOT/patches/4.19/                      local patches (0001 and 0002 edit the same line,
#                                            so they only apply in order)
#   ROOT/host/                              files standing in for the host's firmware
#   ROOT/host-profile.json                  a host profile pointing at them
#   FAKE_EXTRA_BRANCHES="4.16:4.16.6 ..."   also branch files for older branches, each pinning
#                                            a commit of the xen repository (on its own git
#                                            branch, tagged RELEASE-<version>) carrying that version
#   FAKE_XEN_EXTRA_FILES=N                  also N small files under docs/ in the xen tree (a
#                                            checkout long enough to report progress)
# Usage: make-fake-upstream.sh ROOT PROJECT_SOURCE_DIR
set -euo pipefail
export PATH=/usr/bin:/bin
root=$1
project=$2
git=(git -c init.defaultBranch=main -c user.name=t -c user.email=t@example.invalid
     -c protocol.file.allow=always)
mkdir -p "$root/git" "$root/recipes/xen" "$root/patches/4.19" "$root/host"

make_repo() { # name dir-with-content
  local name=$1
  (cd "$root/git/$name" && "${git[@]}" init -q && "${git[@]}" add -A &&
   "${git[@]}" commit -qm "$name" && "${git[@]}" tag -a "v-$name" -m "$name")
}

cp -r "$project/tests/data/fake-xen" "$root/git/xen"
if [ "${FAKE_XEN_EXTRA_FILES:-0}" -gt 0 ]; then
  mkdir -p "$root/git/xen/docs"
  for ((i = 0; i < FAKE_XEN_EXTRA_FILES; i++)); do echo "doc $i" > "$root/git/xen/docs/doc-$i.txt"; done
fi
for component in qemu seabios ovmf ipxe; do
  mkdir -p "$root/git/$component"
  cp -r "$project/tests/data/fake-components/$component/." "$root/git/$component/"
  echo "$component component of the fake upstream" > "$root/git/$component/README"
done
# iPXE's tree has symbolic links; the tarball xenbuild packs must keep them (etherboot checks).
ln -s README "$root/git/ipxe/README.link"
nar_sri() { nix --extra-experimental-features nix-command hash path "$1"; }
declare -A hash rev
for name in xen qemu seabios ovmf ipxe; do
  hash[$name]=$(nar_sri "$root/git/$name")
  make_repo "$name"
  rev[$name]=$(cd "$root/git/$name" && git rev-parse HEAD)
done
(cd "$root/git/xen" && "${git[@]}" tag -a RELEASE-4.19.0 -m "Xen 4.19.0")
# As `xenbuild update` pins a component named by a tag in Config.mk: rev and tag.
seabios_tag=$(sed -n 's/^SEABIOS_UPSTREAM_TAG ?= //p' "$project/tests/data/fake-xen/Config.mk")
(cd "$root/git/seabios" && "${git[@]}" tag -a "$seabios_tag" -m "SeaBIOS $seabios_tag")
declare -A tag=([seabios]=$seabios_tag)

for file in variants.json host-profile.json; do
  cp "$project/recipes/xen/$file" "$root/recipes/xen/$file"
done
# Every source's url (each follows its "name" in builder.json) points at the fake repository.
awk -v git="$root/git" '
  /"name": "/ { match($0, /"name": "[^"]*"/); name = substr($0, RSTART + 9, RLENGTH - 10) }
  /"url": "/ && name != "" { sub(/"url": "[^"]*"/, "\"url\": \"file://" git "/" name "\"") }
  { print }' "$project/recipes/xen/builder.json" > "$root/recipes/xen/builder.json"
sed -n '1,/^{/p' "$project/recipes/xen/patches.json" | sed '$d' > "$root/recipes/xen/patches.json"
printf '{\n  "kind": "patches",\n  "patches": []\n}\n' >> "$root/recipes/xen/patches.json"
source_json() { # name [rev hash]
  printf '    "%s": {\n      "rev": "%s",\n' "$1" "${2:-${rev[$1]}}"
  if [ -n "${tag[$1]:-}" ]; then printf '      "tag": "%s",\n' "${tag[$1]}"; fi
  printf '      "hash": "%s"\n    }' "${3:-${hash[$1]}}"
}
branch_json() { # branch version xen-rev xen-hash initial supported security
  printf '{\n  "kind": "branch",\n  "branch": "%s",\n  "version": "%s",\n  "sources": {\n' "$1" "$2"
  source_json xen "$3" "$4"; printf ',\n'; source_json qemu; printf ',\n'; source_json seabios
  printf ',\n'; source_json ovmf; printf ',\n'; source_json ipxe; printf '\n  },\n'
  printf '  "support": {\n    "initialRelease": "%s",\n    "supportedUntil": "%s",\n    "securitySupportUntil": "%s"\n  }\n}\n' "$5" "$6" "$7"
}
branch_json 4.19 4.19.0 "${rev[xen]}" "${hash[xen]}" 2024-07-29 2026-01-29 2027-07-29 \
  > "$root/recipes/xen/4.19.json"

for pair in ${FAKE_EXTRA_BRANCHES:-}; do
  branch=${pair%%:*}
  version=${pair#*:}
  tree="$root/tree-xen-$branch"
  cp -r "$project/tests/data/fake-xen" "$tree"
  sed -i "s/^export XEN_SUBVERSION    = 19/export XEN_SUBVERSION    = ${branch#4.}/; s/^export XEN_EXTRAVERSION ?= .0/export XEN_EXTRAVERSION ?= .${version##*.}/" "$tree/xen/Makefile"
  sed -i "s/^VERSION := 4.19.0/VERSION := $version/" "$tree/tools/Makefile"
  xen_hash=$(nar_sri "$tree")
  (cd "$root/git/xen" && "${git[@]}" checkout -q --orphan "stable-$branch" &&
   "${git[@]}" rm -rqf . && cp -r "$tree/." . && "${git[@]}" add -A &&
   "${git[@]}" commit -qm "xen $version" && "${git[@]}" tag -a "RELEASE-$version" -m "Xen $version" &&
   "${git[@]}" checkout -q main)
  xen_rev=$(cd "$root/git/xen" && git rev-parse "RELEASE-$version^{commit}")
  rm -rf "$tree"
  branch_json "$branch" "$version" "$xen_rev" "$xen_hash" 2022-12-12 2024-06-12 2025-12-12 \
    > "$root/recipes/xen/$branch.json"
done

cat > "$root/patches/4.19/0001-xen-patched-xl-4.19.patch" <<'PATCH'
--- a/tools/Makefile
+++ b/tools/Makefile
@@ -55,3 +55,3 @@
 xl:
-	printf '#!/bin/sh\necho "xl from Xen $(VERSION)"\n' > $@
+	printf '#!/bin/sh\necho "xl from patched Xen $(VERSION)"\n' > $@
 	chmod +x $@
PATCH
cat > "$root/patches/4.19/0002-xen-patched-again-4.19.patch" <<'PATCH'
--- a/tools/Makefile
+++ b/tools/Makefile
@@ -55,3 +55,3 @@
 xl:
-	printf '#!/bin/sh\necho "xl from patched Xen $(VERSION)"\n' > $@
+	printf '#!/bin/sh\necho "xl from twice patched Xen $(VERSION)"\n' > $@
 	chmod +x $@
PATCH

for component in seabios ovmf ipxe qemu; do echo "host $component" > "$root/host/$component"; done
cat > "$root/host-profile.json" <<JSON
{
  "kind": "host-profile",
  "name": "fake",
  "description": "files standing in for the host's firmware",
  "paths": {
    "qemu": "$root/host/qemu",
    "seabios": "$root/host/seabios",
    "ovmf": "$root/host/ovmf",
    "ipxe": "$root/host/ipxe"
  }
}
JSON
