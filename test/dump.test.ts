// DUMP and RESTORE across the two servers: random values of every type and encoding are DUMPed by
// redis-server and RESTOREd by Redoubt (and the other way round) and must read back the same, with
// the same OBJECT ENCODING; where the layout of a value is knowable our DUMP must be Redis's byte
// for byte. Also the format's building blocks on their own: CRC64, LZF, listpacks, intsets.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';
import { crc64, crc64Bytes, crc64Hex } from '../src/persistence/rdb/crc64.js';
import { lzfCompress, lzfDecompress } from '../src/persistence/rdb/lzf.js';
import { ListpackBuilder, decodeListpack } from '../src/persistence/rdb/listpack.js';
import { decodeIntset, encodeIntset } from '../src/persistence/rdb/intset.js';
import { ByteWriter, RdbFormatError } from '../src/persistence/rdb/bytes.js';
import { writeLen, writeString } from '../src/persistence/rdb/strings.js';
import { errorMessage } from './helpers/rejection.js';

const { redisClient: ref, redoubtClient: cli } = useServerPair({ redisClient: {}, redoubtClient: {} });

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
      const flat = await c.hgetallBuffer(key);
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
      const theirs = await ref.dumpBuffer('k');
      const ours = await cli.dumpBuffer('k');
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
        const theirs = await ref.dumpBuffer('k');
        const ours = await cli.dumpBuffer('k');
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
        const theirs = await ref.dumpBuffer('big');
        const ours = await cli.dumpBuffer('big');
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
        if (input.length === 0) {
          assert.equal(packed, null);
          return;
        }
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

// --- streams ---

/** One step of building a stream; IDs are explicit so both servers build the same one. */
type StreamOp =
  | { readonly op: 'add'; readonly dms: number; readonly seq: number; readonly pairs: [string, string][] }
  | { readonly op: 'del'; readonly pick: number }
  | { readonly op: 'trim'; readonly strategy: 'MAXLEN' | 'MINID'; readonly approx: boolean; readonly pick: number }
  | { readonly op: 'group'; readonly name: string; readonly atEnd: boolean }
  | { readonly op: 'read'; readonly group: string; readonly consumer: string; readonly count: number }
  | { readonly op: 'ack'; readonly group: string; readonly pick: number };

const fieldName = fc.oneof(fc.constantFrom('a', 'b', 'temp', '1', '-5'), bytes(6));
const streamOp: fc.Arbitrary<StreamOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    op: fc.constant('add' as const),
    dms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1000, max: 2 ** 40 })),
    seq: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 })),
    pairs: fc.oneof(
      fc.constant<[string, string][]>([['a', '1'], ['b', 'x']]),
      fc.array(fc.tuple(fieldName, element), { minLength: 1, maxLength: 4 }),
    ),
  }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('del' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('trim' as const), strategy: fc.constantFrom('MAXLEN' as const, 'MINID' as const), approx: fc.boolean(), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('group' as const), name: fc.constantFrom('g1', 'g2', '42', 'grp'), atEnd: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('read' as const), group: fc.constantFrom('g1', 'g2', '42', 'grp'), consumer: fc.constantFrom('alice', 'bob', '7', 'c'), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ack' as const), group: fc.constantFrom('g1', 'g2', '42', 'grp'), pick: fc.nat() }) },
);

/** Runs the ops on both servers, checking they answer alike. */
async function buildStream(key: string, ops: readonly StreamOp[]): Promise<void> {
  await Promise.all([ref.del(key), cli.del(key)]);
  let ms = 1n;
  let seq = 0n;
  const ids: string[] = [];
  const both = async (...args: (string | Buffer)[]): Promise<void> => {
    const run = (c: Redis) => c.callBuffer(args[0] as string, ...args.slice(1)).then((r) => JSON.stringify(r), (e: unknown) => `error: ${errorMessage(e)}`);
    const [a, b] = await Promise.all([run(ref), run(cli)]);
    assert.equal(b, a, `replies differ for ${args.map(String).join(' ')}`);
  };
  for (const o of ops) {
    const pick = (n: number): string | undefined => (ids.length === 0 ? undefined : ids[n % ids.length]);
    switch (o.op) {
      case 'add': {
        if (o.dms > 0) {
          ms += BigInt(o.dms);
          seq = BigInt(o.seq);
        } else {
          seq += BigInt(o.seq) + 1n;
        }
        const id = `${ms}-${seq}`;
        ids.push(id);
        await both('XADD', key, id, ...o.pairs.flat().map((s) => Buffer.from(s, 'latin1')));
        break;
      }
      case 'del': {
        const id = pick(o.pick);
        if (id !== undefined) await both('XDEL', key, id);
        break;
      }
      case 'trim': {
        const arg = o.strategy === 'MAXLEN' ? String(o.pick % 20) : (pick(o.pick) ?? '0');
        await both('XTRIM', key, o.strategy, ...(o.approx ? ['~'] : []), arg);
        break;
      }
      case 'group':
        await both('XGROUP', 'CREATE', key, o.name, o.atEnd ? '$' : '0', 'MKSTREAM');
        break;
      case 'read':
        // Delivery times differ between the servers, so replies are not compared here. The
        // consumer is made first: XREADGROUP creates it only when it has something to serve.
        await both('XGROUP', 'CREATECONSUMER', key, o.group, o.consumer);
        await Promise.all([ref, cli].map((c) => c.call('XREADGROUP', 'GROUP', o.group, o.consumer, 'COUNT', String(o.count), 'STREAMS', key, '>').catch(() => null)));
        break;
      case 'ack': {
        const id = pick(o.pick);
        if (id !== undefined) await both('XACK', key, o.group, id);
        break;
      }
    }
  }
}

/** XINFO STREAM FULL and the entries, with clock readings (seen and delivery times) blanked. */
async function streamState(c: Redis, key: string): Promise<string> {
  const blank = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(blank);
    if (Buffer.isBuffer(x)) return x.toString('latin1');
    if (typeof x === 'number' && x > 1e12) return 'time';
    return x;
  };
  const info = await c.callBuffer('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0');
  const range = await c.callBuffer('XRANGE', key, '-', '+');
  const revrange = await c.callBuffer('XREVRANGE', key, '+', '-', 'COUNT', '3');
  return JSON.stringify(blank([info, range, revrange, await c.type(key), await c.object('ENCODING', key)]));
}

describe('DUMP and RESTORE of streams', () => {
  const property = fc.asyncProperty(fc.array(streamOp, { minLength: 1, maxLength: 60 }), async (ops) => {
    await buildStream('st', ops);
    if ((await ref.exists('st')) === 0) return;
    const original = await streamState(ref, 'st');
    assert.equal(await streamState(cli, 'st'), original, 'the same commands built different streams');
    const theirs = await ref.dumpBuffer('st');
    const ours = await cli.dumpBuffer('st');
    const timed = ops.some((o) => o.op === 'read');
    if (!timed) assert.equal(ours.toString('hex'), theirs.toString('hex'), 'DUMP differs');
    await cli.restore('fromredis', 0, theirs, 'REPLACE');
    assert.equal(await streamState(cli, 'fromredis'), original);
    // Times travel in the payload: what Redoubt loaded it writes back byte for byte.
    assert.equal((await cli.dumpBuffer('fromredis')).toString('hex'), theirs.toString('hex'), 'DUMP after RESTORE differs');
    await ref.restore('fromredoubt', 0, ours, 'REPLACE');
    assert.equal(await streamState(ref, 'fromredoubt'), original);
  });

  test('random streams: byte-identical DUMPs, and RESTORE both ways reads back the same', async () => {
    await fc.assert(property, { numRuns: 200, seed: 7010 });
  });

  test('the same with small nodes (many radix tree keys) and without compression', async () => {
    for (const c of [ref, cli]) {
      await c.config('SET', 'stream-node-max-entries', '3');
      await c.config('SET', 'stream-node-max-bytes', '200');
      await c.config('SET', 'rdbcompression', 'no');
    }
    try {
      await fc.assert(property, { numRuns: 150, seed: 7011 });
    } finally {
      for (const c of [ref, cli]) {
        await c.config('SET', 'stream-node-max-entries', '100');
        await c.config('SET', 'stream-node-max-bytes', '4096');
        await c.config('SET', 'rdbcompression', 'yes');
      }
    }
  });

  test('empty streams, IDs near 2^64 and huge counters survive the trip', async () => {
    for (const c of [ref, cli]) {
      await c.del('e', 'big');
      await c.call('XADD', 'e', '5-1', 'f', 'v');
      await c.call('XDEL', 'e', '5-1');
      await c.call('XGROUP', 'CREATE', 'e', 'g', '$');
      await c.call('XADD', 'big', '18446744073709551614-18446744073709551615', 'f', 'v');
      await c.call('XADD', 'big', '18446744073709551615-18446744073709551615', 'f', 'w');
      await c.call('XSETID', 'big', '18446744073709551615-18446744073709551615', 'ENTRIESADDED', '9223372036854775807', 'MAXDELETEDID', '18446744073709551615-0');
      await c.call('XGROUP', 'CREATE', 'big', 'g', '18446744073709551614-18446744073709551615', 'ENTRIESREAD', '9223372036854775000');
    }
    for (const key of ['e', 'big']) {
      const theirs = await ref.dumpBuffer(key);
      assert.equal((await cli.dumpBuffer(key)).toString('hex'), theirs.toString('hex'), key);
      await cli.restore(`${key}2`, 0, theirs);
      assert.equal(await streamState(cli, `${key}2`), await streamState(ref, key));
      assert.equal((await cli.dumpBuffer(`${key}2`)).toString('hex'), theirs.toString('hex'));
    }
  });

  test('damaged stream payloads are refused with Bad data format, as Redis does with sanitizing on', async () => {
    await ref.config('SET', 'sanitize-dump-payload', 'yes');
    await ref.config('SET', 'rdbcompression', 'no');
    try {
      await ref.del('d');
      await ref.call('XADD', 'd', '1-1', 'a', '1', 'b', '2');
      await ref.call('XADD', 'd', '1-2', 'a', '3', 'c', '4');
      const good = streamPayload({});
      assert.equal(good.toString('hex'), (await ref.dumpBuffer('d')).toString('hex'), 'the hand-made payload is Redis\'s');
      const pel = (ids: number[], consumers: [string, number[]][], name = 'g'): Buffer => {
        const w = new ByteWriter();
        writeString(w, name, { compress: false });
        writeLen(w, 1); writeLen(w, 2); writeLen(w, 2);
        writeLen(w, ids.length);
        for (const seq of ids) { w.bytes(rawStreamId(1, seq)); w.i64le(1700000000000n); writeLen(w, 1); }
        writeLen(w, consumers.length);
        for (const [cname, owned] of consumers) {
          writeString(w, cname, { compress: false });
          w.i64le(1700000000000n);
          writeLen(w, owned.length);
          for (const seq of owned) w.bytes(rawStreamId(1, seq));
        }
        return w.take();
      };
      const groupOk = streamPayload({ groups: [pel([1, 2], [['alice', [1]], ['bob', [2]]])] });
      assert.equal(await cli.restore('ok', 0, groupOk, 'REPLACE'), 'OK');
      assert.equal(await ref.restore('ok', 0, groupOk, 'REPLACE'), 'OK');
      assert.equal(await streamState(cli, 'ok'), await streamState(ref, 'ok'));
      const master = [2n, 0n, 2n, 'a', 'b', 0n];
      const e1 = [2n, 0n, 0n, '1', '2', 5n];
      const e2 = [0n, 0n, 1n, 2n, 'a', '3', 'c', '4', 8n];
      const cases: [string, Buffer, boolean][] = [
        ['entry count past the entries', streamPayload({ lp: [3n, ...master.slice(1), ...e1, ...e2] }), true],
        ['wrong lp-count', streamPayload({ lp: [...master, ...e1.slice(0, 5), 6n, ...e2] }), true],
        ['master terminator missing', streamPayload({ lp: [...master.slice(0, 5), 1n, ...e1, ...e2] }), true],
        ['entry not an integer flag', streamPayload({ lp: [...master, 'x', ...e1.slice(1), ...e2] }), true],
        ['empty listpack', streamPayload({ lp: [], length: 0 }), true],
        ['short node key', streamPayload({ key: rawStreamId(1, 1).subarray(0, 15) }), true],
        ['truncated', withFooter(good.subarray(0, good.length - 14)), true],
        ['PEL entry without consumer', streamPayload({ groups: [pel([1, 2], [['alice', [1]]])] }), true],
        ['consumer owns an entry not pending', streamPayload({ groups: [pel([1], [['alice', [1, 2]]])] }), true],
        ['duplicate PEL entry', streamPayload({ groups: [pel([1, 1], [['alice', [1]]])] }), true],
        ['duplicate consumer group', streamPayload({ groups: [pel([], []), pel([], [])] }), true],
        ['duplicate consumer', streamPayload({ groups: [pel([], [['x', []], ['x', []]])] }), true],
        // Checks Redis skips but a consistent stream needs.
        ['length disagrees with the entries', streamPayload({ length: 3 }), false],
        ['entries out of order', streamPayload({ lp: [...master, ...e1.slice(0, 2), 5n, ...e1.slice(3), ...e2] }), false],
        ['last ID before the entries', streamPayload({ last: [1, 1] }), false],
      ];
      for (const [what, p, redisRejects] of cases) {
        const theirs = await ref.restore('bad', 0, p, 'REPLACE').then(() => 'OK', errorMessage);
        const ours = await cli.restore('bad', 0, p, 'REPLACE').then(() => 'OK', errorMessage);
        assert.equal(ours, 'ERR Bad data format', what);
        if (redisRejects) assert.equal(theirs, ours, what);
      }
    } finally {
      await ref.config('SET', 'sanitize-dump-payload', 'no');
      await ref.config('SET', 'rdbcompression', 'yes');
    }
  });
});

function rawStreamId(ms: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(ms), 0);
  b.writeBigUInt64BE(BigInt(seq), 8);
  return b;
}

interface StreamParts {
  readonly key?: Buffer;
  readonly lp?: readonly (string | bigint)[];
  readonly length?: number;
  readonly last?: readonly [number, number];
  readonly groups?: readonly Buffer[];
}

/**
 * A DUMP payload of one-node stream written field by field; by default the stream
 * XADD 1-1 a 1 b 2, XADD 1-2 a 3 c 4 (uncompressed).
 */
function streamPayload(o: StreamParts): Buffer {
  const w = new ByteWriter();
  const plain = { compress: false };
  w.u8(19);
  writeLen(w, 1);
  writeString(w, o.key ?? rawStreamId(1, 1), plain);
  const lp = new ListpackBuilder();
  for (const x of o.lp ?? [2n, 0n, 2n, 'a', 'b', 0n, 2n, 0n, 0n, '1', '2', 5n, 0n, 0n, 1n, 2n, 'a', '3', 'c', '4', 8n]) {
    if (typeof x === 'bigint') lp.appendInteger(x);
    else lp.append(x);
  }
  writeString(w, lp.finish(), plain);
  writeLen(w, o.length ?? 2);
  for (const n of [...(o.last ?? [1, 2]), 1, 1, 0, 0, 2]) writeLen(w, n);
  writeLen(w, o.groups?.length ?? 0);
  for (const g of o.groups ?? []) w.bytes(g);
  return withFooter(w.take());
}

/** A payload from a type byte and value body: RDB version 10 and the CRC64. */
function withFooter(body: Buffer): Buffer {
  const versioned = Buffer.concat([body, Buffer.from([10, 0])]);
  return Buffer.concat([versioned, crc64Bytes(crc64(versioned))]);
}
