// The set family beyond what the byte-for-byte corpus can hold: SPOP and SRANDMEMBER randomness
// (distinct picks, removal, a roughly uniform distribution), SSCAN's coverage of a large set that
// grows during the scan, set algebra on random sets against a JS model, intset order against the
// real server, and SetValue's encoding against Redis's OBJECT ENCODING for the same operations.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { SetValue } from '../src/store/set.js';

const { redis, redoubt, redoubtClient: cli, redisClient: ref } = useServerPair({ redoubtClient: {}, redisClient: {} });

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function sadd(c: Redis, key: string, members: readonly string[]): Promise<void> {
  for (let i = 0; i < members.length; i += 1000) await c.sadd(key, ...members.slice(i, i + 1000));
}

/** A deterministic pseudo-random sequence, so a failing model test can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pearson's chi-squared statistic of `counts` against a uniform expectation. */
function chiSquared(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe('SPOP', () => {
  test('with a count returns distinct members and removes exactly them', async () => {
    await cli.del('s');
    const all = range('m', 1000);
    await sadd(cli, 's', all);
    const popped = await cli.spop('s', 300);
    assert.equal(popped.length, 300);
    assert.equal(new Set(popped).size, 300);
    const members = new Set(all);
    for (const m of popped) assert.ok(members.has(m), `${m} was never a member`);
    assert.equal(await cli.scard('s'), 700);
    assert.deepEqual(await cli.smismember('s', ...popped), popped.map(() => 0));
    const rest = await cli.smembers('s');
    assert.deepEqual([...rest, ...popped].sort(), [...all].sort());
  });

  test('a count close to the size (the rebuild path) still removes what it returns', async () => {
    await cli.del('s');
    const all = range('', 200);
    await sadd(cli, 's', all);
    const popped = await cli.spop('s', 190);
    assert.equal(new Set(popped).size, 190);
    const rest = await cli.smembers('s');
    assert.equal(rest.length, 10);
    assert.deepEqual([...rest, ...popped].sort(), [...all].sort());
  });

  test('single pops drain the set, each member exactly once, then the key is gone', async () => {
    await cli.del('s');
    const all = range('x', 250);
    await sadd(cli, 's', all);
    const pipe = cli.pipeline();
    for (let i = 0; i < 251; i++) pipe.spop('s');
    const out = (await pipe.exec())!.map(([err, v]) => {
      assert.equal(err, null);
      return v as string | null;
    });
    assert.equal(out[250], null);
    assert.deepEqual(out.slice(0, 250).sort(), [...all].sort());
    assert.equal(await cli.exists('s'), 0);
  });

  test('a count at least the size returns the whole set and deletes the key', async () => {
    await cli.del('s');
    await sadd(cli, 's', range('y', 600));
    const popped = await cli.spop('s', 600);
    assert.equal(new Set(popped).size, 600);
    assert.equal(await cli.exists('s'), 0);
  });

  test('popping half of a large set costs time per member popped, not per member held', async () => {
    await cli.del('big');
    await sadd(cli, 'big', range('b', 200_000));
    const t0 = performance.now();
    const pipe = cli.pipeline();
    for (let i = 0; i < 2000; i++) pipe.spop('big');
    await pipe.exec();
    const popped = await cli.spop('big', 50_000);
    const ms = performance.now() - t0;
    assert.equal(popped.length, 50_000);
    assert.equal(await cli.scard('big'), 148_000);
    // A linear walk per pop would take minutes here; a second is generous.
    assert.ok(ms < 3000, `took ${ms} ms`);
    await cli.del('big');
  });
});

describe('SRANDMEMBER', () => {
  test('negative counts draw with repeats, uniformly over the members', async () => {
    for (const members of [range('', 10), range('m', 10)]) {
      await cli.del('s');
      await cli.sadd('s', ...members);
      const draws = await cli.srandmember('s', -40_000);
      assert.equal(draws.length, 40_000);
      const counts = members.map((m) => draws.filter((d) => d === m).length);
      // 9 degrees of freedom: 33.7 is the p = 0.0001 critical value.
      assert.ok(chiSquared(counts) < 33.7, `counts ${counts.join(',')}`);
      assert.equal(await cli.scard('s'), 10);
    }
  });

  test('positive counts return distinct members, each member equally likely', async () => {
    await cli.del('s');
    const members = range('', 20);
    await cli.sadd('s', ...members);
    const counts = new Map<string, number>(members.map((m) => [m, 0]));
    const pipe = cli.pipeline();
    // count 3 samples by rejection, count 15 by shuffling: both must be unbiased.
    for (let i = 0; i < 1500; i++) pipe.srandmember('s', i % 2 === 0 ? 3 : 15);
    for (const [err, v] of (await pipe.exec())!) {
      assert.equal(err, null);
      const picks = v as string[];
      assert.equal(new Set(picks).size, picks.length);
      for (const p of picks) counts.set(p, counts.get(p)! + 1);
    }
    // 19 degrees of freedom: 51.2 is the p = 0.0001 critical value.
    assert.ok(chiSquared([...counts.values()]) < 51.2, [...counts.values()].join(','));
    assert.equal(await cli.scard('s'), 20);
  });

  test('a count at least the size returns every member once', async () => {
    await cli.del('s');
    await sadd(cli, 's', range('z', 700));
    const all = await cli.srandmember('s', 10_000);
    assert.equal(all.length, 700);
    assert.equal(new Set(all).size, 700);
  });
});

describe('SSCAN', () => {
  test('a full scan of 5000 members returns every member present throughout, while members are added', async () => {
    await cli.del('s');
    const stable = range('stable:', 5000);
    await sadd(cli, 's', stable);
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    let added = 0;
    do {
      const [next, members] = await cli.sscan('s', cursor, 'COUNT', 50);
      for (const m of members) seen.add(m);
      cursor = next;
      calls++;
      // Grow the set between calls, and remove some members added earlier in the scan.
      await cli.sadd('s', ...range(`new${calls}:`, 20));
      added += 20;
      if (calls > 2) await cli.srem('s', `new${calls - 2}:0`, `new${calls - 2}:1`);
      assert.ok(calls < 10_000, 'the scan must terminate');
    } while (cursor !== '0');
    for (const m of stable) assert.ok(seen.has(m), `missing ${m}`);
    assert.ok(calls > 50, `a hashtable is scanned in steps (${calls} calls)`);
    assert.ok(added > 0);
  });

  test('MATCH filters, and an intset comes back whole in one call', async () => {
    await cli.del('ints', 'strs');
    await cli.sadd('ints', ...range('', 300).map((s) => String(Number(s) * 7)));
    const [cur, all] = await cli.sscan('ints', 0, 'COUNT', 1);
    assert.equal(cur, '0');
    assert.equal(all.length, 300);
    assert.deepEqual(all, [...all].sort((a, b) => Number(a) - Number(b)));
    await sadd(cli, 'strs', [...range('a:', 400), ...range('b:', 400)]);
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, members] = await cli.sscan('strs', cursor, 'MATCH', 'b:*', 'COUNT', 100);
      found.push(...members);
      cursor = next;
    } while (cursor !== '0');
    assert.deepEqual([...new Set(found)].sort(), range('b:', 400).sort());
  });

  test('node-redis sScanIterator walks a whole set', async () => {
    await cli.del('s');
    await sadd(cli, 's', range('n', 1234));
    const c = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } });
    c.on('error', () => {});
    await c.connect();
    try {
      const seen = new Set<string>();
      for await (const batch of c.sScanIterator('s', { COUNT: 100 })) {
        for (const m of Array.isArray(batch) ? batch : [batch]) seen.add(m);
      }
      assert.equal(seen.size, 1234);
      assert.equal(await c.sIsMember('s', 'n7'), 1);
      assert.deepEqual(await c.smIsMember('s', ['n1', 'nope']), [1, 0]);
      assert.equal(await c.sCard('s'), 1234);
    } finally {
      await c.quit();
    }
  });
});

describe('set algebra against a model', () => {
  type Model = Map<string, Set<string>>;

  function randomMembers(next: () => number, size: number, pool: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < size; i++) {
      const n = Math.floor(next() * pool);
      // Mostly integers (some negative), some strings, so both encodings take part.
      out.push(next() < 0.8 ? String(n - pool / 2) : `s${n}`);
    }
    return out;
  }

  const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
  const inter = (sets: Set<string>[]): Set<string> =>
    new Set([...sets[0]!].filter((m) => sets.every((s) => s.has(m))));
  const union = (sets: Set<string>[]): Set<string> => new Set(sets.flatMap((s) => [...s]));
  const diff = (sets: Set<string>[]): Set<string> =>
    new Set([...sets[0]!].filter((m) => !sets.slice(1).some((s) => s.has(m))));

  test('SINTER, SUNION, SDIFF, SINTERCARD and the STORE forms agree with the model', async () => {
    const next = rng(20240607);
    for (let round = 0; round < 40; round++) {
      await cli.flushall();
      const model: Model = new Map();
      const names = ['k0', 'k1', 'k2', 'k3'];
      for (const k of names) {
        if (next() < 0.1) continue; // a missing key is an empty set
        const members = randomMembers(next, 1 + Math.floor(next() * 60), 80);
        await cli.sadd(k, ...members);
        model.set(k, new Set(members));
      }
      const pick = names.filter(() => next() < 0.7);
      const keys = pick.length > 0 ? pick : ['k0'];
      const sets = keys.map((k) => model.get(k) ?? new Set<string>());
      const where = `round ${round} keys ${keys.join(' ')}`;
      assert.deepEqual(sorted(await cli.sinter(...keys)), sorted(inter(sets)), `SINTER ${where}`);
      assert.deepEqual(sorted(await cli.sunion(...keys)), sorted(union(sets)), `SUNION ${where}`);
      assert.deepEqual(sorted(await cli.sdiff(...keys)), sorted(diff(sets)), `SDIFF ${where}`);
      const card = inter(sets).size;
      assert.equal(await cli.call('SINTERCARD', keys.length, ...keys), card, `SINTERCARD ${where}`);
      assert.equal(await cli.call('SINTERCARD', keys.length, ...keys, 'LIMIT', 3), Math.min(card, 3));
      for (const [cmd, fn] of [['SINTERSTORE', inter], ['SUNIONSTORE', union], ['SDIFFSTORE', diff]] as const) {
        const expected = fn(sets);
        assert.equal(await cli.call(cmd, 'dst', ...keys), expected.size, `${cmd} ${where}`);
        assert.deepEqual(sorted(await cli.smembers('dst')), sorted(expected), `${cmd} ${where}`);
        assert.equal(await cli.exists('dst'), expected.size > 0 ? 1 : 0);
      }
    }
  });

  test('replies on integer sets are byte-identical to Redis, in intset order', async () => {
    const next = rng(7);
    const raw = await Promise.all([RawClient.connect(redoubt.port), RawClient.connect(redis.port)]);
    try {
      for (const c of raw) await c.call('FLUSHALL');
      for (const k of ['a', 'b', 'c']) {
        const members = Array.from({ length: 50 + Math.floor(next() * 120) }, () =>
          String(Math.floor((next() - 0.5) * 2 ** 40) * (next() < 0.1 ? 2 ** 12 : 1)),
        );
        for (const c of raw) await c.call('SADD', k, ...members);
      }
      const commands = [
        ['SMEMBERS', 'a'], ['SINTER', 'a', 'b'], ['SUNION', 'a', 'b', 'c'], ['SDIFF', 'a', 'b', 'c'],
        ['SUNIONSTORE', 'u', 'a', 'b'], ['SMEMBERS', 'u'], ['SSCAN', 'a', '0', 'COUNT', '5'],
        ['SRANDMEMBER', 'c', '100000'], ['SPOP', 'b', '100000'], ['SCARD', 'b'],
      ];
      for (const argv of commands) {
        const [ours, theirs] = await Promise.all(raw.map((c) => c.call(...argv)));
        assert.equal(ours, theirs, argv.join(' '));
      }
    } finally {
      for (const c of raw) c.close();
    }
  });
});

describe('random command sequences', () => {
  test('on integer sets, every reply is byte-identical to Redis in RESP2 and RESP3', async () => {
    const next = rng(4242);
    const int = (): string => String(Math.floor(next() * 40) - 10);
    const k = (): string => `k${Math.floor(next() * 4)}`;
    const some = (f: () => string): string[] => Array.from({ length: 1 + Math.floor(next() * 5) }, f);
    const gens: (() => string[])[] = [
      () => ['SADD', k(), ...some(int)],
      () => ['SREM', k(), ...some(int)],
      () => ['SMOVE', k(), k(), int()],
      () => ['SMEMBERS', k()],
      () => ['SCARD', k()],
      () => ['SISMEMBER', k(), int()],
      () => ['SMISMEMBER', k(), ...some(int)],
      () => ['SINTER', ...some(k)],
      () => ['SUNION', ...some(k)],
      () => ['SDIFF', ...some(k)],
      () => ['SINTERSTORE', k(), ...some(k)],
      () => ['SUNIONSTORE', k(), ...some(k)],
      () => ['SDIFFSTORE', k(), ...some(k)],
      () => {
        const keys = some(k);
        return ['SINTERCARD', String(keys.length), ...keys, 'LIMIT', String(Math.floor(next() * 4))];
      },
      () => ['SPOP', k(), String(40 + Math.floor(next() * 3))],
      () => ['SRANDMEMBER', k(), String(40 + Math.floor(next() * 3))],
      () => ['SSCAN', k(), '0', 'MATCH', `${Math.floor(next() * 10)}*`],
      () => ['EXISTS', k()],
    ];
    for (const resp of ['2', '3']) {
      const raw = await Promise.all([RawClient.connect(redoubt.port), RawClient.connect(redis.port)]);
      try {
        for (const c of raw) {
          await c.call('FLUSHALL');
          await c.call('HELLO', resp);
        }
        for (let i = 0; i < 1500; i++) {
          const argv = gens[Math.floor(next() * gens.length)]!();
          const [ours, theirs] = await Promise.all(raw.map((c) => c.call(...argv)));
          assert.equal(ours, theirs, `RESP${resp} step ${i}: ${argv.join(' ')}`);
        }
      } finally {
        for (const c of raw) c.close();
      }
    }
  });
});

describe('SetValue encoding', () => {
  test('follows Redis through adds, removes and the size limit, for several limits', async () => {
    const next = rng(99);
    for (const limit of [0, 1, 5, 64, 512]) {
      await ref.config('SET', 'set-max-intset-entries', String(limit));
      for (let round = 0; round < 10; round++) {
        await ref.del('s');
        let local: SetValue | undefined;
        for (let op = 0; op < 40; op++) {
          const member = next() < 0.95 ? String(Math.floor(next() * 100)) : `x${Math.floor(next() * 5)}`;
          if (next() < 0.75 || local === undefined) {
            await ref.sadd('s', member);
            local ??= SetValue.for(member);
            local.add(member, limit);
          } else {
            await ref.srem('s', member);
            local.remove(member);
            if (local.size === 0) local = undefined;
          }
          const expected = local === undefined ? null : local.encoding();
          assert.equal(await ref.object('ENCODING', 's'), expected, `limit ${limit} round ${round} op ${op}`);
          if (local !== undefined && local.encoding() === 'intset') {
            assert.deepEqual(local.members(), await ref.smembers('s'));
          }
        }
      }
    }
    await ref.config('SET', 'set-max-intset-entries', '512');
  });

  test('copy is deep and keeps the encoding', () => {
    const a = SetValue.for('1');
    for (const m of ['3', '1', '2']) a.add(m, 512);
    const b = a.copy();
    b.add('x', 512);
    b.remove('1');
    assert.equal(a.encoding(), 'intset');
    assert.equal(b.encoding(), 'hashtable');
    assert.deepEqual(a.members(), ['1', '2', '3']);
    assert.equal(b.size, 3);
    assert.equal(a.copy().encoding(), 'intset');
  });
});
