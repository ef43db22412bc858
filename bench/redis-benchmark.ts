// Runs Debian's `redis-benchmark` against one server and parses its `--csv` output into ops/s per
// test. The same binary drives both servers, so the client side costs the same for each.

import { spawn } from 'node:child_process';

export interface BenchRun {
  port: number;
  /** redis-benchmark test names, e.g. ['set', 'get']. */
  tests: readonly string[];
  clients: number;
  pipeline: number;
  requests: number;
  /** -r: keys are drawn from this many random names (0: one fixed key). */
  keyspace: number;
  /** --cluster: the clients are spread over the cluster's primaries, each using keys of its node's slots. */
  cluster?: boolean;
}

/** The argument list, also printed into the report so the numbers can be reproduced. */
export function benchArgs(run: BenchRun): string[] {
  const args = ['-h', '127.0.0.1', '-p', String(run.port), '-c', String(run.clients), '-P', String(run.pipeline)];
  args.push('-n', String(run.requests), '-t', run.tests.join(','), '--csv');
  if (run.keyspace > 0) args.push('-r', String(run.keyspace));
  if (run.cluster === true) args.push('--cluster');
  return args;
}

/** Ops/s by upper-case test name as redis-benchmark reports it (SET, GET, INCR, "MSET (10 keys)"). */
export async function redisBenchmark(run: BenchRun): Promise<Map<string, number>> {
  const out = await capture('redis-benchmark', benchArgs(run));
  return parseCsv(out);
}

/** Ops/s of one arbitrary command (redis-benchmark's trailing-argv mode, `__rand_int__` in an
 *  argument is replaced by a random number below the keyspace). */
export async function redisBenchmarkCommand(run: Omit<BenchRun, 'tests'>, argv: readonly string[]): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(run.port), '-c', String(run.clients), '-P', String(run.pipeline)];
  args.push('-n', String(run.requests), '--csv');
  if (run.keyspace > 0) args.push('-r', String(run.keyspace));
  const rates = parseCsv(await capture('redis-benchmark', [...args, ...argv]));
  const [first] = rates.values();
  if (first === undefined) throw new Error(`redis-benchmark printed no result for ${argv.join(' ')}`);
  return first;
}

export function parseCsv(csv: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of csv.split('\n')) {
    const cells = line.trim().split('","');
    if (cells.length < 2) continue;
    const name = cells[0]!.replace(/^"/, '');
    const rps = Number(cells[1]!.replace(/"$/, ''));
    if (name === 'test' || !Number.isFinite(rps)) continue;
    result.set(name, rps);
  }
  return result;
}

function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // "Could not fetch server CONFIG" and similar warnings are expected; kept only for failures.
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${err}`));
    });
  });
}
