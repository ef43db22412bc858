// Replication with the real servers, both ways. A real redis-server 7.0 replica of a Redoubt
// primary: data written before and during the full sync arrives identically (DEBUG DIGEST of the
// whole dataset, DBSIZE, key by key for a sample), a killed link ends in a partial resync (the
// replica's own log says so), WAIT counts it, ROLE and INFO describe it, SYNC serves `redis-cli
// --rdb` and `redis-cli --replica`. Redoubt as a replica of redis-server 7.0 and valkey-server
// 8.0.1: the same data, read-only meanwhile, then REPLICAOF NO ONE and writes are accepted.
// REPLICAOF itself: refused for a primary not in replica-allowed-primaries, without
// authentication, and for a user without @admin.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt, startValkey, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { caughtUp, field, fleet, until } from './helpers/replication.js';

const run = promisify(execFile);

const { clients, dirs, track, client } = fleet();

/** One of every type, small and large encodings, TTLs, and a second database. */
async function fill(c: Redis, tag: string, n = 200): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < n; i++) {
    p.set(`${tag}:s:${i}`, `v${i}`);
    p.rpush(`${tag}:l:${i % 20}`, `e${i}`);
    p.hset(`${tag}:h:${i % 10}`, `f${i}`, `${i}`);
    p.sadd(`${tag}:set:${i % 10}`, `${i}`, `m${i}`);
    p.zadd(`${tag}:z:${i % 10}`, i / 3, `m${i}`);
  }
  p.set(`${tag}:big`, 'x'.repeat(100_000));
  p.set(`${tag}:ttl`, 'soon', 'PX', 3_600_000);
  p.xadd(`${tag}:stream`, '*', 'a', '1');
  p.incrbyfloat(`${tag}:float`, 1.5);
  p.select(3);
  p.set(`${tag}:db3`, 'three');
  p.select(0);
  await p.exec();
}

async function digest(c: Redis): Promise<string> {
  return String(await c.call('DEBUG', 'DIGEST'));
}

/** The keys (of databases 0 and 3) whose DEBUG DIGEST-VALUE differs, or are on one side only. */
async function differences(a: Redis, b: Redis): Promise<string[]> {
  const out: string[] = [];
  for (const db of [0, 3]) {
    await a.select(db);
    await b.select(db);
    const keys = new Set([...(await a.keys('*')), ...(await b.keys('*'))]);
    for (const k of keys) {
      // Valkey 8 digests (and replies) fractional scores in their shortest form, Redis 7.0 with
      // 17 digits: sorted sets compare by members and the numbers their scores are.
      const zset = (await a.type(k)) === 'zset';
      const scores = async (c: Redis): Promise<unknown> => ((await c.call('ZRANGE', k, '0', '-1', 'WITHSCORES')) as (string | string[])[]).flat().map((v, i) => (i % 2 === 1 ? Number(v) : v));
      const read = (c: Redis): Promise<unknown> => (zset ? scores(c) : c.call('DEBUG', 'DIGEST-VALUE', k));
      const [x, y] = [await read(a), await read(b)];
      if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`db${db}:${k} ${await a.type(k)} ttl ${await a.pttl(k)}/${await b.pttl(k)} ${JSON.stringify(x).slice(0, 300)} ${JSON.stringify(y).slice(0, 300)}`);
    }
  }
  await a.select(0);
  await b.select(0);
  return out;
}

/** The whole datasets are equal (naming the keys that differ when they are not). */
async function sameData(replica: Redis, primary: Redis): Promise<void> {
  assert.equal(await replica.dbsize(), await primary.dbsize());
  if ((await digest(replica)) !== (await digest(primary))) assert.deepEqual(await differences(primary, replica), [], 'the datasets differ');
}

describe('a redis-server 7.0 replica of a Redoubt primary', () => {
  for (const diskless of [false, true]) {
    test(`full sync (${diskless ? 'diskless' : 'disk-based'}) with writes during it, then the stream, partial resync after a killed link, WAIT, ROLE and INFO`, async () => {
      await primaryScenario(diskless);
    });
  }
});

async function primaryScenario(diskless: boolean): Promise<void> {
  {
    // A slow snapshot (a pause per key), so that writes land while the replica syncs.
    const primary = await track(startRedoubt(['--enable-debug-command', 'local', '--rdb-key-save-delay', '200', '--repl-diskless-sync', diskless ? 'yes' : 'no']));
    const p = client(primary);
    await fill(p, 'before', 300);
    const replica = await track(startRedis(['--enable-debug-command', 'local', '--replicaof', '127.0.0.1', String(primary.port)]));
    const r = client(replica);
    // Writes while the sync runs: they wait in the replica's output until the RDB is sent.
    await until('the full sync to start', async () => field(await p.info('replication'), 'connected_slaves') === '1');
    let writes = 0;
    let whileSyncing = 0;
    for (;;) {
      const syncing = !field(await p.info('replication'), 'slave0').includes('state=online');
      if (!syncing && writes >= 50) break;
      if (syncing) whileSyncing++;
      await p.set(`during:${writes}`, String(writes));
      await p.incr('during:counter');
      await p.lpush('during:list', String(writes));
      writes++;
      if (writes > 5000) break;
    }
    assert.ok(whileSyncing > 0, 'writes landed while the full sync ran');
    await p.call('SETEX', 'during:ttl', '1000', 'x');
    await p.call('SPOP', 'before:set:1');
    await fill(p, 'after', 50);
    await caughtUp(p, r);
    assert.equal(await r.dbsize(), await p.dbsize());
    assert.equal(await digest(r), await digest(p));
    assert.equal(await r.get('during:counter'), String(writes));
    assert.ok((await r.pttl('during:ttl')) > 900_000, 'SETEX arrives as an absolute expiry');
    // The replica is read-only and says who it follows.
    await assert.rejects(r.set('x', '1'), /READONLY/);
    const role = (await p.call('ROLE')) as [string, number, string[][]];
    assert.equal(role[0], 'master');
    assert.equal(role[2].length, 1);
    assert.equal(role[2][0]?.[1], String(replica.port));
    const info = await p.info('replication');
    assert.match(info, /^slave0:ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/m);
    assert.equal(field(info, 'repl_backlog_active'), '1');
    // WAIT counts the replica once it acknowledges the write.
    await p.set('acked', '1');
    assert.equal(await p.call('WAIT', '1', '2000'), 1);
    assert.equal(await p.call('WAIT', '2', '200'), 1, 'a second replica that does not exist is waited for until the timeout');

    // A killed link resumes from the backlog: the replica's log says so.
    const killed = await p.call('CLIENT', 'KILL', 'TYPE', 'replica');
    assert.equal(killed, 1);
    await p.set('after-kill', 'yes');
    await p.del('before:s:1');
    await until('the replica to resync partially', () => replica.output().includes('Successful partial resynchronization with master'));
    await caughtUp(p, r);
    assert.equal(await r.get('after-kill'), 'yes');
    assert.equal(await digest(r), await digest(p));
    const stats = await p.info('stats');
    assert.equal(field(stats, 'sync_full'), '1');
    assert.equal(field(stats, 'sync_partial_ok'), '1');
    assert.ok(primary.output().includes(diskless ? 'Starting BGSAVE for SYNC with target: replicas sockets' : 'Starting BGSAVE for SYNC with target: disk'));
    assert.ok(replica.output().includes(diskless ? 'receiving streamed RDB from master with EOF' : 'receiving'));
  }
}

describe('SYNC for the tools', () => {
  test('redis-cli --rdb takes a backup that redis-server loads; redis-cli --replica shows the stream', async () => {
    const primary = await track(startRedoubt());
    const p = client(primary);
    await fill(p, 'bk', 50);
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-repl-'));
    dirs.push(dir);
    const file = join(dir, 'backup.rdb');
    await run('redis-cli', ['-p', String(primary.port), '--rdb', file], { timeout: 20000 });
    assert.ok(statSync(file).size > 1000);
    assert.equal(readFileSync(file).latin1Slice(0, 5), 'REDIS');
    const loaded = await track(startRedis(['--dir', dir, '--dbfilename', 'backup.rdb']));
    assert.equal(await client(loaded).dbsize(), await p.dbsize());

    const watcher = execFile('redis-cli', ['-p', String(primary.port), '--replica']);
    let seen = '';
    watcher.stdout?.on('data', (d: Buffer) => (seen += d.toString()));
    watcher.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
    await until('redis-cli --replica to sync', () => seen.includes('SYNC done'), 10000);
    await p.set('shown', 'in-the-stream');
    await until('the write to show', () => seen.includes('"shown"'), 10000);
    watcher.kill();
    assert.match(seen, /"set","shown","in-the-stream"/i);
  });
});

/** A Redoubt replica of `source` (a real server), compared, then promoted. */
async function migrate(source: RunningServer): Promise<void> {
  const s = client(source);
  await fill(s, 'src', 200);
  const replica = await track(
    startRedoubt(['--enable-debug-command', 'local', '--replica-allowed-primaries', `127.0.0.1:${source.port}`, '--replica-serve-stale-data', 'yes']),
  );
  const r = client(replica);
  assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(source.port)), 'OK');
  await until('the link to come up', async () => field(await r.info('replication'), 'master_link_status') === 'up');
  await fill(s, 'live', 100);
  await s.call('SETEX', 'live:ttl', '500', 'x');
  await s.eval("redis.call('set', KEYS[1], 'from-lua'); redis.call('incr', KEYS[2])", 2, 'live:lua', 'live:n');
  await caughtUp(s, r);
  await sameData(r, s);
  assert.equal(await r.get('live:lua'), 'from-lua');
  await assert.rejects(r.set('x', '1'), /READONLY You can't write against a read only replica/);
  const role = (await r.call('ROLE')) as unknown[];
  assert.deepEqual(role.slice(0, 4), ['slave', '127.0.0.1', source.port, 'connected']);
  assert.deepEqual(await r.config('GET', 'replicaof'), ['replicaof', `127.0.0.1 ${source.port}`]);
  assert.equal(await r.call('REPLICAOF', 'NO', 'ONE'), 'OK');
  assert.deepEqual(await r.config('GET', 'replicaof'), ['replicaof', '']);
  assert.equal(await r.set('x', '1'), 'OK');
  const info = await r.info('replication');
  assert.equal(field(info, 'role'), 'master');
  assert.equal(field(info, 'master_replid2'), field(await s.info('replication'), 'master_replid'), 'the old primary\'s history is our secondary ID');
  // And back: the old primary follows the promoted Redoubt, resuming its history partially.
  await r.set('after-promotion', 'yes');
  assert.equal(await s.call('REPLICAOF', '127.0.0.1', String(replica.port)), 'OK');
  await until('the old primary to resync partially', () => /Successful partial resynchronization with (master|primary)/.test(source.output()));
  await caughtUp(r, s);
  assert.equal(await s.get('after-promotion'), 'yes');
  await sameData(s, r);
  assert.equal(field(await r.info('stats'), 'sync_partial_ok'), '1');
  await s.call('REPLICAOF', 'NO', 'ONE');
}

describe('Redoubt as a replica of the real servers', () => {
  test('of redis-server 7.0: identical data, then REPLICAOF NO ONE', async () => {
    await migrate(await track(startRedis(['--enable-debug-command', 'local'])));
  });

  test('of valkey-server 8.0.1: identical data, then REPLICAOF NO ONE', async () => {
    await migrate(await track(startValkey(['--enable-debug-command', 'local'])));
  });

  test('with masterauth and masteruser, resyncing partially after the link is killed', async () => {
    const source = await track(startRedis(['--requirepass', 'pw-primary', '--enable-debug-command', 'local']));
    const s = new Redis({ port: source.port, password: 'pw-primary', maxRetriesPerRequest: 0 });
    clients.push(s);
    await s.call('ACL', 'SETUSER', 'repl', 'on', '>pw-repl', '+psync', '+replconf', '+ping');
    await fill(s, 'auth', 30);
    const replica = await track(startRedoubt(['--enable-debug-command', 'local', '--masteruser', 'repl', '--masterauth', 'pw-repl', '--replicaof', '127.0.0.1', String(source.port)]));
    const r = client(replica);
    await caughtUp(s, r);
    assert.equal(await digest(r), await digest(s));
    await s.call('CLIENT', 'KILL', 'TYPE', 'replica');
    await s.set('auth:after', '1');
    await until('a partial resync', () => replica.output().includes('Successful partial resynchronization with master'));
    await caughtUp(s, r);
    assert.equal(await r.get('auth:after'), '1');
    assert.equal(field(await s.info('stats'), 'sync_partial_ok'), '1');
  });
});

describe('REPLICAOF is held to the allowed primaries, authentication and the ACL', () => {
  test('refused on defaults, without authentication, and for a user without @admin', async () => {
    const server = await track(startRedoubt(['--requirepass', 'secret']));
    const admin = new Redis({ port: server.port, password: 'secret', maxRetriesPerRequest: 0 });
    clients.push(admin);
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>app', '~*', '+@all', '-@admin');
    const anon = client(server);
    await assert.rejects(anon.call('REPLICAOF', '127.0.0.1', '9'), /NOAUTH/);
    const app = new Redis({ port: server.port, username: 'app', password: 'app', maxRetriesPerRequest: 0 });
    clients.push(app);
    await assert.rejects(app.call('REPLICAOF', '127.0.0.1', '9'), /NOPERM/);
    await assert.rejects(admin.call('REPLICAOF', '10.1.2.3', '6379'), /not in replica-allowed-primaries/);
    await assert.rejects(admin.call('SLAVEOF', 'evil.example', '6379'), /not in replica-allowed-primaries/);
    await assert.rejects(admin.call('CONFIG', 'SET', 'replica-allowed-primaries', '10.0.0.0/8'), /protected config/);
    assert.equal(field(await admin.info('replication'), 'role'), 'master');
    assert.equal(await admin.call('REPLICAOF', 'NO', 'ONE'), 'OK');
  });
});

describe('a replica that does not keep up', () => {
  test('one that never reads is dropped at client-output-buffer-limit replica; the primary stays small', async () => {
    const primary = await track(startRedoubt(['--client-output-buffer-limit', 'replica', '2mb', '1mb', '1']));
    const p = client(primary);
    await p.set('seed', '1');
    const raw = await RawClient.connect(primary.port);
    assert.equal(await raw.call('REPLCONF', 'listening-port', '1'), '+OK\r\n');
    assert.equal(await raw.call('REPLCONF', 'capa', 'eof', 'capa', 'psync2'), '+OK\r\n');
    raw.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    await until('the replica to be online', async () => /state=online/.test(await p.info('replication')));
    // From here on the fake replica reads nothing.
    raw.socket.pause();
    const value = 'v'.repeat(64 * 1024);
    for (let i = 0; i < 400 && /connected_slaves:1/.test(await p.info('replication')); i++) {
      await p.set(`big:${i % 50}`, value);
    }
    await until('the replica to be dropped', async () => /connected_slaves:0/.test(await p.info('replication')));
    assert.ok(Number(field(await p.info('stats'), 'client_output_buffer_limit_disconnections')) >= 1);
    assert.match(primary.output(), /scheduled to be closed ASAP for overcoming of output buffer limits/);
    const used = Number(field(await p.info('memory'), 'used_memory'));
    assert.ok(used < 100 * 1024 * 1024, `used_memory ${used}`);
    raw.close();
  });

  test('REPLCONF before PSYNC: unknown options are refused as Redis refuses them', async () => {
    const primary = await track(startRedoubt());
    const raw = await RawClient.connect(primary.port);
    assert.equal(await raw.call('REPLCONF', 'listening-port', '6380', 'capa', 'eof'), '+OK\r\n');
    assert.equal(await raw.call('REPLCONF', 'nonsense', '1'), '-ERR Unrecognized REPLCONF option: nonsense\r\n');
    assert.equal(await raw.call('REPLCONF', 'listening-port'), '-ERR syntax error\r\n');
    raw.close();
  });
});

describe('min-replicas-to-write and replica-serve-stale-data', () => {
  test('a primary refuses writes (and EXEC of queued writes) without enough good replicas', async () => {
    const primary = await track(startRedoubt());
    const p = client(primary);
    assert.equal(await p.config('SET', 'min-replicas-to-write', '1'), 'OK');
    await assert.rejects(p.set('k', '1'), /^ReplyError: NOREPLICAS Not enough good replicas to write\.$/);
    assert.equal(await p.get('k'), null, 'reads still run');
    const replica = await track(startRedis(['--replicaof', '127.0.0.1', String(primary.port)]));
    await until('the replica to count', async () => (await p.set('k', '1').catch(() => null)) === 'OK');
    const rc = client(replica);
    await until('the write to reach the replica', async () => (await rc.get('k')) === '1');
    rc.disconnect();
    await replica.stop();
    await p.config('SET', 'min-replicas-max-lag', '1');
    await until('the lost replica to stop counting', async () => (await p.set('k', '2').catch(() => 'refused')) !== 'OK', 10000);
    // Queued while writes were allowed, refused at EXEC once they are not (as the suite's test).
    await p.config('SET', 'min-replicas-to-write', '0');
    const raw = await RawClient.connect(primary.port);
    assert.equal(await raw.call('MULTI'), '+OK\r\n');
    assert.equal(await raw.call('INCR', 'n'), '+QUEUED\r\n');
    await p.config('SET', 'min-replicas-to-write', '1');
    assert.equal(await raw.call('EXEC'), '-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.\r\n');
    raw.close();
    assert.equal(await p.get('n'), null);
  });

  test('a replica with no link and replica-serve-stale-data no answers MASTERDOWN, except to stale commands', async () => {
    const server = await track(startRedoubt(['--replica-allowed-primaries', '127.0.0.1', '--replica-serve-stale-data', 'no']));
    const c = client(server);
    await c.set('k', 'v');
    // A port where nothing listens: the link never comes up.
    assert.equal(await c.call('REPLICAOF', '127.0.0.1', '1'), 'OK');
    await assert.rejects(c.get('k'), /^ReplyError: MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'\.$/);
    assert.match(await c.info('replication'), /master_link_status:down/);
    assert.deepEqual(((await c.call('ROLE')) as unknown[]).slice(0, 3), ['slave', '127.0.0.1', 1]);

    const sub = await RawClient.connect(server.port);
    assert.match(await sub.call('PSYNC', '?', '-1'), /^-MASTERDOWN /);
    await c.config('SET', 'replica-serve-stale-data', 'yes');
    assert.equal(await c.get('k'), 'v');
    // A replica serves replicas of its own only while its link is up, as Redis's syncCommand.
    assert.equal(await sub.call('PSYNC', '?', '-1'), "-NOMASTERLINK Can't SYNC while not connected with my master\r\n");
    sub.close();
    await assert.rejects(c.set('k', 'w'), /READONLY/);
    assert.equal(await c.call('REPLICAOF', 'NO', 'ONE'), 'OK');
    assert.equal(await c.set('k', 'w'), 'OK');
  });
});

describe('the backlog', () => {
  test('a ring that wrapped many times still resumes exactly; a gap larger than it means a full sync', async () => {
    const primary = await track(startRedoubt(['--enable-debug-command', 'local', '--repl-backlog-size', '16kb']));
    const p = client(primary);
    const replica = await track(startRedis(['--enable-debug-command', 'local', '--replicaof', '127.0.0.1', String(primary.port)]));
    const r = client(replica);
    await caughtUp(p, r);
    // About 100 KB of stream through a 16 KB ring, in writes of uneven sizes.
    for (let i = 0; i < 300; i++) await p.set(`k${i % 37}`, 'x'.repeat(100 + ((i * 131) % 600)));
    await caughtUp(p, r);
    const info = await p.info('replication');
    assert.equal(field(info, 'repl_backlog_histlen'), String(16 * 1024));
    assert.equal(Number(field(info, 'repl_backlog_first_byte_offset')) + 16 * 1024 - 1, Number(field(info, 'master_repl_offset')));
    await p.call('CLIENT', 'KILL', 'TYPE', 'replica');
    for (let i = 0; i < 20; i++) await p.append(`k${i}`, `+${i}`);
    await until('a partial resync', () => replica.output().includes('Successful partial resynchronization with master'));
    await caughtUp(p, r);
    await sameData(r, p);
    assert.equal(field(await p.info('stats'), 'sync_partial_ok'), '1');
    // More than the ring holds while the link is down: only a full sync can bring it back.
    await p.call('CLIENT', 'KILL', 'TYPE', 'replica');
    await p.set('big', 'y'.repeat(40_000));
    await until('a second full sync', async () => field(await p.info('stats'), 'sync_full') === '2');
    await caughtUp(p, r);
    await sameData(r, p);
  });
});

describe("the primary's link in CLIENT LIST", () => {
  test('flags=M with the primary address, as a redis-server 7.0 replica shows it; CLIENT KILL TYPE master ends in a partial resync', async () => {
    const primary = await track(startRedis());
    const p = client(primary);
    const ours = await track(startRedoubt(['--replicaof', '127.0.0.1', String(primary.port)]));
    const theirs = await track(startRedis(['--replicaof', '127.0.0.1', String(primary.port)]));
    const o = client(ours);
    const t = client(theirs);
    await caughtUp(p, o);
    await caughtUp(p, t);
    await p.set('k', 'v');
    await caughtUp(p, o);
    await caughtUp(p, t);
    const line = async (c: Redis): Promise<Record<string, string>> => {
      const text = String(await c.call('CLIENT', 'LIST', 'TYPE', 'master')).trim();
      assert.equal(text.split('\n').length, 1, text);
      return Object.fromEntries(text.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    };
    const mine = await line(o);
    const ref = await line(t);
    for (const f of ['addr', 'flags', 'db', 'cmd', 'user', 'name', 'multi', 'sub', 'psub', 'resp']) assert.equal(mine[f], ref[f], f);
    assert.equal(mine['addr'], `127.0.0.1:${primary.port}`);
    assert.equal(mine['flags'], 'M');
    assert.match(mine['fd'] ?? '', /^\d+$/);
    assert.match(String(await o.call('CLIENT', 'LIST')), /flags=M /);
    assert.equal(field(await o.info('clients'), 'connected_clients'), field(await t.info('clients'), 'connected_clients'));
    // Killing it drops the link, which comes back with a partial resync.
    assert.equal(await o.call('CLIENT', 'KILL', 'TYPE', 'master'), 1);
    await p.set('after', '1');
    await until('the link to resume', async () => field(await p.info('stats'), 'sync_partial_ok') === '1');
    await caughtUp(p, o);
    assert.equal(await o.get('after'), '1');
    assert.equal(field(await p.info('stats'), 'sync_full'), '2');
  });
});
