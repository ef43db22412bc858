// The AOF end to end: what each command propagates (its effects, as Redis 7.0 rewrites them),
// restarts that load it back, the multi-part layout and BGREWRITEAOF, real redis-server 7.0
// loading Redoubt's AOF directory and Redoubt loading redis-server's, truncated and corrupt files
// (refused naming file and offset, or repaired when asked), check-aof, CONFIG SET appendonly and WAITAOF.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { REDOUBT_MAIN, freePort, startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { copyDir, dataset, incrCommands, manifestFiles, rewriteDone, scratchDir, useTracked } from './helpers/aof.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const { started, client } = useTracked();

async function redoubtAof(dir: string, ...args: string[]): Promise<{ server: RunningServer; cli: Redis }> {
  const server = await startRedoubt(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', ...args]);
  started.push(server);
  return { server, cli: client(server.port) };
}


/** The commands appended since `from` (an index into incrCommands), SELECTs dropped, names upper-cased. */
function effects(dir: string, from: number): string[][] {
  return incrCommands(dir)
    .slice(from)
    .filter((a) => (a[0] ?? '').toUpperCase() !== 'SELECT')
    .map((a) => [(a[0] ?? '').toUpperCase(), ...a.slice(1)]);
}

/** Runs `fn` and returns what it appended to the AOF (the turn's fsync is done before replies come back). */
async function appended(dir: string, fn: () => Promise<unknown>): Promise<string[][]> {
  const before = incrCommands(dir).length;
  await fn();
  return effects(dir, before);
}

function near(actual: string | undefined, expected: number, slack = 5000): void {
  const v = Number(actual);
  assert.ok(Math.abs(v - expected) <= slack, `${actual} is not within ${slack} of ${expected}`);
}

describe('propagation: the AOF gets the effects of each command', () => {
  const dir = scratchDir('prop');
  let cli: Redis;
  let port = 0;
  test('start', async () => {
    const s = await redoubtAof(dir, '--enable-debug-command', 'local');
    cli = s.cli;
    port = s.server.port;
  });

  test('relative and absolute expiries become PEXPIREAT / SET PXAT; past ones DEL', async () => {
    await cli.set('k', 'v');
    const now = Date.now();
    let ops = await appended(dir, () => cli.expire('k', 100));
    assert.equal(ops.length, 1);
    assert.deepEqual(ops[0]?.slice(0, 2), ['PEXPIREAT', 'k']);
    near(ops.at(0)?.[2], now + 100_000);
    ops = await appended(dir, () => cli.pexpire('k', 5000, 'GT'));
    assert.deepEqual(ops.map((o) => o[0]), []);
    ops = await appended(dir, () => cli.pexpire('k', 500_000, 'GT'));
    assert.deepEqual([ops[0]?.[0], ops[0]?.[1], ops[0]?.[3]], ['PEXPIREAT', 'k', 'GT']);
    ops = await appended(dir, () => cli.expireat('k', Math.floor(now / 1000) + 50));
    assert.deepEqual(ops, [['PEXPIREAT', 'k', String((Math.floor(now / 1000) + 50) * 1000)]]);
    ops = await appended(dir, () => cli.setex('s', 100, 'x'));
    assert.deepEqual(ops[0]?.slice(0, 4), ['SET', 's', 'x', 'PXAT']);
    near(ops.at(0)?.[4], now + 100_000);
    ops = await appended(dir, () => cli.psetex('s', 100_000, 'y'));
    assert.deepEqual(ops[0]?.slice(0, 4), ['SET', 's', 'y', 'PXAT']);
    ops = await appended(dir, () => cli.set('s', 'z', 'EX', 100, 'GET'));
    assert.deepEqual(ops[0]?.slice(0, 4), ['SET', 's', 'z', 'PXAT']);
    ops = await appended(dir, () => cli.set('s', 'z', 'PXAT', now + 9000));
    assert.deepEqual(ops, [['SET', 's', 'z', 'PXAT', String(now + 9000)]]);
    ops = await appended(dir, () => cli.call('GETEX', 's', 'EX', '100'));
    assert.deepEqual(ops[0]?.slice(0, 2), ['PEXPIREAT', 's']);
    ops = await appended(dir, () => cli.call('GETEX', 's', 'PERSIST'));
    assert.deepEqual(ops, [['PERSIST', 's']]);
    ops = await appended(dir, () => cli.call('GETEX', 's'));
    assert.deepEqual(ops, []);
    ops = await appended(dir, () => cli.expire('s', -1));
    assert.deepEqual(ops, [['DEL', 's']]);
    await cli.set('r', 'v');
    const payload = await cli.dumpBuffer('r');
    ops = await appended(dir, () => cli.restore('r2', 100_000, payload));
    assert.deepEqual([ops[0]?.[0], ops[0]?.[1], ops[0]?.at(-1)], ['RESTORE', 'r2', 'ABSTTL']);
    near(ops[0]?.[2], now + 100_000);
  });

  test('random and floating-point results propagate as what they came to', async () => {
    await cli.sadd('set', 'a', 'b', 'c', 'd', 'e');
    let ops = await appended(dir, () => cli.spop('set'));
    assert.equal(ops.length, 1);
    assert.equal(ops[0]?.[0], 'SREM');
    ops = await appended(dir, () => cli.srandmember('set', 2));
    assert.deepEqual(ops, []);
    const popped = await (async () => {
      let got: string[] = [];
      ops = await appended(dir, async () => (got = await cli.spop('set', 2)));
      return got;
    })();
    assert.deepEqual(ops, [['SREM', 'set', ...popped]]);
    ops = await appended(dir, () => cli.spop('set', 10));
    assert.deepEqual(ops, [['DEL', 'set']]);
    ops = await appended(dir, () => cli.incrbyfloat('f', '0.1'));
    assert.deepEqual(ops, [['SET', 'f', '0.1', 'KEEPTTL']]);
    ops = await appended(dir, () => cli.hincrbyfloat('h', 'x', '2.5'));
    assert.deepEqual(ops, [['HSET', 'h', 'x', '2.5']]);
    ops = await appended(dir, () => cli.xadd('st', '*', 'f', 'v'));
    assert.equal(ops[0]?.[0], 'XADD');
    assert.match(ops.at(0)?.[2] ?? '', /^\d+-\d+$/);
  });

  test('blocking pops propagate as the plain pop, served now or later', async () => {
    await cli.rpush('l', 'a', 'b', 'c');
    let ops = await appended(dir, () => cli.blpop('l', 1));
    assert.deepEqual(ops, [['LPOP', 'l']]);
    ops = await appended(dir, () => cli.brpop('l', 1));
    assert.deepEqual(ops, [['RPOP', 'l']]);
    ops = await appended(dir, () => cli.blmove('l', 'l2', 'LEFT', 'RIGHT', 1));
    assert.deepEqual(ops, [['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT']]);
    // With the count it popped (one element here), as Redis's mpopGenericCommand.
    ops = await appended(dir, () => cli.call('LMPOP', '1', 'l2', 'LEFT', 'COUNT', '5'));
    assert.deepEqual(ops, [['LPOP', 'l2', '1']]);
    await cli.zadd('z', 1, 'one', 2, 'two');
    ops = await appended(dir, () => cli.bzpopmin('z', 1));
    assert.deepEqual(ops, [['ZPOPMIN', 'z']]);
    // Served later: the waiter's pop comes after the push that fed it.
    const waiter = client(port);
    const before = incrCommands(dir).length;
    const pending = waiter.blpop('later', 5);
    await sleep(100);
    await cli.rpush('later', 'x');
    assert.deepEqual(await pending, ['later', 'x']);
    await sleep(50);
    assert.deepEqual(effects(dir, before), [['RPUSH', 'later', 'x'], ['LPOP', 'later']]);
    // BRPOPLPUSH replays as RPOPLPUSH; a BLMOVE served later as LMOVE with Redis's lower-case ends.
    await cli.rpush('bl', 'a');
    ops = await appended(dir, () => cli.brpoplpush('bl', 'bl2', 1));
    assert.deepEqual(ops, [['RPOPLPUSH', 'bl', 'bl2']]);
    const moved = incrCommands(dir).length;
    const move = waiter.blmove('lm', 'lm2', 'LEFT', 'RIGHT', 5);
    const pop = client(port).brpoplpush('lr', 'lr2', 5);
    await sleep(100);
    await cli.rpush('lm', 'x');
    await cli.rpush('lr', 'y');
    assert.deepEqual(await Promise.all([move, pop]), ['x', 'y']);
    await sleep(50);
    assert.deepEqual(effects(dir, moved), [['RPUSH', 'lm', 'x'], ['LMOVE', 'lm', 'lm2', 'left', 'right'], ['RPUSH', 'lr', 'y'], ['RPOPLPUSH', 'lr', 'lr2']]);
    // A group reader served later changes the group: its command propagates, after the XADD.
    await cli.xgroup('CREATE', 'gs', 'g', '$', 'MKSTREAM');
    const mark = incrCommands(dir).length;
    const read = waiter.xreadgroup('GROUP', 'g', 'alice', 'BLOCK', 5000, 'STREAMS', 'gs', '>');
    await sleep(100);
    await cli.xadd('gs', '5-1', 'f', 'v');
    await read;
    await sleep(50);
    const got = effects(dir, mark);
    assert.deepEqual(got[0], ['XADD', 'gs', '5-1', 'f', 'v']);
    assert.deepEqual(got[1]?.slice(0, 6), ['XCLAIM', 'gs', 'g', 'alice', '0', '5-1']);
    assert.equal(got.length, 2);
    const summary = await cli.xpending('gs', 'g');
    assert.equal(summary[0], 1);
  });

  test('consumer-group reads and claims propagate as XCLAIM with absolute times, as Redis 7.0', async () => {
    await cli.xadd('cg', '1-1', 'a', '1');
    await cli.xadd('cg', '2-1', 'b', '2');
    await cli.xgroup('CREATE', 'cg', 'g', '0');
    const t = Date.now();
    let ops = await appended(dir, () => cli.xreadgroup('GROUP', 'g', 'bob', 'COUNT', 1, 'STREAMS', 'cg', '>'));
    assert.equal(ops.length, 1);
    assert.deepEqual([...(ops.at(0) ?? []).slice(0, 7), ...(ops.at(0) ?? []).slice(8)], ['XCLAIM', 'cg', 'g', 'bob', '0', '1-1', 'TIME', 'RETRYCOUNT', '1', 'FORCE', 'JUSTID', 'LASTID', '1-1']);
    near(ops.at(0)?.[7], t);
    ops = await appended(dir, () => cli.xreadgroup('GROUP', 'g', 'carol', 'NOACK', 'STREAMS', 'cg', '>'));
    assert.deepEqual(ops, [['MULTI'], ['XGROUP', 'CREATECONSUMER', 'cg', 'g', 'carol'], ['XGROUP', 'SETID', 'cg', 'g', '2-1', 'ENTRIESREAD', '2'], ['EXEC']]);
    // A history read changes delivery counts only: not propagated, as in Redis.
    ops = await appended(dir, () => cli.xreadgroup('GROUP', 'g', 'bob', 'STREAMS', 'cg', '0'));
    assert.deepEqual(ops, []);
    await sleep(20);
    ops = await appended(dir, () => cli.xclaim('cg', 'g', 'dave', 10, '1-1'));
    assert.equal(ops.length, 1);
    assert.deepEqual(ops.at(0)?.slice(0, 6), ['XCLAIM', 'cg', 'g', 'dave', '0', '1-1']);
    assert.deepEqual(ops.at(0)?.slice(8), ['RETRYCOUNT', '3', 'FORCE', 'JUSTID', 'LASTID', '2-1']);
    ops = await appended(dir, () => cli.xautoclaim('cg', 'g', 'erin', 0, '0'));
    assert.deepEqual(ops.at(0)?.slice(0, 6), ['XCLAIM', 'cg', 'g', 'erin', '0', '1-1']);
    // The claim's time is kept: after a restart the entry has been idle since then, not since the restart.
    const pending = (await cli.xpending('cg', 'g', '-', '+', 10)) as [string, string, number, number][];
    assert.deepEqual(pending.map((p) => [p[0], p[1], p[3]]), [['1-1', 'erin', 4]]);
  });

  test('eviction propagates each evicted key as a DEL of its own', async () => {
    const stat = async (section: string, field: string): Promise<number> => Number(new RegExp(`${field}:(\\d+)`).exec(await cli.info(section))?.[1]);
    await cli.config('SET', 'maxmemory-policy', 'allkeys-random');
    const evictedBefore = await stat('stats', 'evicted_keys');
    const before = incrCommands(dir).length;
    await cli.config('SET', 'maxmemory', String((await stat('memory', 'used_memory')) + 2_000_000));
    const big = 'x'.repeat(50_000);
    for (let i = 0; i < 200; i++) await cli.set(`ev${i}`, big);
    await cli.config('SET', 'maxmemory', '0');
    const evicted = (await stat('stats', 'evicted_keys')) - evictedBefore;
    assert.ok(evicted > 0, 'nothing was evicted');
    const ops = effects(dir, before);
    const dels = ops.filter((o) => o[0] === 'DEL');
    assert.equal(dels.length, evicted);
    assert.ok(!ops.some((o) => o[0] === 'MULTI'));
    for (const d of dels) assert.equal(await cli.exists(d[1] ?? ''), 0);
  });

  test('scripts and transactions are their effects, wrapped in MULTI/EXEC', async () => {
    let ops = await appended(dir, () => cli.eval("redis.call('set', KEYS[1], '1'); redis.call('incr', KEYS[1]); return redis.call('get', KEYS[1])", 1, 'sk'));
    assert.deepEqual(ops, [['MULTI'], ['SET', 'sk', '1'], ['INCR', 'sk'], ['EXEC']]);
    ops = await appended(dir, () => cli.eval("return redis.call('get', 'sk')", 0));
    assert.deepEqual(ops, []);
    ops = await appended(dir, () => cli.eval("return redis.call('spop', 'nosuch')", 0));
    assert.deepEqual(ops, []);
    ops = await appended(dir, () => cli.multi().set('m', '1').get('m').expire('m', 100).exec());
    assert.equal(ops.length, 4);
    assert.deepEqual(ops.slice(0, 2), [['MULTI'], ['SET', 'm', '1']]);
    assert.equal(ops[2]?.[0], 'PEXPIREAT');
    assert.deepEqual(ops[3], ['EXEC']);
    ops = await appended(dir, () => cli.multi().set('m1', '1').exec());
    assert.deepEqual(ops, [['SET', 'm1', '1']]);
    await cli.function('LOAD', "#!lua name=lib\nredis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)");
    ops = await appended(dir, () => cli.fcall('bump', 1, 'fk'));
    assert.deepEqual(ops, [['INCR', 'fk']]);
  });

  test('expiry is a DEL; flushes, SWAPDB and FUNCTION changes go verbatim; reads and PUBLISH nothing', async () => {
    // Lazy expiry alone first: the active cycle must not get there before the GET.
    await cli.debug('SET-ACTIVE-EXPIRE', '0');
    await cli.set('gone', 'v', 'PX', 30);
    await sleep(60);
    let ops = await appended(dir, () => cli.get('gone'));
    assert.deepEqual(ops, [['DEL', 'gone']]);
    // A write that meets an expired key: the DEL and the write are one batch, as in Redis 7.0.
    await cli.set('gone', 'v', 'PX', 30);
    await sleep(60);
    ops = await appended(dir, () => cli.append('gone', 'w'));
    assert.deepEqual(ops, [['MULTI'], ['DEL', 'gone'], ['APPEND', 'gone', 'w'], ['EXEC']]);
    await cli.debug('SET-ACTIVE-EXPIRE', '1');
    await cli.set('active', 'v', 'PX', 30);
    const before = incrCommands(dir).length;
    await sleep(1500);
    assert.deepEqual(effects(dir, before), [['DEL', 'active']]);
    ops = await appended(dir, () => cli.publish('ch', 'm'));
    assert.deepEqual(ops, []);
    const db9 = client(port, 9);
    const all = incrCommands(dir).length;
    await db9.flushdb();
    await db9.set('x', '1');
    await cli.set('y', '1');
    const raw = incrCommands(dir).slice(all);
    assert.deepEqual(raw.map((a) => [(a[0] ?? '').toUpperCase(), ...a.slice(1)]), [['SELECT', '9'], ['FLUSHDB'], ['SET', 'x', '1'], ['SELECT', '0'], ['SET', 'y', '1']]);
    ops = await appended(dir, () => cli.swapdb(0, 9));
    assert.deepEqual(ops, [['SWAPDB', '0', '9']]);
    ops = await appended(dir, () => cli.function('DELETE', 'lib'));
    assert.deepEqual(ops, [['FUNCTION', 'DELETE', 'lib']]);
    ops = await appended(dir, () => cli.function('FLUSH'));
    assert.deepEqual(ops, [['FUNCTION', 'FLUSH']]);
    ops = await appended(dir, () => cli.get('y'));
    assert.deepEqual(ops, []);
  });
});

/** Fills a server with one of each type, expiries and several databases. */
async function fill(port: number): Promise<void> {
  const c = new Redis({ port });
  try {
    await c.set('str', 'hello');
    await c.set('int', '12345');
    await c.set('ttl', 'v', 'EX', 1000);
    await c.rpush('list', 'a', 'b', 'c');
    await c.sadd('iset', 1, 2, 3);
    await c.sadd('set', 'x', 'y');
    await c.zadd('zset', 1, 'a', 2.5, 'b');
    await c.hset('hash', 'f1', 'v1', 'f2', 'v2');
    await c.xadd('stream', '1-1', 'f', 'v');
    await c.xgroup('CREATE', 'stream', 'g', '0');
    await c.pfadd('hll', 'a', 'b');
    await c.incrbyfloat('float', '3.25');
    await c.spop('set');
    await c.select(2);
    await c.set('db2', 'x');
    await c.expire('db2', 2000);
    await c.select(0);
    await c.eval("redis.call('set', 'script', 'y'); return redis.call('lpush', 'slist', 'z')", 0);
  } finally {
    c.disconnect();
  }
}

describe('restart, rewrite and interoperability with redis-server 7.0', () => {
  test('Redoubt loads its own AOF back, before and after BGREWRITEAOF', async () => {
    const dir = scratchDir('restart');
    const { server } = await redoubtAof(dir);
    await fill(server.port);
    const before = await dataset(server.port);
    await server.stop();
    const again = await redoubtAof(dir);
    assert.deepEqual(await dataset(again.server.port), before);
    assert.equal(await again.cli.call('BGREWRITEAOF'), 'Background append only file rewriting started');
    await rewriteDone(again.cli);
    const files = manifestFiles(dir);
    // aof-use-rdb-preamble yes (the default): the BASE is an RDB file, as redis-server's.
    assert.equal(files.base, 'appendonly.aof.2.base.rdb');
    assert.deepEqual(files.incr, ['appendonly.aof.2.incr.aof']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'appendonlydir')).sort(), ['appendonly.aof.2.base.rdb', 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
    await again.cli.set('after', 'rewrite');
    const info = await again.cli.info('persistence');
    assert.match(info, /aof_enabled:1/);
    assert.match(info, /aof_rewrites:1/);
    assert.match(info, /aof_last_write_status:ok/);
    const expected = await dataset(again.server.port);
    await again.server.stop();
    const third = await redoubtAof(dir);
    assert.deepEqual(await dataset(third.server.port), expected);
    await third.server.stop();
  });

  test('consumer groups come back with their pending entries, owners, counts and times (Redoubt and redis-server)', async () => {
    const dir = scratchDir('groups');
    const { server, cli } = await redoubtAof(dir);
    for (let i = 1; i <= 5; i++) await cli.xadd('s', `${i}-0`, 'f', String(i));
    await cli.xgroup('CREATE', 's', 'g', '0');
    await cli.xreadgroup('GROUP', 'g', 'a', 'COUNT', 2, 'STREAMS', 's', '>');
    await cli.call('XREADGROUP', 'GROUP', 'g', 'b', 'COUNT', '1', 'NOACK', 'STREAMS', 's', '>');
    await cli.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 's', '>');
    await sleep(30);
    await cli.xclaim('s', 'g', 'b', 10, '2-0');
    await cli.xack('s', 'g', '5-0');
    const view = async (c: Redis): Promise<unknown> => {
      const pending = (await c.xpending('s', 'g', '-', '+', 10)) as [string, string, number, number][];
      const groups = (await c.xinfo('GROUPS', 's')) as unknown[][];
      return { pending: pending.map((p) => [p[0], p[1], p[3], Math.round(p[2] / 5000)]), last: groups[0]?.[7] };
    };
    const want = await view(cli);
    assert.deepEqual((want as { pending: unknown[][] }).pending.map((p) => p.slice(0, 3)), [['1-0', 'a', 1], ['2-0', 'b', 2], ['4-0', 'c', 1]]);
    await server.stop();
    const again = await redoubtAof(dir);
    assert.deepEqual(await view(again.cli), want);
    await again.server.stop();
    const rdir = scratchDir('groups-redis');
    copyDir(path.join(dir, 'appendonlydir'), path.join(rdir, 'appendonlydir'));
    const redis = await startRedis(['--dir', rdir, '--appendonly', 'yes']);
    started.push(redis);
    assert.deepEqual(await view(client(redis.port)), want);
    await redis.stop();
  });

  test('aof-disable-auto-gc yes keeps the HISTORY files, listed as such; loading skips them', async () => {
    const dir = scratchDir('nogc');
    const { server, cli } = await redoubtAof(dir, '--aof-disable-auto-gc', 'yes');
    await cli.set('a', '1');
    await cli.call('BGREWRITEAOF');
    await rewriteDone(cli);
    await cli.set('b', '2');
    await server.stop();
    const manifest = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
    // The order Redis 7.0's rewrite leaves: the old BASE, then the old INCR files, each put first.
    assert.equal(
      manifest,
      'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    );
    assert.ok(fs.existsSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof')));
    const again = await redoubtAof(dir);
    assert.deepEqual(await again.cli.mget('a', 'b'), ['1', '2']);
    await again.server.stop();
    // Without the setting, the next start deletes them.
    assert.ok(!fs.existsSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof')));
  });

  test("redis-server 7.0 loads Redoubt's appendonlydir, key by key", async () => {
    const dir = scratchDir('to-redis');
    const { server } = await redoubtAof(dir);
    await fill(server.port);
    const want = await dataset(server.port);
    await server.stop();
    const rdir = scratchDir('redis');
    copyDir(path.join(dir, 'appendonlydir'), path.join(rdir, 'appendonlydir'));
    const redis = await startRedis(['--dir', rdir, '--appendonly', 'yes']);
    started.push(redis);
    assert.deepEqual(await dataset(redis.port), want);
    await redis.stop();
  });

  for (const preamble of ['no', 'yes']) {
  test(`Redoubt loads an appendonlydir made by redis-server 7.0 (aof-use-rdb-preamble ${preamble}), key by key`, async () => {
    const rdir = scratchDir('from-redis');
    const redis = await startRedis(['--dir', rdir, '--appendonly', 'yes', '--aof-use-rdb-preamble', preamble]);
    started.push(redis);
    await fill(redis.port);
    const rc = client(redis.port);
    // A BASE with data in it, then more in the INCR file.
    await rc.bgrewriteaof();
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      if (/aof_rewrite_in_progress:0/.test(await rc.info('persistence'))) break;
    }
    await rc.set('later', 'x');
    await rc.expire('later', 3000);
    const want = await dataset(redis.port);
    await redis.stop();
    const dir = scratchDir('from-redis-copy');
    copyDir(path.join(rdir, 'appendonlydir'), path.join(dir, 'appendonlydir'));
    assert.equal(manifestFiles(dir).base, `appendonly.aof.2.base.${preamble === 'yes' ? 'rdb' : 'aof'}`);
    const { server } = await redoubtAof(dir);
    assert.deepEqual(await dataset(server.port), want);
    await server.stop();
  });
  }
});

/** Starts Redoubt expecting it to stop at loading; returns what it printed. */
async function failedStart(dir: string, ...args: string[]): Promise<{ status: number | null; output: string }> {
  const port = await freePort();
  const r = spawnSync(process.execPath, [REDOUBT_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', ...args], { encoding: 'latin1', timeout: 20000 });
  const output = r.stdout + r.stderr;
  // It listened (clients got -LOADING) and then stopped because of the AOF.
  assert.match(output, /Fatal error loading the DB/);
  return { status: r.status, output };
}

/** An AOF directory with a few commands in its INCR file; returns the INCR file's path. */
async function smallAof(tag: string): Promise<{ dir: string; incr: string }> {
  const dir = scratchDir(tag);
  const { server, cli } = await redoubtAof(dir);
  for (let i = 0; i < 20; i++) await cli.set(`k${i}`, `v${i}`);
  await server.stop();
  return { dir, incr: path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof') };
}

describe('corruption and truncation', () => {
  test('a truncated INCR file stops startup with aof-load-truncated no, naming file and offset', async () => {
    const { dir, incr } = await smallAof('trunc');
    const size = fs.statSync(incr).size;
    fs.truncateSync(incr, size - 7);
    const r = await failedStart(dir, '--aof-load-truncated', 'no');
    assert.equal(r.status, 1);
    assert.match(r.output, /Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof \(the last complete command ends at offset \d+ of \d+\)/);
    assert.match(r.output, /check-aof --fix/);
  });

  test('with aof-load-truncated yes the incomplete command is cut away and the rest loads', async () => {
    const { dir, incr } = await smallAof('trunc-ok');
    const size = fs.statSync(incr).size;
    fs.truncateSync(incr, size - 7);
    const { server, cli } = await redoubtAof(dir);
    assert.equal(await cli.dbsize(), 19);
    assert.equal(await cli.get('k18'), 'v18');
    assert.match(server.output(), /Truncating the AOF appendonly\.aof\.1\.incr\.aof at offset \d+/);
    await server.stop();
  });

  test('garbage inside a file stops startup whatever aof-load-truncated says', async () => {
    const { dir, incr } = await smallAof('garbage');
    const buf = fs.readFileSync(incr);
    const at = buf.indexOf('*3\r\n$3\r\nset\r\n$2\r\nk5');
    assert.ok(at > 0);
    buf[at] = 0x21;
    fs.writeFileSync(incr, buf);
    const r = await failedStart(dir);
    assert.equal(r.status, 1);
    assert.match(r.output, new RegExp(`Bad file format reading the append only file appendonly\\.aof\\.1\\.incr\\.aof at offset ${at}`));
  });

  test('a bulk length that lies is a format error at its command', async () => {
    const { dir, incr } = await smallAof('badlen');
    const buf = fs.readFileSync(incr);
    const at = buf.indexOf('*3\r\n$3\r\nset\r\n$2\r\nk7');
    fs.writeFileSync(incr, Buffer.concat([buf.subarray(0, at + 14), Buffer.from('3'), buf.subarray(at + 15)]));
    const r = await failedStart(dir);
    assert.equal(r.status, 1);
    assert.match(r.output, new RegExp(`at offset ${at}: Expected \\\\r\\\\n`));
  });

  test('a manifest that names a missing file, or is malformed, stops startup', async () => {
    const { dir } = await smallAof('manifest');
    const mpath = path.join(dir, 'appendonlydir', 'appendonly.aof.manifest');
    fs.appendFileSync(mpath, 'file appendonly.aof.9.incr.aof seq 9 type i\n');
    let r = await failedStart(dir);
    assert.equal(r.status, 1);
    assert.match(r.output, /appendonly\.aof\.9\.incr\.aof named in the manifest doesn't exist/);
    fs.writeFileSync(mpath, 'file appendonly.aof.1.base.aof seq 1\n');
    r = await failedStart(dir);
    assert.equal(r.status, 1);
    assert.match(r.output, /Invalid AOF manifest file format \(line 1/);
  });

  test('an unfinished MULTI at the end is reverted with aof-load-truncated, refused without', async () => {
    const { dir, incr } = await smallAof('multi');
    fs.appendFileSync(incr, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$1\r\n1\r\n');
    const r = await failedStart(dir, '--aof-load-truncated', 'no');
    assert.equal(r.status, 1);
    const { server, cli } = await redoubtAof(dir);
    assert.equal(await cli.exists('half'), 0);
    assert.equal(await cli.dbsize(), 20);
    assert.match(server.output(), /Revert incomplete MULTI\/EXEC transaction/);
    await server.stop();
  });

  test('check-aof reports the first bad offset, and --fix truncates there after a y', async () => {
    const { dir, incr } = await smallAof('check');
    const manifest = path.join(dir, 'appendonlydir', 'appendonly.aof.manifest');
    let r = spawnSync(process.execPath, [REDOUBT_MAIN, 'check-aof', manifest], { encoding: 'latin1' });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /INCR AOF appendonly\.aof\.1\.incr\.aof is valid/);
    assert.match(r.stdout, /All AOF files and manifest are valid/);
    const good = fs.statSync(incr).size;
    fs.appendFileSync(incr, '*2\r\n$3\r\nGET\r\n$1');
    r = spawnSync(process.execPath, [REDOUBT_MAIN, 'check-aof', manifest], { encoding: 'latin1' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`ok_up_to=${good}, .*diff=${fs.statSync(incr).size - good}`));
    assert.match(r.stdout, /is not valid\. Use the --fix option/);
    r = spawnSync(process.execPath, [REDOUBT_MAIN, 'check-aof', '--fix', manifest], { encoding: 'latin1', input: 'n\n' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /Aborting/);
    r = spawnSync(process.execPath, [REDOUBT_MAIN, 'check-aof', '--fix', manifest], { encoding: 'latin1', input: 'y\n' });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /Successfully truncated AOF appendonly\.aof\.1\.incr\.aof/);
    assert.equal(fs.statSync(incr).size, good);
    // redis-check-aof from Redis 7.0 agrees with the repaired directory.
    const ref = spawnSync('redis-check-aof', [manifest], { encoding: 'latin1' });
    assert.match(ref.stdout, /All AOF files and manifest are valid/);
  });
});

describe('appendonly at runtime, WAITAOF, timestamps, auto rewrite', () => {
  test('CONFIG SET appendonly yes writes a BASE of the data so far; restart loads it', async () => {
    const dir = scratchDir('runtime');
    const server = await startRedoubt(['--dir', dir]);
    started.push(server);
    const cli = client(server.port);
    await fill(server.port);
    await assert.rejects(cli.call('WAITAOF', '1', '0', '0'), /WAITAOF cannot be used when numlocal is set but appendonly is disabled/);
    assert.equal(await cli.config('SET', 'appendonly', 'yes'), 'OK');
    await rewriteDone(cli);
    assert.equal(manifestFiles(dir).base, 'appendonly.aof.1.base.rdb');
    await cli.set('after', 'on');
    assert.deepEqual(await cli.call('WAITAOF', '1', '0', '0'), [1, 0]);
    const t = Date.now();
    assert.deepEqual(await cli.call('WAITAOF', '1', '1', '150'), [1, 0]);
    assert.ok(Date.now() - t >= 140);
    await assert.rejects(cli.call('WAITAOF', '2', '0', '0'), /value must between 0 and 1/);
    const want = await dataset(server.port);
    await server.stop();
    const again = await redoubtAof(dir);
    assert.deepEqual(await dataset(again.server.port), want);
    assert.equal(await again.cli.config('SET', 'appendonly', 'no'), 'OK');
    assert.match(await again.cli.info('persistence'), /aof_enabled:0/);
    await again.server.stop();
  });

  test('WAITAOF under everysec waits for the next fsync', async () => {
    const dir = scratchDir('waitaof');
    const { server, cli } = await redoubtAof(dir, '--appendfsync', 'everysec');
    await cli.set('a', '1');
    const t = Date.now();
    assert.deepEqual(await cli.call('WAITAOF', '1', '0', '3000'), [1, 0]);
    assert.ok(Date.now() - t < 2500);
    await server.stop();
  });

  test('aof-timestamp-enabled writes #TS annotations that Redoubt and redis-server skip', async () => {
    const dir = scratchDir('ts');
    const { server, cli } = await redoubtAof(dir, '--aof-timestamp-enabled', 'yes');
    await cli.set('a', '1');
    await sleep(1100);
    await cli.set('b', '2');
    await server.stop();
    const text = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    assert.ok((text.match(/#TS:\d+\r\n/g) ?? []).length >= 2, text);
    const again = await redoubtAof(dir);
    assert.deepEqual(await again.cli.mget('a', 'b'), ['1', '2']);
    await again.server.stop();
    const rdir = scratchDir('ts-redis');
    copyDir(path.join(dir, 'appendonlydir'), path.join(rdir, 'appendonlydir'));
    const redis = await startRedis(['--dir', rdir, '--appendonly', 'yes']);
    started.push(redis);
    const rc = client(redis.port);
    assert.deepEqual(await rc.mget('a', 'b'), ['1', '2']);
    await redis.stop();
  });

  test('auto-aof-rewrite-percentage rewrites once the AOF has grown past min-size', async () => {
    const dir = scratchDir('auto');
    const { server, cli } = await redoubtAof(dir, '--auto-aof-rewrite-min-size', '10kb', '--auto-aof-rewrite-percentage', '100');
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 30; i++) await cli.set(`k${i % 3}`, big);
    let rewrites = 0;
    for (let i = 0; i < 30 && rewrites === 0; i++) {
      await sleep(100);
      rewrites = Number(/aof_rewrites:(\d+)/.exec(await cli.info('persistence'))?.[1]);
    }
    assert.ok(rewrites >= 1);
    await rewriteDone(cli);
    assert.notEqual(manifestFiles(dir).base, 'appendonly.aof.1.base.rdb');
    assert.equal(await cli.dbsize(), 3);
    await server.stop();
  });
});
