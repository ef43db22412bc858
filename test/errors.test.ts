// Every error reply is spelled in src/errors.ts, so Redis's exact wording is found, compared and
// changed in one place: no other source file may hold a string that starts with an error code.
// The auditor (src/audit/) is exempt: it reads other servers' errors, it does not send them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The error codes Redis 7.0 and Redoubt put before a reply's message. */
const CODES = [
  'ERR', 'WRONGTYPE', 'NOSCRIPT', 'BUSY', 'NOAUTH', 'NOPERM', 'READONLY', 'OOM', 'LOADING', 'EXECABORT',
  'NOGROUP', 'BUSYGROUP', 'WRONGPASS', 'NOPROTO', 'UNKILLABLE', 'NOTBUSY', 'MISCONF', 'CROSSSLOT',
  'BUSYKEY', 'NOREPLICAS', 'MASTERDOWN', 'TESTFAILED', 'INVALIDOBJ', 'UNBLOCKED', 'MOVED', 'ASK',
  'TRYAGAIN', 'CLUSTERDOWN',
];
const ERROR_LITERAL = new RegExp(`['"\`]-?(?:${CODES.join('|')}) `);
/** Strings that start like an error and are not one. */
const NOT_REPLIES = ["'OOM score adjustment'"];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('no source file but src/errors.ts spells an error reply', () => {
  const files = sources(SRC).filter((f) => {
    const rel = relative(SRC, f);
    return rel !== 'errors.ts' && !rel.startsWith('audit');
  });
  assert.ok(files.length > 100, `source files found: ${files.length}`);
  const stray: string[] = [];
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line.trimStart();
        if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
        if (ERROR_LITERAL.test(NOT_REPLIES.reduce((l, s) => l.replace(s, "''"), line))) stray.push(`src/${relative(SRC, f)}:${i + 1}: ${code}`);
      });
  }
  assert.deepEqual(stray, [], `error strings outside src/errors.ts:\n  ${stray.join('\n  ')}`);
});
