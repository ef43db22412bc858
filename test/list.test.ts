// The list family beyond what the byte-for-byte corpus can hold: a work queue shared by several
// real clients, binary elements through ioredis and node-redis, LPOS over large lists and random
// command sequences compared with redis-server, plus the deque operations the list relies on.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { Deque } from '../src/store/deque.js';
import { ListValue } from '../src/store/list.js';

const { redis, redoubt, redoubtClient: cli } = useServerPair({ redoubtClient: {} });

/** Sends `cmds` pipelined after FLUSHALL and returns each reply as a latin1 string. */
async function run(c: RawClient, cmds: readonly (readonly string[])[]): Promise<string[]> {
  c.write(Buffer.concat([RawClient.encode(['FLUSHALL']), ...cmds.map((a) => RawClient.encode(a))]));
  const replies: string[] = [];
  for (let i = 0; i <= cmds.length; i++) {
    const r = await c.read(20000);
    if (r === null) throw new Error('connection closed');
    replies.push(r.toString('latin1'));
  }
  return replies.slice(1);
}

describe('a work queue shared by several clients', () => {
  test('RPUSH producers and LPOP consumers deliver every item exactly once, in order per producer', async () => {
    const PRODUCERS = 4;
    const ITEMS = 2500;
    const producers: Redis[] = [];
    for (let i = 0; i < PRODUCERS; i++) producers.push(new Redis({ port: redoubt.port }));
    const nodeConsumers = await Promise.all(
      [2, 3].map(async (RESP) => {
        const c = createClient({ RESP: RESP as 2 | 3, socket: { port: redoubt.port, host: '127.0.0.1' } });
        c.on('error', () => {});
        await c.connect();
        return c;
      }),
    );
    const ioConsumers = [new Redis({ port: redoubt.port }), new Redis({ port: redoubt.port })];
    try {
      await cli.del('queue');
      let producing = PRODUCERS;
      const produce = async (p: Redis, id: number): Promise<void> => {
        for (let n = 0; n < ITEMS; ) {
          const batch: string[] = [];
          for (let k = 0; k < 1 + (n % 5) && n < ITEMS; k++) batch.push(`p${id}:${n++}`);
          await p.rpush('queue', ...batch);
          if (n % 100 === 0) await new Promise((r) => setImmediate(r));
        }
        producing--;
      };
      const seen: string[][] = [];
      const consume = async (pop: () => Promise<string[]>): Promise<void> => {
        const mine: string[] = [];
        seen.push(mine);
        for (;;) {
          const got = await pop();
          if (got.length === 0) {
            if (producing === 0 && (await cli.llen('queue')) === 0) return;
            await new Promise((r) => setTimeout(r, 1));
            continue;
          }
          mine.push(...got);
        }
      };
      await Promise.all([
        ...producers.map((p, i) => produce(p, i)),
        consume(async () => {
          const v = await ioConsumers[0]!.lpop('queue');
          return v === null ? [] : [v];
        }),
        consume(async () => (await ioConsumers[1]!.lpop('queue', 7)) ?? []),
        consume(async () => {
          const v = await nodeConsumers[0]!.lPop('queue');
          return v === null ? [] : [v];
        }),
        consume(async () => ((await nodeConsumers[1]!.lPopCount('queue', 3)) ?? []).map(String)),
      ]);
      const all = seen.flat();
      assert.equal(all.length, PRODUCERS * ITEMS, 'no item lost or duplicated');
      assert.equal(new Set(all).size, all.length, 'every item delivered once');
      for (const mine of seen) {
        const last = new Map<string, number>();
        for (const item of mine) {
          const [p, n] = item.split(':') as [string, string];
          assert.ok((last.get(p) ?? -1) < Number(n), `FIFO order of ${p} seen by one consumer`);
          last.set(p, Number(n));
        }
      }
      assert.equal(await cli.exists('queue'), 0, 'the drained queue is gone');
    } finally {
      for (const p of producers) p.disconnect();
      for (const c of ioConsumers) c.disconnect();
      await Promise.all(nodeConsumers.map((c) => c.close()));
    }
  });

  test('LMOVE hands items from a queue to a processing list without loss (reliable queue pattern)', async () => {
    await cli.del('jobs', 'work');
    const N = 3000;
    for (let i = 0; i < N; i += 500) await cli.rpush('jobs', ...Array.from({ length: 500 }, (_, k) => `job${i + k}`));
    const workers = [0, 1, 2].map(() => new Redis({ port: redoubt.port }));
    try {
      const taken: string[] = [];
      await Promise.all(
        workers.map(async (w) => {
          for (;;) {
            // ioredis types LMOVE's reply as a string; an empty source replies nil.
            const job = (await w.lmove('jobs', 'work', 'LEFT', 'RIGHT')) as string | null;
            if (job === null) return;
            taken.push(job);
          }
        }),
      );
      assert.equal(taken.length, N);
      assert.equal(new Set(taken).size, N);
      assert.equal(await cli.llen('work'), N);
      assert.equal(await cli.exists('jobs'), 0);
      // Each LMOVE takes the head and appends it, so whatever the interleaving, order is kept.
      assert.deepEqual(await cli.lrange('work', 0, -1), Array.from({ length: N }, (_, i) => `job${i}`));
    } finally {
      for (const w of workers) w.disconnect();
    }
  });
});

describe('binary elements', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const elements = [all, Buffer.from([0]), Buffer.alloc(0), Buffer.from('\r\n*1\r\n'), Buffer.from([0xc3, 0x28]), Buffer.alloc(100_000, 0xfe)];

  test('every byte survives push, range, index, set, insert, pos, rem and move (ioredis)', async () => {
    await cli.del('bin', 'bin2');
    assert.equal(await cli.rpush('bin', ...elements), elements.length);
    assert.deepEqual(await cli.lrangeBuffer('bin', 0, -1), elements);
    assert.deepEqual(await cli.lindexBuffer('bin', 0), all);
    assert.deepEqual(await cli.lindexBuffer('bin', -1), elements[5]);
    assert.equal(await cli.lpos('bin', Buffer.from([0xc3, 0x28])), 4);
    assert.equal(await cli.lpos('bin', Buffer.from([0xc3])), null);
    assert.equal(await cli.lpos('bin', Buffer.alloc(0)), 2);
    assert.equal(await cli.linsert('bin', 'AFTER', Buffer.from([0]), Buffer.from([0xff, 0xff])), elements.length + 1);
    assert.deepEqual(await cli.lindexBuffer('bin', 2), Buffer.from([0xff, 0xff]));
    assert.equal(await cli.lset('bin', 2, Buffer.from([0x80, 0x00])), 'OK');
    assert.equal(await cli.lrem('bin', 0, Buffer.from([0x80, 0x00])), 1);
    assert.deepEqual(await cli.lmoveBuffer('bin', 'bin2', 'LEFT', 'LEFT'), all);
    assert.deepEqual(await cli.lpopBuffer('bin2'), all);
    assert.deepEqual(await cli.rpopBuffer('bin', 2), [elements[5], elements[4]]);
    assert.deepEqual(await cli.lrangeBuffer('bin', 0, -1), elements.slice(1, 4));
  });

  test('binary elements and null shapes through node-redis in RESP2 and RESP3', async () => {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ RESP, socket: { port: redoubt.port, host: '127.0.0.1' } });
      c.on('error', () => {});
      await c.connect();
      try {
        const bin = c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        await c.del('nb');
        assert.equal(await bin.rPush('nb', elements), elements.length);
        assert.deepEqual(await bin.lRange('nb', 0, -1), elements);
        assert.deepEqual(await bin.lmPop(['none', 'nb'], 'RIGHT', { COUNT: 2 }), [Buffer.from('nb'), [elements[5], elements[4]]]);
        assert.deepEqual(await bin.lPos('nb', Buffer.from('\r\n*1\r\n')), 3);
        assert.deepEqual(await c.lPosCount('nb', Buffer.from([0]), 0), [1]);
        assert.equal(await c.lPop('missing'), null);
        assert.equal(await c.lPopCount('missing', 2), null);
        assert.equal(await c.lmPop(['missing'], 'LEFT'), null);
        assert.equal(await c.lIndex('nb', 100), null);
        assert.equal(await c.lPos('nb', 'zzz'), null);
      } finally {
        await c.close();
      }
    }
  });
});

describe('LPOS on large lists, compared with redis-server', () => {
  test('RANK, COUNT and MAXLEN over 200k elements', async () => {
    const clients = await Promise.all([RawClient.connect(redis.port), RawClient.connect(redoubt.port)]);
    try {
      const build: string[][] = [];
      for (let i = 0; i < 200_000; i += 1000) build.push(['RPUSH', 'big', ...Array.from({ length: 1000 }, (_, k) => `v${(i + k) % 997}`)]);
      build.push(['RPUSH', 'big', 'needle']);
      const queries: string[][] = [
        ['LPOS', 'big', 'needle'],
        ['LPOS', 'big', 'needle', 'RANK', '-1'],
        ['LPOS', 'big', 'needle', 'MAXLEN', '199999'],
        ['LPOS', 'big', 'needle', 'MAXLEN', '200001'],
        ['LPOS', 'big', 'v5'],
        ['LPOS', 'big', 'v5', 'RANK', '100'],
        ['LPOS', 'big', 'v5', 'RANK', '-100'],
        ['LPOS', 'big', 'v5', 'RANK', '201'],
        ['LPOS', 'big', 'v5', 'RANK', '-201'],
        ['LPOS', 'big', 'v5', 'COUNT', '0'],
        ['LPOS', 'big', 'v5', 'COUNT', '0', 'RANK', '-3'],
        ['LPOS', 'big', 'v5', 'COUNT', '10', 'RANK', '50'],
        ['LPOS', 'big', 'v996', 'COUNT', '0', 'MAXLEN', '5000'],
        ['LPOS', 'big', 'v996', 'COUNT', '0', 'RANK', '-1', 'MAXLEN', '5000'],
        ['LPOS', 'big', 'absent', 'COUNT', '0'],
        ['LPOS', 'big', 'absent'],
        ['LINDEX', 'big', '100000'],
        ['LRANGE', 'big', '150000', '150009'],
        ['LREM', 'big', '-3', 'v7'],
        ['LPOS', 'big', 'v7', 'RANK', '-1'],
        ['LINSERT', 'big', 'BEFORE', 'needle', 'pin'],
        ['LPOS', 'big', 'pin'],
        ['LTRIM', 'big', '100', '-100'],
        ['LLEN', 'big'],
        ['LPOS', 'big', 'v5', 'COUNT', '3', 'RANK', '-2'],
      ];
      for (const resp of [2, 3]) {
        for (const c of clients) await c.call('HELLO', String(resp));
        const [expected, actual] = await Promise.all(clients.map((c) => run(c, [...build, ...queries])));
        const skip = build.length;
        for (let i = 0; i < queries.length; i++) {
          assert.equal(actual![skip + i], expected![skip + i], `RESP${resp} ${queries[i]!.join(' ')}`);
        }
      }
    } finally {
      for (const c of clients) c.close();
    }
  });
});

// --- random sequences against redis-server ---

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 150);
const SEED = process.env['PROPERTY_SEED'] === 'random' ? Date.now() % 2 ** 31 : Number(process.env['PROPERTY_SEED'] ?? 20240612);

const lkey = fc.constantFrom('l0', 'l1', 'l2', 's');
const elem = fc.constantFrom('a', 'b', 'c', '', '1', '\x00\xff');
const elems = fc.array(elem, { minLength: 1, maxLength: 4 });
const index = fc.constantFrom('0', '1', '2', '-1', '-2', '-3', '5', '-10', '100', 'x');
const count = fc.constantFrom('0', '1', '2', '3', '-1', '10', 'x');
const end = fc.constantFrom('LEFT', 'RIGHT', 'left', 'UP');
const lposOpts = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('RANK'), fc.constantFrom('1', '2', '-1', '-2', '0', '3')),
    fc.tuple(fc.constant('COUNT'), fc.constantFrom('0', '1', '2', '-1')),
    fc.tuple(fc.constant('MAXLEN'), fc.constantFrom('0', '1', '3', '-1')),
  ),
  { maxLength: 3 },
);

const listCommand: fc.Arbitrary<string[]> = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), lkey, elems).map(([c, k, e]) => [c, k, ...e]), weight: 6 },
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), lkey).map(([c, k]) => [c, k]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), lkey, count).map(([c, k, n]) => [c, k, n]),
  lkey.map((k) => ['LLEN', k]),
  { arbitrary: fc.tuple(lkey, index, index).map(([k, a, b]) => ['LRANGE', k, a, b]), weight: 3 },
  fc.tuple(lkey, index).map(([k, i]) => ['LINDEX', k, i]),
  fc.tuple(lkey, index, elem).map(([k, i, e]) => ['LSET', k, i, e]),
  fc.tuple(lkey, fc.constantFrom('BEFORE', 'AFTER', 'after', 'NEAR'), elem, elem).map(([k, w, p, e]) => ['LINSERT', k, w, p, e]),
  fc.tuple(lkey, count, elem).map(([k, n, e]) => ['LREM', k, n, e]),
  fc.tuple(lkey, index, index).map(([k, a, b]) => ['LTRIM', k, a, b]),
  fc.tuple(lkey, elem, lposOpts).map(([k, e, o]) => ['LPOS', k, e, ...o.flat()]),
  fc.tuple(lkey, lkey, end, end).map(([a, b, f, t]) => ['LMOVE', a, b, f, t]),
  fc.tuple(lkey, lkey).map(([a, b]) => ['RPOPLPUSH', a, b]),
  fc
    .tuple(fc.array(lkey, { minLength: 1, maxLength: 3 }), end, fc.constantFrom<string[]>([], ['COUNT', '2'], ['COUNT', '5'], ['COUNT', '0']))
    .map(([ks, e, o]) => ['LMPOP', String(ks.length), ...ks, e, ...o]),
  fc.constantFrom<string[]>(['SET', 's', 'x'], ['DEL', 's'], ['SET', 'l2', 'str'], ['DEL', 'l0']),
  lkey.map((k) => ['EXISTS', k]),
);

for (const resp of [2, 3] as const) {
  describe(`random list sequences against redis-server, RESP${resp}`, () => {
    let clients: [RawClient, RawClient];
    before(async () => {
      clients = await Promise.all([RawClient.connect(redis.port), RawClient.connect(redoubt.port)]);
      for (const c of clients) await c.call('HELLO', String(resp));
    });
    after(() => clients.forEach((c) => c.close()));

    test(`${RUNS} runs of up to 40 commands (seed ${SEED})`, async () => {
      const property = fc.asyncProperty(fc.array(listCommand, { minLength: 1, maxLength: 40 }), async (cmds) => {
        const [expected, actual] = await Promise.all(clients.map((c) => run(c, cmds)));
        for (let i = 0; i < cmds.length; i++) {
          if (actual![i] !== expected![i]) {
            const history = cmds.slice(0, i + 1).map((a, j) => `  ${j === i ? '>' : ' '} ${JSON.stringify(a)} -> ${JSON.stringify(expected![j])}`);
            assert.fail(`reply ${i + 1} differs\n${history.join('\n')}\n  redis:   ${JSON.stringify(expected![i])}\n  redoubt: ${JSON.stringify(actual![i])}`);
          }
        }
      });
      const result = await fc.check(property, { seed: SEED, numRuns: RUNS });
      if (result.failed) {
        const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        assert.fail(`failed after ${result.numRuns} runs (seed ${result.seed}, path ${result.counterexamplePath ?? ''}):\n${cause}`);
      }
    });
  });
}

// --- the store underneath ---

describe('deque and list value', () => {
  test('removeIf agrees with an array filter over the given range, from either side', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 200 }), fc.nat(220), fc.nat(220), fc.integer({ min: 0, max: 3 }), fc.nat(30), (xs, a, b, drop, pre) => {
        const d = new Deque<number>(1);
        // Pushing some elements at the front first makes the ring wrap around.
        for (let i = 0; i < pre; i++) d.pushFront(-1);
        for (const x of xs) d.pushBack(x);
        for (let i = 0; i < pre; i++) d.popFront();
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const expected = xs.filter((x, i) => !(i >= lo && i <= hi && x === drop));
        const removed = d.removeIf(lo, hi, (x) => x === drop);
        assert.equal(removed, xs.length - expected.length);
        assert.deepEqual([...d], expected);
        for (let i = 0; i < expected.length; i++) assert.equal(d.at(i), expected[i]);
        d.pushBack(7);
        d.pushFront(8);
        assert.deepEqual([...d], [8, ...expected, 7]);
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  test('a deque popped back down from a large size keeps working and gives memory back', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 100_000; i++) d.pushBack(i);
    for (let i = 0; i < 99_990; i++) assert.equal(d.popFront(), i);
    assert.deepEqual([...d], Array.from({ length: 10 }, (_, i) => 99_990 + i));
    const buf = (d as unknown as { buf: unknown[] }).buf;
    assert.ok(buf.length <= 64, `capacity ${buf.length} after shrinking`);
    for (let i = 0; i < 1000; i++) d.pushFront(-i);
    assert.equal(d.length, 1010);
    assert.equal(d.at(0), -999);
    assert.equal(d.at(1009), 99_999);
  });

  test('ListValue.remove and trim agree with a plain array', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 60 }), fc.integer({ min: -5, max: 5 }), fc.integer({ min: -70, max: 70 }), fc.integer({ min: -70, max: 70 }), (xs, n, s, e) => {
        const l = ListValue.of(xs);
        const removed = l.remove('a', n);
        const expected = [...xs];
        let left = n === 0 ? Infinity : Math.abs(n);
        if (n >= 0) {
          for (let i = 0; i < expected.length && left > 0; i++) {
            if (expected[i] === 'a') {
              expected.splice(i--, 1);
              left--;
            }
          }
        } else {
          for (let i = expected.length - 1; i >= 0 && left > 0; i--) {
            if (expected[i] === 'a') {
              expected.splice(i, 1);
              left--;
            }
          }
        }
        assert.equal(removed, xs.length - expected.length);
        assert.deepEqual([...l], expected);
        const ranged = l.range(s, e);
        l.trim(s, e);
        assert.deepEqual([...l], ranged, 'LTRIM keeps what LRANGE shows');
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  test('copy is independent and the encoding is quicklist, as Redis 7.0 reports it', () => {
    const a = ListValue.of(['x', 'y']);
    const b = a.copy();
    b.push('z', 'right');
    a.set(0, 'q');
    assert.deepEqual([...a], ['q', 'y']);
    assert.deepEqual([...b], ['x', 'y', 'z']);
    assert.equal(a.encoding(), 'quicklist');
  });
});
