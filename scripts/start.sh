#!/bin/sh
# `npm start`: builds only when a TypeScript source or the build settings changed since the last
# build (dist/.built, left by `npm run build`), then execs the redoubt command with the arguments.
# An unchanged tree starts in the time node takes to load the server, not a 15 s compile.
cd "$(dirname "$0")/.." || exit 1
if [ ! -f dist/.built ] || [ -n "$(find src tsconfig.json package.json -newer dist/.built -print -quit)" ]; then
  npm run build >&2 || exit 1
fi
exec bin/redoubt "$@"
