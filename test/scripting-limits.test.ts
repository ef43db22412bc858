// What a script can make the server build: replies, strings, tables, command replies past the
// Lua memory cap are refused with an error, never a crash or unbounded memory, and no error or
// status line a script produces carries CR, LF or NUL. Compared with redis-server 7.0 where
// Redis has the behaviour (error lines, deep replies); past the cap Redis has none (it grows
// until it dies), so those cases run against Redoubt alone.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const { redis, redoubt } = useServerPair();

/** Resident memory of a process, from /proc. */
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Sends every script with EVAL on one connection (RESP2, then RESP3) and returns the replies. */
async function evalAll(port: number, scripts: readonly string[]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    for (const resp of ['2', '3']) {
      await c.call('HELLO', resp);
      for (const s of scripts) out.push(await c.call('EVAL', s, '0'));
    }
    return out;
  } finally {
    c.close();
  }
}

/** Every byte the server sends back for `commands`, then PING (read until its +PONG: the test
 *  client's parser recurses, and these replies nest thousands deep). */
function rawExchange(port: number, commands: readonly (readonly string[])[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no PONG; have ${got.length} bytes`));
    }, 20_000);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith('+PONG\r\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.write(Buffer.concat([...commands, ['PING']].map((a) => RawClient.encode(a))));
  });
}

describe('error and status lines from scripts, compared with redis-server', () => {
  // Redis 7.0 turns CR and LF into spaces and, building the line from a C string, ends it at a
  // NUL; Redis's later fixes keep RESP from being injected the same way.
  const SCRIPTS = [
    "return redis.error_reply('a\\0b')",
    "return redis.error_reply('a\\r\\nb\\r\\n')",
    "return redis.error_reply('\\0abc')",
    "return redis.error_reply('x\\r\\n-ERR injected\\r\\n')",
    "error('x\\ny')",
    "error('x\\0y')",
    "error('x\\r\\n+OK')",
    "error(string.rep('y', 150) .. '\\n' .. 'z')",
    "return {ok = 'a\\0b\\r\\nc'}",
    "return {ok = 'x\\r\\n+injected'}",
    "return redis.status_reply('a\\0b')",
    "return {err = '-MY\\0CODE x'}",
    "return {err = '\\0'}",
    "return {err = 'x\\r\\n:1'}",
    "error({err = 'a\\0b\\nc'})",
    "return {1, {err = 'in\\r\\nner'}, {ok = 'st\\0atus'}}",
    "return {big_number = '1\\r\\n2'}",
    "return {verbatim_string = {format = 'txt', string = 'a\\r\\nb'}}",
    "return redis.pcall('GET', 'a\\0b', 'x')",
    "return redis.call('NOSUCH\\0X')",
  ];

  test('byte for byte, RESP2 and RESP3', async () => {
    const [r, d] = [await evalAll(redis.port, SCRIPTS), await evalAll(redoubt.port, SCRIPTS)];
    assert.deepEqual(d, r);
    for (const reply of d) {
      const first = reply.indexOf('\r\n');
      if (reply[0] === '-' || reply[0] === '+') {
        assert.equal(first, reply.length - 2, `one line: ${JSON.stringify(reply)}`);
        assert.ok(!reply.includes('\0'));
      }
    }
  });

  test('a reply nested deeper than Lua can convert gets the same error at the same depth', async () => {
    for (const resp of ['2', '3']) {
      for (const script of ['local t = {} local c = t for i = 1, 10000 do c[1] = {} c = c[1] end return t', 'local t = {map = {}} t.map.x = t return t']) {
        const commands = [['HELLO', resp], ['EVAL', script, '0']];
        const [r, d] = [await rawExchange(redis.port, commands), await rawExchange(redoubt.port, commands)];
        // HELLO names the server; everything after it must be identical.
        const tail = (x: string): string => x.slice(x.indexOf('modules\r\n*0\r\n') + 'modules\r\n*0\r\n'.length);
        assert.equal(tail(d), tail(r), `${script} RESP${resp}`);
        assert.ok(r.includes('-ERR reached lua stack limit\r\n'));
      }
    }
  });
});

describe('sizes past the Lua memory cap (Redoubt only: Redis grows until it dies)', () => {
  test('huge strings, tables and replies get an error; the server answers and stays small', async () => {
    const c = await RawClient.connect(redoubt.port);
    const pid = redoubt.process.pid!;
    try {
      const cases: [string, RegExp][] = [
        ['local s = "x" while true do s = s .. s end', /not enough memory/],
        ['local t = {} for i = 1, 1e9 do t[i] = i end', /not enough memory/],
        ['return string.rep("x", 2^31)', /not enough memory|too large/],
        // 300 MB of reply from one 10 MB string
        ['local s = string.rep("x", 1e7) local t = {} for i = 1, 30 do t[i] = s end return t', /^-ERR The script's reply is larger than the scripting memory limit\r\n$/],
        // a table that holds itself twice: 2^2000 elements of reply
        ['local t = {} t[1] = t t[2] = t return t', /^-ERR The script's reply is larger than the scripting memory limit\r\n$/],
        // command replies that together pass the cap (equal strings are one in Lua: each differs)
        ['redis.call("SET", "big", string.rep("b", 5e7)) local t = {} for i = 1, 6 do t[i] = redis.call("GET", "big") .. i end return #t', /not enough memory/],
        ['local s = string.rep("a", 1e8) return redis.pcall("MSET", "k1", s, "k2", s, "k3", s)', /not enough memory/],
      ];
      for (const [script, expected] of cases) {
        const started = Date.now();
        c.write(RawClient.encode(['EVAL', script, '0']));
        const b = await c.read(60_000);
        const reply = b === null ? '<closed>' : b.toString('latin1');
        assert.match(reply, expected, script);
        assert.ok(Date.now() - started < 30_000, `${script} took ${Date.now() - started} ms`);
        assert.equal(await c.call('PING'), '+PONG\r\n');
        assert.ok(rssBytes(pid) < 1.5 * 2 ** 30, `RSS ${rssBytes(pid)} after ${script}`);
      }
      assert.equal(await c.call('DEL', 'big'), ':1\r\n');
      assert.equal(await c.call('EVAL', 'return {1, "two"}', '0'), '*2\r\n:1\r\n$3\r\ntwo\r\n');
    } finally {
      c.close();
    }
  });
});
