// INFO's lazyfreed_objects against redis-server 7.0: Redis counts every value it hands to its
// lazy-free thread (UNLINK, FLUSHALL/FLUSHDB ASYNC, SCRIPT FLUSH ASYNC, the lazyfree-lazy-* paths)
// when freeing it takes more than 64 allocations by its own measure (quicklist nodes, hash table
// entries, skiplist nodes, a stream's radix tree and groups). Redoubt frees at once but counts the
// same objects. Each case runs the same commands on both servers after CONFIG RESETSTAT and
// compares the counter (Redis's thread may lag a little, so its figure is awaited).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';
import { waitFor } from './helpers/workload-target.js';

const pair = useServerPair({ redoubtClient: {}, redisClient: {} });

async function infoField(r: Redis, field: string): Promise<number> {
  const text = await r.info('memory');
  const m = new RegExp(`^${field}:(\\d+)\\r?$`, 'm').exec(text);
  assert.ok(m !== null, `INFO memory has no ${field}`);
  return Number(m[1]);
}

type Step = (r: Redis) => Promise<unknown>;

/** Runs `steps` on both servers from a clean slate; returns Redoubt's lazyfreed_objects after checking Redis agrees. */
async function compare(name: string, steps: Step): Promise<number> {
  for (const r of [pair.redisClient, pair.redoubtClient]) {
    await r.call('flushall');
    await r.call('config', 'set', 'lazyfree-lazy-user-del', 'no', 'lazyfree-lazy-server-del', 'no', 'lazyfree-lazy-expire', 'no', 'lazyfree-lazy-user-flush', 'no');
    await r.call('config', 'set', 'zset-max-listpack-entries', '128', 'list-max-listpack-size', '-2', 'stream-node-max-entries', '100');
    await r.call('script', 'flush');
    await r.call('config', 'resetstat');
    await steps(r);
  }
  const ours = await infoField(pair.redoubtClient, 'lazyfreed_objects');
  // Redis counts when its thread has freed the object: wait for it to reach our figure.
  await waitFor(async () => (await infoField(pair.redisClient, 'lazyfreed_objects')) === ours, 5000);
  const theirs = await infoField(pair.redisClient, 'lazyfreed_objects');
  assert.equal(ours, theirs, `${name}: lazyfreed_objects redis-server ${theirs}, Redoubt ${ours}`);
  assert.equal(await infoField(pair.redoubtClient, 'lazyfree_pending_objects'), 0);
  return ours;
}

const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('lazyfreed_objects matches redis-server 7.0', () => {
  test('UNLINK of small and large values of every type', async () => {
    const n = await compare('unlink', async (r) => {
      await r.call('set', 'str', 'x'.repeat(100000));
      // Lists: quicklist nodes of 8 KB (list-max-listpack-size -2); 5000-byte elements take a node each.
      await r.call('rpush', 'list64', ...range(64, () => 'e'.repeat(5000)));
      await r.call('rpush', 'list65', ...range(65, () => 'e'.repeat(5000)));
      await r.call('rpush', 'listsmall', ...range(3000, (i) => `element-${i}`));
      await r.call('rpush', 'listbig', ...range(20000, (i) => `element-${i}-${'p'.repeat(40)}`));
      await r.call('sadd', 'intset', ...range(500, (i) => String(i)));
      await r.call('sadd', 'set64', ...range(64, (i) => `m${i}`));
      await r.call('sadd', 'set65', ...range(65, (i) => `m${i}`));
      // hash-max-listpack-entries is 512 in Redis 7.0.
      await r.call('hset', 'hash512', ...range(512, (i) => `f${i}`).flatMap((f) => [f, 'v']));
      await r.call('hset', 'hash513', ...range(513, (i) => `f${i}`).flatMap((f) => [f, 'v']));
      await r.call('zadd', 'zset128', ...range(128, (i) => i).flatMap((i) => [String(i), `m${i}`]));
      await r.call('zadd', 'zset129', ...range(129, (i) => i).flatMap((i) => [String(i), `m${i}`]));
      await r.call('config', 'set', 'zset-max-listpack-entries', '0');
      await r.call('zadd', 'skip64', ...range(64, (i) => i).flatMap((i) => [String(i), `m${i}`]));
      await r.call('zadd', 'skip65', ...range(65, (i) => i).flatMap((i) => [String(i), `m${i}`]));
      for (let i = 0; i < 50; i++) await r.call('xadd', 'streamsmall', `${i + 1}-0`, 'f', 'v');
      for (let i = 0; i < 10000; i++) await r.call('xadd', 'streambig', `${i + 1}-0`, 'f', 'v');
      const keys = ['str', 'list64', 'list65', 'listsmall', 'listbig', 'intset', 'set64', 'set65', 'hash512', 'hash513'];
      keys.push('zset128', 'zset129', 'skip64', 'skip65', 'streamsmall', 'streambig', 'missing');
      assert.equal(await r.call('unlink', ...keys), keys.length - 1);
    });
    // list65, listbig, set65, hash513, zset129, skip65, streambig.
    assert.equal(n, 7);
  });

  test('a stream with all types of metadata (unit/lazyfree)', async () => {
    const n = await compare('stream metadata', async (r) => {
      await r.call('config', 'set', 'stream-node-max-entries', '5');
      for (let j = 0; j < 1000; j++) await r.call('xadd', 'stream', `${j + 1}-1`, j % 10 === 0 ? 'bar' : 'foo', String(j));
      await r.call('xgroup', 'create', 'stream', 'mygroup', '0');
      await r.call('xreadgroup', 'group', 'mygroup', 'Alice', 'count', '2', 'streams', 'stream', '>');
      await r.call('xdel', 'stream', '1-1');
      await r.call('xack', 'stream', 'mygroup', '2-1');
      await r.call('unlink', 'stream');
      // A small stream whose group was destroyed is freed at once.
      await r.call('xadd', 's', '1-1', 'a', 'b');
      await r.call('xgroup', 'create', 's', 'bla', '$');
      await r.call('xgroup', 'destroy', 's', 'bla');
      await r.call('unlink', 's');
    });
    assert.equal(n, 1);
  });

  test('a small stream whose groups hold many pending entries', async () => {
    // 20 entries (one radix node) but 4 groups times (1 + 20 pending of the first group).
    const n = await compare('stream groups', async (r) => {
      for (let j = 0; j < 20; j++) await r.call('xadd', 'st', `${j + 1}-0`, 'f', 'v');
      for (const g of ['a', 'b', 'c', 'd']) await r.call('xgroup', 'create', 'st', g, '0');
      await r.call('xreadgroup', 'group', 'a', 'x', 'streams', 'st', '>');
      await r.call('xadd', 'st2', '1-0', 'f', 'v');
      for (const g of ['a', 'b']) await r.call('xgroup', 'create', 'st2', g, '0');
      await r.call('xreadgroup', 'group', 'b', 'x', 'streams', 'st2', '>');
      await r.call('unlink', 'st', 'st2');
    });
    assert.equal(n, 1);
  });

  test('FLUSHALL and FLUSHDB ASYNC count every key; SYNC counts none', async () => {
    const n = await compare('flush', async (r) => {
      await r.call('mset', ...range(30, (i) => i).flatMap((i) => [`k${i}`, 'v']));
      await r.call('flushall', 'sync');
      await r.call('mset', ...range(30, (i) => i).flatMap((i) => [`k${i}`, 'v']));
      await r.call('select', '1');
      await r.call('mset', ...range(5, (i) => i).flatMap((i) => [`k${i}`, 'v']));
      await r.call('flushdb', 'async');
      await r.call('mset', ...range(7, (i) => i).flatMap((i) => [`k${i}`, 'v']));
      await r.call('select', '0');
      await r.call('flushall', 'async');
      await r.call('config', 'set', 'lazyfree-lazy-user-flush', 'yes');
      await r.call('mset', ...range(3, (i) => i).flatMap((i) => [`k${i}`, 'v']));
      await r.call('flushdb');
    });
    assert.equal(n, 5 + 37 + 3);
  });

  test('lazyfree-lazy-user-del, -server-del and -expire', async () => {
    const big = range(100, (i) => `m${i}`);
    const n = await compare('lazy settings', async (r) => {
      await r.call('sadd', 'a', ...big);
      await r.call('del', 'a');
      await r.call('config', 'set', 'lazyfree-lazy-user-del', 'yes');
      await r.call('sadd', 'b', ...big);
      await r.call('del', 'b');
      await r.call('sadd', 'c', ...big);
      await r.call('set', 'c', 'overwritten');
      await r.call('config', 'set', 'lazyfree-lazy-server-del', 'yes');
      await r.call('sadd', 'd', ...big);
      await r.call('set', 'd', 'overwritten');
      // RENAME frees the destination's old value, never the moved one.
      await r.call('sadd', 'e', ...big);
      await r.call('sadd', 'f', ...big);
      await r.call('rename', 'e', 'f');
      await r.call('sadd', 'g', ...big);
      await r.call('sunion', 'f', 'g');
      await r.call('sadd', 'h', ...big);
      await r.call('expire', 'h', '-1');
      await r.call('config', 'set', 'lazyfree-lazy-expire', 'yes');
      await r.call('sadd', 'i', ...big);
      await r.call('expire', 'i', '-1');
    });
    // b (user del), d (overwrite), f (rename's destination), the SUNION result, i (expire).
    assert.equal(n, 5);
  });

  test('SCRIPT FLUSH ASYNC counts the scripts past 64', async () => {
    const n = await compare('script flush', async (r) => {
      for (let i = 0; i < 64; i++) await r.call('script', 'load', `return ${i}`);
      await r.call('script', 'flush', 'async');
      for (let i = 0; i < 65; i++) await r.call('script', 'load', `return ${i}`);
      await r.call('script', 'flush', 'async');
    });
    assert.equal(n, 65);
  });

  test('an asynchronous flush frees the tracking table when it has more than 64 nodes', async () => {
    const hex = (i: number): string => ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
    for (const [count, name] of [
      [40, (i: number) => `key:${i}`],
      [60, (i: number) => `user:${hex(i)}`],
    ] as const) {
      const n = await compare(`tracking ${count}`, async (r) => {
        const names = range(count, name);
        await r.call('mset', ...names.flatMap((k) => [k, 'v']));
        const tracker = r.duplicate();
        try {
          const id = await r.call('client', 'id');
          await tracker.call('client', 'tracking', 'on', 'redirect', String(id));
          for (const k of names) await tracker.call('get', k);
          await r.call('flushall', 'async');
        } finally {
          tracker.disconnect();
        }
      });
      assert.equal(n, count === 40 ? 40 : 120);
    }
  });
});
