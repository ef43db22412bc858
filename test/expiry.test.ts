// Expiry end to end: the active cycle reclaims keys nobody touches, lazy expiry hides them at once,
// TTL/PTTL/EXPIRETIME report -2/-1 and rounded values, past times delete, and the NX/XX/GT/LT
// options behave as Redis's (checked against the real server over every state and option).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';

const { redoubt, redoubtClient: cli, redisClient: ref } = useServerPair({ redoubtClient: {}, redisClient: {} });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('active expiry', () => {
  test('keys with short TTLs disappear without being touched', async () => {
    await cli.flushall();
    const pipe = cli.pipeline();
    // Long enough that the pipeline is in before the first key expires, even on a loaded machine.
    for (let i = 0; i < 5000; i++) pipe.set(`short:${i}`, 'v', 'PX', 2000 + (i % 100));
    for (let i = 0; i < 100; i++) pipe.set(`long:${i}`, 'v');
    for (let i = 0; i < 100; i++) pipe.set(`later:${i}`, 'v', 'EX', 100);
    await pipe.exec();
    assert.equal(await cli.dbsize(), 5200);
    // DBSIZE counts keys not yet reclaimed, so it only drops when the cycle removes them.
    const deadline = Date.now() + 10000;
    let size = 5200;
    while (Date.now() < deadline) {
      await sleep(100);
      size = await cli.dbsize();
      if (size === 200) break;
    }
    assert.equal(size, 200);
    assert.equal((await cli.keys('long:*')).length, 100);
    assert.equal((await cli.keys('later:*')).length, 100);
  });

  test('every database is swept', async () => {
    await cli.flushall();
    const dbs = [0, 5, 15];
    const clients = dbs.map((db) => new Redis({ port: redoubt.port, db }));
    try {
      for (const c of clients) {
        const p = c.pipeline();
        for (let i = 0; i < 300; i++) p.set(`k${i}`, 'v', 'PX', 30);
        await p.exec();
      }
      await sleep(1500);
      for (const c of clients) assert.equal(await c.dbsize(), 0);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

describe('lazy expiry and TTL reporting', () => {
  test("the server's clock never trails the client's: PTTL after PXAT of the client's now + 10 s is at most 10000", async () => {
    // Redis reads the wall clock in whole milliseconds for each command, so a deadline the client
    // computed a moment earlier is never more than 10000 ms away; a clock that trailed the wall
    // clock by a fraction of a millisecond read 10001 now and then.
    for (let i = 0; i < 300; i++) {
      const pttl = await cli.eval("redis.call('SET', KEYS[1], 'v', 'PXAT', ARGV[1]) return redis.call('PTTL', KEYS[1])", 1, 'clock', String(Date.now() + 10000));
      assert.ok(typeof pttl === 'number' && pttl <= 10000 && pttl > 9000, `PTTL ${String(pttl)} in round ${i}`);
      const getex = await cli.getex('clock', 'PXAT', Date.now() + 10000);
      assert.equal(getex, 'v');
      const after = await cli.pttl('clock');
      assert.ok(after <= 10000 && after > 9000, `PTTL after GETEX PXAT ${after} in round ${i}`);
    }
  });

  test('an expired key reads as missing at once', async () => {
    await cli.flushall();
    await cli.set('k', 'v', 'PX', 5);
    await sleep(10);
    assert.equal(await cli.get('k'), null);
    assert.equal(await cli.exists('k'), 0);
    assert.equal(await cli.ttl('k'), -2);
  });

  test('-2 for a missing key, -1 without a TTL, rounded seconds otherwise', async () => {
    await cli.flushall();
    assert.equal(await cli.ttl('missing'), -2);
    assert.equal(await cli.pttl('missing'), -2);
    assert.equal(await cli.expiretime('missing'), -2);
    assert.equal(await cli.pexpiretime('missing'), -2);
    await cli.set('k', 'v');
    assert.equal(await cli.ttl('k'), -1);
    assert.equal(await cli.pttl('k'), -1);
    assert.equal(await cli.expiretime('k'), -1);
    assert.equal(await cli.pexpiretime('k'), -1);
    await cli.pexpire('k', 10400);
    assert.equal(await cli.ttl('k'), 10);
    await cli.pexpire('k', 10700);
    assert.equal(await cli.ttl('k'), 11);
    const pttl = await cli.pttl('k');
    assert.ok(pttl <= 10700 && pttl > 10500, `pttl ${pttl}`);
    const at = Date.now() + 50000;
    await cli.pexpireat('k', at);
    assert.equal(await cli.pexpiretime('k'), at);
    assert.equal(await cli.expiretime('k'), Math.floor((at + 500) / 1000));
  });

  test('negative and past times delete the key and reply 1', async () => {
    await cli.flushall();
    for (const [cmd, arg] of [
      ['EXPIRE', '-1'],
      ['EXPIRE', '0'],
      ['PEXPIRE', '-5000'],
      ['EXPIREAT', '1'],
      ['PEXPIREAT', String(Date.now() - 1000)],
    ] as const) {
      await cli.set('k', 'v');
      assert.equal(await cli.call(cmd, 'k', arg), 1, `${cmd} ${arg}`);
      assert.equal(await cli.exists('k'), 0, `${cmd} ${arg}`);
    }
  });

  test('times past 2^53 ms are kept exactly', async () => {
    // stringNumbers: integer replies beyond 2^53 would lose digits as JS numbers.
    const c = new Redis({ port: redoubt.port, stringNumbers: true });
    try {
      await c.flushall();
      await c.set('k', 'v');
      await c.call('PEXPIREAT', 'k', '9223372036854775807');
      assert.equal(await c.call('PEXPIRETIME', 'k'), '9223372036854775807');
      await c.call('PEXPIREAT', 'k', '9007199254740993');
      assert.equal(await c.call('PEXPIRETIME', 'k'), '9007199254740993');
      await c.call('COPY', 'k', 'k2');
      assert.equal(await c.call('PEXPIRETIME', 'k2'), '9007199254740993');
      await c.call('RENAME', 'k2', 'k3');
      assert.equal(await c.call('PEXPIRETIME', 'k3'), '9007199254740993');
      // A later, ordinary time replaces the exact one.
      await c.call('PEXPIREAT', 'k3', '4000000000000');
      assert.equal(await c.call('PEXPIRETIME', 'k3'), '4000000000000');
    } finally {
      c.disconnect();
    }
  });
});

describe('NX, XX, GT, LT behave as in Redis', () => {
  test('every option against a persistent key, a key with a TTL and a missing key', async () => {
    const options = [[], ['NX'], ['XX'], ['GT'], ['LT'], ['XX', 'GT'], ['XX', 'LT'], ['NX', 'XX'], ['GT', 'LT']];
    // Not 100 itself: "equal to the current TTL" depends on which millisecond each server reads.
    const times = ['50', '150', '-1'];
    const states = ['persistent', 'ttl100', 'missing'] as const;
    for (const state of states) {
      for (const opts of options) {
        for (const t of times) {
          const results: unknown[] = [];
          for (const c of [ref, cli]) {
            await c.flushall();
            if (state !== 'missing') await c.set('k', 'v');
            if (state === 'ttl100') await c.expire('k', 100);
            let reply: unknown;
            try {
              reply = await c.call('EXPIRE', 'k', t, ...opts);
            } catch (e) {
              reply = `error: ${(e as Error).message}`;
            }
            results.push([reply, await c.ttl('k')]);
          }
          assert.deepEqual(results[1], results[0], `${state} EXPIRE k ${t} ${opts.join(' ')}`);
        }
      }
    }
  });
});

describe('what keeps and what clears a TTL', () => {
  test('RENAME, MOVE and COPY keep it; SET and PERSIST clear it', async () => {
    await cli.flushall();
    await cli.set('a', 'v', 'EX', 100);
    await cli.rename('a', 'b');
    assert.equal(await cli.ttl('b'), 100);
    await cli.move('b', 1);
    const db1 = new Redis({ port: redoubt.port, db: 1 });
    try {
      assert.equal(await db1.ttl('b'), 100);
      await db1.copy('b', 'c');
      assert.equal(await db1.ttl('c'), 100);
      await db1.set('c', 'new');
      assert.equal(await db1.ttl('c'), -1);
      assert.equal(await db1.persist('b'), 1);
      assert.equal(await db1.ttl('b'), -1);
      assert.equal(await db1.persist('b'), 0);
    } finally {
      db1.disconnect();
    }
  });
});
