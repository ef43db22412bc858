// EVALSHA throughput: the same scripts loaded into redis-server and Redoubt, driven by
// redis-benchmark in one run, servers alternating first place; medians and ratios printed as a
// Markdown table for docs/benchmarks.md, with server CPU µs per call.
//
// Run:   npm run build && node dist/bench/evalsha.js [--reps 3] [--requests 100000] [--pipelines 1,16]

import { parseArgs } from 'node:util';
import { startRedis, startRedoubt, type RunningServer } from '../test/helpers/servers.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { redisBenchmarkCommand } from './redis-benchmark.js';
import { cpuSeconds } from './memory.js';
import { fmtRate, median, type Name, turnOrder } from './stats.js';

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

async function load(server: RunningServer, body: string): Promise<string> {
  const c = await RawClient.connect(server.port);
  try {
    const reply = await c.call('SCRIPT', 'LOAD', body);
    const sha = /^\$40\r\n([0-9a-f]{40})\r\n$/.exec(reply)?.[1];
    if (sha === undefined) throw new Error(`SCRIPT LOAD answered ${JSON.stringify(reply)}`);
    return sha;
  } finally {
    c.close();
  }
}

async function main(): Promise<void> {
  const servers: Record<Name, RunningServer> = { redis: await startRedis(), redoubt: await startRedoubt() };
  const rows: string[] = [];
  try {
    let i = 0;
    for (const pipeline of opts.pipelines.split(',').map(Number)) {
      for (const script of SCRIPTS) {
        const sha = await load(servers.redis, script.body);
        if ((await load(servers.redoubt, script.body)) !== sha) throw new Error('the two servers disagree on a SHA1');
        const argv = ['EVALSHA', sha, ...script.args];
        const runs: Record<Name, { rps: number[]; cpu: number[] }> = { redis: { rps: [], cpu: [] }, redoubt: { rps: [], cpu: [] } };
        for (let rep = 0; rep < REPS; rep++) {
          const order = turnOrder(rep + i);
          for (const name of order) {
            const pid = servers[name].process.pid!;
            const cpu0 = cpuSeconds(pid);
            const rps = await redisBenchmarkCommand({ port: servers[name].port, clients: CLIENTS, pipeline, requests: REQUESTS, keyspace: KEYSPACE }, argv);
            const cpuUs = ((cpuSeconds(pid) - cpu0) / REQUESTS) * 1e6;
            runs[name].rps.push(rps);
            runs[name].cpu.push(cpuUs);
            process.stderr.write(`P${pipeline} ${script.label} rep ${rep + 1} ${name}: ${fmtRate(rps)} calls/s, ${cpuUs.toFixed(2)} CPU µs/call\n`);
          }
        }
        i++;
        const redis = median(runs.redis.rps);
        const redoubt = median(runs.redoubt.rps);
        rows.push(
          `| ${script.label} | P${pipeline} | ${fmtRate(redis)} | ${fmtRate(redoubt)} | ${(redoubt / redis).toFixed(2)}× | ${median(runs.redis.cpu).toFixed(2)} | ${median(runs.redoubt.cpu).toFixed(2)} |`,
        );
      }
    }
  } finally {
    await Promise.all([servers.redis.stop(), servers.redoubt.stop()]);
  }
  process.stdout.write(
    [
      `EVALSHA: ${fmtRate(REQUESTS)} calls per run, ${CLIENTS} clients, keys drawn from ${fmtRate(KEYSPACE)}, median of ${REPS}`,
      '',
      '| script | pipeline | Redis calls/s | Redoubt calls/s | Redoubt/Redis | CPU µs/call Redis | Redoubt |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
