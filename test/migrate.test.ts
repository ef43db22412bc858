// MIGRATE between Redoubt and the real redis-server 7.0, in both directions: the same replies as
// Redis for the same requests (errors, NOKEY, target errors, AUTH/AUTH2, KEYS, COPY, REPLACE), the
// values and TTLs that arrive, the connection cache, the DEL it propagates, the enable-migrate-command
// gate, and hostile targets (silence, garbage, a flood, a hang-up): the key stays and the server
// keeps serving while MIGRATE waits.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, startRedoubt, freePort, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const started: RunningServer[] = [];
const clients: RawClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(started.map((s) => s.stop()));
});

async function redoubt(args: string[] = []): Promise<RunningServer> {
  const s = await startRedoubt(['--enable-migrate-command', 'yes', ...args]);
  started.push(s);
  return s;
}

async function redis(args: string[] = []): Promise<RunningServer> {
  const s = await startRedis(args);
  started.push(s);
  return s;
}

async function client(port: number, from?: string): Promise<RawClient> {
  const c = await RawClient.connect(port, '127.0.0.1', from);
  clients.push(c);
  return c;
}

/** A fake target that does `behave` with each connection; returns its port and a stop function. */
async function fakeTarget(behave: (s: net.Socket) => void): Promise<{ port: number; stop: () => void }> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    behave(s);
  });
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  return {
    port,
    stop: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

/** A target behaviour: +OK to each request of a packet, `ms` after it arrives. */
const okAfter =
  (ms: number) =>
  (s: net.Socket): void => {
    s.on('data', (d) => {
      const n = (d.toString('latin1').match(/\*\d+\r\n\$/g) ?? []).length;
      setTimeout(() => s.write('+OK\r\n'.repeat(n)), ms);
    });
  };

const OK = '+OK\r\n';
const err = (s: string): string => `-${s}\r\n`;

describe('MIGRATE replies as Redis does', () => {
  let ours: RunningServer;
  let theirs: RunningServer;
  let target: RunningServer;
  let authTarget: RunningServer;
  before(async () => {
    [ours, theirs, target, authTarget] = await Promise.all([redoubt(), redis(), redis(), redis(['--requirepass', 'sekret'])]);
  });

  test('the same request sequence gives the same replies from both sources', async () => {
    const t = String(target.port);
    const a = String(authTarget.port);
    const seq: string[][] = [
      ['SET', 'k', 'v'],
      ['PEXPIRE', 'k', '100000'],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['MIGRATE', '127.0.0.1', t, 'k', '0', '1000'],
      ['EXISTS', 'k'],
      ['MIGRATE', '127.0.0.1', t, '', '0', '1000', 'KEYS', 'l', 'nokey'],
      ['SET', 'k2', 'x'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '1', '1000'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '1', '1000', 'COPY'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '1', '1000', 'COPY', 'REPLACE'],
      ['GET', 'k2'],
      ['MIGRATE', '127.0.0.1', t, 'nokey', '0', '1000'],
      ['MIGRATE', '127.0.0.1', t, '', '0', '1000', 'KEYS', 'n1', 'n2'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '0', '1000', 'KEYS', 'k2'],
      ['MIGRATE', '127.0.0.1', t, 'k2', 'x', '1000'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '0', 'x'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '0', '1000', 'AUTH'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '0', '1000', 'AUTH2', 'u'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '0', '1000', 'BOGUS'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '99', '1000', 'REPLACE'],
      ['MIGRATE', '127.0.0.1', t, 'k2', '0', '1000', 'AUTH', 'nopass-configured'],
      ['MIGRATE', '127.0.0.1', a, 'k2', '0', '1000', 'REPLACE'],
      ['MIGRATE', '127.0.0.1', a, 'k2', '0', '1000', 'AUTH', 'wrong'],
      ['MIGRATE', '127.0.0.1', a, 'k2', '0', '1000', 'COPY', 'AUTH', 'sekret'],
      ['MIGRATE', '127.0.0.1', a, 'k2', '0', '1000', 'REPLACE', 'AUTH2', 'default', 'sekret'],
      ['EXISTS', 'k2'],
      ['SET', 'k3', '1'],
      ['MIGRATE', '127.0.0.1', '1', 'k3', '0', '200'],
      ['MIGRATE', '127.0.0.1', 'notaport', 'k3', '0', '200'],
      ['MIGRATE', '127.0.0.1', t, 'k3', '0', '-5'],
      ['MIGRATE', '127.0.0.1', t, 'k3'],
    ];
    const run = async (port: number): Promise<string[]> => {
      const tc = await client(target.port);
      const ac = await client(authTarget.port);
      await ac.call('AUTH', 'sekret');
      for (const c of [tc, ac]) for (const db of ['0', '1']) await c.call('SELECT', db).then(() => c.call('FLUSHDB'));
      const c = await client(port);
      const out: string[] = [];
      for (const argv of seq) out.push(await c.call(...argv));
      // What arrived: the TTL is kept (within the time the sequence took).
      const pttl = Number((await tc.call('PTTL', 'k')).slice(1));
      out.push(pttl > 90000 && pttl <= 100000 ? 'ttl ok' : `pttl ${pttl}`);
      out.push(await tc.call('LRANGE', 'l', '0', '-1'));
      return out;
    };
    const mine = await run(ours.port);
    const ref = await run(theirs.port);
    assert.deepEqual(mine, ref);
    assert.ok(mine.includes(err('IOERR error or timeout writing to target instance')));
    assert.ok(mine.includes('+NOKEY\r\n'));
  });

  test('values of every type travel Redoubt → Redis → Redoubt unchanged', async () => {
    const back = await redoubt();
    const [src, mid, dst] = await Promise.all([client(ours.port), client(theirs.port), client(back.port)]);
    await src.call('FLUSHALL');
    await mid.call('FLUSHALL');
    await src.call('HSET', 'h', 'f1', 'v1', 'f2', 'v2');
    await src.call('SADD', 's', '3', '1', '2');
    await src.call('ZADD', 'z', '1.5', 'a', '2', 'b');
    await src.call('XADD', 'x', '1-1', 'f', 'v');
    await src.call('SET', 'bin', '\x00\xff\r\n');
    const keys = ['h', 's', 'z', 'x', 'bin'];
    const digest = async (c: RawClient): Promise<string[]> => Promise.all(keys.map((k) => c.call('DUMP', k)));
    const before = await digest(src);
    assert.equal(await src.call('MIGRATE', '127.0.0.1', String(theirs.port), '', '0', '2000', 'KEYS', ...keys), OK);
    assert.equal(await src.call('EXISTS', ...keys), ':0\r\n');
    assert.equal(await mid.call('MIGRATE', '127.0.0.1', String(back.port), '', '0', '2000', 'KEYS', ...keys), OK);
    assert.deepEqual(await digest(dst), before);
  });

  test('MIGRATEs from several clients to one target at once take turns on its connection', async () => {
    const cs = await Promise.all([1, 2, 3, 4].map(() => client(ours.port)));
    const tc = await client(target.port);
    await tc.call('SELECT', '2');
    await tc.call('FLUSHDB');
    for (const [i, c] of cs.entries()) await c.call('SET', `turn${i}`, String(i));
    for (const [i, c] of cs.entries()) c.write(RawClient.encode(['MIGRATE', '127.0.0.1', String(target.port), `turn${i}`, '2', '2000']));
    for (const c of cs) assert.equal((await c.read(5000))?.toString('latin1'), OK);
    for (const i of [0, 1, 2, 3]) assert.equal(await tc.call('GET', `turn${i}`), `$1\r\n${i}\r\n`);
  });

  test('cached connections: one per target, reused, closed after about 10 s unused', async () => {
    const c = await client(ours.port);
    await c.call('SET', 'cache', 'v');
    assert.equal(await c.call('MIGRATE', '127.0.0.1', String(target.port), 'cache', '0', '1000', 'COPY', 'REPLACE'), OK);
    assert.equal(await c.call('MIGRATE', '127.0.0.1', String(target.port), 'cache', '0', '1000', 'COPY', 'REPLACE'), OK);
    const info = await c.call('INFO', 'stats');
    assert.match(info, /migrate_cached_sockets:[12]\r\n/);
    const tc = await client(target.port);
    const list = await tc.call('CLIENT', 'LIST');
    assert.ok(list.split('\n').filter((l) => l.includes('cmd=restore')).length <= 2, list);
    await new Promise((r) => setTimeout(r, 12_000));
    assert.match(await c.call('INFO', 'stats'), /migrate_cached_sockets:0\r\n/);
  });
});

describe('the MIGRATE gate (enable-migrate-command)', () => {
  const refused =
    '-ERR MIGRATE command not allowed. If the enable-migrate-command option is set to "local", you can run it from a local connection, ' +
    'otherwise you need to set this option in the configuration file, and then restart the server.\r\n';

  test('no (the default) refuses, even for a missing key; local allows 127.0.0.1 only', async () => {
    const off = await startRedoubt();
    const local = await redoubt(['--enable-migrate-command', 'local', '--protected-mode', 'no']);
    started.push(off);
    const a = await client(off.port);
    assert.equal(await a.call('MIGRATE', '127.0.0.1', '1', 'k', '0', '10'), refused);
    assert.equal(await a.call('CONFIG', 'GET', 'enable-migrate-command'), '*2\r\n$22\r\nenable-migrate-command\r\n$2\r\nno\r\n');
    const near = await client(local.port);
    assert.equal(await near.call('MIGRATE', '127.0.0.1', '1', 'k', '0', '10'), '+NOKEY\r\n');
    const far = await client(local.port, '127.0.0.2');
    assert.equal(await far.call('MIGRATE', '127.0.0.1', '1', 'k', '0', '10'), refused);
  });
});

describe('MIGRATE propagation and atomicity', () => {
  test('the DEL of the keys that moved reaches the AOF; a COPY propagates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-migrate-'));
    const src = await redoubt(['--appendonly', 'yes', '--dir', dir, '--appendfsync', 'always']);
    const dst = await redis();
    const c = await client(src.port);
    await c.call('MSET', 'm1', 'a', 'm2', 'b', 'm3', 'c');
    assert.equal(await c.call('MIGRATE', '127.0.0.1', String(dst.port), 'm3', '0', '1000', 'COPY'), OK);
    assert.equal(await c.call('MIGRATE', '127.0.0.1', String(dst.port), '', '0', '1000', 'KEYS', 'm1', 'nokey', 'm2'), OK);
    await c.call('SET', 'after', '1');
    const aofDir = join(dir, 'appendonlydir');
    const incr = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof'));
    assert.ok(incr !== undefined);
    const aof = readFileSync(join(aofDir, incr), 'latin1');
    assert.ok(aof.includes('*3\r\n$3\r\nDEL\r\n$2\r\nm1\r\n$2\r\nm2\r\n'), aof);
    assert.ok(!aof.includes('MIGRATE') && !aof.includes('m3\r\n*'), aof);
  });

  test('a write to a key in flight waits for the transfer; reads do not', async () => {
    // A target that answers +OK to each request only after 400 ms.
    const { port, stop } = await fakeTarget(okAfter(400));
    try {
      const src = await redoubt();
      const m = await client(src.port);
      const w = await client(src.port);
      await m.call('SET', 'fly', 'old');
      await m.call('CONFIG', 'SET', 'slowlog-log-slower-than', '200000');
      await m.call('SLOWLOG', 'RESET');
      const t0 = Date.now();
      m.write(RawClient.encode(['MIGRATE', '127.0.0.1', String(port), 'fly', '0', '5000', 'AUTH', 'pw']));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await w.call('GET', 'fly'), '$3\r\nold\r\n');
      assert.equal(m.unread.length, 0, 'a read answers while MIGRATE still waits');
      w.write(RawClient.encode(['SET', 'fly', 'new']));
      const mr = (await m.read(5000))?.toString('latin1');
      const wr = (await w.read(5000))?.toString('latin1');
      assert.equal(mr, OK);
      assert.equal(wr, OK);
      assert.ok(Date.now() - t0 >= 400);
      // The SET ran after the DEL: the new value is here, not lost.
      assert.equal(await w.call('GET', 'fly'), '$3\r\nnew\r\n');
      // The slow log has MIGRATE with the whole wait, and its password redacted.
      const log = await w.call('SLOWLOG', 'GET');
      assert.match(log, /^\*1\r\n/);
      assert.ok(log.includes('$7\r\nMIGRATE\r\n') && log.includes('$4\r\nAUTH\r\n$10\r\n(redacted)\r\n'), log);
      const usec = Number(/^\*1\r\n\*6\r\n:\d+\r\n:\d+\r\n:(\d+)\r\n/.exec(log)?.[1]);
      assert.ok(usec >= 400_000, `slow log duration ${usec}`);
    } finally {
      stop();
    }
  });

  test('a script that may write waits for the transfer whatever keys it declares; a read-only one does not', async () => {
    const { port, stop } = await fakeTarget(okAfter(400));
    try {
      const src = await redoubt();
      const m = await client(src.port);
      const w = await client(src.port);
      const r = await client(src.port);
      await m.call('MSET', 'k1', 'a', 'k2', 'b', 'other', 'o');
      m.write(RawClient.encode(['MIGRATE', '127.0.0.1', String(port), '', '0', '5000', 'KEYS', 'k1', 'k2']));
      await new Promise((res) => setTimeout(res, 100));
      // It declares no key and writes one in flight: held until the keys left, then run.
      w.write(RawClient.encode(['EVAL', "return redis.call('set','k2','changed')", '0']));
      assert.equal(await r.call('EVAL_RO', "return redis.call('get','other')", '0'), '$1\r\no\r\n');
      assert.equal(m.unread.length, 0, 'MIGRATE still waits');
      assert.equal((await m.read(5000))?.toString('latin1'), OK);
      assert.equal((await w.read(5000))?.toString('latin1'), OK);
      // The script ran after the DEL: its write is here, not lost with the moved key.
      assert.equal(await w.call('EXISTS', 'k1'), ':0\r\n');
      assert.equal(await w.call('GET', 'k2'), '$7\r\nchanged\r\n');
    } finally {
      stop();
    }
  });

  test('keys flushed behind the gate while they travel: MIGRATE says so', async () => {
    const { port, stop } = await fakeTarget(okAfter(800));
    try {
      const src = await redoubt();
      const m = await client(src.port);
      const w = await client(src.port);
      await m.call('MSET', 'k1', 'a', 'k2', 'b');
      m.write(RawClient.encode(['MIGRATE', '127.0.0.1', String(port), '', '0', '5000', 'KEYS', 'k1', 'k2']));
      await new Promise((res) => setTimeout(res, 100));
      // FLUSHALL names no key: the gate cannot hold it, the keyspace events see it.
      assert.equal(await w.call('FLUSHALL'), OK);
      assert.equal(
        (await m.read(5000))?.toString('latin1'),
        err('ERR A key was modified during MIGRATE: the target has the value it had before, and it was kept on this instance'),
      );
      assert.equal(await w.call('DBSIZE'), ':0\r\n');
    } finally {
      stop();
    }
  });

  test('inside MULTI, MIGRATE of an existing key is refused; of missing keys it answers NOKEY', async () => {
    const src = await redoubt();
    const c = await client(src.port);
    await c.call('SET', 'k', 'v');
    const out = await c.pipeline([['MULTI'], ['MIGRATE', '127.0.0.1', '1', 'k', '0', '10'], ['MIGRATE', '127.0.0.1', '1', 'nokey', '0', '10'], ['EXEC']]);
    assert.equal(out[3], '*2\r\n-ERR MIGRATE of existing keys cannot run inside MULTI/EXEC or a script\r\n+NOKEY\r\n');
    assert.equal(await c.call('GET', 'k'), '$1\r\nv\r\n');
  });
});

describe('hostile targets', () => {
  let src: RunningServer;
  before(async () => {
    src = await redoubt();
  });

  async function migrateAgainst(behave: (s: net.Socket) => void, timeout: string): Promise<{ reply: string; servedMeanwhile: boolean }> {
    const t = await fakeTarget(behave);
    try {
      const c = await client(src.port);
      const other = await client(src.port);
      await c.call('SET', 'precious', 'value');
      c.write(RawClient.encode(['MIGRATE', '127.0.0.1', String(t.port), 'precious', '0', timeout]));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await other.call('PING'), '+PONG\r\n');
      // PING was answered before MIGRATE's own reply: the loop was not held by the wait.
      const servedMeanwhile = c.unread.length === 0;
      const reply = (await c.read(10_000))?.toString('latin1') ?? '<closed>';
      assert.equal(await c.call('GET', 'precious'), '$5\r\nvalue\r\n', 'the key stays');
      return { reply, servedMeanwhile };
    } finally {
      t.stop();
    }
  }

  test('a target that never answers: IOERR after the timeout, the server serves others meanwhile', async () => {
    const t0 = Date.now();
    const { reply, servedMeanwhile } = await migrateAgainst(() => {}, '600');
    assert.equal(reply, err('IOERR error or timeout reading to target instance'));
    assert.ok(servedMeanwhile, 'PING was answered while MIGRATE waited');
    assert.ok(Date.now() - t0 >= 600, 'MIGRATE waited for its timeout');
  });

  test('garbage instead of +OK: IOERR, the key stays', async () => {
    const { reply } = await migrateAgainst((s) => s.on('data', () => s.write('$5\r\nhello\r\n')), '1000');
    assert.equal(reply, err('IOERR error or timeout reading to target instance'));
  });

  test('a flood with no line end: IOERR, the key stays, memory bounded', async () => {
    const junk = Buffer.alloc(1024 * 1024, 0x78);
    const { reply } = await migrateAgainst((s) => s.on('data', () => {
      for (let i = 0; i < 16 && !s.destroyed; i++) s.write(junk);
    }), '2000');
    assert.equal(reply, err('IOERR error or timeout reading to target instance'));
  });

  test('a target that hangs up mid-way: IOERR after one retry, the key stays', async () => {
    let connections = 0;
    const { reply } = await migrateAgainst((s) => {
      connections++;
      s.once('data', () => s.destroy());
    }, '1000');
    assert.match(reply, /^-IOERR error or timeout (reading|writing) to target instance\r\n$/);
    assert.equal(connections, 2, 'Redis retries once on a fresh connection');
  });

  test('a target that refuses the RESTORE: its error is relayed, the key stays', async () => {
    const { reply } = await migrateAgainst((s) => s.on('data', () => s.write('-ERR no thanks\r\n')), '1000');
    assert.equal(reply, err('ERR Target instance replied with error: ERR no thanks'));
  });

  test('the server is still up and answers after all that', async () => {
    const c = await client(src.port);
    assert.equal(await c.call('PING'), '+PONG\r\n');
  });
});
