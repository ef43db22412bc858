// Cluster throughput beside Redis 7.0 and Valkey 8.0 (and Redis 8.0 when present): a cluster of 1
// and of 2 primaries of each server, all on loopback, built the same way for all (CLUSTER
// ADDSLOTSRANGE, MEET), driven by `redis-benchmark --cluster` (which spreads its clients over the
// primaries, each client using keys of its node's slots) on SET and GET, with and without
// pipelining. The aggregate rate of the whole cluster is what is reported, with Redoubt's ratio to
// each server and each server's 2 ÷ 1 scaling side by side.
//
// Run:   npm run bench:cluster
//        node dist/bench/cluster.js [--shards 1,2] [--requests 200000] [--reps 1] [--pipelines 1,16]
// Needs redis-server, valkey-server and redis-benchmark on PATH. Prints a markdown report.
//
// One Redoubt process uses one core, so shards are how it uses more than one; Redis 7.0 and Valkey
// 8.0 are single-threaded for commands too (io-threads off by default), so the shapes compare like
// for like. On a machine with fewer cores than shards plus the benchmark client, the shards compete
// with each other and with redis-benchmark: the report prints the core count.

import { parseArgs } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redis8Path, startRedis, startRedis8, startRedoubt, startValkey, type RunningServer } from '../test/helpers/servers.js';
import { command as reply } from '../test/helpers/raw-client.js';
import { peers, rotation, type ServerName } from './peers.js';
import { benchArgs, redisBenchmark, type BenchRun } from './redis-benchmark.js';
import { median } from './stats.js';

const { values: opts } = parseArgs({
  options: {
    shards: { type: 'string', default: '1,2' },
    requests: { type: 'string', default: '200000' },
    reps: { type: 'string', default: '1' },
    pipelines: { type: 'string', default: '1,16' },
  },
});
const SHARDS = opts.shards.split(',').map(Number);
const REQUESTS = Number(opts.requests);
const REPS = Number(opts.reps);
const PIPELINES = opts.pipelines.split(',').map(Number);
const CLIENTS = 50;
const KEYSPACE = 100_000;
const TESTS = ['SET', 'GET'];

interface Kind {
  readonly name: ServerName;
  readonly label: string;
  readonly start: (args: string[], dir: string) => Promise<RunningServer>;
}

const kinds: Kind[] = [
  { name: 'redoubt', label: 'Redoubt', start: (args, dir) => startRedoubt(args, { cwd: dir }) },
  ...peers().map((p): Kind => {
    const start =
      p.name === 'valkey'
        ? (args: string[]) => startValkey(args)
        : p.name === 'redis8' && redis8Path() !== null
          ? (args: string[], dir: string) => startRedis8(args, dir)
          : (args: string[], dir: string) => startRedis(args, dir);
    return { name: p.name, label: p.label, start };
  }),
];

/** `shards` primaries of one kind, each with an even share of the slots, met and ok. */
async function startCluster(kind: Kind, shards: number): Promise<RunningServer[]> {
  const nodes: RunningServer[] = [];
  const buses: number[] = [];
  try {
    for (let s = 0; s < shards; s++) {
      const dir = mkdtempSync(join(tmpdir(), `bench-cluster-${kind.name}-`));
      const bus = await freePort();
      buses.push(bus);
      const args = ['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', join(dir, 'nodes.conf')];
      nodes.push(await kind.start(args, dir));
    }
    for (const [s, n] of nodes.entries()) {
      const lo = Math.floor((s * 16384) / shards);
      const hi = Math.floor(((s + 1) * 16384) / shards) - 1;
      await reply(n.port, 'CLUSTER', 'ADDSLOTSRANGE', String(lo), String(hi));
      await reply(n.port, 'CLUSTER', 'SET-CONFIG-EPOCH', String(s + 1));
    }
    const [first, ...rest] = nodes;
    for (const n of rest) if (first !== undefined) await reply(n.port, 'CLUSTER', 'MEET', '127.0.0.1', String(first.port), String(buses[0]));
    const deadline = Date.now() + 60_000;
    for (const n of nodes) {
      for (;;) {
        const info = await reply(n.port, 'CLUSTER', 'INFO');
        if (info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${shards}\r\n`)) break;
        if (Date.now() > deadline) throw new Error(`${kind.label}: the cluster of ${shards} did not become ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return nodes;
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
}

/** redis-benchmark refuses --cluster with one node ("Invalid cluster: 1 node(s)"): a one-shard
 *  cluster, whose node owns every slot, is driven as one server. */
function run(port: number, pipeline: number, shards: number): BenchRun {
  return { port, tests: TESTS.map((t) => t.toLowerCase()), clients: CLIENTS, pipeline, requests: REQUESTS, keyspace: KEYSPACE, cluster: shards > 1 };
}

/** The machine's load when the run began: the cores are shared, and the numbers say so. */
const loadAtStart = loadavg()[0] ?? 0;
/** ops/s by `${kind}:${shards}:${pipeline}:${test}` over the repetitions. */
const rates = new Map<string, number[]>();
for (let rep = 0; rep < REPS; rep++) {
  for (const shards of SHARDS) {
    for (const kind of rotation(kinds, rep + shards)) {
      const nodes = await startCluster(kind, shards);
      try {
        const port = nodes[0]?.port ?? 0;
        for (const pipeline of PIPELINES) {
          process.stderr.write(`[bench] ${kind.label}, ${shards} shard(s), -P ${pipeline}\n`);
          const got = await redisBenchmark(run(port, pipeline, shards));
          for (const t of TESTS) {
            const key = `${kind.name}:${shards}:${pipeline}:${t}`;
            rates.set(key, [...(rates.get(key) ?? []), got.get(t) ?? 0]);
          }
        }
      } finally {
        await Promise.all(nodes.map((n) => n.stop()));
      }
    }
  }
}

const at = (kind: ServerName, shards: number, pipeline: number, test: string): number => median(rates.get(`${kind}:${shards}:${pipeline}:${test}`) ?? [0]);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const others = kinds.filter((k) => k.name !== 'redoubt');
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
const lines: string[] = [];
lines.push(
  `Aggregate ops/s of a cluster of N primaries on one machine (${availableParallelism()} cores, ${cpu}, load average ${loadAtStart.toFixed(1)} at the start), median of ${REPS}; ` +
    `\`redis-benchmark ${benchArgs(run(0, 0, 2)).join(' ').replace('-p 0', '-p <first node>').replace('-P 0', '-P <P>')}\` ` +
    '(without `--cluster` for one shard, which redis-benchmark refuses as a cluster: that node owns every slot):',
);
lines.push('');
const head = ['shards', 'test', 'pipeline', 'Redoubt', ...others.map((k) => k.label), ...others.map((k) => `Redoubt ÷ ${k.label}`)];
lines.push(`| ${head.join(' | ')} |`);
lines.push(`| ${head.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`);
for (const shards of SHARDS) {
  for (const pipeline of PIPELINES) {
    for (const t of TESTS) {
      const ours = at('redoubt', shards, pipeline, t);
      const cells = [String(shards), t, String(pipeline), fmt(ours), ...others.map((k) => fmt(at(k.name, shards, pipeline, t))), ...others.map((k) => ratio(ours, at(k.name, shards, pipeline, t)))];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
}
const [one, two] = SHARDS;
if (one !== undefined && two !== undefined) {
  lines.push('');
  lines.push(`Scaling, ${two} shards ÷ ${one} (the same server, the same test):`);
  lines.push('');
  const head2 = ['test', 'pipeline', ...kinds.map((k) => k.label)];
  lines.push(`| ${head2.join(' | ')} |`);
  lines.push(`| ${head2.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
  for (const pipeline of PIPELINES) {
    for (const t of TESTS) lines.push(`| ${[t, String(pipeline), ...kinds.map((k) => ratio(at(k.name, two, pipeline, t), at(k.name, one, pipeline, t)))].join(' | ')} |`);
  }
}
process.stdout.write(lines.join('\n') + '\n');
