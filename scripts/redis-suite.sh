#!/usr/bin/env bash
# Runs Redis's (or Valkey's) own TCL test suite against Redoubt in external mode: for each test
# file, a fresh Redoubt on a free loopback port, then `tests/test_helper.tcl --host --port --single
# FILE` with the tags of Redis's external-server CI job. Prints one line per file and a total, and
# keeps every file's output and server log in the results folder.
#
#   scripts/redis-suite.sh fetch-redis DIR     put Redis 7.0.15's source tree (with tests/) in DIR,
#                                              from Debian's source archive (deb-src for bookworm-security)
#   scripts/redis-suite.sh fetch-valkey DIR    put Valkey 8.0.1's tree in DIR: `git archive` of tag 8.0.1 from
#                                              the git directory in VALKEY_GIT, else a shallow clone of
#                                              github.com/valkey-io/valkey (needs network access to GitHub)
#   scripts/redis-suite.sh run SUITE_DIR [FILE ...]
#                                              run the suite of the tree in SUITE_DIR (all of its
#                                              test_helper.tcl list, or the FILEs named: unit/type/hash ...)
# Environment: SUITE_TAGS (default "-slow -needs:debug"), RESULTS (default a new folder under /tmp),
# SUITE_TIMEOUT seconds per file (default 900), REDOUBT_ARGS (extra server directives).
# Needs tclsh (Debian: tcl) and a built Redoubt (npm run build). The suites are not part of this
# repository and are never committed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

fetch_redis() {
  local dir=$1 tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source --download-only redis/bookworm-security >/dev/null 2>&1) ||
    { echo "apt-get source redis/bookworm-security failed (is there a deb-src entry for bookworm-security?)" >&2; exit 1; }
  echo "4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982  $tmp/redis_7.0.15.orig.tar.gz" | sha256sum -c --quiet - ||
    { echo "redis_7.0.15.orig.tar.gz has an unexpected checksum" >&2; exit 1; }
  mkdir -p "$dir"
  tar xzf "$tmp/redis_7.0.15.orig.tar.gz" -C "$dir" --strip-components=1
  rm -rf "$tmp"
  echo "Redis 7.0.15 source tree in $dir"
}

fetch_valkey() {
  local dir=$1 tmp
  mkdir -p "$dir"
  if [ -n "${VALKEY_GIT:-}" ]; then
    git --git-dir="$VALKEY_GIT" archive 8.0.1 | tar -x -C "$dir"
  else
    tmp=$(mktemp -d)
    git clone --quiet --depth 1 --branch 8.0.1 https://github.com/valkey-io/valkey "$tmp/valkey" ||
      { echo "git clone of valkey-io/valkey failed (set VALKEY_GIT to a local clone's git directory)" >&2; exit 1; }
    git --git-dir="$tmp/valkey/.git" archive 8.0.1 | tar -x -C "$dir"
    rm -rf "$tmp"
  fi
  echo "Valkey 8.0.1 source tree in $dir"
}

# The files a tree's test_helper.tcl runs: Redis 7.0 lists them in ::all_tests, Valkey 8 globs
# the folders of its test_dirs.
suite_files() {
  local suite=$1 d
  if grep -q 'set ::all_tests {' "$suite/tests/test_helper.tcl"; then
    sed -n '/set ::all_tests {/,/^}/p' "$suite/tests/test_helper.tcl" | grep -v '[{}]' | tr -d ' ' | grep .
  else
    for d in $(sed -n '/^set test_dirs {/,/^}/p' "$suite/tests/test_helper.tcl" | grep -v '[{}]'); do
      for f in "$suite/tests/$d"/*.tcl; do [ -e "$f" ] && echo "$d/$(basename "$f" .tcl)"; done
    done
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

run_suite() {
  local suite=$1; shift
  [ -f "$suite/tests/test_helper.tcl" ] || { echo "$suite has no tests/test_helper.tcl" >&2; exit 1; }
  command -v tclsh >/dev/null || { echo "tclsh is missing (Debian: apt-get install tcl)" >&2; exit 1; }
  [ -f "$here/dist/src/cli/main.js" ] || { echo "build Redoubt first: npm run build" >&2; exit 1; }
  # The helpers call src/redis-cli and src/redis-benchmark of the tree (src/valkey-cli and
  # src/valkey-benchmark in Valkey's); use the installed tools of the same names.
  mkdir -p "$suite/src"
  local tool
  for tool in redis-cli redis-benchmark valkey-cli valkey-benchmark; do
    grep -rqs "src/$tool" "$suite/tests/support" || continue
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
    [ -e "$suite/src/$tool" ] || ln -s "$(command -v "$tool")" "$suite/src/$tool"
  done
  local files=("$@")
  if [ ${#files[@]} -eq 0 ]; then
    mapfile -t files < <(suite_files "$suite")
  fi
  local results=${RESULTS:-$(mktemp -d /tmp/redoubt-suite.XXXXXX)}
  mkdir -p "$results"
  local tags=()
  for t in ${SUITE_TAGS:--slow -needs:debug}; do tags+=(--tags "$t"); done
  local total_ok=0 total_err=0 total_exc=0 total_skip=0
  printf '%-40s %5s %5s %5s %5s\n' file ok err exc skip
  for f in "${files[@]}"; do
    local name port pid out log work
    name=$(echo "$f" | tr / _)
    out="$results/$name.out"; log="$results/$name.server.log"
    port=$(free_port)
    # Each server in its own empty directory: a test that saves (redis-cli --rdb, SAVE) must not
    # leave a dump.rdb that the next file's server would load.
    work=$(mktemp -d "$results/work.XXXXXX")
    # shellcheck disable=SC2086
    # The suite runs as whoever runs it (CI: root), which the server refuses unless allowed.
    (cd "$work" && REDOUBT_ALLOW_ROOT=${REDOUBT_ALLOW_ROOT:-yes} exec node "$here/dist/src/cli/main.js" --port "$port" --save '' \
      --enable-debug-command yes --enable-migrate-command yes --enable-protected-configs yes --enable-module-command yes \
      ${REDOUBT_ARGS:-}) >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    # The helper's own ports (baseport - 32 up to baseport + portcount) stay below Linux's ephemeral
    # range (32768-60999), where any outgoing connection could take one; a clash is retried once.
    local attempt
    for attempt in 1 2; do
      (cd "$suite" && timeout "${SUITE_TIMEOUT:-900}" tclsh tests/test_helper.tcl --host 127.0.0.1 --port "$port" \
        --single "$f" "${tags[@]}" --baseport $((22100 + RANDOM % 10000)) --portcount 500 --timeout 120 >"$out" 2>&1) || true
      grep -q "couldn't open socket: address already in use" "$out" || break
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local clean ok err exc skip
    clean=$(sed 's/\x1b\[[0-9;]*m//g' "$out")
    ok=$(grep -c '^\[ok\]' <<<"$clean" || true)
    err=$(grep -c '^\[err\]' <<<"$clean" || true)
    exc=$(grep -c '^\[exception\]\|^\[TIMEOUT\]' <<<"$clean" || true)
    skip=$(grep -c '^\[skip\]\|^\[ignore\]' <<<"$clean" || true)
    printf '%-40s %5d %5d %5d %5d\n' "$f" "$ok" "$err" "$exc" "$skip"
    total_ok=$((total_ok + ok)); total_err=$((total_err + err)); total_exc=$((total_exc + exc)); total_skip=$((total_skip + skip))
  done
  printf '%-40s %5d %5d %5d %5d\n' TOTAL "$total_ok" "$total_err" "$total_exc" "$total_skip"
  echo "outputs and server logs: $results"
}

case "${1:-}" in
  fetch-redis) fetch_redis "${2:?fetch-redis needs a directory}" ;;
  fetch-valkey) fetch_valkey "${2:?fetch-valkey needs a directory}" ;;
  run) shift; run_suite "${1:?run needs the suite directory}" "${@:2}" ;;
  *) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 2 ;;
esac
