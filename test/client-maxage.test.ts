// CLIENT KILL MAXAGE (Redis 7.4, Valkey 8) against valkey-server 8.0.1: the same errors for bad
// values, and the same connections killed, by age alone and with the other filters.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** valkey-server 8.0.1, the reference for what Redis 7.0 lacks, on a free port. */
async function startValkey(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('valkey-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      const c = await RawClient.connect(port);
      c.close();
      return { port, child };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

let valkey: { port: number; child: ChildProcess } | null = null;
let redoubt: RunningServer | null = null;

before(async () => {
  [valkey, redoubt] = await Promise.all([startValkey(), startRedoubt()]);
});

after(async () => {
  if (valkey?.child.pid !== undefined) process.kill(valkey.child.pid);
  await redoubt?.stop();
});

function ports(): [number, number] {
  if (valkey === null || redoubt === null) throw new Error('servers not started');
  return [valkey.port, redoubt.port];
}

describe('CLIENT KILL MAXAGE', () => {
  test('bad values are refused as Valkey refuses them', async () => {
    const cases = [
      ['CLIENT', 'KILL', 'MAXAGE', 'abc'],
      ['CLIENT', 'KILL', 'MAXAGE', '0'],
      ['CLIENT', 'KILL', 'MAXAGE', '-5'],
      ['CLIENT', 'KILL', 'MAXAGE', '1.5'],
      ['CLIENT', 'KILL', 'MAXAGE', '99999999999999999999'],
      ['CLIENT', 'KILL', 'MAXAGE', ''],
      ['CLIENT', 'KILL', 'MAXAGE', '10', 'MAXAGE'],
      ['CLIENT', 'KILL', 'ID', '1', 'MAXAGE', 'x'],
      ['CLIENT', 'KILL', 'maxage', '9223372036854775807'],
    ];
    const replies: string[][] = [];
    for (const port of ports()) {
      const c = await RawClient.connect(port);
      try {
        const out: string[] = [];
        for (const argv of cases) out.push(await c.call(...argv));
        replies.push(out);
      } finally {
        c.close();
      }
    }
    assert.deepEqual(replies[1], replies[0]);
    assert.ok(replies[1]?.includes('-ERR maxage should be greater than 0\r\n'));
    assert.ok(replies[1]?.includes('-ERR maxage is not an integer or out of range\r\n'));
  });

  test('kills only connections at least that many seconds old', async () => {
    const outcomes: string[][] = [];
    for (const port of ports()) {
      const admin = await RawClient.connect(port);
      const old = await RawClient.connect(port);
      await old.call('CLIENT', 'SETNAME', 'old');
      // Ages are whole seconds of the clock: two full seconds make the old client at least 2 s old.
      await sleep(2100);
      const young = await RawClient.connect(port);
      await young.call('CLIENT', 'SETNAME', 'young');
      try {
        const out: string[] = [];
        out.push(await admin.call('CLIENT', 'KILL', 'MAXAGE', '100'));
        // The admin connection is as old as `old`, but SKIPME (the default) spares it.
        out.push(await admin.call('CLIENT', 'KILL', 'MAXAGE', '2', 'TYPE', 'pubsub'));
        out.push(await admin.call('CLIENT', 'KILL', 'MAXAGE', '2'));
        out.push(String(await old.waitClosed()), String(young.closed));
        out.push(await young.call('CLIENT', 'GETNAME'));
        out.push(await admin.call('CLIENT', 'KILL', 'MAXAGE', '2', 'SKIPME', 'no'));
        out.push(String(await admin.waitClosed()));
        outcomes.push(out);
      } finally {
        admin.close();
        old.close();
        young.close();
      }
    }
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(outcomes[1], [':0\r\n', ':0\r\n', ':1\r\n', 'true', 'false', '$5\r\nyoung\r\n', ':1\r\n', 'true']);
  });
});
