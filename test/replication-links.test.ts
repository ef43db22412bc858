// A link that breaks, through a TCP proxy between primary and replica (test/helpers/link-proxy.ts),
// with a Redoubt primary and a real redis-server 7.0 replica and the reverse: a dropped link
// resumes partially while the backlog holds the gap and syncs in full when it does not; a stalled
// link ends at repl-timeout on both sides; a partition that cuts the primary from its replica but
// not from its clients makes it refuse writes after min-replicas-max-lag; the data never diverges
// (DEBUG DIGEST). And the kill/partition run: writes acknowledged with WAIT 1 while the link is
// dropped, stalled and partitioned, then kill -9 of the primary: none of them may be missing on the
// replica. REPLICATION_SOAK_RUNS=N (npm run soak:replication) repeats that run N times.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { LinkProxy } from './helpers/link-proxy.js';
import { caughtUp as linkCaughtUp, field, fleet } from './helpers/replication.js';
import { until } from './helpers/workload-target.js';

const proxies: LinkProxy[] = [];
const { servers, client } = fleet({
  beforeStop: async () => {
    await Promise.all(proxies.map((p) => p.close()));
  },
});

type Kind = 'redoubt' | 'redis';
const COMMON = ['--enable-debug-command', 'local', '--repl-ping-replica-period', '1'];

async function start(kind: Kind, args: string[]): Promise<RunningServer> {
  const s = await (kind === 'redoubt' ? startRedoubt([...COMMON, ...args]) : startRedis([...COMMON, ...args]));
  servers.push(s);
  return s;
}

interface Link {
  primary: RunningServer;
  replica: RunningServer;
  p: Redis;
  r: Redis;
  proxy: LinkProxy;
}

/** A primary of `pk` and a replica of `rk` that reaches it through a proxy, synced. */
async function link(pk: Kind, rk: Kind, primaryArgs: string[] = [], replicaArgs: string[] = []): Promise<Link> {
  const primary = await start(pk, primaryArgs);
  const proxy = await LinkProxy.start(primary.port);
  proxies.push(proxy);
  const replica = await start(rk, [...replicaArgs, '--replicaof', '127.0.0.1', String(proxy.port)]);
  const p = client(primary);
  const r = client(replica);
  await until('the link to come up', async () => field(await r.info('replication'), 'master_link_status') === 'up', 15000);
  return { primary, replica, p, r, proxy };
}

const caughtUp = (l: Link, ms = 15000): Promise<void> => linkCaughtUp(l.p, l.r, ms);

/** The same data: DBSIZE and DEBUG DIGEST. */
async function same(l: Link): Promise<void> {
  assert.equal(await l.r.dbsize(), await l.p.dbsize());
  assert.equal(await l.r.call('DEBUG', 'DIGEST'), await l.p.call('DEBUG', 'DIGEST'));
}

async function write(c: Redis, tag: string, n: number, size = 10): Promise<void> {
  const pipe = c.pipeline();
  for (let i = 0; i < n; i++) pipe.set(`${tag}:${i}`, `${i}:`.padEnd(size, 'x'));
  pipe.incr(`${tag}:n`);
  await pipe.exec();
}

const stat = async (c: Redis, name: string): Promise<string> => field(await c.info('stats'), name);

const DIRECTIONS: Array<[Kind, Kind]> = [['redoubt', 'redis'], ['redis', 'redoubt']];

for (const [pk, rk] of DIRECTIONS) {
  describe(`a breaking link: ${pk} primary, ${rk} replica`, () => {
    test('a dropped link resumes partially when the backlog holds the gap', async () => {
      const l = await link(pk, rk);
      await write(l.p, 'a', 500);
      await caughtUp(l);
      l.proxy.drop();
      await write(l.p, 'b', 500);
      await until('a partial resync', async () => (await stat(l.p, 'sync_partial_ok')) === '1', 15000);
      await caughtUp(l);
      assert.equal(await stat(l.p, 'sync_full'), '1');
      await same(l);
    });

    test('a partition longer than the backlog ends in a full sync, with the same data', async () => {
      const l = await link(pk, rk, ['--repl-backlog-size', '16kb', '--repl-timeout', '2'], ['--repl-timeout', '2']);
      await write(l.p, 'a', 100);
      await caughtUp(l);
      l.proxy.partition();
      // Far more than the backlog holds, while neither side can reach the other.
      await write(l.p, 'b', 2000, 100);
      await until('the primary to drop its replica', async () => field(await l.p.info('replication'), 'connected_slaves') === '0', 15000);
      l.proxy.heal();
      await until('a second full sync', async () => (await stat(l.p, 'sync_full')) === '2', 15000);
      await caughtUp(l);
      await same(l);
    });

    test('a stalled link ends at repl-timeout on both sides, then resumes with the same data', async () => {
      const l = await link(pk, rk, ['--repl-timeout', '2'], ['--repl-timeout', '2']);
      await write(l.p, 'a', 100);
      await caughtUp(l);
      l.proxy.stall();
      await write(l.p, 'b', 100);
      await until('the replica to time out', () => /MASTER timeout: no data nor PING received/.test(l.replica.output()), 15000);
      await until('the primary to time its replica out', () => /Disconnecting timedout replica/.test(l.primary.output()), 15000);
      l.proxy.resume();
      await caughtUp(l);
      await same(l);
    });

    test('a partition from its replica (not its clients): min-replicas-to-write refuses writes after min-replicas-max-lag', async () => {
      const l = await link(pk, rk, ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '2']);
      // A primary counts a replica as good once it is online there, which for a diskless sync is
      // at the replica's first ACK, possibly after the replica already reports its link up.
      await until('the primary to count its replica', async () => (await l.p.set('before', '1').catch((e: unknown) => String(e))) === 'OK', 15000);
      await caughtUp(l);
      l.proxy.partition();
      const cut = Date.now();
      await until('writes refused', async () => (await l.p.set('during', '1').catch((e: unknown) => String(e))) !== 'OK', 15000);
      // Not before the lag has passed (the last ACK came at most a second before the cut).
      assert.ok(Date.now() - cut >= 1000, `refused after ${Date.now() - cut} ms`);
      await assert.rejects(l.p.set('during', '2'), /NOREPLICAS Not enough good replicas to write\./);
      l.proxy.heal();
      await until('writes accepted again', async () => (await l.p.set('after', '1').catch((e: unknown) => String(e))) === 'OK', 15000);
      await caughtUp(l);
      await same(l);
    });
  });
}

/**
 * One kill/partition run: writes acknowledged by `WAIT 1` while the link is dropped, stalled and
 * partitioned, then kill -9 of the primary. Returns how many were acknowledged and how many of
 * those the replica does not hold.
 */
async function killRun(pk: Kind, rk: Kind): Promise<{ acked: number; lost: number }> {
  const l = await link(pk, rk, ['--repl-timeout', '2'], ['--repl-timeout', '2']);
  const acked: number[] = [];
  const state = { stop: false };
  const writer = (async (): Promise<void> => {
    for (let i = 0; !state.stop; i++) {
      try {
        await l.p.set(`w:${i}`, String(i));
        if ((await l.p.call('WAIT', '1', '200')) === 1) acked.push(i);
      } catch {
        return;
      }
    }
  })();
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  await pause(300);
  l.proxy.drop();
  await pause(500);
  l.proxy.stall();
  await pause(500);
  l.proxy.resume();
  await pause(300);
  l.proxy.partition();
  await pause(800);
  l.proxy.heal();
  await pause(300 + Math.floor(Math.random() * 500));
  l.primary.process.kill('SIGKILL');
  state.stop = true;
  await writer;
  let lost = 0;
  for (const i of acked) if ((await l.r.get(`w:${i}`)) !== String(i)) lost++;
  await l.proxy.close();
  return { acked: acked.length, lost };
}

describe('kill and partition under writes acknowledged with WAIT 1', () => {
  const runs = Math.max(1, Number(process.env['REPLICATION_SOAK_RUNS'] ?? '1') || 1);
  for (const [pk, rk] of DIRECTIONS) {
    test(`${pk} primary, ${rk} replica: no acknowledged write lost (${runs} run${runs === 1 ? '' : 's'})`, { timeout: 60000 * runs }, async (t) => {
      let acked = 0;
      let lost = 0;
      for (let n = 0; n < runs; n++) {
        const r = await killRun(pk, rk);
        acked += r.acked;
        lost += r.lost;
      }
      t.diagnostic(`${pk} primary, ${rk} replica: ${runs} runs, ${acked} writes acknowledged by WAIT 1, ${lost} lost`);
      console.log(`replication soak: ${pk} primary, ${rk} replica: ${runs} runs, ${acked} acknowledged, ${lost} lost`);
      assert.ok(acked > 0, 'no write was acknowledged');
      assert.equal(lost, 0);
    });
  }
});
