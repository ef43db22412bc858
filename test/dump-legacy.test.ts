// RESTORE of the encodings Redis 7.0 loads but no longer writes (ziplists of lists, hashes and
// sorted sets, quicklist v1, zipmaps): hand-built payloads of random contents go to both servers,
// which must both accept them and read back the same contents with the same encodings.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';
import { errorMessage } from './helpers/rejection.js';
import { dumpPayload } from './helpers/rdb-bombs.js';
import { legacy } from './helpers/rdb-legacy.js';

const { redisClient: ref, redoubtClient: cli } = useServerPair({ redisClient: {}, redoubtClient: {} });

const text = fc.oneof(
  fc.integer({ min: -20, max: 20 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('', '007', '-0', '1.5', 'x'),
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.integer({ min: 60, max: 300 }).map((n) => 'y'.repeat(n)),
);

/** What a key holds, read the same way on both servers. */
async function contents(c: Redis, key: string): Promise<unknown> {
  const type = await c.type(key);
  const encoding = await c.object('ENCODING', key);
  switch (type) {
    case 'list':
      return { type, encoding, items: await c.lrangeBuffer(key, 0, -1) };
    case 'hash':
      return { type, encoding, pairs: Object.entries(await c.hgetallBuffer(key)).sort() };
    case 'zset':
      return { type, encoding, entries: await c.zrangeBuffer(key, '0', '-1', 'WITHSCORES') };
    default:
      return { type };
  }
}

async function both(payload: Buffer): Promise<void> {
  const replies = await Promise.all(
    [ref, cli].map((c) => c.restore('k', 0, payload, 'REPLACE').catch(errorMessage)),
  );
  assert.deepEqual(replies, ['OK', 'OK']);
  assert.deepEqual(await contents(cli, 'k'), await contents(ref, 'k'));
}

describe('RESTORE of legacy encodings, against redis-server 7.0', () => {
  test('lists as ziplists and as quicklist v1 nodes', async () => {
    const lists = fc.sample(fc.array(text, { minLength: 1, maxLength: 200 }), { numRuns: 60, seed: 11 });
    for (const items of lists) {
      const z = legacy.listZiplist(items);
      await both(dumpPayload(z.type, z.body));
      const q = legacy.listQuicklist(items, 1 + (items.length % 7));
      await both(dumpPayload(q.type, q.body));
    }
  });

  test('hashes as ziplists and zipmaps', async () => {
    const hashes = fc.sample(
      fc.uniqueArray(fc.tuple(text, text), { minLength: 1, maxLength: 150, selector: ([f]) => f }),
      { numRuns: 60, seed: 12 },
    );
    for (const pairs of hashes) {
      const z = legacy.hashZiplist(pairs);
      await both(dumpPayload(z.type, z.body));
      const m = legacy.hashZipmap(pairs);
      await both(dumpPayload(m.type, m.body));
    }
  });

  test('sorted sets as ziplists', async () => {
    const score = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }));
    const sets = fc.sample(
      fc.uniqueArray(fc.tuple(text, score), { minLength: 1, maxLength: 150, selector: ([m]) => m }),
      { numRuns: 60, seed: 13 },
    );
    for (const unsorted of sets) {
      // A valid sorted-set ziplist is in score order, members by bytes on ties (Redis trusts that).
      const entries = [...unsorted].sort(([am, as], [bm, bs]) => as - bs || Buffer.compare(Buffer.from(am, 'latin1'), Buffer.from(bm, 'latin1')));
      const z = legacy.zsetZiplist(entries);
      await both(dumpPayload(z.type, z.body));
    }
  });
});
