// Cluster clients, unmodified, on six Redoubt nodes (three primaries with a replica each) made one
// cluster by redis-cli --cluster create: node-redis createCluster (slots, MULTI, pipelines,
// PUBLISH and sharded pub/sub) and BullMQ on ioredis Cluster with a hash-tag prefix, each through
// a redis-cli --cluster reshard under load and the failover of a primary whose process is gone.
// What is counted: every write a client had acknowledged is readable afterwards (for a killed
// primary: every write WAIT confirmed on its replica), and every job BullMQ accepted completes.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCluster } from 'redis';
import { Cluster } from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { clusterNodes, run, text, type ClusterNode } from './helpers/cluster.js';
import { sleep, until } from './helpers/workload-target.js';
import { keyHashSlot } from '../src/server/cluster.js';

const { raw, cmd, startNode, clusterOk, check } = clusterNodes();

/** One node's CLUSTER NODES line, as another node sees it. */
interface NodeView {
  readonly id: string;
  readonly port: number;
  readonly primary: boolean;
  readonly fail: boolean;
  /** The primary's id, for a replica. */
  readonly of: string;
  /** Slot ranges, inclusive. */
  readonly ranges: readonly (readonly [number, number])[];
}

async function view(from: ClusterNode): Promise<NodeView[]> {
  return text(await cmd(from.port, 'CLUSTER', 'NODES'))
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(' ');
      const flags = f[2] ?? '';
      const ranges: [number, number][] = [];
      for (const s of f.slice(8)) {
        if (s.startsWith('[')) continue;
        const [a, b] = s.split('-');
        ranges.push([Number(a), Number(b ?? a)]);
      }
      return {
        id: f[0] ?? '',
        port: Number((f[1] ?? '').split('@')[0]?.split(':')[1]),
        primary: flags.includes('master'),
        fail: flags.includes('fail'),
        of: f[3] ?? '-',
        ranges,
      };
    });
}

const owns = (v: NodeView, slot: number): boolean => v.ranges.some(([a, b]) => slot >= a && slot <= b);

/** The primary that owns `slot`, as `from` sees it. */
async function ownerOf(from: ClusterNode, nodes: readonly ClusterNode[], slot: number): Promise<ClusterNode> {
  const v = (await view(from)).find((x) => x.primary && !x.fail && owns(x, slot));
  const n = nodes.find((x) => x.id === v?.id);
  assert.ok(n !== undefined, `an owner of slot ${slot}`);
  return n;
}

/** The replica of `primary`, as `from` sees it. */
async function replicaOf(from: ClusterNode, nodes: readonly ClusterNode[], primary: ClusterNode): Promise<ClusterNode> {
  const v = (await view(from)).find((x) => !x.primary && x.of === primary.id);
  const n = nodes.find((x) => x.id === v?.id);
  assert.ok(n !== undefined, `a replica of ${primary.port}`);
  return n;
}

const alive = (n: ClusterNode): boolean => n.server.process.exitCode === null && n.server.process.signalCode === null;

/** Six nodes, one cluster (`create --cluster-replicas 1`), every replica's link up. */
async function sixNodes(): Promise<ClusterNode[]> {
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < 6; i++) nodes.push(await startNode());
  const { stdout } = await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 90000 });
  assert.match(stdout, /\[OK\] All 16384 slots covered/);
  for (const n of nodes) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 30000);
  // Every node knows every replica as one (the replicas announce it in their pings).
  for (const n of nodes) {
    await until(`${n.port} sees three replicas`, async () => (await view(n)).filter((v) => !v.primary).length === 3, 30000).catch(async (err: unknown) => {
      const all = await Promise.all(nodes.map(async (m) => `${m.port}:\n${text(await cmd(m.port, 'CLUSTER', 'NODES'))}`));
      throw new Error(`${String(err)}\n${all.join('\n')}`, { cause: err });
    });
  }
  for (const n of nodes) {
    if (!text(await cmd(n.port, 'ROLE')).includes('slave')) continue;
    await until(`the replica on ${n.port} in sync`, async () => text(await cmd(n.port, 'INFO', 'replication')).includes('master_link_status:up'), 30000);
  }
  return nodes;
}

/** redis-cli --cluster reshard of the first `count` slots of `from` to `to`; waits until every live node agrees. */
async function reshard(nodes: readonly ClusterNode[], from: ClusterNode, to: ClusterNode, count: number): Promise<void> {
  const { stdout } = await run(
    'redis-cli',
    ['--cluster', 'reshard', `127.0.0.1:${from.port}`, '--cluster-from', from.id, '--cluster-to', to.id, '--cluster-slots', String(count), '--cluster-yes'],
    { timeout: 120000 },
  );
  assert.match(stdout, /Moving slot \d+ from/);
  await until('every node agrees after the reshard', async () => {
    const out = await check(to.port).catch(() => '');
    return out.includes('[OK] All nodes agree about slots configuration') && out.includes('[OK] All 16384 slots covered');
  }, 30000);
  for (const n of nodes.filter(alive)) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 30000);
}

/** Kills `primary` (SIGKILL, or SIGTERM when `graceful`) and waits until its replica serves its slots and every live node is ok. */
async function failOver(nodes: readonly ClusterNode[], primary: ClusterNode, replica: ClusterNode, graceful: boolean): Promise<void> {
  const exited = new Promise<void>((resolve) => primary.server.process.once('exit', () => resolve()));
  primary.server.process.kill(graceful ? 'SIGTERM' : 'SIGKILL');
  await exited;
  await until('the replica is promoted', async () => text(await cmd(replica.port, 'CLUSTER', 'NODES')).includes('myself,master'), 40000);
  for (const n of nodes.filter(alive)) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 30000);
}

describe('node-redis createCluster', { timeout: 120000 }, () => {
  test('slots, MULTI, pipelines and pub/sub, then writes through a reshard and a killed primary', async (t) => {
    const nodes = await sixNodes();
    const first = nodes[0] ?? assert.fail();
    const client = createCluster({
      rootNodes: [{ socket: { host: '127.0.0.1', port: first.port } }],
      defaults: { socket: { reconnectStrategy: () => 200, connectTimeout: 2000 } },
      topologyRefreshOnReconnectionAttemptStrategy: 500,
    });
    // Connection errors while a node is down are expected; the commands' own results are checked.
    client.on('error', () => undefined);
    await client.connect();
    const writing = { on: true };
    try {
      // Commands over every shard, through node-redis's own pipelining.
      await Promise.all(Array.from({ length: 600 }, (_, i) => client.set(`nr:${i}`, `v${i}`)));
      assert.deepEqual(await Promise.all(Array.from({ length: 600 }, (_, i) => client.get(`nr:${i}`))), Array.from({ length: 600 }, (_, i) => `v${i}`));
      const primaries = (await view(first)).filter((v) => v.primary);
      assert.equal(primaries.length, 3);
      for (const p of primaries) assert.ok(Number((await cmd(p.port, 'DBSIZE')).slice(1, -2)) > 100, `keys on the primary ${p.port}`);
      assert.equal(client.masters.length, 3);

      // MULTI on a hash-tagged key set, a cross-slot one refused, and MULTI sent as a pipeline.
      assert.deepEqual(await client.multi().set('{acct}:a', '10').incrBy('{acct}:a', 5).rPush('{acct}:log', 'x').hSet('{acct}:h', 'f', 'v').exec(), ['OK', 15, 1, 1]);
      await assert.rejects(client.multi().set('{acct}:b', '1').set('{other}:b', '1').exec());
      assert.equal(await client.exists('{acct}:b'), 0);
      assert.deepEqual(await client.multi().get('{acct}:a').lRange('{acct}:log', 0, -1).hGetAll('{acct}:h').execAsPipeline(), ['15', ['x'], { f: 'v' }]);
      // A multi-key read over two slots: node-redis splits it by slot (MGET's multi_shard policy).
      await client.set('{other}:a', 'o');
      assert.deepEqual(await client.mGet(['{acct}:a', '{other}:a', '{acct}:none']), ['15', 'o', null]);

      // PUBLISH on any node reaches a subscriber wherever it is connected.
      const heard: string[] = [];
      await client.subscribe('news', (m) => heard.push(m));
      for (const n of nodes) assert.match(await cmd(n.port, 'PUBLISH', 'news', `from ${n.port}`), /^:\d+\r\n$/);
      await until('every node\'s PUBLISH heard', () => heard.length >= 6, 10000);
      // Once each: a replica does not pass on again what the bus brought it (a second round marks the end).
      for (const n of nodes) await cmd(n.port, 'PUBLISH', 'news', `end ${n.port}`);
      await until('the second round heard', () => heard.filter((m) => m.startsWith('end ')).length >= 6, 10000);
      assert.deepEqual(heard.filter((m) => m.startsWith('from ')).sort(), nodes.map((n) => `from ${n.port}`).sort());

      // Sharded pub/sub: the subscriber is on the channel's shard; SPUBLISH through the client
      // reaches it. The channel's slot is among the first 300 of a primary, which the reshard moves.
      const source = nodes.find((n) => primaries.some((p) => p.id === n.id)) ?? assert.fail();
      const target = nodes.find((n) => n !== source && primaries.some((p) => p.id === n.id)) ?? assert.fail();
      const start = primaries.find((p) => p.id === source.id)?.ranges[0]?.[0] ?? assert.fail();
      let channel = '';
      for (let i = 0; channel === ''; i++) if (keyHashSlot(`orders${i}`) - start < 300 && keyHashSlot(`orders${i}`) >= start) channel = `orders${i}`;
      const channelSlot = keyHashSlot(channel);
      const shardHeard: string[] = [];
      await client.sSubscribe(channel, (m) => shardHeard.push(m));
      assert.equal(await client.sPublish(channel, 'one'), 1);
      await until('the sharded message heard', () => shardHeard.length === 1, 10000);
      // Plain subscribers of the channel on its primary and that primary's replica, for the reshard below.
      const sourceReplica = await replicaOf(first, nodes, source);
      const rawSubscribers = await Promise.all(
        [source, sourceReplica].map(async (n) => {
          const r = await raw(n.port);
          assert.equal(await r.call('SSUBSCRIBE', channel), `*3\r\n$10\r\nssubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`);
          return r;
        }),
      );

      // A writer keeps going while redis-cli reshards 300 slots, the channel's among them.
      const acked: { key: string; value: string; at: number; confirmed: boolean }[] = [];
      let failures = 0;
      let seq = 0;
      const writer = (async () => {
        while (writing.on) {
          const key = `w:${seq}`;
          const value = String(seq++);
          try {
            await client.set(key, value);
          } catch {
            failures++;
            await sleep(20);
            continue;
          }
          const at = Date.now();
          // Confirmed: the node that acknowledged the write had it on a replica too.
          const replicas = await client.sendCommand<number>(key, false, ['WAIT', '1', '50']).catch(() => 0);
          acked.push({ key, value, at, confirmed: replicas >= 1 });
        }
      })();
      await until('the writer under way', () => acked.length > 100, 20000);
      const before = acked.length;
      await reshard(nodes, source, target, 300);
      await until('writes after the reshard', () => acked.length > before + 200, 20000);
      assert.equal((await ownerOf(first, nodes, channelSlot)).id, target.id);

      // The shard that lost the slot unsubscribes the channel's subscribers (Redis's
      // removeChannelsInSlot), which leaves them out of subscribed mode...
      for (const r of rawSubscribers) {
        assert.equal((await r.read(10000))?.toString('latin1'), `*3\r\n$12\r\nsunsubscribe\r\n$${channel.length}\r\n${channel}\r\n:0\r\n`);
        assert.equal(await r.call('PING'), '+PONG\r\n');
      }
      // ...and node-redis's sharded subscription follows its channel to the new owner.
      await until('the sharded message heard on the new owner', async () => {
        await client.sPublish(channel, 'two').catch(() => 0);
        return shardHeard.includes('two');
      }, 15000);

      // Every write acknowledged so far is readable.
      const afterReshard = acked.slice();
      const values = await Promise.all(afterReshard.map((a) => client.get(a.key)));
      const missing = afterReshard.filter((a, i) => values[i] !== a.value);
      assert.deepEqual(missing.map((a) => a.key), [], 'every write acknowledged through the reshard is readable');

      // The primary that took the slots is killed; its replica is elected.
      const victim = target;
      const replica = await replicaOf(first, nodes, victim);
      const victimSlots = new Set<number>();
      for (const v of await view(first)) if (v.id === victim.id) for (const [a, b] of v.ranges) for (let s = a; s <= b; s++) victimSlots.add(s);
      await until('confirmed writes to the victim\'s shard', () => acked.filter((a) => a.confirmed && victimSlots.has(keyHashSlot(a.key))).length > 50, 20000);
      await failOver(nodes, victim, replica, false);
      const promotedAt = Date.now();
      await until('writes to the promoted replica\'s slots', () => acked.some((a) => a.at > promotedAt && victimSlots.has(keyHashSlot(a.key))), 30000);
      writing.on = false;
      await writer;

      // A write to the killed primary's slots that WAIT did not confirm, acknowledged before its
      // replica was seen promoted, may be lost (replication is asynchronous, as Redis's); every
      // other acknowledged write is readable: those WAIT confirmed, those to the other shards, and
      // those the promoted replica acknowledged.
      const all = await Promise.all(acked.map((a) => client.get(a.key)));
      const lost = acked.filter((a, i) => all[i] !== a.value);
      const excused = (a: (typeof acked)[number]): boolean => !a.confirmed && a.at <= promotedAt && victimSlots.has(keyHashSlot(a.key));
      assert.deepEqual(lost.filter((a) => !excused(a)).map((a) => a.key), [], 'no confirmed or surviving-shard write lost');
      const confirmed = acked.filter((a) => a.confirmed).length;
      t.diagnostic(`${acked.length} writes acknowledged (${confirmed} confirmed by WAIT), ${failures} failed during the failover, ${lost.length} unconfirmed lost`);
      assert.ok(failures < acked.length, 'the writer mostly succeeded');
      assert.match(await check(replica.port), /\[OK\] All 16384 slots covered/);

      // Pub/sub still works after the failover, the sharded subscription now on the promoted replica.
      await until('PUBLISH heard after the failover', async () => {
        await client.publish('news', 'after').catch(() => 0);
        return heard.includes('after');
      }, 15000);
      await until('the sharded message heard after the failover', async () => {
        await client.sPublish(channel, 'three').catch(() => 0);
        return shardHeard.includes('three');
      }, 15000);
    } finally {
      writing.on = false;
      client.destroy();
      await Promise.all(nodes.map((n) => n.server.stop()));
    }
  });
});

describe('BullMQ on ioredis Cluster with a hash-tag prefix', { timeout: 150000 }, () => {
  test('every job is processed through a reshard of the queue\'s slot and the failover of its new owner', async (t) => {
    const nodes = await sixNodes();
    const first = nodes[0] ?? assert.fail();
    const primaries = (await view(first)).filter((v) => v.primary);
    const sourceView = primaries[0] ?? assert.fail();
    const start = sourceView.ranges[0]?.[0] ?? assert.fail();
    // The prefix's hash tag puts every key of the queue in one slot (as BullMQ's docs ask for a
    // cluster); this one is among the first 200 slots of a primary, which the reshard moves.
    let tag = '';
    for (let i = 0; tag === ''; i++) {
      const candidate = i === 0 ? 'bull' : `bull${i}`;
      const slot = keyHashSlot(candidate);
      if (slot >= start && slot < start + 200) tag = candidate;
    }
    const prefix = `{${tag}}`;
    const slot = keyHashSlot(tag);
    const source = nodes.find((n) => n.id === sourceView.id) ?? assert.fail();
    const target = nodes.find((n) => n !== source && primaries.some((p) => p.id === n.id)) ?? assert.fail();

    const clusters: Cluster[] = [];
    const connection = (): Cluster => {
      const c = new Cluster([{ host: '127.0.0.1', port: first.port }], { redisOptions: { maxRetriesPerRequest: null } });
      c.on('error', () => undefined);
      clusters.push(c);
      return c;
    };
    const queue = new Queue<{ n: number }, number>('jobs', { connection: connection(), prefix });
    queue.on('error', () => undefined);
    const processed = new Map<string, number>();
    const worker = new Worker<{ n: number }, number>(
      'jobs',
      async (job) => {
        const id = job.id ?? assert.fail();
        processed.set(id, (processed.get(id) ?? 0) + 1);
        await sleep(2);
        return job.data.n * 2;
      },
      // A job whose lock a failover took is found stalled within a second and runs again.
      { connection: connection(), prefix, concurrency: 4, stalledInterval: 1000, maxStalledCount: 1000, lockDuration: 4000, drainDelay: 1 },
    );
    worker.on('error', () => undefined);

    // The producer adds jobs one by one with its own ids: an add that failed is sent again with the
    // same id (BullMQ ignores an id it already has), so "added" is exactly what BullMQ accepted.
    const added: string[] = [];
    const adding = { on: true };
    let addFailures = 0;
    const producer = (async () => {
      let n = 0;
      while (adding.on) {
        try {
          const job = await queue.add('double', { n }, { jobId: `j${n}` });
          added.push(job.id ?? assert.fail());
          n++;
        } catch {
          addFailures++;
          await sleep(50);
        }
        await sleep(5);
      }
    })();
    try {
      await until('jobs flowing', () => added.length > 50 && processed.size > 30, 30000);
      assert.ok(Number((await cmd(source.port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot))).slice(1, -2)) > 0, 'the queue\'s keys are in its tag\'s slot');

      // The queue's slot moves to another primary while jobs are added and processed.
      await reshard(nodes, source, target, 200);
      assert.equal((await ownerOf(first, nodes, slot)).id, target.id);
      assert.ok(Number((await cmd(target.port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot))).slice(1, -2)) > 0, 'the queue\'s keys moved');
      let mark = { added: added.length, processed: processed.size };
      await until('jobs flowing after the reshard', () => added.length > mark.added + 50 && processed.size > mark.processed + 50, 30000);

      // The new owner's process is stopped (SIGTERM); its replica is elected and jobs go on.
      const replica = await replicaOf(first, nodes, target);
      await failOver(nodes, target, replica, true);
      mark = { added: added.length, processed: processed.size };
      await until('jobs flowing after the failover', () => added.length > mark.added + 50 && processed.size > mark.processed + 50, 40000);
      adding.on = false;
      await producer;

      // Every job BullMQ accepted is processed (at least once: BullMQ's guarantee; a job whose
      // lock was lost may run twice) and ends completed, none failed or left behind.
      await until('every accepted job processed', () => added.every((id) => processed.has(id)), 40000).catch(async (err: unknown) => {
        const missing = added.filter((id) => !processed.has(id));
        const states = await Promise.all(missing.slice(0, 20).map(async (id) => `${id}:${await queue.getJobState(id)}`));
        throw new Error(`${String(err)}: ${missing.length} of ${added.length}: ${states.join(' ')} ${JSON.stringify(await queue.getJobCounts())}`, { cause: err });
      });
      await until('every job completed', async () => {
        const counts = await queue.getJobCounts('completed', 'waiting', 'active', 'failed', 'delayed');
        return counts['completed'] === added.length && counts['waiting'] === 0 && counts['active'] === 0 && counts['failed'] === 0 && counts['delayed'] === 0;
      }, 30000);
      for (const id of [added[0], added[Math.floor(added.length / 2)], added.at(-1)]) {
        const job = await queue.getJob(id ?? assert.fail());
        assert.equal(job?.returnvalue, (job?.data.n ?? NaN) * 2);
      }
      const twice = [...processed.values()].filter((k) => k > 1).length;
      t.diagnostic(`${added.length} jobs accepted (${addFailures} adds retried), ${twice} processed more than once`);
    } finally {
      adding.on = false;
      await producer;
      await worker.close();
      await queue.close();
      for (const c of clusters) c.disconnect();
      await Promise.all(nodes.map((n) => n.server.stop()));
    }
  });
});
