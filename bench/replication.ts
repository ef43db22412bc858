// Replication beside Redis 7.0, Valkey 8.0 and Redis 8.0 (when present), each primary replicated to
// a replica of its own kind, all on loopback, the servers taking turns:
//   1. A full sync of N keys (DEBUG POPULATE): the time from REPLICAOF on a running replica to
//      its link being up with every key, and the longest PING round trip another client of the primary
//      sees meanwhile (the primary's stall while it serves the sync).
//   2. The primary's SET throughput (redis-benchmark, pipeline 16) with 0, 1 and 2 replicas
//      attached: what propagating the stream costs.
//
// Run:   npm run bench:replication
//        node dist/bench/replication.js [--keys 1000000] [--requests 500000] [--reps 1]
// Needs redis-server, valkey-server and redis-benchmark on PATH. Prints a markdown report.

import { parseArgs } from 'node:util';
import net from 'node:net';
import { redis8Path, startRedis, startRedis8, startRedoubt, startValkey, type RunningServer } from '../test/helpers/servers.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { peers, rotation, type ServerName } from './peers.js';
import { redisBenchmark } from './redis-benchmark.js';
import { median } from './stats.js';

const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '500000' },
    reps: { type: 'string', default: '1' },
  },
});
const KEYS = Number(opts.keys);
const REQUESTS = Number(opts.requests);
const REPS = Number(opts.reps);

interface Kind {
  readonly name: ServerName;
  readonly label: string;
  readonly start: (args: string[]) => Promise<RunningServer>;
}

// repl-diskless-sync-delay 0: Redis and Valkey otherwise wait 5 s for more replicas before a full
// sync starts; Redoubt accepts the directive and has no such wait (docs/replication.md).
const COMMON = ['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0'];
const kinds: Kind[] = [
  ...peers().map((p): Kind => {
    const start = p.name === 'valkey' ? startValkey : p.name === 'redis8' && redis8Path() !== null ? startRedis8 : startRedis;
    return { name: p.name, label: p.label, start: (args) => start([...COMMON, ...args]) };
  }),
  { name: 'redoubt', label: 'Redoubt', start: (args) => startRedoubt([...COMMON, '--replica-allowed-primaries', '127.0.0.1', ...args]) },
];

async function field(c: RawClient, section: string, name: string): Promise<string> {
  const m = new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec(await c.call('INFO', section));
  return m?.[1] ?? '';
}

/** PINGs `port` back to back until stopped; the longest round trip in ms. */
function pingProbe(port: number): { stop: () => Promise<number> } {
  const socket = net.connect(port, '127.0.0.1');
  let longest = 0;
  let sentAt = 0;
  let running = true;
  let done: (v: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const send = (): void => {
    sentAt = performance.now();
    socket.write('PING\r\n');
  };
  socket.on('connect', send);
  socket.on('data', () => {
    longest = Math.max(longest, performance.now() - sentAt);
    if (running) setTimeout(send, 1);
    else {
      socket.destroy();
      done(longest);
    }
  });
  return {
    stop: () => {
      running = false;
      return finished;
    },
  };
}

async function waitSynced(replica: RawClient, keys: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await field(replica, 'replication', 'master_link_status')) === 'up' && Number(await replica.call('DBSIZE').then((r) => r.slice(1))) >= keys) return;
    if (Date.now() > deadline) throw new Error('the replica did not finish its sync in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface SyncResult {
  seconds: number;
  stallMs: number;
}

async function fullSync(kind: Kind): Promise<SyncResult> {
  const primary = await kind.start([]);
  const p = await RawClient.connect(primary.port);
  let replica: RunningServer | null = null;
  try {
    await p.call('DEBUG', 'POPULATE', String(KEYS), 'key', '16');
    replica = await kind.start([]);
    const r = await RawClient.connect(replica.port);
    const probe = pingProbe(primary.port);
    const t0 = performance.now();
    await r.call('REPLICAOF', '127.0.0.1', String(primary.port));
    await waitSynced(r, KEYS, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    r.close();
    return { seconds, stallMs: await probe.stop() };
  } finally {
    p.close();
    await replica?.stop();
    await primary.stop();
  }
}

async function throughput(kind: Kind, replicas: number): Promise<number> {
  const primary = await kind.start([]);
  const started: RunningServer[] = [];
  try {
    const p = await RawClient.connect(primary.port);
    for (let i = 0; i < replicas; i++) started.push(await kind.start(['--replicaof', '127.0.0.1', String(primary.port)]));
    const deadline = Date.now() + 60_000;
    while ((await field(p, 'replication', 'connected_slaves')) !== String(replicas) || (await p.call('INFO', 'replication')).includes('state=wait_bgsave')) {
      if (Date.now() > deadline) throw new Error('replicas did not attach');
      await new Promise((r) => setTimeout(r, 50));
    }
    p.close();
    const rates = await redisBenchmark({ port: primary.port, tests: ['set'], clients: 50, pipeline: 16, requests: REQUESTS, keyspace: 100000 });
    return rates.get('SET') ?? 0;
  } finally {
    for (const s of started) await s.stop();
    await primary.stop();
  }
}

const sync = new Map<ServerName, SyncResult[]>();
const sets = new Map<string, number[]>();
for (let rep = 0; rep < REPS; rep++) {
  for (const kind of rotation(kinds, rep)) {
    process.stderr.write(`[bench] ${kind.label}: full sync of ${KEYS} keys\n`);
    const list = sync.get(kind.name) ?? [];
    list.push(await fullSync(kind));
    sync.set(kind.name, list);
  }
  for (const n of [0, 1, 2]) {
    for (const kind of rotation(kinds, rep + n)) {
      process.stderr.write(`[bench] ${kind.label}: SET -P 16 with ${n} replica(s)\n`);
      const key = `${kind.name}:${n}`;
      sets.set(key, [...(sets.get(key) ?? []), await throughput(kind, n)]);
    }
  }
}

const fmt = (n: number, digits = 1): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ours = median((sync.get('redoubt') ?? []).map((s) => s.seconds));
const lines: string[] = [];
lines.push(`Full sync of ${KEYS.toLocaleString('en-US')} keys (DEBUG POPULATE, 16-byte values), each primary to a replica of its own kind, each server's default sync (diskless for all four) with \`repl-diskless-sync-delay 0\`, median of ${REPS}:`);
lines.push('');
lines.push('| primary → replica | sync time s | Redoubt ÷ it (time) | longest PING on the primary meanwhile, ms |');
lines.push('| --- | ---: | ---: | ---: |');
for (const kind of kinds) {
  const runs = sync.get(kind.name) ?? [];
  const s = median(runs.map((r) => r.seconds));
  lines.push(`| ${kind.label} → ${kind.label} | ${fmt(s, 2)} | ${fmt(ours / s, 2)}× | ${fmt(median(runs.map((r) => r.stallMs)))} |`);
}
lines.push('');
lines.push(`SET throughput of the primary, \`redis-benchmark -c 50 -P 16 -n ${REQUESTS} -t set -r 100000\`, with replicas attached (ops/s, median of ${REPS}):`);
lines.push('');
lines.push('| server | 0 replicas | 1 replica | 2 replicas | 2 ÷ 0 |');
lines.push('| --- | ---: | ---: | ---: | ---: |');
for (const kind of kinds) {
  const at = (n: number): number => median(sets.get(`${kind.name}:${n}`) ?? []);
  lines.push(`| ${kind.label} | ${fmt(at(0), 0)} | ${fmt(at(1), 0)} | ${fmt(at(2), 0)} | ${fmt(at(2) / at(0), 2)}× |`);
}
process.stdout.write(lines.join('\n') + '\n');
