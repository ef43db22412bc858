// Hostile clients against a real server process: each attack runs on a spawned Redoubt, which must
// stay up, keep answering other clients and stay within its memory (VmRSS/VmHWM from /proc).
// Connection resets while maxclients is full, unauthenticated clients that never read, descriptor
// exhaustion, refused connections held half-open, bulks and argument counts past what V8 holds, a
// small heap filled by writes and by a script, thousands of unauthenticated connections, and
// client eviction.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { startRedoubt, type RedoubtOptions, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const started: RunningServer[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function start(args: string[], opts: RedoubtOptions = {}): Promise<RunningServer> {
  const s = await startRedoubt(args, opts);
  started.push(s);
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

/** Resident memory now and at its peak (VmHWM), in bytes. */
function memoryOf(s: RunningServer): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${s.process.pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

function openFds(s: RunningServer): number {
  return readdirSync(`/proc/${s.process.pid}/fd`).length;
}

/** The process is running and a fresh connection gets PONG (after AUTH when a password is given). */
async function assertServing(s: RunningServer, password?: string): Promise<void> {
  assert.equal(s.process.exitCode, null, `server exited:\n${s.output().slice(-2000)}`);
  assert.equal(s.process.signalCode, null, `server killed:\n${s.output().slice(-2000)}`);
  const c = await RawClient.connect(s.port);
  try {
    if (password !== undefined) assert.equal(await c.call('AUTH', password), '+OK\r\n');
    assert.equal(await c.call('PING'), '+PONG\r\n');
  } finally {
    c.close();
  }
}

async function info(s: RunningServer, field: string, password?: string): Promise<number> {
  const c = await RawClient.connect(s.port);
  try {
    if (password !== undefined) await c.call('AUTH', password);
    const text = await c.call('INFO', 'everything');
    const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
    assert.ok(m, `INFO has no ${field}`);
    return Number(m[1]);
  } finally {
    c.close();
  }
}

/** Connects and resets the connection (RST) as soon as it is established. */
function connectAndReset(port: number, localAddress?: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(localAddress ? { port, host: '127.0.0.1', localAddress } : { port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.once('connect', () => s.resetAndDestroy());
    s.once('close', () => resolve());
  });
}

/**
 * Writes `chunk` again and again (up to `total` bytes) without reading anything, respecting
 * backpressure, until the server closes the connection or `ms` pass. Returns whether it was closed.
 */
async function flood(socket: net.Socket, chunk: Buffer, total: number, ms: number): Promise<boolean> {
  const closed = (): boolean => socket.destroyed || socket.closed;
  const deadline = Date.now() + ms;
  let sent = 0;
  while (!closed() && sent < total && Date.now() < deadline) {
    const ok = socket.write(chunk);
    sent += chunk.length;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        const done = (): void => {
          clearTimeout(t);
          resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
      });
    }
  }
  while (!closed() && Date.now() < deadline) await sleep(20);
  return closed();
}

function rawConnect(port: number, opts: Partial<net.NetConnectOpts> = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', ...opts } as net.NetConnectOpts);
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

describe('admission under attack', () => {
  test('maxclients full: clients that connect and reset at once do not crash the server', async () => {
    const s = await start(['--maxclients', '2']);
    await sleep(200);
    const a = await RawClient.connect(s.port);
    const b = await RawClient.connect(s.port);
    assert.equal(await a.call('PING'), '+PONG\r\n');
    assert.equal(await b.call('PING'), '+PONG\r\n');
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 40 }, () => connectAndReset(s.port)));
    }
    await sleep(300);
    assert.equal(s.process.exitCode, null, s.output().slice(-2000));
    assert.equal(await a.call('PING'), '+PONG\r\n');
    assert.ok(Number(/rejected_connections:(\d+)/.exec(await a.call('INFO', 'stats'))?.[1]) >= 1);
    b.close();
    await sleep(100);
    await assertServing(s);
    a.close();
  });

  test('refused connections are closed at once even when the peer keeps its side open, and counted', async () => {
    const s = await start(['--maxclients', '2', '--protected-mode', 'yes']);
    await sleep(200);
    const holder = await RawClient.connect(s.port);
    assert.equal(await holder.call('PING'), '+PONG\r\n');
    const baseline = openFds(s);
    // Half-open peers: they receive the refusal and the server's FIN, but never close their side.
    // From 127.0.0.2 while a slot is free: refused by protected mode.
    const peers: net.Socket[] = [];
    for (let i = 0; i < 60; i++) peers.push(await rawConnect(s.port, { allowHalfOpen: true, localAddress: '127.0.0.2' }));
    const second = await RawClient.connect(s.port);
    assert.equal(await second.call('PING'), '+PONG\r\n');
    // Every slot taken: refused by maxclients.
    for (let i = 0; i < 60; i++) peers.push(await rawConnect(s.port, { allowHalfOpen: true }));
    await sleep(500);
    const fds = openFds(s);
    assert.ok(fds - baseline < 10, `the server still holds ${fds - baseline} descriptors for refused connections`);
    assert.equal(await holder.call('PING'), '+PONG\r\n');
    second.close();
    await sleep(100);
    assert.equal(await info(s, 'rejected_connections'), 120);
    await sleep(100);
    await assertServing(s);
    holder.close();
    for (const p of peers) p.destroy();
  });

  test('descriptor exhaustion (ulimit -n 256) never crashes the server; maxclients follows the limit', async () => {
    // Enough descriptors to load the modules at startup, far fewer than the connections below.
    const s = await start([], { fileLimit: 256 });
    const held: net.Socket[] = [];
    const replies: string[] = [];
    for (let i = 0; i < 400; i++) {
      try {
        const sock = await rawConnect(s.port);
        sock.on('data', (d: Buffer) => replies.push(d.toString('latin1')));
        held.push(sock);
      } catch {
        // A connection the kernel refused is fine; the server must survive it.
      }
    }
    // The cron reads memory statistics every second: it must not fail for lack of descriptors.
    await sleep(2500);
    assert.equal(s.process.exitCode, null, s.output().slice(-2000));
    assert.equal(s.process.signalCode, null);
    assert.ok(replies.some((r) => r.includes('-ERR max number of clients reached')), 'no refusal seen');
    for (const sock of held) sock.destroy();
    await sleep(300);
    await assertServing(s);
    const c = await RawClient.connect(s.port);
    const maxclients = /maxclients\r\n\$\d+\r\n(\d+)/.exec(await c.call('CONFIG', 'GET', 'maxclients'));
    assert.ok(maxclients && Number(maxclients[1]) <= 256 - 32, `maxclients ${maxclients?.[1]} is not below the descriptor limit`);
    c.close();
    assert.match(s.output(), /maxclients has been reduced to \d+ to compensate for low ulimit/);
    assert.ok(memoryOf(s).peak < 200 * MB, `peak RSS ${memoryOf(s).peak}`);
  });
});

describe('unauthenticated clients', () => {
  test('one that never reads its replies is disconnected past 1 KB of output; RSS does not grow', async () => {
    const s = await start(['--requirepass', 'pw']);
    const before = memoryOf(s).rss;
    const attacker = await rawConnect(s.port);
    attacker.pause();
    const closed = await flood(attacker, Buffer.alloc(MB, 'a\n'), 48 * MB, 20000);
    attacker.destroy();
    assert.equal(closed, true, 'the server kept a non-reading unauthenticated client');
    const { peak } = memoryOf(s);
    assert.ok(peak - before < 64 * MB, `RSS grew from ${before} to a peak of ${peak}`);
    await assertServing(s, 'pw');
    assert.ok((await info(s, 'unauthenticated_client_disconnections', 'pw')) >= 1);
  });

  test('closed after auth-timeout seconds without authenticating; authenticated clients stay', async () => {
    const s = await start(['--requirepass', 'pw', '--auth-timeout', '1']);
    const idle = await RawClient.connect(s.port);
    const authed = await RawClient.connect(s.port);
    assert.equal(await authed.call('AUTH', 'pw'), '+OK\r\n');
    assert.equal(await idle.waitClosed(3500), true, 'unauthenticated client still connected');
    assert.equal(await authed.call('PING'), '+PONG\r\n');
    assert.equal(await info(s, 'auth_timeout_disconnections', 'pw'), 1);
    authed.close();
  });

  test('an unauthenticated client held back cannot buffer more than its bound', async () => {
    const s = await start(['--requirepass', 'pw']);
    const admin = await RawClient.connect(s.port);
    assert.equal(await admin.call('AUTH', 'pw'), '+OK\r\n');
    assert.equal(await admin.call('CLIENT', 'PAUSE', '3000', 'ALL'), '+OK\r\n');
    const attacker = await rawConnect(s.port);
    const closed = await flood(attacker, Buffer.from('AUTH pw\r\n'.repeat(7000)), 8 * MB, 2500);
    attacker.destroy();
    assert.equal(closed, true, 'a paused unauthenticated client buffered 8 MB');
    assert.equal(await admin.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
    admin.close();
    await assertServing(s, 'pw');
  });

  test('thousands of unauthenticated connections with partial requests stay within the total bound', async () => {
    const s = await start(['--requirepass', 'pw']);
    const before = memoryOf(s).rss;
    // 2,000 connections, each holding an incomplete request of ~24 KB: 48 MB if nothing bounded it.
    const partial = Buffer.from(`*3\r\n$4\r\nAUTH\r\n$16384\r\n${'p'.repeat(16384)}\r\n$16384\r\n${'q'.repeat(8000)}`);
    const socks: net.Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 2000; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => rawConnect(s.port)));
      for (const sock of batch) {
        sock.once('close', () => closedByServer++);
        sock.write(partial);
        socks.push(sock);
      }
    }
    await sleep(1000);
    const unauth = await info(s, 'unauthenticated_clients', 'pw');
    const held = await info(s, 'unauthenticated_clients_memory', 'pw');
    assert.ok(held <= 32 * MB, `unauthenticated clients hold ${held} bytes`);
    assert.ok(closedByServer > 0 && (await info(s, 'unauthenticated_client_disconnections', 'pw')) > 0, 'no connection was cut');
    assert.ok(unauth + closedByServer >= 1990, `${unauth} unauthenticated + ${closedByServer} closed`);
    assert.ok(memoryOf(s).peak - before < 200 * MB, `RSS grew by ${memoryOf(s).peak - before}`);
    await assertServing(s, 'pw');
    for (const sock of socks) sock.destroy();
  });
});

describe('sizes past what V8 holds', () => {
  test('a bulk between V8’s longest string and the default proto-max-bulk-len is refused at its header', async () => {
    const s = await start([]);
    const len = 536870900; // above 536,870,888, below 536,870,912
    const sock = await rawConnect(s.port);
    let reply = '';
    sock.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    sock.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${len}\r\n`);
    // Refused at the header: the reply comes before any payload. Otherwise send the payload (a
    // server that accepted the header failed only once the whole bulk had arrived).
    await sleep(500);
    if (reply === '') {
      const closed = await flood(sock, Buffer.alloc(4 * MB, 'v'), len, 30000);
      if (!closed) sock.write('\r\n');
      await sleep(500);
    }
    sock.destroy();
    assert.equal(s.process.exitCode, null, s.output().slice(-2000));
    assert.equal(reply, '-ERR Protocol error: invalid bulk length\r\n');
    await assertServing(s);
    const c = await RawClient.connect(s.port);
    assert.equal(await c.call('CONFIG', 'GET', 'proto-max-bulk-len'), '*2\r\n$18\r\nproto-max-bulk-len\r\n$9\r\n536870912\r\n');
    c.close();
  });

  test('~113 million empty arguments are refused, not a V8 abort', async () => {
    const s = await start([]);
    const count = 113_000_000;
    const sock = await rawConnect(s.port);
    let reply = '';
    sock.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    sock.write(`*${count}\r\n`);
    await sleep(500);
    if (reply === '') await flood(sock, Buffer.from('$0\r\n\r\n'.repeat(100000)), count * 6, 60000);
    await sleep(500);
    sock.destroy();
    assert.equal(s.process.exitCode, null, s.output().slice(-2000));
    assert.equal(reply, '-ERR Protocol error: invalid multibulk length\r\n');
    await assertServing(s);
  });

  test('a request of two million empty arguments costs a few bytes each', async () => {
    const s = await start([]);
    const before = memoryOf(s).rss;
    const count = 2_000_000;
    const c = await RawClient.connect(s.port);
    c.write(`*${count + 2}\r\n$4\r\nECHO\r\n$2\r\nok\r\n`);
    const chunk = Buffer.from('$0\r\n\r\n'.repeat(100000));
    for (let i = 0; i < count / 100000; i++) c.write(chunk);
    const r = await c.read(30000);
    assert.equal(r?.toString('latin1'), "-ERR wrong number of arguments for 'echo' command\r\n");
    const grown = memoryOf(s).peak - before;
    assert.ok(grown < count * 40, `${grown} bytes for ${count} arguments`);
    c.close();
    await assertServing(s);
  });
});

describe('a small heap', () => {
  test('writes that fill it get OOM errors; reads, big replies and huge counts keep the server up', async () => {
    const s = await start(['--client-output-buffer-limit', 'normal', '16mb', '0', '0'], { nodeArgs: ['--max-old-space-size=64'] });
    const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    const c = await RawClient.connect(s.port);
    // One script that writes until the heap is full: its writes are refused like a client's.
    const script = "for i = 1, 100000 do redis.call('SET', 'lua:' .. i, string.rep('x', 100000)) end return 'done'";
    assert.match(await c.call('EVAL', script, '0'), /^-OOM command not allowed when used memory > 'maxmemory'\./);
    assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
    const value = 'v'.repeat(100 * 1024);
    let refused = '';
    for (let i = 0; i < 4000 && refused === ''; i += 50) {
      const replies = await c.pipeline(Array.from({ length: 50 }, (_, j) => ['SET', `key:${i + j}`, value]), 30000);
      refused = replies.find((r) => r !== '+OK\r\n') ?? '';
    }
    assert.equal(refused, OOM, s.output().slice(-2000));
    // Writes go on being answered (accepted again once V8 collected garbage, refused while the heap
    // is full), and the server stays up through many more of them.
    for (let i = 0; i < 20; i++) {
      const replies = await c.pipeline(Array.from({ length: 50 }, (_, j) => ['SET', `more:${i}:${j}`, value]), 30000);
      for (const r of replies) assert.ok(r === '+OK\r\n' || r === OOM, r);
    }
    // Reads keep working.
    assert.equal((await c.call('GET', 'key:1')).length, value.length + 11);
    assert.match(await c.call('DBSIZE'), /^:\d+\r\n$/);
    assert.match(await c.call('KEYS', 'key:1*'), /^\*\d+\r\n/);
    // Writes that would grow the heap past its limit in one go are refused.
    assert.match(await c.call('SETRANGE', 'big', '200000000', 'x'), /^-(OOM|ERR string exceeds)/);
    assert.match(await c.call('SETBIT', 'bits', '1600000000', '1'), /^-(OOM|ERR string exceeds)/);
    assert.match(await c.call('APPEND', 'key:1', value), /^(:204800\r\n|-OOM )/);
    assert.equal(await c.call('FLUSHALL'), '+OK\r\n');

    // A list filled the same way, then read whole: the reply passes the output limit. Right after
    // FLUSHALL the heap still holds the flushed values until V8 collects them: refusals then start
    // a collection, and writes are accepted again once it is done.
    const element = 'e'.repeat(1000);
    refused = '';
    let refusedSince = 0;
    for (let i = 0; i < 4000; i++) {
      const r = await c.call('RPUSH', 'list', ...Array.from({ length: 200 }, () => element));
      if (r.startsWith(':')) {
        refusedSince = 0;
        continue;
      }
      refused = r;
      assert.equal(r, OOM);
      if (refusedSince === 0) refusedSince = Date.now();
      if (Date.now() - refusedSince > 3000) break;
      await sleep(50);
    }
    assert.equal(refused, OOM);
    const length = Number(/^:(\d+)/.exec(await c.call('LLEN', 'list'))?.[1]);
    assert.ok(length >= 4000, `only ${length} elements`);
    assert.equal(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 2mb 0 0'), '+OK\r\n');
    const reader = await RawClient.connect(s.port);
    reader.write(RawClient.encode(['LRANGE', 'list', '0', '-1']));
    assert.equal(await reader.waitClosed(20000), true, 'a 2 MB output limit let a bigger reply through');
    assert.equal(reader.unread.length, 0, 'part of the reply was sent');
    assert.equal(await c.call('LLEN', 'list'), `:${length}\r\n`);
    assert.equal(await c.call('FLUSHALL'), '+OK\r\n');

    // A write right after FLUSHALL may wait for the collection its refusal started.
    const once = async (...argv: string[]): Promise<string> => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const r = await c.call(...argv);
        if (r !== OOM || Date.now() > deadline) return r;
        await sleep(50);
      }
    };
    // A huge random count: like Redis, the reply stops being produced once the client is cut off.
    assert.equal(await once('SADD', 's', 'a', 'b', 'c'), ':3\r\n');
    // A count whose smallest reply is past proto-max-bulk-len is refused before anything is built.
    assert.equal(await c.call('SRANDMEMBER', 's', '-4000000000'), '-ERR value is out of range\r\n');
    const rc = await RawClient.connect(s.port);
    const t0 = Date.now();
    rc.write(RawClient.encode(['SRANDMEMBER', 's', '-50000000']));
    assert.equal(await rc.waitClosed(20000), true);
    assert.ok(Date.now() - t0 < 10000, 'the reply kept being produced after the client was cut off');
    assert.equal(await once('SET', 'again', 'x'), '+OK\r\n');
    c.close();
    await assertServing(s);
  });
});

describe('maxmemory-clients', () => {
  test('the client using the most memory is evicted when the total passes the limit', async () => {
    const s = await start(['--maxmemory-clients', '8mb', '--client-output-buffer-limit', 'normal', '0', '0', '0']);
    const admin = await RawClient.connect(s.port);
    assert.equal(await admin.call('SET', 'big', 'x'.repeat(MB)), '+OK\r\n');
    const slow = await rawConnect(s.port);
    slow.pause();
    slow.write(Buffer.concat(Array.from({ length: 64 }, () => RawClient.encode(['GET', 'big']))));
    const deadline = Date.now() + 5000;
    while ((await info(s, 'evicted_clients')) === 0 && Date.now() < deadline) await sleep(50);
    assert.equal(await info(s, 'evicted_clients'), 1);
    assert.equal(await admin.call('PING'), '+PONG\r\n');
    slow.destroy();
    admin.close();
  });
});
