// RESTORE against decompression and declared-size bombs, side by side with redis-server 7.0: a
// 3.4 MB payload (valid CRC64) whose LZF listpack expands to 300 MB and 150 million entries used to
// abort V8 ("invalid size"). Every bomb must either load within the documented budget or be refused
// with Redis's "ERR Bad data format"; the server must keep answering other connections and its
// peak RSS must stay bounded. The same bombs inside whole RDB files load in redis-server (proving
// the generator), and the shared value decoder holds them to a budget in process.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, useServerPair } from './helpers/servers.js';
import { errorMessage } from './helpers/rejection.js';
import {
  declaredCountBomb,
  dumpPayload,
  listBomb,
  listpackBombParts,
  lzfClaimBomb,
  lzfStream,
  manyNodeListBomb,
  rdbFile,
  stringBomb,
  writeLzfString,
  ziplistBomb,
} from './helpers/rdb-bombs.js';
import { ByteReader, ByteWriter, RdbFormatError } from '../src/persistence/rdb/bytes.js';
import { RDB_TYPE } from '../src/persistence/rdb/types.js';
import { lzfDecompress } from '../src/persistence/rdb/lzf.js';
import { decodeValue, DEFAULT_LOAD_OPTIONS } from '../src/persistence/rdb/value.js';
import { DecodeBudget, MAX_STRING_BYTES } from '../src/persistence/rdb/budget.js';
import type { ListValue } from '../src/store/list.js';

const MB = 1024 * 1024;
const BAD = 'ERR Bad data format';

const { redoubt, redisClient: ref, redoubtClient: cli } = useServerPair({
  redisClient: { commandTimeout: 60000 },
  redoubtClient: { commandTimeout: 60000 },
});
/** A second connection: the server must keep answering it while (and after) a bomb is handled. */
let other: Redis;

/** A process's resident and peak resident memory, in bytes, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * Redoubt's memory now; the peak (VmHWM) is reset first, so a later reading's peak is the highest
 * RSS since this call.
 */
function redoubtMemory(resetPeak = true): { rss: number; peak: number } {
  const pid = redoubt.process.pid;
  assert.ok(pid !== undefined);
  const m = memoryOf(pid);
  if (resetPeak) writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return m;
}

/** How far the peak RSS rose since `before` was taken. */
function peakGrowth(before: { rss: number }): number {
  return redoubtMemory(false).peak - before.rss;
}

async function restoreReply(c: Redis, key: string, payload: Buffer): Promise<string> {
  return c.restore(key, 0, payload, 'REPLACE').catch(errorMessage);
}

/** Redoubt is up and serving: PING on another connection, and a write/read round trip. */
async function assertServing(): Promise<void> {
  assert.equal(await other.ping(), 'PONG');
  await other.set('alive', 'yes');
  assert.equal(await other.get('alive'), 'yes');
  assert.equal(redoubt.process.exitCode, null, 'the server exited');
}

describe('RESTORE decompression bombs', () => {
  // Inside the suite: its hooks run once the server pair's have.
  before(async () => {
    other = new Redis({ port: redoubt.port, lazyConnect: true });
    await other.connect();
  });
  after(() => {
    other.disconnect();
  });

  test('a 3.4 MB LZF listpack of 150 million entries: Redis loads it, Redoubt refuses it and stays small', async () => {
    const bomb = listBomb(150_000_000);
    const payload = dumpPayload(bomb.type, bomb.body);
    assert.ok(payload.length < 3.5 * MB, `payload is ${payload.length} bytes`);
    // Redis accepts it (and, its node count being 16 bits, then reports a wrong LLEN).
    assert.equal(await restoreReply(ref, 'bomb', payload), 'OK');
    await ref.flushall();

    const before = redoubtMemory();
    // While the bomb is being handled, another client's commands wait for it, then succeed.
    const [reply, pong] = await Promise.all([restoreReply(cli, 'bomb', payload), other.ping()]);
    assert.equal(reply, BAD);
    assert.equal(pong, 'PONG');
    await assertServing();
    // Measured through a small window: the 300 MB expansion is never allocated.
    const grown = peakGrowth(before);
    assert.ok(grown < 100 * MB, `peak RSS grew by ${grown / MB} MB`);
    assert.equal(await cli.exists('bomb'), 0);

    // Again, to be sure nothing accumulates from one refusal to the next.
    const before2 = redoubtMemory();
    assert.equal(await restoreReply(cli, 'bomb', payload), BAD);
    await assertServing();
    const grown2 = peakGrowth(before2);
    assert.ok(grown2 < 100 * MB, `peak RSS grew by ${grown2 / MB} MB`);
  });

  test('the same bomb as an old-style ziplist: refused the same way', async () => {
    const bomb = ziplistBomb(150_000_000);
    const payload = dumpPayload(bomb.type, bomb.body);
    const before = redoubtMemory();
    assert.equal(await restoreReply(cli, 'zbomb', payload), BAD);
    await assertServing();
    const grown = peakGrowth(before);
    assert.ok(grown < 100 * MB, `peak RSS grew by ${grown / MB} MB`);
    // A small one loads, and reads as Redis reads it.
    const small = ziplistBomb(1000);
    const smallPayload = dumpPayload(small.type, small.body);
    assert.equal(await restoreReply(ref, 'zsmall', smallPayload), 'OK');
    assert.equal(await restoreReply(cli, 'zsmall', smallPayload), 'OK');
    assert.equal(await cli.llen('zsmall'), await ref.llen('zsmall'));
    assert.deepEqual(await cli.lrange('zsmall', 0, -1), await ref.lrange('zsmall', 0, -1));
    await Promise.all([cli.del('zsmall'), ref.flushall()]);
  });

  test('a bomb small enough for the budget loads, with its true length', async () => {
    const bomb = listBomb(2_000_000);
    const payload = dumpPayload(bomb.type, bomb.body);
    assert.equal(await restoreReply(ref, 'fits', payload), 'OK');
    assert.equal(await restoreReply(cli, 'fits', payload), 'OK');
    assert.equal(await cli.llen('fits'), 2_000_000);
    assert.deepEqual(await cli.lrange('fits', -2, -1), ['1', '1']);
    assert.deepEqual(await cli.lrange('fits', 0, 1), await ref.lrange('fits', 0, 1));
    await Promise.all([cli.del('fits'), ref.flushall()]);
    await assertServing();
  });

  test('many bomb nodes: the budget counts across nodes, and refuses before the heap fills', async () => {
    // 8 nodes of 20 million entries: each fits alone, together they do not.
    const bomb = manyNodeListBomb(8, 20_000_000);
    const payload = dumpPayload(bomb.type, bomb.body);
    assert.ok(payload.length < 4 * MB);
    const before = redoubtMemory();
    assert.equal(await restoreReply(cli, 'nodes', payload), BAD);
    await assertServing();
    const grown = peakGrowth(before);
    assert.ok(grown < 900 * MB, `peak RSS grew by ${grown / MB} MB`);
  });

  test('a string longer than V8 can hold is refused before it is expanded', async () => {
    const bomb = stringBomb(MAX_STRING_BYTES + 12);
    const payload = dumpPayload(bomb.type, bomb.body);
    assert.ok(payload.length < 7 * MB);
    const before = redoubtMemory();
    assert.equal(await restoreReply(cli, 's', payload), BAD);
    await assertServing();
    assert.ok(peakGrowth(before) < 64 * MB, 'the string was expanded before being refused');
  });

  test('a string bomb that fits loads intact, as in Redis', async () => {
    const bomb = stringBomb(50 * MB);
    const payload = dumpPayload(bomb.type, bomb.body);
    for (const c of [ref, cli]) {
      assert.equal(await restoreReply(c, 's', payload), 'OK');
      assert.equal(await c.strlen('s'), 50 * MB);
      assert.equal(await c.getrange('s', 50 * MB - 3, -1), 'aaa');
      await c.del('s');
    }
    await assertServing();
  });

  test('an LZF header claiming 32 TB of output: refused at once, nothing allocated (Redis: the same error)', async () => {
    for (const type of [RDB_TYPE.STRING, RDB_TYPE.LIST_QUICKLIST_2]) {
      const bomb = lzfClaimBomb(type, 2 ** 45);
      const payload = dumpPayload(bomb.type, bomb.body);
      const before = redoubtMemory();
      assert.equal(await restoreReply(ref, 'claim', payload), BAD);
      assert.equal(await restoreReply(cli, 'claim', payload), BAD);
      assert.ok(peakGrowth(before) < 32 * MB);
    }
    await assertServing();
  });

  test('declared counts far beyond the payload: Bad data format at once, without a loop of 2^40', async () => {
    // Redis 7.0 answers the same for a plain list; for sets, hashes and sorted sets it first
    // sizes a table for the declared count and stalls or exits, so those are not sent to it.
    const list = declaredCountBomb(RDB_TYPE.LIST, 2 ** 40, 16);
    assert.equal(await restoreReply(ref, 'count', dumpPayload(list.type, list.body)), BAD);
    for (const type of [RDB_TYPE.LIST, RDB_TYPE.SET, RDB_TYPE.ZSET_2, RDB_TYPE.HASH, RDB_TYPE.LIST_QUICKLIST_2]) {
      const bomb = declaredCountBomb(type, 2 ** 40, 16);
      const t0 = Date.now();
      assert.equal(await restoreReply(cli, 'count', dumpPayload(bomb.type, bomb.body)), BAD, `type ${type}`);
      assert.ok(Date.now() - t0 < 1000);
    }
    await assertServing();
  });

  test('40 million one-byte list elements in a 40 MB payload: refused before the loop, Redis loads them', async () => {
    // No compression: the count is the attack, and each element is one byte of the request.
    const bomb = declaredCountBomb(RDB_TYPE.LIST, 40_000_000, 40_000_000);
    const payload = dumpPayload(bomb.type, bomb.body);
    assert.equal(await restoreReply(ref, 'many', payload), 'OK');
    assert.equal(await ref.llen('many'), 40_000_000);
    await ref.flushall();
    const before = redoubtMemory();
    assert.equal(await restoreReply(cli, 'many', payload), BAD);
    await assertServing();
    // The request itself (40 MB, held as a string and as a Buffer) is all it costs.
    const grown = peakGrowth(before);
    assert.ok(grown < 300 * MB, `peak RSS grew by ${grown / MB} MB`);
  });

  test('an intset declaring 20 million members is refused before any is built', async () => {
    // Redis 7.0 checks only the intset's size here (sanitize-dump-payload no), then asserts on
    // the duplicates while converting it to a hash table: not sent to the reference server.
    const count = 20_000_000;
    const head = Buffer.alloc(10);
    head.writeUInt32LE(2, 0);
    head.writeUInt32LE(count, 4);
    const w = new ByteWriter();
    writeLzfString(w, [{ literal: head }, { distance: 2, length: 2 * count - 2 }]);
    const payload = dumpPayload(RDB_TYPE.SET_INTSET, w.take());
    const before = redoubtMemory();
    assert.equal(await restoreReply(cli, 'ints', payload), BAD);
    await assertServing();
    const grown = peakGrowth(before);
    assert.ok(grown < 64 * MB, `peak RSS grew by ${grown / MB} MB`);
  });
});

describe('the same bombs in RDB files', () => {
  test('the generator writes RDB files redis-server loads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'redoubt-bomb-'));
    try {
      writeFileSync(path.join(dir, 'bomb.rdb'), rdbFile('bomb', listBomb(60_000)));
      const loaded = await startRedis(['--dir', dir, '--dbfilename', 'bomb.rdb']);
      const c = new Redis({ port: loaded.port });
      try {
        assert.equal(await c.llen('bomb'), 60_000);
        assert.equal(await c.lindex('bomb', -1), '1');
      } finally {
        c.disconnect();
        await loaded.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the shared value decoder holds an RDB file value to its budget', () => {
    const file = rdbFile('bomb', listBomb(5_000_000));
    // Skip to the value: header, two aux fields, SELECTDB, RESIZEDB, type, key.
    const at = file.indexOf(Buffer.from([RDB_TYPE.LIST_QUICKLIST_2, 4, ...Buffer.from('bomb')]));
    assert.ok(at > 0);
    const value = (): ByteReader => new ByteReader(file, at + 6);
    assert.throws(() => decodeValue(RDB_TYPE.LIST_QUICKLIST_2, value(), DEFAULT_LOAD_OPTIONS, new DecodeBudget(64 * MB)), RdbFormatError);
    const list = decodeValue(RDB_TYPE.LIST_QUICKLIST_2, value(), DEFAULT_LOAD_OPTIONS, new DecodeBudget(1024 * MB)) as ListValue;
    assert.equal(list.length, 5_000_000);
  });

  test('LZF refuses impossible expansion claims and decodes long overlapping references exactly', () => {
    const packed = lzfStream([{ literal: Buffer.from('abc') }, { distance: 3, length: 3000 }]);
    assert.equal(lzfDecompress(packed, 3003)?.toString(), 'abc'.repeat(1001));
    assert.equal(lzfDecompress(packed, 3004), null);
    assert.equal(lzfDecompress(packed, packed.length * 89), null);
    const lp = lzfStream(listpackBombParts(1000));
    const out = lzfDecompress(lp, 6 + 2000 + 1);
    assert.ok(out !== null);
    assert.equal(out.readUInt32LE(0), 2007);
    for (let i = 6; i < 2006; i++) assert.equal(out[i], 1);
    assert.equal(out[2006], 0xff);
  });
});
