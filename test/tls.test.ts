// TLS: certificates made with openssl into a temp dir; redis-cli --tls, ioredis and node-redis
// against Redoubt's TLS port; client certificates per tls-auth-clients (yes, optional, no);
// tls-protocols; encrypted keys; CONFIG SET reloads; protected mode and trusted-networks over TLS,
// compared with redis-server run with the same TLS configuration.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { REDOUBT_MAIN, freePort, terminate } from './helpers/servers.js';
import { makeCertificates } from './helpers/tls-servers.js';

let dir: string;
const f = (name: string): string => join(dir, name);

interface Running {
  readonly port: number;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a server (Redoubt or redis-server) with TLS on a free port, plain TCP off unless given. */
async function startTls(kind: 'redoubt' | 'redis', args: string[]): Promise<Running> {
  const port = await freePort();
  const common = ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server.key'), '--tls-ca-cert-file', f('ca.crt')];
  const child =
    kind === 'redoubt'
      ? spawn(process.execPath, [REDOUBT_MAIN, ...common, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', [...common, '--save', '', '--appendonly', 'no', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 10000;
  for (;;) {
    if (await ready(port)) break;
    if (child.exitCode !== null) throw new Error(`${kind} exited:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} not listening:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    child,
    output: () => out,
    stop: () => terminate(child),
  };
}

/** Ready once the log says so (a bare TCP probe would count as a failed handshake). */
function ready(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: readFileSync(f('ca.crt')), cert: readFileSync(f('client.crt')), key: readFileSync(f('client.key')) });
    s.once('secureConnect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

interface TlsExchange {
  readonly bytes: string;
  readonly closed: boolean;
  readonly error: string | null;
  readonly protocol: string | null;
}

/** Sends `send` over TLS with the given options and collects the reply bytes until close or `ms`. */
function tlsExchange(port: number, options: tls.ConnectionOptions & { localAddress?: string }, send: string, ms = 800): Promise<TlsExchange> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(f('ca.crt')), ...options });
    let bytes = '';
    let error: string | null = null;
    let protocol: string | null = null;
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ bytes, closed, error, protocol });
    };
    const timer = setTimeout(() => done(false), ms);
    s.on('secureConnect', () => {
      protocol = s.getProtocol();
      s.write(send);
    });
    s.on('data', (d: Buffer) => (bytes += d.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => done(true));
  });
}

/** A request in RESP. */
const resp = (...argv: string[]): string => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

const clientCert = (): tls.ConnectionOptions => ({ cert: readFileSync(f('client.crt')), key: readFileSync(f('client.key')) });
const rogueCert = (): tls.ConnectionOptions => ({ cert: readFileSync(f('rogue.crt')), key: readFileSync(f('rogue.key')) });

function redisCli(args: string[]): string {
  const r = spawnSync('redis-cli', args, { encoding: 'latin1', timeout: 10000 });
  return (r.stdout + r.stderr).trim();
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'redoubt-tls-'));
  makeCertificates(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS without client certificates (tls-auth-clients no)', () => {
  let srv: Running;
  before(async () => {
    srv = await startTls('redoubt', ['--tls-auth-clients', 'no']);
  });
  after(() => srv.stop());

  test('redis-cli --tls', () => {
    const base = ['--tls', '--cacert', f('ca.crt'), '-h', '127.0.0.1', '-p', String(srv.port)];
    assert.equal(redisCli([...base, 'PING']), 'PONG');
    assert.equal(redisCli([...base, 'SET', 'k', 'v']), 'OK');
    assert.equal(redisCli([...base, 'GET', 'k']), 'v');
    const list = redisCli([...base, 'CLIENT', 'LIST']);
    assert.match(list, new RegExp(`addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${srv.port} `));
  });

  test('ioredis with tls options', async () => {
    const r = new Redis({ host: '127.0.0.1', port: srv.port, tls: { ca: readFileSync(f('ca.crt')), servername: 'localhost' }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await r.connect();
      assert.equal(await r.set('io', 'redis'), 'OK');
      assert.equal(await r.get('io'), 'redis');
    } finally {
      r.disconnect();
    }
  });

  test('node-redis with socket.tls', async () => {
    const c = createClient({ socket: { host: '127.0.0.1', port: srv.port, tls: true, ca: readFileSync(f('ca.crt')), servername: 'localhost', reconnectStrategy: false } });
    c.on('error', () => {});
    await c.connect();
    try {
      assert.equal(await c.set('nr', 'x'), 'OK');
      assert.equal(await c.get('nr'), 'x');
    } finally {
      c.destroy();
    }
  });

  test('a plain (non-TLS) client on the TLS port gets nothing back', async () => {
    const r = await new Promise<string>((resolve) => {
      const s = net.connect({ port: srv.port, host: '127.0.0.1' });
      let bytes = '';
      s.on('data', (d: Buffer) => (bytes += d.toString('latin1')));
      s.on('error', () => {});
      s.on('connect', () => s.write('PING\r\n'));
      s.on('close', () => resolve(bytes));
      setTimeout(() => s.destroy(), 800);
    });
    assert.ok(!r.includes('PONG'));
  });
});

describe('mutual TLS', () => {
  test('tls-auth-clients yes: no certificate or a rogue one fails the handshake; a CA-signed one works', async () => {
    const srv = await startTls('redoubt', []);
    try {
      const none = await tlsExchange(srv.port, {}, 'PING\r\n');
      assert.equal(none.bytes, '');
      assert.equal(none.closed, true);
      const rogue = await tlsExchange(srv.port, rogueCert(), 'PING\r\n');
      assert.equal(rogue.bytes, '');
      assert.equal(rogue.closed, true);
      const good = await tlsExchange(srv.port, clientCert(), 'PING\r\n');
      assert.equal(good.bytes, '+PONG\r\n');
      const cli = ['--tls', '--cacert', f('ca.crt'), '-h', '127.0.0.1', '-p', String(srv.port)];
      assert.equal(redisCli([...cli, '--cert', f('client.crt'), '--key', f('client.key'), 'PING']), 'PONG');
      assert.notEqual(redisCli([...cli, 'PING']), 'PONG');
      const r = new Redis({ host: '127.0.0.1', port: srv.port, tls: { ca: readFileSync(f('ca.crt')), servername: 'localhost', ...clientCert() }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await r.connect();
      assert.equal(await r.ping(), 'PONG');
      r.disconnect();
    } finally {
      await srv.stop();
    }
  });

  test('tls-auth-clients optional: no certificate is fine, a rogue one is refused', async () => {
    const srv = await startTls('redoubt', ['--tls-auth-clients', 'optional']);
    try {
      assert.equal((await tlsExchange(srv.port, {}, 'PING\r\n')).bytes, '+PONG\r\n');
      assert.equal((await tlsExchange(srv.port, clientCert(), 'PING\r\n')).bytes, '+PONG\r\n');
      const rogue = await tlsExchange(srv.port, rogueCert(), 'PING\r\n');
      assert.equal(rogue.bytes, '');
      assert.equal(rogue.closed, true);
    } finally {
      await srv.stop();
    }
  });

  test('tls-auth-clients yes without a CA stops the start, with Redis\'s message', () => {
    const r = spawnSync(process.execPath, [REDOUBT_MAIN, '--port', '0', '--tls-port', '1', '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server.key')], { encoding: 'latin1', timeout: 10000 });
    assert.equal(r.status, 1);
    assert.match(r.stdout + r.stderr, /Either tls-ca-cert-file or tls-ca-cert-dir must be specified/);
    const missing = spawnSync(process.execPath, [REDOUBT_MAIN, '--port', '0', '--tls-port', '1'], { encoding: 'latin1', timeout: 10000 });
    assert.equal(missing.status, 1);
    assert.match(missing.stdout + missing.stderr, /No tls-cert-file configured!/);
  });
});

describe('TLS settings', () => {
  test('tls-protocols limits the versions offered', async () => {
    const v12 = await startTls('redoubt', ['--tls-auth-clients', 'no', '--tls-protocols', 'TLSv1.2']);
    const v13 = await startTls('redoubt', ['--tls-auth-clients', 'no', '--tls-protocols', 'tlsv1.3']);
    try {
      const a = await tlsExchange(v12.port, {}, 'PING\r\n');
      assert.equal(a.protocol, 'TLSv1.2');
      assert.equal(a.bytes, '+PONG\r\n');
      const b = await tlsExchange(v12.port, { minVersion: 'TLSv1.3' }, 'PING\r\n');
      assert.equal(b.bytes, '');
      assert.notEqual(b.error, null);
      const c = await tlsExchange(v13.port, {}, 'PING\r\n');
      assert.equal(c.protocol, 'TLSv1.3');
      const d = await tlsExchange(v13.port, { maxVersion: 'TLSv1.2' }, 'PING\r\n');
      assert.equal(d.bytes, '');
      assert.notEqual(d.error, null);
    } finally {
      await Promise.all([v12.stop(), v13.stop()]);
    }
  });

  test('an encrypted key opens with tls-key-file-pass', async () => {
    const srv = await startTls('redoubt', ['--tls-auth-clients', 'no', '--tls-key-file', f('server-enc.key'), '--tls-key-file-pass', 'hunter2']);
    try {
      assert.equal((await tlsExchange(srv.port, {}, 'PING\r\n')).bytes, '+PONG\r\n');
    } finally {
      await srv.stop();
    }
  });

  test('CONFIG SET of a bad certificate is refused as Redis refuses it; a new certificate is used by new connections', async () => {
    const redis = await startTls('redis', ['--tls-auth-clients', 'no']);
    const redoubt = await startTls('redoubt', ['--tls-auth-clients', 'no']);
    try {
      const set = `*3\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$13\r\ntls-cert-file\r\n$${f('nope.crt').length}\r\n${f('nope.crt')}\r\n`;
      const expected = await tlsExchange(redis.port, {}, set.replace('*3', '*4'));
      const actual = await tlsExchange(redoubt.port, {}, set.replace('*3', '*4'));
      assert.match(expected.bytes, /^-ERR CONFIG SET failed \(possibly related to argument 'tls-cert-file'\) - Unable to update TLS configuration/);
      assert.equal(actual.bytes, expected.bytes);
      for (const [name, value] of [['tls-ciphersuites', 'bogus'], ['tls-ciphers', 'bogus'], ['tls-ciphersuites', 'TLS_AES_128_GCM_SHA256'], ['tls-ciphers', 'ECDHE-ECDSA-AES128-GCM-SHA256']]) {
        const req = resp('CONFIG', 'SET', name!, value!);
        const want = await tlsExchange(redis.port, {}, req);
        assert.equal((await tlsExchange(redoubt.port, {}, req)).bytes, want.bytes, `${name} ${value}`);
      }
      assert.equal((await tlsExchange(redoubt.port, { maxVersion: 'TLSv1.2' }, 'PING\r\n')).bytes, '+PONG\r\n');
      // Rotation: the next handshake presents the new certificate.
      const rotate = (path: string): string => `*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$13\r\ntls-cert-file\r\n$${path.length}\r\n${path}\r\n`;
      const keyPath = f('server2.key');
      const both = `*6\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$13\r\ntls-cert-file\r\n$${f('server2.crt').length}\r\n${f('server2.crt')}\r\n$12\r\ntls-key-file\r\n$${keyPath.length}\r\n${keyPath}\r\n`;
      assert.equal((await tlsExchange(redoubt.port, {}, both)).bytes, '+OK\r\n');
      const cn = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ port: redoubt.port, host: '127.0.0.1', ca: readFileSync(f('ca.crt')), checkServerIdentity: () => undefined }, () => {
          resolve(String(s.getPeerCertificate().subject.CN));
          s.destroy();
        });
        s.on('error', reject);
      });
      assert.equal(cn, 'rotated');
      // A cert alone that does not match the key is refused and nothing changes.
      assert.match((await tlsExchange(redoubt.port, {}, rotate(f('server.crt')))).bytes, /Unable to update TLS configuration/);
    } finally {
      await Promise.all([redis.stop(), redoubt.stop()]);
    }
  });

  test('CONFIG SET tls-port moves the TLS listener; a port in use fails as in Redis and the old one serves on', async () => {
    const redis = await startTls('redis', ['--tls-auth-clients', 'no']);
    const redoubt = await startTls('redoubt', ['--tls-auth-clients', 'no']);
    const held = net.createServer((sock) => sock.destroy());
    try {
      const heldPort = await freePort();
      await new Promise<void>((resolve) => held.listen(heldPort, '127.0.0.1', resolve));
      const busy = resp('CONFIG', 'SET', 'maxmemory', '10000001', 'tls-port', String(heldPort));
      const expected = await tlsExchange(redis.port, {}, busy);
      assert.equal(expected.bytes, "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to listen on this port. Check server logs.\r\n");
      assert.equal((await tlsExchange(redoubt.port, {}, busy)).bytes, expected.bytes);
      assert.equal((await tlsExchange(redoubt.port, {}, resp('CONFIG', 'GET', 'maxmemory'))).bytes, '*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n');
      const next = await freePort();
      assert.equal((await tlsExchange(redoubt.port, {}, resp('CONFIG', 'SET', 'tls-port', String(next)))).bytes, '+OK\r\n');
      assert.equal((await tlsExchange(next, {}, 'PING\r\n')).bytes, '+PONG\r\n');
      const old = await tlsExchange(redoubt.port, {}, 'PING\r\n', 300);
      assert.equal(old.bytes, '');
      assert.equal(old.error, 'ECONNREFUSED');
    } finally {
      held.close();
      await Promise.all([redis.stop(), redoubt.stop()]);
    }
  });
});

describe('network checks over TLS', () => {
  test('protected mode answers a 127.0.0.2 TLS client with the same DENIED bytes as Redis', async () => {
    const redis = await startTls('redis', ['--tls-auth-clients', 'no', '--protected-mode', 'yes']);
    const redoubt = await startTls('redoubt', ['--tls-auth-clients', 'no', '--protected-mode', 'yes']);
    try {
      const expected = await tlsExchange(redis.port, { localAddress: '127.0.0.2' }, 'PING\r\n', 1500);
      const actual = await tlsExchange(redoubt.port, { localAddress: '127.0.0.2' }, 'PING\r\n', 1500);
      assert.ok(expected.bytes.startsWith('-DENIED '));
      assert.equal(actual.bytes, expected.bytes);
      assert.equal(actual.closed, true);
    } finally {
      await Promise.all([redis.stop(), redoubt.stop()]);
    }
  });

  test('trusted-networks drops a TLS peer before the handshake', async () => {
    const srv = await startTls('redoubt', ['--tls-auth-clients', 'no', '--protected-mode', 'no', '--trusted-networks', '127.0.0.1/32']);
    try {
      const r = await tlsExchange(srv.port, { localAddress: '127.0.0.2' }, 'PING\r\n');
      assert.equal(r.protocol, null);
      assert.equal(r.bytes, '');
      const info = await tlsExchange(srv.port, {}, 'INFO stats\r\n');
      assert.match(info.bytes, /rejected_connections_untrusted:1\r\n/);
    } finally {
      await srv.stop();
    }
  });
});
