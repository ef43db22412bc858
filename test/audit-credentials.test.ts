// Finding 12: the auditor sends credentials only where the operator meant them: over TLS with a
// verified certificate, or to targets named one by one with --allow-plaintext-auth; never to
// endpoints from --range or --input unless --auth-all-targets says so; and the report says where
// it authenticated. The endpoints are a listener that records every byte it receives and answers
// like a password-protected server, a real redis-server whose ACL LOG would show any AUTH, and a
// TLS-only Redoubt with a certificate from a test CA.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { REDOUBT_MAIN, freePort, startRedis, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

interface Endpoint {
  target: string;
  state: string;
  authenticatedAs: string | null;
  authentication: { sent: boolean; channel: string | null; accepted: boolean | null; withheld: string | null };
  notes: string[];
}
interface Report {
  credentials: { sentTo: { target: string; channel: string | null; accepted: boolean | null }[]; withheldFrom: number };
  endpoints: Endpoint[];
}

const PASSWORD = 'not-for-strangers-7Rq';
let dir: string;
const servers: RunningServer[] = [];
const children: ChildProcess[] = [];

/** A server that wants a password: every command gets NOAUTH; every byte received is kept. */
class RecordingListener {
  received = '';
  private readonly server = net.createServer((sock) => {
    sock.on('data', (d: Buffer) => {
      this.received += d.latin1Slice();
      // One NOAUTH per command (each RESP command starts with '*').
      const commands = d.latin1Slice().split('*').length - 1;
      sock.write('-NOAUTH Authentication required.\r\n'.repeat(Math.max(1, commands)));
    });
    sock.on('error', () => {});
  });
  port = 0;

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : 0;
  }

  close(): void {
    this.server.close();
  }
}

function audit(args: string[], password = PASSWORD): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REDOUBT_MAIN, 'audit', '--timeout', '2000', ...args], { env: { ...process.env, REDOUBT_AUDIT_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function auditJson(args: string[], password = PASSWORD): Promise<{ report: Report; stderr: string }> {
  const r = await audit([...args, '--json'], password);
  assert.equal(r.code, 0, r.stderr);
  return { report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

function only(report: Report): Endpoint {
  assert.equal(report.endpoints.length, 1);
  const e = report.endpoints[0];
  assert.ok(e);
  return e;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'redoubt-audit-credentials-'));
});
after(async () => {
  for (const s of servers) await s.stop();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('credentials go only where the operator meant them', () => {
  test('a --range endpoint that asks for a password gets none; with --auth-all-targets and --allow-plaintext-auth it does', async () => {
    const l = new RecordingListener();
    await l.listen();
    try {
      const { report, stderr } = await auditJson(['--range', '127.0.0.1/32', '--ports', String(l.port)]);
      const e = only(report);
      assert.equal(e.state, 'auth-required');
      assert.equal(e.authentication.sent, false);
      assert.match(e.authentication.withheld ?? '', /came from --range/);
      assert.deepEqual(report.credentials, { sentTo: [], withheldFrom: 1 });
      assert.match(stderr, /credentials go only over TLS with a verified certificate/);
      // --allow-plaintext-auth alone is for targets named one by one.
      const plain = only((await auditJson(['--range', '127.0.0.1/32', '--ports', String(l.port), '--allow-plaintext-auth'])).report);
      assert.equal(plain.authentication.sent, false);
      assert.ok(l.received.length > 0, 'the listener was probed');
      assert.doesNotMatch(l.received, /AUTH/i, 'no AUTH crossed the wire');
      assert.ok(!l.received.includes(PASSWORD));

      const asked = only((await auditJson(['--range', '127.0.0.1/32', '--ports', String(l.port), '--allow-plaintext-auth', '--auth-all-targets'])).report);
      assert.equal(asked.authentication.sent, true);
      assert.equal(asked.authentication.channel, 'plaintext');
      assert.equal(asked.authentication.accepted, false);
      assert.ok(l.received.includes(`$${PASSWORD.length}\r\n${PASSWORD}\r\n`), 'AUTH was sent once it was asked for');
    } finally {
      l.close();
    }
  });

  test('an --input endpoint gets none either; a named one needs --allow-plaintext-auth over plaintext', async () => {
    const l = new RecordingListener();
    await l.listen();
    try {
      const file = join(dir, 'targets.txt');
      writeFileSync(file, `# estate\n127.0.0.1:${l.port}\n`);
      const fromFile = only((await auditJson(['-i', file, '--allow-plaintext-auth'])).report);
      assert.equal(fromFile.authentication.sent, false);
      assert.match(fromFile.authentication.withheld ?? '', /came from --input/);
      const named = only((await auditJson([`127.0.0.1:${l.port}`])).report);
      assert.equal(named.authentication.sent, false);
      assert.match(named.authentication.withheld ?? '', /connection is plaintext/);
      assert.doesNotMatch(l.received, /AUTH/i, 'no AUTH crossed the wire');

      const allowed = await audit([`127.0.0.1:${l.port}`, '--user', 'auditor', '--allow-plaintext-auth']);
      assert.match(l.received, /\*3\r\n\$4\r\nAUTH\r\n\$7\r\nauditor\r\n/);
      // The terminal report says where the audit authenticated.
      assert.match(allowed.stdout, new RegExp(`^Credentials sent to: 127\\.0\\.0\\.1:${l.port} \\(plaintext, refused\\)$`, 'm'));
    } finally {
      l.close();
    }
  });

  test('a real redis-server in a range: its ACL LOG shows no AUTH attempt unless one was allowed', async () => {
    const s = await startRedis(['--requirepass', 'right-password-1']);
    servers.push(s);
    const aclLog = async (): Promise<string> => {
      const c = await RawClient.connect(s.port);
      try {
        await c.call('AUTH', 'right-password-1');
        return await c.call('ACL', 'LOG');
      } finally {
        c.close();
      }
    };
    const ranged = only((await auditJson(['--range', '127.0.0.1/32', '--ports', String(s.port), '--allow-plaintext-auth'], 'wrong-password')).report);
    assert.equal(ranged.state, 'auth-required');
    assert.equal(ranged.authentication.sent, false);
    assert.equal(await aclLog(), '*0\r\n', 'no failed AUTH was logged');
    const named = only((await auditJson([`127.0.0.1:${s.port}`, '--allow-plaintext-auth'], 'wrong-password')).report);
    assert.equal(named.authentication.sent, true);
    assert.match(await aclLog(), /auth/, 'the allowed attempt shows in ACL LOG');
  });

  test('over TLS with a verified certificate credentials go without --allow-plaintext-auth; with --insecure they do not', async () => {
    const ossl = (...a: string[]): void => void execFileSync('openssl', a, { stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ossl('req', '-x509', '-new', ...ec, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '2', '-subj', '/CN=audit-ca');
    writeFileSync(join(dir, 'srv.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    ossl('req', '-new', ...ec, '-keyout', join(dir, 'srv.key'), '-out', join(dir, 'srv.csr'), '-subj', '/CN=localhost');
    ossl('x509', '-req', '-in', join(dir, 'srv.csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'srv.crt'), '-days', '2', '-extfile', join(dir, 'srv.ext'));
    const port = await freePort();
    const child = spawn(process.execPath, [REDOUBT_MAIN, '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', join(dir, 'srv.crt'), '--tls-key-file', join(dir, 'srv.key'), '--tls-auth-clients', 'no', '--requirepass', PASSWORD], { stdio: 'ignore' });
    children.push(child);
    for (let i = 0; i < 200; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const c = net.connect({ port, host: '127.0.0.1' }, () => {
          c.destroy();
          resolve(true);
        });
        c.on('error', () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const { report } = await auditJson([`127.0.0.1:${port}`, '--tls', '--cacert', join(dir, 'ca.crt')]);
    const verified = only(report);
    assert.equal(verified.authenticatedAs, 'default');
    assert.deepEqual(verified.authentication, { sent: true, channel: 'tls-verified', accepted: true, withheld: null });
    assert.deepEqual(report.credentials.sentTo, [{ target: `127.0.0.1:${port}`, channel: 'tls-verified', accepted: true }]);
    const insecure = only((await auditJson([`127.0.0.1:${port}`, '--tls', '--insecure'])).report);
    assert.equal(insecure.authentication.sent, false);
    assert.match(insecure.authentication.withheld ?? '', /without certificate verification/);
    assert.equal(insecure.authenticatedAs, null);
  });
});
