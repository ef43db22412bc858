// The hash family beyond what the byte-for-byte corpus can hold: binary fields through real
// clients, HRANDFIELD's sampling properties, HSCAN over large (hashtable) hashes, concurrent
// HINCRBY, the listpack → hashtable conversion rules checked against redis-server, and the
// command table rows against the real server's COMMAND INFO.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { startRedis, startRedoubt, useServerPair, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { rowInfo, serverInfo, type Info } from './helpers/command-info.js';
import { hashCommands } from '../src/commands/hash.js';
import { HashValue, type HashLimits } from '../src/store/hash.js';

const { redis, redoubt, redoubtClient: cli } = useServerPair({ redoubtClient: {} });

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** A hash of `n` fields f0..f(n-1) with values v0..v(n-1). */
async function fillHash(c: Redis, k: string, n: number): Promise<void> {
  await c.del(k);
  for (let i = 0; i < n; i += 500) {
    const args: string[] = [];
    for (let j = i; j < Math.min(n, i + 500); j++) args.push(`f${j}`, `v${j}`);
    await c.hset(k, ...args);
  }
}

async function hscanAll(c: Redis, k: string, ...opts: string[]): Promise<{ pairs: [string, string][]; calls: number }> {
  const pairs: [string, string][] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const [next, flat] = (await c.call('HSCAN', k, cursor, ...opts)) as [string, string[]];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    cursor = next;
    calls++;
    assert.ok(calls < 100000, 'HSCAN terminates');
  } while (cursor !== '0');
  return { pairs, calls };
}

describe('binary safety', () => {
  test('HGETALL returns every byte of binary fields and values (ioredis)', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const fields = [all, Buffer.from([0]), Buffer.from([0xff, 0xfe]), Buffer.alloc(0), Buffer.from('\r\n')];
    const values = [Buffer.from([0xc3, 0x28]), all, Buffer.alloc(0), Buffer.from([0, 0, 0]), Buffer.from('$-1\r\n')];
    await cli.del('bin');
    for (let i = 0; i < fields.length; i++) await cli.hset('bin', fields[i]!, values[i]!);
    const flat = (await cli.callBuffer('HGETALL', 'bin')) as Buffer[];
    assert.equal(flat.length, fields.length * 2);
    for (let i = 0; i < fields.length; i++) {
      assert.deepEqual(flat[2 * i], fields[i]);
      assert.deepEqual(flat[2 * i + 1], values[i]);
    }
    assert.deepEqual(await cli.hgetBuffer('bin', all), values[0]);
    assert.equal(await cli.hstrlen('bin', Buffer.from([0])), 256);
    assert.deepEqual(await cli.hmgetBuffer('bin', Buffer.from([0xff, 0xfe]), Buffer.from([0xff])), [Buffer.alloc(0), null]);
    assert.equal(await cli.hexists('bin', Buffer.alloc(0)), 1);
  });

  test('HGETALL, HRANDFIELD WITHVALUES and HSCAN through node-redis in RESP2 and RESP3', async () => {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ RESP, socket: { port: redoubt.port, host: '127.0.0.1' } });
      c.on('error', () => {});
      await c.connect();
      try {
        await c.del('nr');
        assert.equal(await c.hSet('nr', { a: '1', b: '2', c: '3' }), 3);
        assert.deepEqual({ ...(await c.hGetAll('nr')) }, { a: '1', b: '2', c: '3' });
        const picks = await c.hRandFieldCountWithValues('nr', 2);
        assert.equal(picks.length, 2);
        for (const p of picks) assert.equal(p.value, { a: '1', b: '2', c: '3' }[p.field]);
        const repeats = await c.hRandFieldCountWithValues('nr', -7);
        assert.equal(repeats.length, 7);
        const scanned = await c.hScan('nr', '0');
        assert.equal(scanned.cursor, '0');
        assert.deepEqual(scanned.entries, [
          { field: 'a', value: '1' },
          { field: 'b', value: '2' },
          { field: 'c', value: '3' },
        ]);
        assert.equal(await c.hIncrByFloat('nr', 'a', 0.5), '1.5');
        const bin = c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        await bin.hSet('nrb', Buffer.from([0xff, 0x00]), Buffer.from([0x80]));
        assert.deepEqual(await bin.hGet('nrb', Buffer.from([0xff, 0x00])), Buffer.from([0x80]));
      } finally {
        await c.close();
      }
    }
  });
});

describe('HRANDFIELD properties', () => {
  test('a positive count gives distinct fields, at most the whole hash', async () => {
    await fillHash(cli, 'r', 50);
    for (const count of [1, 2, 10, 16, 17, 30, 49]) {
      const got = (await cli.call('HRANDFIELD', 'r', String(count))) as string[];
      assert.equal(got.length, count);
      assert.equal(new Set(got).size, count, `distinct for count ${count}`);
      for (const f of got) assert.match(f, /^f\d+$/);
    }
    for (const count of [50, 51, 1000]) {
      const got = (await cli.call('HRANDFIELD', 'r', String(count))) as string[];
      assert.deepEqual([...got].sort(), range('f', 50).sort(), `whole hash for count ${count}`);
    }
  });

  test('a negative count gives exactly that many picks, repeats allowed, values matching', async () => {
    await fillHash(cli, 'r', 3);
    const got = (await cli.call('HRANDFIELD', 'r', '-300')) as string[];
    assert.equal(got.length, 300);
    assert.deepEqual([...new Set(got)].sort(), ['f0', 'f1', 'f2'], 'every field shows up in 300 picks of 3');
    // ioredis speaks RESP3 by default: each pair comes nested.
    const nested = (await cli.call('HRANDFIELD', 'r', '-40', 'WITHVALUES')) as [string, string][];
    assert.equal(nested.length, 40);
    for (const [f, v] of nested) assert.equal(v, f.replace('f', 'v'));
    const resp2 = new Redis({ port: redoubt.port, protocol: 2 });
    try {
      const flat = (await resp2.call('HRANDFIELD', 'r', '-40', 'WITHVALUES')) as string[];
      assert.equal(flat.length, 80);
      for (let i = 0; i < flat.length; i += 2) assert.equal(flat[i + 1], flat[i]!.replace('f', 'v'));
    } finally {
      resp2.disconnect();
    }
  });

  test('samples are spread over the whole hash, small and large', async () => {
    for (const n of [20, 1000]) {
      await fillHash(cli, 'r', n);
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) for (const f of (await cli.call('HRANDFIELD', 'r', String(n / 4))) as string[]) seen.add(f);
      assert.ok(seen.size > n * 0.9, `saw ${seen.size} of ${n}`);
      const single = new Set<string>();
      for (let i = 0; i < 200; i++) single.add((await cli.hrandfield('r')) as string);
      assert.ok(single.size > (n === 20 ? 15 : 150), `single picks spread: ${single.size}`);
    }
  });

  test('RESP3 WITHVALUES nests each pair, as redis-server does', async () => {
    const clients = await Promise.all([RawClient.connect(redis.port), RawClient.connect(redoubt.port)]);
    try {
      for (const c of clients) {
        await c.call('HELLO', '3');
        await c.call('DEL', 'r3');
        await c.call('HSET', 'r3', 'a', '1', 'b', '2', 'c', '3');
      }
      for (const args of [['2', 'WITHVALUES'], ['-5', 'WITHVALUES'], ['1', 'WITHVALUES']]) {
        const replies = await Promise.all(clients.map((c) => c.call('HRANDFIELD', 'r3', ...args)));
        const shape = (r: string): string => r.replace(/\$1\r\n[abc123]\r\n/g, '$x');
        assert.equal(shape(replies[1]!), shape(replies[0]!), args.join(' '));
      }
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('HSCAN', () => {
  test('a full HSCAN of a 1000-field hash returns every field with its value', async () => {
    await fillHash(cli, 'big', 1000);
    const { pairs, calls } = await hscanAll(cli, 'big');
    assert.ok(calls > 10, `a large hash is scanned in several calls (${calls})`);
    const seen = new Map(pairs);
    assert.equal(seen.size, 1000);
    for (let i = 0; i < 1000; i++) assert.equal(seen.get(`f${i}`), `v${i}`);
    const counted = await hscanAll(cli, 'big', 'COUNT', '100');
    assert.equal(new Map(counted.pairs).size, 1000);
    assert.ok(counted.calls <= 11, `COUNT 100 needs about 10 calls (${counted.calls})`);
    const matched = await hscanAll(cli, 'big', 'MATCH', 'f1*', 'COUNT', '50');
    assert.deepEqual(new Set(matched.pairs.map((p) => p[0])), new Set(range('f', 1000).filter((f) => f.startsWith('f1'))));
  });

  test('fields present throughout a scan are returned despite concurrent writes', async () => {
    await fillHash(cli, 'churn', 1000);
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, flat] = (await cli.call('HSCAN', 'churn', cursor, 'COUNT', '20')) as [string, string[]];
      for (let i = 0; i < flat.length; i += 2) seen.add(flat[i]!);
      // Delete some fields the scan has not reached, add new ones, and update others.
      await cli.hdel('churn', `f${999 - step}`);
      await cli.hset('churn', `new${step}`, 'x', `f${step}`, 'updated');
      step++;
      cursor = next;
    } while (cursor !== '0');
    for (let i = 0; i < 1000 - step; i++) assert.ok(seen.has(`f${i}`), `f${i} was present throughout`);
  });

  test('a scan over a hash that is deleted and recreated still terminates', async () => {
    await fillHash(cli, 'gone', 600);
    const [next] = (await cli.call('HSCAN', 'gone', '0')) as [string, string[]];
    assert.notEqual(next, '0');
    await fillHash(cli, 'gone', 600);
    let cursor = next;
    let calls = 0;
    while (cursor !== '0' && calls++ < 1000) cursor = ((await cli.call('HSCAN', 'gone', cursor)) as [string, string[]])[0];
    assert.equal(cursor, '0');
  });
});

describe('HINCRBY and HINCRBYFLOAT under concurrency', () => {
  test('increments from several clients are never lost', async () => {
    await cli.del('ctr');
    const clients = Array.from({ length: 8 }, () => new Redis({ port: redoubt.port }));
    try {
      await Promise.all(
        clients.map(async (c, n) => {
          for (let round = 0; round < 5; round++) {
            const pipe = c.pipeline();
            for (let i = 0; i < 50; i++) {
              pipe.hincrby('ctr', 'hits', 1);
              pipe.hincrby('ctr', `own${n}`, 2);
              pipe.hincrbyfloat('ctr', 'f', '0.5');
            }
            await pipe.exec();
          }
        }),
      );
      assert.equal(await cli.hget('ctr', 'hits'), String(8 * 5 * 50));
      for (let n = 0; n < 8; n++) assert.equal(await cli.hget('ctr', `own${n}`), String(5 * 50 * 2));
      assert.equal(await cli.hget('ctr', 'f'), String(8 * 5 * 50 * 0.5));
      assert.equal(await cli.hlen('ctr'), 10);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

describe('listpack and hashtable, as redis-server decides', () => {
  /** Runs the same commands on both servers; returns Redis's OBJECT ENCODING and Redoubt's HSCAN paging. */
  async function observe(servers: RunningServer[], setup: string[][], k: string): Promise<{ theirs: string; oursPages: boolean }> {
    const [theirs, ours] = await Promise.all(servers.map((s) => RawClient.connect(s.port)));
    try {
      for (const cmd of setup) {
        const [a, b] = await Promise.all([theirs!.call(...cmd), ours!.call(...cmd)]);
        assert.equal(b, a, cmd.join(' '));
      }
      const enc = await theirs!.call('OBJECT', 'ENCODING', k);
      // Redoubt pages HSCAN only for a hashtable: COUNT 1 over 2+ fields leaves a cursor.
      const scan = await ours!.call('HSCAN', k, '0', 'COUNT', '1');
      return { theirs: enc.split('\r\n')[1]!, oursPages: !scan.startsWith('*2\r\n$1\r\n0\r\n') };
    } finally {
      theirs!.close();
      ours!.close();
    }
  }

  test('entry and value limits, HSETNX on an existing field, HINCRBY on a long field, stickiness', async () => {
    const args = ['--hash-max-listpack-entries', '4', '--hash-max-listpack-value', '8'];
    const servers = await Promise.all([startRedis(args), startRedoubt(args)]);
    try {
      const cases: [string, string[][], string][] = [
        ['four fields', [['HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4']], 'listpack'],
        ['a repeated field counts once', [['HSET', 'h', 'a', '1', 'a', '2', 'a', '3', 'a', '4', 'a', '5', 'b', '1']], 'listpack'],
        ['five fields', [['HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5']], 'hashtable'],
        ['a long value', [['HSET', 'h', 'a', '1', 'b', '123456789']], 'hashtable'],
        ['a long field', [['HSET', 'h', '123456789', '1', 'b', '2']], 'hashtable'],
        ['HSETNX refused on an existing field', [['HSET', 'h', 'a', '1', 'b', '2'], ['HSETNX', 'h', 'a', '123456789']], 'listpack'],
        ['HSETNX with a long value', [['HSET', 'h', 'a', '1'], ['HSETNX', 'h', 'b', '123456789']], 'hashtable'],
        ['HINCRBY on a long field', [['HSET', 'h', 'a', '1'], ['HINCRBY', 'h', '123456789', '1']], 'hashtable'],
        ['HINCRBYFLOAT to a long value', [['HSET', 'h', 'a', '1'], ['HINCRBYFLOAT', 'h', 'b', '0.123456789']], 'hashtable'],
        ['sticky after deletes', [['HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5'], ['HDEL', 'h', 'c', 'd', 'e']], 'hashtable'],
        ['sticky after a long value is replaced', [['HSET', 'h', 'a', '1', 'b', '123456789'], ['HSET', 'h', 'b', '2']], 'hashtable'],
      ];
      for (const [title, setup, expected] of cases) {
        const seen = await observe(servers, [['DEL', 'h'], ...setup], 'h');
        assert.equal(seen.theirs, expected, `redis-server: ${title}`);
        assert.equal(seen.oursPages, expected === 'hashtable', `redoubt: ${title}`);
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test('HashValue tracks the encoding and copies deeply', () => {
    const lim: HashLimits = { maxEntries: 3, maxValue: 4 };
    const h = new HashValue();
    assert.equal(h.encoding(), 'listpack');
    assert.equal(h.set('a', '1', lim), true);
    assert.equal(h.set('a', '2', lim), false);
    h.set('b', '2', lim);
    h.set('c', '3', lim);
    assert.equal(h.encoding(), 'listpack');
    const small = h.copy();
    h.set('d', '4', lim);
    assert.equal(h.encoding(), 'hashtable');
    assert.equal(small.encoding(), 'listpack');
    assert.deepEqual([...small.fields], [['a', '2'], ['b', '2'], ['c', '3']]);
    const big = h.copy();
    h.delete('a');
    h.delete('b');
    assert.equal(h.encoding(), 'hashtable', 'never converts back');
    assert.equal(big.encoding(), 'hashtable');
    assert.equal(big.size, 4);
    big.set('a', 'changed', lim);
    assert.equal(small.get('a'), '2');
    const v = new HashValue();
    v.set('k', '12345', lim);
    assert.equal(v.encoding(), 'hashtable');
  });

  test('field order: updates keep their place, a deleted field comes back at the end', () => {
    const lim: HashLimits = { maxEntries: 128, maxValue: 64 };
    const h = new HashValue();
    for (const f of ['a', 'b', 'c']) h.set(f, f, lim);
    h.set('a', 'A', lim);
    assert.deepEqual(h.fieldArray(), ['a', 'b', 'c']);
    h.delete('a');
    h.set('a', 'again', lim);
    assert.deepEqual(h.fieldArray(), ['b', 'c', 'a']);
  });
});

// --- the table against the real server's COMMAND INFO ---

describe('command table rows match COMMAND INFO of redis-server', () => {
  test('every hash command', async () => {
    const real = new Redis({ port: redis.port });
    const mine = new Redis({ port: redoubt.port });
    try {
      for (const spec of hashCommands) {
        const [info] = (await real.call('COMMAND', 'INFO', spec.name)) as [Info];
        assert.deepEqual(rowInfo(spec), serverInfo(info), spec.name);
        assert.ok(spec.docs !== undefined, `${spec.name} has docs`);
        const [served] = (await mine.call('COMMAND', 'INFO', spec.name)) as [Info];
        assert.deepEqual(served, info, `COMMAND INFO ${spec.name} as served`);
      }
    } finally {
      real.disconnect();
      mine.disconnect();
    }
  });
});
