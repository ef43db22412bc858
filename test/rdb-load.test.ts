// Loading RDB files made by the real servers: redis-server 7.0 (RDB 10) and valkey-server 8.0.1
// (RDB 11) fill every type in every encoding, streams with consumer groups and pending entries,
// functions, TTLs and several databases, then SAVE; Redoubt starts on that file and must hold the
// same data, read key by key through each type's own commands (encodings may differ between
// servers) and compared with the source server that is still running. While it loads, clients
// get -LOADING and INFO shows the progress.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt, startValkey, type RunningServer } from './helpers/servers.js';
import { contents, keysOf, untilLoaded } from './helpers/rdb-files.js';

const DBS = [0, 1, 5];

/** Writes the same data set, every type and encoding, on a reference server. */
async function fill(c: Redis): Promise<void> {
  await c.select(0);
  const p = c.pipeline();
  p.set('str:int', '12345');
  p.set('str:neg', '-42');
  p.set('str:i64', '9223372036854775807');
  p.set('str:emb', 'hello');
  p.set('str:raw', 'x'.repeat(100));
  p.set('str:lzf', 'abc'.repeat(1000));
  p.set(Buffer.from('str:bin\x00\xff', 'latin1'), Buffer.from([0, 1, 2, 255, 254, 13, 10]));
  p.set('str:empty', '');
  p.rpush('list:small', 'a', 'b', '1', '-7', 'c'.repeat(70));
  for (let i = 0; i < 2000; i += 100) {
    p.rpush('list:big', ...Array.from({ length: 100 }, (_, j) => (j % 3 === 0 ? String(i + j) : `item-${i + j}-${'z'.repeat((i + j) % 90)}`)));
  }
  p.lpush('list:lpushed', ...Array.from({ length: 300 }, (_, j) => `l${j}`));
  p.sadd('set:int', ...Array.from({ length: 100 }, (_, j) => String(j * 7 - 50)));
  p.sadd('set:small', 'a', 'b', 'c', '1');
  p.sadd('set:big', ...Array.from({ length: 1000 }, (_, j) => `member-${j}`));
  p.sadd('set:bigint', ...Array.from({ length: 1000 }, (_, j) => String(j * 1000003)));
  p.zadd('zset:small', 1, 'a', 2.5, 'b', -3, 'c', 1e300, 'd', 'inf', 'e', '-inf', 'f', 0.1, 'g');
  p.zadd('zset:big', ...Array.from({ length: 500 }, (_, j) => [String(j / 7), `zm-${j}`]).flat());
  p.zadd('zset:longmember', 1, 'm'.repeat(100), 2, 'short');
  p.hset('hash:small', 'f1', 'v1', 'f2', '2', 'f3', '-3', 'f4', 'v'.repeat(40));
  p.hset('hash:big', ...Array.from({ length: 1000 }, (_, j) => [`field-${j}`, `value-${j}`]).flat());
  p.hset('hash:longval', 'f', 'q'.repeat(100), 'g', 'h');
  await p.exec();
  // A stream of several nodes, with deletions, two groups, pending entries and consumers.
  for (let i = 1; i <= 300; i++) {
    const fields = i % 10 === 0 ? ['other', String(i), 'extra', 'e'] : ['name', `n${i}`, 'value', String(i)];
    await c.xadd('stream', `${1000 + i}-${i % 3}`, ...fields);
  }
  await c.xdel('stream', '1005-2', '1006-0', '1150-0');
  await c.xgroup('CREATE', 'stream', 'g1', '0');
  await c.xgroup('CREATE', 'stream', 'g2', '$');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', '10', 'STREAMS', 'stream', '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', '5', 'STREAMS', 'stream', '>');
  await c.xack('stream', 'g1', '1001-1', '1003-0');
  await c.xgroup('CREATECONSUMER', 'stream', 'g2', 'carol');
  await c.xadd('stream:empty', '5-5', 'a', 'b');
  await c.xdel('stream:empty', '5-5');
  // Times to live, as seconds, milliseconds and absolute times.
  await c.set('ttl:ex', 'v', 'EX', 1000);
  await c.set('ttl:px', 'v', 'PX', 5000000);
  await c.rpush('ttl:list', 'a', 'b');
  await c.pexpireat('ttl:list', Date.now() + 86400000);
  // Other databases.
  await c.select(1);
  await c.set('db1:a', '1');
  await c.hset('db1:h', 'x', 'y');
  await c.expire('db1:h', 7200);
  await c.select(5);
  await c.sadd('db5:s', 'only');
  await c.set('str:int', 'same key name, other db');
  await c.select(0);
  // Functions.
  await c.function('LOAD', "#!lua name=libone\nredis.register_function('one', function(keys, args) return 1 end)");
  await c.function(
    'LOAD',
    "#!lua name=libtwo\nredis.register_function{function_name='two', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}",
  );
}

function functionsOf(list: unknown): unknown {
  return (list as unknown[][]).map((lib) => JSON.stringify(lib)).sort();
}

/** Starts `reference`, fills it, saves; starts Redoubt on the file; compares every key. */
function interop(name: string, start: (args: string[]) => Promise<RunningServer>, policy: string, encodings: boolean): void {
  describe(`an RDB file saved by ${name}`, () => {
    let dir: string;
    let ref: RunningServer;
    let red: RunningServer | null = null;
    let rc: Redis;
    let dc: Redis | null = null;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'redoubt-rdb-'));
      ref = await start(['--dir', dir, '--maxmemory-policy', policy]);
      rc = new Redis({ port: ref.port, host: ref.host, lazyConnect: true });
      await rc.connect();
      await fill(rc);
      // An idle time the IDLE opcode carries (only written under an LRU policy).
      const payload = await rc.dumpBuffer('str:emb');
      await rc.restore('lru:idle', 0, payload, 'IDLETIME', 1000);
      // A key that expires between the save and the load: skipped, and counted.
      await rc.set('gone', 'soon', 'PX', 700);
      assert.equal(await rc.save(), 'OK');
    });

    after(async () => {
      rc.disconnect();
      dc?.disconnect();
      await ref.stop();
      await red?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('loads every key of every database with the same contents and TTLs', async () => {
      await new Promise((r) => setTimeout(r, 800));
      red = await startRedoubt(['--dir', dir]);
      const d = new Redis({ port: red.port, host: red.host, lazyConnect: true });
      dc = d;
      await d.connect();
      await untilLoaded(d);
      // Before anything reads it (a read is an access): the idle time the IDLE opcode carried.
      const idle = Number(await d.object('IDLETIME', 'lru:idle'));
      if (policy.includes('lru')) assert.ok(idle >= 999 && idle < 1100, `idle ${idle}`);
      let compared = 0;
      for (const db of DBS) {
        const keys = await keysOf(rc, db);
        assert.deepEqual((await keysOf(d, db)).map((k) => k.latin1Slice()), keys.map((k) => k.latin1Slice()), `keys of db ${db}`);
        for (const k of keys) {
          await rc.select(db);
          await d.select(db);
          const want = await contents(rc, k, encodings);
          assert.deepEqual(await contents(d, k, encodings), want, `db ${db} key ${k.latin1Slice()}`);
          compared++;
        }
      }
      assert.ok(compared >= 30, `compared ${compared} keys`);
      // DUMP semantics: each loaded value, dumped by Redoubt and restored into the source server,
      // reads there as the original does.
      await rc.select(0);
      await d.select(0);
      for (const k of await keysOf(rc, 0)) {
        await rc.select(0);
        const copy = Buffer.concat([Buffer.from('restored:'), k]);
        await rc.restore(copy, 0, await d.dumpBuffer(k));
        const untimed = (v: unknown): Record<string, unknown> => {
          const o = { ...(v as Record<string, unknown>) };
          delete o['ttl'];
          return o;
        };
        assert.deepEqual(untimed(await contents(rc, copy, false)), untimed(await contents(rc, k, false)), `DUMP of ${k.latin1Slice()} restored into the source`);
        await rc.del(copy);
      }
      await rc.select(0);
      await d.select(0);
      const info = await d.info('persistence');
      assert.match(info, /rdb_last_load_keys_expired:1\r\n/);
      assert.match(info, /loading:0\r\n/);
      const log = red.output();
      assert.match(log, /Done loading RDB, keys loaded: \d+, keys expired: 1\./);
      assert.match(log, /DB loaded from disk: [\d.]+ seconds/);
      assert.match(log, /Loading RDB produced by (valkey )?version/);
    });

    test('FUNCTION LIST shows the same libraries, code included, and they run', async () => {
      const d = dc;
      assert.ok(d !== null, 'the server was not started');
      assert.deepEqual(functionsOf(await d.function('LIST', 'WITHCODE')), functionsOf(await rc.function('LIST', 'WITHCODE')));
      assert.equal(await d.fcall('one', 0), 1);
      assert.equal(await d.fcall_ro('two', 1, 'str:emb'), 'hello');
    });

    test('check-rdb reads the file as OK and counts its keys', async () => {
      const { checkRdb } = await import('../src/cli/check-rdb.js');
      const lines: string[] = [];
      const status = checkRdb([path.join(dir, 'dump.rdb')], (l) => lines.push(l));
      assert.equal(status, 0, lines.join('\n'));
      const text = lines.join('\n');
      assert.match(text, /\\o\/ RDB looks OK! \\o\//);
      assert.match(text, /Checksum OK/);
      assert.match(text, /\[info\] 2 function libraries/);
      assert.match(text, /Selecting DB ID 5/);
      // Every key of the file, the one that has expired since included.
      let total = 0;
      for (const db of DBS) total += (await keysOf(rc, db)).length;
      assert.match(text, new RegExp(`\\[info\\] ${total + 1} keys read`));
    });
  });
}

interop('redis-server 7.0', startRedis, 'allkeys-lru', true);
interop('valkey-server 8.0.1', startValkey, 'allkeys-lfu', false);

describe('loading takes turns with the clients', () => {
  let dir: string;
  let red: RunningServer | null = null;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'redoubt-rdb-'));
    const ref = await startRedis(['--dir', dir, '--enable-debug-command', 'yes']);
    const c = new Redis({ port: ref.port, host: ref.host });
    await c.call('DEBUG', 'POPULATE', '600000', 'key', '20');
    await c.save();
    c.disconnect();
    await ref.stop();
  });

  after(async () => {
    await red?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('-LOADING for data commands, INFO with loading_* fields, progress lines, then every key', async () => {
    red = await startRedoubt(['--dir', dir]);
    // No ready check: ioredis would otherwise hold every command until the load is over.
    const c = new Redis({ port: red.port, host: red.host, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    after(() => c.disconnect());
    const early = await c.info('persistence');
    const loadingSeen = await untilLoaded(c);
    assert.ok(loadingSeen > 0, 'no command was refused with -LOADING');
    // INFO has the loading flag: it answered during the load.
    assert.match(early, /loading:1\r\n/);
    for (const field of ['loading_start_time', 'loading_total_bytes', 'loading_rdb_used_mem', 'loading_loaded_bytes', 'loading_loaded_perc', 'loading_eta_seconds']) {
      assert.match(early, new RegExp(`${field}:[\\d.]+\\r\\n`));
    }
    assert.equal(await c.dbsize(), 600000);
    assert.equal(await c.get('key:12345'), 'value:12345'.padEnd(20, '\0').slice(0, 20));
    assert.match(await c.info('persistence'), /rdb_last_load_keys_loaded:600000\r\n/);
    const log = red.output();
    if (/DB loaded from disk: (\d+)/.exec(log)?.[1] !== '0') {
      assert.match(log, /Loading RDB .*dump\.rdb: [\d.]+% \(\d+ of \d+ bytes\), \d+ keys, \d+ keys\/sec/);
    }
  });
});

describe('the file is read from dir/dbfilename', () => {
  test('a missing file starts an empty server; another dbfilename is read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'redoubt-rdb-'));
    const ref = await startRedis(['--dir', dir, '--dbfilename', 'other.rdb']);
    const rc = new Redis({ port: ref.port, host: ref.host });
    await rc.set('k', 'v');
    await rc.save();
    rc.disconnect();
    await ref.stop();
    const empty = await startRedoubt(['--dir', dir]);
    const c1 = new Redis({ port: empty.port, host: empty.host });
    assert.equal(await c1.dbsize(), 0);
    c1.disconnect();
    await empty.stop();
    const red = await startRedoubt(['--dir', dir, '--dbfilename', 'other.rdb']);
    const c2 = new Redis({ port: red.port, host: red.host });
    await untilLoaded(c2);
    assert.equal(await c2.get('k'), 'v');
    c2.disconnect();
    await red.stop();
    assert.ok(readFileSync(path.join(dir, 'other.rdb')).subarray(0, 5).equals(Buffer.from('REDIS')));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('DEBUG RELOAD', () => {
  test('saves, empties and loads back every type, expiry and library; options and errors as redis-server', async () => {
    const seen: Record<string, unknown[]> = {};
    const debug = ['--enable-debug-command', 'yes'];
    for (const [name, start] of [['redis', startRedis], ['redoubt', startRedoubt]] as const) {
      const dir = mkdtempSync(path.join(tmpdir(), 'redoubt-reload-'));
      const s = await start(['--dir', dir, ...debug]);
      const c = new Redis({ port: s.port, host: s.host });
      try {
        await fill(c);
        await c.call('FUNCTION', 'LOAD', "#!lua name=reloadlib\nredis.register_function('r1', function() return 1 end)");
        const before: unknown[] = [];
        for (const db of DBS) for (const k of await keysOf(c, db)) before.push(await contents(c, k, false));
        await c.select(0);
        const out: unknown[] = [await c.call('DEBUG', 'RELOAD')];
        const after: unknown[] = [];
        for (const db of DBS) for (const k of await keysOf(c, db)) after.push(await contents(c, k, false));
        assert.deepEqual(after, before, `${name}: the dataset survives DEBUG RELOAD`);
        await c.select(0);
        out.push(await c.call('FCALL', 'r1', '0'));
        // NOSAVE loads the file as it is: a key written since is gone, the saved ones are back.
        await c.set('after-save', '1');
        out.push(await c.call('DEBUG', 'RELOAD', 'NOSAVE'), await c.exists('after-save'), await c.exists('str:int'));
        // MERGE NOFLUSH keeps what is in memory and replaces what the file also has.
        await c.set('only-in-memory', '1');
        await c.set('str:int', 'changed');
        out.push(await c.call('DEBUG', 'RELOAD', 'MERGE', 'NOFLUSH', 'NOSAVE'), await c.get('only-in-memory'), await c.get('str:int'));
        // Without MERGE, a key in memory and in the file cannot be loaded.
        out.push(await c.call('DEBUG', 'RELOAD', 'NOFLUSH', 'NOSAVE').catch((e: unknown) => (e instanceof Error ? e.message : String(e))));
        out.push(await c.call('DEBUG', 'RELOAD', 'BOGUS').catch((e: unknown) => (e instanceof Error ? e.message : String(e))));
        rmSync(path.join(dir, 'dump.rdb'));
        await c.flushall();
        out.push(await c.call('DEBUG', 'RELOAD', 'NOSAVE').catch((e: unknown) => (e instanceof Error ? e.message : String(e))));
        seen[name] = out;
      } finally {
        c.disconnect();
        await s.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.deepEqual(seen['redoubt'], seen['redis']);
  });
});

describe('DEBUG DIGEST', () => {
  test('the same dataset gives Redis\'s digests, whole and per key', async () => {
    const seen: Record<string, unknown[]> = {};
    for (const [name, start] of [['redis', startRedis], ['redoubt', startRedoubt]] as const) {
      const s = await start(['--enable-debug-command', 'yes']);
      const c = new Redis({ port: s.port, host: s.host });
      try {
        const out: unknown[] = [await c.call('DEBUG', 'DIGEST')];
        await fill(c);
        // A stream with deleted entries and a zset with awkward scores, on top of fill's data.
        await c.select(0);
        for (let i = 1; i <= 5; i++) await c.xadd('dg:stream', `${i}-${i}`, 'f', String(i), 'g', 'x'.repeat(i));
        await c.xdel('dg:stream', '3-3');
        await c.zadd('dg:zset', '0.1', 'a', '-0', 'b', '1e300', 'c', 'inf', 'd', '3.0000000000000004', 'e');
        out.push(await c.call('DEBUG', 'DIGEST'));
        const keys: string[] = [];
        for (const k of await keysOf(c, 0)) keys.push(k.latin1Slice());
        out.push(await c.call('DEBUG', 'DIGEST-VALUE', 'no-such-key', ...keys.slice(0, 40)));
        seen[name] = out;
      } finally {
        c.disconnect();
        await s.stop();
      }
    }
    assert.deepEqual(seen['redoubt'], seen['redis']);
    assert.equal(seen['redis']?.[0], '0'.repeat(40));
  });
});
