// A/B comparison of two Redoubt builds (two `dist` directories) under redis-benchmark, by the
// server's CPU time per request: on a shared, noisy machine that figure moves far less than ops/s,
// so it shows whether a hot-path change helped. The builds run side by side and alternate.
//
// Run: node dist/bench/ab.js OLD_DIST NEW_DIST [--test get] [--pipeline 16] [--requests 1000000] [--reps 8]
//        [--fill N]   (N pipelined SETs over the same 100,000 names first, so that GETs find keys)
//        [--warmup N] (N requests of the test itself first, unmeasured: the JIT settles and the
//                      one key of LPUSH, SADD, HSET or ZADD reaches its size before measuring)
//        [--script BODY --args 'NUMKEYS ARG...'] (instead of --test: EVALSHA of BODY, loaded into
//                      both builds with SCRIPT LOAD, with these arguments; __rand_int__ as in -r)
// where OLD_DIST is, e.g., a copy of dist/ saved before the change (cp -r dist /tmp/before).

import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { freePort } from '../test/helpers/servers.js';
import { cpuSeconds } from './memory.js';
import { redisBenchmark, redisBenchmarkCommand, type BenchRun } from './redis-benchmark.js';
import { loadScript } from './socket.js';
import { median } from './stats.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    test: { type: 'string', default: 'get' },
    pipeline: { type: 'string', default: '16' },
    requests: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '8' },
    fill: { type: 'string', default: '0' },
    warmup: { type: 'string', default: '0' },
    script: { type: 'string' },
    args: { type: 'string', default: '0' },
  },
});

interface Build {
  dist: string;
  port: number;
  child: ChildProcess;
  cpu: number[];
  rps: number[];
}

async function start(dist: string): Promise<Build> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(resolve(dist), 'src/cli/main.js'), '--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
    stdio: 'ignore',
    // Benchmarks run as whoever runs them, which the server refuses for root unless allowed.
    env: { REDOUBT_ALLOW_ROOT: 'yes', ...process.env },
  });
  await ready(port);
  return { dist, port, child, cpu: [], rps: [] };
}

/**
 * Waits until the server answers PING: on a loaded machine Node can take seconds to start, and
 * redis-benchmark started against a port nobody listens on yet spins forever instead of failing.
 */
async function ready(port: number): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    const pong = await new Promise<boolean>((resolvePing) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => s.write('PING\r\n'));
      s.once('data', (d: Buffer) => {
        s.destroy();
        resolvePing(d.toString('latin1').startsWith('+PONG'));
      });
      s.once('error', () => resolvePing(false));
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no server answered on port ${port}`);
}

/** One measured (or warm-up) run: the -t test, or EVALSHA of --script. Ops/s. */
async function runOnce(port: number, pipeline: number, requests: number, evalsha: readonly string[] | null): Promise<number> {
  const run: Omit<BenchRun, 'tests'> = { port, clients: 50, pipeline, requests, keyspace: 100_000 };
  if (evalsha !== null) return redisBenchmarkCommand(run, evalsha);
  const rps = await redisBenchmark({ ...run, tests: [opts.test] });
  return [...rps.values()][0] ?? 0;
}

async function main(): Promise<void> {
  if (positionals.length !== 2) throw new Error('usage: ab.js OLD_DIST NEW_DIST [--test get] [--pipeline 16] [--requests N] [--reps N] [--fill N] [--warmup N] [--script BODY --args ARGS]');
  const builds = [await start(positionals[0]!), await start(positionals[1]!)];
  try {
    const requests = Number(opts.requests);
    // Reads of a key that exists cost more than misses: --fill N SETs keys first, unmeasured.
    const fill = Number(opts.fill);
    if (fill > 0) {
      for (const b of builds) await redisBenchmark({ port: b.port, tests: ['set'], clients: 50, pipeline: 16, requests: fill, keyspace: 100_000 });
    }
    let evalsha: string[] | null = null;
    if (opts.script !== undefined) {
      const shas = new Set<string>();
      for (const b of builds) shas.add(await loadScript(b.port, opts.script));
      const [sha] = shas;
      if (sha === undefined || shas.size !== 1) throw new Error('the builds disagree on a SHA1');
      evalsha = ['EVALSHA', sha, ...opts.args.split(' ').filter((a) => a !== '')];
    }
    const warmup = Number(opts.warmup);
    if (warmup > 0) {
      for (const b of builds) await runOnce(b.port, Number(opts.pipeline), warmup, evalsha);
    }
    for (let rep = 0; rep < Number(opts.reps); rep++) {
      for (const b of rep % 2 === 0 ? builds : [...builds].reverse()) {
        const pid = b.child.pid!;
        const before = cpuSeconds(pid);
        const rps = await runOnce(b.port, Number(opts.pipeline), requests, evalsha);
        b.cpu.push(((cpuSeconds(pid) - before) / requests) * 1e6);
        b.rps.push(rps);
      }
    }
    for (const b of builds) {
      process.stdout.write(
        `${b.dist.padEnd(24)} CPU µs/op ${b.cpu.map((x) => x.toFixed(2)).join(' ')}  median ${median(b.cpu).toFixed(2)}   ops/s median ${Math.round(median(b.rps))}\n`,
      );
    }
    // Each round runs both builds back to back, under about the same load: the ratio of a round
    // moves less than either figure when the machine's load drifts during the run.
    const [a, b] = builds;
    if (a !== undefined && b !== undefined) {
      const ratios = a.cpu.map((x, i) => (b.cpu[i] ?? x) / x);
      process.stdout.write(`second ÷ first, per round: ${ratios.map((r) => r.toFixed(2)).join(' ')}  median ${median(ratios).toFixed(3)}\n`);
    }
  } finally {
    for (const b of builds) b.child.kill();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
