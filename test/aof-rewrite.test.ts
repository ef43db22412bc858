// BGREWRITEAOF without fork: the BASE is written from the forkless snapshot a slice at a time
// while clients write, in RDB form (aof-use-rdb-preamble yes) or as RESP (no). A restart gives
// exactly the dataset the server had (DEBUG DIGEST), redis-server 7.0 loads the directory to the
// same digest, the event loop keeps answering during the rewrite, kill -9 in the middle of one
// loses nothing acknowledged, and BGSAVE and BGREWRITEAOF wait for each other as in Redis.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt } from './helpers/servers.js';
import { copyDir, manifestFiles, rewriteDone, scratchDir, useTracked } from './helpers/aof.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const { started, client } = useTracked();

async function info(c: Redis, field: string): Promise<string> {
  const text = (await c.info('persistence')) + (await c.info('stats'));
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(text);
  if (m?.[1] === undefined) throw new Error(`no ${field} in INFO`);
  return m[1].trim();
}


/** Keys of every type in databases 0 and 3, some with a TTL, a 20k-field hash, a function library. */
async function fill(c: Redis, keys: number): Promise<void> {
  await c.call('FUNCTION', 'LOAD', "#!lua name=rwlib\nredis.register_function('rwf', function() return 1 end)");
  for (let b = 0; b < keys; b += 1000) {
    const p = c.pipeline();
    for (let i = b; i < b + 1000 && i < keys; i++) {
      switch (i % 6) {
        case 0:
          p.set(`s:${i}`, `value ${i}`);
          break;
        case 1:
          p.rpush(`l:${i}`, 'a', String(i), 'c');
          break;
        case 2:
          p.sadd(`set:${i}`, 'x', String(i));
          break;
        case 3:
          p.hset(`h:${i}`, 'f', String(i), 'g', 'v');
          break;
        case 4:
          p.zadd(`z:${i}`, i, 'm', 1.5, 'n');
          break;
        default:
          p.set(`t:${i}`, String(i), 'PX', 3_600_000 + i);
      }
    }
    await p.exec();
  }
  await c.xadd('stream', '1-1', 'a', '1');
  await c.xgroup('CREATE', 'stream', 'g', '0');
  const p = c.pipeline();
  for (let b = 0; b < 4; b++) p.hset('bighash', ...Array.from({ length: 5000 }, (_, i) => [`f${b}:${i}`, String(i)]).flat());
  p.rpush('biglist', ...Array.from({ length: 6000 }, (_, i) => String(i)));
  p.select(3);
  p.set('in-db-3', 'x');
  p.zadd('bigz', ...Array.from({ length: 5000 }, (_, i) => [String(i), `m${i}`]).flat());
  p.select(0);
  await p.exec();
}

/** Writes, deletes, expires and touches the big keys until `state.done`; returns how many commands ran. */
async function churn(c: Redis, state: { done: boolean }): Promise<number> {
  let n = 0;
  const short: string[] = [];
  while (!state.done) {
    const i = n++;
    const p = c.pipeline();
    p.set(`s:${(i * 7) % 3000}`, `changed ${i}`);
    p.del(`l:${(i * 13) % 3000}`);
    p.expire(`h:${(i * 17) % 3000}`, 7200);
    p.hset('bighash', `new${i}`, 'x');
    p.hdel('bighash', `f0:${i}`);
    p.rpush('biglist', `new${i}`);
    p.zincrby(`z:${(i * 6 + 4) % 3000}`, 1, 'm');
    p.set(`short:${i}`, 'x', 'PX', 20);
    p.xadd('stream', '*', 'n', String(i));
    p.sadd(`set:${(i * 6 + 2) % 3000}`, `new${i}`);
    await p.exec();
    short.push(`short:${i}`);
  }
  // The short-lived keys expire, and each one's DEL reaches the AOF (lazily, at the latest here).
  await sleep(50);
  for (let i = 0; i < short.length; i += 500) await c.exists(...short.slice(i, i + 500));
  return n;
}

async function digest(c: Redis): Promise<string> {
  return String(await c.call('DEBUG', 'DIGEST'));
}

describe('BGREWRITEAOF without fork', () => {
  for (const preamble of ['yes', 'no'] as const) {
    test(`aof-use-rdb-preamble ${preamble}: written while clients write; Redoubt and redis-server 7.0 load the same dataset`, async () => {
      const dir = scratchDir(`rw-${preamble}`);
      const args = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--aof-use-rdb-preamble', preamble, '--enable-debug-command', 'yes'];
      const s = await startRedoubt(args);
      started.push(s);
      const c = client(s.port);
      const w = client(s.port);
      await fill(c, 30_000);
      const before = manifestFiles(dir);
      const state = { done: false };
      const writing = churn(w, state);
      assert.equal(await c.bgrewriteaof(), 'Background append only file rewriting started');
      assert.equal(await info(c, 'aof_rewrite_in_progress'), '1');
      assert.equal(await c.bgrewriteaof().catch((e: unknown) => (e instanceof Error ? e.message : String(e))), 'ERR Background append only file rewriting already in progress');
      await rewriteDone(c);
      state.done = true;
      const writes = await writing;
      assert.ok(writes > 5, `only ${writes} batches ran during the rewrite`);
      assert.equal(await info(c, 'aof_last_bgrewrite_status'), 'ok');
      assert.equal(await info(c, 'aof_current_rewrite_time_sec'), '-1');
      assert.ok(Number(await info(c, 'aof_last_cow_size')) > 0, 'the snapshot held old values of keys written during the walk');
      const after = manifestFiles(dir);
      assert.match(after.base ?? '', preamble === 'yes' ? /^appendonly\.aof\.\d+\.base\.rdb$/ : /^appendonly\.aof\.\d+\.base\.aof$/);
      assert.equal(after.incr.length, 1);
      assert.notEqual(after.incr[0], before.incr.at(-1), 'a new INCR file was opened at the cut');
      const aofDir = path.join(dir, 'appendonlydir');
      const head = fs.readFileSync(path.join(aofDir, after.base ?? '')).subarray(0, 5).toString('latin1');
      assert.equal(head === 'REDIS', preamble === 'yes');
      // Only the manifest, the new BASE and the new INCR remain; nothing temporary.
      assert.deepEqual(fs.readdirSync(aofDir).sort(), [after.base, after.incr[0], 'appendonly.aof.manifest'].sort());
      if (preamble === 'yes') {
        // The aof-base aux field is 1, as Redis writes it.
        assert.ok(fs.readFileSync(path.join(aofDir, after.base ?? '')).includes(Buffer.from('\x08aof-base\xc0\x01', 'latin1')));
      }
      const expected = await digest(c);
      assert.notEqual(expected, '0000000000000000000000000000000000000000');
      await s.stop();

      const again = await startRedoubt(args);
      started.push(again);
      const c2 = client(again.port);
      assert.equal(await digest(c2), expected, 'Redoubt restarted from the AOF');
      await again.stop();

      const rdir = scratchDir(`rw-${preamble}-redis`);
      copyDir(aofDir, path.join(rdir, 'appendonlydir'));
      const r = await startRedis(['--dir', rdir, '--appendonly', 'yes', '--aof-use-rdb-preamble', preamble, '--enable-debug-command', 'yes']);
      started.push(r);
      const rc = client(r.port);
      assert.equal(await digest(rc), expected, 'redis-server 7.0 loaded the rewritten directory');
      await r.stop();
    });
  }

  test('CONFIG SET appendonly yes while clients write: the writes after the cut go to the INCR file that becomes the first one', async () => {
    const dir = scratchDir('rw-start');
    const s = await startRedoubt(['--dir', dir, '--enable-debug-command', 'yes']);
    started.push(s);
    const c = client(s.port);
    const w = client(s.port);
    await fill(c, 20_000);
    // BGREWRITEAOF with appendonly off writes a BASE too.
    assert.equal(await c.bgrewriteaof(), 'Background append only file rewriting started');
    await rewriteDone(c);
    const state = { done: false };
    const writing = churn(w, state);
    assert.equal(await c.config('SET', 'appendonly', 'yes'), 'OK');
    assert.equal(await info(c, 'aof_rewrite_in_progress'), '1');
    await rewriteDone(c);
    state.done = true;
    await writing;
    assert.equal(await info(c, 'aof_last_bgrewrite_status'), 'ok');
    const files = manifestFiles(dir);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'appendonlydir')).sort(), [files.base, ...files.incr, 'appendonly.aof.manifest'].sort());
    assert.ok(fs.statSync(path.join(dir, 'appendonlydir', files.incr[0] ?? '')).size > 0, 'the INCR file holds the writes made during the rewrite');
    const expected = await digest(c);
    await s.stop();
    const again = await startRedoubt(['--dir', dir, '--appendonly', 'yes', '--enable-debug-command', 'yes']);
    started.push(again);
    assert.equal(await digest(client(again.port)), expected);
    await again.stop();
  });

  test('the event loop keeps answering during a rewrite of many keys and one huge key', async () => {
    const dir = scratchDir('rw-stall');
    const s = await startRedoubt(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec']);
    started.push(s);
    const c = client(s.port);
    const pinger = client(s.port);
    for (let b = 0; b < 20; b++) await c.hset('huge', ...Array.from({ length: 10000 }, (_, i) => [`field:${b}:${i}`, `value ${i}`]).flat());
    for (let b = 0; b < 30; b++) await c.mset(...Array.from({ length: 5000 }, (_, i) => [`key:${b}:${i}`, `some value ${i}`]).flat());
    const results: string[] = [];
    for (const preamble of ['yes', 'no']) {
      await c.config('SET', 'aof-use-rdb-preamble', preamble);
      assert.equal(await c.bgrewriteaof(), 'Background append only file rewriting started');
      let max = 0;
      let pings = 0;
      while ((await info(pinger, 'aof_rewrite_in_progress')) === '1') {
        const t = performance.now();
        await pinger.ping();
        max = Math.max(max, performance.now() - t);
        pings++;
      }
      assert.equal(await info(c, 'aof_last_bgrewrite_status'), 'ok');
      results.push(`preamble ${preamble}: ${max.toFixed(1)} ms (${pings} pings)`);
      assert.ok(pings > 3, `the rewrite (preamble ${preamble}) ran long enough to be measured`);
      // The target is ~10 ms; the bound leaves room for a busy shared machine (and its garbage collector).
      assert.ok(max < 150, `PING waited ${max} ms during a rewrite with preamble ${preamble}`);
    }
    process.stdout.write(`# longest PING during BGREWRITEAOF of 150k keys and a 200k-field hash: ${results.join(', ')}\n`);
  });

  test('kill -9 during a rewrite: the previous AOF loads with every acknowledged write', async () => {
    const dir = scratchDir('rw-kill');
    const args = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'];
    const s = await startRedoubt(args);
    started.push(s);
    const c = client(s.port);
    for (let b = 0; b < 30; b++) await c.mset(...Array.from({ length: 5000 }, (_, i) => [`pad:${b}:${i}`, `v${i}`]).flat());
    const acked = new Map<string, string>();
    const state = { dead: false };
    const w = new Redis({ port: s.port, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    w.on('error', () => {});
    await w.connect();
    const writing = (async () => {
      for (let i = 0; !state.dead; i++) {
        try {
          await w.set(`ack:${i}`, `v${i}`);
          acked.set(`ack:${i}`, `v${i}`);
        } catch {
          return;
        }
      }
    })();
    await sleep(100);
    assert.equal(await c.bgrewriteaof(), 'Background append only file rewriting started');
    await sleep(30);
    assert.equal(await info(c, 'aof_rewrite_in_progress'), '1', 'the kill falls inside the rewrite');
    s.process.kill('SIGKILL');
    state.dead = true;
    await writing;
    w.disconnect();
    await s.stop();
    assert.ok(acked.size > 0);
    const again = await startRedoubt(args);
    started.push(again);
    const c2 = client(again.port);
    // The one write in flight at the kill may be there too, unacknowledged.
    const size = await c2.dbsize();
    assert.ok(size === 150_000 + acked.size || size === 150_001 + acked.size, `${size} keys after ${acked.size} acknowledged writes`);
    const keys = [...acked.keys()];
    const values = await c2.mget(...keys);
    const missing = keys.filter((k, i) => values[i] !== acked.get(k));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged writes missing of ${acked.size}`);
    // And a rewrite after the restart completes over the leftovers of the killed one.
    assert.equal(await c2.bgrewriteaof(), 'Background append only file rewriting started');
    await rewriteDone(c2);
    assert.equal(await info(c2, 'aof_last_bgrewrite_status'), 'ok');
    const files = manifestFiles(dir);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'appendonlydir')).sort(), [files.base, ...files.incr, 'appendonly.aof.manifest'].sort());
    await again.stop();
  });

  test('BGSAVE and BGREWRITEAOF never run together: each is refused or scheduled as in Redis', async () => {
    const dir = scratchDir('rw-bgsave');
    const s = await startRedoubt(['--dir', dir, '--appendonly', 'yes']);
    started.push(s);
    const c = client(s.port);
    for (let b = 0; b < 20; b++) await c.mset(...Array.from({ length: 5000 }, (_, i) => [`k:${b}:${i}`, `v${i}`]).flat());
    assert.equal(await c.bgrewriteaof(), 'Background append only file rewriting started');
    assert.equal(
      await c.bgsave().catch((e: unknown) => (e instanceof Error ? e.message : String(e))),
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    );
    const saves = Number(await info(c, 'rdb_saves'));
    assert.equal(await c.call('BGSAVE', 'SCHEDULE'), 'Background saving scheduled');
    assert.equal(await info(c, 'rdb_bgsave_in_progress'), '0');
    await rewriteDone(c);
    // The scheduled BGSAVE runs from the cron once the rewrite is over.
    while (Number(await info(c, 'rdb_saves')) === saves || (await info(c, 'rdb_bgsave_in_progress')) === '1') await sleep(20);
    assert.equal(await info(c, 'rdb_last_bgsave_status'), 'ok');
    // A slow BGSAVE (1 ms per key): the rewrite asked meanwhile waits for it.
    await c.flushall();
    await c.mset(...Array.from({ length: 300 }, (_, i) => [`k:${i}`, `v${i}`]).flat());
    await c.config('SET', 'rdb-key-save-delay', '1000');
    assert.equal(await c.bgsave(), 'Background saving started');
    assert.equal(await c.bgrewriteaof(), 'Background append only file rewriting scheduled');
    assert.equal(await info(c, 'aof_rewrite_scheduled'), '1');
    assert.equal(await info(c, 'aof_rewrite_in_progress'), '0');
    const rewrites = Number(await info(c, 'aof_rewrites'));
    while (Number(await info(c, 'aof_rewrites')) === rewrites) await sleep(10);
    assert.equal(await info(c, 'rdb_bgsave_in_progress'), '0', 'the rewrite began after the BGSAVE');
    assert.equal(await info(c, 'aof_rewrite_scheduled'), '0');
    assert.equal(await info(c, 'aof_last_bgrewrite_status'), 'ok');
  });
});
