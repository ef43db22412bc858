// Replica chains with the real servers: a Redoubt replica serves replicas of its own with its
// primary's stream, verbatim (the same replication ID and offsets on every hop), and a Redoubt
// sub-replica follows a real Redis replica. Checked on the last hop: the whole dataset (DEBUG
// DIGEST), the IDs and offsets, the database the passed-on stream is in after a full sync (the
// RDB's repl-stream-db), a partial resync of the sub-replica after a short disconnect, and the
// disconnection of the sub-replicas when the middle replica has to sync in full again.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { caughtUp, field, fleet, sameData, until } from './helpers/replication.js';

const { track, client } = fleet();

async function fill(c: Redis, tag: string, n = 100): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < n; i++) {
    p.set(`${tag}:s:${i}`, `v${i}`);
    p.rpush(`${tag}:l:${i % 10}`, `e${i}`);
    p.hset(`${tag}:h:${i % 10}`, `f${i}`, `${i}`);
    p.zadd(`${tag}:z:${i % 10}`, i / 3, `m${i}`);
  }
  p.set(`${tag}:ttl`, 'soon', 'PX', 3_600_000);
  p.xadd(`${tag}:stream`, '*', 'a', '1');
  await p.exec();
}

/** The replication ID and offset each server reports are the top's. */
async function sameHistory(top: Redis, ...hops: Redis[]): Promise<void> {
  const t = await top.info('replication');
  for (const h of hops) {
    const i = await h.info('replication');
    assert.equal(field(i, 'master_replid'), field(t, 'master_replid'));
    assert.equal(field(i, 'master_repl_offset'), field(t, 'master_repl_offset'));
  }
}

/**
 * The top primary's stream ends in database 3, then a sub-replica syncs in full from the middle:
 * the writes that follow (with no SELECT before them) must land in database 3 on the last hop.
 */
async function streamInDb3(top: Redis, tag: string): Promise<void> {
  await top.select(3);
  await top.set(`${tag}:db3:first`, '1');
}

const DEBUG = ['--enable-debug-command', 'local'];

describe('replica chains', () => {
  test('redis-server 7.0 primary, Redoubt replica, redis-server 7.0 sub-replica: the stream verbatim, a partial resync of the sub-replica, a full one disconnecting it', async () => {
    const primary = await track(startRedis([...DEBUG, '--repl-backlog-size', '16kb']));
    const p = client(primary);
    await fill(p, 'before');
    const middle = await track(startRedoubt([...DEBUG, '--replicaof', '127.0.0.1', String(primary.port)]));
    const m = client(middle);
    await caughtUp(p, m);
    await streamInDb3(p, 'a');
    await caughtUp(p, m);
    const sub = await track(startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(middle.port)]));
    const s = client(sub);
    await caughtUp(p, s);
    await p.set('a:db3:after', '2');
    await p.select(0);
    await fill(p, 'after');
    await caughtUp(p, s);
    await sameData(s, p);
    await s.select(3);
    assert.equal(await s.get('a:db3:after'), '2', 'the passed-on stream stays in the database the RDB named');
    await s.select(0);
    await sameHistory(p, m, s);
    assert.match(await m.info('replication'), /connected_slaves:1\r\nslave0:ip=127\.0\.0\.1,port=\d+,state=online/);
    assert.equal(field(await m.info('stats'), 'sync_full'), '1');

    // A short disconnect of the sub-replica: it resumes from the middle's backlog.
    await m.call('CLIENT', 'KILL', 'TYPE', 'replica');
    for (let i = 0; i < 20; i++) await p.append(`before:s:${i}`, `+${i}`);
    await until('the sub-replica to resume', async () => field(await m.info('stats'), 'sync_partial_ok') === '1');
    await caughtUp(p, s);
    await sameData(s, p);
    assert.equal(field(await m.info('stats'), 'sync_full'), '1');
    assert.match(sub.output(), /Successful partial resynchronization with master/);

    // The middle loses more than its primary's backlog holds: it syncs in full, its sub-replica
    // is disconnected and syncs in full from it in turn.
    await p.pipeline().call('CLIENT', 'KILL', 'TYPE', 'replica').set('big', 'y'.repeat(40_000)).exec();
    await until('the middle to sync in full again', async () => field(await p.info('stats'), 'sync_full') === '2');
    await until('the sub-replica to sync in full again', async () => field(await m.info('stats'), 'sync_full') === '2');
    await caughtUp(p, s);
    assert.equal((await s.get('big'))?.length, 40_000);
    await sameData(s, p);
    await sameHistory(p, m, s);
  });

  test('Redoubt primary, redis-server 7.0 replica, Redoubt sub-replica', async () => {
    const primary = await track(startRedoubt(DEBUG));
    const p = client(primary);
    await fill(p, 'before');
    const middle = await track(startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(primary.port)]));
    const m = client(middle);
    await caughtUp(p, m);
    await streamInDb3(p, 'b');
    await caughtUp(p, m);
    const sub = await track(startRedoubt([...DEBUG, '--replicaof', '127.0.0.1', String(middle.port)]));
    const s = client(sub);
    await caughtUp(p, s);
    await p.set('b:db3:after', '2');
    await p.select(0);
    await fill(p, 'after');
    await caughtUp(p, s);
    await sameData(s, p);
    await s.select(3);
    assert.equal(await s.get('b:db3:after'), '2', "the stream goes on in the RDB's repl-stream-db");
    await s.select(0);
    await sameHistory(p, m, s);
    // The sub-replica resumes from the Redis replica after a short disconnect.
    await m.call('CLIENT', 'KILL', 'TYPE', 'replica');
    await p.set('during', 'x');
    await until('the sub-replica to resume', async () => field(await m.info('stats'), 'sync_partial_ok') === '1');
    await caughtUp(p, s);
    await sameData(s, p);
  });

  test('Redis primary, Redoubt replica, Redoubt sub-replica; a sub-replica is refused while the link is down, and follows a promoted middle', async () => {
    const primary = await track(startRedis(DEBUG));
    const p = client(primary);
    await fill(p, 'before');
    const middle = await track(startRedoubt([...DEBUG, '--replicaof', '127.0.0.1', String(primary.port)]));
    const m = client(middle);
    await caughtUp(p, m);
    await streamInDb3(p, 'c');
    await caughtUp(p, m);
    const sub = await track(startRedoubt([...DEBUG, '--replicaof', '127.0.0.1', String(middle.port)]));
    const s = client(sub);
    await caughtUp(p, s);
    await p.set('c:db3:after', '2');
    await p.select(0);
    await fill(p, 'after');
    await caughtUp(p, s);
    await sameData(s, p);
    await s.select(3);
    assert.equal(await s.get('c:db3:after'), '2');
    await s.select(0);
    await sameHistory(p, m, s);

    // The middle is promoted: its sub-replica goes on from it, partially, with the new ID.
    const offset = field(await m.info('replication'), 'master_repl_offset');
    await m.call('REPLICAOF', 'NO', 'ONE');
    await m.set('promoted', '1');
    await until('the sub-replica to get the promoted write', async () => (await s.get('promoted')) === '1');
    const mi = await m.info('replication');
    assert.equal(field(mi, 'second_repl_offset'), String(Number(offset) + 1));
    assert.equal(field(await s.info('replication'), 'master_replid'), field(mi, 'master_replid'));
    assert.equal(field(await m.info('stats'), 'sync_full'), '1');
    await until('the sub-replica to resume', async () => field(await m.info('stats'), 'sync_partial_ok') === '1');

    // A replica whose link is down serves no replicas of its own.
    const lone = await track(startRedoubt(['--replica-allowed-primaries', '127.0.0.1']));
    const l = client(lone);
    assert.equal(await l.call('REPLICAOF', '127.0.0.1', '1'), 'OK');
    const raw = await RawClient.connect(lone.port);
    assert.equal(await raw.call('PSYNC', '?', '-1'), "-NOMASTERLINK Can't SYNC while not connected with my master\r\n");
    assert.equal(await raw.call('SYNC'), "-NOMASTERLINK Can't SYNC while not connected with my master\r\n");
    raw.close();
  });
});

describe('replica chains: hostile sub-replicas', () => {
  test('a sub-replica sending garbage (a bad protocol, a huge bulk, junk ACKs) is dropped; the link and a real sub-replica go on', async () => {
    const primary = await track(startRedis(DEBUG));
    const p = client(primary);
    await fill(p, 'before', 20);
    const middle = await track(startRedoubt([...DEBUG, '--replicaof', '127.0.0.1', String(primary.port)]));
    const m = client(middle);
    await caughtUp(p, m);
    const sub = await track(startRedis([...DEBUG, '--replicaof', '127.0.0.1', String(middle.port)]));
    const s = client(sub);
    await caughtUp(p, s);
    const junk: Buffer[] = [
      Buffer.from('REPLCONF ACK notanumber\r\nREPLCONF ACK 99999999999999999999999\r\n'),
      Buffer.from('*1\r\n$99999999999\r\n'),
      Buffer.from([0x2a, 0x31, 0x0d, 0x0a, 0xff, 0xfe, 0x0d, 0x0a]),
    ];
    for (const bytes of junk) {
      const fake = await RawClient.connect(middle.port);
      assert.equal(await fake.call('REPLCONF', 'listening-port', '1'), '+OK\r\n');
      fake.write(RawClient.encode(['PSYNC', '?', '-1']));
      await until('the fake sub-replica to be online', async () => /port=1,state=online/.test(await m.info('replication')));
      fake.write(bytes);
      await p.set('during', String(bytes.length));
      await caughtUp(p, s);
      // A bad protocol closes the fake; junk ACKs leave it (and nothing else) as it was.
      if (bytes !== junk[0]) assert.ok(await fake.waitClosed(5000), `the fake sub-replica is dropped (${junk.indexOf(bytes)})`);
      fake.close();
      await until('the fake to be gone', async () => !/port=1,/.test(await m.info('replication')));
    }
    assert.equal(field(await m.info('replication'), 'master_link_status'), 'up');
    await fill(p, 'after', 20);
    await caughtUp(p, s);
    await sameData(s, p);
    await sameHistory(p, m, s);
  });
});
