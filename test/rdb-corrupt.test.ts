// Damaged, hostile and unusual RDB files. Every truncation and every flipped byte of a file saved
// by redis-server 7.0 is refused by the reader with an RdbFileError (the CRC64 catches what the
// structure does not), and garbage with a valid checksum never throws anything else; a server
// started on a damaged file stops with a message naming the file, the offset and the fix; bombs
// and huge lengths are refused without aborting; module data is refused naming the module. Files
// with the encodings Redis no longer writes (ziplist, zipmap, quicklist v1, plain types, text
// scores, second-precision expiry, release-candidate functions) load in Redoubt exactly as in
// redis-server 7.0; RDB 11 and 12 records load, or are refused by name where they cannot be held.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, REDOUBT_MAIN, startRedis, startRedoubt } from './helpers/servers.js';
import { RdbBuilder, contents, keysOf, untilLoaded, withChecksum } from './helpers/rdb-files.js';
import { legacy } from './helpers/rdb-legacy.js';
import { listBomb, stringBomb, declaredCountBomb, lzfClaimBomb } from './helpers/rdb-bombs.js';
import { RdbFileError, RdbFileReader } from '../src/persistence/rdb/file.js';
import { ByteWriter } from '../src/persistence/rdb/bytes.js';
import { writeLen, writeString } from '../src/persistence/rdb/strings.js';
import { encodeIntset } from '../src/persistence/rdb/intset.js';
import { ListpackBuilder } from '../src/persistence/rdb/listpack.js';
import { RDB_TYPE } from '../src/persistence/rdb/types.js';
import { InProcessServer } from './helpers/in-process.js';
import { RdbLoadError, loadRdb } from '../src/server/rdb-load.js';

const RAW = { compress: false };

/** Reads a whole file; 'ok' or the RdbFileError it raised (anything else propagates). */
function readAll(buf: Buffer, verifyChecksum = true): 'ok' | RdbFileError {
  const reader = new RdbFileReader(buf, { verifyChecksum });
  try {
    reader.header();
    for (;;) if (reader.next().kind === 'eof') return 'ok';
  } catch (err) {
    if (err instanceof RdbFileError) return err;
    throw err;
  }
}

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Starts Redoubt on `dir` expecting it to stop by itself; its exit code and output. */
async function startFailing(dir: string, extra: string[] = []): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [REDOUBT_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

/** Writes `file` as dir/dump.rdb in a new directory. */
function dirWith(file: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'redoubt-rdb-bad-'));
  writeFileSync(path.join(dir, 'dump.rdb'), file);
  return dir;
}

let base: Buffer;
const dirs: string[] = [];

before(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'redoubt-rdb-src-'));
  dirs.push(dir);
  const ref = await startRedis(['--dir', dir]);
  const c = new Redis({ port: ref.port, host: ref.host });
  await c.set('s', 'a string value');
  await c.set('n', '42');
  await c.set('lzf', 'compress me '.repeat(50));
  await c.rpush('l', 'a', 'b', 'c', ...Array.from({ length: 200 }, (_, i) => `e${i}`));
  await c.sadd('set', 'x', 'y', '3');
  await c.sadd('iset', '1', '2', '3');
  await c.zadd('z', 1, 'a', 2.5, 'b');
  await c.zadd('zbig', ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat());
  await c.hset('h', 'f', 'v', 'g', 'w');
  await c.xadd('st', '1-1', 'a', '1');
  await c.xgroup('CREATE', 'st', 'g', '0');
  await c.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 'st', '>');
  await c.set('t', 'v', 'EX', 1000);
  await c.function('LOAD', "#!lua name=lib\nredis.register_function('f', function() return 1 end)");
  await c.save();
  c.disconnect();
  await ref.stop();
  base = readFileSync(path.join(dir, 'dump.rdb'));
});

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the reader against damage', () => {
  test('the file as saved reads whole', () => {
    assert.equal(readAll(base), 'ok');
  });

  test('every truncation is refused', () => {
    for (let len = 0; len < base.length; len++) {
      const r = readAll(base.subarray(0, len));
      assert.ok(r instanceof RdbFileError, `truncated to ${len} bytes: ${String(r)}`);
      assert.ok(r.offset <= len, `offset ${r.offset} past the end (${len})`);
    }
  });

  test('every byte changed anywhere is refused (the checksum catches what the structure does not)', () => {
    const next = rng(12);
    for (let i = 0; i < base.length; i++) {
      const bad = Buffer.from(base);
      bad[i] = (bad[i] ?? 0) ^ (1 + Math.floor(next() * 255));
      const r = readAll(bad);
      assert.ok(r instanceof RdbFileError, `byte ${i} changed: ${String(r)}`);
      // Without the checksum, the parser alone must still never throw anything but RdbFileError.
      readAll(bad, false);
    }
  });

  test('garbage with a valid checksum is refused or read, never anything else', () => {
    const next = rng(7);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const bad = Buffer.from(base);
      const at = 9 + Math.floor(next() * (bad.length - 17));
      const n = 1 + Math.floor(next() * 8);
      for (let k = 0; k < n && at + k < bad.length - 9; k++) bad[at + k] = Math.floor(next() * 256);
      if (readAll(withChecksum(bad)) !== 'ok') refused++;
    }
    assert.ok(refused > 1000, `only ${refused} of 3000 damaged files refused`);
  });

  test('huge lengths and bombs are refused without allocating them', () => {
    const cases: [string, { type: number; body: Buffer }][] = [
      ['a string claiming 2^40 bytes', { type: RDB_TYPE.STRING, body: Buffer.from([0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0x61]) }],
      ['a list declaring 2^32 elements', declaredCountBomb(RDB_TYPE.LIST, 2 ** 32 - 1, 10)],
      ['an LZF header claiming 32 TB', lzfClaimBomb(RDB_TYPE.STRING, 2 ** 45)],
      ['a listpack bomb of 150 million entries', listBomb(150_000_000)],
    ];
    for (const [what, value] of cases) {
      const file = new RdbBuilder(10).select(0).key(value, 'bomb').finish();
      const before = process.memoryUsage().rss;
      const r = readAll(file);
      assert.ok(r instanceof RdbFileError, `${what}: ${String(r)}`);
      assert.ok(process.memoryUsage().rss - before < 512 * 1024 * 1024, `${what}: RSS grew too much`);
    }
  });
});

describe('a server started on a damaged file stops, naming the file, the offset and the fix', () => {
  const cases: [string, () => Buffer, RegExp][] = [
    // Cut inside a value, the declared count outruns what is left, or the read runs off the end.
    ['truncated', () => base.subarray(0, Math.floor(base.length / 2)), /Unexpected EOF reading RDB file|count larger than the payload/],
    // Inside a string's bytes, so the structure still reads and only the checksum can tell (a
    // byte at a fixed share of the file may land in a length, wherever redis-server put the key).
    ['a byte changed', () => {
      const b = Buffer.from(base);
      const at = b.indexOf('a string value') + 3;
      assert.ok(at > 3, 'the string is in the file');
      b[at] = (b[at] ?? 0) ^ 0x55;
      return b;
    }, /Wrong RDB checksum expected: \([0-9a-f]+\) but got \([0-9a-f]+\)/],
    ['trailing garbage', () => Buffer.concat([base, Buffer.from('garbage')]), /7 bytes of trailing data after the end of the RDB file/],
    ['an unknown type', () => new RdbBuilder(10).select(0).raw([0x42]).finish(), /Unknown RDB value type 66/],
    ['a newer version', () => Buffer.concat([Buffer.from('REDIS0013'), base.subarray(9)]), /Can't handle RDB format version 0013/],
    ['a key in a database it does not have', () => new RdbBuilder(10).select(40).key({ type: 0, body: Buffer.from([1, 0x61]) }, 'k').finish(), /more than 16 databases/],
  ];
  for (const [what, make, reason] of cases) {
    test(what, async () => {
      const dir = dirWith(make());
      dirs.push(dir);
      const { code, output } = await startFailing(dir);
      assert.equal(code, 1, output);
      assert.match(output, reason);
      assert.match(output, new RegExp(`Fatal error loading the DB: Bad RDB file ${path.join(dir, 'dump.rdb').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at offset \\d+`));
      assert.match(output, /Fix: /);
      assert.doesNotMatch(output, /Ready to accept connections/);
    });
  }

  test('more data than the heap can hold is refused, not an abort', async () => {
    // Twelve 24 MB strings from 300 KB of LZF each: each fits one value's budget, not all together.
    const b = new RdbBuilder(10).select(0);
    for (let i = 0; i < 12; i++) b.key(stringBomb(24 * 1024 * 1024), `big${i}`);
    const dir = dirWith(b.finish());
    dirs.push(dir);
    const port = await freePort();
    const child = spawn(process.execPath, ['--max-old-space-size=160', REDOUBT_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 1, output);
    assert.match(output, /value larger than the memory this server can give it/);
  });

  test('module data is refused naming the module, and nothing is half-loaded', async () => {
    for (const [file, reason] of [
      [new RdbBuilder(10).select(0).key({ type: 0, body: Buffer.from([1, 0x61]) }, 'before').moduleKey('m', 'mymodule1').finish(), /no matching module type 'mymodule1'/],
      [new RdbBuilder(10).moduleAux('auxmodule').select(0).finish(), /AUX module data I can't load: no matching module 'auxmodule'/],
    ] as const) {
      const dir = dirWith(file);
      dirs.push(dir);
      const { code, output } = await startFailing(dir);
      assert.equal(code, 1, output);
      assert.match(output, reason);
    }
    // In process: the key loaded before the module value is taken out again.
    const s = new InProcessServer();
    const file = new RdbBuilder(10).select(0).key({ type: 0, body: Buffer.from([1, 0x61]) }, 'before').moduleKey('m', 'mymodule1').finish();
    await assert.rejects(loadRdb(s.server, file, { source: 'mem' }), /no matching module type 'mymodule1'/);
    assert.equal(s.server.dbs[0]?.size, 0);
    assert.equal(s.server.loading, null);
  });

  test('a key twice in one database is refused; SIGTERM during a load is a clean exit', async () => {
    const s = new InProcessServer();
    const str = { type: 0, body: Buffer.from([1, 0x61]) };
    const file = new RdbBuilder(10).select(0).key(str, 'a').key(str, 'dup').key(str, 'dup').finish();
    await assert.rejects(loadRdb(s.server, file, { source: 'mem' }), /RDB has duplicated key 'dup' in DB 0/);
    assert.equal(s.server.dbs[0]?.size, 0);
    // The same key in two databases is fine.
    const ok = new RdbBuilder(10).select(0).key(str, 'dup').select(1).key(str, 'dup').finish();
    assert.equal((await loadRdb(s.server, ok, { source: 'mem' })).keysLoaded, 2);
    // A file that takes a while: SIGTERM while it loads ends the server with status 0.
    const big = new RdbBuilder(10).select(0);
    for (let i = 0; i < 300000; i++) big.key(str, `k${i}`);
    const dir = dirWith(big.finish());
    dirs.push(dir);
    const red = await startRedoubt(['--dir', dir]);
    const c = new Redis({ port: red.port, host: red.host, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    try {
      await assert.rejects(c.get('k1'), /LOADING/);
      red.process.kill('SIGTERM');
      assert.equal(await red.exited(), 0, red.output());
      assert.doesNotMatch(red.output(), /Fatal error/);
    } finally {
      c.disconnect();
    }
  });

  test('check-rdb names module data and exits 1; a checksum of zero is reported as disabled', async () => {
    const { checkRdb } = await import('../src/cli/check-rdb.js');
    const dir = dirWith(new RdbBuilder(10).moduleAux('auxmodule').select(0).moduleKey('m', 'mymodule1').finish(false));
    dirs.push(dir);
    const lines: string[] = [];
    assert.equal(checkRdb([path.join(dir, 'dump.rdb')], (l) => lines.push(l)), 1);
    const text = lines.join('\n');
    assert.match(text, /Module data of module type 'auxmodule'/);
    assert.match(text, /Module data of module type 'mymodule1' for key 'm'/);
    assert.match(text, /checksum disabled: no check performed/);
    const bad: string[] = [];
    writeFileSync(path.join(dir, 'cut.rdb'), base.subarray(0, 100));
    assert.equal(checkRdb([path.join(dir, 'cut.rdb')], (l) => bad.push(l)), 1);
    assert.match(bad.join('\n'), /--- RDB ERROR DETECTED ---\n\[offset \d+\] Unexpected EOF reading RDB file/);
  });
});

/** Value bodies for the plain (pre-encoding) types. */
function plainList(items: string[]): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLen(w, items.length);
  for (const s of items) writeString(w, s, RAW);
  return { type: RDB_TYPE.LIST, body: w.take() };
}

function plainSet(members: string[]): { type: number; body: Buffer } {
  return { ...plainList(members), type: RDB_TYPE.SET };
}

function plainHash(pairs: [string, string][]): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLen(w, pairs.length);
  for (const [f, v] of pairs) {
    writeString(w, f, RAW);
    writeString(w, v, RAW);
  }
  return { type: RDB_TYPE.HASH, body: w.take() };
}

/** RDB_TYPE_ZSET: scores as length-prefixed text (253 nan, 254 +inf, 255 -inf). */
function textZset(entries: [string, string][]): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLen(w, entries.length);
  for (const [m, s] of entries) {
    writeString(w, m, RAW);
    if (s === 'inf') w.u8(254);
    else if (s === '-inf') w.u8(255);
    else {
      w.u8(s.length);
      w.latin1(s);
    }
  }
  return { type: RDB_TYPE.ZSET, body: w.take() };
}

function blob(type: number, bytes: Buffer, head: Buffer = Buffer.alloc(0)): { type: number; body: Buffer } {
  const w = new ByteWriter();
  w.bytes(head);
  writeString(w, bytes, RAW);
  return { type, body: w.take() };
}

describe('encodings Redis no longer writes load as in redis-server 7.0', () => {
  test('plain types, ziplists, zipmaps, quicklist v1, intsets, text scores, expiry in seconds, release-candidate functions, empty keys', async () => {
    const future = Math.floor(Date.now() / 1000) + 5000;
    const file = new RdbBuilder(9)
      .aux('redis-ver', '5.0.14')
      .functionPreGa('oldlib', 'LUA', 'an old library', "redis.register_function('oldf', function() return 'old' end)")
      .select(0)
      .key(plainList(['a', 'b', '1', 'x'.repeat(100)]), 'list:plain')
      .key(plainSet(['x', 'y', '3']), 'set:plain')
      .key(plainSet(['1', '2', '-3']), 'set:plainints')
      .key(plainHash([['f', 'v'], ['n', '12'], ['long', 'y'.repeat(80)]]), 'hash:plain')
      .key(textZset([['a', '1.5'], ['b', 'inf'], ['c', '-2'], ['d', '-inf'], ['e', '3e5']]), 'zset:text', { expireSeconds: future })
      .key(legacy.listZiplist(['z1', '2', '-300', 'big'.repeat(30)]), 'list:ziplist')
      .key(legacy.listQuicklist(Array.from({ length: 50 }, (_, i) => `q${i}`), 8), 'list:quicklist1', { idle: 50 })
      .key(legacy.hashZipmap([['a', '1'], ['bb', 'two']]), 'hash:zipmap', { freq: 7 })
      .key(legacy.hashZiplist([['k1', 'v1'], ['k2', '2']]), 'hash:ziplist', { expireMs: BigInt(Date.now() + 9_000_000) })
      .key(legacy.zsetZiplist([['m3', -7], ['m1', 1], ['m2', 2.25]]), 'zset:ziplist')
      .key(blob(RDB_TYPE.SET_INTSET, encodeIntset(['5', '-100000', '7000000000'])), 'set:intset')
      .key(plainList([]), 'list:empty')
      .select(2)
      .key({ type: RDB_TYPE.STRING, body: Buffer.from([0xc0, 0x7b]) }, 'encoded:int8')
      .finish();
    const dir = dirWith(file);
    dirs.push(dir);
    const ref = await startRedis(['--dir', dir]);
    const red = await startRedoubt(['--dir', dir]);
    const rc = new Redis({ port: ref.port, host: ref.host });
    const dc = new Redis({ port: red.port, host: red.host });
    try {
      await untilLoaded(dc);
      let compared = 0;
      for (const db of [0, 2]) {
        const keys = await keysOf(rc, db);
        assert.deepEqual((await keysOf(dc, db)).map((k) => k.latin1Slice()), keys.map((k) => k.latin1Slice()));
        for (const k of keys) {
          await rc.select(db);
          await dc.select(db);
          assert.deepEqual(await contents(dc, k, true), await contents(rc, k, true), `db ${db} key ${k.latin1Slice()}`);
          compared++;
        }
      }
      assert.equal(compared, 12);
      assert.deepEqual(await dc.function('LIST', 'WITHCODE'), await rc.function('LIST', 'WITHCODE'));
      assert.equal(await dc.fcall('oldf', 0), 'old');
      assert.match(red.output(), /rdbLoadObject skipping empty key: list:empty/);
    } finally {
      rc.disconnect();
      dc.disconnect();
      await ref.stop();
      await red.stop();
    }
  });
});

describe('RDB 11 and 12', () => {
  // Streams with consumer active times (type 21) come from valkey-server 8.0.1 in rdb-load.test.ts.
  test('sets as listpacks load from version-11 and version-12 files, and are unknown in version 10', async () => {
    const lp = new ListpackBuilder();
    for (const m of ['a', 'b', '7']) lp.append(m);
    const set = blob(RDB_TYPE.SET_LISTPACK, lp.finish());
    for (const version of [11, 12]) {
      const s = new InProcessServer();
      const file = new RdbBuilder(version).aux('valkey-ver', '8.0.1').select(0).key(set, 'lpset').finish();
      const r = await loadRdb(s.server, file, { source: 'mem' });
      assert.equal(r.keysLoaded, 1);
      assert.match(s.ok(['SMEMBERS', 'lpset']), /\*3\r\n/);
    }
    // The same record in a version-10 file is an unknown type there.
    const s = new InProcessServer();
    await assert.rejects(loadRdb(s.server, new RdbBuilder(10).select(0).key(set, 'lpset').finish(), { source: 'mem' }), /Unknown RDB value type 20/);
  });

  test('a hash with field expiration (Redis 7.4) loads; a damaged one is refused, never half-loaded', async () => {
    const lp = new ListpackBuilder();
    for (const e of ['b', '2', '4102444800000', 'a', '1', '0']) lp.append(e);
    const min = Buffer.alloc(8);
    min.writeBigInt64LE(4102444800000n);
    const good = blob(RDB_TYPE.HASH_LISTPACK_EX, lp.finish(), min);
    const s = new InProcessServer();
    const r = await loadRdb(s.server, new RdbBuilder(12).select(0).key(good, 'hfe').finish(), { source: 'mem' });
    assert.equal(r.keysLoaded, 1);
    assert.equal(s.ok(['HPEXPIRETIME', 'hfe', 'FIELDS', '2', 'a', 'b']), '*2\r\n:-1\r\n:4102444800000\r\n');
    const t = new InProcessServer();
    const file = new RdbBuilder(12).select(0).key({ type: 0, body: Buffer.from([1, 0x61]) }, 'kept').key({ type: RDB_TYPE.HASH_LISTPACK_EX, body: Buffer.alloc(16) }, 'hfe').finish();
    await assert.rejects(loadRdb(t.server, file, { source: 'mem' }), (err: unknown) => {
      assert.ok(err instanceof RdbLoadError);
      assert.match(err.message, /^Bad RDB file mem at offset \d+: .*key 'hfe'/);
      return true;
    });
    assert.equal(t.server.dbs[0]?.size, 0);
  });
});

describe('an RDB preamble inside a larger buffer (the AOF loader)', () => {
  test('loads from an offset, stops at the RDB end, keeps expired keys when asked', async () => {
    const str = { type: 0, body: Buffer.from([1, 0x61]) };
    const rdb = new RdbBuilder(10).aux('aof-preamble', '1').select(0).key(str, 'live').key(str, 'past', { expireMs: 1000n }).finish();
    const tail = Buffer.from('*2\r\n$3\r\nDEL\r\n$4\r\nlive\r\n');
    const buf = Buffer.concat([Buffer.from('junk'), rdb, tail]);
    const s = new InProcessServer();
    const r = await loadRdb(s.server, buf, { source: 'appendonly.aof', start: 4, trailing: true, keepExpired: true });
    assert.equal(r.end, 4 + rdb.length);
    assert.equal(r.keysLoaded, 2);
    assert.equal(s.server.dbs[0]?.data.has('past'), true);
    // Without `trailing`, the commands after it are trailing garbage.
    const t = new InProcessServer();
    await assert.rejects(loadRdb(t.server, buf, { source: 'x', start: 4 }), /bytes of trailing data after the end of the RDB file/);
    // Without `keepExpired`, the past key is skipped and counted.
    const u = new InProcessServer();
    const v = await loadRdb(u.server, Buffer.concat([rdb]), { source: 'x' });
    assert.deepEqual([v.keysLoaded, v.keysExpired], [1, 1]);
    assert.match(u.bulk(['INFO', 'persistence']), /rdb_last_load_keys_expired:1\r\n/);
  });
});
