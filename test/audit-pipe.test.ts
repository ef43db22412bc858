// Finding 13: `redoubt audit --range ... --json | jq` received exactly 64 or 128 KB of a larger
// report, because the process exited before standard output drained into the pipe. Here the
// report (about 400 KB: 1,024 unreachable endpoints) goes through a real pipe(2) to a reader that
// starts only after the writer has filled the pipe, and must arrive whole; a reader that quits
// early (`| head -c`) must not make the audit fail or print a stack trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REDOUBT_MAIN, freePort } from './helpers/servers.js';

const node = `"${process.execPath}" "${REDOUBT_MAIN}"`;

test('a large --json report arrives whole through a slow pipe', async () => {
  const port = await freePort();
  const audit = `${node} audit --range 127.3.4.0/22 --ports ${port} --rate 10000 --concurrency 128 --timeout 2000 --json`;
  // bash connects the two with pipe(2); the reader sleeps so the writer meets a full pipe.
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${audit} | { sleep 1; cat; }`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.length > 256 * 1024, `report of ${r.stdout.length} bytes: larger than two pipe buffers`);
  const report = JSON.parse(r.stdout) as { summary: { endpoints: number; states: Record<string, number> }; endpoints: unknown[] };
  assert.equal(report.endpoints.length, 1024);
  assert.equal(report.summary.states['unreachable'], 1024);
  assert.ok(r.stdout.endsWith('}\n'));
});

test('a reader that stops early does not turn into an error', async () => {
  const port = await freePort();
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${node} audit --range 127.3.8.0/24 --ports ${port} --rate 10000 --concurrency 128 --json | head -c 100 >/dev/null`], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
