// SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with huge negative counts, against a spawned server next
// to redis-server 7.0: the counts Redis refuses get Redis's errors; the counts Redis accepts and
// then builds a reply for until memory runs out (-LONG_MAX, -2^40) are refused before anything is
// built; a reply that grows past proto-max-bulk-len or the client's output buffer limit is
// abandoned and its connection closed, while other clients carry on and RSS stays bounded.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';
import { errorMessage } from './helpers/rejection.js';
import { RawClient } from './helpers/raw-client.js';

const MB = 1024 * 1024;
const LONG_MIN = '-9223372036854775808';
const LONG_MAX_NEG = '-9223372036854775807';
const OUT_OF_RANGE = 'ERR value is out of range';

const { redis, redoubt, redisClient: ref, redoubtClient: cli } = useServerPair({ redisClient: {}, redoubtClient: {} });


async function reply(c: Redis, name: string, ...args: string[]): Promise<unknown> {
  return c.call(name, ...args).catch(errorMessage);
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
}

describe('random picks with huge counts', () => {
  // Inside the suite: its hooks run once the server pair's have.
  before(async () => {
    for (const c of [ref, cli]) {
      await c.sadd('s', 'a', 'b', 'c');
      await c.hset('h', 'f1', 'v1', 'f2', 'v2');
      await c.zadd('z', 1, 'm1', 2.5, 'm2');
      await c.set('str', 'x');
    }
  });

  test('the counts Redis 7.0 refuses get the same errors', async () => {
    const cases: string[][] = [
      ['SRANDMEMBER', 's', LONG_MIN],
      ['SRANDMEMBER', 'nosuch', LONG_MIN],
      ['SRANDMEMBER', 's', '9223372036854775808'],
      ['SRANDMEMBER', 's', '-1e3'],
      ['HRANDFIELD', 'h', LONG_MIN],
      ['HRANDFIELD', 'h', LONG_MIN, 'WITHVALUES'],
      ['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'],
      ['HRANDFIELD', 'nosuch', '-4611686018427387904', 'WITHVALUES'],
      ['ZRANDMEMBER', 'z', LONG_MIN],
      ['ZRANDMEMBER', 'z', '-4611686018427387904', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', LONG_MAX_NEG, 'WITHSCORES'],
      // Missing keys and wrong types answer before any count is looked at further.
      ['SRANDMEMBER', 'nosuch', LONG_MAX_NEG],
      ['HRANDFIELD', 'nosuch', LONG_MAX_NEG],
      ['ZRANDMEMBER', 'nosuch', LONG_MAX_NEG],
      ['SRANDMEMBER', 'str', LONG_MAX_NEG],
      ['HRANDFIELD', 'str', LONG_MAX_NEG],
      ['ZRANDMEMBER', 'str', LONG_MAX_NEG],
    ];
    for (const [name, ...args] of cases) {
      assert.ok(name !== undefined);
      assert.deepEqual(await reply(cli, name, ...args), await reply(ref, name, ...args), `${name} ${args.join(' ')}`);
    }
  });

  test('the counts Redis 7.0 accepts and cannot finish are refused at once', async () => {
    const pid = redoubt.process.pid;
    assert.ok(pid !== undefined);
    const before = rssOf(pid);
    for (const count of [LONG_MAX_NEG, '-1099511627776', '-4611686018427387903', '-2147483648', '-100000000']) {
      const t0 = Date.now();
      assert.equal(await reply(cli, 'SRANDMEMBER', 's', count), OUT_OF_RANGE, count);
      assert.equal(await reply(cli, 'HRANDFIELD', 'h', count), OUT_OF_RANGE, count);
      assert.equal(await reply(cli, 'ZRANDMEMBER', 'z', count), OUT_OF_RANGE, count);
      assert.ok(Date.now() - t0 < 500);
    }
    assert.equal(await reply(cli, 'HRANDFIELD', 'h', '-4611686018427387903', 'WITHVALUES'), OUT_OF_RANGE);
    assert.equal(await reply(cli, 'ZRANDMEMBER', 'z', '-4611686018427387903', 'WITHSCORES'), OUT_OF_RANGE);
    assert.equal(await cli.ping(), 'PONG');
    assert.ok(rssOf(pid) - before < 32 * MB);
  });

  test('with CLIENT REPLY OFF nothing is picked, however large the count', async () => {
    const raw = await RawClient.connect(redoubt.port);
    try {
      const t0 = Date.now();
      raw.write(Buffer.concat([
        RawClient.encode(['CLIENT', 'REPLY', 'OFF']),
        RawClient.encode(['SRANDMEMBER', 's', '-80000000']),
        RawClient.encode(['ZRANDMEMBER', 'z', '-40000000', 'WITHSCORES']),
        RawClient.encode(['CLIENT', 'REPLY', 'ON']),
        RawClient.encode(['PING']),
      ]));
      assert.equal((await raw.read(2000))?.toString('latin1'), '+OK\r\n');
      assert.equal((await raw.read(2000))?.toString('latin1'), '+PONG\r\n');
      assert.ok(Date.now() - t0 < 1000);
    } finally {
      raw.close();
    }
  });

  test('ordinary negative counts repeat picks, as in Redis', async () => {
    for (const c of [ref, cli]) {
      const members = await c.srandmember('s', -50);
      assert.equal(members.length, 50);
      assert.ok(members.every((m) => ['a', 'b', 'c'].includes(m)));
      // Flat in RESP2, pairs in RESP3 (whichever the client speaks).
      const pairs = ((await c.call('HRANDFIELD', 'h', '-9', 'WITHVALUES')) as (string | string[])[]).flat();
      assert.equal(pairs.length, 18);
      for (let i = 0; i < 18; i += 2) assert.equal(pairs[i + 1], `v${String(pairs[i]).slice(1)}`);
      const scored = ((await c.call('ZRANDMEMBER', 'z', '-7', 'WITHSCORES')) as (string | string[])[]).flat().map(String);
      assert.equal(scored.length, 14);
      for (let i = 0; i < 14; i += 2) assert.equal(scored[i + 1], scored[i] === 'm1' ? '1' : '2.5');
    }
    // RESP3 nests each pair in both.
    for (const port of [redis.port, redoubt.port]) {
      const raw = await RawClient.connect(port);
      try {
        await raw.call('HELLO', '3');
        const r = await raw.call('ZRANDMEMBER', 'z', '-1', 'WITHSCORES');
        assert.match(r, /^\*1\r\n\*2\r\n\$2\r\nm[12]\r\n,(1|2\.5)\r\n$/);
      } finally {
        raw.close();
      }
    }
  });

  test('a reply that outgrows proto-max-bulk-len is abandoned and its connection closed', async () => {
    const [, saved] = (await cli.config('GET', 'proto-max-bulk-len')) as [string, string];
    await cli.config('SET', 'proto-max-bulk-len', String(MB));
    try {
      await cli.del('e', 'one');
      // Empty members: 6 bytes each, so 174,762 picks are exactly within 1 MB.
      await cli.sadd('e', '');
      assert.equal((await cli.srandmember('e', -174762)).length, 174762);
      assert.equal(await reply(cli, 'SRANDMEMBER', 'e', '-174763'), OUT_OF_RANGE);
      // One-byte members take 7 bytes each: accepted by the count, cut off by the size.
      await cli.sadd('one', 'a');
      const raw = await RawClient.connect(redoubt.port);
      raw.write(RawClient.encode(['SRANDMEMBER', 'one', '-174762']));
      assert.equal(await raw.waitClosed(5000), true);
      assert.ok(raw.unread.length < 64 * 1024, `${raw.unread.length} bytes of the abandoned reply were sent`);
      assert.equal(await cli.ping(), 'PONG');
    } finally {
      await cli.config('SET', 'proto-max-bulk-len', saved);
    }
  });

  test("a client's output buffer hard limit stops a reply of large picks early", async () => {
    const pid = redoubt.process.pid;
    assert.ok(pid !== undefined);
    const [, saved] = (await cli.config('GET', 'client-output-buffer-limit')) as [string, string];
    await cli.config('SET', 'client-output-buffer-limit', 'normal 8mb 0 0');
    try {
      await cli.del('big');
      await cli.sadd('big', 'x'.repeat(100_000));
      const before = rssOf(pid);
      const raw = await RawClient.connect(redoubt.port);
      // 1000 picks of 100 KB: 100 MB, within proto-max-bulk-len; the 8 MB limit closes it.
      raw.write(RawClient.encode(['SRANDMEMBER', 'big', '-1000']));
      assert.equal(await raw.waitClosed(5000), true);
      assert.equal(await cli.ping(), 'PONG');
      assert.ok(rssOf(pid) - before < 64 * MB, `peak RSS grew by ${(rssOf(pid) - before) / MB} MB`);
    } finally {
      await cli.config('SET', 'client-output-buffer-limit', saved);
    }
  });
});
