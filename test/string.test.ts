// The string family through real clients and beyond what the byte-for-byte corpus can hold:
// binary safety over every byte value, large values, concurrent pipelined counters, expiry as it
// passes, INCRBYFLOAT's long-double results and size limits against redis-server, and the
// command table rows against the real server's COMMAND INFO.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startRedis, startRedoubt, useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { stringCommands } from '../src/commands/string.js';
import { bitmapCommands } from '../src/commands/bitmap.js';
import type { CommandSpec, KeySpec } from '../src/commands/spec.js';
import { errorMessage } from './helpers/rejection.js';

const clientOptions = { enableReadyCheck: false, maxRetriesPerRequest: 1 };
const { redis, redoubt, redoubtClient: cli } = useServerPair({ redoubtClient: clientOptions });

const connect = (port: number): Redis => new Redis({ port, ...clientOptions });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A seeded PRNG (mulberry32), so a failing sequence can be replayed. */
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

describe('binary safety', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  test('every byte value survives SET/GET as value and as key', async () => {
    await cli.set(all, all);
    assert.deepEqual(await cli.getBuffer(all), all);
    assert.equal(await cli.strlen(all), 256);
    const reversed = Buffer.from(all).reverse();
    await cli.set('bin', reversed);
    assert.deepEqual(await cli.getBuffer('bin'), reversed);
  });

  test('APPEND, GETRANGE, SETRANGE and MGET keep bytes intact', async () => {
    await cli.del('b1');
    for (let i = 0; i < 256; i += 16) await cli.append('b1', all.subarray(i, i + 16));
    assert.deepEqual(await cli.getBuffer('b1'), all);
    assert.deepEqual(await cli.getrangeBuffer('b1', 250, -1), all.subarray(250));
    assert.deepEqual(await cli.getrangeBuffer('b1', -256, 3), all.subarray(0, 4));
    assert.equal(await cli.setrange('b1', 254, Buffer.from([0xca, 0xfe, 0x00, 0xff])), 258);
    const expected = Buffer.concat([all.subarray(0, 254), Buffer.from([0xca, 0xfe, 0x00, 0xff])]);
    assert.deepEqual(await cli.getBuffer('b1'), expected);
    await cli.mset(Buffer.from([0xff, 0x00]), Buffer.from([0x00]), 'plain', all);
    const got = await cli.mgetBuffer(Buffer.from([0xff, 0x00]), 'plain', 'nope');
    assert.deepEqual(got, [Buffer.from([0x00]), all, null]);
  });

  test('SETRANGE past the end pads with zero bytes', async () => {
    await cli.del('pad');
    assert.equal(await cli.setrange('pad', 5, 'x'), 6);
    assert.deepEqual(await cli.getBuffer('pad'), Buffer.from([0, 0, 0, 0, 0, 0x78]));
  });
});

describe('large values', () => {
  test('1 MB and 8 MB random values round-trip exactly', async () => {
    for (const size of [1 << 20, 8 << 20]) {
      const value = randomBytes(size);
      await cli.set('large', value);
      assert.equal(await cli.strlen('large'), size);
      const back = await cli.getBuffer('large');
      assert.ok(back !== null && back.equals(value), `${size} bytes differ`);
      const mid = await cli.getrangeBuffer('large', size / 2, size / 2 + 99);
      assert.ok(mid.equals(value.subarray(size / 2, size / 2 + 100)));
    }
  });

  test('APPEND builds a 4 MB value in pieces', async () => {
    await cli.del('grow');
    const piece = randomBytes(64 * 1024);
    const pipe = cli.pipeline();
    for (let i = 0; i < 64; i++) pipe.append('grow', piece);
    const replies = await pipe.exec();
    assert.deepEqual(replies!.map(([, n]) => n), Array.from({ length: 64 }, (_, i) => (i + 1) * piece.length));
    const back = await cli.getBuffer('grow');
    assert.ok(back !== null && back.equals(Buffer.concat(Array.from({ length: 64 }, () => piece))));
  });
});

describe('counters', () => {
  test('pipelined INCR from several clients sums exactly, each client sees increasing values', async () => {
    await cli.del('counter');
    const clients = Array.from({ length: 8 }, () => connect(redoubt.port));
    try {
      const perClient = 2000;
      const results = await Promise.all(
        clients.map(async (c) => {
          const pipe = c.pipeline();
          for (let i = 0; i < perClient; i++) pipe.incr('counter');
          return (await pipe.exec())!.map(([err, v]) => {
            assert.equal(err, null);
            return v as number;
          });
        }),
      );
      for (const seq of results) for (let i = 1; i < seq.length; i++) assert.ok(seq[i]! > seq[i - 1]!);
      const all = results.flat().sort((a, b) => a - b);
      assert.deepEqual(all, Array.from({ length: 8 * perClient }, (_, i) => i + 1));
      assert.equal(await cli.get('counter'), String(8 * perClient));
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  test('INCRBY/DECRBY stay exact across the whole int64 range', async () => {
    const rnd = prng(7);
    let model = 0n;
    await cli.set('i64', '0');
    for (let i = 0; i < 500; i++) {
      const mag = BigInt(Math.floor(rnd() * 2 ** 31)) * BigInt(Math.floor(rnd() * 2 ** 31)) * BigInt(1 + Math.floor(rnd() * 2));
      const by = rnd() < 0.5 ? -mag : mag;
      const next = model + by;
      const useDecr = rnd() < 0.3;
      const reply = useDecr ? cli.decrby('i64', String(-by)) : cli.incrby('i64', String(by));
      if (next < -(2n ** 63n) || next >= 2n ** 63n) {
        await assert.rejects(reply, /increment or decrement would overflow/);
      } else {
        // ioredis parses integers as JS numbers, so compare the stored text.
        await reply;
        model = next;
        assert.equal(await cli.get('i64'), String(model));
      }
    }
  });

  test('INCRBYFLOAT matches redis-server digit for digit', async () => {
    const real = connect(redis.port);
    try {
      const rnd = prng(42);
      const samples = ['0.1', '0.2', '-0.3', '1e-17', '3.0e3', '1.23456789012345678901234', '5.', '.5', '0x1p-3', '1e20', '-1e20'];
      for (let i = 0; i < 400; i++) {
        const digits = Math.floor(rnd() * 18);
        const v = (rnd() < 0.4 ? '-' : '') + (rnd() * 10 ** Math.floor(rnd() * 12 - 4)).toFixed(digits);
        samples.push(rnd() < 0.2 ? `${v}e${Math.floor(rnd() * 40 - 20)}` : v);
      }
      for (const [i, v] of samples.entries()) {
        const k = `f${i % 5}`;
        const [a, b] = await Promise.all([
          real.incrbyfloat(k, v).catch(errorMessage),
          cli.incrbyfloat(k, v).catch(errorMessage),
        ]);
        assert.equal(b, a, `INCRBYFLOAT ${k} ${v}`);
      }
    } finally {
      real.disconnect();
    }
  });
});

describe('expiry', () => {
  test('SET EX, PX, SETEX, PSETEX and GETEX keys vanish once their time passes', async () => {
    await cli.set('ex', 'v', 'EX', 1);
    await cli.set('px', 'v', 'PX', 300);
    await cli.setex('setex', 1, 'v');
    await cli.psetex('psetex', 300, 'v');
    await cli.set('getex', 'v');
    assert.equal(await cli.getex('getex', 'PX', 300), 'v');
    await cli.set('keep', 'v', 'PX', 300);
    await cli.set('keep', 'w', 'KEEPTTL');
    await cli.set('reset', 'v', 'PX', 300);
    await cli.set('reset', 'w');
    assert.deepEqual(await cli.mget('ex', 'px', 'setex', 'psetex', 'getex', 'keep'), ['v', 'v', 'v', 'v', 'v', 'w']);
    await sleep(450);
    assert.deepEqual(await cli.mget('ex', 'px', 'setex', 'psetex', 'getex', 'keep', 'reset'), ['v', null, 'v', null, null, null, 'w']);
    await sleep(800);
    assert.deepEqual(await cli.mget('ex', 'setex'), [null, null]);
    assert.equal(await cli.get('reset'), 'w');
  });

  test('GETEX PERSIST keeps a key that would have expired', async () => {
    await cli.set('persist', 'v', 'PX', 200);
    assert.equal(await cli.getex('persist', 'PERSIST'), 'v');
    await sleep(300);
    assert.equal(await cli.get('persist'), 'v');
    assert.equal(await cli.ttl('persist'), -1);
  });
});

describe('node-redis', () => {
  test('SET options, GETEX, GETDEL, MSETNX and LCS through the client API', async () => {
    const c = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } });
    c.on('error', () => {});
    await c.connect();
    try {
      await c.del(['nr', 'nr2', 'nr3', 'l1', 'l2']);
      assert.equal(await c.set('nr', 'one', { condition: 'NX', GET: true }), null);
      assert.equal(await c.set('nr', 'two', { condition: 'NX', GET: true }), 'one');
      assert.equal(await c.set('nr', 'three', { expiration: { type: 'PX', value: 100000 }, condition: 'XX', GET: true }), 'one');
      assert.equal(await c.ttl('nr'), 100);
      assert.equal(await c.getEx('nr', { type: 'PERSIST' }), 'three');
      assert.equal(await c.ttl('nr'), -1);
      assert.equal(await c.getDel('nr'), 'three');
      assert.equal(await c.exists('nr'), 0);
      assert.equal(await c.mSetNX({ nr2: 'a', nr3: 'b' }), 1);
      assert.equal(await c.mSetNX({ nr3: 'c', nr4: 'd' }), 0);
      assert.deepEqual(await c.mGet(['nr2', 'nr3', 'nr4']), ['a', 'b', null]);
      await c.mSet({ l1: 'ohmytext', l2: 'mynewtext' });
      assert.equal(await c.lcs('l1', 'l2'), 'mytext');
      assert.equal(await c.lcsLen('l1', 'l2'), 6);
      const idx = await c.lcsIdxWithMatchLen('l1', 'l2');
      assert.equal(idx.len, 6);
      assert.equal(idx.matches.length, 2);
      assert.equal(await c.incrByFloat('nrf', 10.5), '10.5');
      assert.equal(await c.incrByFloat('nrf', 0.1), '10.6');
    } finally {
      await c.close();
    }
  });
});

describe('size limits', () => {
  test('proto-max-bulk-len bounds SETRANGE, APPEND, SETBIT and LCS as in redis-server', async () => {
    const args = ['--proto-max-bulk-len', '1mb'];
    const [ours, theirs] = await Promise.all([startRedoubt(args), startRedis(args)]);
    const clients = await Promise.all([RawClient.connect(theirs.port), RawClient.connect(ours.port)]);
    try {
      const big = 'x'.repeat(600 * 1024);
      const steps: string[][] = [
        ['SETRANGE', 'k', '1048575', 'x'],
        ['SETRANGE', 'k', '1048576', 'x'],
        ['SETRANGE', 'k', '1048575', 'xy'],
        ['STRLEN', 'k'],
        ['SET', 'a', big],
        ['APPEND', 'a', big],
        ['APPEND', 'a', 'x'.repeat(1024)],
        ['STRLEN', 'a'],
        ['SETBIT', 'b', String(8 * 1048576 - 1), '1'],
        ['SETBIT', 'b', String(8 * 1048576), '1'],
        ['GETBIT', 'b', String(8 * 1048576)],
        ['BITFIELD', 'b', 'SET', 'u8', String(8 * 1048576 - 8), '1'],
        ['BITFIELD', 'b', 'SET', 'u8', String(8 * 1048576 - 7), '1'],
        ['SET', 'l1', 'a'.repeat(500)],
        ['SET', 'l2', 'b'.repeat(500)],
        ['LCS', 'l1', 'l2', 'LEN'],
        ['SET', 'l2', 'b'.repeat(600)],
        ['LCS', 'l1', 'l2', 'LEN'],
      ];
      for (const argv of steps) {
        const replies: string[] = [];
        for (const cl of clients) replies.push(await cl.call(...argv));
        assert.equal(replies[1], replies[0], argv.slice(0, 3).join(' '));
      }
    } finally {
      for (const cl of clients) cl.close();
      await Promise.all([ours.stop(), theirs.stop()]);
    }
  });
});

// --- the table against the real server's COMMAND INFO ---

type Info = [string, number, string[], number, number, number, string[], string[], unknown[], unknown[]];

function pairs(a: unknown): Record<string, unknown> {
  const arr = a as unknown[];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < arr.length; i += 2) o[String(arr[i])] = arr[i + 1];
  return o;
}

function ourKeySpec(k: KeySpec): unknown {
  const begin = 'index' in k.begin ? ['index', k.begin.index] : ['other'];
  const find = 'range' in k.find ? ['range', k.find.range.lastKey, k.find.range.keyStep, k.find.range.limit] : ['other'];
  return { notes: k.notes ?? '', flags: [...k.flags].sort(), begin, find };
}

function theirKeySpec(raw: unknown): unknown {
  const k = pairs(raw);
  const begin = pairs(k['begin_search']);
  const find = pairs(k['find_keys']);
  const bspec = pairs(begin['spec']);
  const fspec = pairs(find['spec']);
  return {
    notes: (k['notes'] as string | undefined) ?? '',
    flags: (k['flags'] as string[]).map((f) => f.toUpperCase()).sort(),
    begin: begin['type'] === 'index' ? ['index', bspec['index']] : ['other'],
    find: find['type'] === 'range' ? ['range', fspec['lastkey'], fspec['keystep'], fspec['limit']] : ['other'],
  };
}

/** Compares each row with COMMAND INFO and COMMAND DOCS (since, group, deprecation) of redis-server. */
async function checkTable(port: number, specs: readonly CommandSpec[]): Promise<void> {
  const real = connect(port);
  try {
    for (const spec of specs) {
      const [info] = (await real.call('COMMAND', 'INFO', spec.name)) as [Info];
      assert.deepEqual(
        { arity: spec.arity, flags: [...spec.flags].sort(), acl: spec.acl.map((a) => `@${a}`).sort(), tips: [...(spec.tips ?? [])].sort(), keys: spec.keys.map(ourKeySpec) },
        { arity: info[1], flags: [...info[2]].sort(), acl: [...info[6]].sort(), tips: [...info[7]].sort(), keys: info[8].map(theirKeySpec) },
        spec.name,
      );
      const docs = pairs(((await real.call('COMMAND', 'DOCS', spec.name)) as unknown[])[1]);
      assert.ok(spec.docs !== undefined, `${spec.name} has docs`);
      assert.equal(spec.docs.since, docs['since'], `${spec.name} since`);
      assert.equal(spec.docs.group, docs['group'], `${spec.name} group`);
      assert.deepEqual(spec.docs.docFlags ?? [], docs['doc_flags'] ?? [], `${spec.name} doc flags`);
      assert.equal(spec.docs.replacedBy, docs['replaced_by'], `${spec.name} replaced by`);
    }
  } finally {
    real.disconnect();
  }
}

describe('command table rows match redis-server', () => {
  test('every string command', () => checkTable(redis.port, stringCommands));
  test('every bitmap command', () => checkTable(redis.port, bitmapCommands));
});
