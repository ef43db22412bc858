// The CVE table against an independent fixture: (product, version, expected CVEs) pairs written
// by hand from the advisories and release notes (the CVE records' affected ranges, the Redis and
// Valkey release notes of each branch), not generated from src/audit/cves.ts. "unverified" lists
// the CVEs whose fixed release on that branch no source confirms: the auditor reports them with
// confidence "possible". Also: Valkey is matched on valkey_version and never on its frozen
// redis_version:7.2.4; server_name:redoubt is Redoubt; the distribution-build rule; and the
// caveat in the terminal report, from a real audit of an endpoint that looks like a package build.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type net from 'node:net';
import { CVES, cveFindings, verdict, type CveContext } from '../src/audit/cves.js';
import { fingerprint } from '../src/audit/fingerprint.js';
import { REDOUBT_MAIN, freePort } from './helpers/servers.js';
import { closeAll, infoText, startResponder } from './helpers/resp-responder.js';

const LUA = ['CVE-2025-49844', 'CVE-2025-46817', 'CVE-2025-46818', 'CVE-2025-46819'];
const MAY26 = ['CVE-2026-23479', 'CVE-2026-25243', 'CVE-2026-23631'];
const OCT24 = ['CVE-2024-31449', 'CVE-2024-31228'];

interface Case {
  readonly version: string;
  readonly affected: readonly string[];
  readonly unverified?: readonly string[];
}

// Redis, every CVE published 2024-2026 (from the GHSA records and each branch's release notes).
const REDIS: readonly Case[] = [
  { version: '6.2.15', affected: [...OCT24, 'CVE-2024-46981', 'CVE-2025-21605', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA], unverified: ['CVE-2026-25243'] },
  { version: '6.2.16', affected: ['CVE-2024-46981', 'CVE-2025-21605', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA], unverified: ['CVE-2026-25243'] },
  { version: '6.2.20', affected: [], unverified: ['CVE-2026-25243'] },
  // 7.0 is end of life: every fix from 2024 on is missing.
  { version: '7.0.15', affected: [...OCT24, 'CVE-2024-31227', 'CVE-2024-46981', 'CVE-2024-51741', 'CVE-2025-21605', 'CVE-2025-27151', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA, 'CVE-2026-25243'], unverified: ['CVE-2026-23631'] },
  { version: '7.2.4', affected: [...OCT24, 'CVE-2024-31227', 'CVE-2024-46981', 'CVE-2024-51741', 'CVE-2025-21605', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA], unverified: ['CVE-2025-27151', ...MAY26] },
  { version: '7.2.7', affected: ['CVE-2025-21605', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA], unverified: ['CVE-2025-27151', ...MAY26] },
  { version: '7.2.8', affected: ['CVE-2025-32023', 'CVE-2025-48367', ...LUA], unverified: ['CVE-2025-27151', ...MAY26] },
  { version: '7.2.10', affected: [...LUA], unverified: ['CVE-2025-27151', ...MAY26] },
  { version: '7.2.11', affected: [], unverified: ['CVE-2025-27151', ...MAY26] },
  { version: '7.4.0', affected: [...OCT24, 'CVE-2024-31227', 'CVE-2024-46981', 'CVE-2024-51741', 'CVE-2025-21605', 'CVE-2025-27151', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA, ...MAY26] },
  { version: '7.4.3', affected: ['CVE-2025-27151', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA, ...MAY26] },
  { version: '7.4.5', affected: [...LUA, ...MAY26] },
  { version: '7.4.6', affected: [...MAY26] },
  { version: '7.4.9', affected: [] },
  { version: '8.0.0', affected: ['CVE-2025-27151', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA], unverified: [...MAY26] },
  { version: '8.0.2', affected: ['CVE-2025-32023', 'CVE-2025-48367', ...LUA], unverified: [...MAY26] },
  { version: '8.0.4', affected: [], unverified: [...MAY26] },
  { version: '8.2.0', affected: [...LUA, 'CVE-2025-62507', ...MAY26] },
  { version: '8.2.2', affected: ['CVE-2025-62507', ...MAY26] },
  { version: '8.2.3', affected: [...MAY26] },
  { version: '8.2.6', affected: [] },
  { version: '8.4.0', affected: [], unverified: [...MAY26] },
  { version: '8.6.2', affected: [...MAY26] },
  { version: '8.6.3', affected: [] },
  { version: '8.8.0', affected: [] },
];

// Valkey by valkey_version (7.2.4 was its first release; 8.1 and 9.0 were cut after fixes).
const V_UNVERIFIED_72 = ['CVE-2024-46981', 'CVE-2024-51741', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA, 'CVE-2025-67733'];
const VALKEY: readonly Case[] = [
  { version: '7.2.5', affected: [...OCT24, 'CVE-2024-31227', 'CVE-2025-21605', ...MAY26], unverified: V_UNVERIFIED_72 },
  { version: '7.2.7', affected: ['CVE-2025-21605', ...MAY26], unverified: V_UNVERIFIED_72 },
  { version: '7.2.9', affected: [...MAY26], unverified: V_UNVERIFIED_72 },
  { version: '7.2.13', affected: [], unverified: V_UNVERIFIED_72 },
  { version: '8.0.0', affected: [...OCT24, 'CVE-2024-31227', 'CVE-2024-46981', 'CVE-2024-51741', 'CVE-2025-21605', ...LUA, ...MAY26], unverified: ['CVE-2025-32023', 'CVE-2025-48367', 'CVE-2025-67733'] },
  { version: '8.0.2', affected: ['CVE-2025-21605', ...LUA, ...MAY26], unverified: ['CVE-2025-32023', 'CVE-2025-48367', 'CVE-2025-67733'] },
  { version: '8.0.6', affected: [...MAY26], unverified: ['CVE-2025-32023', 'CVE-2025-48367', 'CVE-2025-67733'] },
  { version: '8.0.8', affected: [], unverified: ['CVE-2025-32023', 'CVE-2025-48367', 'CVE-2025-67733'] },
  { version: '8.1.0', affected: ['CVE-2025-21605', 'CVE-2025-32023', 'CVE-2025-48367', ...LUA, ...MAY26], unverified: ['CVE-2025-67733'] },
  { version: '8.1.4', affected: [...MAY26], unverified: ['CVE-2025-67733'] },
  { version: '8.1.7', affected: [], unverified: ['CVE-2025-67733'] },
  { version: '9.0.2', affected: ['CVE-2025-67733', ...MAY26] },
  { version: '9.0.3', affected: [...MAY26] },
  { version: '9.0.4', affected: [] },
  { version: '9.1.0', affected: [] },
];

const RECENT = /^CVE-202[4-6]-/;

function table(product: 'redis' | 'valkey', version: string): { affected: string[]; unverified: string[] } {
  const affected: string[] = [];
  const unverified: string[] = [];
  for (const c of CVES) {
    if (c.product !== product || !RECENT.test(c.id)) continue;
    const v = verdict(c, version);
    if (v === 'affected') affected.push(c.id);
    else if (v === 'affected-unverified') unverified.push(c.id);
  }
  return { affected: affected.sort(), unverified: unverified.sort() };
}

const sorted = (l: readonly string[] | undefined): string[] => [...(l ?? [])].sort();

describe('the CVE table against the advisories', () => {
  for (const c of REDIS) {
    test(`redis ${c.version}`, () => {
      assert.deepEqual(table('redis', c.version), { affected: sorted(c.affected), unverified: sorted(c.unverified) });
    });
  }
  for (const c of VALKEY) {
    test(`valkey ${c.version}`, () => {
      assert.deepEqual(table('valkey', c.version), { affected: sorted(c.affected), unverified: sorted(c.unverified) });
    });
  }

  test('every entry names its sources, its branches, whether it is pre-auth and what it needs', () => {
    for (const c of CVES) {
      assert.ok(c.sources.length > 0, c.id);
      assert.ok(Object.keys(c.branches).length > 0, c.id);
      assert.equal(typeof c.preAuth, 'boolean', c.id);
      assert.ok(Array.isArray(c.preconditions), c.id);
      if (RECENT.test(c.id)) assert.ok(c.sources.some((s) => /advisories\/GHSA-|releases\/tag\/|valkey-io\/valkey\/pull\//.test(s)), `${c.id} cites an advisory or a release`);
    }
    // The brief's list, for both products where Valkey shipped a fix.
    for (const id of ['CVE-2025-49844', 'CVE-2025-46817', 'CVE-2025-46818', 'CVE-2025-46819', 'CVE-2025-21605', 'CVE-2025-32023', 'CVE-2025-48367', 'CVE-2024-31228', 'CVE-2024-31449', 'CVE-2024-46981', 'CVE-2024-51741']) {
      for (const product of ['redis', 'valkey'] as const) assert.ok(CVES.some((c) => c.id === id && c.product === product), `${product} ${id}`);
    }
    assert.ok(CVES.some((c) => c.id === 'CVE-2025-27151' && c.preconditions.includes('local-tool')));
    assert.deepEqual(CVES.filter((c) => c.preAuth && RECENT.test(c.id)).map((c) => `${c.product} ${c.id}`).sort(), ['redis CVE-2025-21605', 'redis CVE-2025-48367', 'valkey CVE-2025-21605', 'valkey CVE-2025-48367']);
  });
});

const CTX: CveContext = { unauthenticatedCommands: false, evalExists: null, tls: null, replicaReadOnly: null };

describe('what INFO says decides the product and the build', () => {
  test('Valkey is matched on valkey_version, never on redis_version:7.2.4', () => {
    const valkey = fingerprint(infoText({ redis_version: '7.2.4', server_name: 'valkey', valkey_version: '9.0.4', redis_git_sha1: '00000000', executable: '/usr/local/bin/valkey-server', os: 'Linux 6.1.0 x86_64' }));
    assert.equal(valkey.product, 'valkey');
    assert.equal(valkey.version, '9.0.4');
    assert.equal(valkey.redisVersion, '7.2.4');
    assert.deepEqual(cveFindings(valkey, CTX), []);
    // The same redis_version on Redis itself is in many ranges.
    const redis = fingerprint(infoText({ redis_version: '7.2.4', redis_git_sha1: 'a1b2c3d4', executable: '/opt/redis/bin/redis-server' }));
    assert.equal(redis.product, 'redis');
    assert.ok(cveFindings(redis, CTX).some((f) => f.cve === 'CVE-2025-49844'));
  });

  test('server_name:redoubt is Redoubt, with or without redis_version, and maps to no Redis CVE', () => {
    const fp = fingerprint(infoText({ server_name: 'redoubt', redis_version: '7.0.15', redoubt_version: '0.2.0' }));
    assert.equal(fp.product, 'redoubt');
    assert.equal(fp.version, '0.2.0');
    assert.deepEqual(cveFindings(fp, CTX), []);
    assert.equal(fingerprint(infoText({ server_name: 'redoubt', redis_version: '7.0.15' })).product, 'redoubt');
  });

  test('the distribution-build rule', () => {
    const debian = fingerprint(infoText({ redis_version: '7.0.15', redis_git_sha1: '00000000', executable: '/usr/bin/redis-server', config_file: '/etc/redis/redis.conf', mem_allocator: 'jemalloc-5.3.0', os: 'Linux 6.1.0-18-amd64 x86_64' }));
    assert.equal(debian.packaging.distribution, 'debian');
    assert.equal(debian.packaging.suspected, true);
    const rhel = fingerprint(infoText({ redis_version: '7.2.4', redis_git_sha1: '00000000', redis_build_id: '8d9a6cc3ad1d6bfb', executable: '/usr/bin/redis-server', config_file: '/etc/redis.conf', os: 'Linux 5.14.0-427.el9.x86_64 x86_64' }));
    assert.equal(rhel.packaging.distribution, null);
    assert.equal(rhel.packaging.suspected, true);
    assert.ok(rhel.packaging.evidence.some((e) => /el9/.test(e)), 'the kernel is named as supporting evidence');
    assert.equal(rhel.buildId, '8d9a6cc3ad1d6bfb');
    // The official image and a git build are upstream's code as released.
    const image = fingerprint(infoText({ redis_version: '7.2.4', redis_git_sha1: '00000000', executable: '/usr/local/bin/redis-server', config_file: '', mem_allocator: 'jemalloc-5.3.0', os: 'Linux 5.15.0-91-generic x86_64' }));
    assert.equal(image.packaging.suspected, false);
    const git = fingerprint(infoText({ redis_version: '7.2.4', redis_git_sha1: 'a1b2c3d4', executable: '/usr/bin/redis-server', config_file: '/etc/redis.conf' }));
    assert.equal(git.packaging.suspected, false);
    // A suspected build: a version match is only "possible", with the caveat.
    const f = cveFindings(rhel, CTX).find((x) => x.cve === 'CVE-2025-49844');
    assert.equal(f?.confidence, 'possible');
    assert.match(f.evidence, /^version in an affected range; a distribution may have backported the fix/);
    assert.equal(cveFindings(image, CTX).find((x) => x.cve === 'CVE-2025-49844')?.confidence, 'version');
  });

  test('preconditions: not met → info; a session-only CVE stays below critical unless commands run for anyone', () => {
    const fp = fingerprint(infoText({ redis_version: '7.4.5', redis_git_sha1: 'a1b2c3d4' }));
    const lua = (ctx: CveContext) => cveFindings(fp, ctx).find((x) => x.cve === 'CVE-2025-49844');
    assert.equal(lua(CTX)?.severity, 'high');
    assert.equal(lua({ ...CTX, unauthenticatedCommands: true })?.severity, 'critical');
    assert.equal(lua({ ...CTX, evalExists: false })?.severity, 'info');
    assert.match(lua({ ...CTX, evalExists: false })?.evidence ?? '', /precondition not met here: needs Lua/);
    const replica = cveFindings(fp, { ...CTX, replicaReadOnly: false }).find((x) => x.cve === 'CVE-2026-23631');
    assert.match(replica?.evidence ?? '', /needs a replica with replica-read-only no/);
  });
});

describe('the terminal report says when a distribution may have backported the fix', () => {
  const servers: net.Server[] = [];
  after(() => closeAll(servers));

  test('an open endpoint that looks like a package build', async () => {
    const port = await freePort();
    servers.push(await startResponder('127.0.0.1', port, { kind: 'open', info: infoText({ redis_version: '7.2.4', redis_git_sha1: '00000000', executable: '/usr/bin/redis-server', config_file: '/etc/redis.conf', os: 'Linux 5.14.0-427.el9.x86_64 x86_64' }) }));
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [REDOUBT_MAIN, 'audit', `127.0.0.1:${port}`, '--timeout', '2000'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('exit', () => resolve(text));
    });
    assert.match(out, /\[critical\] cve-2025-49844: Lua parser use-after-free .*\(version in an affected range; a distribution may have backported the fix\)$/m);
  });
});
