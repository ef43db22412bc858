// The auditor's replication findings, from INFO replication: public-master (a replica whose
// primary is on a public address), public-replicas (replicas connected from public addresses) and
// replicas-without-auth (replicas attached to a primary whose default user needs no password).
// The address rule is a function tested on its own; the findings on real redis-server 7.0 and
// Redoubt primaries whose replica announces 203.0.113.5 (replica-announce-ip: the primary lists
// that address while the replica stays on loopback), and a private address for the negative case;
// the public primary on an in-test endpoint whose INFO names one (a real replica of a public
// address would have to connect out of this machine).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type net from 'node:net';
import { Redis } from 'ioredis';
import { isPublicAddress } from '../src/hardening/exposure.js';
import { REDOUBT_MAIN, freePort, startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { closeAll, infoText, startResponder } from './helpers/resp-responder.js';
import { field, fleet } from './helpers/replication.js';
import { until } from './helpers/workload-target.js';

const responders: net.Server[] = [];
const { clients, track } = fleet({ beforeStop: () => closeAll(responders) });

interface Finding {
  id: string;
  severity: string;
  evidence: string;
}
interface Endpoint {
  state: string;
  findings: Finding[];
}

function audit(target: string, args: string[] = [], env: Record<string, string> = {}): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REDOUBT_MAIN, 'audit', target, '--json', '--timeout', '2000', ...args], { env: { ...process.env, REDOUBT_AUDIT_PASSWORD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => {
      try {
        const report = JSON.parse(out) as { endpoints: Endpoint[] };
        const [e] = report.endpoints;
        if (e === undefined) throw new Error('no endpoint');
        resolve(e);
      } catch (err) {
        reject(new Error(`audit output: ${out}`, { cause: err }));
      }
    });
  });
}
const ids = (e: Endpoint): string[] => e.findings.map((f) => f.id);
function finding(e: Endpoint, id: string): Finding {
  const f = e.findings.find((x) => x.id === id);
  assert.ok(f, `expected ${id}; have ${ids(e).join(', ')}`);
  return f;
}
async function online(primary: RunningServer, password?: string, n = 1): Promise<void> {
  const c = new Redis({ host: primary.host, port: primary.port, maxRetriesPerRequest: 0, ...(password !== undefined ? { password } : {}) });
  clients.push(c);
  await until('the replicas online', async () => ((await c.info('replication')).match(/state=online/g)?.length ?? 0) === n, 20000);
  assert.equal(field(await c.info('replication'), 'connected_slaves'), String(n));
}

test('isPublicAddress: public IPv4 and IPv6 addresses; loopback, private, shared, link-local, unique-local and names are not', () => {
  for (const h of ['203.0.113.5', '8.8.8.8', '2001:db8::1', '[2606:4700::1]', '::ffff:1.2.3.4', '172.32.0.1', '100.128.0.1']) assert.equal(isPublicAddress(h), true, h);
  for (const h of ['127.0.0.1', '127.9.9.9', '::1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.1.1', 'fe80::1', 'fd12::1', '::ffff:10.0.0.1', '0.0.0.0', '::', 'localhost', 'redis.example.com', '']) {
    assert.equal(isPublicAddress(h), false, h);
  }
});

describe('replicas on public addresses and without authentication', () => {
  for (const kind of ['redis', 'redoubt'] as const) {
    test(`a ${kind} primary whose replica announces 203.0.113.5, no password`, async () => {
      const primary = await track(kind === 'redis' ? startRedis(['--protected-mode', 'no']) : startRedoubt());
      await track(startRedis(['--replica-announce-ip', '203.0.113.5', '--replicaof', '127.0.0.1', String(primary.port)]));
      await online(primary);
      const e = await audit(`127.0.0.1:${primary.port}`);
      assert.equal(e.state, 'open');
      const pub = finding(e, 'public-replicas');
      assert.equal(pub.severity, 'high');
      assert.match(pub.evidence, /^1 replica\(s\) on public addresses receive the whole dataset: 203\.0\.113\.5:\d+ \(online\)$/);
      const noauth = finding(e, 'replicas-without-auth');
      // The audit reached it on loopback: medium.
      assert.equal(noauth.severity, 'medium');
      assert.match(noauth.evidence, /^1 replica\(s\) connected while the default user needs no password/);
      assert.ok(!ids(e).includes('public-master'));
    });
  }

  test('a Redoubt primary with a password, one replica on a private address and one on a public one: public-replicas names only the public one; no replicas-without-auth', async () => {
    const primary = await track(startRedoubt(['--requirepass', 'repl-secret-1']));
    await track(startRedis(['--replica-announce-ip', '10.20.30.40', '--masterauth', 'repl-secret-1', '--replicaof', '127.0.0.1', String(primary.port)]));
    await track(startRedis(['--replica-announce-ip', '203.0.113.9', '--masterauth', 'repl-secret-1', '--replicaof', '127.0.0.1', String(primary.port)]));
    await online(primary, 'repl-secret-1', 2);
    const e = await audit(`127.0.0.1:${primary.port}`, ['--allow-plaintext-auth'], { REDOUBT_AUDIT_PASSWORD: 'repl-secret-1' });
    assert.equal(e.state, 'auth-required');
    assert.match(finding(e, 'public-replicas').evidence, /^1 replica\(s\) on public addresses receive the whole dataset: 203\.0\.113\.9:\d+ \(online\)$/);
    assert.ok(!ids(e).includes('replicas-without-auth'), ids(e).join(', '));
  });
});

describe('a replica of a primary on a public address', () => {
  test('an endpoint whose INFO names a public primary: public-master and unexpected-master; a private one: unexpected-master only', async () => {
    const info = (host: string): string => infoText({ redis_version: '7.0.15', role: 'slave', master_host: host, master_port: 6379, master_link_status: 'up', connected_slaves: 0 });
    const pubPort = await freePort();
    const privPort = await freePort();
    responders.push(await startResponder('127.0.0.1', pubPort, { kind: 'open', info: info('203.0.113.5') }));
    responders.push(await startResponder('127.0.0.1', privPort, { kind: 'open', info: info('192.168.7.8') }));
    const pub = await audit(`127.0.0.1:${pubPort}`);
    assert.equal(finding(pub, 'public-master').severity, 'high');
    assert.match(finding(pub, 'public-master').evidence, /^master 203\.0\.113\.5:6379 is a public internet address \(link up\)/);
    assert.ok(ids(pub).includes('unexpected-master'));
    // An expected primary is still a public one.
    const expected = await audit(`127.0.0.1:${pubPort}`, ['--expect-master', '203.0.113.5:6379']);
    assert.ok(ids(expected).includes('public-master'));
    assert.ok(!ids(expected).includes('unexpected-master'));
    const priv = await audit(`127.0.0.1:${privPort}`);
    assert.ok(!ids(priv).includes('public-master'));
    assert.ok(ids(priv).includes('unexpected-master'));
  });

  test('a real Redoubt replica of a loopback primary: unexpected-master, not public-master', async () => {
    const primary = await track(startRedis(['--protected-mode', 'no']));
    const replica = await track(startRedoubt(['--replicaof', '127.0.0.1', String(primary.port)]));
    await online(primary);
    const e = await audit(`127.0.0.1:${replica.port}`);
    assert.match(finding(e, 'unexpected-master').evidence, new RegExp(`master 127\\.0\\.0\\.1:${primary.port}`));
    assert.ok(!ids(e).includes('public-master'));
    assert.ok(!ids(e).includes('public-replicas'));
  });
});
