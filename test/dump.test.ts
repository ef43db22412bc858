// DUMP and RESTORE across the two servers: random values of every type and encoding are DUMPed by
// redis-server and RESTOREd by Redoubt (and the other way round) and must read back the same, with
// the same OBJECT ENCODING; where the layout of a value is knowable our DUMP must be Redis's byte
// for byte. Also the format's building blocks on their own: CRC64, LZF, listpacks, intsets.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { crc64, crc64Hex } from '../src/persistence/rdb/crc64.js';
import { lzfCompress, lzfDecompress } from '../src/persistence/rdb/lzf.js';
import { ListpackBuilder, decodeListpack } from '../src/persistence/rdb/listpack.js';
import { decodeIntset, encodeIntset } from '../src/persistence/rdb/intset.js';
import { RdbFormatError } from '../src/persistence/rdb/bytes.js';

let redis: RunningServer;
let redoubt: RunningServer;
let ref: Redis;
let cli: Redis;

before(async () => {
  [redis, redoubt] = await Promise.all([startRedis(), startRedoubt()]);
  ref = new Redis({ port: redis.port, lazyConnect: true });
  cli = new Redis({ port: redoubt.port, lazyConnect: true });
  await Promise.all([ref.connect(), cli.connect()]);
});
after(async () => {
  ref?.disconnect();
  cli?.disconnect();
  await Promise.all([redis?.stop(), redoubt?.stop()]);
});

// --- values ---

type Spec =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'list'; readonly items: string[] }
  | { readonly type: 'set'; readonly members: string[] }
  | { readonly type: 'zset'; readonly entries: [number, string][] }
  | { readonly type: 'hash'; readonly pairs: [string, string][] };

const bytes = (max: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: max }).map((a) => String.fromCharCode(...a));
/** Strings that stress the encodings: integers of each width, repeats LZF can compress, raw bytes. */
const element = fc.oneof(
  fc.integer({ min: -200, max: 200 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('', '0', '-0', '007', '+1', ' 1', '1.5', 'a', 'hello'),
  bytes(12),
  fc.tuple(fc.constantFrom('ab', 'xyz', 'a'), fc.integer({ min: 1, max: 40 })).map(([s, n]) => s.repeat(n)),
  bytes(300),
);
const score = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true }),
  fc.constantFrom(0.1, 1e15, 2 ** 62, -(2 ** 62), 2 ** 62 + 2048, 1e300, -0),
);

const spec: fc.Arbitrary<Spec> = fc.oneof(
  element.map((value) => ({ type: 'string' as const, value })),
  fc.array(element, { minLength: 1, maxLength: 300 }).map((items) => ({ type: 'list' as const, items })),
  fc.uniqueArray(fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map(String), { minLength: 1, maxLength: 600 })
    .map((members) => ({ type: 'set' as const, members })),
  fc.uniqueArray(element, { minLength: 1, maxLength: 150 }).map((members) => ({ type: 'set' as const, members })),
  fc.uniqueArray(fc.tuple(score, element), { minLength: 1, maxLength: 200, selector: ([, m]) => m })
    .map((entries) => ({ type: 'zset' as const, entries })),
  fc.uniqueArray(fc.tuple(element, element), { minLength: 1, maxLength: 120, selector: ([f]) => f })
    .map((pairs) => ({ type: 'hash' as const, pairs })),
);

async function create(c: Redis, key: string, s: Spec): Promise<void> {
  await c.del(key);
  switch (s.type) {
    case 'string':
      await c.set(key, Buffer.from(s.value, 'latin1'));
      return;
    case 'list':
      await c.rpush(key, ...s.items.map((x) => Buffer.from(x, 'latin1')));
      return;
    case 'set':
      await c.sadd(key, ...s.members.map((x) => Buffer.from(x, 'latin1')));
      return;
    case 'zset':
      await c.zadd(key, ...s.entries.flatMap(([sc, m]) => [String(sc), Buffer.from(m, 'latin1')]));
      return;
    case 'hash':
      await c.hset(key, ...s.pairs.flatMap(([f, v]) => [Buffer.from(f, 'latin1'), Buffer.from(v, 'latin1')]));
      return;
  }
}

const latin1 = (b: Buffer): string => b.toString('latin1');

/** The value at `key` in a comparable form, with its encoding. */
async function readBack(c: Redis, key: string): Promise<string> {
  const type = await c.type(key);
  const enc = await c.object('ENCODING', key);
  let body: unknown;
  switch (type) {
    case 'string':
      body = latin1(await c.getBuffer(key) as Buffer);
      break;
    case 'list':
      body = (await c.lrangeBuffer(key, 0, -1)).map(latin1);
      break;
    case 'set':
      body = (await c.smembersBuffer(key)).map(latin1).sort();
      break;
    case 'zset':
      body = (await c.zrangeBuffer(key, '0', '-1', 'WITHSCORES')).map(latin1);
      break;
    case 'hash': {
      const flat = (await c.hgetallBuffer(key)) as Record<string, Buffer>;
      body = Object.entries(flat).map(([f, v]) => [f, latin1(v)]).sort();
      break;
    }
    default:
      body = null;
  }
  return JSON.stringify({ type, enc, body });
}

/** Values whose DUMP Redis lays out deterministically (hash order and dict order aside). */
async function deterministic(c: Redis, key: string): Promise<boolean> {
  const enc = await c.object('ENCODING', key);
  return enc !== 'hashtable';
}

describe('DUMP and RESTORE between redis-server and Redoubt', () => {
  test('redis DUMP → Redoubt RESTORE, Redoubt DUMP → redis RESTORE, byte-identical DUMPs', async () => {
    let compared = 0;
    const property = fc.asyncProperty(spec, async (s) => {
      await Promise.all([create(ref, 'k', s), create(cli, 'k', s)]);
      const original = await readBack(ref, 'k');
      assert.equal(await readBack(cli, 'k'), original, 'the same commands built different values');
      const theirs = (await ref.dumpBuffer('k'))!;
      const ours = (await cli.dumpBuffer('k'))!;
      if (await deterministic(ref, 'k')) {
        assert.equal(ours.toString('hex'), theirs.toString('hex'), `DUMP differs for ${original.slice(0, 200)}`);
        compared++;
      }
      await cli.restore('fromredis', 0, theirs, 'REPLACE');
      assert.equal(await readBack(cli, 'fromredis'), original);
      await ref.restore('fromredoubt', 0, ours, 'REPLACE');
      assert.equal(await readBack(ref, 'fromredoubt'), original);
    });
    await fc.assert(property, { numRuns: 300, seed: 7001 });
    assert.ok(compared > 150, `only ${compared} DUMPs were compared byte for byte`);
  });

  test('skiplist sorted sets and hashtable hashes made by the limits round-trip both ways', async () => {
    for (const c of [ref, cli]) {
      await c.config('SET', 'zset-max-listpack-entries', '4');
      await c.config('SET', 'hash-max-listpack-entries', '4');
    }
    try {
      const property = fc.asyncProperty(fc.oneof(
        fc.uniqueArray(fc.tuple(score, element), { minLength: 5, maxLength: 60, selector: ([, m]) => m }).map((entries) => ({ type: 'zset' as const, entries })),
        fc.uniqueArray(fc.tuple(element, element), { minLength: 5, maxLength: 60, selector: ([f]) => f }).map((pairs) => ({ type: 'hash' as const, pairs })),
      ), async (s: Spec) => {
        await Promise.all([create(ref, 'k', s), create(cli, 'k', s)]);
        const original = await readBack(ref, 'k');
        const theirs = (await ref.dumpBuffer('k'))!;
        const ours = (await cli.dumpBuffer('k'))!;
        // Skiplists are written from the highest score down: fully deterministic.
        if (s.type === 'zset') assert.equal(ours.toString('hex'), theirs.toString('hex'));
        await cli.restore('x', 0, theirs, 'REPLACE');
        assert.equal(await readBack(cli, 'x'), original);
        await ref.restore('y', 0, ours, 'REPLACE');
        assert.equal(await readBack(ref, 'y'), original);
      });
      await fc.assert(property, { numRuns: 60, seed: 7002 });
    } finally {
      for (const c of [ref, cli]) {
        await c.config('SET', 'zset-max-listpack-entries', '128');
        await c.config('SET', 'hash-max-listpack-entries', '512');
      }
    }
  });

  test('big lists split into the same quicklist nodes, with and without node compression', async () => {
    for (const depth of ['0', '1', '2']) {
      for (const c of [ref, cli]) await c.config('SET', 'list-compress-depth', depth);
      for (const size of [1, 30, 100, 700, 5000, 9000]) {
        const items = Array.from({ length: Math.ceil(60000 / (size + 3)) }, (_, i) => `${i}:${'v'.repeat(size)}`.slice(0, size));
        await Promise.all([create(ref, 'big', { type: 'list', items }), create(cli, 'big', { type: 'list', items })]);
        const theirs = (await ref.dumpBuffer('big'))!;
        const ours = (await cli.dumpBuffer('big'))!;
        assert.equal(ours.toString('hex'), theirs.toString('hex'), `depth ${depth}, elements of ${size} bytes`);
      }
    }
    for (const c of [ref, cli]) await c.config('SET', 'list-compress-depth', '0');
  });

  test('DUMP of a missing key is nil on both', async () => {
    assert.equal(await cli.dumpBuffer('nothing-here'), null);
    assert.equal(await ref.dumpBuffer('nothing-here'), null);
  });
});

// --- building blocks ---

describe('RDB building blocks', () => {
  test('CRC64 matches Redis test vector', () => {
    assert.equal(crc64Hex(crc64(Buffer.from('123456789'))), 'e9c6d914c4b8d9ca');
    assert.equal(crc64Hex(crc64(Buffer.alloc(0))), '0000000000000000');
  });

  test('LZF: whatever compresses decompresses to the input', () => {
    fc.assert(
      fc.property(fc.oneof(bytes(400), fc.tuple(bytes(8), fc.integer({ min: 1, max: 300 })).map(([s, n]) => s.repeat(n))), (s) => {
        const input = Buffer.from(s, 'latin1');
        const packed = lzfCompress(input, input.length + 64);
        if (input.length === 0) return assert.equal(packed, null);
        assert.ok(packed !== null);
        assert.deepEqual(lzfDecompress(packed, input.length), input);
      }),
      { numRuns: 400, seed: 7003 },
    );
  });

  test('LZF: corrupt streams and wrong lengths are refused', () => {
    const packed = lzfCompress(Buffer.from('abcabcabcabcabcabcabcabc'), 100)!;
    assert.equal(lzfDecompress(packed, 23), null);
    assert.equal(lzfDecompress(packed, 25), null);
    assert.equal(lzfDecompress(Buffer.from([0xe0, 0x05]), 10), null, 'a back reference before the start');
    assert.equal(lzfDecompress(Buffer.from([0x05, 0x61]), 6), null, 'a literal run past the input');
  });

  test('listpacks and intsets decode what they encode, and refuse damage', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 80 }), (items) => {
        const lp = new ListpackBuilder();
        for (const x of items) lp.append(x);
        const blob = lp.finish();
        assert.equal(blob.length, lp.bytes);
        assert.deepEqual(decodeListpack(blob), items);
        if (items.length > 0) {
          const cut = blob.subarray(0, blob.length - 2);
          assert.throws(() => decodeListpack(cut), RdbFormatError);
        }
      }),
      { numRuns: 300, seed: 7004 },
    );
    const ints = ['5', '-70000', '3', '9223372036854775807'];
    assert.deepEqual(decodeIntset(encodeIntset(ints)), ['-70000', '3', '5', '9223372036854775807']);
    const bad = encodeIntset(['1', '2']);
    bad.writeInt16LE(7, 8);
    assert.throws(() => decodeIntset(bad), RdbFormatError, 'members out of order');
  });
});
