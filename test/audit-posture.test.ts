// One hardening table, two judges: for the same configuration, `redoubt --check-config` (which
// reads the configuration) and `redoubt audit` of a real Redoubt started with it (which reads the
// server over the wire) report the same findings with the same ids and severities. The network
// case runs inside a user and network namespace that has only a loopback interface, so the
// wildcard bind is real without reaching any network.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDOUBT_MAIN, startRedoubt, type RunningServer } from './helpers/servers.js';

const started: RunningServer[] = [];
const dir = mkdtempSync(join(tmpdir(), 'redoubt-audit-posture-'));
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const STRONG = 'k7Q2-v9xLp4mZr8w-Tb3N';

/** "severity id" pairs of a --check-config report, sorted. */
function checkConfigFindings(out: string): string[] {
  const found: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(CRITICAL|HIGH|MEDIUM|LOW|INFO)\s+([a-z0-9-]+):/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) found.push(`${m[1].toLowerCase()} ${m[2]}`);
  }
  return found.sort();
}

interface AuditJson {
  endpoints: { state: string; product: string | null; authenticatedAs: string | null; findings: { id: string; severity: string; cve: string | null }[] }[];
}

/** "severity id" pairs of the one endpoint of an audit --json report, sorted. */
function auditFindings(json: string): { pairs: string[]; endpoint: AuditJson['endpoints'][number] } {
  const report = JSON.parse(json) as AuditJson;
  assert.equal(report.endpoints.length, 1);
  const endpoint = report.endpoints[0];
  assert.ok(endpoint);
  return { pairs: endpoint.findings.map((f) => `${f.severity} ${f.id}`).sort(), endpoint };
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REDOUBT_MAIN, ...args], { env: { ...process.env, REDOUBT_AUDIT_PASSWORD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts Redoubt with `args` on loopback, audits it, and checks the configuration with the same directives. */
async function bothJudges(args: string[], audit: { args?: string[]; password?: string } = {}, configFile?: string): Promise<{ checkConfig: string[]; audit: string[]; endpoint: AuditJson['endpoints'][number] }> {
  const s = await startRedoubt(args, configFile !== undefined ? { configFile } : {});
  started.push(s);
  const directives = ['--port', String(s.port), '--bind', '127.0.0.1', ...args];
  const cc = await runCli(['--check-config', ...(configFile !== undefined ? [configFile] : []), ...directives]);
  assert.ok(cc.code === 0 || cc.code === 1, cc.stdout + cc.stderr);
  const env = audit.password !== undefined ? { REDOUBT_AUDIT_PASSWORD: audit.password } : {};
  const a = await runCli(['audit', `127.0.0.1:${s.port}`, '--json', '--timeout', '3000', ...(audit.args ?? [])], env);
  assert.equal(a.code, 0, a.stderr);
  const { pairs, endpoint } = auditFindings(a.stdout);
  return { checkConfig: checkConfigFindings(cc.stdout), audit: pairs, endpoint };
}

describe('--check-config and redoubt audit judge a configuration alike', () => {
  test('the default configuration: the missing password, low, on loopback (the audit reads it as open)', async () => {
    const r = await bothJudges([]);
    assert.equal(r.endpoint.state, 'open');
    assert.equal(r.endpoint.product, 'redoubt');
    assert.deepEqual(r.checkConfig, ['low default-user-nopass']);
    assert.deepEqual(r.audit, r.checkConfig);
  });

  test('a common password and opened gates, audited with that password', async () => {
    const r = await bothJudges(
      ['--requirepass', 'foobared', '--enable-debug-command', 'yes', '--enable-module-command', 'local', '--enable-protected-configs', 'local', '--enable-migrate-command', 'yes'],
      { args: ['--allow-plaintext-auth'], password: 'foobared' },
    );
    assert.equal(r.endpoint.authenticatedAs, 'default');
    assert.deepEqual(r.checkConfig, ['high enable-debug-command', 'high enable-migrate-command', 'low enable-protected-configs', 'medium enable-module-command', 'medium weak-password']);
    assert.deepEqual(r.audit, r.checkConfig);
  });

  test('ACL users from a config file: nopass and common-password users, unrestricted ones', async () => {
    const conf = join(dir, 'users.conf');
    writeFileSync(conf, `requirepass ${STRONG}\nuser app on nopass ~app:* +@read\nuser ops on >password123 ~* +@all\nuser old off nopass\n`);
    const r = await bothJudges([], { args: ['--allow-plaintext-auth'], password: STRONG }, conf);
    assert.deepEqual(r.checkConfig, ['low unrestricted-users', 'medium user-nopass', 'medium weak-password']);
    assert.deepEqual(r.audit, r.checkConfig);
  });

  test('an open door on a wildcard bind (inside a namespace with only loopback): critical for both', (t) => {
    const probe = spawnSync('unshare', ['-rn', 'true'], { stdio: 'pipe' });
    if (probe.status !== 0) {
      t.skip('unshare -rn (user and network namespaces) is not available here');
      return;
    }
    const args = ['--port', '6391', '--bind', '0.0.0.0', '--protected-mode', 'no', '--allow-unauthenticated-network', 'yes'];
    const node = `"${process.execPath}" "${REDOUBT_MAIN}"`;
    const script = [
      'ip link set lo up',
      `${node} ${args.join(' ')} >/dev/null 2>&1 &`,
      'pid=$!',
      'for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/6391) 2>/dev/null && break; sleep 0.1; done',
      `${node} audit 127.0.0.1:6391 --json --timeout 3000`,
      'echo "=====CHECK-CONFIG====="',
      `${node} --check-config ${args.join(' ')}`,
      'kill $pid',
    ].join('\n');
    const r = spawnSync('unshare', ['-rn', 'bash', '-c', script], { encoding: 'utf8', env: { ...process.env, REDOUBT_AUDIT_PASSWORD: '' }, timeout: 30000 });
    const [auditOut = '', checkOut = ''] = r.stdout.split('=====CHECK-CONFIG=====\n');
    const audit = auditFindings(auditOut);
    // Normal clients' output is bounded by default (normal 1gb 0 0): no unlimited-output-buffers finding.
    const expected = ['critical open-door', 'low bind-all-interfaces', 'low no-audit-log', 'low no-idle-timeout', 'low no-maxmemory', 'low no-trusted-networks', 'medium no-tls'];
    assert.deepEqual(checkConfigFindings(checkOut), expected, checkOut);
    assert.deepEqual(audit.pairs, expected);
  });
});
