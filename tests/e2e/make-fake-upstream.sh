#!/bin/bash
# Creates a small Xen-shaped upstream under ROOT for end-to-end tests and benchmarks:
#   ROOT/git/{xen,qemu,seabios,ovmf,ipxe}   git repositories (xen from tests/data/fake-xen,
#                                            tagged RELEASE-4.19.0, with Xen 4.18+'s riscv
#                                            symlink; components with a README, iPXE also
#                                            with a link README.link -> README)
#   ROOT/recipes/xen/*.json                 the project's recipes with a 4.19 branch file
#                                            pinning those repositories (file:// URLs, NAR hashes)
#   ROOT/patches/4.19/                      local patches (0001 and 0002 edit the same line,
#                                            so they only apply in order)
#   ROOT/host/                              files standing in for the host's firmware
#   ROOT/host-profile.json                  a host profile pointing at them
#   FAKE_EXTRA_BRANCHES="4.16:4.16.6 ..."   also branch files for older branches, each with its
#                                            own xen repository carrying that version
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

for file in builder.json variants.json host-profile.json patches.json; do
  cp "$project/recipes/xen/$file" "$root/recipes/xen/$file"
done
source_json() { # name submodules
  printf '    "%s": {\n      "url": "file://%s",\n      "rev": "%s",\n      "hash": "%s",\n      "submodules": false\n    }' \
    "$1" "$root/git/$1" "${rev[$1]}" "${hash[$1]}"
}
{
  printf '{\n  "kind": "branch",\n  "branch": "4.19",\n  "version": "4.19.0",\n  "latest": true,\n  "sources": {\n'
  source_json xen; printf ',\n'; source_json qemu; printf ',\n'; source_json seabios; printf ',\n'
  source_json ovmf; printf ',\n'; source_json ipxe; printf '\n  },\n'
  printf '  "patches": [],\n'
  printf '  "support": {\n    "initialRelease": "2024-07-29",\n    "supportedUntil": "2026-01-29",\n    "securitySupportUntil": "2027-07-29"\n  }\n}\n'
} > "$root/recipes/xen/4.19.json"

for pair in ${FAKE_EXTRA_BRANCHES:-}; do
  branch=${pair%%:*}
  version=${pair#*:}
  repo="$root/git/xen-$branch"
  cp -r "$project/tests/data/fake-xen" "$repo"
  sed -i "s/^export XEN_SUBVERSION    = 19/export XEN_SUBVERSION    = ${branch#4.}/; s/^export XEN_EXTRAVERSION ?= .0/export XEN_EXTRAVERSION ?= .${version##*.}/" "$repo/xen/Makefile"
  sed -i "s/^VERSION := 4.19.0/VERSION := $version/" "$repo/tools/Makefile"
  xen_hash=$(nar_sri "$repo")
  (cd "$repo" && "${git[@]}" init -q && "${git[@]}" add -A && "${git[@]}" commit -qm "xen $version" &&
   "${git[@]}" tag -a "RELEASE-$version" -m "Xen $version")
  xen_rev=$(cd "$repo" && git rev-parse HEAD)
  {
    printf '{\n  "kind": "branch",\n  "branch": "%s",\n  "version": "%s",\n  "latest": false,\n  "sources": {\n' "$branch" "$version"
    printf '    "xen": {\n      "url": "file://%s",\n      "rev": "%s",\n      "hash": "%s",\n      "submodules": false\n    },\n' "$repo" "$xen_rev" "$xen_hash"
    source_json qemu; printf ',\n'; source_json seabios; printf ',\n'
    source_json ovmf; printf ',\n'; source_json ipxe; printf '\n  },\n'
    printf '  "patches": [],\n'
    printf '  "support": {\n    "initialRelease": "2022-12-12",\n    "supportedUntil": "2024-06-12",\n    "securitySupportUntil": "2025-12-12"\n  }\n}\n'
  } > "$root/recipes/xen/$branch.json"
done

cat > "$root/patches/4.19/0001-xen-patched-xl-4.19.patch" <<'PATCH'
--- a/tools/Makefile
+++ b/tools/Makefile
@@ -34,3 +34,3 @@ endif
 xl:
-	printf '#!/bin/sh\necho "xl from Xen $(VERSION)"\n' > $@
+	printf '#!/bin/sh\necho "xl from patched Xen $(VERSION)"\n' > $@
 	chmod +x $@
PATCH
cat > "$root/patches/4.19/0002-xen-patched-again-4.19.patch" <<'PATCH'
--- a/tools/Makefile
+++ b/tools/Makefile
@@ -34,3 +34,3 @@ endif
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
