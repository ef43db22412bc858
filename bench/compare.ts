// Load comparison against the servers a user would pick instead (Redis 7.0, Valkey 8.0, Redis 8.0):
// throughput under redis-benchmark, memory per key and idle memory, all servers measured in one run
// on the same machine, results written to docs/benchmarks.md.
//
// Run:   npm run bench                      (builds, then the full run: a few minutes)
//        node dist/bench/compare.js --quick (one short repetition, no report file)
// Options: --reps N (default 3)   --keys N (memory test, default 1000000)   --no-memory
//          --no-throughput   --out FILE (default docs/benchmarks.md)   --no-write
//          --tests set,get,incr,mset,lpush,lpop,sadd,hset,zadd,lrange_100   --pipelines 1,16
//          --appendfsync everysec|always|no: every server with appendonly yes and that policy, each
//          in its own temporary --dir; throughput only, the table printed in Markdown and the page
//          left alone (it holds the run with persistence off)
// Needs redis-server, valkey-server and redis-benchmark on PATH (Debian: redis-server, valkey-server,
// redis-tools); Redis 8.0 from REDIS8_SERVER or /opt/redis8/src/redis-server, left out when absent.
//
// The machine is shared and noisy, so every configuration runs several times with the servers
// taking turns in a rotating order, and the median is reported.

import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import os from 'node:os';
import net from 'node:net';
import { startRedoubt, type RunningServer } from '../test/helpers/servers.js';
import { peers, REDOUBT, rotation, type ServerKind } from './peers.js';
import { redisBenchmark, benchArgs, type BenchRun } from './redis-benchmark.js';
import { cpuSeconds, loadKeys, rss, warmUp } from './memory.js';
import { NOTES_MARKER, renderMarkdown, renderTable, renderThroughputMarkdown, type MemoryResult, type MemorySample, type Results, type ThroughputRow } from './report.js';
import { median } from './stats.js';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    keys: { type: 'string', default: '1000000' },
    quick: { type: 'boolean', default: false },
    'no-memory': { type: 'boolean', default: false },
    'no-throughput': { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    'no-write': { type: 'boolean', default: false },
    tests: { type: 'string', default: 'set,get,incr,mset,lpush,lpop,sadd,hset,zadd,lrange_100' },
    pipelines: { type: 'string', default: '1,16' },
    appendfsync: { type: 'string', default: '' },
  },
});

const QUICK = opts.quick;
const REPS = QUICK ? 1 : Number(opts.reps);
const KEYS = QUICK ? 200_000 : Number(opts.keys);
const WANTED = opts.tests.split(',');
const FSYNC = opts.appendfsync;
if (FSYNC !== '' && !['everysec', 'always', 'no'].includes(FSYNC)) throw new Error(`--appendfsync ${FSYNC}: everysec, always or no`);
/** A few seconds per test per server (pipelined runs go ~10x faster), so that the ten tests × two
 *  depths × three repetitions × four servers of a full run stay within about twenty minutes. */
const CONFIGS = opts.pipelines.split(',').map((p) => {
  const pipeline = Number(p);
  return { pipeline, requests: (pipeline === 1 ? 100_000 : 1_000_000) / (QUICK ? 4 : 1) };
});
/** Tests whose requests do about ten times the work of a SET get a fifth of the requests: an MSET
 *  writes 10 keys; an LRANGE_100 replies with 100 elements (and redis-benchmark first pushes as
 *  many elements as it will send LRANGEs). */
const HEAVY = new Set(['mset', 'lrange_100']);
const CLIENTS = 50;
const KEYSPACE = 100_000;
const VALUE = 'abc';

async function main(): Promise<void> {
  const kinds = [...peers(), REDOUBT];
  const results: Results = {
    date: new Date().toISOString().slice(0, 10),
    machine: machineNotes(),
    command: 'npm run bench' + (process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''),
    reps: REPS,
    servers: kinds.map(({ name, label }) => ({ name, label })),
    throughput: [],
    memory: null,
  };

  if (!opts['no-throughput']) {
    const servers: { kind: ServerKind; server: RunningServer; rps: number[]; cpu: number[] }[] = [];
    const dirs: string[] = [];
    try {
      for (const kind of kinds) {
        let args: string[] = [];
        if (FSYNC !== '') {
          const dir = mkdtempSync(join(os.tmpdir(), `redoubt-bench-aof-${kind.name}-`));
          dirs.push(dir);
          args = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', FSYNC];
        }
        const server = await kind.start(args);
        servers.push({ kind, server, rps: [], cpu: [] });
        if (FSYNC !== '') await expectInfo(server.port, 'persistence', 'aof_enabled', '1', kind.label);
      }
      const redoubt = servers.find((s) => s.kind === REDOUBT)?.server;
      if (redoubt === undefined) throw new Error('Redoubt did not start');
      let tests = [];
      for (const t of WANTED) if (await commandExists(redoubt.port, t.split('_')[0]!)) tests.push(t);
      // Until the string family exists, the harness still measures the protocol path.
      if (tests.length === 0) tests = ['ping_mbulk'];
      log(`tests: ${tests.join(', ')}; ${REPS} repetition(s); servers: ${kinds.map((k) => k.label).join(', ')}`);
      for (const cfg of CONFIGS) {
        for (const [i, test] of tests.entries()) {
          for (const s of servers) {
            s.rps = [];
            s.cpu = [];
          }
          let label = test;
          const requests = HEAVY.has(test) ? cfg.requests / 5 : cfg.requests;
          for (let rep = 0; rep < REPS; rep++) {
            for (const mine of rotation(servers, rep + i)) {
              const { kind, server } = mine;
              const run: BenchRun = { port: server.port, tests: [test], clients: CLIENTS, pipeline: cfg.pipeline, requests, keyspace: KEYSPACE };
              const cpu0 = cpuSeconds(server.process.pid!);
              const rps = await redisBenchmark(run);
              const cpu = ((cpuSeconds(server.process.pid!) - cpu0) / requests) * 1e6;
              for (const [name2, v] of rps) {
                // -t lrange_100 first runs "LPUSH (needed to benchmark LRANGE)" to fill its list.
                if (name2.includes('needed to benchmark')) continue;
                label = name2;
                mine.rps.push(v);
              }
              mine.cpu.push(cpu);
              log(`P${cfg.pipeline} ${label} rep ${rep + 1} ${kind.label}: ${Math.round(mine.rps.at(-1) ?? 0)} ops/s, ${cpu.toFixed(2)} CPU µs/op`);
            }
          }
          const row: ThroughputRow = { test: label, pipeline: cfg.pipeline, ops: {}, runs: {}, cpu: {} };
          for (const s of servers) {
            row.ops[s.kind.name] = median(s.rps);
            row.runs[s.kind.name] = s.rps;
            row.cpu[s.kind.name] = median(s.cpu);
          }
          results.throughput.push(row);
        }
        results.benchArgs ??= [];
        results.benchArgs.push(
          'redis-benchmark ' +
            benchArgs({ port: 0, tests: [tests.join('|')], clients: CLIENTS, pipeline: cfg.pipeline, requests: cfg.requests, keyspace: KEYSPACE })
              .join(' ')
              .replace('-p 0', '-p PORT'),
        );
      }
    } finally {
      await Promise.all(servers.map((s) => s.server.stop()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }

  if (!opts['no-memory'] && FSYNC === '') {
    if (await probe((s) => commandExists(s.port, 'set'))) {
      const memory: MemoryResult = { keys: KEYS, value: VALUE, servers: {} };
      for (const k of kinds) memory.servers[k.name] = await measureMemory(k);
      results.memory = memory;
    } else {
      log('memory test skipped: Redoubt has no SET yet');
    }
  }

  process.stdout.write('\n' + renderTable(results) + '\n');
  if (FSYNC !== '') {
    process.stdout.write(`\nappendonly yes, appendfsync ${FSYNC} (${results.command}, ${results.date}):\n\n${renderThroughputMarkdown(results)}\n`);
  } else if (!QUICK && !opts['no-write']) {
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderMarkdown(results) + keptNotes(out));
    log(`wrote ${out}`);
  }
}

/** The hand-written part of an existing report: everything from NOTES_MARKER on. */
function keptNotes(path: string): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(NOTES_MARKER);
  return at === -1 ? '' : '\n' + text.slice(at);
}

/** RSS of a fresh server when idle, then, after warm-up traffic, before and after KEYS keys are written. */
async function measureMemory(kind: ServerKind): Promise<MemorySample> {
  const server = await kind.start();
  try {
    const pid = server.process.pid!;
    await sleep(1000);
    const idle = rss(pid);
    await warmUp(server.port, KEYS);
    await sleep(500);
    const before = rss(pid);
    const t0 = performance.now();
    await loadKeys(server.port, KEYS, VALUE);
    // Let the dust settle (Node finishes incremental GC work when idle).
    await sleep(2000);
    const after = rss(pid);
    log(`memory ${kind.label}: idle ${mb(idle)} MB; ${KEYS} keys in ${Math.round(performance.now() - t0)} ms, RSS ${mb(before)} → ${mb(after)} MB`);
    return { idle, before, after };
  } finally {
    await server.stop();
  }
}

async function probe<T>(fn: (s: RunningServer) => Promise<T>): Promise<T> {
  const s = await startRedoubt();
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/** Throws unless INFO `section` of the server on `port` reports `field` as `want`. */
async function expectInfo(port: number, section: string, field: string, want: string, who: string): Promise<void> {
  const text = await new Promise<string>((resolvePromise, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(`INFO ${section}\r\n`));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const eol = got.indexOf('\r\n');
      if (eol !== -1 && got.length >= eol + 2 + Number(got.slice(1, eol)) + 2) {
        s.destroy();
        resolvePromise(got);
      }
    });
    s.once('error', reject);
  });
  const value = new RegExp(`\r\n${field}:([^\r]*)\r\n`).exec(text)?.[1];
  if (value !== want) throw new Error(`${who}: ${field} is ${value ?? 'missing'}, expected ${want}`);
}

/** True when the server knows `name`: sent without arguments, it is not an unknown command. */
function commandExists(port: number, name: string): Promise<boolean> {
  return new Promise((resolvePromise, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(`${name}\r\n`));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) {
        s.destroy();
        resolvePromise(!got.startsWith('-ERR unknown command'));
      }
    });
    s.once('error', reject);
  });
}

function machineNotes(): string {
  const cpus = os.cpus();
  const version = (cmd: string) => {
    try {
      return execFileSync(cmd, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return `${cmd}: unknown`;
    }
  };
  return [
    `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'} (shared virtual machine: expect noise)`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`,
    `Node ${process.version}; ${version('redis-benchmark')}`,
    version('redis-server'),
    version('valkey-server'),
    ...(process.env['REDIS8_SERVER'] ? [version(process.env['REDIS8_SERVER'])] : []),
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => (b / 1e6).toFixed(1);
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
