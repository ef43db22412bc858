// The auditor at the scale it is meant for: a --range of 2,048 loopback addresses (127.66.0.0/21),
// each one endpoint of a simulated internet scan in proportions like the exposure studies'
// (mostly unreachable, password-protected or in protected mode; a fraction open, with Redis,
// Valkey and Redoubt versions from 3.2 to 8.0; HTTP and SSH servers; address filters; TLS-only,
// busy and erroring servers). The JSON report is read through a real pipe and every endpoint's
// state, product and version is checked against what was served. Throughput and peak memory are
// printed (docs/audit.md records them). A bigger run:
//   AUDIT_SCALE_RANGE=127.64.0.0/20 node --test dist/test/audit-scale.test.js
// (4,096 addresses, the most one audit expands).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { expandRange } from '../src/audit/targets.js';
import { REDOUBT_MAIN, freePort } from './helpers/servers.js';
import { closeAll, infoText, startResponder, type Behavior } from './helpers/resp-responder.js';

const RANGE = process.env['AUDIT_SCALE_RANGE'] ?? '127.66.0.0/21';

interface Served {
  readonly state: string;
  readonly product: string | null;
  readonly version: string | null;
}

/** Open servers: product, version, and the INFO that says so. */
const OPEN: readonly { readonly product: string; readonly version: string; readonly info: Record<string, string> }[] = [
  { product: 'redis', version: '3.2.12', info: { redis_version: '3.2.12', redis_git_sha1: '00000000', os: 'Linux 3.10.0-1160.el7.x86_64 x86_64' } },
  { product: 'redis', version: '4.0.14', info: { redis_version: '4.0.14', redis_git_sha1: '00000000' } },
  { product: 'redis', version: '5.0.7', info: { redis_version: '5.0.7', redis_git_sha1: '00000000', executable: '/usr/bin/redis-server', config_file: '/etc/redis/redis.conf' } },
  { product: 'redis', version: '6.0.16', info: { redis_version: '6.0.16', redis_git_sha1: '00000000' } },
  { product: 'redis', version: '6.2.6', info: { redis_version: '6.2.6', redis_git_sha1: '00000000' } },
  { product: 'redis', version: '6.2.14', info: { redis_version: '6.2.14', redis_git_sha1: '00000000' } },
  { product: 'redis', version: '7.0.15', info: { redis_version: '7.0.15', redis_git_sha1: '00000000', mem_allocator: 'jemalloc-5.3.0' } },
  { product: 'redis', version: '7.2.4', info: { redis_version: '7.2.4', redis_git_sha1: '00000000' } },
  { product: 'redis', version: '7.4.2', info: { redis_version: '7.4.2', redis_git_sha1: '00000000' } },
  { product: 'redis', version: '8.0.2', info: { redis_version: '8.0.2', redis_git_sha1: '00000000' } },
  { product: 'valkey', version: '8.0.1', info: { redis_version: '7.2.4', server_name: 'valkey', valkey_version: '8.0.1' } },
  { product: 'valkey', version: '8.1.1', info: { redis_version: '7.2.4', server_name: 'valkey', valkey_version: '8.1.1' } },
  { product: 'redoubt', version: '0.1.0', info: { redis_version: '7.0.15', redoubt_version: '0.1.0' } },
];

/** Cumulative shares (percent) of each kind, after the internet studies' proportions. */
const MIX: readonly [string, number][] = [
  ['unreachable', 30],
  ['auth-required', 35],
  ['protected-mode', 10],
  ['open', 12],
  ['not-redis', 6],
  ['ip-allowlisted', 3],
  ['tls-required', 2],
  ['busy', 1],
  ['error', 1],
];

/** A small deterministic generator (mulberry32), so every run serves the same estate. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dir: string;
let port: number;
const servers: net.Server[] = [];
const served = new Map<string, Served>();
let tlsContext: { key: Buffer; cert: Buffer };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redoubt-audit-scale-'));
  execFileSync('openssl', ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=scale'], { stdio: 'pipe' });
  tlsContext = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  port = await freePort();
  const rand = random(20260509);
  const starts: Promise<void>[] = [];
  for (const host of expandRange(RANGE)) {
    const roll = rand() * 100;
    let acc = 0;
    const kind = MIX.find(([, share]) => (acc += share) > roll)?.[0] ?? 'unreachable';
    const add = (s: Served, start: () => Promise<net.Server>): void => {
      served.set(`${host}:${port}`, s);
      starts.push(start().then((srv) => void servers.push(srv)));
    };
    switch (kind) {
      case 'unreachable':
        served.set(`${host}:${port}`, { state: 'unreachable', product: null, version: null });
        break;
      case 'open': {
        const o = OPEN[Math.floor(rand() * OPEN.length)] ?? OPEN[0];
        if (o === undefined) break;
        const b: Behavior = { kind: 'open', info: infoText({ ...o.info, role: 'master', redis_mode: 'standalone' }), config: { bind: '* -::*', 'protected-mode': 'no', timeout: '0' }, acl: ['user default on nopass ~* &* +@all'] };
        add({ state: 'open', product: o.product, version: o.version }, () => startResponder(host, port, b));
        break;
      }
      case 'not-redis':
        add({ state: 'not-redis', product: null, version: null }, () => startResponder(host, port, { kind: rand() < 0.7 ? 'http' : 'ssh' }));
        break;
      case 'tls-required':
        add({ state: 'tls-required', product: null, version: null }, () => listenTls(host));
        break;
      case 'auth-required':
        add({ state: kind, product: null, version: null }, () => startResponder(host, port, { kind: 'noauth' }));
        break;
      case 'protected-mode':
        add({ state: kind, product: null, version: null }, () => startResponder(host, port, { kind: 'denied' }));
        break;
      case 'ip-allowlisted':
        add({ state: kind, product: null, version: null }, () => startResponder(host, port, { kind: 'close-at-accept' }));
        break;
      case 'busy':
        add({ state: kind, product: null, version: null }, () => startResponder(host, port, { kind: 'busy' }));
        break;
      default:
        add({ state: 'error', product: null, version: null }, () => startResponder(host, port, { kind: 'error', message: 'ERR max number of clients reached' }));
    }
  }
  await Promise.all(starts);
});

after(async () => {
  await closeAll(servers);
  rmSync(dir, { recursive: true, force: true });
});

function listenTls(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = tls.createServer(tlsContext, (sock) => sock.end());
    s.on('tlsClientError', () => {});
    s.once('error', reject);
    s.listen({ host, port }, () => resolve(s));
  });
}

interface Report {
  summary: { endpoints: number; states: Record<string, number> };
  endpoints: { target: string; state: string; product: string | null; version: string | null }[];
}

test(`a --range of ${RANGE}: every state and version as served, read through a pipe`, async (t) => {
  const rss = join(dir, 'rss');
  const cmd = `/usr/bin/time -f %M -o ${rss} "${process.execPath}" "${REDOUBT_MAIN}" audit --range ${RANGE} --ports ${port} --rate 10000 --concurrency 256 --timeout 3000 --json | cat`;
  const started = Date.now();
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-c', `set -o pipefail; ${cmd}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(out.code, 0, out.stderr);
  const report = JSON.parse(out.stdout) as Report;
  assert.equal(report.endpoints.length, served.size);
  const wrong: string[] = [];
  const counts: Record<string, number> = {};
  for (const e of report.endpoints) {
    const want = served.get(e.target);
    counts[e.state] = (counts[e.state] ?? 0) + 1;
    if (!want) wrong.push(`${e.target}: not served`);
    else if (e.state !== want.state || e.product !== want.product || e.version !== want.version) wrong.push(`${e.target}: served ${want.state} ${want.product ?? ''} ${want.version ?? ''}, reported ${e.state} ${e.product ?? ''} ${e.version ?? ''}`);
  }
  assert.deepEqual(wrong.slice(0, 20), []);
  for (const state of ['open', 'auth-required', 'protected-mode', 'ip-allowlisted', 'busy', 'tls-required', 'not-redis', 'unreachable', 'error']) {
    assert.ok((counts[state] ?? 0) > 0, `some endpoints are ${state}`);
    assert.equal(report.summary.states[state], counts[state]);
  }
  const versions = new Set(report.endpoints.filter((e) => e.state === 'open').map((e) => `${e.product ?? ''} ${e.version ?? ''}`));
  assert.ok(versions.size >= 10, `varied versions: ${[...versions].join(', ')}`);
  const peakKb = Number(readFileSync(rss, 'utf8').trim().split('\n').pop());
  const line = `audit scale: ${report.endpoints.length} endpoints (${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}) in ${seconds.toFixed(1)} s = ${(report.endpoints.length / seconds).toFixed(0)} endpoints/s; auditor peak RSS ${(peakKb / 1024).toFixed(0)} MB; report ${(out.stdout.length / 1024).toFixed(0)} KB`;
  writeFileSync(join(tmpdir(), 'redoubt-audit-scale.txt'), `${line}\n`);
  t.diagnostic(line);
  assert.ok(peakKb > 0 && peakKb < 512 * 1024, `peak RSS ${peakKb} KB`);
});
