// HyperLogLogs beyond the corpus: thousands of random elements added to redis-server and Redoubt
// with the raw bytes of GET compared after every batch (sparse, the promotion, dense), HLLs
// carried between the two servers with GET/SET both ways, PFMERGE results, and the estimate's
// accuracy at 100k elements.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';
import { murmurHash64A } from '../src/store/hyperloglog.js';

const { redis, redoubt, redisRaw: ref, redoubtRaw: our } = useServerPair({ raw: true });

/** Runs the same commands on both servers; every reply must be byte-identical. */
async function both(cmds: readonly string[][], what: string): Promise<string[]> {
  const [a, b] = await Promise.all([ref.pipeline(cmds), our.pipeline(cmds)]);
  for (let i = 0; i < cmds.length; i++) assert.equal(b[i], a[i], `${what}: ${cmds[i]!.slice(0, 3).join(' ')}`);
  return b;
}

/** A deterministic stream of random byte strings of 0..24 bytes. */
function randomElements(seed: number, n: number): string[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = next() % 25;
    let e = '';
    for (let j = 0; j < len; j++) e += String.fromCharCode(next() >>> 24);
    out.push(e);
  }
  return out;
}

describe('PFADD compared byte for byte with redis-server', () => {
  test('sparse, promotion and dense: GET after every batch, PFCOUNT and the cached header', async () => {
    await both([['FLUSHALL']], 'flush');
    const elements = randomElements(42, 20000);
    for (let i = 0, batch = 1; i < elements.length; i += batch, batch = Math.min(batch * 2, 500)) {
      await both([['PFADD', 'h', ...elements.slice(i, i + batch)], ['GET', 'h']], `batch at ${i}`);
      await both([['PFCOUNT', 'h'], ['GET', 'h'], ['PFDEBUG', 'ENCODING', 'h']], `count at ${i}`);
    }
    const [enc] = await both([['PFDEBUG', 'ENCODING', 'h']], 'final');
    assert.equal(enc, '+dense\r\n');
  });

  test('many small HLLs, one element at a time (every sparse opcode split and merge)', async () => {
    await both([['FLUSHALL']], 'flush');
    for (let k = 0; k < 20; k++) {
      const cmds: string[][] = [];
      for (const e of randomElements(1000 + k, 150 + k * 40)) cmds.push(['PFADD', `s${k}`, e]);
      cmds.push(['GET', `s${k}`], ['PFCOUNT', `s${k}`], ['GET', `s${k}`]);
      await both(cmds, `key s${k}`);
    }
  });

  test('hll-sparse-max-bytes decides the promotion', async () => {
    await both([['FLUSHALL'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '200']], 'config');
    try {
      const cmds: string[][] = [];
      for (const e of randomElements(7, 400)) cmds.push(['PFADD', 'p', e], ['STRLEN', 'p']);
      cmds.push(['GET', 'p']);
      await both(cmds, 'small limit');
    } finally {
      await both([['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']], 'config');
    }
  });

  test('PFMERGE of sparse and dense HLLs, and the multi-key PFCOUNT', async () => {
    await both([['FLUSHALL']], 'flush');
    const add = (k: string, seed: number, n: number): string[][] => {
      const out: string[][] = [];
      const els = randomElements(seed, n);
      for (let i = 0; i < els.length; i += 200) out.push(['PFADD', k, ...els.slice(i, i + 200)]);
      return out;
    };
    await both([...add('a', 1, 300), ...add('b', 2, 900), ...add('c', 3, 15000)], 'fill');
    await both(
      [
        ['PFMERGE', 'ab', 'a', 'b'], ['GET', 'ab'], ['PFCOUNT', 'ab'],
        ['PFMERGE', 'abc', 'a', 'b', 'c'], ['GET', 'abc'], ['PFCOUNT', 'abc'],
        ['PFMERGE', 'a', 'c'], ['GET', 'a'],
        ['PFCOUNT', 'b', 'c'], ['PFCOUNT', 'ab', 'abc', 'missing'],
        ['PFMERGE', 'b'], ['GET', 'b'],
      ],
      'merge',
    );
  });
});

describe('HLLs carried between redis-server and Redoubt', () => {
  const carry = async (from: Redis, to: Redis, k: string): Promise<void> => {
    const v = await from.getBuffer(k);
    assert.ok(v !== null);
    await to.set(k, v);
  };

  test('GET on Redis, SET on Redoubt (and back): both keep counting identically', async () => {
    const r = new Redis({ port: redis.port, lazyConnect: true });
    const o = new Redis({ port: redoubt.port, lazyConnect: true });
    await Promise.all([r.connect(), o.connect()]);
    try {
      await Promise.all([r.flushall(), o.flushall()]);
      for (const [k, n] of [['small', 500], ['big', 12000]] as const) {
        const els = randomElements(n, n);
        for (let i = 0; i < els.length; i += 500) await r.pfadd(k, ...els.slice(i, i + 500));
        await carry(r, o, k);
        assert.equal(await o.pfcount(k), await r.pfcount(k));
        const more = randomElements(n + 1, 300);
        await Promise.all([r.pfadd(k, ...more), o.pfadd(k, ...more)]);
        assert.deepEqual(await o.getBuffer(k), await r.getBuffer(k), `${k} after adding on both`);

        // And the other way: built on Redoubt, read on Redis.
        const k2 = `${k}:ours`;
        for (let i = 0; i < els.length; i += 500) await o.pfadd(k2, ...els.slice(i, i + 500));
        await carry(o, r, k2);
        assert.equal(await r.pfcount(k2), await o.pfcount(k2));
        assert.deepEqual(await r.getBuffer(k2), await o.getBuffer(k2));
        await Promise.all([r.pfmerge('m', k, k2), o.pfmerge('m', k, k2)]);
        assert.deepEqual(await o.getBuffer('m'), await r.getBuffer('m'));
      }
    } finally {
      r.disconnect();
      o.disconnect();
    }
  });
});

describe('estimates', () => {
  test('PFCOUNT is within 2% at 100k distinct elements, and equal to Redis', async () => {
    const o = new Redis({ port: redoubt.port });
    const r = new Redis({ port: redis.port });
    try {
      await Promise.all([o.del('acc'), r.del('acc')]);
      for (let i = 0; i < 100000; i += 1000) {
        const batch = Array.from({ length: 1000 }, (_, j) => `element:${i + j}`);
        await Promise.all([o.pfadd('acc', ...batch), r.pfadd('acc', ...batch)]);
      }
      const ours = await o.pfcount('acc');
      assert.ok(Math.abs(ours - 100000) / 100000 < 0.02, `estimate ${ours}`);
      assert.equal(ours, await r.pfcount('acc'));
    } finally {
      o.disconnect();
      r.disconnect();
    }
  });

  test('MurmurHash64A of the empty string and of an 8-byte block, against a BigInt reference', () => {
    const m = 0xc6a4a7935bd1e995n;
    const mask = (1n << 64n) - 1n;
    const reference = (s: string): bigint => {
      let h = (0xadc83b19n ^ ((BigInt(s.length) * m) & mask)) & mask;
      const blocks = s.length - (s.length & 7);
      for (let i = 0; i < blocks; i += 8) {
        let k = 0n;
        for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(s.charCodeAt(i + j));
        k = (k * m) & mask;
        k ^= k >> 47n;
        k = (k * m) & mask;
        h ^= k;
        h = (h * m) & mask;
      }
      if ((s.length & 7) !== 0) {
        for (let j = (s.length & 7) - 1; j >= 0; j--) h ^= BigInt(s.charCodeAt(blocks + j)) << BigInt(8 * j);
        h = (h * m) & mask;
      }
      h ^= h >> 47n;
      h = (h * m) & mask;
      h ^= h >> 47n;
      return h;
    };
    for (const s of ['', 'a', 'abcdefgh', 'abcdefghi', '\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7', ...randomElements(9, 500)]) {
      assert.equal(murmurHash64A(s), reference(s), JSON.stringify(s));
    }
  });
});
