// maxmemory and eviction on real server processes: which keys each policy evicts (volatile-* only
// keys with a TTL, volatile-ttl the soonest, LRU keeps what was read, LFU what was read often),
// -OOM under noeviction while reads go on, `evicted` notifications, MEMORY USAGE against Redis's
// figures, redis-cli --bigkeys and --memkeys, refused values, and the launcher that sizes V8's
// heap from maxmemory: the pid is the server's, clients writing flat out do not kill it, its RSS
// stays under the stated bound, and kill -9 leaves nothing behind. OBJECT FREQ/IDLETIME and the
// MEMORY replies that can be compared byte for byte are in test/corpus/memory.redis.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, REDOUBT_MAIN, useServerPair } from './helpers/servers.js';
import { AccessPolicy, lfuCounterOf } from '../src/store/key-meta.js';

const LAUNCHER = fileURLToPath(new URL('../../bin/redoubt', import.meta.url));
const MB = 1024 * 1024;

async function info(r: Redis, section: string): Promise<Map<string, string>> {
  const text = await r.info(section);
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

async function infoNum(r: Redis, section: string, field: string): Promise<number> {
  const v = (await info(r, section)).get(field);
  assert.ok(v !== undefined, `INFO ${section} has no ${field}`);
  return Number(v);
}

const value = (n: number): string => 'v'.repeat(n);

/** SETs `count` keys `prefix:i` with values of `size` bytes (and EX `ttl` when given). */
async function fill(r: Redis, prefix: string, count: number, size: number, ttl?: number): Promise<void> {
  const p = r.pipeline();
  for (let i = 0; i < count; i++) {
    if (ttl === undefined) p.set(`${prefix}:${i}`, value(size));
    else p.set(`${prefix}:${i}`, value(size), 'EX', ttl);
  }
  await p.exec();
}

/** How many of `prefix:0..count-1` still exist. */
async function surviving(r: Redis, prefix: string, count: number): Promise<number> {
  const p = r.pipeline();
  for (let i = 0; i < count; i++) p.exists(`${prefix}:${i}`);
  const replies = (await p.exec()) ?? [];
  return replies.filter(([err, n]) => err === null && n === 1).length;
}

/** Sets maxmemory just above what is used now, so the next writes must evict (or be refused). */
async function limitHere(r: Redis, slack = 8 * 1024): Promise<number> {
  const limit = (await infoNum(r, 'memory', 'used_memory')) + slack;
  await r.config('SET', 'maxmemory', String(limit));
  return limit;
}

describe('eviction', () => {
  const pair = useServerPair({ redoubtClient: {}, redisClient: {} });
  let r: Redis;
  before(() => {
    r = pair.redoubtClient;
  });
  async function reset(policy: string): Promise<void> {
    await r.config('SET', 'maxmemory', '0');
    await r.flushall();
    await r.config('SET', 'maxmemory-policy', policy);
    await r.config('RESETSTAT');
  }

  test('allkeys-lru keeps the keys that were read, and used_memory stays under maxmemory', async () => {
    await reset('allkeys-lru');
    await r.set('tmp', value(1000));
    const payload = await r.dumpBuffer('tmp');
    await r.del('tmp');
    // Every key starts 1000 s idle; then the hot ones are read, which makes them recent.
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) p.restore(`cold:${i}`, 0, payload, 'IDLETIME', 1000);
    for (let i = 0; i < 200; i++) p.restore(`hot:${i}`, 0, payload, 'IDLETIME', 1000);
    await p.exec();
    assert.ok((await r.object('IDLETIME', 'hot:0')) as number >= 1000);
    const reads = r.pipeline();
    for (let i = 0; i < 200; i++) reads.get(`hot:${i}`);
    await reads.exec();
    assert.ok((await r.object('IDLETIME', 'hot:0')) as number <= 1);
    const limit = await limitHere(r);
    await fill(r, 'new', 600, 1000);
    const evicted = await infoNum(r, 'stats', 'evicted_keys');
    assert.ok(evicted >= 400, `evicted ${evicted}`);
    assert.ok((await infoNum(r, 'memory', 'used_memory')) <= limit);
    assert.ok((await surviving(r, 'hot', 200)) >= 195, 'recently read keys survive');
    assert.ok((await surviving(r, 'cold', 1000)) <= 600, 'idle keys go first');
  });

  test('allkeys-lfu keeps the keys that were read more often', async () => {
    await reset('allkeys-lfu');
    await fill(r, 'cold', 1000, 1000);
    await fill(r, 'hot', 200, 1000);
    // New keys count 5; a first access always raises the counter (Redis's LFULogIncr).
    const reads = r.pipeline();
    for (let i = 0; i < 200; i++) reads.get(`hot:${i}`).get(`hot:${i}`);
    await reads.exec();
    assert.ok((await r.object('FREQ', 'hot:0')) as number >= 6);
    assert.equal(await r.object('FREQ', 'cold:0'), 5);
    await limitHere(r);
    await fill(r, 'new', 600, 1000);
    assert.ok((await infoNum(r, 'stats', 'evicted_keys')) >= 400);
    assert.ok((await surviving(r, 'hot', 200)) >= 195, 'frequently read keys survive');
  });

  test('volatile-lru and volatile-lfu evict only keys with a TTL; with none left, writes get -OOM', async () => {
    for (const policy of ['volatile-lru', 'volatile-lfu']) {
      await reset(policy);
      await fill(r, 'ttl', 600, 1000, 10000);
      await fill(r, 'keep', 600, 1000);
      await limitHere(r);
      await fill(r, 'new', 300, 1000);
      assert.equal(await surviving(r, 'keep', 600), 600, policy);
      assert.equal(await surviving(r, 'new', 300), 300, policy);
      assert.ok((await surviving(r, 'ttl', 600)) <= 380, policy);
      // Past the last volatile key nothing may go: a write is refused, reads and DEL still work.
      let refused: unknown = null;
      for (let i = 0; i < 1000 && refused === null; i++) {
        await r.set(`more:${i}`, value(1000)).catch((err: unknown) => {
          refused = err;
        });
      }
      assert.ok(refused instanceof Error, `${policy}: no -OOM`);
      assert.equal(refused.message, "OOM command not allowed when used memory > 'maxmemory'.");
      assert.equal(await r.dbsize(), await r.dbsize());
      assert.equal((await r.get('keep:1'))?.length, 1000);
      assert.equal(await surviving(r, 'ttl', 600), 0, `${policy}: every volatile key went before the refusal`);
    }
  });

  test('volatile-ttl evicts the keys that expire soonest', async () => {
    await reset('volatile-ttl');
    await fill(r, 'soon', 400, 1000, 100);
    await fill(r, 'late', 400, 1000, 100000);
    await fill(r, 'keep', 200, 1000);
    await limitHere(r);
    await fill(r, 'new', 250, 1000);
    assert.ok((await infoNum(r, 'stats', 'evicted_keys')) >= 200);
    assert.ok((await surviving(r, 'late', 400)) >= 390, 'keys with a long TTL stay');
    assert.ok((await surviving(r, 'soon', 400)) <= 200);
    assert.equal(await surviving(r, 'keep', 200), 200);
  });

  test('allkeys-random spreads its picks; volatile-random picks only keys with a TTL', async () => {
    await reset('allkeys-random');
    await fill(r, 'a', 500, 1000);
    await fill(r, 'b', 500, 1000);
    await limitHere(r);
    await fill(r, 'new', 400, 1000);
    // About a third of each half goes; the first keys written are not simply the first to go.
    const a = await surviving(r, 'a', 500);
    const b = await surviving(r, 'b', 500);
    assert.ok(a < 480 && b < 480 && a > 200 && b > 200, `survivors ${a} and ${b}`);
    await reset('volatile-random');
    await fill(r, 'ttl', 500, 1000, 10000);
    await fill(r, 'keep', 500, 1000);
    await limitHere(r);
    await fill(r, 'new', 200, 1000);
    assert.equal(await surviving(r, 'keep', 500), 500);
    assert.ok((await surviving(r, 'ttl', 500)) <= 330);
  });

  test('noeviction refuses writes with -OOM while reads, DEL and non-denyoom commands work', async () => {
    await reset('noeviction');
    await fill(r, 'k', 100, 1000);
    await limitHere(r, 10 * 1024);
    await assert.rejects(fill2(r), /^ReplyError: OOM command not allowed when used memory > 'maxmemory'\.$/);
    assert.equal((await r.get('k:1'))?.length, 1000);
    assert.equal(await r.exists('k:2'), 1);
    await assert.rejects(r.lpush('list', 'x'), /OOM/);
    // MULTI queueing counts as a write; EXEC of a queue without denyoom commands is not refused.
    await assert.rejects(r.multi().set('x', '1').exec(), /OOM|EXECABORT/);
    assert.equal(await r.del('k:0', 'k:1', 'k:2', 'k:3', 'k:4', 'k:5', 'k:6', 'k:7', 'k:8', 'k:9', 'k:10', 'k:11', 'k:12', 'k:13', 'k:14', 'k:15'), 16);
    assert.equal(await r.set('after-del', 'fits'), 'OK');
    // A script's writes see the state found before it ran.
    await limitHere(r, -1024);
    await assert.rejects(r.eval("return redis.call('set', 'from-script', 'x')", 0), /OOM command not allowed when used memory > 'maxmemory'/);
    assert.equal(await r.eval("return redis.call('get', 'k:20')", 0), value(1000));
    assert.equal(await infoNum(r, 'stats', 'evicted_keys'), 0);
  });

  async function fill2(client: Redis): Promise<void> {
    for (let i = 0; i < 200; i++) await client.set(`over:${i}`, value(1000));
  }

  test('with tenacity 0 a lowered maxmemory is reached in the background, without commands', async () => {
    await reset('allkeys-random');
    await r.config('SET', 'maxmemory-eviction-tenacity', '0');
    try {
      await fill(r, 'k', 3000, 1000);
      const used = await infoNum(r, 'memory', 'used_memory');
      // Half the data must go; each call may evict only 16 keys, so the rest goes in slices.
      await r.config('SET', 'maxmemory', String(used - 1500 * 1024));
      // Polled every 100 ms: each INFO may evict 16 keys itself, far fewer than the 1200 or so
      // that must go, so getting there is the background's work.
      let mem = await info(r, 'memory');
      for (let i = 0; i < 30 && Number(mem.get('used_memory')) > Number(mem.get('maxmemory')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        mem = await info(r, 'memory');
      }
      assert.ok(Number(mem.get('used_memory')) <= Number(mem.get('maxmemory')));
      const dbsize = await r.dbsize();
      assert.ok(dbsize < 1900 && dbsize > 1000, `dbsize ${dbsize}`);
      assert.ok((await infoNum(r, 'stats', 'total_eviction_exceeded_time')) >= 0);
    } finally {
      await r.config('SET', 'maxmemory-eviction-tenacity', '10');
    }
  });

  test('each evicted key is announced as an `evicted` keyspace event', async () => {
    await reset('allkeys-random');
    await r.config('SET', 'notify-keyspace-events', 'Ee');
    const sub = new Redis({ port: pair.redoubt.port, host: '127.0.0.1' });
    try {
      const seen: string[] = [];
      await sub.subscribe('__keyevent@0__:evicted');
      sub.on('message', (_channel: string, key: string) => seen.push(key));
      await fill(r, 'k', 200, 1000);
      await limitHere(r, 1024);
      await fill(r, 'n', 50, 1000);
      await r.ping();
      // Eviction past its time budget goes on in the background, and the events travel on
      // another connection: wait (at most 5 s) until the count and the events settle together.
      let evicted = await infoNum(r, 'stats', 'evicted_keys');
      for (let waited = 0; seen.length !== evicted && waited < 5000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        evicted = await infoNum(r, 'stats', 'evicted_keys');
      }
      assert.ok(evicted >= 40);
      assert.equal(seen.length, evicted);
      for (const k of seen) assert.equal(await r.exists(k), 0);
    } finally {
      sub.disconnect();
      await r.config('SET', 'notify-keyspace-events', '');
    }
  });

  test('CLIENT NO-TOUCH reads leave idle times alone, and OBJECT never touches', async () => {
    await reset('allkeys-lru');
    await r.set('tmp', 'x');
    const payload = await r.dumpBuffer('tmp');
    await r.restore('idle', 0, payload, 'IDLETIME', 500);
    await r.call('CLIENT', 'NO-TOUCH', 'ON');
    await r.get('idle');
    assert.ok((await r.object('IDLETIME', 'idle')) as number >= 500);
    await r.call('CLIENT', 'NO-TOUCH', 'OFF');
    await r.object('ENCODING', 'idle');
    assert.ok((await r.object('IDLETIME', 'idle')) as number >= 500);
    await r.get('idle');
    assert.ok((await r.object('IDLETIME', 'idle')) as number <= 1);
  });

  test('maxmemory 0 means the heap capacity: half of the old generation', async () => {
    await reset('noeviction');
    const mem = await info(r, 'memory');
    const heapLimit = Number(mem.get('heap_size_limit'));
    assert.equal(mem.get('maxmemory'), '0');
    assert.equal(Number(mem.get('maxmemory_effective')), Math.floor((heapLimit - 48 * MB) * 0.5));
  });

  test('used_memory follows the real heap: growth and FLUSHALL match V8 after MEMORY PURGE', async () => {
    await reset('noeviction');
    const sample = async (): Promise<[number, number]> => {
      assert.equal(await r.call('MEMORY', 'PURGE'), 'OK');
      const mem = await info(r, 'memory');
      return [Number(mem.get('used_memory')), Number(mem.get('heap_used'))];
    };
    const [used0, heap0] = await sample();
    await fill(r, 'k', 30000, 100);
    const p = r.pipeline();
    for (let i = 0; i < 50; i++) p.hset(`h${i}`, Object.fromEntries(Array.from({ length: 200 }, (_, j) => [`field-${j}`, `value-${j}`])));
    for (let i = 0; i < 50; i++) p.rpush(`l${i}`, ...Array.from({ length: 200 }, (_, j) => `element-${j}`));
    await p.exec();
    const [used1, heap1] = await sample();
    const ratio = (heap1 - heap0) / (used1 - used0);
    assert.ok(ratio > 0.75 && ratio < 1.35, `heap grew ${heap1 - heap0}, used_memory ${used1 - used0}`);
    await r.flushall();
    const [used2, heap2] = await sample();
    assert.equal(used2, used0);
    assert.ok(heap2 - heap0 < (heap1 - heap0) / 10, `heap after FLUSHALL ${heap2 - heap0} above where it started`);
  });

  test('MEMORY USAGE is within a small factor of Redis 7.0 for every type', async () => {
    const rs = pair.redisClient;
    await reset('noeviction');
    await rs.flushall();
    const build = async (c: Redis): Promise<void> => {
      await c.set('small', 'hello');
      await c.set('big', value(5000));
      await c.rpush('list', ...Array.from({ length: 200 }, (_, i) => `element-${i}`));
      await c.hset('hash', Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`field-${i}`, `value-${i}`])));
      await c.sadd('set', ...Array.from({ length: 200 }, (_, i) => `member-${i}`));
      await c.sadd('intset', ...Array.from({ length: 200 }, (_, i) => String(i)));
      await c.zadd('zset', ...Array.from({ length: 200 }, (_, i) => [String(i + 0.5), `member-${i}`]).flat());
      for (let i = 1; i <= 200; i++) await c.xadd('stream', `${i}-1`, 'field', `value-${i}`);
    };
    await build(r);
    await build(rs);
    const ratios: string[] = [];
    for (const key of ['small', 'big', 'list', 'hash', 'set', 'intset', 'zset', 'stream']) {
      for (const samples of ['5', '0']) {
        const ours = Number(await r.call('MEMORY', 'USAGE', key, 'SAMPLES', samples));
        const theirs = Number(await rs.call('MEMORY', 'USAGE', key, 'SAMPLES', samples));
        const ratio = ours / theirs;
        ratios.push(`${key}/${samples}: ${ours} vs ${theirs} (${ratio.toFixed(2)})`);
        // V8 holds more per element than Redis's compact encodings: a generous, stated bound.
        // Integer sets are the exception: Redis packs them in 2-8 bytes, Redoubt keeps strings.
        const [low, high] = key === 'intset' ? [1, 40] : [0.5, 5];
        assert.ok(ratio >= low && ratio <= high, ratios.join('\n'));
      }
    }
    // The dataset part of used_memory is the sum of the keys' estimates (samples as for eviction).
    const stats = (await r.call('MEMORY', 'STATS')) as unknown[];
    const at = stats.indexOf('keys.count');
    assert.equal(stats[at + 1], 8);
  });

  test('redis-cli --bigkeys and --memkeys run to completion', async () => {
    await reset('noeviction');
    await fill(r, 's', 50, 100);
    await r.rpush('biglist', ...Array.from({ length: 300 }, (_, i) => `e${i}`));
    await r.hset('bighash', 'a', '1', 'b', '2');
    await r.sadd('bigset', 'x', 'y', 'z');
    await r.zadd('bigzset', 1, 'a');
    await r.xadd('bigstream', '*', 'f', 'v');
    for (const mode of ['--bigkeys', '--memkeys']) {
      const out = await new Promise<string>((resolve, reject) => {
        execFile('redis-cli', ['-p', String(pair.redoubt.port), mode], { timeout: 10000 }, (err, stdout) => {
          if (err !== null) reject(new Error(`redis-cli ${mode} failed: ${err.message}`));
          else resolve(stdout);
        });
      });
      assert.match(out, /Sampled 55 keys in the keyspace!/, `${mode}:\n${out}`);
      assert.match(out, /Biggest {3}list found '"biglist"'/, `${mode}:\n${out}`);
      assert.match(out, /Biggest stream found '"bigstream"'/, `${mode}:\n${out}`);
    }
  });

  test('maxmemory past what the heap can hold is refused, and stays as it was', async () => {
    await reset('noeviction');
    await r.config('SET', 'maxmemory', '100mb');
    await assert.rejects(
      r.config('SET', 'maxmemory', '1000000gb'),
      /^ReplyError: ERR CONFIG SET failed \(possibly related to argument 'maxmemory'\) - maxmemory 1073741824000000 is more than this process can hold: at most \d+ bytes/,
    );
    // Redis takes a number past 2^64 as its largest value; Redoubt refuses it as too big.
    await assert.rejects(r.config('SET', 'maxmemory', '99999999999999999999999'), /more than this process can hold/);
    assert.deepEqual(await r.config('GET', 'maxmemory'), ['maxmemory', String(100 * MB)]);
    await r.config('SET', 'maxmemory', '0');
  });
});

test('a startup maxmemory past what the heap can hold stops the server with the reason', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--max-old-space-size=256', REDOUBT_MAIN, '--port', String(port), '--maxmemory', '1gb'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1, out);
  assert.match(out, /maxmemory 1073741824 is more than this process can hold: at most 134217728 bytes/);
});

test('the launcher sizes any heap asked for, but maxmemory past half the system memory is refused', async () => {
  const port = await freePort();
  const requested = 2 * totalmem();
  const child = spawn(LAUNCHER, ['--port', String(port), '--maxmemory', String(requested)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1, out);
  assert.match(out, new RegExp(`maxmemory ${requested} is more than this process can hold: at most \\d+ bytes, half of the \\d+ bytes of memory this system gives the process`));
});

describe('the launcher sizes the heap from maxmemory', () => {
  const maxmemory = 32 * MB;
  let port = 0;
  let pid = 0;
  let child: ReturnType<typeof spawn> | null = null;
  let out = '';
  before(async () => {
    port = await freePort();
    child = spawn(LAUNCHER, ['--port', String(port), '--maxmemory', String(maxmemory), '--maxmemory-policy', 'allkeys-lru'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    pid = child.pid ?? 0;
    const deadline = Date.now() + 10000;
    while (!out.includes('Ready to accept connections')) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `launcher did not start:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
  after(() => {
    if (child !== null && child.exitCode === null) child.kill('SIGKILL');
  });

  function rss(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
  }

  test('the pid is the server, its heap fits maxmemory, and writers flat out neither kill it nor push it past its bounds', async () => {
    const r = new Redis({ port, host: '127.0.0.1' });
    try {
      const server = await info(r, 'server');
      assert.equal(Number(server.get('process_id')), pid, 'the launcher execs: the pid the user sees is the server');
      const mem = await info(r, 'memory');
      const heapLimit = Number(mem.get('heap_size_limit'));
      // 2 x maxmemory + 16 MB of old generation, plus V8's 48 MB young generation.
      assert.equal(heapLimit, 2 * maxmemory + 16 * MB + 48 * MB);
      assert.equal(Number(mem.get('maxmemory_effective')), maxmemory);
      // Four clients write 8 KB values as fast as they can until they have written four times
      // maxmemory (about two seconds here; at most six on a loaded machine).
      const writers = Array.from({ length: 4 }, () => new Redis({ port, host: '127.0.0.1' }));
      let maxRss = rss();
      const sampler = setInterval(() => (maxRss = Math.max(maxRss, rss())), 50);
      const until = Date.now() + 6000;
      const target = (4 * maxmemory) / 8192;
      let written = 0;
      let refused = 0;
      await Promise.all(
        writers.map(async (w, n) => {
          let i = 0;
          while (Date.now() < until && written < target) {
            const p = w.pipeline();
            for (let j = 0; j < 50; j++) p.set(`w${n}:${i++}`, value(8192));
            const replies = (await p.exec()) ?? [];
            for (const [err] of replies) if (err !== null) refused++;
            written += 50;
          }
        }),
      );
      clearInterval(sampler);
      for (const w of writers) w.disconnect();
      assert.equal(await r.ping(), 'PONG');
      assert.ok(written * 8192 > 2 * maxmemory, `wrote only ${written} values`);
      // Under allkeys-lru every write finds room (the heap guard underneath never had to refuse).
      assert.equal(refused, 0, `${refused} of ${written} writes refused`);
      const used = await infoNum(r, 'memory', 'used_memory');
      assert.ok(used <= maxmemory, `used_memory ${used}`);
      assert.ok((await infoNum(r, 'stats', 'evicted_keys')) > 0);
      // The stated bound (docs/memory.md): RSS stays under V8's heap limit plus 128 MB for the
      // runtime (code, Node's own buffers, socket buffers). Measured: about 157 MB here.
      assert.ok(maxRss <= heapLimit + 128 * MB, `RSS peaked at ${(maxRss / MB).toFixed(0)} MB, heap limit ${(heapLimit / MB).toFixed(0)} MB`);
      // Under noeviction the same server refuses writes and keeps serving reads.
      await r.config('SET', 'maxmemory-policy', 'noeviction');
      await r.config('SET', 'maxmemory', String(used - 1024 * 1024));
      await assert.rejects(r.set('x', value(1000)), /OOM/);
      assert.equal(await r.dbsize(), await r.dbsize());
      const someKey = await r.randomkey();
      assert.ok(someKey !== null && (await r.get(someKey))?.length === 8192);
    } finally {
      r.disconnect();
    }
  });

  test('kill -9 of that pid leaves nothing running', async () => {
    assert.ok(child !== null);
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(pid, 'SIGKILL');
    await exited;
    const left = await new Promise<string>((resolve) => {
      execFile('pgrep', ['-f', `--port ${port}`], (_err, stdout) => resolve(stdout.trim()));
    });
    assert.equal(left, '');
  });
});

describe('the LFU counter (Redis 7.0 evict.c arithmetic)', () => {
  const minute = 60_000;
  const policy = new AccessPolicy();
  const now = 1_700_000_000_000;
  const fieldAt = (msAgo: number, counter: number): number => ((Math.floor((now - msAgo) / minute) & 0xffff) << 8) | counter;

  test('loses one per lfu-decay-time minutes since its last decrement, never below 0; 0 turns decay off', () => {
    policy.decayTime = 1;
    assert.equal(lfuCounterOf(fieldAt(0, 10), now, policy), 10);
    assert.equal(lfuCounterOf(fieldAt(3 * minute, 10), now, policy), 7);
    assert.equal(lfuCounterOf(fieldAt(30 * minute, 10), now, policy), 0);
    policy.decayTime = 2;
    assert.equal(lfuCounterOf(fieldAt(5 * minute, 10), now, policy), 8);
    policy.decayTime = 0;
    assert.equal(lfuCounterOf(fieldAt(500 * minute, 10), now, policy), 10);
  });

  test('the 16-bit minutes wrap once, as LFUTimeElapsed takes them', () => {
    policy.decayTime = 1;
    // Last decrement at minute 65530 of the 16-bit clock, now at minute 4: 65535 - 65530 + 4 = 9.
    const at = (minutes: number): number => minutes * minute;
    const field = (65530 << 8) | 20;
    assert.equal(lfuCounterOf(field, at(65536 * 10 + 4), policy), 11);
  });
});
