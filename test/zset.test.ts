// The sorted set family beyond the byte-for-byte corpus: a leaderboard fed by several real clients
// against a JS model, random command sequences replayed on redis-server and Redoubt (small sets,
// and sets forced through the listpack → skiplist conversion), ZRANDMEMBER's sampling properties,
// ZSCAN over large sets, and binary members through ioredis and node-redis.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { useServerPair, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { errorMessage } from './helpers/rejection.js';

const SEED = Number(process.env['PROPERTY_SEED'] ?? Date.now() % 1_000_000);
const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 150);

const { redis, redoubt, redoubtClient: cli } = useServerPair({ redoubtClient: {} });

/** A sorted set `k` of n members m0..m(n-1) scored 0..n-1. */
async function fill(c: Redis, k: string, n: number): Promise<void> {
  await c.del(k);
  for (let i = 0; i < n; i += 1000) {
    const args: (string | number)[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) args.push(j, `m${j}`);
    await c.zadd(k, ...args);
  }
}

describe('leaderboard', () => {
  test('ZINCRBY from four clients at once: ZREVRANGE top 10, ZREVRANK and ZSCORE agree with a JS model', async () => {
    const players = Array.from({ length: 60 }, (_, i) => `player:${i}`);
    const model = new Map<string, number>();
    const ioClients = [new Redis({ port: redoubt.port }), new Redis({ port: redoubt.port })];
    const nodeClients = [createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } }), createClient({ RESP: 3, socket: { port: redoubt.port, host: '127.0.0.1' } })];
    await Promise.all(nodeClients.map((c) => c.connect()));
    try {
      await cli.del('lb');
      // Halves are exact in binary, so the totals do not depend on the order the increments land in.
      const work = Array.from({ length: 4 }, () =>
        Array.from({ length: 600 }, () => {
          const p = players[Math.floor(Math.random() * players.length)]!;
          const by = Math.floor(Math.random() * 41 - 10) / 2;
          model.set(p, (model.get(p) ?? 0) + by);
          return [p, by] as const;
        }),
      );
      await Promise.all([
        ...ioClients.map((c, i) => Promise.all(work[i]!.map(([p, by]) => c.zincrby('lb', by, p)))),
        ...nodeClients.map((c, i) => Promise.all(work[i + 2]!.map(([p, by]) => c.zIncrBy('lb', by, p)))),
      ]);
      // Highest score first; ties in reverse member order, as ZREVRANGE walks the set backwards.
      const ranked = [...model].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
      const top = await cli.zrevrange('lb', 0, 9, 'WITHSCORES');
      const expected = ranked.slice(0, 10).flatMap(([p, s]) => [p, String(s)]);
      assert.deepEqual(top, expected);
      assert.equal(await cli.zcard('lb'), model.size);
      for (const [i, [p, s]] of ranked.entries()) {
        assert.equal(await cli.zrevrank('lb', p), i, `rank of ${p}`);
        assert.equal(Number(await cli.zscore('lb', p)), s);
      }
      // The RESP3 client sees each pair as [member, score] with a double score.
      const pairs = await nodeClients[1]!.zRangeWithScores('lb', 0, 2, { REV: true });
      assert.deepEqual(
        pairs.map((e) => [e.value, e.score]),
        ranked.slice(0, 3).map(([p, s]) => [p, s]),
      );
    } finally {
      ioClients.forEach((c) => c.disconnect());
      await Promise.all(nodeClients.map((c) => c.quit()));
    }
  });
});

// --- random sequences against redis-server ---

const LONG = 'L'.repeat(65);
const opt = <T>(a: fc.Arbitrary<T[]>): fc.Arbitrary<T[]> => fc.oneof(fc.constant([] as T[]), a);
const flag = (word: string): fc.Arbitrary<string[]> => fc.constantFrom<string[]>([], [word]);
const score = fc.constantFrom('0', '1', '-1', '2', '2.5', '-0.5', '0.1', '0.2', '3', 'inf', '-inf', '+inf', '1e2', '-0', 'abc');
const bound = fc.constantFrom('-inf', '+inf', '0', '1', '(1', '2.5', '(2.5', '(3', '3', 'inf', 'x', '');
const lexBound = fc.constantFrom('-', '+', '[a', '(b', '[c', '(d', '[e', '[', '(', 'x');
const index = fc.constantFrom('0', '1', '2', '-1', '-2', '5', '-10', 'x');
const count = fc.constantFrom('0', '1', '2', '3', '10', '-1', 'x');
const zaddFlags = fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR']);
const storeOptions = fc.tuple(
  opt(fc.constantFrom(['WEIGHTS', '1', '2'], ['WEIGHTS', '-1', '0.5'], ['WEIGHTS', 'inf', '0'])),
  opt(fc.constantFrom(['AGGREGATE', 'SUM'], ['AGGREGATE', 'MIN'], ['AGGREGATE', 'MAX'])),
);

/** Commands over keys z1, z2 (and a string key), for members drawn from `member`. */
function commands(member: fc.Arbitrary<string>, withLex: boolean, withScan: boolean): fc.Arbitrary<string[]> {
  const key = fc.constantFrom('z1', 'z1', 'z2', 'str');
  const pairs = fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 4 }).map((ps) => ps.flat());
  const rangeTail = fc.tuple(flag('REV'), opt(fc.tuple(count, count).map(([o, c]) => ['LIMIT', o, c])), flag('WITHSCORES'));
  const all: fc.Arbitrary<string[]>[] = [
    fc.tuple(key, zaddFlags, pairs).map(([k, f, p]) => ['ZADD', k, ...f, ...p]),
    fc.tuple(key, pairs).map(([k, p]) => ['ZADD', k, ...p]),
    fc.tuple(key, score, member).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
    fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['ZREM', k, ...ms]),
    key.map((k) => ['ZCARD', k]),
    fc.tuple(key, member).map(([k, m]) => ['ZSCORE', k, m]),
    fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['ZMSCORE', k, ...ms]),
    fc.tuple(key, member, fc.constantFrom('ZRANK', 'ZREVRANK')).map(([k, m, c]) => [c, k, m]),
    fc.tuple(key, bound, bound).map(([k, a, b]) => ['ZCOUNT', k, a, b]),
    fc.tuple(key, index, index, flag('REV'), flag('WITHSCORES')).map(([k, a, b, r, w]) => ['ZRANGE', k, a, b, ...r, ...w]),
    fc.tuple(key, bound, bound, rangeTail).map(([k, a, b, [r, l, w]]) => ['ZRANGE', k, a, b, 'BYSCORE', ...r, ...l, ...w]),
    fc.tuple(key, index, index, flag('WITHSCORES')).map(([k, a, b, w]) => ['ZREVRANGE', k, a, b, ...w]),
    fc.tuple(fc.constantFrom('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'), key, bound, bound, flag('WITHSCORES'), opt(fc.tuple(count, count).map(([o, c]) => ['LIMIT', o, c]))).map(
      ([c, k, a, b, w, l]) => [c, k, a, b, ...w, ...l],
    ),
    fc.tuple(key, key, index, index, flag('REV')).map(([d, k, a, b, r]) => ['ZRANGESTORE', d, k, a, b, ...r]),
    fc.tuple(key, key, bound, bound).map(([d, k, a, b]) => ['ZRANGESTORE', d, k, a, b, 'BYSCORE']),
    fc.tuple(key, index, index).map(([k, a, b]) => ['ZREMRANGEBYRANK', k, a, b]),
    fc.tuple(key, bound, bound).map(([k, a, b]) => ['ZREMRANGEBYSCORE', k, a, b]),
    fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, opt(count.map((c) => [c]))).map(([c, k, n]) => [c, k, ...n]),
    fc.tuple(fc.constantFrom('MIN', 'MAX'), opt(count.map((c) => ['COUNT', c]))).map(([w, n]) => ['ZMPOP', '2', 'z1', 'z2', w, ...n]),
    fc.tuple(fc.constantFrom('ZUNION', 'ZINTER'), storeOptions, flag('WITHSCORES')).map(([c, [w, a], s]) => [c, '2', 'z1', 'z2', ...w, ...a, ...s]),
    fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE'), key, storeOptions).map(([c, d, [w, a]]) => [c, d, '2', 'z1', 'z2', ...w, ...a]),
    fc.tuple(key, key, flag('WITHSCORES')).map(([a, b, w]) => ['ZDIFF', '2', a, b, ...w]),
    fc.tuple(key, key, key).map(([d, a, b]) => ['ZDIFFSTORE', d, '2', a, b]),
    opt(count.map((c) => ['LIMIT', c])).map((l) => ['ZINTERCARD', '2', 'z1', 'z2', ...l]),
    // A count at least the size returns the whole set in a fixed order.
    fc.tuple(key, flag('WITHSCORES')).map(([k, w]) => ['ZRANDMEMBER', k, '1000', ...w]),
    member.map((m) => ['SET', 'str', m]),
  ];
  if (withLex) {
    all.push(
      fc.tuple(key, lexBound, lexBound).map(([k, a, b]) => ['ZLEXCOUNT', k, a, b]),
      fc.tuple(key, lexBound, lexBound, rangeTail).map(([k, a, b, [r, l]]) => ['ZRANGE', k, a, b, 'BYLEX', ...r, ...l]),
      fc.tuple(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX'), key, lexBound, lexBound).map(([c, k, a, b]) => [c, k, a, b]),
      fc.tuple(key, lexBound, lexBound).map(([k, a, b]) => ['ZREMRANGEBYLEX', k, a, b]),
    );
  }
  if (withScan) all.push(key.map((k) => ['ZSCAN', k, '0']));
  // Adds weigh more, so that the sets have something in them to read.
  return fc.oneof({ arbitrary: all[0]!, weight: 6 }, { arbitrary: all[1]!, weight: 6 }, ...all.slice(2).map((arbitrary) => ({ arbitrary, weight: 1 })));
}

const show = (argv: readonly string[]): string => argv.map((a) => JSON.stringify(a)).join(' ');

/** Sends the whole sequence pipelined after a FLUSHALL and returns each reply as a latin1 string. */
async function run(c: RawClient, cmds: readonly string[][]): Promise<string[]> {
  c.write(Buffer.concat([RawClient.encode(['FLUSHALL']), ...cmds.map((a) => RawClient.encode(a))]));
  const replies: string[] = [];
  for (let i = 0; i <= cmds.length; i++) {
    const r = await c.read();
    if (r === null) throw new Error('connection closed');
    replies.push(r.toString('latin1'));
  }
  return replies.slice(1);
}

async function compareSequences(
  servers: () => [RunningServer, RunningServer],
  resp: 2 | 3,
  sequence: fc.Arbitrary<string[][]>,
): Promise<void> {
  const [a, b] = servers();
  const clients = await Promise.all([RawClient.connect(a.port), RawClient.connect(b.port)]);
  try {
    if (resp === 3) for (const c of clients) await c.call('HELLO', '3');
    const property = fc.asyncProperty(sequence, async (cmds) => {
      const [expected, actual] = await Promise.all(clients.map((c) => run(c, cmds)));
      for (let i = 0; i < cmds.length; i++) {
        if (actual![i] !== expected![i]) {
          const history = cmds.slice(0, i + 1).map((x, j) => `  ${j === i ? '>' : ' '} ${show(x)}  ->  ${JSON.stringify(expected![j])}`);
          assert.fail(`RESP${resp}: reply ${i + 1} differs\n${history.join('\n')}\n  redis:   ${JSON.stringify(expected![i])}\n  redoubt: ${JSON.stringify(actual![i])}`);
        }
      }
    });
    const result = await fc.check(property, { seed: SEED, numRuns: RUNS });
    if (result.failed) {
      const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
      assert.fail(`Property failed after ${result.numRuns} runs, shrunk ${result.numShrinks} times.\n${cause}\nReplay: PROPERTY_SEED=${result.seed}`);
    }
  } finally {
    clients.forEach((c) => c.close());
  }
}

describe('random sequences replayed on redis-server', () => {
  // Small sets stay listpacks, where even lex ranges over mixed scores and ZSCAN are deterministic.
  const small = commands(fc.constantFrom('a', 'b', 'c', 'd', 'e', '\x00', '\xff', ''), true, true);
  for (const resp of [2, 3] as const) {
    test(`small sets, RESP${resp} (seed ${SEED})`, () =>
      compareSequences(() => [redis, redoubt], resp, fc.array(small, { minLength: 10, maxLength: 80, size: 'max' })));
  }

  describe('sets converted to skiplists (zset-max-listpack-entries 3, long members)', () => {
    const { redis: redis3, redoubt: redoubt3 } = useServerPair({ args: ['--zset-max-listpack-entries', '3'] });
    // A skiplist's lex searches over mixed scores and its ZSCAN order are Redis-internal accidents.
    const big = commands(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', LONG), false, false);
    for (const resp of [2, 3] as const) {
      test(`converted sets, RESP${resp} (seed ${SEED})`, () =>
        compareSequences(() => [redis3, redoubt3], resp, fc.array(big, { minLength: 10, maxLength: 80, size: 'max' })));
    }
  });
});

// --- ZRANDMEMBER ---

describe('ZRANDMEMBER properties', () => {
  test('a positive count gives distinct members, at most the whole set', async () => {
    for (const n of [5, 40, 300]) {
      await fill(cli, 'r', n);
      for (const k of [1, 2, Math.floor(n / 4), Math.floor(n / 2) + 1, n - 1, n, n + 7]) {
        const got = await cli.zrandmember('r', k);
        assert.equal(got.length, Math.min(k, n), `count ${k} of ${n}`);
        assert.equal(new Set(got).size, got.length, 'distinct');
        for (const m of got) assert.match(m, /^m\d+$/);
      }
    }
  });

  test('a negative count gives exactly that many picks, repeats allowed, scores matching', async () => {
    await fill(cli, 'r', 3);
    const flat = await cli.zrandmember('r', -50, 'WITHSCORES');
    assert.equal(flat.length, 100);
    for (let i = 0; i < flat.length; i += 2) assert.equal(flat[i], `m${flat[i + 1]}`);
    assert.ok(new Set(flat.filter((_, i) => i % 2 === 0)).size < 50, 'repeats');
  });

  test('picks are spread over the whole set, small (listpack) and large (skiplist)', async () => {
    for (const n of [10, 200]) {
      await fill(cli, 'r', n);
      const hits = new Map<string, number>();
      const draws = n * 100;
      const got = await cli.zrandmember('r', -draws);
      for (const m of got) hits.set(m, (hits.get(m) ?? 0) + 1);
      assert.equal(hits.size, n, 'every member drawn');
      for (const [m, h] of hits) assert.ok(h > 40 && h < 170, `${m} drawn ${h} times out of an expected 100`);
      const single = new Set<string>();
      for (let i = 0; i < 400; i++) single.add((await cli.zrandmember('r')) as string);
      assert.ok(single.size > Math.min(n, 400) / 4, `single picks reach ${single.size} members`);
    }
  });

  test('small distinct samples of a listpack come in set order, larger ones shuffled, as redis-server does', async () => {
    const servers = [redoubt, redis];
    for (const s of servers) {
      const c = new Redis({ port: s.port });
      try {
        await fill(c, 'r', 30);
        let ordered = 0;
        let shuffled = 0;
        for (let i = 0; i < 30; i++) {
          const few = (await c.zrandmember('r', 5)).map((m) => Number(m.slice(1)));
          if (few.every((v, j) => j === 0 || few[j - 1]! < v)) ordered++;
          const many = (await c.zrandmember('r', 20)).map((m) => Number(m.slice(1)));
          if (!many.every((v, j) => j === 0 || many[j - 1]! < v)) shuffled++;
        }
        assert.equal(ordered, 30, `port ${s.port}: small samples in order`);
        assert.ok(shuffled > 25, `port ${s.port}: large samples shuffled (${shuffled}/30)`);
      } finally {
        c.disconnect();
      }
    }
  });

  test('RESP3 WITHSCORES nests [member, score] pairs with double scores', async () => {
    for (const s of [redoubt, redis]) {
      const c = await RawClient.connect(s.port);
      try {
        await c.call('HELLO', '3');
        await c.call('DEL', 'r3');
        await c.call('ZADD', 'r3', '1.5', 'x');
        assert.equal(await c.call('ZRANDMEMBER', 'r3', '-2', 'WITHSCORES'), '*2\r\n*2\r\n$1\r\nx\r\n,1.5\r\n*2\r\n$1\r\nx\r\n,1.5\r\n');
        assert.equal(await c.call('ZRANDMEMBER', 'r3', '5', 'WITHSCORES'), '*1\r\n*2\r\n$1\r\nx\r\n,1.5\r\n');
      } finally {
        c.close();
      }
    }
  });
});

// --- large sets ---

describe('large sets', () => {
  test('a full ZSCAN of a 5000-member set returns every member once with its score', async () => {
    await fill(cli, 'big', 5000);
    const seen = new Map<string, string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, flat] = await cli.zscan('big', cursor, 'COUNT', 97);
      for (let i = 0; i < flat.length; i += 2) {
        assert.ok(!seen.has(flat[i]!), `${flat[i]} returned twice`);
        seen.set(flat[i]!, flat[i + 1]!);
      }
      cursor = next;
      calls++;
    } while (cursor !== '0');
    assert.ok(calls > 10, 'a skiplist set is scanned in several calls');
    assert.equal(seen.size, 5000);
    for (const [m, s] of seen) assert.equal(m, `m${s}`);
    const [, matched] = await cli.zscan('big', '0', 'MATCH', 'm49?', 'COUNT', 10000);
    assert.equal(matched.length, 2 * 10);
  });

  test('rank, range and removal on a 20000-member set agree with redis-server', async () => {
    const rc = new Redis({ port: redis.port });
    try {
      const entries: (string | number)[] = [];
      for (let i = 0; i < 20000; i++) entries.push(Math.floor(Math.random() * 5000) / 4, `m${i}`);
      for (const c of [cli, rc]) {
        await c.del('big');
        for (let i = 0; i < entries.length; i += 2000) await c.zadd('big', ...entries.slice(i, i + 2000));
      }
      const probes: (string | number)[][] = [
        ['ZRANGE', 'big', 0, 20, 'WITHSCORES'],
        ['ZRANGE', 'big', 12345, 12400],
        ['ZRANGE', 'big', -30, -1, 'REV', 'WITHSCORES'],
        ['ZRANGE', 'big', 100, 200, 'BYSCORE', 'LIMIT', 37, 25, 'WITHSCORES'],
        ['ZRANGE', 'big', '(900', 300, 'BYSCORE', 'REV', 'LIMIT', 500, 10],
        ['ZCOUNT', 'big', '(10', 1000.5],
        ['ZRANK', 'big', 'm777'],
        ['ZREVRANK', 'big', 'm19999'],
        ['ZREMRANGEBYRANK', 'big', 1000, 1999],
        ['ZRANGE', 'big', 990, 1010],
        ['ZREMRANGEBYSCORE', 'big', 500, '(600'],
        ['ZCARD', 'big'],
        ['ZPOPMAX', 'big', 5],
        ['ZINTERSTORE', 'dst', 2, 'big', 'big', 'WEIGHTS', 1, 0.5],
        ['ZRANGE', 'dst', 5000, 5010, 'WITHSCORES'],
        ['ZRANGESTORE', 'dst2', 'big', 50, 60],
        ['ZRANGE', 'dst2', 0, -1, 'WITHSCORES'],
      ];
      for (const p of probes) {
        const [ours, theirs] = await Promise.all([cli.call(String(p[0]), ...p.slice(1)), rc.call(String(p[0]), ...p.slice(1))].map((x) => x.catch(errorMessage)));
        assert.deepEqual(ours, theirs, p.join(' '));
      }
    } finally {
      rc.disconnect();
    }
  });
});

// --- binary members ---

describe('binary safety', () => {
  test('members of any bytes through ioredis and node-redis (RESP2 and RESP3)', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const members = [all, Buffer.from([0]), Buffer.from([0xff, 0xfe]), Buffer.alloc(0), Buffer.from('\r\n')];
    await cli.del('bin');
    for (let i = 0; i < members.length; i++) await cli.zadd('bin', i, members[i]!);
    const got = (await cli.callBuffer('ZRANGE', 'bin', '0', '-1')) as Buffer[];
    assert.deepEqual(got, members);
    assert.equal(await cli.zscore('bin', all), '0');
    assert.equal(await cli.zrank('bin', Buffer.from('\r\n')), 4);
    for (const RESP of [2, 3] as const) {
      const c = createClient({ RESP, socket: { port: redoubt.port, host: '127.0.0.1' } });
      await c.connect();
      try {
        const withScores = await c.zRangeWithScores('bin', 1, 2);
        assert.deepEqual(withScores.map((e) => e.score), [1, 2]);
        assert.equal(await c.zScore('bin', '\r\n'), 4);
        assert.deepEqual(await c.zmScore('bin', ['\r\n', 'nope']), [4, null]);
      } finally {
        await c.quit();
      }
    }
  });
});
