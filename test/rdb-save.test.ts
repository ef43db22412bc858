// RDB files written by Redoubt, checked by the real redis-server 7.0 (and valkey-server 8) loading them: every type in
// both its small and large forms, expiries, several databases and function libraries, key by key.
// A BGSAVE taken while clients write, delete, rename, expire, flush and swap must load as the image
// of the moment it started; the event loop keeps answering meanwhile. Files are not an attack
// path (symlinks, foreign files), a full disk makes the save fail loudly (-MISCONF, INFO, the log)
// until there is room again, and a kill -9 mid-save leaves the previous file as it was.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'redoubt-rdb-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) {
    spawnSync('umount', [d], { stdio: 'ignore' });
    rmSync(d, { recursive: true, force: true });
  }
});

function client(s: RunningServer, db = 0): Redis {
  return new Redis({ port: s.port, host: s.host, db, lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: true });
}

/** A reply with every Buffer as a latin1 string, so images compare binary-safe. */
function text(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.latin1Slice();
  if (Array.isArray(v)) return v.map(text);
  return v;
}

/** Every key of `db` with its type, exact expiry and whole content, as a comparable string. */
async function dbImage(c: Redis, db: number): Promise<Map<string, string>> {
  await c.select(db);
  const keys = ((await c.callBuffer('KEYS', '*')) as Buffer[]).map((k) => k.latin1Slice());
  const out = new Map<string, string>();
  const types = await Promise.all(keys.map((k) => c.type(Buffer.from(k, 'latin1'))));
  await Promise.all(
    keys.map(async (k, i) => {
      const key = Buffer.from(k, 'latin1');
      const type = types[i] ?? 'none';
      const exp = await c.call('PEXPIRETIME', key);
      let content: unknown;
      switch (type) {
        case 'string':
          content = text(await c.callBuffer('GET', key));
          break;
        case 'list':
          content = text(await c.callBuffer('LRANGE', key, '0', '-1'));
          break;
        case 'hash': {
          const flat = text(await c.callBuffer('HGETALL', key)) as string[];
          const pairs: string[] = [];
          for (let j = 0; j < flat.length; j += 2) pairs.push(`${flat[j]}=${flat[j + 1]}`);
          content = pairs.sort();
          break;
        }
        case 'set':
          content = (text(await c.callBuffer('SMEMBERS', key)) as string[]).sort();
          break;
        case 'zset':
          content = text(await c.callBuffer('ZRANGE', key, '0', '-1', 'WITHSCORES'));
          break;
        case 'stream':
          content = [text(await c.callBuffer('XRANGE', key, '-', '+')), text(await c.callBuffer('XINFO', 'STREAM', key, 'FULL'))];
          break;
        default:
          content = type;
      }
      out.set(k, JSON.stringify([type, exp, content]));
    }),
  );
  return out;
}

async function image(c: Redis, dbs: readonly number[]): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const db of dbs) for (const [k, v] of await dbImage(c, db)) all.set(`${db}:${k}`, v);
  await c.select(0);
  return all;
}

function assertSameImage(actual: Map<string, string>, expected: Map<string, string>, what: string): void {
  const keys = new Set([...actual.keys(), ...expected.keys()]);
  const wrong = [...keys].filter((k) => actual.get(k) !== expected.get(k)).sort();
  assert.equal(actual.size, expected.size, `${what}: ${actual.size} keys, expected ${expected.size}; differing: ${wrong.slice(0, 5).join(', ')}`);
  assert.deepEqual(
    wrong.slice(0, 5).map((k) => [k, actual.get(k)?.slice(0, 300), expected.get(k)?.slice(0, 300)]),
    [],
    `${what}: ${wrong.length} keys differ`,
  );
}

async function info(c: Redis, field: string): Promise<string> {
  const m = new RegExp(`\\r\\n${field}:([^\\r]*)\\r\\n`).exec(await c.info('persistence'));
  assert.ok(m?.[1] !== undefined, `INFO has no ${field}`);
  return m[1];
}

/** Waits until no background save runs; returns its status. */
async function bgsaveDone(c: Redis, timeoutMs = 30000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while ((await info(c, 'rdb_bgsave_in_progress')) !== '0') {
    assert.ok(Date.now() < deadline, 'BGSAVE did not finish in time');
    await sleep(20);
  }
  return info(c, 'rdb_last_bgsave_status');
}

/** Loads `file` (in `dir`) into a fresh redis-server and returns its image of `dbs`. */
async function loadedByRedis(dir: string, file: string, dbs: readonly number[]): Promise<{ image: Map<string, string>; libs: unknown }> {
  const redis = await startRedis(['--dir', dir, '--dbfilename', file]);
  const c = client(redis);
  try {
    return { image: await image(c, dbs), libs: await c.call('FUNCTION', 'LIST', 'WITHCODE') };
  } finally {
    c.disconnect();
    await redis.stop();
  }
}

/** An image with scores as numbers and streams as their entries: what any server must agree on. */
function comparable(img: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of img) {
    const [type, exp, content] = JSON.parse(v) as [string, unknown, unknown];
    let data = content;
    if (type === 'zset') data = (content as unknown[]).flat().map((x, i) => (i % 2 === 1 ? Number(x) : x));
    if (type === 'stream') data = (content as unknown[])[0];
    out.set(k, JSON.stringify([type, exp, data]));
  }
  return out;
}

/** Loads `file` into a fresh valkey-server 8 and returns its image of `dbs` (it reads version 10 files too). */
async function loadedByValkey(dir: string, file: string, dbs: readonly number[]): Promise<Map<string, string>> {
  const port = await freePort();
  const child = spawn('valkey-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--dbfilename', file], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 15000;
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    for (;;) {
      try {
        await c.connect();
        break;
      } catch {
        assert.ok(Date.now() < deadline && child.exitCode === null, 'valkey-server did not start');
        await sleep(50);
      }
    }
    try {
      return await image(c, dbs);
    } finally {
      c.disconnect();
    }
  } finally {
    child.kill('SIGKILL');
  }
}

const LIB = "#!lua name=mylib\nredis.register_function('hello', function(keys, args) return 'hi' end)";
const FAR = String(Date.now() + 10 * 365 * 86400 * 1000);

/** One key of every type and encoding, small and large, with and without a TTL, in dbs 0, 1 and 5. */
async function populate(c: Redis): Promise<void> {
  const p = c.pipeline();
  p.select(0);
  p.set('int', '12345');
  p.set('neg', '-7');
  p.set('raw', 'hello world');
  p.set('long', 'abcdefghij'.repeat(200));
  p.set(Buffer.from([0, 1, 2, 255, 254, 10, 13]), Buffer.from([255, 0, 128, 13, 10]));
  p.set('9999', 'numeric key');
  p.set('withttl', 'v', 'PXAT', FAR);
  p.rpush('list', 'a', 'b', '1', '2', 'c'.repeat(100));
  p.call('PFADD', 'hll', 'a', 'b', 'c', 'd');
  p.hset('hash', 'f1', 'v1', 'f2', '2', 'f3', 'x'.repeat(100));
  p.sadd('intset', '1', '2', '3', '-100', '4000000000');
  p.sadd('set', 'a', 'b', 'c');
  p.zadd('zset', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'd');
  p.xadd('stream', '1-1', 'f', 'v');
  p.xadd('stream', '2-1', 'f', 'v2', 'g', 'w');
  p.call('XGROUP', 'CREATE', 'stream', 'grp', '0');
  p.call('XREADGROUP', 'GROUP', 'grp', 'alice', 'COUNT', '1', 'STREAMS', 'stream', '>');
  p.call('PEXPIREAT', 'hash', FAR);
  // Large enough to be written a slice at a time.
  const n = 6000;
  const items = Array.from({ length: n }, (_, i) => `e${i}`);
  p.rpush('biglist', ...items);
  p.sadd('bigset', ...items);
  p.sadd('bigintset', ...items.map((_, i) => String(i * 3)));
  p.hset('bighash', ...items.flatMap((x, i) => [x, `v${i}`]));
  p.zadd('bigzset', ...items.flatMap((x, i) => [String(i / 7), x]));
  p.call('PEXPIREAT', 'bigzset', FAR);
  p.select(1);
  p.set('db1key', 'one');
  p.rpush('db1list', 'x');
  p.select(5);
  p.set('db5key', 'five', 'PXAT', FAR);
  p.select(0);
  p.call('FUNCTION', 'LOAD', LIB);
  const res = await p.exec();
  for (const [err] of res ?? []) assert.equal(err, null);
}

const DBS = [0, 1, 2, 3, 5] as const;

describe('RDB files: real redis-server loads what Redoubt writes', () => {
  test('SAVE and BGSAVE of every type, expiries, several databases and functions load key by key', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir]);
    const c = client(s);
    try {
      await populate(c);
      const expected = await image(c, DBS);
      const libs = await c.call('FUNCTION', 'LIST', 'WITHCODE');
      assert.equal(await c.call('SAVE'), 'OK');
      const mode = statSync(join(dir, 'dump.rdb')).mode & 0o777;
      assert.equal(mode, 0o600, `dump.rdb has mode ${mode.toString(8)}`);
      const check = execFileSync('redis-check-rdb', [join(dir, 'dump.rdb')]).toString();
      assert.match(check, /RDB looks OK/);
      copyFileSync(join(dir, 'dump.rdb'), join(dir, 'saved.rdb'));
      const saved = await loadedByRedis(dir, 'saved.rdb', DBS);
      assertSameImage(saved.image, expected, 'SAVE');
      assert.deepEqual(saved.libs, libs);
      // Valkey 8 prints some scores and XINFO STREAM FULL its own way: compare what the data is.
      assertSameImage(comparable(await loadedByValkey(dir, 'saved.rdb', DBS)), comparable(expected), 'SAVE, loaded by valkey-server');

      const before = Number(await c.call('LASTSAVE'));
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      assert.equal(await bgsaveDone(c), 'ok');
      assert.ok(Number(await c.call('LASTSAVE')) >= before);
      const bg = await loadedByRedis(dir, 'dump.rdb', DBS);
      assertSameImage(bg.image, expected, 'BGSAVE');
      assert.deepEqual(bg.libs, libs);
      assert.equal(await info(c, 'rdb_changes_since_last_save'), '0');
      assert.equal(await info(c, 'rdb_saves'), '2');
      // Without rdbcompression and rdbchecksum the file still loads.
      await c.config('SET', 'rdbcompression', 'no');
      assert.equal(await c.call('SAVE'), 'OK');
      assertSameImage((await loadedByRedis(dir, 'dump.rdb', DBS)).image, expected, 'SAVE without compression');
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.startsWith('temp-')),
        [],
        'no temporary file is left behind',
      );
    } finally {
      c.disconnect();
      await s.stop();
    }
  });

  test('rdbchecksum no ends the file with zeros, which redis-server accepts as unchecked', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir, '--rdbchecksum', 'no']);
    const c = client(s);
    try {
      await populate(c);
      const expected = await image(c, DBS);
      assert.equal(await c.call('SAVE'), 'OK');
      const file = readFileSync(join(dir, 'dump.rdb'));
      assert.deepEqual(file.subarray(file.length - 8), Buffer.alloc(8));
      assertSameImage((await loadedByRedis(dir, 'dump.rdb', DBS)).image, expected, 'SAVE without checksum');
    } finally {
      c.disconnect();
      await s.stop();
    }
  });

  test('BGSAVE while clients write, delete, rename, expire, flush and swap is the image of its start', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir]);
    const c = client(s);
    const other = client(s);
    try {
      await populate(c);
      // Enough keys that the walk spans many slices.
      for (const db of [0, 1, 2, 3]) {
        await c.select(db);
        for (let b = 0; b < 2; b++) {
          const args: string[] = [];
          for (let i = 0; i < 5000; i++) args.push(`k${b}:${i}`, `value-${db}-${b}-${i}`);
          await c.mset(...args);
        }
      }
      await c.select(3);
      await c.hset('hugehash', ...Array.from({ length: 60000 }, (_, i) => [`f${i}`, `v${i}`]).flat());
      await c.select(0);
      const expected = await image(c, DBS);

      // The cut, then writes queued behind it in the same batch and others while the walk runs.
      const p = c.pipeline();
      p.call('BGSAVE');
      for (let i = 0; i < 2000; i += 7) p.set(`k1:${4999 - i}`, 'changed');
      p.del('k1:10', 'k1:4000', 'biglist');
      p.rename('k0:4999', 'renamed');
      p.rename('bighash', 'k0:0');
      p.zadd('bigzset', '5', 'new');
      p.pexpire('k1:4998', 1);
      p.pexpire('bigset', 1);
      p.set('fresh', 'after the cut');
      p.call('FUNCTION', 'DELETE', 'mylib');
      const res = await p.exec();
      assert.equal(res?.[0]?.[1], 'Background saving started');
      const writes = (async () => {
        await other.select(3);
        for (let i = 0; i < 200; i++) {
          await other.hset('hugehash', `f${i * 100}`, 'overwritten');
          await other.set(`k0:${i * 20}`, 'late');
          if (i === 50) await other.call('SWAPDB', '1', '2');
          if (i === 100) {
            await other.select(1);
            await other.flushdb();
            await other.select(3);
          }
        }
        await other.del('hugehash');
      })();
      await writes;
      assert.equal(await bgsaveDone(c), 'ok');
      const loaded = await loadedByRedis(dir, 'dump.rdb', DBS);
      assertSameImage(loaded.image, expected, 'BGSAVE under writes');
      assert.notDeepEqual(await image(c, DBS), expected, 'the writes did change the live keyspace');
      assert.match(JSON.stringify(loaded.libs), /mylib/, 'the library deleted after the cut is in the file');
      assert.ok(Number(await info(c, 'rdb_last_cow_size')) > 0, 'old values were held for the snapshot');
    } finally {
      c.disconnect();
      other.disconnect();
      await s.stop();
    }
  });

  test('BGSAVE while keys are deleted, created and replaced all over the key table is the image of its start', async () => {
    // The walk goes down the key table's slots, and a delete moves the table's last key into the
    // hole: keys the walk has passed come to lie where it has yet to go, and the reverse. One key
    // per slice (rdb-key-save-delay), so that every batch of writes lands in the middle of a walk.
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir, '--rdb-key-save-delay', '100']);
    const c = client(s);
    const other = client(s);
    const KEYS = 1500;
    try {
      for (const db of [0, 1]) {
        await c.select(db);
        const args: string[] = [];
        for (let i = 0; i < KEYS; i++) args.push(`k:${i}`, `v${db}:${i}`);
        await c.mset(...args);
        await Promise.all(Array.from({ length: KEYS / 10 }, (_, i) => c.pexpire(`k:${i * 10}`, 3_600_000)));
      }
      await c.select(0);
      const expected = await image(c, [0, 1]);
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      let batches = 0;
      while ((await info(other, 'rdb_bgsave_in_progress')) === '1') {
        const p = other.pipeline();
        p.select(batches % 2);
        for (let j = 0; j < 20; j++) {
          const k = `k:${Math.floor(Math.random() * KEYS)}`;
          if (j % 5 === 0) p.del(k);
          else if (j % 5 === 1) p.set(`new:${batches}:${j}`, 'after the cut');
          // The key just created is the table's last: deleting it moves nothing, or moves a key
          // created after the cut into its hole.
          else if (j % 5 === 2) p.del(`new:${batches}:${j - 1}`);
          else if (j % 5 === 3) p.set(k, 'replaced');
          else p.unlink(k);
        }
        await p.exec();
        batches++;
      }
      assert.equal(await bgsaveDone(c), 'ok');
      assert.ok(batches >= 10, `writes ran during the save (${batches} batches)`);
      assert.notDeepEqual(await image(c, [0, 1]), expected, 'the writes did change the live keyspace');
      const loaded = await loadedByRedis(dir, 'dump.rdb', [0, 1]);
      assertSameImage(loaded.image, expected, 'BGSAVE under deletes');
    } finally {
      c.disconnect();
      other.disconnect();
      await s.stop();
    }
  });

  test('the event loop keeps answering during a BGSAVE of many keys and of one huge key', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir]);
    const c = client(s);
    const pinger = client(s);
    try {
      /** Longest PING round trip while a BGSAVE runs, with `write` repeated meanwhile by another client. */
      const stall = async (write?: (n: number) => Promise<unknown>): Promise<{ max: number; pings: number; writes: number }> => {
        assert.equal(await c.call('BGSAVE'), 'Background saving started');
        let max = 0;
        let pings = 0;
        let writes = 0;
        const state = { done: false };
        const writing = (async () => {
          if (write === undefined) return;
          while (!state.done) await write(writes++);
        })();
        while ((await info(pinger, 'rdb_bgsave_in_progress')) === '1') {
          const t = performance.now();
          await pinger.ping();
          max = Math.max(max, performance.now() - t);
          pings++;
        }
        state.done = true;
        await writing;
        assert.equal(await info(c, 'rdb_last_bgsave_status'), 'ok');
        return { max, pings, writes };
      };
      // Keys before the huge one, so that a write reaches it before the walk does.
      for (let b = 0; b < 2; b++) await c.mset(...Array.from({ length: 5000 }, (_, i) => [`pad:${b}:${i}`, 'p']).flat());
      for (let b = 0; b < 20; b++) {
        await c.hset('huge', ...Array.from({ length: 10000 }, (_, i) => [`field:${b}:${i}`, `value ${i}`]).flat());
      }
      const huge = await stall();
      // Writes to the huge key while it is being saved wait for it, not the event loop.
      const writer = client(s);
      await c.config('SET', 'slowlog-log-slower-than', '20000');
      await c.slowlog('RESET');
      const written = await stall((n) => writer.hset('huge', `new:${n}`, 'x'));
      writer.disconnect();
      // Serializing the hash's old value inside the HSET would take far longer than 20 ms.
      const slow = ((await c.slowlog('GET', -1)) as [number, number, number, string[]][]).filter((e) => e[3][0]?.toLowerCase() === 'hset');
      assert.deepEqual(slow.map((e) => `${e[3].join(' ')}: ${e[2]} us`), [], 'an HSET held the event loop');
      assert.ok(written.writes > 0);
      assert.equal(await c.hlen('huge'), 200000 + written.writes, 'every held write ran');
      const saved = await loadedByRedis(dir, 'dump.rdb', [0]);
      assert.equal((JSON.parse(saved.image.get('0:huge') ?? '[]') as unknown[][])[2]?.length, 200000, 'the file has the hash as it was at the start');
      // Many small keys (added last: a FLUSHALL first would leave the garbage collector a heap to clear during the save).
      for (let b = 0; b < 40; b++) await c.mset(...Array.from({ length: 5000 }, (_, i) => [`key:${b}:${i}`, `some value ${i}`]).flat());
      const many = await stall();
      process.stdout.write(
        `# longest PING during BGSAVE: one 200k-field hash ${huge.max.toFixed(1)} ms (${huge.pings} pings), ` +
          `the same hash written meanwhile ${written.max.toFixed(1)} ms (${written.pings} pings, ${written.writes} writes), ` +
          `210k keys ${many.max.toFixed(1)} ms (${many.pings} pings)\n`,
      );
      // The target is ~10 ms; the bound leaves room for a busy shared machine (and its garbage collector).
      assert.ok(many.pings > 3 && huge.pings > 3, 'the saves ran long enough to be measured');
      for (const [what, r] of [['many keys', many], ['one huge key', huge], ['a huge key being written', written]] as const) {
        assert.ok(r.max < 150, `PING waited ${r.max} ms during a BGSAVE of ${what}`);
      }
    } finally {
      c.disconnect();
      pinger.disconnect();
      await s.stop();
    }
  });
});

describe('RDB files are not an attack path', () => {
  test('a symlink or a foreign file at the target, or a symlink at the temporary name, is never written through', async () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    const victim = join(elsewhere, 'authorized_keys');
    writeFileSync(victim, 'ssh-ed25519 AAAA... admin@host\n');
    // Where an operator unprotected dir and dbfilename, the classic chain must still fail.
    const s = await startRedoubt(['--dir', dir, '--enable-protected-configs', 'yes']);
    const c = client(s);
    try {
      await c.set('payload', '\n\nssh-ed25519 AAAA attacker\n\n');
      symlinkSync(victim, join(dir, 'link.rdb'));
      await c.config('SET', 'dbfilename', 'link.rdb');
      await assert.rejects(c.call('SAVE'), /^ReplyError: ERR$/);
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      assert.equal(await bgsaveDone(c), 'err');
      assert.ok(lstatSync(join(dir, 'link.rdb')).isSymbolicLink(), 'the symlink is left alone');

      await c.config('SET', 'dir', elsewhere);
      await c.config('SET', 'dbfilename', 'authorized_keys');
      await assert.rejects(c.call('SAVE'), /^ReplyError: ERR$/);
      assert.equal(readFileSync(victim, 'latin1'), 'ssh-ed25519 AAAA... admin@host\n', 'the foreign file is untouched');
      assert.match(s.output(), /refusing to replace .*authorized_keys: it is not an RDB file/);
      assert.match(s.output(), /refusing to replace .*link\.rdb: it is a symbolic link/);

      // A symlink planted at the temporary file's name is replaced, never followed.
      await c.config('SET', 'dir', dir);
      await c.config('SET', 'dbfilename', 'dump.rdb');
      const pid = /process_id:(\d+)/.exec(await c.info('server'))?.[1];
      assert.ok(pid !== undefined);
      symlinkSync(victim, join(dir, `temp-${pid}.rdb`));
      assert.equal(await c.call('SAVE'), 'OK');
      assert.equal(readFileSync(victim, 'latin1'), 'ssh-ed25519 AAAA... admin@host\n');
      assert.equal(statSync(join(dir, 'dump.rdb')).mode & 0o777, 0o600);
      assert.equal(existsSync(join(dir, `temp-${pid}.rdb`)), false);
    } finally {
      c.disconnect();
      await s.stop();
    }
  });
});

/** Mounts a tmpfs of `size` on a new directory; null (with the reason) where mounting is refused. */
function smallDisk(size: string): { dir: string } | { skip: string } {
  const dir = tempDir();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { skip: `cannot mount a tmpfs here (${(r.stderr || r.error?.message || 'mount failed').trim()})` };
  return { dir };
}

describe('disk trouble', () => {
  const disk = smallDisk('1m');
  test('a full disk fails the BGSAVE, writes get -MISCONF, and saving works again once there is room', { skip: 'skip' in disk ? disk.skip : false }, async () => {
    assert.ok('dir' in disk);
    const s = await startRedoubt(['--dir', disk.dir, '--save', '3600', '1', '--rdbcompression', 'no']);
    const c = client(s);
    try {
      for (let b = 0; b < 4; b++) await c.mset(...Array.from({ length: 1000 }, (_, i) => [`k${b}:${i}`, 'x'.repeat(500)]).flat());
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      assert.equal(await bgsaveDone(c), 'err');
      await assert.rejects(c.set('a', 'b'), (e: Error) => e.message === (
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."));
      await assert.rejects(c.ping(), /^ReplyError: MISCONF /);
      assert.equal(await c.get('k0:0'), 'x'.repeat(500), 'reads still work');
      assert.match(s.output(), /Write error saving DB on disk\(rdbSaveRio\): No space left on device/);
      assert.match(s.output(), /Background saving error/);
      assert.deepEqual(readdirSync(disk.dir), [], 'the failed temporary file is removed');
      await assert.rejects(c.call('SAVE'), /^ReplyError: ERR$/);

      execFileSync('mount', ['-o', 'remount,size=16m', disk.dir]);
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      assert.equal(await bgsaveDone(c), 'ok');
      assert.equal(await c.set('a', 'b'), 'OK');
      assert.deepEqual(readdirSync(disk.dir), ['dump.rdb']);
    } finally {
      c.disconnect();
      await s.stop();
    }
  });
});

describe('crashes and shutdown', () => {
  test('kill -9 during a BGSAVE leaves the previous file intact', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir]);
    const c = client(s);
    try {
      await c.set('first', 'version');
      assert.equal(await c.call('SAVE'), 'OK');
      const previous = readFileSync(join(dir, 'dump.rdb'));
      await c.mset(...Array.from({ length: 2000 }, (_, i) => [`k${i}`, `v${i}`.repeat(20)]).flat());
      // A millisecond per key (Redis's test hook): the save is surely running at the kill.
      await c.config('SET', 'rdb-key-save-delay', '1000');
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      await sleep(100);
      assert.ok(readdirSync(dir).some((f) => f.startsWith('temp-')), 'the temporary file exists');
      assert.equal(await info(c, 'rdb_bgsave_in_progress'), '1', 'the save is still running at the kill');
      s.process.kill('SIGKILL');
      await s.exited();
      assert.deepEqual(readFileSync(join(dir, 'dump.rdb')), previous, 'dump.rdb is the previous file');
      const loaded = await loadedByRedis(dir, 'dump.rdb', [0]);
      assert.deepEqual([...loaded.image.keys()], ['0:first']);
    } finally {
      c.disconnect();
      await s.stop();
    }
  });

  test('SHUTDOWN saves with save points, NOSAVE does not, SAVE forces one; SIGTERM saves; a failed save keeps the server up unless FORCE', async () => {
    const dir = tempDir();
    const file = join(dir, 'dump.rdb');
    // Save points set: SHUTDOWN saves.
    let s = await startRedoubt(['--dir', dir, '--save', '3600', '1']);
    let c = client(s);
    await c.set('a', '1');
    await c.call('SHUTDOWN').catch(() => undefined);
    await s.exited();
    c.disconnect();
    assert.ok(existsSync(file));
    rmSync(file);
    // NOSAVE: nothing written.
    s = await startRedoubt(['--dir', dir, '--save', '3600', '1']);
    c = client(s);
    await c.set('a', '1');
    await c.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    await s.exited();
    c.disconnect();
    assert.equal(existsSync(file), false);
    // No save points: SHUTDOWN does not save, SHUTDOWN SAVE does.
    s = await startRedoubt(['--dir', dir]);
    c = client(s);
    await c.set('a', '1');
    assert.equal(existsSync(file), false);
    // A target that cannot be replaced fails the save: the server stays up, FORCE exits anyway.
    mkdirSync(file);
    await assert.rejects(c.call('SHUTDOWN', 'SAVE'), /Errors trying to SHUTDOWN\. Check logs\./);
    assert.equal(await c.ping(), 'PONG');
    assert.match(s.output(), /Error trying to save the DB, can't exit\./);
    rmSync(file, { recursive: true });
    await c.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    await s.exited();
    c.disconnect();
    assert.ok(existsSync(file));
    rmSync(file);
    // SIGTERM with save points saves (shutdown-on-sigterm default).
    s = await startRedoubt(['--dir', dir, '--save', '3600', '1']);
    c = client(s);
    await c.set('b', '2');
    c.disconnect();
    s.process.kill('SIGTERM');
    await s.exited();
    assert.match(s.output(), /Received SIGTERM scheduling shutdown\.\.\.[\s\S]*Saving the final RDB snapshot before exiting\.[\s\S]*DB saved on disk/);
    const loaded = await loadedByRedis(dir, 'dump.rdb', [0]);
    assert.deepEqual([...loaded.image.keys()], ['0:b']);
  });

  test('save points start a BGSAVE from the cron once enough changes are old enough', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir, '--save', '1', '3']);
    const c = client(s);
    try {
      await c.set('a', '1');
      await c.set('b', '1');
      await sleep(1300);
      assert.equal(existsSync(join(dir, 'dump.rdb')), false, 'two changes do not reach the save point');
      await c.set('c', '1');
      const deadline = Date.now() + 5000;
      while (!existsSync(join(dir, 'dump.rdb'))) {
        assert.ok(Date.now() < deadline, 'the save point did not save');
        await sleep(50);
      }
      assert.equal(await bgsaveDone(c), 'ok');
      assert.match(s.output(), /3 changes in 1 seconds\. Saving\.\.\./);
      assert.equal(await info(c, 'rdb_changes_since_last_save'), '0');
      // As Redis, FLUSHALL with save points saves the empty dataset at once: a restart cannot bring the keys back.
      await c.set('d', '1');
      await c.flushall();
      assert.equal(await info(c, 'rdb_changes_since_last_save'), '0');
      assert.equal((await loadedByRedis(dir, 'dump.rdb', [0])).image.size, 0);
      // Without save points FLUSHALL saves nothing and the changes stay counted (Redis's unit/other).
      await c.config('SET', 'save', '');
      await c.set('d', '1');
      await c.flushall();
      assert.ok(Number(await info(c, 'rdb_changes_since_last_save')) > 0);
    } finally {
      c.disconnect();
      await s.stop();
    }
  });
});

describe('commands and state', () => {
  test('after a failed BGSAVE, Redoubt and redis-server answer the same (-MISCONF for writes and PING, EXECABORT, reads served)', async () => {
    // dump.rdb is a directory: both servers fail to put the file in place.
    const mine = tempDir();
    const theirs = tempDir();
    const [s, r] = await Promise.all([startRedoubt(['--dir', mine, '--save', '3600', '1']), startRedis(['--dir', theirs, '--save', '3600 1'])]);
    // After the start, so that neither tries to load it.
    mkdirSync(join(mine, 'dump.rdb'));
    mkdirSync(join(theirs, 'dump.rdb'));
    const both = [client(s), client(r)] as const;
    const raw = await Promise.all([RawClient.connect(s.port), RawClient.connect(r.port)]);
    try {
      for (const c of both) {
        await c.set('k', 'v');
        await c.call('FUNCTION', 'LOAD', LIB);
        await c.call('FUNCTION', 'LOAD', "#!lua name=ro\nredis.register_function{function_name='reader', callback=function() return 1 end, flags={'no-writes'}}");
        assert.equal(await c.call('BGSAVE'), 'Background saving started');
        assert.equal(await bgsaveDone(c), 'err');
      }
      const script: string[][] = [
        ['SET', 'a', '1'],
        ['PING'],
        ['GET', 'k'],
        ['DEL', 'k'],
        ['MULTI'],
        ['SET', 'a', '1'],
        ['GET', 'k'],
        ['EXEC'],
        ['EVAL', "return redis.call('set', 'x', '1')", '0'],
        ['EVAL', "return redis.pcall('set', 'x', '1')", '0'],
        ['EVAL', "return redis.call('get', 'k')", '0'],
        ['EVAL', "#!lua\nreturn redis.call('set', 'x', '1')", '0'],
        ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get', 'k')", '0'],
        ['EVAL_RO', "#!lua\nreturn redis.call('get', 'k')", '0'],
        ['FCALL', 'hello', '0'],
        ['FCALL', 'reader', 'x'],
        ['FCALL_RO', 'reader', '0'],
        ['CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no'],
        ['SET', 'a', '1'],
        ['CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'yes'],
        ['CONFIG', 'SET', 'save', ''],
        ['SET', 'a', '2'],
        ['CONFIG', 'SET', 'save', '3600 1'],
        ['SET', 'a', '3'],
        ['BGSAVE', 'NOW'],
        ['BGSAVE', 'SCHEDULE', 'x'],
      ];
      for (const argv of script) {
        const [a, b] = [await raw[0].call(...argv), await raw[1].call(...argv)];
        assert.equal(a, b, argv.join(' '));
      }
      assert.match(s.output(), /Background saving error/);
      assert.match(s.output(), /Write error saving DB on disk\(rename\): .*(Is a directory|it is not a regular file)/);
      // Room again: the next save succeeds and writes are accepted.
      rmSync(join(mine, 'dump.rdb'), { recursive: true });
      assert.equal(await both[0].call('BGSAVE', 'SCHEDULE'), 'Background saving started');
      assert.equal(await bgsaveDone(both[0]), 'ok');
      assert.equal(await both[0].set('a', '4'), 'OK');
    } finally {
      for (const c of both) c.disconnect();
      for (const c of raw) c.close();
      // With save points, a server whose final save fails refuses to exit (both do): give them room first.
      rmSync(join(mine, 'dump.rdb'), { recursive: true, force: true });
      rmSync(join(theirs, 'dump.rdb'), { recursive: true, force: true });
      await Promise.all([s.stop(), r.stop()]);
    }
  });

  test('the old values a BGSAVE holds are reported and counted in used_memory', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir, '--rdbcompression', 'no']);
    const c = client(s);
    try {
      await c.mset(...Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'small']).flat());
      await c.select(1);
      await c.mset(...Array.from({ length: 500 }, (_, i) => [`k${i}`, 'x'.repeat(1000)]).flat());
      // A millisecond per key: database 1 is overwritten long before the walk gets there, and its
      // old values are held until then.
      await c.config('SET', 'rdb-key-save-delay', '1000');
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      await c.mset(...Array.from({ length: 500 }, (_, i) => [`k${i}`, 'new']).flat());
      const memory = await c.info('memory');
      const held = Number(/\r\nmem_snapshot_retained:(\d+)\r\n/.exec(memory)?.[1]);
      assert.ok(held > 500 * 1000, `mem_snapshot_retained is ${held}`);
      assert.ok(Number(await info(c, 'current_cow_size')) >= held);
      await c.config('SET', 'rdb-key-save-delay', '0');
      assert.equal(await bgsaveDone(c), 'ok');
      assert.match(await c.info('memory'), /\r\nmem_snapshot_retained:0\r\n/);
      assert.ok(Number(await info(c, 'rdb_last_cow_size')) >= held);
      const loaded = await loadedByRedis(dir, 'dump.rdb', [1]);
      assert.equal(loaded.image.get('1:k499'), JSON.stringify(['string', -1, 'x'.repeat(1000)]));
    } finally {
      c.disconnect();
      await s.stop();
    }
  });

  test('one save at a time; BGSAVE inside MULTI is scheduled; INFO reports a save in progress', async () => {
    const dir = tempDir();
    const s = await startRedoubt(['--dir', dir]);
    const c = client(s);
    try {
      for (let b = 0; b < 30; b++) await c.mset(...Array.from({ length: 5000 }, (_, i) => [`k${b}:${i}`, `value ${i}`]).flat());
      assert.equal(await c.call('BGSAVE'), 'Background saving started');
      const persistence = await c.info('persistence');
      assert.match(persistence, /\r\nrdb_bgsave_in_progress:1\r\n/);
      assert.match(persistence, /\r\ncurrent_save_keys_total:150000\r\n/);
      assert.match(persistence, /\r\nrdb_current_bgsave_time_sec:0\r\n/);
      await assert.rejects(c.call('BGSAVE'), /^ReplyError: ERR Background save already in progress$/);
      await assert.rejects(c.call('SAVE'), /^ReplyError: ERR Background save already in progress$/);
      assert.equal(await bgsaveDone(c), 'ok');
      assert.match(await c.info('persistence'), /\r\nrdb_current_bgsave_time_sec:-1\r\n[\s\S]*\r\ncurrent_save_keys_total:0\r\n|\r\ncurrent_save_keys_total:0\r\n[\s\S]*\r\nrdb_current_bgsave_time_sec:-1\r\n/);

      await c.set('later', 'x');
      const saves = Number(await info(c, 'rdb_saves'));
      const res = await c.multi().call('BGSAVE').exec();
      assert.deepEqual(res, [[null, 'Background saving scheduled']]);
      const deadline = Date.now() + 5000;
      while (Number(await info(c, 'rdb_saves')) === saves) {
        assert.ok(Date.now() < deadline, 'the scheduled BGSAVE did not start');
        await sleep(20);
      }
      assert.equal(await bgsaveDone(c), 'ok');
      assert.equal(await info(c, 'rdb_changes_since_last_save'), '0');
    } finally {
      c.disconnect();
      await s.stop();
    }
  });
});
