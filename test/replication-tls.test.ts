// tls-replication (Redis 7.0's semantics), with real servers that listen only on a TLS port: a
// Redoubt replica of a redis-server 7.0 primary, a redis-server 7.0 replica and a Redoubt replica
// of a Redoubt primary, all over TLS with client certificates (tls-client-cert-file), compared by
// DEBUG DIGEST, with a partial resync after a killed link; and a replica refusing a primary whose
// certificate another CA signed: the link stays down, the data it held is kept, an audit event.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { clientTls, makeCertificates, startTlsOnly, tlsArgs, tlsClient } from './helpers/tls-servers.js';
import { caughtUp, field, fleet } from './helpers/replication.js';
import { until } from './helpers/workload-target.js';
import { Redis as IORedis } from 'ioredis';

const { clients, track, client: plain, tempDir } = fleet({ dirPrefix: 'redoubt-repl-tls-' });
let dir: string;
before(() => {
  dir = tempDir();
  makeCertificates(dir);
});

function overTls(s: RunningServer): Redis {
  const c = tlsClient(dir, s.port);
  clients.push(c);
  return c;
}
async function fill(c: Redis, tag: string): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < 300; i++) {
    p.set(`${tag}:s:${i}`, `v${i}`);
    p.hset(`${tag}:h:${i % 10}`, `f${i}`, `${i}`);
    p.zadd(`${tag}:z:${i % 10}`, i, `m${i}`);
    p.rpush(`${tag}:l:${i % 7}`, `e${i}`);
  }
  p.set(`${tag}:big`, 'x'.repeat(200_000));
  p.select(2);
  p.set(`${tag}:db2`, 'two');
  p.select(0);
  await p.exec();
}
async function sameData(a: Redis, b: Redis): Promise<void> {
  assert.equal(await a.dbsize(), await b.dbsize());
  assert.equal(await a.call('DEBUG', 'DIGEST'), await b.call('DEBUG', 'DIGEST'));
}

describe('tls-replication', () => {
  test('a Redoubt replica of a redis-server 7.0 primary that listens only on TLS; partial resync after a killed link', async () => {
    const primary = await track(startTlsOnly('redis', dir, ['--enable-debug-command', 'local']));
    const p = overTls(primary);
    await fill(p, 'before');
    const replica = await track(startRedoubt(['--enable-debug-command', 'local', '--tls-replication', 'yes', ...tlsArgs(dir), '--replicaof', '127.0.0.1', String(primary.port)]));
    const r = plain(replica);
    await until('the link to come up', async () => field(await r.info('replication'), 'master_link_status') === 'up', 20000);
    await fill(p, 'live');
    await caughtUp(p, r);
    await sameData(r, p);
    // The primary sees one replica, over its TLS port.
    assert.equal(field(await p.info('replication'), 'connected_slaves'), '1');
    const killed = await p.call('CLIENT', 'KILL', 'TYPE', 'replica');
    assert.equal(killed, 1);
    await p.set('after-kill', 'yes');
    await until('the partial resync', async () => field(await p.info('stats'), 'sync_partial_ok') === '1', 20000);
    await caughtUp(p, r);
    assert.equal(await r.get('after-kill'), 'yes');
    assert.equal(field(await p.info('stats'), 'sync_full'), '1');
    await sameData(r, p);
  });

  test('a redis-server 7.0 replica and a Redoubt replica of a Redoubt primary that listens only on TLS', async () => {
    const primary = await track(startTlsOnly('redoubt', dir, ['--enable-debug-command', 'local']));
    const p = overTls(primary);
    await fill(p, 'before');
    const theirs = await track(startTlsOnly('redis', dir, ['--enable-debug-command', 'local', '--tls-replication', 'yes', '--replicaof', '127.0.0.1', String(primary.port)]));
    const ours = await track(startTlsOnly('redoubt', dir, ['--enable-debug-command', 'local', '--tls-replication', 'yes', '--replicaof', '127.0.0.1', String(primary.port)]));
    const t = overTls(theirs);
    const o = overTls(ours);
    await until('two replicas online', async () => (await p.info('replication')).match(/state=online/g)?.length === 2, 20000);
    await fill(p, 'live');
    await caughtUp(p, t);
    await caughtUp(p, o);
    await sameData(t, p);
    await sameData(o, p);
    // Each replica announced its TLS port (Redis announces tls-port under tls-replication).
    const info = await p.info('replication');
    assert.match(info, new RegExp(`^slave\\d:ip=127\\.0\\.0\\.1,port=${theirs.port},state=online`, 'm'));
    assert.match(info, new RegExp(`^slave\\d:ip=127\\.0\\.0\\.1,port=${ours.port},state=online`, 'm'));
    // A killed link resumes partially, over TLS again, on both.
    assert.equal(await p.call('CLIENT', 'KILL', 'TYPE', 'replica'), 2);
    await p.set('after-kill', 'yes');
    await until('both to resync partially', async () => field(await p.info('stats'), 'sync_partial_ok') === '2', 20000);
    await caughtUp(p, t);
    await caughtUp(p, o);
    assert.equal(await t.get('after-kill'), 'yes');
    assert.equal(await o.get('after-kill'), 'yes');
    await sameData(o, p);
  });

  test('a primary whose certificate does not verify is refused: the link stays down, the data is kept, an audit event', async () => {
    const rogue = await track(startTlsOnly('redis', dir, [], { server: 'rogue-server' }));
    const audit = join(dir, 'audit.jsonl');
    const replica = await track(startRedoubt(['--replica-allowed-primaries', '127.0.0.1', '--tls-replication', 'yes', ...tlsArgs(dir), '--audit-log', audit]));
    const r = plain(replica);
    await r.set('mine', 'kept');
    assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(rogue.port)), 'OK');
    const events = (change: string): Array<Record<string, unknown>> =>
      readFileSync(audit, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e['event'] === 'replication' && e['change'] === change);
    const refusals = (): Array<Record<string, unknown>> => events('primary-tls-refused');
    await until('the refusal to be audited', () => refusals().length > 0, 20000);
    assert.equal(events('new-primary')[0]?.['primary'], `127.0.0.1:${rogue.port}`);
    const [first] = refusals();
    assert.equal(first?.['primary'], `127.0.0.1:${rogue.port}`);
    assert.match(String(first['reason']), /certificate|CERT/i);
    assert.match(replica.output(), /TLS handshake with MASTER 127\.0\.0\.1:\d+ failed/);
    // Several attempts later: still down, still our data, the refusal audited once.
    const failures = (): number => replica.output().match(/Replication with MASTER 127\.0\.0\.1:\d+ failed: unable to verify/g)?.length ?? 0;
    await until('three more attempts', () => failures() >= 3, 20000);
    const info = await r.info('replication');
    assert.equal(field(info, 'master_link_status'), 'down');
    assert.equal(await r.get('mine'), 'kept');
    assert.equal(refusals().length, 1);
    const toRogue = new IORedis({ host: '127.0.0.1', port: rogue.port, tls: { ...clientTls(dir), ca: readFileSync(join(dir, 'rogue-ca.crt')) }, maxRetriesPerRequest: 0 });
    clients.push(toRogue);
    assert.equal(field(await toRogue.info('replication'), 'connected_slaves'), '0');
  });
});
