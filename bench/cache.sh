#!/usr/bin/env bash
# Binary cache (docs/cache.md): substituting a package's outputs from a loopback nginx vs
# building them, and a push of an already-present package. Targets: substitution under 2% of
# the build's wall time; the second push under 100 ms. By default on Debian's real Xen 4.17
# tree (slim, 5-10 minutes for the build); `--fake` uses the Xen-shaped test tree (there the
# build takes about a second, so the ratio says little; the push figure still holds).
#   bench/cache.sh [--fake] [BUILD_DIR]
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
fake=0
if [ "${1:-}" = --fake ]; then fake=1; shift; fi
build=${1:-$project/build}
xenbuild="$build/xenbuild"
work=$(mktemp -d /tmp/xb-cache-XXXXXX)
nginx_pid=
cleanup() {
  [ -z "$nginx_pid" ] || { kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true; }
  chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
export PATH=/usr/bin:/bin:/usr/sbin XENBUILD_TODAY=2026-11-21
if [ $fake = 1 ]; then
  bash "$project/tests/e2e/make-fake-upstream.sh" "$work/up" "$project" > /dev/null
  package=xen_4_19-slim
  args=(--recipes "$work/up/recipes")
  build_args=(--host-profile "$work/up/host-profile.json")
else
  src=$(bash "$project/scripts/fetch-debian-xen.sh"); package=xen_4_17-slim
  args=()
  build_args=(--override-source "xen=$src" --exclude-patch all)
fi
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# A loopback nginx serving GET and accepting PUT (the same config as the tests).
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx" "$work/served"
user_line=""; [ "$(id -u)" = 0 ] && user_line="user root;"
cat > "$work/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; $user_line
pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port; root $work/served; client_max_body_size 0;
    location / { dav_methods PUT; create_full_put_path on; }
  }
}
CONF
nginx -p "$work/nginx/" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
url="http://127.0.0.1:$port/cache"

"$xenbuild" -q cache keygen bench-1 --dir "$work" > /dev/null
key=$(cat "$work/bench-1.pub")

start=$(date +%s%N)
"$xenbuild" -q "${args[@]}" --store "$work/store" build "$package" "${build_args[@]}" > /dev/null
built=$(ms "$start")

start=$(date +%s%N)
"$xenbuild" -q "${args[@]}" --store "$work/store" cache push "$url" "$package" \
  "${build_args[@]}" --sign-key "$work/bench-1.sec" > /dev/null
pushed=$(ms "$start")
start=$(date +%s%N)
"$xenbuild" -q "${args[@]}" --store "$work/store" cache push "$url" "$package" \
  "${build_args[@]}" --sign-key "$work/bench-1.sec" > /dev/null
repushed=$(ms "$start")

# A fresh store (with build keys independent of the store directory; before that, the same
# directory emptied: move the built store aside).
fresh="$work/store-fresh"
start=$(date +%s%N)
"$xenbuild" -q "${args[@]}" --store "$fresh" build "$package" "${build_args[@]}" \
  --substituter "$url" --trusted-key "$key" --json > "$work/subst.json"
substituted=$(ms "$start")
status=$(/usr/bin/python3 -c 'import json,sys; print(",".join(sorted(set(json.load(open(sys.argv[1]))[0]["outputStatus"].values()))))' "$work/subst.json")
if [ "$status" != substituted ]; then
  echo "the fresh store did not substitute (outputs: $status): are build keys still store-dependent?" >&2
  mv "$work/store" "$work/store-built"
  fresh="$work/store"
  start=$(date +%s%N)
  "$xenbuild" -q "${args[@]}" --store "$fresh" build "$package" "${build_args[@]}" \
    --substituter "$url" --trusted-key "$key" --json > "$work/subst.json"
  substituted=$(ms "$start")
fi
size=$(du -sb "$work/served/cache" | cut -f1)
ratio=$(/usr/bin/python3 -c "print(f'{100 * $substituted / $built:.2f}')")
echo "cache of $package ($((size / 1024)) KiB compressed): build ${built} ms, push ${pushed} ms," \
  "substitute ${substituted} ms (${ratio}% of the build, target < 2%)," \
  "push again ${repushed} ms (target < 100 ms)"
