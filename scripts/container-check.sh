#!/bin/sh
# Builds the container image (packaging/container/Dockerfile) with podman and runs it: the entry
# point without a secret (refused), then with one (NOAUTH without the password, PONG with it, the
# health check, data written to /data as the image's user). Needs root and Debian's podman.
#
#   sudo sh scripts/container-check.sh              # base image from the registry
#   sudo sh scripts/container-check.sh --local-base # no registry: a stand-in node:20-bookworm-slim
#                                                   # made with debootstrap and this machine's node/npm
#
# Where podman cannot start containers (crun refused setrlimit in the sandbox this was written in),
# the image's root filesystem is run in a chroot as its USER and WORKDIR instead, and it says so.
set -eu
cd "$(dirname "$0")/.."
port=${PORT:-16390}
image=localhost/redoubt-check
work=$(mktemp -d)
trap 'podman rm -f redoubt-check >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
step() { printf '\n==> %s\n' "$*"; }

if [ "${1:-}" = "--local-base" ] && ! podman image exists docker.io/library/node:20-bookworm-slim; then
  step "stand-in base image: debootstrap bookworm minbase + $(node --version) + npm $(npm --version)"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >/dev/null
  cp "$(command -v node)" "$work/rootfs/usr/local/bin/node"
  mkdir -p "$work/rootfs/usr/local/lib/node_modules"
  cp -a "$(npm root -g)/npm" "$work/rootfs/usr/local/lib/node_modules/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  chroot "$work/rootfs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node'
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["node"]' - docker.io/library/node:20-bookworm-slim >/dev/null
  rm -rf "$work/rootfs"
fi

step "npm pack; podman build"
rm -f redoubt-*.tgz
npm pack >/dev/null 2>&1   # prepare builds first
# chroot isolation: RUN steps need no container runtime.
podman build --pull=never --isolation=chroot --format docker -q -t "$image" -f packaging/container/Dockerfile . >/dev/null
rm -f redoubt-*.tgz
podman image inspect "$image" --format 'user={{.Config.User}} workdir={{.Config.WorkingDir}} volumes={{.Config.Volumes}} healthcheck={{.Config.Healthcheck.Test}}'

secret=$work/secret
printf '%s' 'a "quoted" pass\word' > "$secret"
pass='a "quoted" pass\word'

if podman run --rm --network=none --entrypoint true "$image" 2>/dev/null; then
  step "podman run"
  podman run -d --name redoubt-check -p "127.0.0.1:$port:6379" -v "$secret:/run/secrets/redoubt_password:ro,Z" "$image" >/dev/null
  run_health() { podman healthcheck run redoubt-check; }
  stop() { podman stop redoubt-check >/dev/null; }
  refused() { podman run --rm "$image" 2>&1 || true; }
  datadir() { podman exec redoubt-check ls -ln /data; }
else
  step "podman cannot start containers here; running the image's filesystem in a chroot as uid 1000 in /data"
  podman create --name redoubt-check "$image" >/dev/null
  root=$(podman mount redoubt-check)
  mkdir -p "$root/run/secrets"
  inside() {
    unshare -m --propagation private sh -c 'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot --userspec=1000:1000 "$0" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/node REDOUBT_PASSWORD_FILE=/run/secrets/redoubt_password sh -c "cd /data && exec \"\$@\"" sh "$@"' "$root" "$@"
  }
  refused() { inside /usr/local/bin/redoubt-entrypoint 2>&1 || true; }
  step "without a secret"
  refused
  cp "$secret" "$root/run/secrets/redoubt_password"
  # Loopback only: this shares the host's network, where the image's "* -::*" would be every address.
  inside /usr/local/bin/redoubt-entrypoint --port "$port" --bind 127.0.0.1 >"$work/log" 2>&1 &
  run_health() { inside node /usr/local/lib/redoubt-healthcheck.js "$port"; }
  stop() { redis-cli -p "$port" --no-auth-warning -a "$pass" shutdown >/dev/null 2>&1 || true; wait; }
  datadir() { ls -ln "$root/data"; }
fi

step "clients"
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 100 ] || { echo "not listening" >&2; exit 1; }; sleep 0.1; done
echo "ping without the password: $(redis-cli -p "$port" ping)"
echo "ping with it: $(redis-cli -p "$port" --no-auth-warning -a "$pass" ping)"
echo "set: $(redis-cli -p "$port" --no-auth-warning -a "$pass" set k v)"
redis-cli -p "$port" --no-auth-warning -a "$pass" save >/dev/null
run_health && echo "health check: healthy"
datadir
stop
step "done"
