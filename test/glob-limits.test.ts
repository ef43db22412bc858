// Pathological glob patterns against a spawned server, next to redis-server 7.0: the nesting cap of
// Redis's CVE-2024-31228 fix (1000 nested `*`) and Redoubt's step cap on backtracking, wherever a
// client's pattern is matched: KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE (on PUBLISH), and ACL
// key and channel patterns. Each call must answer promptly, and another client must not wait.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';

const { redoubt, redisClient: ref, redoubtClient: cli } = useServerPair({ redisClient: { commandTimeout: 60000 }, redoubtClient: {} });
/** Another client, whose PING must not wait behind a pattern (connected in the suite's hook). */
let other: Redis;

/** A pattern whose `*` must be retried at every offset, each retry comparing 10,000 bytes. */
const LITERAL_TAIL = '*' + 'a'.repeat(10_000) + 'b';
/** The same with `?` and sets between the letters. */
const MIXED_TAIL = '*' + 'a?'.repeat(3000) + '[a]'.repeat(2000) + 'b';
const LONG_KEY = 'a'.repeat(100_000);
/** What "promptly" means here: Redis 7.0 takes seconds on these. */
const PROMPT_MS = 1000;

/** Runs `work` while another connection PINGs; both must finish within PROMPT_MS. */
async function prompt<T>(work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const [result, pingMs] = await Promise.all([
    work(),
    (async () => {
      const p0 = Date.now();
      assert.equal(await other.ping(), 'PONG');
      return Date.now() - p0;
    })(),
  ]);
  const took = Date.now() - t0;
  assert.ok(took < PROMPT_MS, `took ${took} ms`);
  assert.ok(pingMs < PROMPT_MS, `another client waited ${pingMs} ms`);
  return result;
}

describe('glob caps', () => {
  // Inside the suite: its hooks run once the server pair's have.
  before(async () => {
    other = new Redis({ port: redoubt.port, lazyConnect: true });
    await other.connect();
  });
  after(() => {
    other.disconnect();
  });

  test("Redis's regression patterns: same answers, at once", async () => {
    for (const c of [ref, cli]) {
      await c.flushall();
      await c.set('a'.repeat(40), '1');
    }
    const p = 'a*'.repeat(20) + 'b';
    assert.deepEqual(await prompt(() => cli.keys(p)), await ref.keys(p));
    // 7.2.6's test for the nesting cap: 50,000 nested `*?` against a 50,000-byte key.
    for (const c of [ref, cli]) {
      await c.flushall();
      await c.set('a'.repeat(50_000), '1');
    }
    const nested = '*?'.repeat(50_000);
    assert.deepEqual(await prompt(() => cli.keys(nested)), []);
    assert.deepEqual(await ref.keys(nested), []);
  });

  test('more than 1000 nested stars never match (Redis 7.2.6 and later)', async () => {
    await cli.flushall();
    await cli.set('x'.repeat(1200), '1');
    assert.deepEqual(await cli.keys('x*'.repeat(999) + 'x'), ['x'.repeat(1200)]);
    assert.deepEqual(await cli.keys('x*'.repeat(1001) + 'x'), []);
  });

  test('KEYS and SCAN MATCH with backtracking patterns against a 100 KB key', async () => {
    await cli.flushall();
    await cli.set(LONG_KEY, '1');
    await cli.set('short', '1');
    for (const p of [LITERAL_TAIL, MIXED_TAIL]) {
      assert.deepEqual(await prompt(() => cli.keys(p)), []);
      const [cursor, keys] = await prompt(() => cli.scan('0', 'MATCH', p, 'COUNT', 1000));
      assert.equal(cursor, '0');
      assert.deepEqual(keys, []);
    }
    // A pathological pattern that would match in the end is cut off: no match, as for the
    // nesting cap (Redis 7.0 finds it after seconds).
    await cli.set(LONG_KEY + 'b', '1');
    assert.deepEqual(await prompt(() => cli.keys(LITERAL_TAIL)), []);
    // Ordinary patterns on the same keys are unaffected.
    assert.deepEqual((await cli.keys('*b')).sort(), [LONG_KEY + 'b']);
    assert.deepEqual(await cli.keys('a*aab'), [LONG_KEY + 'b']);
    assert.deepEqual((await cli.keys('*a')).sort(), [LONG_KEY]);
  });

  test('the same answer as Redis 7.0 for a backtracking pattern that finds nothing', async () => {
    const key = 'a'.repeat(30_000);
    for (const c of [ref, cli]) {
      await c.flushall();
      await c.set(key, '1');
    }
    // Redis 7.0 spends about a second of its event loop on this one.
    assert.deepEqual(await prompt(() => cli.keys(LITERAL_TAIL)), await ref.keys(LITERAL_TAIL));
  });

  test('HSCAN, SSCAN and ZSCAN MATCH on long fields and members', async () => {
    await cli.flushall();
    await cli.hset('h', LONG_KEY, 'v', 'f', 'v');
    await cli.sadd('s', LONG_KEY, 'm');
    await cli.zadd('z', 1, LONG_KEY, 2, 'm');
    assert.deepEqual(await prompt(() => cli.hscan('h', '0', 'MATCH', LITERAL_TAIL)), ['0', []]);
    assert.deepEqual(await prompt(() => cli.sscan('s', '0', 'MATCH', LITERAL_TAIL)), ['0', []]);
    assert.deepEqual(await prompt(() => cli.zscan('z', '0', 'MATCH', MIXED_TAIL)), ['0', []]);
    assert.deepEqual(await cli.sscan('s', '0', 'MATCH', 'm*'), ['0', ['m']]);
  });

  test('PSUBSCRIBE: a pathological pattern does not slow PUBLISH to a long channel', async () => {
    const sub = new Redis({ port: redoubt.port });
    try {
      await sub.psubscribe(LITERAL_TAIL, MIXED_TAIL, 'ch*');
      assert.equal(await prompt(() => cli.publish(LONG_KEY, 'm')), 0);
      assert.equal(await prompt(() => cli.publish('channel', 'm')), 1);
    } finally {
      sub.disconnect();
    }
  });

  test('ACL key and channel patterns: a pathological one denies promptly, an ordinary one still allows', async () => {
    await cli.flushall();
    await cli.set(LONG_KEY, 'v');
    await cli.call('ACL', 'SETUSER', 'globby', 'on', 'nopass', '+@all', `~${LITERAL_TAIL}`, '~ok*', `&${MIXED_TAIL}`, '&news*');
    const u = new Redis({ port: redoubt.port, lazyConnect: true });
    try {
      await u.connect();
      await u.call('AUTH', 'globby', 'x');
      await assert.rejects(prompt(() => u.get(LONG_KEY)), /NOPERM/);
      await assert.rejects(prompt(() => u.publish(LONG_KEY, 'm')), /NOPERM/);
      assert.equal(await u.set('okey', '1'), 'OK');
      assert.equal(await u.publish('news:1', 'm'), 0);
    } finally {
      u.disconnect();
      await cli.call('ACL', 'DELUSER', 'globby');
    }
  });
});
