// A/B comparison of two Redoubt builds on the command path alone: pipelined batches of
// redis-benchmark's requests go through the parser, the gate, the handler and the reply writer of
// a server built from each build, in this one process, without sockets. The kernel's share of a
// request (about half of it under redis-benchmark, and most of the noise on a shared machine) is
// left out, and the builds take turns in short bursts, so that a change of a few percent in the
// JavaScript path shows even while other work loads the machine. The figure is the process's CPU
// time per request during each build's bursts.
//
// Run: node dist/bench/dispatch.js OLD_DIST NEW_DIST [--test hset] [--requests 2000000] [--rounds 20] [--pipeline 16]
// Tests: set, get (keys set first), incr, mset, lpush, sadd, hset, zadd, as redis-benchmark -r 100000 sends them.

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { median } from './stats.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    test: { type: 'string', default: 'hset' },
    requests: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '20' },
    pipeline: { type: 'string', default: '16' },
  },
});

/** A number below 100,000 as redis-benchmark's __rand_int__ writes it (12 digits). */
function rand(): string {
  return String(Math.floor(Math.random() * 100_000)).padStart(12, '0');
}

/** One request of the test, as redis-benchmark sends it. */
function request(test: string): string[] {
  switch (test) {
    case 'set':
      return ['SET', `key:${rand()}`, 'xxx'];
    case 'get':
      return ['GET', `key:${rand()}`];
    case 'incr':
      return ['INCR', `counter:${rand()}`];
    case 'mset':
      return ['MSET', ...Array.from({ length: 10 }, () => [`key:${rand()}`, 'xxx']).flat()];
    case 'lpush':
      return ['LPUSH', 'mylist', 'xxx'];
    case 'sadd':
      return ['SADD', 'myset', `element:${rand()}`];
    case 'hset':
      return ['HSET', 'myhash', `element:${rand()}`, 'xxx'];
    case 'zadd':
      return ['ZADD', 'myzset', rand(), `element:${rand()}`];
    default:
      throw new Error(`unknown test ${test}`);
  }
}

function encode(argv: readonly string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
}

/** Pipelined batches, made before the clock starts. */
function batches(test: string, pipeline: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    for (let j = 0; j < pipeline; j++) s += encode(request(test));
    out.push(Buffer.from(s, 'latin1'));
  }
  return out;
}

/** A server of one build, fed from a client without a socket. */
interface Target {
  readonly dist: string;
  /** Runs `n` batches starting at batch `from`. */
  run(from: number, n: number): void;
  cpu: number[];
}

async function target(dist: string, bufs: readonly Buffer[]): Promise<Target> {
  const at = (p: string): string => pathToFileURL(join(resolve(dist), p)).href;
  const { createServer } = (await import(at('src/cli/compose.js'))) as typeof import('../src/cli/compose.js');
  const { createCommandTable } = (await import(at('src/commands/registry.js'))) as typeof import('../src/commands/registry.js');
  const { Config } = (await import(at('src/config/config.js'))) as typeof import('../src/config/config.js');
  const { Client } = (await import(at('src/server/client.js'))) as typeof import('../src/server/client.js');
  const { RespParser } = (await import(at('src/protocol/resp-parser.js'))) as typeof import('../src/protocol/resp-parser.js');
  const { processInput } = (await import(at('src/server/connection.js'))) as typeof import('../src/server/connection.js');
  const config = new Config();
  const save = config.lookup('save');
  if (save !== undefined) config.store(save, '');
  const server = createServer(config, createCommandTable(), []);
  server.log.level = 'nothing';
  const c = new Client(server, null);
  c.authenticated = true;
  const parser = new RespParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024, unauthenticated: false });
  c.parser = parser;
  server.clients.set(c.id, c);
  const feed = (batch: readonly Buffer[], from: number, n: number): void => {
    for (let i = from; i < from + n; i++) {
      parser.feed(batch[i % batch.length] ?? Buffer.alloc(0));
      processInput(c);
      c.reply.take();
    }
  };
  // GET finds its keys.
  if (opts.test === 'get') feed(batches('set', 16, 4096), 0, 100_000 / 16);
  return { dist, run: (from, n) => feed(bufs, from, n), cpu: [] };
}

async function main(): Promise<void> {
  if (positionals.length !== 2) throw new Error('usage: dispatch.js OLD_DIST NEW_DIST [--test hset] [--requests N] [--rounds N] [--pipeline 16]');
  const pipeline = Number(opts.pipeline);
  const bufs = batches(opts.test, pipeline, 8192);
  const targets = [await target(positionals[0] ?? '', bufs), await target(positionals[1] ?? '', bufs)];
  const rounds = Number(opts.rounds);
  const perBurst = Math.max(1, Math.round(Number(opts.requests) / rounds / pipeline));
  // Warm-up: the JIT settles and the one key of LPUSH, SADD, HSET or ZADD reaches its size.
  for (const t of targets) t.run(0, perBurst * 4);
  let from = perBurst * 4;
  for (let round = 0; round < rounds; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      const before = process.cpuUsage();
      t.run(from, perBurst);
      const used = process.cpuUsage(before);
      t.cpu.push((used.user + used.system) / (perBurst * pipeline));
    }
    from += perBurst;
  }
  for (const t of targets) {
    process.stdout.write(`${t.dist.padEnd(24)} CPU µs/op median ${median(t.cpu).toFixed(3)}  (${t.cpu.length} bursts of ${perBurst * pipeline})\n`);
  }
  const [a, b] = targets;
  if (a !== undefined && b !== undefined) {
    const ratios = a.cpu.map((x, i) => (b.cpu[i] ?? x) / x);
    process.stdout.write(`second ÷ first, per round: median ${median(ratios).toFixed(3)}, quartiles ${quantile(ratios, 0.25).toFixed(3)}-${quantile(ratios, 0.75).toFixed(3)}\n`);
  }
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
