// MONITOR against redis-server 7.0: the lines a monitor receives for the same commands (timestamps,
// ports and socket paths normalized), what it may and may not do itself, who may run it, redis-cli
// reading it, and a monitor that never reads while another client pipelines writes: the server
// stays bounded and cuts it at the normal class's output limit.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { startRedoubt, useServerPair, useValkey, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const dir = mkdtempSync(join(tmpdir(), 'redoubt-monitor-'));
const redisSock = join(dir, 'redis.sock');
const redoubtSock = join(dir, 'redoubt.sock');
after(() => rmSync(dir, { recursive: true, force: true }));

const { redis, redoubt } = useServerPair({
  redisArgs: ['--unixsocket', redisSock],
  redoubtArgs: ['--unixsocket', redoubtSock],
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A monitor line with the parts that differ between runs replaced: time, port, socket path. */
function normalize(line: string, sock: string): string {
  return line
    .replace(/^\+\d+\.\d{6} /, '+T ')
    .replace(/\[(\d+) 127\.0\.0\.1:\d+\]/, '[$1 ADDR]')
    .replace(`unix:${sock}]`, 'unix:SOCK]');
}

/** Reads monitor lines until one contains `until`; returns them all (the last included). */
async function linesUntil(m: RawClient, until: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await m.read();
    if (r === null) throw new Error(`monitor closed; lines so far: ${out.join('')}`);
    const line = r.toString('latin1');
    out.push(line);
    if (line.includes(until)) return out;
  }
}

/** Runs `steps` from a TCP client (and `unixSteps` from a unix-socket client) and returns what a monitor saw. */
async function observe(server: RunningServer, sock: string, steps: readonly (readonly string[])[], unixSteps: readonly (readonly string[])[] = []): Promise<string[]> {
  const m = await RawClient.connect(server.port);
  const w = await RawClient.connect(server.port);
  const u = await RawClient.connectPath(sock);
  try {
    assert.equal(await m.call('MONITOR'), '+OK\r\n');
    for (const s of steps) await w.call(...s);
    for (const s of unixSteps) await u.call(...s);
    await w.call('ECHO', 'end-of-run');
    return (await linesUntil(m, 'end-of-run')).map((l) => normalize(l, sock));
  } finally {
    m.close();
    w.close();
    u.close();
  }
}

describe('MONITOR lines', () => {
  test('the same commands give the same lines as redis-server', async () => {
    const steps: string[][] = [
      ['FLUSHALL'],
      ['SET', 'foo', 'bar'],
      ['GET', 'foo'],
      // Every byte class sdscatrepr treats apart: quotes, backslash, C escapes, control and high bytes.
      ['SET', 'k"\\\n\r\t\x07\x08\x00\x01\x1f\x7f\x80\xff', 'v a l'],
      ['SET', '', '12345'],
      ['INCR', 'counter'],
      ['SELECT', '2'],
      ['SET', 'in-two', 'x'],
      ['SELECT', '0'],
      ['MULTI'],
      ['SET', 'foo', 'baz'],
      ['INCR', 'counter'],
      ['EXEC'],
      ['MULTI'],
      ['NOSUCHCOMMAND'],
      ['EXEC'],
      ['EVAL', "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", '1', 'fromlua', 'v'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['EVAL', "redis.call('select', 3); return redis.call('set', 'k', 'v')", '0'],
      ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=mon\nredis.register_function('f', function(keys) return redis.call('set', keys[1], '1') end)"],
      ['FCALL', 'f', '1', 'viafunction'],
      // Secrets: redacted, the command still shown.
      ['AUTH', 'not-real'],
      ['AUTH', 'someone', 'not-a-password'],
      ['HELLO', '2', 'AUTH', 'someone', 'not-a-password'],
      // Administrative commands are never shown.
      ['CONFIG', 'SET', 'requirepass', ''],
      ['ACL', 'SETUSER', 'alice', 'on', '>secret'],
      ['CLIENT', 'LIST'],
      ['CLIENT', 'SETNAME', 'writer'],
      ['DEL', 'foo', 'k"\\\n\r\t\x07\x08\x00\x01\x1f\x7f\x80\xff'],
      // A refused command is not shown; a failing one is.
      ['GET'],
      ['LPUSH', 'counter', 'x'],
      ['PING'],
    ];
    const unixSteps: string[][] = [['SET', 'via', 'unix'], ['GET', 'via']];
    const theirs = await observe(redis, redisSock, steps, unixSteps);
    const ours = await observe(redoubt, redoubtSock, steps, unixSteps);
    assert.deepEqual(ours, theirs);
    // The test is worth something only if the interesting lines are there.
    const text = ours.join('');
    assert.match(text, /\[0 lua\] "set" "fromlua" "v"/);
    assert.match(text, /\[3 lua\] "set" "k" "v"/);
    assert.match(text, /"HELLO" "2" "AUTH" "\(redacted\)" "\(redacted\)"/);
    assert.match(text, /\[0 unix:SOCK\] "SET" "via" "unix"/);
    assert.match(text, /"k\\"\\\\\\n\\r\\t\\a\\b\\x00\\x01\\x1f\\x7f\\x80\\xff"/);
    assert.doesNotMatch(text, /not-a-password|secret|requirepass|"CLIENT" "LIST"/);
  });

  test('a blocking command is shown once, when it blocks, as Redis 7.0', async () => {
    const seen: string[][] = [];
    for (const [server, sock] of [[redis, redisSock], [redoubt, redoubtSock]] as const) {
      const m = await RawClient.connect(server.port);
      const b = await RawClient.connect(server.port);
      const p = await RawClient.connect(server.port);
      try {
        await m.call('MONITOR');
        await p.call('DEL', 'queue');
        b.write(RawClient.encode(['BLPOP', 'queue', '0']));
        await sleep(100);
        await p.call('LPUSH', 'queue', 'job');
        assert.match((await b.read())?.toString('latin1') ?? '', /job/);
        await p.call('ECHO', 'end-of-run');
        seen.push((await linesUntil(m, 'end-of-run')).map((l) => normalize(l, sock)));
      } finally {
        m.close();
        b.close();
        p.close();
      }
    }
    assert.deepEqual(seen[1], seen[0]);
    assert.equal(seen[1]?.length, 4);
  });

  test('the time stamp is the wall clock in microseconds', async () => {
    const m = await RawClient.connect(redoubt.port);
    const w = await RawClient.connect(redoubt.port);
    try {
      await m.call('MONITOR');
      const before = Date.now() / 1000;
      await w.call('PING');
      const line = (await m.read())?.toString('latin1') ?? '';
      const after = Date.now() / 1000;
      const match = /^\+(\d+\.\d{6}) \[0 127\.0\.0\.1:\d+\] "PING"\r\n$/.exec(line);
      assert.ok(match?.[1] !== undefined, line);
      const t = Number(match[1]);
      assert.ok(t >= before - 0.01 && t <= after + 0.01, `${t} not within [${before}, ${after}]`);
    } finally {
      m.close();
      w.close();
    }
  });
});

describe('a monitor client', () => {
  // The NOPERM text is Redis 7.2's, which valkey-server 8.0 has.
  const valkey = useValkey();
  /** Runs the same exchange on one connection of each server and requires the same bytes (lines normalized). */
  async function sameExchange(steps: readonly (readonly string[])[]): Promise<string[]> {
    const results: string[][] = [];
    for (const [server, sock] of [[redis, redisSock], [redoubt, redoubtSock]] as const) {
      const c = await RawClient.connect(server.port);
      try {
        const out: string[] = [];
        for (const s of steps) {
          c.write(RawClient.encode(s));
          await sleep(30);
        }
        await sleep(100);
        // Everything received, split into replies.
        for (;;) {
          const r = await c.read(300).catch(() => null);
          if (r === null) break;
          out.push(normalize(r.toString('latin1'), sock).replace(/\bid=\d+ addr=\S+ laddr=\S+ fd=\d+ /, ''));
        }
        results.push(out);
      } finally {
        c.close();
      }
    }
    const [theirs, ours] = results;
    assert.deepEqual(ours, theirs);
    return ours ?? [];
  }

  test('may not touch the keyspace, sees its own commands, and RESET ends the mode', async () => {
    const out = await sameExchange([
      ['MONITOR'],
      ['MONITOR'],
      ['GET', 'foo'],
      ['SET', 'foo', 'bar'],
      ['PING'],
      ['PUBLISH', 'ch', 'x'],
      ['EVAL', 'return 1', '0'],
      ['FCALL', 'nosuch', '0'],
      ['DBSIZE'],
      ['FLUSHALL'],
      ['SELECT', '1'],
      ['ECHO', 'still here'],
      ['SCRIPT', 'EXISTS', 'ffffffffffffffffffffffffffffffffffffffff'],
      ['MULTI'],
      ['SET', 'a', 'b'],
      ['DISCARD'],
      ['RESET'],
      ['GET', 'foo'],
    ]);
    assert.ok(out.includes("-ERR Replica can't interact with the keyspace\r\n"), out.join(''));
    assert.equal(out.at(-1), '$-1\r\n');
  });

  test('MONITOR inside EXEC is refused', async () => {
    const out = await sameExchange([['MULTI'], ['MONITOR'], ['EXEC']]);
    assert.equal(out.at(-1), "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");
  });

  test('CLIENT LIST shows flag O; QUIT answers and closes without a line of its own', async () => {
    const m = await RawClient.connect(redoubt.port);
    const other = await RawClient.connect(redoubt.port);
    try {
      await m.call('MONITOR');
      const list = await other.call('CLIENT', 'LIST');
      assert.match(list, /flags=O db=0 .* cmd=monitor /);
      assert.equal(await m.call('QUIT'), '+OK\r\n');
      assert.ok(await m.waitClosed());
      // The other client's commands no longer go anywhere; the server is fine.
      assert.equal(await other.call('PING'), '+PONG\r\n');
    } finally {
      m.close();
      other.close();
    }
  });

  test('only users allowed @admin may monitor, with the same error as Redis 7.2', async () => {
    const replies: string[] = [];
    for (const server of [valkey, redoubt]) {
      const c = await RawClient.connect(server.port);
      try {
        await c.call('ACL', 'SETUSER', 'watcher', 'on', 'nopass', '+@all', '-@admin');
        await c.call('AUTH', 'watcher', 'x');
        replies.push(await c.call('MONITOR'));
        await c.call('AUTH', 'default', 'x');
        await c.call('ACL', 'DELUSER', 'watcher');
      } finally {
        c.close();
      }
    }
    assert.equal(replies[1], replies[0]);
    assert.match(replies[1] ?? '', /^-NOPERM .*'monitor'/);
  });
});

describe('redis-cli monitor', () => {
  test('prints the lines of another client’s commands', async () => {
    const child = spawn('redis-cli', ['-p', String(redoubt.port), 'monitor'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const w = await RawClient.connect(redoubt.port);
    try {
      const deadline = Date.now() + 5000;
      while (!out.startsWith('OK') && Date.now() < deadline) await sleep(20);
      await w.call('SET', 'cli', 'seen by redis-cli');
      while (!out.includes('"cli"') && Date.now() < deadline) await sleep(20);
      assert.match(out, /^OK\n\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "cli" "seen by redis-cli"\n/);
    } finally {
      w.close();
      if (child.pid !== undefined) process.kill(child.pid);
    }
  });
});

describe('a monitor that never reads', () => {
  test('is cut at the normal class limit while a writer pipelines, and the server stays bounded', async () => {
    const server = await startRedoubt(['--client-output-buffer-limit', 'normal', '4mb', '0', '0']);
    const m = await RawClient.connect(server.port);
    const w = await RawClient.connect(server.port);
    try {
      assert.equal(await m.call('MONITOR'), '+OK\r\n');
      const id = (await m.call('CLIENT', 'ID')).slice(1, -2);
      // From here on the monitor reads nothing: the kernel's buffers fill, then the server's.
      m.socket.pause();
      const value = 'v'.repeat(4096);
      const batch = Array.from({ length: 500 }, (_, i) => ['SET', `key:${i}`, value]);
      let cut = false;
      // 60 MB of monitor lines at most; the limit is 4 MB (plus what the kernel holds).
      for (let round = 0; round < 30 && !cut; round++) {
        const replies = await w.pipeline(batch);
        assert.equal(replies.at(-1), '+OK\r\n', 'the writer is served throughout');
        cut = !(await w.call('CLIENT', 'LIST')).includes(`id=${id} `);
      }
      assert.ok(cut, 'the monitor was disconnected');
      const info = await w.call('INFO', 'stats');
      assert.match(info, /client_output_buffer_limit_disconnections:1\r\n/);
      const memory = await w.call('INFO', 'memory');
      const used = Number(/used_memory:(\d+)/.exec(memory)?.[1]);
      assert.ok(used < 200 * 1024 * 1024, `used_memory ${used}`);
      assert.match(server.output(), /scheduled to be closed ASAP for overcoming of output buffer limits/);
    } finally {
      m.close();
      w.close();
      await server.stop();
    }
  });
});
