// Cluster mode (cluster-enabled yes): Redoubt nodes form a real Redis Cluster over a bus in Redis
// 7.0's format. Real processes on loopback ports, driven by redis-cli --cluster (create, check,
// reshard, add-node) and ioredis Cluster; redirections (MOVED, ASK, CROSSSLOT, CLUSTERDOWN) from
// raw clients; nodes.conf kept across a restart; cluster-allowed-peers; a redis-server 7.0 node in
// the same cluster; failure detection; and 20,000 malformed bus messages against a live node.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { freePort, startRedis, type RunningServer } from './helpers/servers.js';
import { clusterNodes, launchNode, launchRedisNode, run, text, type ClusterNode as Node } from './helpers/cluster.js';
import { sleep, until } from './helpers/workload-target.js';
import { BusFramer, decode, encode, HEADER_LEN, MsgType, NodeFlag, SLOTS_BYTES, type BusMessage } from '../src/server/cluster-bus-codec.js';

const { track, raw, cmd, startNode, startRedisNode, clusterOk, check } = clusterNodes();

const readFileAsync = (path: string): Promise<string> => readFile(path, 'latin1');

/** A node's own CLUSTER NODES line. */
async function mine(n: Node): Promise<string> {
  return text(await cmd(n.port, 'CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself')) ?? '';
}

/** `n`'s CLUSTER NODES line about the node named `id`. */
async function lineAbout(n: Node, id: string): Promise<string> {
  return text(await cmd(n.port, 'CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(id)) ?? '';
}

describe('a cluster of Redoubt nodes', () => {
  const nodes: Node[] = [];
  let client: Cluster | null = null;

  before(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startNode());
  });

  after(() => {
    client?.disconnect();
  });

  const node = (i: number): Node => {
    const n = nodes[i];
    assert.ok(n !== undefined);
    return n;
  };

  test('redis-cli --cluster create builds it and --cluster check passes', async () => {
    const { stdout } = await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], { timeout: 60000 });
    assert.match(stdout, /\[OK\] All nodes agree about slots configuration/);
    assert.match(stdout, /\[OK\] All 16384 slots covered/);
    for (const n of nodes) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
    const out = await check(node(1).port);
    assert.match(out, /\[OK\] All nodes agree about slots configuration/);
    assert.match(out, /\[OK\] All 16384 slots covered/);
    const info = text(await cmd(node(0).port, 'CLUSTER', 'INFO'));
    assert.match(info, /cluster_known_nodes:3\r\n/);
    assert.match(info, /cluster_size:3\r\n/);
    assert.match(info, /cluster_stats_messages_ping_sent:\d+/);
    assert.match(text(await cmd(node(0).port, 'INFO', 'cluster')), /cluster_enabled:1/);
  });

  test('CLUSTER NODES has Redis\'s line format, and nodes.conf holds the same lines', async () => {
    const lines = text(await cmd(node(0).port, 'CLUSTER', 'NODES')).trim().split('\n');
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.match(line, /^[0-9a-f]{40} 127\.0\.0\.1:\d+@\d+ (myself,)?master - \d+ \d+ \d+ connected( \d+(-\d+)?)+$/, line);
    }
    const mine = lines.find((l) => l.includes('myself'));
    assert.ok(mine?.startsWith(`${node(0).id} 127.0.0.1:${node(0).port}@${node(0).bus} myself,master - 0 `));
    const conf = readFileSync(join(node(0).dir, 'nodes.conf'), 'latin1');
    assert.match(conf, /\nvars currentEpoch \d+ lastVoteEpoch 0\n$/);
    const confIds = conf.trim().split('\n').slice(0, -1).map((l) => l.split(' ')[0]).sort();
    assert.deepEqual(confIds, nodes.map((n) => n.id).sort());
    assert.ok(conf.includes(`${node(0).id} 127.0.0.1:${node(0).port}@${node(0).bus} myself,master`));
  });

  test('MOVED, CROSSSLOT, SELECT and the slot table for clients', async () => {
    const c = await raw(node(0).port);
    // Find a key another node serves.
    const slotsReply = await c.call('CLUSTER', 'SLOTS');
    assert.equal((slotsReply.match(/\*3\r\n:/g) ?? []).length, 3, 'three ranges');
    let key = '';
    let owner: Node | null = null;
    for (let i = 0; i < 100 && owner === null; i++) {
      key = `k${i}`;
      const slot = Number((await c.call('CLUSTER', 'KEYSLOT', key)).slice(1, -2));
      const r = await c.call('GET', key);
      if (r.startsWith('-MOVED')) {
        const port = Number(r.trim().split(':').at(-1));
        assert.equal(r, `-MOVED ${slot} 127.0.0.1:${port}\r\n`);
        owner = nodes.find((n) => n.port === port) ?? null;
      }
    }
    assert.ok(owner !== null, 'some key is served elsewhere');
    assert.equal(await cmd(owner.port, 'SET', key, 'v'), '+OK\r\n');
    assert.equal(await c.call('MSET', 'a', '1', 'b', '2'), "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    assert.equal(await c.call('SELECT', '1'), '-ERR SELECT is not allowed in cluster mode\r\n');
    // Commands without keys run anywhere.
    assert.equal(await c.call('PING'), '+PONG\r\n');
  });

  test('ioredis Cluster writes and reads 1000 keys across the shards', async () => {
    client = new Cluster([{ host: '127.0.0.1', port: node(0).port }], { lazyConnect: false });
    for (let i = 0; i < 1000; i++) await client.set(`key:${i}`, `value:${i}`);
    for (let i = 0; i < 1000; i += 7) assert.equal(await client.get(`key:${i}`), `value:${i}`);
    const sizes = await Promise.all(nodes.map(async (n) => Number((await cmd(n.port, 'DBSIZE')).slice(1, -2))));
    assert.ok(sizes.every((s) => s > 200), `keys spread over the three shards: ${sizes.join(' ')}`);
  });

  test('ASK during a migration, ASKING on the importing node, TRYAGAIN for split multi-key requests', async () => {
    const a = node(0);
    const b = node(1);
    const ca = await raw(a.port);
    // A slot node 0 owns with no key of the 1000 in it: find a key name for it.
    const slotsText = await ca.call('CLUSTER', 'SLOTS');
    assert.ok(slotsText.length > 0);
    let key = '';
    let slot = -1;
    for (let i = 0; i < 5000; i++) {
      const k = `ask:${i}`;
      const s = Number((await ca.call('CLUSTER', 'KEYSLOT', k)).slice(1, -2));
      if ((await ca.call('EXISTS', k)) === ':0\r\n' && (await ca.call('CLUSTER', 'COUNTKEYSINSLOT', String(s))) === ':0\r\n') {
        key = k;
        slot = s;
        break;
      }
    }
    assert.ok(slot >= 0);
    // One key of the slot stays on the source, so a request naming both is split between the nodes.
    assert.equal(await ca.call('SET', `{${key}}x`, '1'), '+OK\r\n');
    assert.equal(await ca.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', b.id), '+OK\r\n');
    const cb = await raw(b.port);
    assert.equal(await cb.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', a.id), '+OK\r\n');
    assert.equal(await ca.call('GET', key), `-ASK ${slot} 127.0.0.1:${b.port}\r\n`);
    assert.equal(await cb.call('GET', key), `-MOVED ${slot} 127.0.0.1:${a.port}\r\n`);
    assert.equal(await cb.call('ASKING'), '+OK\r\n');
    assert.equal(await cb.call('SET', key, 'moved'), '+OK\r\n');
    // ASKING lasts one command.
    assert.equal(await cb.call('GET', key), `-MOVED ${slot} 127.0.0.1:${a.port}\r\n`);
    // The source has the other key of a multi-key request but not this one: TRYAGAIN.
    assert.equal(await ca.call('GET', `{${key}}x`), '$1\r\n1\r\n');
    assert.equal(await ca.call('MGET', key, `{${key}}x`), '-TRYAGAIN Multiple keys request during rehashing of slot\r\n');
    assert.match(text(await ca.call('CLUSTER', 'NODES')), new RegExp(`\\[${slot}->-${b.id}\\]`));
    assert.match(text(await cb.call('CLUSTER', 'NODES')), new RegExp(`\\[${slot}-<-${a.id}\\]`));
    assert.equal(await ca.call('DEL', `{${key}}x`), ':1\r\n');
    assert.equal(await cb.call('ASKING'), '+OK\r\n');
    assert.equal(await cb.call('DEL', key), ':1\r\n');
    assert.equal(await ca.call('CLUSTER', 'SETSLOT', String(slot), 'STABLE'), '+OK\r\n');
    assert.equal(await cb.call('CLUSTER', 'SETSLOT', String(slot), 'STABLE'), '+OK\r\n');
    assert.match(await check(a.port), /\[OK\] All 16384 slots covered/);
  });

  test('a client blocked on a key whose slot moves away is redirected', async () => {
    const a = node(0);
    const b = node(1);
    const ca = await raw(a.port);
    let key = '';
    let slot = -1;
    for (let i = 0; i < 5000 && slot < 0; i++) {
      const k = `blk:${i}`;
      const s = Number((await ca.call('CLUSTER', 'KEYSLOT', k)).slice(1, -2));
      if ((await ca.call('EXISTS', k)) === ':0\r\n' && (await ca.call('CLUSTER', 'COUNTKEYSINSLOT', String(s))) === ':0\r\n') {
        key = k;
        slot = s;
      }
    }
    assert.ok(slot >= 0);
    const blocked = await raw(a.port);
    const reply = blocked.call('BLPOP', key, '0');
    await until('the client is blocked', async () => /blocked_clients:1\r\n/.test(text(await ca.call('INFO', 'clients'))), 5000);
    assert.equal(await ca.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', b.id), '+OK\r\n');
    assert.equal(await reply, `-MOVED ${slot} 127.0.0.1:${b.port}\r\n`);
    // Back to its owner: this node claims it again.
    assert.equal(await ca.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', a.id), '+OK\r\n');
    await until('check passes', async () => (await check(a.port).catch(() => '')).includes('[OK] All nodes agree about slots configuration'), 10000);
  });

  test('redis-cli --cluster reshard moves slots and their keys with MIGRATE', async () => {
    const from = node(0);
    const to = node(2);
    const before = Number((await cmd(from.port, 'DBSIZE')).slice(1, -2));
    const { stdout } = await run(
      'redis-cli',
      ['--cluster', 'reshard', `127.0.0.1:${from.port}`, '--cluster-from', from.id, '--cluster-to', to.id, '--cluster-slots', '300', '--cluster-yes'],
      { timeout: 120000 },
    );
    assert.match(stdout, /Moving slot \d+ from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+/);
    const afterSize = Number((await cmd(from.port, 'DBSIZE')).slice(1, -2));
    assert.ok(afterSize < before, `keys left the source (${before} → ${afterSize})`);
    // Every node learns the new owner (the target bumped its epoch).
    for (const n of nodes) {
      await until(`the reshard reaches ${n.port}`, async () => {
        const out = text(await cmd(n.port, 'CLUSTER', 'NODES'));
        const line = out.split('\n').find((l) => l.startsWith(to.id)) ?? '';
        return line.split(' ').length > 9;
      }, 10000);
    }
    const out = await check(to.port);
    assert.match(out, /\[OK\] All nodes agree about slots configuration/);
    assert.match(out, /\[OK\] All 16384 slots covered/);
    assert.ok(client !== null);
    for (let i = 0; i < 1000; i++) assert.equal(await client.get(`key:${i}`), `value:${i}`);
  });

  test('a redis-server 7.0 node joins with add-node, takes slots and gives some back', async () => {
    const r = await startRedisNode();
    const { stdout } = await run('redis-cli', ['--cluster', 'add-node', `127.0.0.1:${r.port}`, `127.0.0.1:${node(0).port}`], { timeout: 60000 });
    assert.match(stdout, /\[OK\] New node added correctly/);
    for (const n of [...nodes, r]) {
      await until(`${n.port} knows four nodes`, async () => text(await cmd(n.port, 'CLUSTER', 'INFO')).includes('cluster_known_nodes:4'), 20000);
    }
    const agreed = async (): Promise<boolean> => {
      const out = await check(r.port).catch(() => '');
      return out.includes('[OK] All nodes agree about slots configuration') && out.includes('[OK] All 16384 slots covered');
    };
    await until('the four nodes agree', agreed, 20000);
    for (const n of [...nodes, r]) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
    await run('redis-cli', ['--cluster', 'reshard', `127.0.0.1:${node(1).port}`, '--cluster-from', node(1).id, '--cluster-to', r.id, '--cluster-slots', '200', '--cluster-yes'], { timeout: 120000 });
    await until('the four nodes agree after the first reshard', agreed, 20000);
    await run('redis-cli', ['--cluster', 'reshard', `127.0.0.1:${node(1).port}`, '--cluster-from', r.id, '--cluster-to', node(0).id, '--cluster-slots', '50', '--cluster-yes'], { timeout: 120000 });
    await until('every node agrees', agreed, 20000);
    assert.ok(Number((await cmd(r.port, 'DBSIZE')).slice(1, -2)) > 0, 'the Redis node holds keys');
    assert.ok(client !== null);
    for (let i = 0; i < 1000; i++) assert.equal(await client.get(`key:${i}`), `value:${i}`);
    // Failure detection: the Redis node stops; the Redoubt nodes flag it fail (it serves slots: the cluster is down).
    await r.server.stop();
    await until('the Redis node is marked failed', async () => {
      const line = text(await cmd(node(0).port, 'CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(r.id)) ?? '';
      return line.includes('master,fail ');
    }, 20000);
    await until('cluster_state:fail', async () => !(await clusterOk(node(2).port)), 10000);
    const c = await raw(node(0).port);
    assert.equal(await c.call('GET', 'key:1'), '-CLUSTERDOWN The cluster is down\r\n');
  });
});

/** Three Redoubt primaries made one cluster by redis-cli --cluster create, each in cluster_state:ok. */
async function threePrimaries(): Promise<[Node, Node, Node]> {
  const nodes = [await startNode(), await startNode(), await startNode()] as const;
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], { timeout: 60000 });
  for (const n of nodes) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
  return [...nodes];
}

/** redis-cli --cluster add-node: `replica` joins through `via` as a replica of `primary`. */
async function addReplica(replica: Node, via: Node, primary: Node): Promise<void> {
  await run('redis-cli', ['--cluster', 'add-node', `127.0.0.1:${replica.port}`, `127.0.0.1:${via.port}`, '--cluster-slave', '--cluster-master-id', primary.id], { timeout: 60000 });
}

/** Awaits `wait`; if it fails, the error carries the end of each node's log. */
async function withLogs(nodes: readonly Node[], wait: Promise<void>): Promise<void> {
  await wait.catch((err: unknown) => {
    throw new Error(`${String(err)}\n${nodes.map((n) => `${n.id} ${n.port}\n${n.server.output().slice(-2000)}`).join('\n')}`, { cause: err });
  });
}

/** Waits until each of `voters` lists `replica` as a connected replica of `primary`. */
async function knowReplica(voters: readonly Node[], replica: Node, primary: Node): Promise<void> {
  for (const n of voters) {
    await until(`${n.port} knows ${replica.port} as a replica of ${primary.port}`, async () => {
      const line = await lineAbout(n, replica.id);
      return line.includes(`slave ${primary.id} `) && line.endsWith(' connected');
    }, 20000);
  }
}

describe('three primaries with a replica each', () => {
  const nodes: Node[] = [];
  let client: Cluster | null = null;

  before(async () => {
    for (let i = 0; i < 6; i++) nodes.push(await startNode());
  });

  after(() => {
    client?.disconnect();
  });

  test('create --cluster-replicas 1, replicas sync and serve READONLY reads, a failed primary is replaced', async () => {
    const { stdout } = await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 90000 });
    assert.match(stdout, /\[OK\] All 16384 slots covered/);
    for (const n of nodes) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
    const roles = await Promise.all(nodes.map(async (n) => ({ n, line: await lineAbout(n, n.id) })));
    const replicas = roles.filter((r) => r.line.includes('myself,slave ')).map((r) => r.n);
    assert.equal(replicas.length, 3);
    client = new Cluster([{ host: '127.0.0.1', port: nodes[0]?.port ?? 0 }]);
    for (let i = 0; i < 300; i++) await client.set(`r:${i}`, `v${i}`);
    // A replica has its primary's keys, reads them after READONLY and redirects without it.
    const replica = replicas[0];
    assert.ok(replica !== undefined);
    const primaryId = (await lineAbout(replica, replica.id)).split(' ')[3] ?? '';
    const primary = nodes.find((n) => n.id === primaryId);
    assert.ok(primary !== undefined);
    await until('the replica has its primary\'s keys', async () => (await cmd(replica.port, 'DBSIZE')) === (await cmd(primary.port, 'DBSIZE')), 20000);
    const c = await raw(replica.port);
    let key = '';
    for (let i = 0; i < 300 && key === ''; i++) if ((await cmd(primary.port, 'EXISTS', `r:${i}`)) === ':1\r\n') key = `r:${i}`;
    assert.match(await c.call('GET', key), new RegExp(`^-MOVED \\d+ 127\\.0\\.0\\.1:${primary.port}\r\n$`));
    assert.equal(await c.call('READONLY'), '+OK\r\n');
    assert.equal(await c.call('GET', key), `$${`v${key.slice(2)}`.length}\r\nv${key.slice(2)}\r\n`);
    assert.match(await c.call('SET', key, 'x'), /^-MOVED /);
    assert.match(await c.call('REPLICAOF', 'NO', 'ONE'), /^-ERR REPLICAOF not allowed in cluster mode\.\r\n$/);
    assert.equal(await c.call('FAILOVER'), '-ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.\r\n');
    // The primary stops: after the node timeout it is failed and its replica wins the election.
    await knowReplica(nodes.filter((n) => !replicas.includes(n) && n !== primary), replica, primary);
    await primary.server.stop();
    await until('the replica is promoted', async () => (await lineAbout(replica, replica.id)).includes('myself,master '), 30000);
    const others = nodes.filter((n) => n !== primary);
    for (const n of others) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
    for (const n of others) await until(`${n.port} sees the old primary failed`, async () => (await lineAbout(n, primary.id)).includes('master,fail '), 20000);
    for (let i = 0; i < 300; i++) assert.equal(await client.get(`r:${i}`), `v${i}`);
    assert.match(text(await cmd(replica.port, 'CLUSTER', 'INFO')), /cluster_stats_messages_auth-req_sent:\d+/);
  });

  test('CLUSTER FAILOVER TAKEOVER swaps a replica and its primary', async () => {
    const alive = nodes.filter((n) => n.server.process.exitCode === null && n.server.process.signalCode === null);
    assert.equal(alive.length, 5);
    let replica: Node | null = null;
    for (const n of alive) if ((await lineAbout(n, n.id)).includes('myself,slave ')) replica = n;
    assert.ok(replica !== null);
    const r = replica;
    const primaryId = (await lineAbout(r, r.id)).split(' ')[3] ?? '';
    assert.equal(await cmd(r.port, 'CLUSTER', 'FAILOVER', 'TAKEOVER'), '+OK\r\n');
    assert.match(await lineAbout(r, r.id), /myself,master /);
    const old = alive.find((n) => n.id === primaryId);
    assert.ok(old !== undefined);
    await until('the old primary follows the new one', async () => (await lineAbout(old, old.id)).includes(`myself,slave ${r.id}`), 20000);
    await until('check passes', async () => (await check(r.port).catch(() => '')).includes('[OK] All 16384 slots covered'), 20000);
    assert.ok(client !== null);
    for (let i = 0; i < 300; i += 3) assert.equal(await client.get(`r:${i}`), `v${i}`);
  });
});

describe('a manual failover', () => {
  test('CLUSTER FAILOVER pauses the primary until the replica has every write, then swaps them', async () => {
    const nodes: Node[] = [];
    for (let i = 0; i < 6; i++) nodes.push(await startNode());
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 90000 });
    for (const n of nodes) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
    let replica: Node | null = null;
    for (const n of nodes) if ((await mine(n)).includes('myself,slave ')) replica = n;
    assert.ok(replica !== null);
    const r = replica;
    const primaryId = (await mine(r)).split(' ')[3] ?? '';
    const primary = nodes.find((n) => n.id === primaryId);
    assert.ok(primary !== undefined);
    const client = new Cluster([{ host: '127.0.0.1', port: primary.port }]);
    try {
      for (let i = 0; i < 200; i++) await client.set(`mf:${i}`, `v${i}`);
      assert.equal(await cmd(primary.port, 'CLUSTER', 'FAILOVER'), '-ERR You should send CLUSTER FAILOVER to a replica\r\n');
      // Every node knows the replica as its primary's (the election's voters check it).
      await knowReplica(nodes, r, primary);
      assert.equal(await cmd(r.port, 'CLUSTER', 'FAILOVER'), '+OK\r\n');
      await withLogs(nodes, until('the replica becomes the primary', async () => (await mine(r)).includes('myself,master '), 20000));
      await withLogs(nodes, until('the old primary follows it', async () => (await mine(primary)).includes(`myself,slave ${r.id}`), 20000));
      for (let i = 0; i < 200; i++) assert.equal(await client.get(`mf:${i}`), `v${i}`);
      // Writes flow again (the pause ended), through the new primary.
      for (let i = 0; i < 200; i++) await client.set(`mf:${i}`, `w${i}`);
      for (let i = 0; i < 200; i += 5) assert.equal(await client.get(`mf:${i}`), `w${i}`);
      assert.match(await check(r.port), /\[OK\] All 16384 slots covered/);
    } finally {
      client.disconnect();
    }
  });
});

describe('a mixed cluster fails over both ways', () => {
  test('a redis-server replica of a Redoubt primary is elected by Redoubt votes, then a Redoubt replica of it takes over from it', async () => {
    const [a, b, c] = await threePrimaries();
    const r = await startRedisNode();
    await addReplica(r, a, a);
    const client = new Cluster([{ host: '127.0.0.1', port: b.port }]);
    try {
      for (let i = 0; i < 200; i++) await client.set(`m:${i}`, `v${i}`);
      await until('the Redis replica has the Redoubt primary\'s keys', async () => (await cmd(r.port, 'DBSIZE')) === (await cmd(a.port, 'DBSIZE')), 20000);
      assert.match(text(await cmd(r.port, 'INFO', 'replication')), new RegExp(`master_port:${a.port}\r\nmaster_link_status:up`));
      // The voters must know the replica before its primary stops: a node only add-node's MEET
      // target has met learns of the others through that target's gossip.
      await knowReplica([b, c], r, a);
      await a.server.stop();
      await withLogs([a, b, c, r], until('redis-server is promoted', async () => (await cmd(r.port, 'ROLE')).includes('master'), 30000));
      const promoted = new RegExp(`${r.id} 127\\.0\\.0\\.1:${r.port}@${r.bus} master - \\d+ \\d+ \\d+ connected 0-`);
      await until('the Redoubt nodes learn the new primary', async () => promoted.test(await readFileAsync(join(b.dir, 'nodes.conf'))), 10000);
      for (const n of [b, c]) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
      for (let i = 0; i < 200; i++) assert.equal(await client.get(`m:${i}`), `v${i}`);
      // The reverse: a Redoubt node replicates the Redis primary, which then stops.
      const x = await startNode();
      await addReplica(x, b, r);
      await until('the Redoubt replica has the Redis primary\'s keys', async () => (await cmd(x.port, 'DBSIZE')) === (await cmd(r.port, 'DBSIZE')), 20000);
      await knowReplica([b, c], x, r);
      await r.server.stop();
      await until('the Redoubt replica is promoted', async () => text(await cmd(x.port, 'CLUSTER', 'NODES')).includes('myself,master'), 30000);
      for (const n of [b, c, x]) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
      for (let i = 0; i < 200; i++) assert.equal(await client.get(`m:${i}`), `v${i}`);
    } finally {
      client.disconnect();
    }
  });
});

describe('cluster-replica-validity-factor', () => {
  test('a replica whose link to its primary was down too long does not fail over; with the factor 0 it does', async () => {
    const [a, b, c] = await threePrimaries();
    // Data older than node timeout + 1 s of pings + 1 × node timeout (3 s) is too old.
    const r = await startNode(['--cluster-slave-validity-factor', '1', '--repl-ping-replica-period', '1']);
    await addReplica(r, a, a);
    await until('the replica is linked', async () => text(await cmd(r.port, 'INFO', 'replication')).includes('master_link_status:up'), 20000);
    assert.equal(await cmd(r.port, 'CONFIG', 'GET', 'cluster-replica-validity-factor'), '*2\r\n$31\r\ncluster-replica-validity-factor\r\n$1\r\n1\r\n');
    await knowReplica([b, c], r, a);
    // The primary refuses the replica from now on: the replication link stays down, the bus up.
    const admin = await raw(a.port);
    assert.equal(await admin.call('CONFIG', 'SET', 'requirepass', randomBytes(8).toString('hex')), '+OK\r\n');
    assert.equal(await admin.call('CLIENT', 'KILL', 'TYPE', 'replica'), ':1\r\n');
    await until('the replica link has been down for 5 s', async () => {
      const m = /master_link_down_since_seconds:(\d+)/.exec(text(await cmd(r.port, 'INFO', 'replication')));
      return m !== null && Number(m[1]) >= 5;
    }, 30000);
    a.server.process.kill('SIGKILL');
    // Once its primary has been failed for node timeout + 5 s, the replica says why it waits.
    await until('the replica says its data is too old', () => r.server.output().includes("Currently unable to failover: Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option."), 30000);
    assert.match(await mine(r), / myself,slave /);
    assert.doesNotMatch(r.server.output(), /Starting a failover election/);
    assert.match(text(await cmd(b.port, 'CLUSTER', 'INFO')), /cluster_state:fail\r\n/);
    // 0: a replica always tries.
    assert.equal(await cmd(r.port, 'CONFIG', 'SET', 'cluster-replica-validity-factor', '0'), '+OK\r\n');
    await until('the replica is promoted', async () => (await mine(r)).includes('myself,master '), 30000);
    for (const n of [b, c, r]) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
  });
});

describe('replica migration', () => {
  test('a replica of the primary with two moves to a primary left without one, when cluster-migration-barrier allows', async () => {
    const nodes: Node[] = [];
    for (let i = 0; i < 7; i++) nodes.push(await startNode());
    // Seven nodes, one replica each: three primaries, one of them with a second replica.
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 90000 });
    for (const n of nodes) await until(`cluster_state:ok on ${n.port}`, () => clusterOk(n.port), 20000);
    const replicasOf = new Map<string, Node[]>();
    for (const n of nodes) {
      const f = (await mine(n)).split(' ');
      if (f[2] === 'myself,slave') replicasOf.set(f[3] ?? '', [...(replicasOf.get(f[3] ?? '') ?? []), n]);
    }
    const byId = (id: string): Node => {
      const n = nodes.find((x) => x.id === id);
      assert.ok(n !== undefined);
      return n;
    };
    const rich = [...replicasOf].find(([, rs]) => rs.length === 2);
    const poor = [...replicasOf].find(([, rs]) => rs.length === 1);
    assert.ok(rich !== undefined && poor !== undefined, [...replicasOf].map(([m, rs]) => `${m}: ${rs.length}`).join(', '));
    // The one with the smallest name moves; the other stays.
    const [mover, stayer] = [...rich[1]].sort((x, y) => (x.id < y.id ? -1 : 1));
    const [lone] = poor[1];
    assert.ok(mover !== undefined && stayer !== undefined && lone !== undefined);
    const orphan = byId(poor[0]);
    const client = new Cluster([{ host: '127.0.0.1', port: orphan.port }]);
    try {
      for (let i = 0; i < 300; i++) await client.set(`mig:${i}`, `v${i}`);
    } finally {
      client.disconnect();
    }
    // Every node knows every replica as one (a node that dies first would stay a primary in some views).
    for (const n of nodes) {
      for (const [primary, replicas] of replicasOf) {
        for (const r of replicas) await until(`${n.port} knows ${r.port} as a replica`, async () => r === n || (await lineAbout(n, r.id)).includes(`slave ${primary} `), 20000);
      }
    }
    // Held back: with a barrier of 2, a primary with two working replicas keeps both.
    for (const n of [mover, stayer]) assert.equal(await cmd(n.port, 'CONFIG', 'SET', 'cluster-migration-barrier', '2'), '+OK\r\n');
    lone.server.process.kill('SIGKILL');
    const alive = nodes.filter((n) => n !== lone);
    for (const n of alive) await until(`${n.port} sees the lone replica failed`, async () => (await lineAbout(n, lone.id)).includes('slave,fail '), 30000);
    // Longer than the 5 s a primary must stay orphaned before a replica moves to it.
    await sleep(7000);
    assert.match(await mine(mover), new RegExp(`myself,slave ${rich[0]} `));
    assert.equal(await cmd(mover.port, 'CONFIG', 'SET', 'cluster-migration-barrier', '1'), '+OK\r\n');
    await until('the replica migrates to the orphaned primary', async () => (await mine(mover)).includes(`myself,slave ${orphan.id} `), 30000);
    assert.match(mover.server.output(), new RegExp(`Migrating to orphaned master ${orphan.id}`));
    await until('the migrated replica has the orphan\'s keys', async () => (await cmd(mover.port, 'DBSIZE')) === (await cmd(orphan.port, 'DBSIZE')), 20000);
    for (const n of alive) await until(`${n.port} sees the move`, async () => (await lineAbout(n, mover.id)).includes(`slave ${orphan.id} `), 20000);
    assert.match(await mine(stayer), new RegExp(`myself,slave ${rich[0]} `));
    assert.doesNotMatch(stayer.server.output(), /Migrating to orphaned master/);
  });
});

/** Starts a server that should refuse to start; resolves with what it printed. */
async function refusedStart(start: () => Promise<RunningServer>): Promise<string> {
  let server: RunningServer;
  try {
    server = await start();
  } catch (err) {
    return String(err);
  }
  track(server);
  const code = await server.exited();
  assert.equal(code, 1, server.output());
  return server.output();
}

describe('keys loaded at startup in slots the node does not serve', () => {
  // Two nodes in nodes.conf: this one (no slots) and an unreachable one serving 0-8191.
  const me = 'a'.repeat(40);
  const other = 'b'.repeat(40);
  const nodesConf = `${me} 127.0.0.1:0@0 myself,master - 0 0 0 connected\n${other} 127.0.0.1:1@2 master - 0 0 1 connected 0-8191\nvars currentEpoch 1 lastVoteEpoch 0\n`;

  /** A dump.rdb made by redis-server with keys `db0` in database 0 and `db1` in database 1. */
  async function dump(db0: string[], db1: string[] = []): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-dump-'));
    const s = await startRedis([], dir);
    try {
      for (const k of db0) assert.equal(await cmd(s.port, 'SET', k, 'v'), '+OK\r\n');
      const c = await raw(s.port);
      await c.call('SELECT', '1');
      for (const k of db1) assert.equal(await c.call('SET', k, 'v'), '+OK\r\n');
      assert.equal(await c.call('SAVE'), '+OK\r\n');
      c.close();
    } finally {
      await s.stop();
    }
    return join(dir, 'dump.rdb');
  }

  function nodeDir(rdb: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-cnode-'));
    writeFileSync(join(dir, 'nodes.conf'), nodesConf);
    copyFileSync(rdb, join(dir, 'dump.rdb'));
    return dir;
  }

  test('as redis-server 7.0: slots nobody serves are taken, slots another node serves go importing', async () => {
    // foo is in slot 12182 (unassigned), bar in 5061 and hello in 866 (the other node's).
    const rdb = await dump(['foo', 'bar', 'hello']);
    const ours = await startNode([], nodeDir(rdb));
    const theirs = await startRedisNode(nodeDir(rdb));
    const expected = `${me} 127.0.0.1:PORT@BUS myself,master - 0 0 0 connected 12182 [866-<-${other}] [5061-<-${other}]`;
    for (const n of [ours, theirs]) {
      await until(`${n.port} has loaded`, async () => (await cmd(n.port, 'DBSIZE')) === ':3\r\n', 10000);
      const line = (await mine(n)).replace(`:${n.port}@${n.bus}`, ':PORT@BUS');
      assert.equal(line, expected);
      const out = n.server.output();
      assert.match(out, /I have keys for unassigned slot 12182\. Taking responsibility for it\./);
      assert.match(out, /I have keys for slot 866, but the slot is assigned to another node\. Setting it to importing state\./);
      assert.match(out, /I have keys for slot 5061, but the slot is assigned to another node\. Setting it to importing state\./);
      // Saved: the change outlives a restart.
      assert.match(readFileSync(join(n.dir, 'nodes.conf'), 'latin1'), new RegExp(`myself,master - 0 0 0 connected 12182 \\[866-<-${other}\\] \\[5061-<-${other}\\]`));
    }
  });

  test('keys in another database stop the start, with the message of Redis\'s server.c', async () => {
    // redis-server 7.0.15 itself crashes on such an RDB (signal 11 in slotToKeyAddEntry, before it
    // gets to print this): the message is the one its startup check prints.
    const rdb = await dump(['foo'], ['x']);
    const message = "You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.";
    assert.ok((await refusedStart(async () => launchNode(nodeDir(rdb), await freePort()))).includes(message));
  });
});

describe('nodes.conf', () => {
  test('two nodes cannot share one nodes.conf; the lock of a killed one is taken over', async () => {
    const message = (file: string): string =>
      `Sorry, the cluster configuration file ${file} is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files.`;
    // redis-server says so (naming the file as configured), and so does Redoubt.
    const redisDir = mkdtempSync(join(tmpdir(), 'redis-cnode-'));
    await startRedisNode(redisDir);
    const redisOut = await refusedStart(async () => launchRedisNode(redisDir, await freePort()));
    assert.ok(redisOut.includes(message(join(redisDir, 'nodes.conf'))), redisOut);
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-cnode-'));
    const first = await startNode([], dir);
    assert.ok(existsSync(join(dir, 'nodes.conf.lock')));
    const out = await refusedStart(async () => launchNode(dir, await freePort()));
    assert.ok(out.includes(message('nodes.conf')), out);
    // A node killed without a chance to clean up leaves its lock: the next one takes it over.
    first.server.process.kill('SIGKILL');
    await first.server.exited();
    const again = await startNode([], dir);
    assert.equal(again.id, first.id);
    assert.match(again.server.output(), new RegExp(`Removed the stale lock of .*nodes\\.conf \\(held by pid ${first.server.process.pid}, no longer running\\)`));
    // A clean stop removes it.
    await again.server.stop();
    assert.ok(!existsSync(join(dir, 'nodes.conf.lock')));
    assert.ok(existsSync(join(dir, 'nodes.conf')));
  });

  test('a node keeps its id, slots and epochs across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-cnode-'));
    const first = await startNode([], dir);
    assert.equal(await cmd(first.port, 'CLUSTER', 'ADDSLOTSRANGE', '0', '99', '200', '299'), '+OK\r\n');
    assert.equal(await cmd(first.port, 'CLUSTER', 'SET-CONFIG-EPOCH', '7'), '+OK\r\n');
    assert.equal(await cmd(first.port, 'CLUSTER', 'SETSLOT', '5', 'MIGRATING', first.id), '+OK\r\n');
    assert.equal(await cmd(first.port, 'CLUSTER', 'BUMPEPOCH'), '+STILL 7\r\n');
    await first.server.stop();
    const conf = readFileSync(join(dir, 'nodes.conf'), 'latin1');
    assert.equal(conf, `${first.id} :${first.port}@${first.bus} myself,master - 0 0 7 connected 0-99 200-299 [5->-${first.id}]\nvars currentEpoch 7 lastVoteEpoch 0\n`);
    const again = await startNode([], dir);
    assert.equal(again.id, first.id);
    assert.match(text(await cmd(again.port, 'CLUSTER', 'NODES')), new RegExp(`^${first.id} :${again.port}@${again.bus} myself,master - 0 0 7 connected 0-99 200-299 \\[5->-${first.id}\\]\\n$`));
    assert.match(text(await cmd(again.port, 'CLUSTER', 'INFO')), /cluster_current_epoch:7\r\n/);
  });

  test('a corrupt nodes.conf stops the start with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-cnode-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'nodes.conf'), 'garbage line\n');
    await assert.rejects(startNode([], dir), /corrupted cluster config file/);
  });

  test('errors of the layout subcommands are Redis\'s', async () => {
    const n = await startNode();
    const c = await raw(n.port);
    assert.equal(await c.call('CLUSTER', 'ADDSLOTS', '16384'), '-ERR Invalid or out of range slot\r\n');
    assert.equal(await c.call('CLUSTER', 'ADDSLOTS', '1', '1'), '-ERR Slot 1 specified multiple times\r\n');
    assert.equal(await c.call('CLUSTER', 'ADDSLOTS', '1'), '+OK\r\n');
    assert.equal(await c.call('CLUSTER', 'ADDSLOTS', '1'), '-ERR Slot 1 is already busy\r\n');
    assert.equal(await c.call('CLUSTER', 'DELSLOTS', '2'), '-ERR Slot 2 is already unassigned\r\n');
    assert.equal(await c.call('CLUSTER', 'ADDSLOTSRANGE', '5', '3'), '-ERR start slot number 5 is greater than end slot number 3\r\n');
    assert.equal(await c.call('CLUSTER', 'SETSLOT', '1', 'NODE', 'f'.repeat(40)), `-ERR Unknown node ${'f'.repeat(40)}\r\n`);
    assert.equal(await c.call('CLUSTER', 'SETSLOT', '2', 'MIGRATING', n.id), "-ERR I'm not the owner of hash slot 2\r\n");
    assert.equal(await c.call('CLUSTER', 'SETSLOT', '1', 'BOGUS'), '-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n');
    assert.equal(await c.call('CLUSTER', 'FORGET', n.id), "-ERR I tried hard but I can't forget myself...\r\n");
    assert.equal(await c.call('CLUSTER', 'MEET', '127.0.0.1', 'x'), '-ERR Invalid TCP base port specified: x\r\n');
    assert.equal(await c.call('CLUSTER', 'MEET', 'nohost', '7000'), '-ERR Invalid node address specified: nohost:7000\r\n');
    assert.equal(await c.call('CLUSTER', 'SET-CONFIG-EPOCH', '-1'), '-ERR Invalid config epoch specified: -1\r\n');
    assert.equal(await c.call('CLUSTER', 'BUMPEPOCH'), '+BUMPED 1\r\n');
    assert.equal(await c.call('CLUSTER', 'SET-CONFIG-EPOCH', '5'), '-ERR Node config epoch is already non-zero\r\n');
    assert.equal(await c.call('GET', 'x'), '-CLUSTERDOWN Hash slot not served\r\n');
    assert.equal(await c.call('SET', 'x', '1'), '-CLUSTERDOWN Hash slot not served\r\n');
    assert.equal(await c.call('CLUSTER', 'DELSLOTS', '1'), '+OK\r\n');
    assert.match(await c.call('CONFIG', 'SET', 'port', String(await freePort())), /^-ERR .*changing the port of a cluster node at runtime is not supported/);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('CLUSTER', 'RESET', 'HARD'), '+OK\r\n');
    assert.notEqual(text(await c.call('CLUSTER', 'MYID')), n.id);
  });
});

describe('the bus admits only cluster-allowed-peers and survives malformed messages', () => {
  test('a peer outside cluster-allowed-peers is refused, and MEET will not dial one', async () => {
    const n = await startNode(['--cluster-allowed-peers', '127.0.0.2/32 10.0.0.0/8']);
    // A connection from 127.0.0.1 is closed before anything is read.
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: n.bus, localAddress: '127.0.0.1' });
      s.on('error', () => resolve(true));
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000).unref();
    });
    assert.ok(closed, 'the bus hung up on a peer outside the list');
    const c = await raw(n.port);
    assert.match(await c.call('CLUSTER', 'MEET', '127.0.0.1', '7000'), /^-ERR 127\.0\.0\.1 is not in cluster-allowed-peers/);
    assert.equal(await c.call('CLUSTER', 'MEET', '127.0.0.2', '7000'), '+OK\r\n');
    assert.match(await c.call('CONFIG', 'SET', 'cluster-allowed-peers', 'not-an-address'), /^-ERR/);
    assert.equal(await c.call('CONFIG', 'SET', 'cluster-allowed-peers', '127.0.0.0/8, ::1'), '+OK\r\n');
    assert.match(await c.call('CONFIG', 'GET', 'cluster-allowed-peers'), /127\.0\.0\.0\/8 ::1/);
    assert.equal(await c.call('CLUSTER', 'MEET', '127.0.0.1', '7000'), '+OK\r\n');
    // The default is loopback only.
    const d = await startNode();
    assert.match(await cmd(d.port, 'CLUSTER', 'MEET', '192.0.2.1', '7000'), /not in cluster-allowed-peers/);
    assert.match(await cmd(d.port, 'CONFIG', 'GET', 'cluster-allowed-peers'), /127\.0\.0\.0\/8 ::1/);
  });

  test('20,000 malformed bus messages leave the node up and its cluster whole', async () => {
    const n = await startNode();
    const c = await raw(n.port);
    assert.equal(await c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'), '+OK\r\n');
    await until('cluster_state:ok', () => clusterOk(n.port), 10000);
    const stranger = randomBytes(20).toString('hex');
    const base = (type: number): BusMessage => ({
      header: {
        type,
        port: 1,
        currentEpoch: 1n << 40n,
        configEpoch: 1n << 40n,
        offset: 0n,
        sender: stranger,
        myslots: new Uint8Array(SLOTS_BYTES).fill(0xff),
        slaveof: null,
        myip: '',
        pport: 0,
        cport: 2,
        flags: NodeFlag.MASTER,
        state: 0,
        mflags0: 0,
      },
      body:
        type <= MsgType.MEET
          ? { kind: 'ping', gossip: [{ name: randomBytes(20).toString('hex'), pingSent: 0, pongReceived: 0, ip: '127.0.0.1', port: 3, cport: 4, flags: 1, pport: 0 }], hostname: 'h', forgotten: [] }
          : type === MsgType.FAIL
            ? { kind: 'fail', name: n.id }
            : type === MsgType.PUBLISH || type === MsgType.PUBLISHSHARD
              ? { kind: 'publish', channel: Buffer.from('c'), message: Buffer.from('m') }
              : type === MsgType.UPDATE
                ? { kind: 'update', configEpoch: 1n << 50n, name: n.id, slots: new Uint8Array(SLOTS_BYTES) }
                : type === MsgType.MODULE
                  ? { kind: 'module' }
                  : { kind: 'bare' },
    });
    const templates = Array.from({ length: 11 }, (_, t) => encode(base(t)));
    const total = 20000;
    const deadline = Date.now() + 60000;
    let sent = 0;
    // Many messages per connection: each connection ends when the node drops it for a malformed message.
    while (sent < total && Date.now() < deadline) {
      const batch: Buffer[] = [];
      for (let i = 0; i < 200 && sent < total; i++, sent++) {
        const t = templates[sent % templates.length];
        assert.ok(t !== undefined);
        const m = Buffer.from(t);
        const kind = sent % 4;
        if (kind === 0) for (let k = 0; k < 4; k++) m[Math.floor(Math.random() * m.length)] = Math.floor(Math.random() * 256);
        else if (kind === 1) m.writeUInt16BE(Math.floor(Math.random() * 65536), 14);
        else if (kind === 2) m.writeUInt32BE(HEADER_LEN + Math.floor(Math.random() * 64), 4);
        else m.writeUInt16BE(Math.floor(Math.random() * 20), 12);
        batch.push(m);
      }
      await new Promise<void>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: n.bus }, () => {
          s.write(Buffer.concat(batch));
          s.end();
        });
        s.on('data', () => undefined);
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    }
    assert.equal(sent, total);
    // A declared length past the limit is refused after eight bytes, before any buffering.
    const huge = Buffer.alloc(8);
    huge.write('RCmb', 0);
    huge.writeUInt32BE(0x7fffffff, 4);
    const dropped = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: n.bus }, () => s.write(huge));
      s.on('error', () => resolve(true));
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000).unref();
    });
    assert.ok(dropped);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.ok(await clusterOk(n.port));
    assert.match(text(await c.call('CLUSTER', 'NODES')), new RegExp(`^${n.id} .* myself,master - 0 0 0 connected 0-16383\\n`));
    const info = text(await c.call('CLUSTER', 'INFO'));
    assert.match(info, /cluster_slots_assigned:16384/);
    assert.match(info, /cluster_my_epoch:0\r\n/, 'no stranger changed this node\'s epoch');
  });

  test('a peer that answers but never connects back (its handshake with us timed out) is met again', async () => {
    const n = await startNode(['--cluster-node-timeout', '1000']);
    const peerId = randomBytes(20).toString('hex');
    const received: number[] = [];
    const peer = net.createServer((s) => {
      const framer = new BusFramer(() => 1 << 20);
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        const frames = framer.push(d);
        if (typeof frames === 'string') return;
        for (const f of frames) {
          const m = decode(f);
          if (typeof m === 'string') continue;
          received.push(m.header.type);
          if (m.header.type !== MsgType.PING && m.header.type !== MsgType.MEET) continue;
          const header = { ...m.header, type: MsgType.PONG, sender: peerId, port: 1, cport: peerBus, pport: 0, myslots: new Uint8Array(SLOTS_BYTES), slaveof: null, myip: '', flags: NodeFlag.MASTER, currentEpoch: 0n, configEpoch: 0n, mflags0: 0 };
          s.write(encode({ header, body: { kind: 'ping', gossip: [], hostname: null, forgotten: [] } }));
        }
      });
    });
    const peerBus = await freePort();
    await new Promise<void>((resolve) => peer.listen(peerBus, '127.0.0.1', resolve));
    try {
      assert.equal(await cmd(n.port, 'CLUSTER', 'MEET', '127.0.0.1', '1', String(peerBus)), '+OK\r\n');
      await until('the handshake completes', async () => text(await cmd(n.port, 'CLUSTER', 'NODES')).includes(`${peerId} 127.0.0.1:1@${peerBus} master - `), 10000);
      // The first MEET was the handshake; the peer never connects back, so another one follows.
      await until('a second MEET', () => received.filter((t) => t === MsgType.MEET).length >= 2, 10000);
      assert.ok(received.includes(MsgType.PING), 'PINGs between the MEETs');
      assert.match(text(await cmd(n.port, 'CLUSTER', 'NODES')), new RegExp(`${peerId} .* connected\n`));
    } finally {
      peer.close();
    }
  });

  test('a flood of MEETs from strangers adds at most 256 handshake nodes', async () => {
    const n = await startNode();
    const meets = Array.from({ length: 400 }, (_, i) =>
      encode({
        header: {
          type: MsgType.MEET,
          port: 1000 + i,
          currentEpoch: 0n,
          configEpoch: 0n,
          offset: 0n,
          sender: randomBytes(20).toString('hex'),
          myslots: new Uint8Array(SLOTS_BYTES),
          slaveof: null,
          myip: '',
          pport: 0,
          cport: 1000 + i,
          flags: NodeFlag.MASTER,
          state: 1,
          mflags0: 0,
        },
        body: { kind: 'ping', gossip: [], hostname: null, forgotten: [] },
      }),
    );
    let pongs = 0;
    await new Promise<void>((resolve, reject) => {
      const framer = new BusFramer(() => 1 << 20);
      const s = net.connect({ host: '127.0.0.1', port: n.bus }, () => s.write(Buffer.concat(meets)));
      s.on('data', (d: Buffer) => {
        const out = framer.push(d);
        if (typeof out === 'string') reject(new Error(out));
        else pongs += out.length;
        if (pongs === meets.length) {
          s.destroy();
          resolve();
        }
      });
      s.on('error', reject);
    });
    const known = Number(/cluster_known_nodes:(\d+)/.exec(text(await cmd(n.port, 'CLUSTER', 'INFO')))?.[1]);
    assert.ok(known > 1 && known <= 257, `known nodes: ${known}`);
    assert.equal(await cmd(n.port, 'PING'), '+PONG\r\n');
  });

  test('a redis-server 7.0 accepts our MEET and its PONG decodes', async () => {
    const r = await startRedisNode();
    const me = randomBytes(20).toString('hex');
    const meet = encode({
      header: {
        type: MsgType.MEET,
        port: 7000,
        currentEpoch: 0n,
        configEpoch: 0n,
        offset: 0n,
        sender: me,
        myslots: new Uint8Array(SLOTS_BYTES),
        slaveof: null,
        myip: '',
        pport: 0,
        cport: 17000,
        flags: NodeFlag.MASTER,
        state: 1,
        mflags0: 0,
      },
      body: { kind: 'ping', gossip: [], hostname: 'redoubt-test', forgotten: [] },
    });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const framer = new BusFramer(() => 1 << 20);
      const s = net.connect({ host: '127.0.0.1', port: r.bus }, () => s.write(meet));
      s.on('data', (d: Buffer) => {
        const out = framer.push(d);
        if (typeof out === 'string') reject(new Error(out));
        else if (out[0] !== undefined) {
          s.destroy();
          resolve(out[0]);
        }
      });
      s.on('error', reject);
    });
    const pong = decode(reply);
    if (typeof pong === 'string') assert.fail(pong);
    assert.equal(pong.header.type, MsgType.PONG);
    assert.equal(pong.header.sender, r.id);
    assert.equal(pong.header.port, r.port);
    assert.equal(pong.header.cport, r.bus);
    await until('redis-server lists the node that met it', async () => text(await cmd(r.port, 'CLUSTER', 'NODES')).includes('handshake'), 5000);
  });
});
