// Network exposure: protected mode (byte for byte against redis-server, seen from 127.0.0.2),
// trusted-networks, the no-open-door startup and CONFIG SET refusals, unix sockets with
// permissions, port 0, and optional bind addresses.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { REDOUBT_MAIN, freePort, startRedis, startRedoubt, terminate, type RunningServer } from './helpers/servers.js';
import { RawClient, command } from './helpers/raw-client.js';
import { waitFor } from './helpers/workload-target.js';

/** Everything a server sends to a client connecting from `localAddress` after `send`, until it closes (or `ms` pass). */
function exchange(port: number, localAddress: string, send: string, ms = 1500, host = '127.0.0.1'): Promise<{ bytes: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host, localAddress });
    let bytes = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ bytes, closed: false });
    }, ms);
    s.on('data', (d: Buffer) => (bytes += d.toString('latin1')));
    s.on('error', () => {});
    s.on('connect', () => s.write(send));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, closed: true });
    });
  });
}

async function infoField(port: number, field: string): Promise<number> {
  const info = await command(port, 'INFO', 'stats');
  const m = new RegExp(`${field}:(\\d+)`).exec(info);
  assert.ok(m, `INFO has ${field}`);
  return Number(m[1]);
}

/** Runs Redoubt to completion (for refused starts): exit code and output. */
function runToExit(args: string[]): { code: number | null; output: string } {
  const r = spawnSync(process.execPath, [REDOUBT_MAIN, ...args], { encoding: 'latin1', timeout: 10000 });
  return { code: r.status, output: r.stdout + r.stderr };
}

/** Starts Redoubt that listens only on a unix socket (or where `ready` says), stopped by `.stop()`. */
async function startUntil(args: string[], ready: () => Promise<boolean>): Promise<{ stop(): Promise<void>; output(): string }> {
  const child = spawn(process.execPath, [REDOUBT_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 10000;
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`exited early:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`not ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    output: () => out,
    stop: () => terminate(child),
  };
}

function canConnectUnix(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function redisCli(args: string[]): string {
  const r = spawnSync('redis-cli', args, { encoding: 'latin1', timeout: 10000 });
  return (r.stdout + r.stderr).trim();
}

describe('protected mode, as Redis 7.0', () => {
  const servers: RunningServer[] = [];
  after(async () => Promise.all(servers.map((s) => s.stop())));

  async function pair(args: string[]): Promise<[RunningServer, RunningServer]> {
    const r = await startRedis(args);
    servers.push(r);
    const d = await startRedoubt(args);
    servers.push(d);
    return [r, d];
  }

  test('a client from 127.0.0.2 gets the same DENIED bytes and is disconnected', async () => {
    const [redis, redoubt] = await pair(['--protected-mode', 'yes']);
    const expected = await exchange(redis.port, '127.0.0.2', 'PING\r\n');
    const actual = await exchange(redoubt.port, '127.0.0.2', 'PING\r\n');
    assert.ok(expected.bytes.startsWith('-DENIED Redis is running in protected mode'));
    assert.equal(actual.bytes, expected.bytes);
    assert.ok(actual.closed && expected.closed);
    // 127.0.0.1 itself is served.
    assert.equal(await command(redoubt.port, 'PING'), '+PONG\r\n');
    assert.equal(await infoField(redoubt.port, 'rejected_connections'), await infoField(redis.port, 'rejected_connections'));
    assert.equal(await infoField(redoubt.port, 'rejected_connections'), 1);
  });

  test('with a password the client gets in (and must authenticate)', async () => {
    const [redis, redoubt] = await pair(['--protected-mode', 'yes', '--requirepass', 'secret']);
    const expected = await exchange(redis.port, '127.0.0.2', 'PING\r\n', 400);
    const actual = await exchange(redoubt.port, '127.0.0.2', 'PING\r\n', 400);
    assert.equal(expected.bytes, '-NOAUTH Authentication required.\r\n');
    assert.deepEqual(actual, expected);
    const authed = await exchange(redoubt.port, '127.0.0.2', 'AUTH secret\r\nPING\r\n', 400);
    assert.equal(authed.bytes, '+OK\r\n+PONG\r\n');
  });

  test('a disabled nopass default user still counts as "no password", as in Redis', async () => {
    const [redis, redoubt] = await pair(['--protected-mode', 'yes']);
    const results = [];
    for (const s of [redis, redoubt]) {
      assert.equal(await command(s.port, 'ACL', 'SETUSER', 'default', 'off'), '+OK\r\n');
      results.push(await exchange(s.port, '127.0.0.2', 'PING\r\n'));
    }
    assert.ok(results[0]!.bytes.startsWith('-DENIED '));
    assert.deepEqual(results[1], results[0]);
  });

  test('protected-mode no lets the client in', async () => {
    const [redis, redoubt] = await pair(['--protected-mode', 'no']);
    for (const s of [redis, redoubt]) {
      const r = await exchange(s.port, '127.0.0.2', 'PING\r\n', 400);
      assert.equal(r.bytes, '+PONG\r\n');
      assert.equal(r.closed, false);
    }
  });
});

describe('trusted-networks', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startRedoubt(['--bind', '127.0.0.1 ::1', '--protected-mode', 'no', '--trusted-networks', '127.0.0.1/32']);
  });
  after(() => srv.stop());

  test('a peer outside the ranges is dropped before any reply; counted', async () => {
    const before = await infoField(srv.port, 'rejected_connections_untrusted');
    const r = await exchange(srv.port, '127.0.0.2', 'PING\r\n');
    assert.deepEqual(r, { bytes: '', closed: true });
    // IPv6 loopback is outside an IPv4-only list too.
    const v6 = await exchange(srv.port, '::1', 'PING\r\n', 1500, '::1');
    assert.deepEqual(v6, { bytes: '', closed: true });
    assert.equal(await infoField(srv.port, 'rejected_connections_untrusted'), before + 2);
    assert.equal(await command(srv.port, 'PING'), '+PONG\r\n');
  });

  test('CONFIG SET changes the ranges at once; bad ranges are refused', async () => {
    assert.equal(await command(srv.port, 'CONFIG', 'SET', 'trusted-networks', '127.0.0.0/30 ::1/128'), '+OK\r\n');
    assert.equal((await exchange(srv.port, '127.0.0.2', 'PING\r\n', 400)).bytes, '+PONG\r\n');
    assert.equal((await exchange(srv.port, '::1', 'PING\r\n', 400, '::1')).bytes, '+PONG\r\n');
    assert.equal(await command(srv.port, 'CONFIG', 'GET', 'trusted-networks'), '*2\r\n$16\r\ntrusted-networks\r\n$20\r\n127.0.0.0/30 ::1/128\r\n');
    const bad = await command(srv.port, 'CONFIG', 'SET', 'trusted-networks', '10.0.0.0/33');
    assert.match(bad, /^-ERR CONFIG SET failed \(possibly related to argument 'trusted-networks'\) - Invalid prefix length/);
    const bad2 = await command(srv.port, 'CONFIG', 'SET', 'trusted-networks', 'example.com');
    assert.match(bad2, /Invalid network 'example.com'/);
    assert.equal(await command(srv.port, 'CONFIG', 'SET', 'trusted-networks', ''), '+OK\r\n');
    assert.equal((await exchange(srv.port, '127.0.0.3', 'PING\r\n', 400)).bytes, '+PONG\r\n');
    assert.equal(await command(srv.port, 'CONFIG', 'SET', 'trusted-networks', '127.0.0.1'), '+OK\r\n');
  });
});

describe('no open network door', () => {
  test('refuses to start on 0.0.0.0 without password and without protected mode', async () => {
    const port = await freePort();
    const r = runToExit(['--port', String(port), '--bind', '0.0.0.0', '--protected-mode', 'no']);
    assert.equal(r.code, 1);
    assert.match(r.output, /Refusing to start: refusing to accept unauthenticated clients on 0\.0\.0\.0/);
    assert.match(r.output, /requirepass/);
    assert.match(r.output, /protected-mode yes/);
    assert.match(r.output, /bind only loopback addresses/);
    // `*` and `::*` are the same doors.
    const star = runToExit(['--port', String(port), '--bind', '127.0.0.1 -::*', '--protected-mode', 'no']);
    assert.equal(star.code, 1);
    assert.match(star.output, /on \[::\]/);
  });

  test('starts with a password, with protected mode, with the override, or with no TCP port', async () => {
    for (const extra of [['--requirepass', 'pw'], ['--protected-mode', 'yes'], ['--protected-mode', 'no', '--allow-unauthenticated-network', 'yes']]) {
      const s = await startRedoubt(['--bind', '0.0.0.0', ...extra]);
      await s.stop();
    }
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-net-'));
    const path = join(dir, 's.sock');
    const s = await startUntil(['--port', '0', '--bind', '0.0.0.0', '--protected-mode', 'no', '--unixsocket', path], () => canConnectUnix(path));
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('CONFIG SET refuses changes that would open the door', async () => {
    const s = await startRedoubt(['--bind', '0.0.0.0', '--requirepass', 'pw', '--protected-mode', 'no']);
    try {
      const c = await RawClient.connect(s.port);
      assert.equal((await c.call('AUTH', 'pw')), '+OK\r\n');
      const r = (await c.call('CONFIG', 'SET', 'requirepass', ''));
      assert.match(r, /^-ERR CONFIG SET failed \(possibly related to argument 'requirepass'\) - refusing to accept unauthenticated clients on 0\.0\.0\.0/);
      assert.equal((await c.call('CONFIG', 'GET', 'protected-mode')), '*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n');
      // Together with protected mode back on, dropping the password is fine.
      assert.equal((await c.call('CONFIG', 'SET', 'protected-mode', 'yes', 'requirepass', '')), '+OK\r\n');
      const r2 = (await c.call('CONFIG', 'SET', 'protected-mode', 'no'));
      assert.match(r2, /possibly related to argument 'protected-mode'/);
      assert.equal((await c.call('CONFIG', 'SET', 'allow-unauthenticated-network', 'yes')), '+OK\r\n');
      assert.equal((await c.call('CONFIG', 'SET', 'protected-mode', 'no')), '+OK\r\n');
      const r3 = (await c.call('CONFIG', 'SET', 'allow-unauthenticated-network', 'no'));
      assert.match(r3, /possibly related to argument 'allow-unauthenticated-network'/);
      assert.equal((await c.call('CONFIG', 'GET', 'allow-unauthenticated-network')), '*2\r\n$29\r\nallow-unauthenticated-network\r\n$3\r\nyes\r\n');
      c.close();
    } finally {
      await s.stop();
    }
    // On loopback the same changes are allowed.
    const local = await startRedoubt([]);
    try {
      assert.equal(await command(local.port, 'CONFIG', 'SET', 'protected-mode', 'no'), '+OK\r\n');
    } finally {
      await local.stop();
    }
  });
});

describe('listening', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'redoubt-unix-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('unix socket: permissions, redis-cli -s, CLIENT LIST addr as Redis, stale file replaced, removed at exit', async () => {
    const path = join(dir, 'redoubt.sock');
    // A socket file left by a killed process.
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => holder.stdout.once('data', r));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    assert.ok(existsSync(path));

    const port = await freePort();
    const s = await startUntil(['--port', String(port), '--bind', '127.0.0.1', '--unixsocket', path, '--unixsocketperm', '700'], () => canConnectUnix(path));
    try {
      assert.equal(statSync(path).mode & 0o777, 0o700);
      assert.ok(statSync(path).isSocket());
      assert.equal(redisCli(['-s', path, 'PING']), 'PONG');
      const list = redisCli(['-s', path, 'CLIENT', 'LIST']);
      assert.match(list, new RegExp(`addr=${path.replace(/[.]/g, '\\.')}:0 laddr=${path.replace(/[.]/g, '\\.')}:0 `));
      // Protected mode never refuses a unix-socket client.
      assert.equal(redisCli(['-s', path, 'CONFIG', 'GET', 'protected-mode']), 'protected-mode\nyes');
    } finally {
      await s.stop();
    }
    assert.equal(existsSync(path), false);
  });

  test('unix socket CLIENT LIST addr/laddr match redis-server', async () => {
    const path = join(dir, 'redis.sock');
    const r = await startRedis(['--unixsocket', path]);
    try {
      const list = redisCli(['-s', path, 'CLIENT', 'LIST']);
      assert.match(list, new RegExp(`addr=${path.replace(/[.]/g, '\\.')}:0 laddr=${path.replace(/[.]/g, '\\.')}:0 `));
    } finally {
      await r.stop();
    }
  });

  test('port 0 with a unix socket opens no TCP port', async () => {
    const path = join(dir, 'only.sock');
    const s = await startUntil(['--port', '0', '--unixsocket', path], () => canConnectUnix(path));
    try {
      assert.equal(redisCli(['-s', path, 'CONFIG', 'GET', 'port']), 'port\n0');
      // The only address in the listening line is the socket (the line may reach the pipe a
      // moment after the socket accepts).
      const line = `Listening on unix:${path}\n`;
      assert.ok(await waitFor(() => s.output().includes(line)), s.output());
    } finally {
      await s.stop();
    }
    // Nowhere to listen at all is an error.
    const none = runToExit(['--port', '0']);
    assert.equal(none.code, 1);
    assert.match(none.output, /Configured to not listen anywhere/);
  });

  test('an optional (-) address the host lacks is skipped; a required one stops the start', async () => {
    const s = await startRedoubt(['--bind', '127.0.0.1 -10.255.255.254']);
    try {
      assert.equal(await command(s.port, 'PING'), '+PONG\r\n');
      assert.match(s.output(), /Skipping optional address 10\.255\.255\.254/);
    } finally {
      await s.stop();
    }
    const port = await freePort();
    const r = runToExit(['--port', String(port), '--bind', '127.0.0.1 10.255.255.254']);
    assert.equal(r.code, 1);
    assert.match(r.output, /Could not create server TCP listening socket 10\.255\.255\.254/);
  });

  test('several addresses: each one listens', async () => {
    const s = await startRedoubt(['--bind', '127.0.0.1 127.0.0.3 ::1']);
    try {
      for (const host of ['127.0.0.3', '::1']) {
        const r = await exchange(s.port, host === '::1' ? '::1' : '127.0.0.1', 'PING\r\n', 1500, host);
        assert.equal(r.bytes, '+PONG\r\n');
      }
      const list = await command(s.port, 'CLIENT', 'LIST');
      assert.match(list, /addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ /);
    } finally {
      await s.stop();
    }
  });
});
