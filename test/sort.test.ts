// SORT and SORT_RO on random data against the real redis-server, reply for reply: lists, intsets,
// sorted sets and string sets, numeric and ALPHA, BY and GET patterns over strings and hash fields,
// LIMIT (which switches Redis to its partial quicksort, whose tie order must match) and STORE.
// Also the score parser (strtod's acceptance rules) on its own.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { sortScore } from '../src/commands/sort.js';

const { redis, redoubt } = useServerPair();

const NUMS = ['1', '2', '10', '-3', '3.5', '1e3', '0', '-0', '1.5', '007', ' 5', '42', '-17', '2.25', '100', 'inf', '-inf', '0x1A'];
const WORDS = ['', 'a', 'b', 'B', 'abc', 'x\x00y', 'x', '\xff', '\xe4', 'ab', 'a b', '9', '10'];
const BY = ['w_*', 'h_*->f', 'h_*->g', 'nosort', 'missing_*', 'w_*->f', '#'];
const GET = ['#', 'w_*', 'h_*->g', 'h_*->f', 'nostar', 'missing_*'];

type Kind = 'list' | 'intset' | 'zset' | 'set';

interface Scenario {
  readonly kind: Kind;
  readonly members: string[];
  readonly weights: (string | null)[];
  readonly fields: (string | null)[];
  readonly queries: string[][];
}

/**
 * Only what Redis answers deterministically: a set of strings or a sorted set iterates in hash
 * order, so those get no ALPHA-with-BY and no BY nosort (ties would keep that order).
 */
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    kind: fc.constantFrom<Kind>('list', 'list', 'intset', 'zset', 'set'),
    numeric: fc.boolean(),
    n: fc.integer({ min: 0, max: 45 }),
    seed: fc.array(fc.nat(1000), { minLength: 200, maxLength: 200 }),
    queries: fc.array(
      fc.record({
        ro: fc.boolean(),
        by: fc.option(fc.constantFrom(...BY), { nil: null }),
        limit: fc.option(fc.tuple(fc.integer({ min: -3, max: 50 }), fc.integer({ min: -3, max: 50 })), { nil: null }),
        gets: fc.array(fc.constantFrom(...GET), { maxLength: 3 }),
        order: fc.constantFrom('', 'asc', 'desc'),
        alpha: fc.boolean(),
        store: fc.boolean(),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ kind, numeric, n, seed, queries }) => {
    const pool = numeric ? NUMS : WORDS;
    let s = 0;
    const next = (): number => seed[s++ % seed.length]!;
    const members: string[] = [];
    for (let i = 0; i < n; i++) {
      if (kind === 'intset') members.push(String((next() % 200) - 100));
      else if (kind === 'zset') members.push(`${pool[next() % pool.length]}_${i}`);
      else members.push(pool[next() % pool.length]!);
    }
    const weight = (): string | null => (next() % 4 === 0 ? null : next() % 5 === 0 ? WORDS[next() % WORDS.length]! : NUMS[next() % NUMS.length]!);
    const weights = members.map(weight);
    const fields = members.map(weight);
    const ordered = kind === 'list' || kind === 'intset';
    const noNul = !members.some((m) => m.includes('\x00'));
    const qs = queries.map((q) => {
      let by = q.by;
      let alpha = q.alpha;
      if (!ordered && by !== null && (alpha || by === 'nosort' || by === '#')) by = null;
      if (!ordered && alpha && !noNul) alpha = false;
      const argv = [q.ro ? 'SORT_RO' : 'SORT', 'k'];
      if (by !== null) argv.push('BY', by);
      if (q.limit !== null) argv.push('LIMIT', String(q.limit[0]), String(q.limit[1]));
      for (const g of q.gets) argv.push('GET', g);
      if (q.order !== '') argv.push(q.order);
      if (alpha) argv.push('ALPHA');
      if (!q.ro && q.store) argv.push('STORE', 'dst');
      return argv;
    });
    return { kind, members, weights, fields, queries: qs };
  });

function setup(sc: Scenario): string[][] {
  const cmds: string[][] = [['FLUSHALL']];
  if (sc.members.length > 0) {
    if (sc.kind === 'list') cmds.push(['RPUSH', 'k', ...sc.members]);
    else if (sc.kind === 'zset') cmds.push(['ZADD', 'k', ...sc.members.flatMap((m, i) => [String(i % 4), m])]);
    else cmds.push(['SADD', 'k', ...sc.members]);
  }
  sc.members.forEach((m, i) => {
    const w = sc.weights[i];
    const f = sc.fields[i];
    if (w !== null && w !== undefined) cmds.push(['SET', `w_${m}`, w]);
    if (f !== null && f !== undefined) cmds.push(['HSET', `h_${m}`, 'f', f, 'g', sc.weights[(i + 1) % sc.members.length] ?? 'z']);
  });
  return cmds;
}

/** Each query's reply, and after a STORE the stored list, labelled with what was asked. */
async function run(c: RawClient, sc: Scenario): Promise<[string, string][]> {
  for (const cmd of setup(sc)) await c.call(...cmd);
  const out: [string, string][] = [];
  for (const q of sc.queries) {
    out.push([q.join(' '), await c.call(...q)]);
    if (q.includes('STORE')) out.push(['LRANGE dst 0 -1', await c.call('LRANGE', 'dst', '0', '-1')]);
  }
  return out;
}

for (const resp of [2, 3] as const) {
  describe(`random SORT queries against redis-server, RESP${resp}`, () => {
    let clients: [RawClient, RawClient];
    before(async () => {
      clients = await Promise.all([RawClient.connect(redis.port), RawClient.connect(redoubt.port)]);
      for (const c of clients) await c.call('HELLO', String(resp));
    });
    after(() => clients.forEach((c) => c.close()));

    test('150 random data sets with up to 8 queries each', async () => {
      const property = fc.asyncProperty(scenario, async (sc) => {
        const expected = await run(clients[0], sc);
        const actual = await run(clients[1], sc);
        for (let i = 0; i < expected.length; i++) {
          const [asked, want] = expected[i]!;
          assert.equal(actual[i]![1], want, `${sc.kind} ${JSON.stringify(sc.members)}\n  ${asked}`);
        }
      });
      await fc.assert(property, { numRuns: 150, seed: 20240611 });
    });
  });
}

describe('sort scores: the strtod rules', () => {
  test('accepted forms', () => {
    const cases: [string, number][] = [
      ['1', 1], [' 7', 7], ['\t\n\v\f\r 3', 3], ['+4', 4], ['-0', -0], ['', 0], ['1.', 1], ['.5', 0.5],
      ['1e3', 1000], ['1E-2', 0.01], ['0x10', 16], ['0X1P+2', 4], ['0x.8', 0.5], ['inf', Infinity],
      ['-Infinity', -Infinity], ['12\x00abc', 12], ['\x00', 0], ['2.2250738585072014e-308', 2.2250738585072014e-308],
      ['0e-500', 0], ['1.7976931348623157e308', 1.7976931348623157e308],
    ];
    for (const [s, v] of cases) assert.ok(Object.is(sortScore(s), v), `${JSON.stringify(s)} → ${sortScore(s)}, want ${v}`);
  });

  test('refused forms: trailing bytes, no digits, NaN, overflow, underflow', () => {
    for (const s of ['abc', '1 ', ' ', '1e', '1e+', '.', '0x', '-0x', 'infinit', 'nan', 'NaN(1)', '1_0', '1,5', '1e400', '-1e400',
      '1e-400', '1e-310', '4.9e-324', '2.2250738585072011e-308', '0x1p1024', '0x1p-1030']) {
      assert.equal(sortScore(s), null, JSON.stringify(s));
    }
  });
});
