#!/bin/sh
# Follows docs/operations.md from a packed tree to a running systemd service, on a real systemd:
# a Debian bookworm root filesystem booted with systemd-nspawn (systemd as its PID 1, a private
# network namespace with only loopback), the documented install steps run inside it, then checks
# that the service is up as its own user, answers, keeps its data across `systemctl restart`, and
# that systemd saw READY=1 and STOPPING=1. Needs root, debootstrap and systemd-container.
#
#   sudo sh scripts/systemd-check.sh [ROOTFS]   # ROOTFS: a bookworm tree with systemd to reuse;
#                                               # made with debootstrap when absent
set -eu
cd "$(dirname "$0")/.."
root=${1:-/var/tmp/redoubt-systemd-root}
step() { printf '\n==> %s\n' "$*"; }

if [ ! -x "$root/lib/systemd/systemd" ]; then
  step "root filesystem: debootstrap bookworm minbase with systemd, dbus and procps"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
if [ ! -x "$root/usr/local/bin/node" ]; then
  step "this machine's $(node --version) and npm $(npm --version) into it"
  cp "$(command -v node)" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$(npm root -g)/npm" "$root/usr/local/lib/node_modules/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
fi

step "npm pack"
npm pack >/dev/null 2>&1 # prepare builds first
tarball=$(ls -t redoubt-*.tgz | head -1)
rm -rf "$root/root/redoubt" && mkdir -p "$root/root/redoubt"
mv "$tarball" "$root/root/redoubt/"
cp -a packaging "$root/root/redoubt/"

step "boot it: systemd-nspawn --boot --private-network"
systemd-nspawn -q --register=no --keep-unit --private-network -D "$root" -b >/dev/null 2>&1 &
nspawn=$!
trap 'kill "$nspawn" 2>/dev/null || true; wait "$nspawn" 2>/dev/null || true' EXIT
leader=""
inside() { nsenter -t "$leader" -a /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root sh -c "cd /root/redoubt && $1"; }
for _ in $(seq 1 100); do
  leader=$(pgrep -P "$nspawn" -x systemd || true)
  if [ -n "$leader" ] && inside 'systemctl is-system-running --wait' >/dev/null 2>&1; then break; fi
  sleep 0.3
done
inside 'echo "PID 1 is $(cat /proc/1/comm), $(systemctl --version | head -1), system $(systemctl is-system-running)"'

step "the documented steps (docs/operations.md: Installing, systemd)"
inside "set -x
npm install -g --offline ./$tarball >/dev/null 2>&1
redoubt --version
useradd --system --home-dir /var/lib/redoubt --shell /usr/sbin/nologin redoubt
install -D -m 0640 -g redoubt packaging/redoubt.conf /etc/redoubt/redoubt.conf
install -m 0644 packaging/redoubt.service /etc/systemd/system/
systemctl daemon-reload && systemctl enable --now redoubt" 2>&1

# A client inside the container: one command, its reply.
ask() { inside "node -e '
const s = require(\"net\").connect(6379, \"127.0.0.1\");
const a = process.argv.slice(1);
s.end(\"*\" + a.length + \"\\r\\n\" + a.map((x) => \"\$\" + Buffer.byteLength(x) + \"\\r\\n\" + x + \"\\r\\n\").join(\"\"));
let r = \"\"; s.on(\"data\", (d) => (r += d)); s.on(\"close\", () => console.log(JSON.stringify(r)));
' $*"; }

step "the service"
inside 'systemctl show redoubt -p Type -p ActiveState -p SubState -p StatusText -p User; ps -o user=,comm= -p "$(systemctl show redoubt -p MainPID --value)"'
printf 'PING -> '; ask PING
printf 'SET walkthrough yes -> '; ask SET walkthrough yes

step "systemctl restart redoubt (SIGTERM saves; the data comes back)"
inside 'systemctl restart redoubt && systemctl show redoubt -p ActiveState -p StatusText; ls -l /var/lib/redoubt'
printf 'GET walkthrough -> '; ask GET walkthrough

step "what systemd and the journal saw"
inside 'journalctl -u redoubt --no-pager -o cat | grep -E "Starting|Started|Stopping|Stopped|Ready to accept|User requested|DB saved|Redoubt is" | head -20'

step "systemctl stop redoubt"
inside 'systemctl stop redoubt; systemctl show redoubt -p ActiveState -p Result'
inside 'systemctl poweroff' >/dev/null 2>&1 || true
wait "$nspawn" 2>/dev/null || true
trap - EXIT
step "done"
