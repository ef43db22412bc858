// `redoubt --check-config`: the security gaps of a configuration with their severities (from the
// hardening table `redoubt audit` shares), the exit code (1 when any is critical or high, 2 when the
// configuration is invalid, else 0), and the same findings in the startup log of a server run with
// that configuration. test/audit-posture.test.ts shows the audit reporting the same findings.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDOUBT_MAIN, startRedoubt, type RunningServer } from './helpers/servers.js';

const started: RunningServer[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

function check(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [REDOUBT_MAIN, '--check-config', ...args], { encoding: 'utf8', timeout: 15000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The finding ids of a report, with their severities ("critical open-door"), in report order. */
function findings(out: string): string[] {
  const found: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(CRITICAL|HIGH|MEDIUM|LOW|INFO)\s+([a-z-]+):/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) found.push(`${m[1].toLowerCase()} ${m[2]}`);
  }
  return found;
}

const STRONG = 'k7Q2-v9xLp4mZr8w-Tb3N';

describe('--check-config', () => {
  test('the defaults: only the missing password, as a low finding (loopback only)', () => {
    const r = check();
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^Redoubt security check of the default configuration\n/);
    assert.deepEqual(findings(r.out), ['low default-user-nopass']);
    assert.match(r.out, /any local process or user runs any command/);
    assert.match(r.out, /1 finding: 0 critical, 0 high, 0 medium, 1 low\.\n$/);
  });

  test('a hardened configuration has no findings', () => {
    const r = check('--requirepass', STRONG);
    assert.equal(r.code, 0);
    assert.match(r.out, /No security gaps found\./);
    assert.deepEqual(findings(r.out), []);
  });

  test('an open door on a public address is critical, with everything that comes with it', () => {
    // Normal clients' output is bounded by default; Redis's unbounded `normal 0 0 0` is a finding.
    const r = check(
      '--bind', '0.0.0.0', '--protected-mode', 'no', '--allow-unauthenticated-network', 'yes',
      '--client-output-buffer-limit', 'normal', '0', '0', '0',
    );
    assert.equal(r.code, 1);
    assert.deepEqual(findings(r.out), [
      'critical open-door',
      'medium no-tls',
      'low bind-all-interfaces',
      'low unlimited-output-buffers',
      'low no-idle-timeout',
      'low no-maxmemory',
      'low no-trusted-networks',
      'low no-audit-log',
    ]);
    assert.match(r.out, /Anyone on the network runs commands without a password: the default user has no password and protected mode is off; listening on 0\.0\.0\.0/);
  });

  test('the same gaps on loopback only are not network findings', () => {
    const r = check('--protected-mode', 'no');
    assert.equal(r.code, 0);
    assert.deepEqual(findings(r.out), ['low default-user-nopass', 'low protected-mode-off']);
  });

  test('short and common passwords', () => {
    const short = check('--requirepass', 'abcdefgh');
    assert.equal(short.code, 0);
    assert.deepEqual(findings(short.out), ['medium weak-password']);
    assert.match(short.out, /shorter than 16 characters/);
    const common = check('--requirepass', 'foobared', '--bind', '10.1.2.3', '--timeout', '300');
    assert.equal(common.code, 1);
    assert.ok(findings(common.out).includes('high weak-password'));
    assert.match(common.out, /commonly used password/);
    // The report names the gap, never the password.
    assert.ok(!common.out.includes('foobared'));
  });

  test('gates opened', () => {
    const r = check('--requirepass', STRONG, '--enable-debug-command', 'yes', '--enable-module-command', 'local', '--enable-protected-configs', 'local');
    assert.equal(r.code, 1);
    assert.deepEqual(findings(r.out), ['high enable-debug-command', 'medium enable-module-command', 'low enable-protected-configs']);
  });

  test('protected mode off on loopback is low; on a public bind with a password, medium for plain text (and no memory limit)', () => {
    assert.deepEqual(findings(check('--requirepass', STRONG, '--protected-mode', 'no').out), ['low protected-mode-off']);
    const pub = check(
      '--requirepass', STRONG, '--bind', '192.0.2.1', '--timeout', '300', '--audit-log', '/var/log/redoubt-audit.jsonl',
      '--client-output-buffer-limit', 'normal', '256mb', '64mb', '60', '--trusted-networks', '192.0.2.0/24',
    );
    assert.equal(pub.code, 0);
    assert.deepEqual(findings(pub.out), ['medium no-tls', 'low no-maxmemory']);
  });

  test('ACL users from the aclfile: nopass users and common passwords', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-posture-'));
    const acl = join(dir, 'users.acl');
    writeFileSync(acl, 'user default on nopass ~* &* +@all\nuser app on nopass ~app:* +@read\nuser ops on >password123 ~* +@all\nuser old off nopass\n');
    const r = check('--aclfile', acl);
    assert.deepEqual(findings(r.out).sort(), ['low default-user-nopass', 'low unrestricted-users', 'medium user-nopass', 'medium weak-password'].sort());
    assert.match(r.out, /'app' enabled with nopass/);
    assert.match(r.out, /user 'ops' has a commonly used password/);
    assert.match(r.out, /enabled users with \+@all and ~\*: ops/);
  });

  test('ACL users from `user` lines of the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-posture-'));
    const conf = join(dir, 'users.conf');
    writeFileSync(conf, `requirepass ${STRONG}\nuser bob on >foobared ~* +@all\nuser svc on nopass ~svc:* +get\n`);
    const r = check(conf, '--bind', '0.0.0.0', '--timeout', '60');
    assert.equal(r.code, 1);
    const f = findings(r.out);
    assert.ok(f.includes('high weak-password') && f.includes('high user-nopass'), r.out);
    assert.match(r.out, /user 'bob' has a commonly used password/);
    assert.ok(!f.some((x) => x.endsWith('default-user-nopass')));
    assert.ok(!r.out.includes('foobared'), 'the report names the gap, never the password');
  });

  test('a config file, and an invalid configuration (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-posture-'));
    const conf = join(dir, 'r.conf');
    writeFileSync(conf, 'bind 0.0.0.0\nrequirepass short\n');
    const r = check(conf);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`^Redoubt security check of ${conf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
    assert.ok(findings(r.out).includes('high weak-password'));
    const bad = check('--maxclients', 'lots');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /maxclients/);
  });
});

describe('startup log', () => {
  test('the server logs the same findings', async () => {
    const s = await startRedoubt(['--requirepass', 'abcdefgh', '--enable-debug-command', 'local', '--enable-module-command', 'yes']);
    started.push(s);
    const deadline = Date.now() + 3000;
    while (!s.output().includes('Ready to accept connections') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.match(s.output(), /\* Security gap \(medium\) weak-password: A password is short or commonly used: requirepass is shorter than 16 characters/);
    assert.match(s.output(), /\* Security gap \(low\) enable-debug-command: .*enable-debug-command local/);
    assert.match(s.output(), /# Security gap \(high\) enable-module-command: .*enable-module-command yes/);
  });
});
