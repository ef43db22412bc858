// The cluster bus over TLS (tls-cluster yes): every bus link is TLS and both ends show a
// certificate of the cluster's CA. Real processes on loopback ports: redis-cli --tls --cluster
// create and check, ioredis Cluster over TLS, the ports clients are told (TLS or plaintext), a
// redis-server 7.0 joining over TLS and taking slots by MIGRATE, a failover over the TLS bus; and
// the peers that must stay out (another CA's certificate, a plain-TCP node, no certificate, a
// well-formed MEET over TCP, garbage and slow handshakes); certificates reloaded by CONFIG SET.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { freePort, startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { command as plain } from './helpers/raw-client.js';
import { clientTls, makeCertificates, tlsArgs } from './helpers/tls-servers.js';
import { until } from './helpers/workload-target.js';
import { run } from './helpers/cluster.js';
import { BusFramer, encode, MsgType, NodeFlag, SLOTS_BYTES, type BusMessage } from '../src/server/cluster-bus-codec.js';

const certs = mkdtempSync(join(tmpdir(), 'redoubt-cluster-tls-'));
makeCertificates(certs);
const cert = (name: string): string => join(certs, name);

/** redis-cli's TLS options for `certs`' CA and client certificate. */
const CLI_TLS = ['--tls', '--cacert', cert('ca.crt'), '--cert', cert('client.crt'), '--key', cert('client.key')];

/** A tool's output (test/helpers/cluster.ts's run; a failure carries what it printed). */
async function tool(cmd: string, args: string[], timeout = 60000): Promise<string> {
  return (await run(cmd, args, { timeout })).stdout;
}

const started: RunningServer[] = [];
const clients: Redis[] = [];

interface Node {
  readonly server: RunningServer;
  /** The plaintext port (the server's port) and the TLS port the cluster announces. */
  readonly port: number;
  readonly tlsPort: number;
  readonly bus: number;
  id: string;
}

const byPort = new Map<number, Redis>();

/** An ioredis client on a node's TLS port (one per port). */
function tlsRedis(port: number): Redis {
  let c = byPort.get(port);
  if (c === undefined) {
    c = new Redis({ host: '127.0.0.1', port, tls: clientTls(certs), maxRetriesPerRequest: 0 });
    byPort.set(port, c);
    clients.push(c);
  }
  return c;
}

/** A bulk reply's text from a plaintext port. */
async function plainText(port: number, ...args: string[]): Promise<string> {
  const r = await plain(port, ...args);
  return r.slice(r.indexOf('\r\n') + 2, -2);
}

/** A command on a node's TLS port, its reply as a string. */
async function secure(n: Node, ...args: string[]): Promise<string> {
  const [name = '', ...rest] = args;
  return String(await tlsRedis(n.tlsPort).call(name, ...rest));
}

const TLS_NODE = ['--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-auth-clients', 'yes'];

/**
 * A Redoubt cluster node with a plaintext port and a TLS port; `certArgs` replace the cluster
 * CA's certificates (tlsArgs) and `args` come last.
 */
async function startNode(args: string[] = [], certArgs = tlsArgs(certs)): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-tlsnode-'));
  const tlsPort = await freePort();
  const bus = await freePort();
  const server = await startRedoubt(
    ['--tls-port', String(tlsPort), '--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-node-timeout', '3000', '--enable-migrate-command', 'yes', ...certArgs, ...TLS_NODE, ...args],
    { cwd: dir },
  );
  started.push(server);
  return { server, port: server.port, tlsPort, bus, id: await plainText(server.port, 'CLUSTER', 'MYID') };
}

async function nodesOf(n: Node): Promise<string> {
  return secure(n, 'CLUSTER', 'NODES');
}

async function clusterOk(n: Node): Promise<boolean> {
  return (await secure(n, 'CLUSTER', 'INFO')).includes('cluster_state:ok');
}

async function knownNodes(n: Node): Promise<number> {
  return Number(/cluster_known_nodes:(\d+)/.exec(await secure(n, 'CLUSTER', 'INFO'))?.[1]);
}

/** A PING or MEET as a stranger would send it, well formed. */
function stranger(type: number, port: number): Buffer {
  const msg: BusMessage = {
    header: {
      type,
      port,
      currentEpoch: 1n << 40n,
      configEpoch: 1n << 40n,
      offset: 0n,
      sender: randomBytes(20).toString('hex'),
      myslots: new Uint8Array(SLOTS_BYTES).fill(0xff),
      slaveof: null,
      myip: '',
      pport: 0,
      cport: port + 1,
      flags: NodeFlag.MASTER,
      state: 0,
      mflags0: 0,
    },
    body: { kind: 'ping', gossip: [], hostname: 'rogue', forgotten: [] },
  };
  return encode(msg);
}

/** Sends `bytes` on `socket` once it is ready and collects bus messages until it closes or `ms` pass. */
function exchange(socket: net.Socket, ready: string, bytes: Buffer, ms: number): Promise<{ frames: number; closed: boolean }> {
  return new Promise((resolve) => {
    let frames = 0;
    const framer = new BusFramer(() => 1 << 20);
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames, closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once(ready, () => socket.write(bytes));
    socket.on('data', (d: Buffer) => {
      const out = framer.push(d);
      if (typeof out !== 'string') frames += out.length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(true));
  });
}

after(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(started.map((s) => s.stop()));
});

describe('a cluster whose bus is TLS', () => {
  const nodes: Node[] = [];
  /** Every primary: the Redoubt nodes and, once it joined, the redis-server. */
  const primaries: Node[] = [];
  let cluster: Cluster | null = null;

  before(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startNode());
    primaries.push(...nodes);
  });

  after(() => cluster?.disconnect());

  const node = (i: number): Node => {
    const n = nodes[i];
    assert.ok(n !== undefined);
    return n;
  };

  test('redis-cli --tls --cluster create builds it over TLS, and --cluster check passes', async () => {
    const out = await tool('redis-cli', [...CLI_TLS, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.tlsPort}`), '--cluster-yes'], 90000);
    assert.match(out, /\[OK\] All 16384 slots covered/);
    for (const n of nodes) await until(`cluster_state:ok on ${n.tlsPort}`, () => clusterOk(n), 20000);
    const check = await tool('redis-cli', [...CLI_TLS, '--cluster', 'check', `127.0.0.1:${node(1).tlsPort}`]);
    assert.match(check, /\[OK\] All nodes agree about slots configuration/);
    assert.match(check, /\[OK\] All 16384 slots covered/);
    // Every link, both ways, is a TLS link: the bus counts no refusal among the members.
    for (const n of nodes) assert.doesNotMatch(n.server.output(), /refused in the TLS handshake|The cluster bus is plain TCP/);
  });

  test('clients on TLS are told TLS ports, clients on the plaintext port plaintext ones (as Redis)', async () => {
    const overTls = (await nodesOf(node(0))).trim().split('\n');
    assert.equal(overTls.length, 3);
    for (const n of nodes) {
      const line = overTls.find((l) => l.startsWith(n.id)) ?? '';
      assert.match(line, new RegExp(`^${n.id} 127\\.0\\.0\\.1:${n.tlsPort}@${n.bus} (myself,)?master - \\d+ \\d+ \\d+ connected \\d+`), line);
    }
    const overTcp = (await plainText(node(0).port, 'CLUSTER', 'NODES')).split('\n');
    for (const n of nodes) {
      const line = overTcp.find((l) => l.includes(n.id)) ?? '';
      assert.match(line, new RegExp(` 127\\.0\\.0\\.1:${n.port}@${n.bus} `), line);
    }
    // MOVED: a key of another node's slot.
    const owner = node(1);
    const slots = JSON.stringify(await tlsRedis(node(0).tlsPort).call('CLUSTER', 'SLOTS'));
    assert.ok(slots.includes(String(owner.tlsPort)) && !slots.includes(`,${owner.port},`), slots);
    let key = '';
    for (let i = 0; key === '' && i < 1000; i++) {
      const r = await plain(node(0).port, 'SET', `k${i}`, 'v');
      if (r.includes(`:${owner.port}`)) key = `k${i}`;
    }
    assert.notEqual(key, '', 'a key owned by the second node');
    assert.match(await plain(node(0).port, 'GET', key), new RegExp(`^-MOVED \\d+ 127\\.0\\.0\\.1:${owner.port}\r\n$`));
    await assert.rejects(tlsRedis(node(0).tlsPort).get(key), new RegExp(`MOVED \\d+ 127\\.0\\.0\\.1:${owner.tlsPort}`));
    const shards = JSON.stringify(await tlsRedis(node(0).tlsPort).call('CLUSTER', 'SHARDS'));
    assert.ok(shards.includes(`"tls-port",${owner.tlsPort}`) && shards.includes(`"port",${owner.port}`), shards);
    // The bus chose TLS at startup and stays TLS.
    assert.equal(
      await plain(node(0).port, 'CONFIG', 'SET', 'tls-cluster', 'no'),
      "-ERR CONFIG SET failed (possibly related to argument 'tls-cluster') - tls-cluster cannot change while this node is in cluster mode: the cluster bus reads it at startup\r\n",
    );
  });

  test('ioredis Cluster over TLS writes and reads 500 keys across the shards', async () => {
    cluster = new Cluster([{ host: '127.0.0.1', port: node(0).tlsPort }], { redisOptions: { tls: clientTls(certs) } });
    for (let i = 0; i < 500; i++) await cluster.set(`tls:${i}`, `v${i}`);
    for (let i = 0; i < 500; i += 7) assert.equal(await cluster.get(`tls:${i}`), `v${i}`);
    const sizes = await Promise.all(nodes.map(async (n) => Number(await secure(n, 'DBSIZE'))));
    assert.ok(sizes.every((s) => s > 50), `keys on every shard: ${sizes.join(' ')}`);
  });

  test('a redis-server 7.0 with tls-cluster joins over TLS and takes slots with their keys by MIGRATE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-tlsnode-'));
    const tlsPort = await freePort();
    const bus = await freePort();
    const redis = await startRedis(
      ['--tls-port', String(tlsPort), '--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-node-timeout', '3000', '--cluster-config-file', join(dir, 'nodes.conf'), ...tlsArgs(certs), ...TLS_NODE],
      dir,
    );
    started.push(redis);
    const r: Node = { server: redis, port: redis.port, tlsPort, bus, id: await plainText(redis.port, 'CLUSTER', 'MYID') };
    await tool('redis-cli', [...CLI_TLS, '--cluster', 'add-node', `127.0.0.1:${tlsPort}`, `127.0.0.1:${node(0).tlsPort}`]);
    primaries.push(r);
    for (const n of nodes) {
      await until(`${n.tlsPort} sees redis-server connected`, async () => /master - \d+ \d+ \d+ connected/.test((await nodesOf(n)).split('\n').find((l) => l.startsWith(r.id)) ?? ''), 20000);
    }
    await until('redis-server knows the three Redoubt nodes', async () => (await knownNodes(r)) === 4, 20000);
    // Until it has learned every slot's owner it answers CLUSTERDOWN, to MIGRATE's RESTORE-ASKING too.
    await until('cluster_state:ok on redis-server', () => clusterOk(r), 20000);
    await tool('redis-cli', [...CLI_TLS, '--cluster', 'reshard', `127.0.0.1:${node(0).tlsPort}`, '--cluster-from', node(0).id, '--cluster-to', r.id, '--cluster-slots', '100', '--cluster-yes'], 90000);
    await until('check passes with redis-server holding 100 slots', async () => {
      const out = await tool('redis-cli', [...CLI_TLS, '--cluster', 'check', `127.0.0.1:${tlsPort}`]).catch(() => '');
      return out.includes('[OK] All 16384 slots covered') && /:\d+ \(\w+\.\.\.\) -> \d+ keys \| 100 slots/.test(out);
    }, 30000);
    assert.ok(Number(await secure(r, 'DBSIZE')) > 0, 'keys moved to redis-server');
    assert.ok(cluster !== null);
    for (let i = 0; i < 500; i += 3) assert.equal(await cluster.get(`tls:${i}`), `v${i}`);
  });

  test('a replica is elected over the TLS bus when its primary stops', async () => {
    const replica = await startNode();
    const primary = node(2);
    await tool('redis-cli', [...CLI_TLS, '--cluster', 'add-node', `127.0.0.1:${replica.tlsPort}`, `127.0.0.1:${primary.tlsPort}`, '--cluster-slave', '--cluster-master-id', primary.id]);
    const dbsize = await secure(primary, 'DBSIZE');
    await until('the replica syncs over TLS', async () => (await secure(replica, 'DBSIZE')) === dbsize, 20000);
    // A voter that does not know the replica yet would ignore its vote request.
    for (const n of primaries.filter((x) => x !== primary)) {
      await until(`${n.tlsPort} lists the replica as connected`, async () => {
        const line = (await nodesOf(n)).split('\n').find((l) => l.startsWith(replica.id)) ?? '';
        return line.includes(`slave ${primary.id} `) && line.endsWith(' connected');
      }, 20000);
    }
    tlsRedis(primary.tlsPort).disconnect();
    byPort.delete(primary.tlsPort);
    await primary.server.stop();
    await until('the replica is promoted', async () => /myself,master /.test(await nodesOf(replica)), 30000);
    await until('cluster_state:ok again', () => clusterOk(node(0)), 20000);
    assert.ok(cluster !== null);
    for (let i = 0; i < 500; i += 5) assert.equal(await cluster.get(`tls:${i}`), `v${i}`);
  });
});

describe('the TLS bus keeps out every peer without a certificate of the cluster CA', () => {
  let member: Node;

  before(async () => {
    member = await startNode();
    await secure(member, 'CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await until('cluster_state:ok', () => clusterOk(member), 10000);
  });

  /** The member met `other` (and `other` met the member); after the handshake time neither lists the other. */
  async function neverJoins(other: { port: number; bus: number; nodes: () => Promise<string>; meet: () => Promise<unknown> }): Promise<void> {
    assert.equal(await secure(member, 'CLUSTER', 'MEET', '127.0.0.1', String(other.port), String(other.bus)), 'OK');
    await other.meet();
    // The handshake node lives at most the node timeout (3 s); watched until it is gone.
    const deadline = Date.now() + 6000;
    while (Date.now() < deadline) {
      const lines = (await nodesOf(member)).trim().split('\n');
      for (const l of lines) if (!l.includes('myself')) assert.match(l, / handshake - \d+ \d+ \d+ disconnected$/, `only ever a handshake, never connected: ${l}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await knownNodes(member), 1);
    assert.equal((await other.nodes()).trim().split('\n').length, 1, 'the other node knows only itself');
    assert.match(await secure(member, 'CLUSTER', 'INFO'), /cluster_my_epoch:0\r\n/);
  }

  test('a Redoubt node whose certificates come from another CA cannot join, either way', async () => {
    // It even trusts the cluster CA: only its own certificate is wrong.
    const rogueCerts = ['--tls-cert-file', cert('rogue-server.crt'), '--tls-key-file', cert('rogue-server.key'), '--tls-client-cert-file', cert('rogue.crt'), '--tls-client-key-file', cert('rogue.key'), '--tls-ca-cert-file', cert('ca.crt')];
    const rogue = await startNode([], rogueCerts);
    await neverJoins({
      port: rogue.tlsPort,
      bus: rogue.bus,
      nodes: () => plainText(rogue.port, 'CLUSTER', 'NODES'),
      meet: () => plain(rogue.port, 'CLUSTER', 'MEET', '127.0.0.1', String(member.tlsPort), String(member.bus)),
    });
    await until('the member logged the refused certificate', () => /refused in the TLS handshake/.test(member.server.output()), 5000);
  });

  test('a node with a plain-TCP bus cannot join, and logs at startup that its bus relies on cluster-allowed-peers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-plainnode-'));
    const bus = await freePort();
    const tcp = await startRedoubt(['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-node-timeout', '3000'], { cwd: dir });
    started.push(tcp);
    assert.equal(tcp.output().match(/The cluster bus is plain TCP \(tls-cluster no\).*cluster-allowed-peers \(127\.0\.0\.0\/8 ::1\) is all that keeps/g)?.length, 1);
    await neverJoins({
      port: tcp.port,
      bus,
      nodes: () => plainText(tcp.port, 'CLUSTER', 'NODES'),
      meet: () => plain(tcp.port, 'CLUSTER', 'MEET', '127.0.0.1', String(member.tlsPort), String(member.bus)),
    });
    assert.doesNotMatch(member.server.output(), /The cluster bus is plain TCP/);
  });

  test('a well-formed MEET or PING gets nothing in: over TCP, over TLS without a certificate, with another CA\'s', async () => {
    const before = await nodesOf(member);
    const attempts: { what: string; socket: () => net.Socket; ready: string }[] = [
      { what: 'plain TCP', socket: () => net.connect({ host: '127.0.0.1', port: member.bus }), ready: 'connect' },
      {
        what: 'TLS, no certificate',
        socket: () => tls.connect({ host: '127.0.0.1', port: member.bus, ca: readFileSync(cert('ca.crt')), checkServerIdentity: () => undefined }),
        ready: 'secureConnect',
      },
      {
        what: 'TLS, another CA\'s certificate',
        socket: () =>
          tls.connect({ host: '127.0.0.1', port: member.bus, ca: readFileSync(cert('ca.crt')), cert: readFileSync(cert('rogue.crt')), key: readFileSync(cert('rogue.key')), checkServerIdentity: () => undefined }),
        ready: 'secureConnect',
      },
    ];
    for (const a of attempts) {
      for (const type of [MsgType.MEET, MsgType.PING]) {
        const r = await exchange(a.socket(), a.ready, Buffer.concat([stranger(type, 7000), stranger(type, 7002)]), 5000);
        assert.equal(r.frames, 0, `${a.what}: no reply to a ${type === MsgType.MEET ? 'MEET' : 'PING'}`);
        assert.ok(r.closed, `${a.what}: the connection is closed`);
      }
    }
    assert.equal(await knownNodes(member), 1);
    assert.equal(await nodesOf(member), before);
    // The same MEET from a holder of a cluster certificate is answered: the door is the certificate.
    const good = await exchange(
      tls.connect({ host: '127.0.0.1', port: member.bus, ...clientTls(certs), checkServerIdentity: () => undefined }),
      'secureConnect',
      stranger(MsgType.MEET, 7000),
      5000,
    );
    assert.equal(good.frames, 1, 'a PONG to a MEET over an authenticated link');
  });

  test('CONFIG SET of the certificates reaches the bus listener; a broken one is refused', async () => {
    const busCertificate = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: member.bus, ...clientTls(certs), checkServerIdentity: () => undefined }, () => {
          resolve(String(s.getPeerCertificate().subject.CN));
          s.destroy();
        });
        s.on('error', reject);
      });
    assert.equal(await busCertificate(), 'localhost');
    assert.equal(await secure(member, 'CONFIG', 'SET', 'tls-cert-file', cert('server2.crt'), 'tls-key-file', cert('server2.key')), 'OK');
    assert.equal(await busCertificate(), 'rotated');
    await assert.rejects(secure(member, 'CONFIG', 'SET', 'tls-client-cert-file', join(certs, 'missing.crt')), /Unable to update TLS configuration/);
    assert.equal(await secure(member, 'CONFIG', 'SET', 'tls-cert-file', cert('server.crt'), 'tls-key-file', cert('server.key')), 'OK');
    assert.equal(await busCertificate(), 'localhost');
  });

  test('garbage, slow handshakes and a flood of idle connections on the TLS bus port leave the node answering', async () => {
    // Garbage in place of a ClientHello.
    for (let i = 0; i < 20; i++) {
      // A few bytes may look like the start of a record: then the handshake time (5 s) ends it.
      const r = await exchange(net.connect({ host: '127.0.0.1', port: member.bus }), 'connect', randomBytes(1 + i * 100), 8000);
      assert.ok(r.closed);
      assert.equal(r.frames, 0);
    }
    // A ClientHello dripped a byte at a time never finishes: the handshake is cut off in time.
    const drip = net.connect({ host: '127.0.0.1', port: member.bus });
    const hello = Buffer.from('16030100f4010000f00303', 'hex');
    let sent = 0;
    const dripper = setInterval(() => {
      if (sent < hello.length && !drip.destroyed) drip.write(hello.subarray(sent, ++sent));
    }, 400);
    const dripStart = Date.now();
    const dripClosed = new Promise<number>((resolve) => {
      drip.on('error', () => undefined);
      drip.on('close', () => resolve(Date.now() - dripStart));
    });
    // Idle connections past the cap of handshakes under way: the excess is closed at once.
    const idle = await Promise.all(
      Array.from({ length: 300 }, () => new Promise<net.Socket>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: member.bus }, () => resolve(s));
        s.on('error', () => undefined);
      })),
    );
    await until('the connections past 256 handshakes are closed', () => idle.filter((s) => s.destroyed || s.readyState !== 'open').length >= 300 - 256, 5000);
    assert.equal(await plain(member.port, 'PING'), '+PONG\r\n');
    assert.ok(await clusterOk(member));
    await until('every idle handshake is cut off', () => idle.every((s) => s.destroyed || s.readyState !== 'open'), 15000);
    const elapsed = await dripClosed;
    clearInterval(dripper);
    assert.ok(elapsed < 12000, `the slow handshake was closed after ${elapsed} ms`);
    assert.equal(await plain(member.port, 'PING'), '+PONG\r\n');
    assert.equal(await knownNodes(member), 1);
  });
});

describe('starting with tls-cluster', () => {
  test('without a CA, or without a tls-port, the node refuses to start', async () => {
    // Clients need no certificate here: only the bus asks for the CA.
    const noCa = ['--tls-cert-file', cert('server.crt'), '--tls-key-file', cert('server.key')];
    await assert.rejects(startNode(['--tls-auth-clients', 'no'], noCa), /Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster/);
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-tlsnode-'));
    await assert.rejects(startRedoubt(['--cluster-enabled', 'yes', '--tls-cluster', 'yes', ...tlsArgs(certs)], { cwd: dir }), /tls-cluster needs a tls-port/);
  });
});
