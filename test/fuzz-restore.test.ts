// RESTORE fuzzer: DUMPs of every type and encoding taken from a real redis-server 7.0 (plus the
// legacy encodings it still loads), mutated (byte flips, boundary integers, insertions, deletions,
// repeats, truncations, splices of two seeds, another type byte) with the CRC64 recomputed, so
// the value decoder itself is attacked rather than the checksum. Every payload Redoubt accepts is
// then read and written through its type's commands and must DUMP and RESTORE back to the same
// bytes. The server must stay up, answer PING and keep its RSS bounded.
// Sizes: FUZZ_PAYLOADS, FUZZ_SEED (see helpers/fuzz.ts); `npm run fuzz` runs long.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerPair } from './helpers/servers.js';
import { Rng, assertHealthy, fuzzSeed, fuzzSize, memoryOf, report } from './helpers/fuzz.js';
import { dumpPayload, listBomb } from './helpers/rdb-bombs.js';
import { legacy } from './helpers/rdb-legacy.js';
import { crc64, crc64Bytes } from '../src/persistence/rdb/crc64.js';

const PAYLOADS = fuzzSize('PAYLOADS', 2000, 200_000);
const SEED = fuzzSeed(0x5eed_0002);
const BATCH = 50;
const RSS_HEADROOM = 768 * 2 ** 20;

// Small listpack nodes, compressed interior nodes and short stream nodes: more encodings to seed from.
const { redoubt, redisClient: ref, redoubtClient: cli } = useServerPair({
  redisArgs: ['--list-max-listpack-size', '4', '--list-compress-depth', '1', '--stream-node-max-entries', '3'],
  redisClient: {},
  redoubtClient: { commandTimeout: 60000 },
});

/** Keys of every type and encoding, built in Redis and DUMPed there. */
async function seeds(): Promise<Buffer[]> {
  const r = ref;
  await r.flushall();
  const big = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  await r.set('str:int', '12345');
  await r.set('str:neg', '-9223372036854775808');
  await r.set('str:short', 'hello');
  await r.set('str:empty', '');
  await r.set('str:lzf', 'abc'.repeat(60));
  await r.set('str:raw', Buffer.from(big(300, (i) => String.fromCharCode((i * 73) % 256)).join(''), 'latin1'));
  await r.rpush('list:small', 'a', 'b', '1', '-2', '70000', '9223372036854775807');
  await r.rpush('list:nodes', ...big(60, (i) => (i % 3 === 0 ? String(i * 1000) : `element-${i % 7}-${'z'.repeat(i % 20)}`)));
  await r.rpush('list:long', 'x'.repeat(5000), 'y', 'x'.repeat(70));
  await r.sadd('set:int16', 1, 2, 3, -7);
  await r.sadd('set:int32', 70000, -70000, 5);
  await r.sadd('set:int64', '1099511627776', '-9223372036854775808', '0');
  await r.sadd('set:strings', 'a', 'b', 'c', '');
  await r.sadd('set:bigints', ...big(600, (i) => String(i * 3)));
  await r.zadd('zset:small', 1, 'a', 2.5, 'b', -3, 'c', 'inf', 'd', '-inf', 'e');
  await r.zadd('zset:skiplist', ...big(200, (i) => [String(i % 17 === 0 ? i / 3 : i), `m${i}`]).flat());
  await r.zadd('zset:long', 0, 'q'.repeat(100));
  await r.hset('hash:small', 'f', 'v', 'n', '12', 'e', '');
  await r.hset('hash:table', ...big(600, (i) => [`f${i}`, String(i)]).flat());
  await r.hset('hash:long', 'f', 'v'.repeat(100));
  for (let i = 0; i < 8; i++) await r.xadd('stream:plain', '*', 'f', String(i), ...(i % 3 === 0 ? ['g', 'x'] : []));
  const third = ((await r.xrange('stream:plain', '-', '+')) as [string, string[]][])[2];
  assert.ok(third !== undefined);
  await r.xdel('stream:plain', third[0]);
  await r.xadd('stream:groups', '1-1', 'a', '1');
  await r.xadd('stream:groups', '2-1', 'a', '2', 'b', '3');
  await r.xadd('stream:groups', '3-1', 'c', '4');
  await r.xgroup('CREATE', 'stream:groups', 'g1', '0');
  await r.xgroup('CREATE', 'stream:groups', 'g2', '$');
  await r.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', '2', 'STREAMS', 'stream:groups', '>');
  await r.xreadgroup('GROUP', 'g1', 'bob', 'STREAMS', 'stream:groups', '>');
  await r.xack('stream:groups', 'g1', '1-1');
  await r.call('XGROUP', 'CREATECONSUMER', 'stream:groups', 'g2', 'carol');
  await r.xadd('stream:empty', 'MAXLEN', '0', '5-5', 'f', 'v');
  const out: Buffer[] = [];
  for (const key of await r.keys('*')) {
    out.push(await r.dumpBuffer(key));
  }
  // The encodings Redis 7.0 loads but no longer writes, and a small LZF listpack of repeats.
  const items = ['a', '1', '-300', '70000', 'x'.repeat(70), ''];
  const legacyValues = [
    legacy.listZiplist(items),
    legacy.listQuicklist(items, 2),
    legacy.hashZiplist([['f', 'v'], ['1', '2']]),
    legacy.hashZipmap([['f', 'v'], ['field', 'x'.repeat(300)]]),
    legacy.zsetZiplist([['a', 1], ['b', 2.5]]),
    listBomb(1000),
  ];
  for (const v of legacyValues) out.push(dumpPayload(v.type, v.body));
  return out;
}

/** Boundary values integers in payloads are overwritten with. */
const BOUNDARY = [0, 1, 0x7f, 0x80, 0xfe, 0xff];
const WIDE = ['00000000', 'ffffffff', '7fffffff', '80000000', '0000ffff', 'ffffffffffffffff', '7fffffffffffffff', '0100000000000000'];

/** A seed's body (type byte and value) with 1 to 4 edits, then the DUMP footer and a fresh CRC64. */
function mutant(seedsList: readonly Buffer[], r: Rng): Buffer {
  const seed = r.pick(seedsList);
  let b = Buffer.from(seed.subarray(0, seed.length - 10));
  const edits = 1 + r.int(4);
  for (let e = 0; e < edits; e++) {
    const at = r.int(Math.max(1, b.length));
    switch (r.int(10)) {
      case 0:
        b[at] = r.int(256);
        break;
      case 1:
        b[at] = r.pick(BOUNDARY);
        break;
      case 2: {
        const wide = Buffer.from(r.pick(WIDE), 'hex');
        wide.copy(b, at, 0, Math.min(wide.length, b.length - at));
        break;
      }
      case 3:
        b = Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(16)), b.subarray(at)]);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(16))]);
        break;
      case 5: {
        const end = Math.min(b.length, at + 1 + r.int(64));
        const times = 1 + r.int(4);
        b = Buffer.concat([b.subarray(0, end), ...Array.from({ length: times }, () => b.subarray(at, end)), b.subarray(end)]);
        break;
      }
      case 6:
        b = b.subarray(0, Math.max(1, at));
        break;
      case 7: {
        const other = r.pick(seedsList);
        const cut = r.int(Math.max(1, other.length - 10));
        b = Buffer.concat([b.subarray(0, at), other.subarray(cut, other.length - 10)]);
        break;
      }
      case 8:
        b[0] = r.pick([0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
        break;
      default:
        b[at] = ((b[at] ?? 0) + (r.chance(0.5) ? 1 : -1)) & 0xff;
    }
  }
  const version = r.chance(0.02) ? r.int(12) : 10;
  const head = Buffer.concat([b, Buffer.from([version, 0])]);
  return Buffer.concat([head, crc64Bytes(crc64(head))]);
}

/** Commands that read and change a value of `type` at `key` (errors are fine, crashes are not). */
function exercise(type: string, key: string): string[][] {
  const common = [['OBJECT', 'ENCODING', key], ['MEMORY', 'USAGE', key], ['COPY', key, `${key}:copy`, 'REPLACE'], ['TYPE', key]];
  switch (type) {
    case 'string':
      return [...common, ['GET', key], ['STRLEN', key], ['GETRANGE', key, '-5', '-1'], ['APPEND', key, 'x'], ['INCR', key], ['SETRANGE', key, '3', 'y'], ['BITCOUNT', key], ['PFCOUNT', key]];
    case 'list':
      return [...common, ['LRANGE', key, '0', '-1'], ['LLEN', key], ['LINDEX', key, '-1'], ['LPOS', key, '1'], ['RPUSH', key, 'tail'], ['LINSERT', key, 'BEFORE', '1', 'ins'], ['LSET', key, '0', 'set'], ['LREM', key, '0', 'a'], ['SORT', key, 'ALPHA', 'LIMIT', '0', '5'], ['LPOP', key]];
    case 'set':
      return [...common, ['SMEMBERS', key], ['SCARD', key], ['SRANDMEMBER', key, '-5'], ['SISMEMBER', key, '1'], ['SINTER', key, key], ['SADD', key, 'new', '77'], ['SORT', key, 'ALPHA', 'LIMIT', '0', '5'], ['SSCAN', key, '0', 'COUNT', '100'], ['SPOP', key]];
    case 'zset':
      return [...common, ['ZRANGE', key, '0', '-1', 'WITHSCORES'], ['ZCARD', key], ['ZRANGEBYSCORE', key, '-inf', '+inf', 'LIMIT', '0', '10'], ['ZRANGEBYLEX', key, '-', '+'], ['ZRANDMEMBER', key, '-3', 'WITHSCORES'], ['ZADD', key, '1.5', 'new'], ['ZINCRBY', key, '2', 'new'], ['ZSCAN', key, '0'], ['ZPOPMIN', key]];
    case 'hash':
      return [...common, ['HGETALL', key], ['HLEN', key], ['HRANDFIELD', key, '-3', 'WITHVALUES'], ['HSET', key, 'new', 'v'], ['HINCRBY', key, 'n', '1'], ['HSCAN', key, '0'], ['HDEL', key, 'f']];
    case 'stream':
      return [...common, ['XRANGE', key, '-', '+'], ['XREVRANGE', key, '+', '-', 'COUNT', '3'], ['XLEN', key], ['XINFO', 'STREAM', key, 'FULL'], ['XINFO', 'GROUPS', key], ['XADD', key, '*', 'f', 'v'], ['XTRIM', key, 'MAXLEN', '2'], ['XREAD', 'COUNT', '2', 'STREAMS', key, '0']];
    default:
      return common;
  }
}

test(`RESTORE fuzzing: ${PAYLOADS} mutated payloads`, async (t) => {
  const started = Date.now();
  const pid = redoubt.process.pid;
  assert.ok(pid !== undefined);
  const baseline = memoryOf(pid).rss;
  const maxRss = baseline + RSS_HEADROOM;
  const seedsList = await seeds();
  assert.ok(seedsList.length >= 25, `${seedsList.length} seeds`);
  // Every seed loads as it is.
  for (const s of seedsList) assert.equal(await cli.restore('seed', 0, s, 'REPLACE'), 'OK');
  const r = new Rng(SEED);
  let tried = 0;
  let accepted = 0;
  let peak = baseline;
  while (tried < PAYLOADS) {
    const n = Math.min(BATCH, PAYLOADS - tried);
    const payloads = Array.from({ length: n }, () => mutant(seedsList, r));
    tried += n;
    const restoring = cli.pipeline();
    payloads.forEach((p, i) => restoring.restore(`fz${i}`, 0, p, 'REPLACE'));
    const results = (await restoring.exec()) ?? [];
    const ok = results.flatMap(([err], i) => (err === null ? [i] : []));
    for (const [err] of results) {
      if (err !== null) assert.match(err.message, /^(ERR Bad data format|ERR DUMP payload version or checksum are wrong)$/);
    }
    accepted += ok.length;
    // What was accepted must DUMP, RESTORE from that DUMP, and DUMP the same again.
    for (const i of ok) {
      const key = `fz${i}`;
      const hex = payloads[i]?.toString('hex');
      const first = await cli.dumpBuffer(key);
      assert.equal(await cli.restore(`${key}:rt`, 0, first, 'REPLACE'), 'OK', `re-RESTORE of ${hex}`);
      assert.deepEqual(await cli.dumpBuffer(`${key}:rt`), first, `DUMP round trip of ${hex}`);
      const type = await cli.type(key);
      const reads = cli.pipeline();
      for (const [name, ...args] of exercise(type, key)) if (name !== undefined) reads.call(name, ...args);
      await reads.exec();
    }
    if ((tried / BATCH) % 10 === 0) {
      peak = Math.max(peak, await assertHealthy(redoubt, maxRss));
      await cli.flushall();
    }
  }
  peak = Math.max(peak, await assertHealthy(redoubt, maxRss), memoryOf(pid).peak);
  t.diagnostic(report('restore', SEED, { payloads: tried, accepted, seeds: seedsList.length }, started, peak));
  assert.ok(accepted > 0);
});
