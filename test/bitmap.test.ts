// The bitmap family beyond the corpus: seeded random command streams (SETBIT, GETBIT, BITCOUNT,
// BITPOS, BITOP, BITFIELD, BITFIELD_RO with random widths, offsets, ranges and overflow modes)
// replayed on redis-server and Redoubt with byte-identical replies, plus a model check of
// bit counting on a larger bitmap and the real clients' bitmap helpers.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const { redis, redoubt } = useServerPair();

/** A seeded PRNG (mulberry32), so a failing stream can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random command generator over a few small keys, biased towards interesting edges. */
function generator(seed: number): () => string[] {
  const rnd = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = ['a', 'b', 'c', 'missing'];
  const index = (): string => String(rnd() < 0.3 ? -int(0, 40) : int(0, 40));
  const unit = (): string[] => (rnd() < 0.5 ? [] : [pick(['BIT', 'BYTE', 'bit', 'byte'])]);
  const bigValue = (): string => {
    const r = rnd();
    if (r < 0.1) return pick(['9223372036854775807', '-9223372036854775808', '0', '-1']);
    if (r < 0.5) return String(int(-300, 300));
    const mag = BigInt(int(0, 2 ** 31)) * BigInt(int(0, 2 ** 31)) * BigInt(int(1, 2));
    return String(rnd() < 0.5 ? -mag : mag);
  };
  const field = (): string[] => {
    const signed = rnd() < 0.5;
    const bits = signed ? int(1, 64) : int(1, 63);
    const offset = rnd() < 0.2 ? `#${int(0, 6)}` : String(int(0, 200));
    return [`${signed ? 'i' : 'u'}${bits}`, offset];
  };
  return () => {
    const k = pick(keys);
    switch (int(0, 9)) {
      case 0:
        return ['SETBIT', k, String(int(0, 300)), String(int(0, 1))];
      case 1:
        return ['GETBIT', k, String(int(0, 320))];
      case 2:
        return rnd() < 0.2 ? ['BITCOUNT', k] : ['BITCOUNT', k, index(), index(), ...unit()];
      case 3: {
        const args = ['BITPOS', k, String(int(0, 1))];
        const r = rnd();
        if (r < 0.25) return args;
        if (r < 0.5) return [...args, index()];
        return [...args, index(), index(), ...unit()];
      }
      case 4: {
        const op = pick(['AND', 'OR', 'XOR', 'NOT']);
        const srcs = op === 'NOT' ? [pick(keys)] : Array.from({ length: int(1, 3) }, () => pick(keys));
        return ['BITOP', op, pick(keys), ...srcs];
      }
      case 5:
        return ['SET', k, String.fromCharCode(...Array.from({ length: int(0, 12) }, () => int(0, 255)))];
      case 6:
      case 7:
      case 8: {
        const argv = [rnd() < 0.15 ? 'BITFIELD_RO' : 'BITFIELD', k];
        for (let n = int(1, 5); n > 0; n--) {
          const r = rnd();
          if (r < 0.2) argv.push('OVERFLOW', pick(['WRAP', 'SAT', 'FAIL']));
          if (r < 0.5) argv.push('GET', ...field());
          else if (r < 0.75) argv.push('SET', ...field(), bigValue());
          else argv.push('INCRBY', ...field(), bigValue());
        }
        return argv;
      }
      default:
        return ['GET', k];
    }
  };
}

async function replay(seed: number, steps: number): Promise<void> {
  const clients = await Promise.all([RawClient.connect(redis.port), RawClient.connect(redoubt.port)]);
  try {
    for (const cl of clients) await cl.call('FLUSHALL');
    const next = generator(seed);
    for (let i = 0; i < steps; i++) {
      const argv = next();
      const [expected, actual] = [await clients[0].call(...argv), await clients[1].call(...argv)];
      assert.equal(JSON.stringify(actual), JSON.stringify(expected), `seed ${seed} step ${i}: ${JSON.stringify(argv)}`);
    }
  } finally {
    for (const cl of clients) cl.close();
  }
}

describe('random command streams match redis-server byte for byte', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    test(`seed ${seed}`, () => replay(seed, 1500));
  }
});

describe('bit counting on a larger bitmap', () => {
  test('SETBIT at random positions, then BITCOUNT and BITPOS over many ranges agree with a model', async () => {
    const cli = new Redis({ port: redoubt.port, enableReadyCheck: false });
    try {
      await cli.del('big');
      const size = 64 * 1024;
      const model = new Uint8Array(size * 8);
      const rnd = prng(99);
      const pipe = cli.pipeline();
      for (let i = 0; i < 20000; i++) {
        const pos = Math.floor(rnd() * size * 8);
        const on = rnd() < 0.8 ? 1 : 0;
        model[pos] = on;
        pipe.setbit('big', pos, on);
      }
      await pipe.exec();
      await cli.setbit('big', size * 8 - 1, model[size * 8 - 1]!);
      const count = (from: number, to: number): number => {
        let n = 0;
        for (let i = from; i <= to; i++) n += model[i]!;
        return n;
      };
      const first = (bit: number, from: number, to: number): number => {
        for (let i = from; i <= to; i++) if (model[i] === bit) return i;
        return -1;
      };
      assert.equal(await cli.bitcount('big'), count(0, size * 8 - 1));
      for (let i = 0; i < 200; i++) {
        const a = Math.floor(rnd() * size * 8);
        const b = Math.min(size * 8 - 1, a + Math.floor(rnd() * 5000));
        assert.equal(await cli.call('BITCOUNT', 'big', a, b, 'BIT'), count(a, b), `BITCOUNT ${a} ${b} BIT`);
        assert.equal(await cli.call('BITPOS', 'big', 1, a, b, 'BIT'), first(1, a, b), `BITPOS 1 ${a} ${b} BIT`);
        assert.equal(await cli.call('BITPOS', 'big', 0, a, b, 'BIT'), first(0, a, b), `BITPOS 0 ${a} ${b} BIT`);
        const A = a >> 3;
        const B = b >> 3;
        assert.equal(await cli.bitcount('big', A, B), count(A * 8, B * 8 + 7), `BITCOUNT ${A} ${B}`);
      }
    } finally {
      cli.disconnect();
    }
  });
});

describe('client helpers', () => {
  test('ioredis setbit/getbit/bitop/bitfield', async () => {
    const cli = new Redis({ port: redoubt.port, enableReadyCheck: false });
    try {
      await cli.del('x', 'y', 'z');
      assert.equal(await cli.setbit('x', 3, 1), 0);
      assert.equal(await cli.setbit('x', 3, 1), 1);
      assert.equal(await cli.getbit('x', 3), 1);
      await cli.set('y', Buffer.from([0xf0]));
      assert.equal(await cli.bitop('XOR', 'z', 'x', 'y'), 1);
      assert.deepEqual(await cli.getBuffer('z'), Buffer.from([0xe0]));
      assert.deepEqual(await cli.call('BITFIELD', 'z', 'GET', 'u4', 0, 'OVERFLOW', 'FAIL', 'INCRBY', 'u4', 0, 2, 'INCRBY', 'u4', 4, -1), [14, null, null]);
    } finally {
      cli.disconnect();
    }
  });

  test('node-redis bitField and bitFieldRo', async () => {
    const c = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } });
    c.on('error', () => {});
    await c.connect();
    try {
      await c.del('nb');
      const out = await c.bitField('nb', [
        { operation: 'SET', encoding: 'i16', offset: '#1', value: -1234 },
        { operation: 'OVERFLOW', behavior: 'SAT' },
        { operation: 'INCRBY', encoding: 'u8', offset: 0, increment: 300 },
        { operation: 'GET', encoding: 'i16', offset: 16 },
      ]);
      assert.deepEqual(out, [0, 255, -1234]);
      assert.deepEqual(await c.bitFieldRo('nb', [{ encoding: 'u8', offset: 0 }]), [255]);
      assert.equal(await c.bitCount('nb'), 8 + 11);
      assert.equal(await c.bitPos('nb', 0), 8);
    } finally {
      await c.close();
    }
  });
});

describe('the dirty counter, as save points and propagation see it', () => {
  test('SETBIT and BITFIELD count a change only when a key is created, grows, or a value moves', async () => {
    const counts: Record<string, number[]> = {};
    for (const [name, server] of [['redis', redis], ['redoubt', redoubt]] as const) {
      const c = await RawClient.connect(server.port);
      try {
        const dirty = async (): Promise<number> => {
          const info = await c.call('INFO', 'persistence');
          const m = /rdb_changes_since_last_save:(\d+)/.exec(info);
          assert.ok(m?.[1] !== undefined, 'INFO persistence has rdb_changes_since_last_save');
          return Number(m[1]);
        };
        await c.call('DEL', 'bd1', 'bd2');
        const seen = [await dirty()];
        await c.call('SETBIT', 'bd1', '0', '0');
        await c.call('BITFIELD', 'bd2', 'SET', 'i5', '0', '0');
        seen.push(await dirty());
        await c.call('SETBIT', 'bd1', '0', '0');
        await c.call('BITFIELD', 'bd2', 'SET', 'i5', '0', '0');
        seen.push(await dirty());
        await c.call('BITFIELD', 'bd2', 'SET', 'i5', '0', '1', 'SET', 'i5', '0', '1', 'INCRBY', 'u4', '8', '0', 'SET', 'u8', '16', '3');
        seen.push(await dirty());
        await c.call('BITFIELD', 'bd2', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9');
        seen.push(await dirty());
        counts[name] = seen.map((n) => n - (seen[0] ?? 0));
      } finally {
        c.close();
      }
    }
    assert.deepEqual(counts['redoubt'], counts['redis']);
    // The string grows in the third step, so each of its four writes counts.
    assert.deepEqual(counts['redis'], [0, 2, 2, 6, 6]);
  });
});
