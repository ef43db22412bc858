#!/bin/sh
# The container's entry point: reads the password from the secret file and starts Redoubt on every
# address with it. The password goes to the server on standard input, as a config line, never on
# the command line (where ps and /proc would show it). No password, no server: a container is
# reached from beyond loopback, where an open default user is anyone's.
set -eu
secret=${REDOUBT_PASSWORD_FILE:-/run/secrets/redoubt_password}
if [ ! -r "$secret" ]; then
  echo "redoubt: no password file at $secret (set REDOUBT_PASSWORD_FILE, or mount a secret there); refusing to start without a password" >&2
  exit 1
fi
# Every byte as \xHH inside double quotes: any password survives the config parser unchanged. One
# trailing newline (as echo or an editor leaves) is not part of it.
hex=$(od -An -v -tx1 "$secret" | tr -d ' \n' | sed 's/0a$//; s/../\\x&/g')
if [ -z "$hex" ]; then
  echo "redoubt: the password file $secret is empty; refusing to start without a password" >&2
  exit 1
fi
exec redoubt - --bind '* -::*' --protected-mode yes "$@" <<CONF
requirepass "$hex"
CONF
