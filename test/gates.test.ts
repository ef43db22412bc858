// The DEBUG and MODULE gates (enable-debug-command, enable-module-command) against redis-server
// 7.0 started the same way: the same bytes for every mode (no, yes, local), from 127.0.0.1 (local)
// and from 127.0.0.2 (loopback, but not "local" for Redis), before and after authentication.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const started: RunningServer[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function pair(args: string[]): Promise<[RunningServer, RunningServer]> {
  const [a, b] = await Promise.all([startRedoubt(args), startRedis(args)]);
  started.push(a, b);
  return [a, b];
}

/** Replies to each request, one connection from `from`. */
async function replies(port: number, from: string, requests: readonly string[][]): Promise<string[]> {
  const c = await RawClient.connect(port, '127.0.0.1', from);
  try {
    const out: string[] = [];
    for (const r of requests) out.push(await c.call(...r));
    return out;
  } finally {
    c.close();
  }
}

// Requests whose replies are deterministic on both servers.
const REQUESTS: string[][] = [
  ['DEBUG', 'SLEEP', '0'],
  ['debug', 'set-active-expire', '1'],
  ['DEBUG', 'PAUSE-CRON', '0'],
  ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1b'],
  ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '4gb'],
  ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '4095mb'],
  ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '-1'],
  ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 'lots'],
  ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0'],
  ['DEBUG', 'POPULATE', '-1'],
  ['DEBUG', 'POPULATE', 'lots'],
  ['DEBUG', 'POPULATE', '3', 'p', '-5'],
  ['DEBUG', 'POPULATE', '0'],
  ['DEBUG', 'POPULATE', '1', 'a', '1', 'extra'],
  ['DEBUG', 'OBJECT', 'no-such-key'],
  ['DEBUG', 'LOG', 'hello'],
  ['DEBUG', 'ERROR', 'custom failure'],
  ['DEBUG', 'PROTOCOL', 'map'],
  ['DEBUG', 'PROTOCOL', 'nonsense'],
  ['DEBUG', 'JMAP'],
  ['DEBUG', 'Sleep'],
  ['DEBUG'],
  ['MODULE', 'LIST'],
  ['MODULE', 'LOAD', '/nonexistent/module.so'],
  ['MODULE', 'LOADEX', '/nonexistent/module.so', 'CONFIG', 'a', 'b'],
  ['MODULE', 'UNLOAD', 'nosuchmodule'],
  ['MODULE', 'UNLOAD'],
  ['MODULE', 'NOPE'],
];

const DEBUG_REFUSED =
  '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, ' +
  'otherwise you need to set this option in the configuration file, and then restart the server.\r\n';

for (const mode of ['no', 'yes', 'local'] as const) {
  describe(`enable-debug-command ${mode}, enable-module-command ${mode}`, () => {
    // Protected mode off so 127.0.0.2 may connect; loopback only, so no port is open to other hosts.
    const args = ['--enable-debug-command', mode, '--enable-module-command', mode, '--protected-mode', 'no'];

    test('same replies as redis-server from 127.0.0.1 and 127.0.0.2', async () => {
      const [mine, ref] = await pair(args);
      for (const from of ['127.0.0.1', '127.0.0.2']) {
        const [got, want] = await Promise.all([replies(mine.port, from, REQUESTS), replies(ref.port, from, REQUESTS)]);
        for (let i = 0; i < REQUESTS.length; i++) {
          assert.equal(got[i], want[i], `${REQUESTS[i]!.join(' ')} from ${from}`);
        }
        const allowed = mode === 'yes' || (mode === 'local' && from === '127.0.0.1');
        assert.equal(got[0] === DEBUG_REFUSED, !allowed, `DEBUG gate from ${from}`);
      }
    });
  });
}

describe('gate order', () => {
  test('the gate answers before authentication, as in Redis', async () => {
    const args = ['--requirepass', 'a-long-enough-test-password'];
    const [mine, ref] = await pair(args);
    const reqs = [['DEBUG', 'SLEEP', '0'], ['MODULE', 'LIST'], ['MODULE', 'LOAD', '/x'], ['DEBUG']];
    const [got, want] = await Promise.all([replies(mine.port, '127.0.0.1', reqs), replies(ref.port, '127.0.0.1', reqs)]);
    assert.deepEqual(got, want);
    assert.equal(got[0], DEBUG_REFUSED);
  });

  test('refusals count as rejected calls', async () => {
    const [mine] = await pair([]);
    const c = await RawClient.connect(mine.port);
    await c.call('DEBUG', 'SLEEP', '0');
    const stats = await c.call('INFO', 'commandstats');
    assert.match(stats, /cmdstat_debug:calls=0,usec=0,usec_per_call=0\.00,rejected_calls=1,failed_calls=0/);
    c.close();
  });
});

describe('DEBUG subcommands', () => {
  test('PROTOCOL and ERROR replies match redis-server in RESP2 and RESP3', async () => {
    const [mine, ref] = await pair(['--enable-debug-command', 'yes']);
    const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'push', 'verbatim', 'true', 'false', 'STRING', 'x'];
    const reqs = [
      ...types.map((t) => ['DEBUG', 'PROTOCOL', t]),
      ['DEBUG', 'ERROR', 'plain text'],
      ['DEBUG', 'ERROR', '-CODE with a code'],
      ['HELLO', '3'],
      ...types.map((t) => ['DEBUG', 'PROTOCOL', t]),
    ];
    const run = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      const out: string[] = [];
      for (const r of reqs) {
        c.write(RawClient.encode(r));
        const reply = (await c.read())!.toString('latin1');
        // HELLO's reply names the server; only its shape matters here.
        out.push(r[0] === 'HELLO' ? reply.slice(0, 3) : reply);
        // A push is followed by the real reply.
        if (r[2] === 'push' && reply.startsWith('>')) out.push((await c.read())!.toString('latin1'));
      }
      c.close();
      return out;
    };
    const [got, want] = await Promise.all([run(mine.port), run(ref.port)]);
    assert.deepEqual(got, want);
  });

  test('SLEEP blocks the server, SET-ACTIVE-EXPIRE 0 stops background expiry', async () => {
    const [mine] = await pair(['--enable-debug-command', 'yes']);
    const c = await RawClient.connect(mine.port);
    const t0 = Date.now();
    assert.equal(await c.call('DEBUG', 'SLEEP', '0.3'), '+OK\r\n');
    assert.ok(Date.now() - t0 >= 290);
    assert.equal(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
    await c.call('SET', 'k', 'v', 'PX', '50');
    await new Promise((r) => setTimeout(r, 400));
    // The key is past its time but still stored: only a lookup would expire it now.
    assert.equal(await c.call('DBSIZE'), ':1\r\n');
    assert.equal(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1'), '+OK\r\n');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await c.call('DBSIZE'), ':0\r\n');
    await c.call('SET', 'str', 'hello');
    assert.match(await c.call('DEBUG', 'OBJECT', 'str'), /^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:\d+\r\n$/);
    c.close();
  });

  test('PAUSE-CRON 1 stops the cron (no active expiry, no expired_keys) until PAUSE-CRON 0, as in Redis', async () => {
    const [mine, ref] = await pair(['--enable-debug-command', 'yes']);
    const run = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      const out: string[] = [];
      const expired = async (): Promise<string> => /expired_keys:(\d+)/.exec(await c.call('INFO', 'stats'))?.[1] ?? 'none';
      out.push(await c.call('DEBUG', 'PAUSE-CRON', '1'));
      for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, 'v', 'PX', '20');
      await new Promise((r) => setTimeout(r, 400));
      // Past their time, but nothing looked them up and the cron is stopped.
      out.push(await c.call('DBSIZE'), await expired());
      out.push(await c.call('DEBUG', 'PAUSE-CRON', '0'));
      for (let i = 0; i < 40 && (await c.call('DBSIZE')) !== ':0\r\n'; i++) await new Promise((r) => setTimeout(r, 50));
      out.push(await c.call('DBSIZE'), await expired());
      c.close();
      return out;
    };
    const [got, want] = await Promise.all([run(mine.port), run(ref.port)]);
    assert.deepEqual(got, want);
    assert.deepEqual(got, ['+OK\r\n', ':20\r\n', '0', '+OK\r\n', ':0\r\n', '20']);
  });

  test('POPULATE makes the same keys and values as Redis, skips existing names, counts no change', async () => {
    const [mine, ref] = await pair(['--enable-debug-command', 'yes']);
    const run = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      const out: string[] = [];
      out.push(await c.call('SET', 'key:3', 'mine'));
      const dirty = async (): Promise<string> => /rdb_changes_since_last_save:(\d+)/.exec(await c.call('INFO', 'persistence'))?.[1] ?? '?';
      const before = await dirty();
      out.push(await c.call('DEBUG', 'POPULATE', '1000'));
      out.push(await c.call('DEBUG', 'POPULATE', '5', 'pre', '3'));
      out.push(await c.call('DEBUG', 'POPULATE', '3', 'padded', '12'));
      out.push(await c.call('DEBUG', 'POPULATE', '2', 'x'.repeat(200)));
      out.push(String(Number(await dirty()) - Number(before)));
      out.push(await c.call('DBSIZE'));
      out.push(await c.call('MGET', 'key:0', 'key:3', 'key:999', 'pre:4', 'padded:2', `${'x'.repeat(200)}:1`.slice(0, 127)));
      out.push(await c.call('DEBUG', 'DIGEST'));
      c.close();
      return out;
    };
    const [got, want] = await Promise.all([run(mine.port), run(ref.port)]);
    assert.deepEqual(got, want);
    // 1,000 less the one that existed, 5, 3, and one name for both keys of a prefix cut at 127 bytes.
    assert.equal(got[6], ':1009\r\n');
  });

  test('POPULATE stops with an error once used_memory is over maxmemory (Redis has no bound)', async () => {
    const mine = await startRedoubt(['--enable-debug-command', 'yes']);
    started.push(mine);
    const c = await RawClient.connect(mine.port);
    // 4 MB above what the empty server uses: room for a few thousand keys of 1,000 bytes.
    const used = Number(/used_memory:(\d+)/.exec(await c.call('INFO', 'memory'))?.[1]);
    assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', String(used + 4 * 1024 * 1024)), '+OK\r\n');
    const reply = await c.call('DEBUG', 'POPULATE', '100000000', 'big', '1000');
    const added = Number(/^-ERR DEBUG POPULATE stopped after adding (\d+) keys: used memory is over the limit\r\n$/.exec(reply)?.[1]);
    assert.ok(added > 1000 && added < 20000, reply);
    assert.equal(await c.call('DBSIZE'), `:${added}\r\n`);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('DEBUG', 'POPULATE', '1', 'v', String(2 ** 40)), '-ERR DEBUG POPULATE value size is over proto-max-bulk-len or the largest string\r\n');
    c.close();
  });

  test('a refused DEBUG is recorded in the audit log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-gates-'));
    const file = join(dir, 'audit.jsonl');
    const mine = await startRedoubt(['--audit-log', file]);
    started.push(mine);
    const c = await RawClient.connect(mine.port);
    await c.call('DEBUG', 'SLEEP', '0');
    await c.call('PING');
    c.close();
    await new Promise((r) => setTimeout(r, 100));
    const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const gate = events.find((e) => e['event'] === 'command-gate');
    assert.ok(gate, readFileSync(file, 'utf8'));
    assert.equal(gate['command'], 'debug');
    assert.equal(gate['option'], 'enable-debug-command');
    assert.match(String(gate['addr']), /^127\.0\.0\.1:\d+$/);
  });
});
