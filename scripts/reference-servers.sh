#!/usr/bin/env bash
# Installs the reference servers the differential and interoperability tests run against, all from
# Debian's archive, and nothing else:
#   - redis-server 7.0 and redis-tools (Debian bookworm): the byte-for-byte reference for what 7.0 has
#   - redis-sentinel 7.0 (Debian bookworm): the real Sentinel that fails Redoubt over (test/sentinel.test.ts)
#   - valkey-server 8.0.1 (bookworm-backports): a second real server whose RDB files Redoubt loads
#   - prometheus-redis-exporter 1.45 (Debian bookworm): a real monitoring client (test/exporter.test.ts)
#   - with --redis8 DIR: redis-server 8.0.2 built from Debian's source archive (trixie's upstream
#     tarball, checksum-checked) into DIR, the reference for the commands added after 7.2
#     (hash-field expiration, HGETEX/HSETEX/HGETDEL); about three minutes of make on two cores,
#     skipped when DIR/src/redis-server is already there
# Usage: reference-servers.sh [--redis8 DIR]
# Idempotent: what is present already is left alone. Runs as root (or through sudo).
# The backports suite is added with one sources file that reuses the host of the machine's own
# Debian sources; its binaries are installed only when asked for by name with -t.
set -euo pipefail

redis8_dir=""
if [ "${1:-}" = --redis8 ]; then
  redis8_dir=${2:?--redis8 needs a directory}
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--redis8 DIR]" >&2
  exit 2
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# PIDs of running servers of the given command name, read from /proc (no extra tools needed).
pids_of() {
  local dir
  for dir in /proc/[0-9]*; do
    if [ "$(cat "$dir/comm" 2>/dev/null || true)" = "$1" ]; then echo "${dir#/proc/}"; fi
  done
}

major_of() {
  "$1" --version 2>/dev/null | sed -n 's/.* v=\([0-9]*\)\..*/\1/p'
}

need_redis=yes
[ "$(major_of redis-server || true)" = 7 ] && command -v redis-cli >/dev/null && command -v redis-sentinel >/dev/null && need_redis=no
need_valkey=yes
command -v valkey-server >/dev/null && need_valkey=no
need_exporter=yes
command -v prometheus-redis-exporter >/dev/null && need_exporter=no

# Redis 8.0.2 from the upstream tarball Debian trixie ships as its source package. Trixie is added
# as source packages only (deb-src), so no binary package ever comes from it.
build_redis8() {
  local dir=$1 tmp tgz
  if [ -x "$dir/src/redis-server" ]; then
    echo "redis 8 present: $("$dir/src/redis-server" --version | cut -d' ' -f1-3)"
    return
  fi
  if ! grep -rqs 'trixie' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || { echo "no Debian mirror found in this machine's apt sources" >&2; exit 1; }
    as_root tee /etc/apt/sources.list.d/redoubt-trixie-src.sources >/dev/null <<EOS
Types: deb-src
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
    as_root apt-get update -qq
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source --download-only -qq redis/trixie >/dev/null 2>&1) || true
  tgz="$tmp/redis_8.0.2.orig.tar.gz"
  [ -f "$tgz" ] || { echo "redis_8.0.2.orig.tar.gz not found in Debian's source archive" >&2; rm -rf "$tmp"; exit 1; }
  echo "caf3c0069f06fc84c5153bd2a348b204c578de80490c73857bee01d9b5d7401f  $tgz" | sha256sum -c --quiet - \
    || { echo "redis_8.0.2.orig.tar.gz has an unexpected checksum" >&2; rm -rf "$tmp"; exit 1; }
  mkdir -p "$dir"
  tar xzf "$tgz" -C "$dir" --strip-components=1
  rm -rf "$tmp"
  make -C "$dir" -j"$(nproc)" MALLOC=libc BUILD_TLS=no >"$dir/build.log" 2>&1 \
    || { tail -20 "$dir/build.log" >&2; exit 1; }
  echo "built: $("$dir/src/redis-server" --version | cut -d' ' -f1-3)"
}

if [ $need_redis = no ] && [ $need_valkey = no ] && [ $need_exporter = no ]; then
  echo "reference servers present: $(redis-server --version | cut -d' ' -f1-3), $(valkey-server --version | cut -d' ' -f1-3), prometheus-redis-exporter"
  [ -z "$redis8_dir" ] || build_redis8 "$redis8_dir"
  exit 0
fi

if [ $need_valkey = yes ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || { echo "no Debian mirror found in this machine's apt sources" >&2; exit 1; }
  as_root tee /etc/apt/sources.list.d/redoubt-backports.sources >/dev/null <<EOS
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
fi

# Keep the packages' init scripts from starting system servers on the default ports while they
# install (the standard policy-rc.d mechanism); only our own temporary policy is removed.
# (/proc/PID/comm holds the first 15 bytes of a name: prometheus-redis-exporter is "prometheus-redi".)
before=$( (pids_of redis-server; pids_of redis-sentinel; pids_of valkey-server; pids_of prometheus-redi) | sort)
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
  as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  own_policy=yes
fi
trap '[ "$own_policy" = yes ] && as_root rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
if [ $need_redis = yes ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server redis-sentinel redis-tools >/dev/null
fi
if [ $need_valkey = yes ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports valkey-server valkey-tools >/dev/null
fi
if [ $need_exporter = yes ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-redis-exporter >/dev/null
fi
# If a package started a server anyway, stop exactly the processes that were not there before.
for pid in $(comm -13 <(echo "$before") <( (pids_of redis-server; pids_of redis-sentinel; pids_of valkey-server; pids_of prometheus-redi) | sort)); do
  echo "stopping pid $pid started by the package install"
  as_root kill "$pid" || true
done
echo "installed: $(redis-server --version | cut -d' ' -f1-3), $(valkey-server --version | cut -d' ' -f1-3)"
[ -z "$redis8_dir" ] || build_redis8 "$redis8_dir"
