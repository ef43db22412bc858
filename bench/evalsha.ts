// EVALSHA throughput: the same scripts loaded into Redis 7.0, Valkey 8.0, Redis 8.0 and Redoubt,
// driven by redis-benchmark in one run, servers taking turns; medians and ratios printed as a
// Markdown table for docs/benchmarks.md, with server CPU µs per call.
//
// Run:   npm run build && node dist/bench/evalsha.js [--reps 3] [--requests 100000] [--pipelines 1,16]

import { parseArgs } from 'node:util';
import type { RunningServer } from '../test/helpers/servers.js';
import { peers, REDOUBT, rotation, type ServerKind } from './peers.js';
import { loadScript } from './socket.js';
import { redisBenchmarkCommand } from './redis-benchmark.js';
import { cpuSeconds } from './memory.js';
import { fmtRate, median } from './stats.js';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    requests: { type: 'string', default: '100000' },
    pipelines: { type: 'string', default: '1,16' },
  },
});

const REPS = Number(opts.reps);
const REQUESTS = Number(opts.requests);
const CLIENTS = 50;
const KEYSPACE = 100_000;

interface Script {
  readonly label: string;
  readonly body: string;
  /** Arguments after the SHA, as redis-benchmark sends them. */
  readonly args: readonly string[];
}

/** From pure call overhead to the shape of a real rate limiter (read, write, expire, reply). */
const SCRIPTS: readonly Script[] = [
  { label: '`return 1`', body: 'return 1', args: ['0'] },
  { label: 'SET through redis.call', body: "return redis.call('SET', KEYS[1], ARGV[1])", args: ['1', 'key:__rand_int__', 'abc'] },
  {
    label: 'fixed-window limiter (INCR + PEXPIRE + PTTL)',
    body: "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return {n, redis.call('PTTL', KEYS[1])}",
    args: ['1', 'rl:__rand_int__', '60000'],
  },
];

async function main(): Promise<void> {
  const kinds = [...peers(), REDOUBT];
  const servers: { kind: ServerKind; server: RunningServer; rps: number[]; cpu: number[] }[] = [];
  const rows: string[] = [];
  try {
    for (const kind of kinds) servers.push({ kind, server: await kind.start(), rps: [], cpu: [] });
    let i = 0;
    for (const pipeline of opts.pipelines.split(',').map(Number)) {
      for (const script of SCRIPTS) {
        const shas = new Set<string>();
        for (const s of servers) shas.add(await loadScript(s.server.port, script.body));
        const [sha] = shas;
        if (sha === undefined || shas.size !== 1) throw new Error('the servers disagree on a SHA1');
        const argv = ['EVALSHA', sha, ...script.args];
        for (const s of servers) {
          s.rps = [];
          s.cpu = [];
        }
        for (let rep = 0; rep < REPS; rep++) {
          for (const s of rotation(servers, rep + i)) {
            const pid = s.server.process.pid;
            if (pid === undefined) throw new Error(`${s.kind.label} has no pid`);
            const cpu0 = cpuSeconds(pid);
            const rps = await redisBenchmarkCommand({ port: s.server.port, clients: CLIENTS, pipeline, requests: REQUESTS, keyspace: KEYSPACE }, argv);
            const cpuUs = ((cpuSeconds(pid) - cpu0) / REQUESTS) * 1e6;
            s.rps.push(rps);
            s.cpu.push(cpuUs);
            process.stderr.write(`P${pipeline} ${script.label} rep ${rep + 1} ${s.kind.label}: ${fmtRate(rps)} calls/s, ${cpuUs.toFixed(2)} CPU µs/call\n`);
          }
        }
        i++;
        const ops = servers.map((s) => median(s.rps));
        const mine = ops.at(-1) ?? NaN;
        const best = Math.max(...ops.slice(0, -1));
        const goal = pipeline === 1 ? 0.7 : 0.6;
        rows.push(
          `| ${script.label} | P${pipeline} | ${ops.map(fmtRate).join(' | ')} | ${ops
            .slice(0, -1)
            .map((o) => (mine / o).toFixed(2) + '×')
            .join(' | ')} | ≥ ${goal}× | ${mine / best >= goal ? 'ok' : 'BELOW'} | ${servers.map((s) => median(s.cpu).toFixed(2)).join(' | ')} |`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.server.stop()));
  }
  const labels = kinds.map((k) => k.label);
  const peerLabels = labels.slice(0, -1);
  process.stdout.write(
    [
      `EVALSHA: ${fmtRate(REQUESTS)} calls per run, ${CLIENTS} clients, keys drawn from ${fmtRate(KEYSPACE)}, median of ${REPS}`,
      '',
      `| script | pipeline | ${labels.map((l) => `${l} calls/s`).join(' | ')} | ${peerLabels.map((l) => `÷ ${l}`).join(' | ')} | target (÷ best) | status | ${labels.map((l) => `CPU µs/call ${l}`).join(' | ')} |`,
      `| --- | --- |${labels.map(() => ' ---: |').join('')}${peerLabels.map(() => ' ---: |').join('')} --- | --- |${labels.map(() => ' ---: |').join('')}`,
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
