// High availability with the real redis-sentinel 7.0: three sentinels (quorum 2) monitor a Redoubt
// primary with two Redoubt replicas. They find the replicas through INFO and each other through
// the `__sentinel__:hello` channel of the monitored servers. Under write load from ioredis in
// Sentinel mode (each write acknowledged with WAIT 1 is recorded), the primary is killed with
// SIGKILL; the sentinels elect a leader, promote a replica (REPLICAOF NO ONE, CONFIG REWRITE and
// CLIENT KILL inside MULTI), point the other replica at it, and announce the switch. Every write
// acknowledged before the kill is on the new primary, and ioredis and node-redis in Sentinel mode
// keep working; the old primary, restarted, is made a replica of the new one. Also the transaction
// Sentinel sends, reply by reply, against redis-server's.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { REDOUBT_MAIN, freePort, startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { field, fleet } from './helpers/replication.js';
import { sleep, until as waitUntil } from './helpers/workload-target.js';

const sentinels: Sentinel[] = [];
const closers: (() => Promise<void>)[] = [];
// A killed server's clients try again until the test disconnects them: not an error here.
const fl = fleet({
  quiet: true,
  first: async () => {
    await Promise.allSettled(closers.map((close) => close()));
  },
  beforeStop: () => {
    for (const s of sentinels) s.process.kill('SIGKILL');
  },
});
const { clients, dirs, track } = fl;
const client = (port: number): Redis => fl.client({ port, host: '127.0.0.1' });

/** until() where a check that throws (a refused connection, a server still loading) is not ready yet. */
function until(what: string, check: () => Promise<boolean> | boolean, ms = 30000): Promise<void> {
  const ready = async (): Promise<boolean> => {
    try {
      return await check();
    } catch {
      return false;
    }
  };
  return waitUntil(what, ready, ms, 100);
}

interface Sentinel {
  readonly port: number;
  readonly process: ChildProcess;
  output(): string;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts redis-sentinel on a free port with its own config file in a temporary directory. */
async function startSentinel(primaryPort: number, quorum: number, extra: readonly string[] = []): Promise<Sentinel> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-sentinel-'));
  dirs.push(dir);
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      'logfile ""',
      `dir ${dir}`,
      `sentinel monitor m 127.0.0.1 ${primaryPort} ${quorum}`,
      // Long enough that a loaded machine's pause does not look like a dead server.
      'sentinel down-after-milliseconds m 3000',
      'sentinel failover-timeout m 10000',
      'sentinel parallel-syncs m 2',
      ...extra,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  child.unref();
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const s: Sentinel = { port, process: child, output: () => out };
  sentinels.push(s);
  await until(`redis-sentinel on ${port}`, () => canConnect(port), 15000);
  return s;
}

/** The primary's port as this sentinel names it. */
async function primaryOf(s: Redis): Promise<number> {
  const addr = (await s.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'm')) as string[] | null;
  return Number(addr?.[1] ?? 0);
}

/** Waits until each sentinel knows both replicas (from INFO) and the two other sentinels (from hello messages). */
async function discovered(sc: readonly Redis[]): Promise<void> {
  await until(
    'the sentinels to discover the replicas and each other',
    async () => {
      for (const s of sc) {
        const m = (await s.call('SENTINEL', 'MASTER', 'm')) as string[];
        const at = (k: string): string => m[m.indexOf(k) + 1] ?? '';
        if (at('num-slaves') !== '2' || at('num-other-sentinels') !== '2') return false;
      }
      return true;
    },
    40000,
  );
}

/** Waits until every sentinel names one of `replicas` as the primary; its port. */
async function failedOver(sc: readonly Redis[], replicas: readonly number[]): Promise<number> {
  await until(
    'the failover to finish',
    async () => {
      for (const s of sc) if (!replicas.includes(await primaryOf(s))) return false;
      return true;
    },
    40000,
  );
  return primaryOf(sc[0] as Redis);
}

/**
 * Waits for the leader to log the other replica's reconfiguration as done: it does so at its next
 * INFO poll of that replica (about a second after it sent REPLICAOF), after the other sentinels
 * have already switched on its hello.
 */
async function reconfigured(group: readonly Sentinel[], port: number): Promise<void> {
  const done = new RegExp(`\\+slave-reconf-done slave 127\\.0\\.0\\.1:${port}`);
  await until('the leader to see the other replica reconfigured', () => done.test(group.map((s) => s.output()).join('')), 30000);
}

describe('redis-sentinel 7.0 fails a Redoubt primary over', () => {
  test('kill -9 of the primary under write load: promotion, reconfiguration, no acknowledged write lost, clients follow', async (t) => {
    // A Sentinel group's members may be named by REPLICAOF: they are all on 127.0.0.1.
    const group = ['--replica-allowed-primaries', '127.0.0.1'];
    const primary = await track(startRedoubt(group));
    const r1 = await track(startRedoubt([...group, '--replicaof', '127.0.0.1', String(primary.port)]));
    const r2 = await track(startRedoubt([...group, '--replicaof', '127.0.0.1', String(primary.port), '--replica-priority', '90']));
    const p = client(primary.port);
    await until('both replicas online', async () => (await p.info('replication')).match(/state=online/g)?.length === 2);

    const group3 = [await startSentinel(primary.port, 2), await startSentinel(primary.port, 2), await startSentinel(primary.port, 2)];
    const sc = group3.map((s) => client(s.port));
    // Each sentinel knows both replicas (from INFO) and the two other sentinels (from the hello
    // messages published on the monitored servers).
    await discovered(sc);
    const replicaList = (await sc[0]?.call('SENTINEL', 'REPLICAS', 'm')) as string[][];
    assert.deepEqual(replicaList.map((r) => Number(r[r.indexOf('port') + 1])).sort(), [r1.port, r2.port].sort());

    // ioredis in Sentinel mode: writes, each followed by WAIT 1; those WAIT says a replica has are
    // recorded as acknowledged.
    const sentinelNodes = group3.map((s) => ({ host: '127.0.0.1', port: s.port }));
    const writer = new Redis({ sentinels: sentinelNodes, name: 'm', maxRetriesPerRequest: 5, sentinelRetryStrategy: () => 200, retryStrategy: () => 200 });
    writer.on('error', () => undefined);
    clients.push(writer);
    const acked: number[] = [];
    const failedWrites: string[] = [];
    const writing = { on: true };
    let i = 0;
    const load = (async () => {
      while (writing.on) {
        i++;
        try {
          await writer.set(`k:${i}`, String(i));
          const n = (await writer.call('WAIT', '1', '2000')) as number;
          if (n >= 1) acked.push(i);
        } catch (err) {
          failedWrites.push(String(err));
          await sleep(50);
        }
      }
    })();
    await until('acknowledged writes before the kill', () => acked.length >= 200, 20000);

    const nr = createSentinel({ name: 'm', sentinelRootNodes: sentinelNodes });
    nr.on('error', () => undefined);
    closers.push(() => nr.destroy());
    await nr.connect();
    await nr.set('node-redis-before', 'yes');
    assert.equal(await p.get('node-redis-before'), 'yes');

    const ackedBeforeKill = [...acked];
    primary.process.kill('SIGKILL');

    // The sentinels agree on a new primary: one of the replicas.
    const newPort = await failedOver(sc, [r1.port, r2.port]);
    const other = newPort === r1.port ? r2 : r1;
    const np = client(newPort);
    const op = client(other.port);
    assert.equal(field(await np.info('replication'), 'role'), 'master');
    // The other replica follows the new primary.
    await until('the other replica to follow the new primary', async () => {
      const info = await op.info('replication');
      return field(info, 'master_port') === String(await primaryOf(sc[0] as Redis)) && field(info, 'master_link_status') === 'up';
    });

    // ioredis follows: writes acknowledged by the remaining replica again.
    const ackedAtFailover = acked.length;
    await until('acknowledged writes after the failover', () => acked.length >= ackedAtFailover + 50, 30000);
    writing.on = false;
    await load;
    const last = acked[acked.length - 1] ?? 0;
    assert.equal(await np.get(`k:${last}`), String(last));

    // Every write WAIT 1 acknowledged before the kill is on the new primary.
    const lost: number[] = [];
    for (let at = 0; at < ackedBeforeKill.length; at += 500) {
      const chunk = ackedBeforeKill.slice(at, at + 500);
      const values = await np.mget(chunk.map((n) => `k:${n}`));
      chunk.forEach((n, j) => {
        if (values[j] !== String(n)) lost.push(n);
      });
    }
    assert.deepEqual(lost, [], `acknowledged writes lost (${lost.length} of ${ackedBeforeKill.length})`);

    // node-redis in Sentinel mode, connected before the kill, writes to the new primary.
    await until(
      'node-redis to write to the new primary',
      async () => {
        await nr.set('from-node-redis', 'yes');
        return (await nr.get('from-node-redis')) === 'yes' && (await np.get('from-node-redis')) === 'yes';
      },
      30000,
    );
    await nr.destroy();

    // What the sentinels logged: the whole failover, no abort.
    await reconfigured(group3, other.port);
    const logs = group3.map((s) => s.output()).join('');
    assert.match(logs, /\+promoted-slave slave 127\.0\.0\.1:\d+/);
    assert.match(logs, new RegExp(`\\+switch-master m 127\\.0\\.0\\.1 ${primary.port} 127\\.0\\.0\\.1 ${newPort}`));
    assert.doesNotMatch(logs, /-failover-abort|-ERR/);
    // The promoted replica ran Sentinel's transaction.
    const promoted = newPort === r1.port ? r1 : r2;
    assert.match(promoted.output(), /MASTER MODE enabled \(user request from 'id=\d+ .*name=sentinel-/);
    assert.match(other.output(), new RegExp(`REPLICAOF 127\\.0\\.0\\.1:${newPort} enabled \\(user request from 'id=\\d+ .*name=sentinel-`));
    // The old primary comes back on its port, a primary with its old data: the sentinels make it
    // a replica of the new one (REPLICAOF, which its replica-allowed-primaries admits).
    const backDir = mkdtempSync(join(tmpdir(), 'redoubt-sentinel-'));
    dirs.push(backDir);
    const back = spawn(process.execPath, [REDOUBT_MAIN, '--port', String(primary.port), '--bind', '127.0.0.1', '--save', '', ...group], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: backDir,
    });
    back.unref();
    let backOut = '';
    back.stdout.on('data', (d: Buffer) => (backOut += d.toString()));
    back.stderr.on('data', (d: Buffer) => (backOut += d.toString()));
    try {
      const b = client(primary.port);
      await until(
        'the old primary to become a replica of the new one',
        async () => {
          const info = await b.info('replication');
          return field(info, 'master_port') === String(await primaryOf(sc[0] as Redis)) && field(info, 'master_link_status') === 'up';
        },
        40000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n--- restarted server:\n${backOut}\n--- sentinels:\n${group3.map((s) => s.output()).join('\n')}`);
      });
      assert.match(group3.map((s) => s.output()).join(''), new RegExp(`\\+convert-to-slave slave 127\\.0\\.0\\.1:${primary.port}`));
      assert.match(backOut, new RegExp(`REPLICAOF 127\\.0\\.0\\.1:\\d+ enabled \\(user request from 'id=\\d+ .*name=sentinel-`));
      assert.equal(await b.get(`k:${last}`), String(last));
      assert.equal(await b.get('from-node-redis'), 'yes');
    } finally {
      back.kill('SIGKILL');
    }

    t.diagnostic(`${ackedBeforeKill.length} writes acknowledged before the kill, ${acked.length} in all, ${failedWrites.length} refused or failed during the failover, 0 acknowledged writes lost`);
    for (const c of clients) c.disconnect();
    for (const s of group3) s.process.kill('SIGKILL');
  });
});

describe('redis-sentinel 7.0 with the least privileges Redis documents for Sentinel and replicas', () => {
  // The ACL rules of Redis's Sentinel documentation: the default user is off; Sentinel logs in as a
  // user with only what it sends, replicas as a user with only PSYNC, REPLCONF and PING.
  const SENTINEL_RULES = ['allchannels', '+multi', '+slaveof', '+ping', '+exec', '+subscribe', '+config|rewrite', '+role', '+publish', '+info', '+client|setname', '+client|kill', '+script|kill'];
  const users = [
    ['--user', 'default', 'off'],
    ['--user', 'admin', 'on', '>admin-pass', '~*', '&*', '+@all'],
    ['--user', 'sentinel-user', 'on', '>sentinel-pass', ...SENTINEL_RULES],
    ['--user', 'replica-user', 'on', '>replica-pass', '+psync', '+replconf', '+ping'],
  ].flat();
  const args = [...users, '--masteruser', 'replica-user', '--masterauth', 'replica-pass', '--replica-allowed-primaries', '127.0.0.1'];

  function admin(port: number): Redis {
    const c = new Redis({ port, host: '127.0.0.1', username: 'admin', password: 'admin-pass', maxRetriesPerRequest: 0 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  test('a kill -9 failover runs to the end with no permission refused', async () => {
    const primary = await track(startRedoubt(args));
    const r1 = await track(startRedoubt([...args, '--replicaof', '127.0.0.1', String(primary.port)]));
    const r2 = await track(startRedoubt([...args, '--replicaof', '127.0.0.1', String(primary.port), '--replica-priority', '90']));
    const p = admin(primary.port);
    await until('both replicas online', async () => (await p.info('replication')).match(/state=online/g)?.length === 2);
    // Without a password nothing is served.
    await assert.rejects(client(primary.port).get('x'), /NOAUTH/);

    const auth = ['sentinel auth-user m sentinel-user', 'sentinel auth-pass m sentinel-pass'];
    const group3 = [await startSentinel(primary.port, 2, auth), await startSentinel(primary.port, 2, auth), await startSentinel(primary.port, 2, auth)];
    const sc = group3.map((s) => client(s.port));
    await discovered(sc);
    for (let i = 0; i < 100; i++) await p.set(`acl:${i}`, String(i));
    assert.equal(await p.call('WAIT', '2', '5000'), 2);

    primary.process.kill('SIGKILL');
    const newPort = await failedOver(sc, [r1.port, r2.port]);
    const other = newPort === r1.port ? r2 : r1;
    const np = admin(newPort);
    const op = admin(other.port);
    assert.equal((await np.info('replication')).match(/^role:(\w+)/m)?.[1], 'master');
    await until('the other replica to follow the new primary as replica-user', async () => {
      const info = await op.info('replication');
      return field(info, 'master_port') === String(newPort) && field(info, 'master_link_status') === 'up';
    });
    await reconfigured(group3, other.port);

    const values = await np.mget(Array.from({ length: 100 }, (_, i) => `acl:${i}`));
    assert.deepEqual(values, Array.from({ length: 100 }, (_, i) => String(i)));
    const logs = group3.map((s) => s.output()).join('');
    assert.doesNotMatch(logs, /-failover-abort|NOPERM|NOAUTH|WRONGPASS/);
    // Nothing Sentinel or a replica sent was refused by the ACL on either server left.
    for (const c of [np, op]) assert.deepEqual(await c.call('ACL', 'LOG'), []);
    for (const s of group3) s.process.kill('SIGKILL');
  });
});

describe('the transaction Sentinel sends to promote or point a replica', () => {
  // sentinelSendSlaveOf: MULTI, SLAVEOF, CONFIG REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE
  // pubsub, EXEC. Without a config file CONFIG REWRITE fails (Sentinel ignores that), the rest runs.
  async function promote(server: RunningServer): Promise<string[]> {
    const bystander = await RawClient.connect(server.port);
    const listener = await RawClient.connect(server.port);
    await listener.call('SUBSCRIBE', '__sentinel__:hello');
    const c = await RawClient.connect(server.port);
    try {
      await until('the replica to be up', async () => /master_link_status:up/.test(await c.call('INFO', 'replication')));
      const replies = await c.pipeline([
        ['MULTI'],
        ['SLAVEOF', 'NO', 'ONE'],
        ['CONFIG', 'REWRITE'],
        ['CLIENT', 'KILL', 'TYPE', 'normal'],
        ['CLIENT', 'KILL', 'TYPE', 'pubsub'],
        ['EXEC'],
      ]);
      assert.match(await c.call('INFO', 'replication'), /role:master/);
      assert.equal(await bystander.waitClosed(5000), true, 'the normal client was killed');
      assert.equal(await listener.waitClosed(5000), true, 'the pubsub client was killed');
      return replies;
    } finally {
      c.close();
      bystander.close();
      listener.close();
    }
  }

  test('Redoubt answers as redis-server 7.0', async () => {
    const redisPrimary = await track(startRedis());
    const redisReplica = await track(startRedis(['--replicaof', '127.0.0.1', String(redisPrimary.port)]));
    const primary = await track(startRedoubt());
    const replica = await track(startRedoubt(['--replicaof', '127.0.0.1', String(primary.port)]));
    const expected = await promote(redisReplica);
    assert.equal(expected[5], '*4\r\n+OK\r\n-ERR The server is running without a config file\r\n:1\r\n:1\r\n');
    assert.deepEqual(await promote(replica), expected);
  });
});
