// The replication's place survives a restart from RDB, as in Redis 7.0 (rdbSaveInfoAuxFields,
// loadDataFromDisk): the file records repl-id, repl-offset and repl-stream-db; a restarted
// replica resumes from its primary with a partial resync, in the database the stream was in; a
// restarted primary keeps its old ID as its secondary ID, so its replicas (a redis-server 7.0 and
// a Redoubt) resume partially, and the keys that expired while it was down reach them as DELs.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { caughtUp, field, fleet, sameData, until } from './helpers/replication.js';

const { track, client, tempDir } = fleet({ reconnect: false, dirPrefix: 'redoubt-repl-restart-' });

async function fill(c: Redis, tag: string, n = 100): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < n; i++) {
    p.set(`${tag}:s:${i}`, `v${i}`);
    p.hset(`${tag}:h:${i % 10}`, `f${i}`, `${i}`);
    p.zadd(`${tag}:z:${i % 10}`, i / 3, `m${i}`);
  }
  await p.exec();
}

/** SHUTDOWN SAVE, and the process gone. */
async function shutdownSave(s: RunningServer, c: Redis): Promise<void> {
  await c.call('SHUTDOWN', 'SAVE').catch(() => null);
  await s.exited();
}

const DEBUG = ['--enable-debug-command', 'local'];

describe('the replication ID and offset across a restart', () => {
  for (const kind of ['redis-server 7.0', 'Redoubt'] as const) {
    test(`a Redoubt replica restarted from its RDB resumes from a ${kind} primary partially`, async () => {
      const primary = await track(kind === 'Redoubt' ? startRedoubt(DEBUG) : startRedis(DEBUG));
      const p = client(primary);
      await fill(p, 'before');
      const dir = tempDir();
      const args = [...DEBUG, '--replicaof', '127.0.0.1', String(primary.port)];
      const first = await track(startRedoubt(args, { cwd: dir }));
      const r1 = client(first);
      await caughtUp(p, r1);
      // The stream is in database 3 when the replica stops, and goes on there with no SELECT.
      await p.select(3);
      await p.set('db3:before', '1');
      await caughtUp(p, r1);
      const saved = field(await r1.info('replication'), 'master_repl_offset');
      await shutdownSave(first, r1);
      await p.set('db3:while-down', '2');
      await p.select(0);
      await p.set('while-down', '3');
      const second = await track(startRedoubt(args, { cwd: dir }));
      const r2 = client(second);
      await caughtUp(p, r2);
      const stats = await p.info('stats');
      assert.equal(field(stats, 'sync_partial_ok'), '1', 'the restarted replica resumed partially');
      assert.equal(field(stats, 'sync_full'), '1');
      assert.match(second.output(), new RegExp(`Trying a partial resynchronization \\(request [0-9a-f]{40}:${Number(saved) + 1}\\)`));
      assert.equal(field(await r2.info('replication'), 'master_replid'), field(await p.info('replication'), 'master_replid'));
      await r2.select(3);
      assert.equal(await r2.get('db3:while-down'), '2');
      await r2.select(0);
      await sameData(r2, p);
    });
  }

  test('a restarted Redoubt primary keeps its ID as the secondary one: a redis-server 7.0 and a Redoubt replica resume partially, and get the DELs of keys that expired meanwhile', async () => {
    const dir = tempDir();
    // No PING in the stream while the test looks at offsets.
    const args = [...DEBUG, '--repl-ping-replica-period', '3600'];
    const first = await track(startRedoubt(args, { cwd: dir }));
    const p1 = client(first);
    await fill(p1, 'before');
    const redis = await track(startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(first.port)]));
    const rr = client(redis);
    const redoubt = await track(startRedoubt([...DEBUG, '--replicaof', '127.0.0.1', String(first.port)]));
    const rd = client(redoubt);
    await caughtUp(p1, rr);
    await caughtUp(p1, rd);
    const expiresAt = Date.now() + 1500;
    await p1.set('short', 'lived', 'PXAT', expiresAt);
    await p1.select(3);
    await p1.set('db3:before', '1');
    await caughtUp(p1, rr);
    await caughtUp(p1, rd);
    const before = await p1.info('replication');
    const oldId = field(before, 'master_replid');
    const offset = Number(field(before, 'master_repl_offset'));
    await shutdownSave(first, p1);
    // The key's time passes while the primary is down.
    await until('the key to be past its time', () => Date.now() > expiresAt + 100);
    const second = await track(startRedoubt(args, { cwd: dir, port: first.port }));
    const p2 = client(second);
    await until('both replicas to resume', async () => field(await p2.info('stats'), 'sync_partial_ok') === '2');
    const info = await p2.info('replication');
    assert.equal(field(info, 'master_replid2'), oldId);
    assert.equal(field(info, 'second_repl_offset'), String(offset + 1));
    assert.notEqual(field(info, 'master_replid'), oldId);
    // SELECT 0 and DEL short: the only stream since the restart.
    const del = '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$3\r\nDEL\r\n$5\r\nshort\r\n';
    assert.equal(Number(field(info, 'master_repl_offset')), offset + del.length);
    assert.equal(field(await p2.info('stats'), 'sync_full'), '0');
    assert.match(redis.output(), /Successful partial resynchronization with master/);
    await p2.select(3);
    await p2.set('db3:after', '2');
    await p2.select(0);
    await p2.set('after', '3');
    await caughtUp(p2, rr);
    await caughtUp(p2, rd);
    assert.equal(await rr.exists('short'), 0);
    await sameData(rr, p2);
    await sameData(rd, p2);
  });
});
