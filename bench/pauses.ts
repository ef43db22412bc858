// Pauses with many keys under a cache workload, beside Redis 7.0, Valkey 8.0 and Redis 8.0 (when
// present), one server at a time on loopback, each in its own temporary --dir:
//   1. Growth: the keyspace filled with pipelined SETs to 100,000, 1,000,000 and N keys (and
//      10,000,000 with --keys 10000000); at each size the RSS growth per key and redis-benchmark's
//      SET and GET throughput over those keys (pipeline 16, `-r` the size: every GET hits, every SET
//      replaces a key).
//   2. Steady writes at N keys for --seconds: `SET key value EX ttl` at a fixed rate in small
//      pipelined batches. Each write either replaces a random existing key and gives it a TTL of a
//      few seconds, or recreates a key whose short TTL has run out (with a TTL beyond the run), so
//      keys keep expiring and being replaced while the keyspace stays at N. A probe client sends
//      PING, waits for the reply, pauses 1 ms; both clients run in worker threads of their own.
//      Reported: max, p99.9 and p99 of the probe's round trips and of the writer's requests, each
//      server's own latency monitor (LATENCY LATEST, latency-monitor-threshold 1), Redoubt's
//      INFO eventloop_max_stall_ms, and V8's pauses from Redoubt's --trace-gc.
//   3. The same while the server runs a BGSAVE of the N keys,
//   4. and while a replica of the same kind, started for it, does a full sync of them.
//
// Run:   npm run bench:pauses          (5,000,000 keys: 10-20 minutes and a few GB of RAM)
//        node dist/bench/pauses.js --keys 200000 --seconds 5      (a quick look)
// Options: --keys N (default 5000000)  --seconds S (default 30)  --rate R (writes/s, default 20000)
//          --ttl T (short TTLs from T to 2T seconds, default 5)  --servers redis,valkey,redis8,redoubt
//          --heap MB (Redoubt's --max-old-space-size, default 8192)   --gc-log FILE (Redoubt's output,
//          its --trace-gc lines, written there)
// Needs redis-server, valkey-server and redis-benchmark on PATH; Redis 8.0 as bench/peers.ts finds it.
// Prints a Markdown report on stdout.

import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startRedoubt, type RunningServer } from '../test/helpers/servers.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { decode, type RespValue } from '../test/helpers/resp.js';
import { peers, REDOUBT, type ServerKind, type ServerName } from './peers.js';
import { redisBenchmark } from './redis-benchmark.js';
import { loadKeys, rss, warmUp } from './memory.js';
import { connect } from './socket.js';
import { log } from './log.js';

const VALUE = 'abc';
/** The names redis-benchmark's `-r` draws (`key:__rand_int__`, 12 digits), so its GETs hit the loaded keys. */
const keyName = (i: number): string => 'key:' + String(i).padStart(12, '0');
/** A recreated key's TTL: longer than any run, so it stays until the writer picks it again. */
const LONG_TTL = 3600;

// --- the clients in worker threads -----------------------------------------------------------------

interface WriterConfig {
  readonly role: 'writer';
  readonly port: number;
  readonly keys: number;
  readonly rate: number;
  readonly ttl: number;
}

interface ProbeConfig {
  readonly role: 'probe';
  readonly port: number;
}

/** Request send times (performance.timeOrigin-based ms, comparable across threads) and latencies. */
interface Samples {
  readonly at: Float64Array;
  readonly ms: Float64Array;
}

interface WriterReport extends Samples {
  readonly replaced: number;
  readonly recreated: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/** A growable pair of sample arrays. */
class Recorder {
  private at: Float64Array = new Float64Array(1 << 16);
  private ms: Float64Array = new Float64Array(1 << 16);
  length = 0;
  push(at: number, ms: number): void {
    if (this.length === this.at.length) {
      const grow = (a: Float64Array): Float64Array => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.at = grow(this.at);
      this.ms = grow(this.ms);
    }
    this.at[this.length] = at;
    this.ms[this.length] = ms;
    this.length++;
  }
  samples(): Samples {
    return { at: this.at.slice(0, this.length), ms: this.ms.slice(0, this.length) };
  }
}

const setEx = (key: string, ttl: number): string => `*5\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$3\r\nxyz\r\n$2\r\nEX\r\n$${String(ttl).length}\r\n${ttl}\r\n`;

/**
 * SET ... EX at `rate` a second, a batch every 2 ms (a late timer sends a bigger batch, so the rate
 * holds whatever the machine does). A replaced key gets a TTL of ttl..2·ttl-1 s; once that has run
 * out (plus 0.5 s), the key is recreated before any new replacement is sent.
 */
async function writerMain(cfg: WriterConfig): Promise<void> {
  const socket = await connect(cfg.port);
  const record = new Recorder();
  /** Send time of each request not yet answered, in order. */
  const inflight: number[] = [];
  let head = 0;
  let bad = '';
  socket.on('data', (d: Buffer) => {
    if (bad === '' && d.includes(0x2d)) bad = d.toString('latin1', 0, 200);
    const t = now();
    for (let at = d.indexOf(0x0a); at !== -1; at = d.indexOf(0x0a, at + 1)) {
      const sent = inflight[head++] ?? t;
      record.push(sent, t - sent);
    }
    if (head > 65536) {
      inflight.splice(0, head);
      head = 0;
    }
  });
  /** Keys to recreate, by the 100 ms tick after which their TTL has run out. */
  const expiring = new Map<number, number[]>();
  let nextTick = Math.floor(now() / 100);
  const due: number[] = [];
  let replaced = 0;
  let recreated = 0;
  let issued = 0;
  const start = now();
  const tick = (): void => {
    const t = now();
    for (const last = Math.floor(t / 100); nextTick <= last; nextTick++) {
      const keys = expiring.get(nextTick);
      if (keys === undefined) continue;
      expiring.delete(nextTick);
      for (const k of keys) due.push(k);
    }
    const n = Math.floor(((t - start) / 1000) * cfg.rate) - issued;
    if (n <= 0) return;
    let text = '';
    for (let i = 0; i < n; i++) {
      const again = due.pop();
      if (again !== undefined) {
        text += setEx(keyName(again), LONG_TTL);
        recreated++;
      } else {
        const k = Math.floor(Math.random() * cfg.keys);
        const ttl = cfg.ttl + Math.floor(Math.random() * cfg.ttl);
        text += setEx(keyName(k), ttl);
        const slot = Math.floor((t + ttl * 1000 + 500) / 100);
        const list = expiring.get(slot);
        if (list === undefined) expiring.set(slot, [k]);
        else list.push(k);
        replaced++;
      }
      inflight.push(t);
    }
    issued += n;
    socket.write(text, 'latin1');
  };
  const timer = setInterval(tick, 2);
  parentPort?.once('message', () => {
    clearInterval(timer);
    const finish = (): void => {
      if (head < inflight.length) {
        setTimeout(finish, 5);
        return;
      }
      socket.destroy();
      if (bad !== '') throw new Error(`writer: error reply ${JSON.stringify(bad)}`);
      const s = record.samples();
      const report: WriterReport = { ...s, replaced, recreated };
      parentPort?.postMessage(report);
    };
    finish();
  });
}

/** PING, wait for +PONG, pause 1 ms: a client polling, not a second load generator. */
async function probeMain(cfg: ProbeConfig): Promise<void> {
  const socket = await connect(cfg.port);
  const record = new Recorder();
  let stop = false;
  parentPort?.once('message', () => (stop = true));
  let sentAt = 0;
  let got = 0;
  const next = (): void => {
    if (stop) {
      socket.destroy();
      const s = record.samples();
      parentPort?.postMessage(s);
      return;
    }
    sentAt = now();
    socket.write('PING\r\n');
  };
  socket.on('data', (d: Buffer) => {
    got += d.length;
    if (got < 7) return; // +PONG\r\n
    got -= 7;
    record.push(sentAt, now() - sentAt);
    setTimeout(next, 1);
  });
  next();
}

/** A worker thread running this file as `cfg.role`; stop() ends it and returns what it measured. */
class Client<T> {
  private readonly worker: Worker;
  private failure: Error | null = null;
  constructor(cfg: WriterConfig | ProbeConfig) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: cfg });
    this.worker.on('error', (err) => (this.failure = err));
  }
  stop(): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.failure !== null) {
        reject(this.failure);
        return;
      }
      this.worker.once('message', (r: T) => {
        void this.worker.terminate();
        resolve(r);
      });
      this.worker.once('error', reject);
      this.worker.postMessage('stop');
    });
  }
}

// --- statistics ------------------------------------------------------------------------------------

interface Latency {
  readonly count: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** The samples sent within [t0, t1). */
function latency(s: Samples, t0: number, t1: number): Latency {
  const xs: number[] = [];
  for (let i = 0; i < s.at.length; i++) {
    const at = s.at[i] ?? 0;
    if (at >= t0 && at < t1) xs.push(s.ms[i] ?? 0);
  }
  xs.sort((a, b) => a - b);
  const pick = (p: number): number => (xs.length === 0 ? NaN : (xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] ?? NaN));
  return { count: xs.length, p99: pick(0.99), p999: pick(0.999), max: xs.length === 0 ? NaN : (xs[xs.length - 1] ?? NaN) };
}

/** V8's pauses in a stretch of --trace-gc output: the longest Mark-Compact and Scavenge, in ms. */
interface GcPauses {
  readonly markCompacts: number;
  readonly longestMarkCompact: number;
  readonly longestScavenge: number;
  /** The old generation (MB, before the collection) at the longest Mark-Compact. */
  readonly heapAtLongest: number;
  readonly total: number;
}

function gcPauses(trace: string): GcPauses {
  let markCompacts = 0;
  let longestMarkCompact = 0;
  let longestScavenge = 0;
  let heapAtLongest = 0;
  let total = 0;
  // [pid:0x...]   12345 ms: Mark-Compact 1187.2 (1234.0) -> 1150.2 (1233.9) MB, 315.42 / 0.00 ms ...
  const line = /ms: (Scavenge|Mark-Compact|Minor Mark-Compact|Mark-Compact \(reduce\))\S* ([\d.]+) \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms/g;
  for (const m of trace.matchAll(line)) {
    const pause = Number(m[3]);
    total += pause;
    if ((m[1] ?? '').startsWith('Mark-Compact')) {
      markCompacts++;
      if (pause > longestMarkCompact) {
        longestMarkCompact = pause;
        heapAtLongest = Number(m[2]);
      }
    } else {
      longestScavenge = Math.max(longestScavenge, pause);
    }
  }
  return { markCompacts, longestMarkCompact, longestScavenge, heapAtLongest, total };
}

// --- one server ------------------------------------------------------------------------------------

interface Step {
  readonly keys: number;
  readonly loadMs: number;
  readonly rss: number;
  readonly bytesPerKey: number;
  readonly set: number;
  readonly get: number;
}

interface Phase {
  readonly name: string;
  readonly seconds: number;
  readonly loadavg: number;
  readonly probe: Latency;
  readonly writer: Latency;
  /** LATENCY LATEST: the event with the highest max since the phase began, and that max (ms). */
  readonly monitor: { event: string; max: number };
  /** Redoubt: INFO stats eventloop_max_stall_ms over the phase. */
  readonly stall: number | null;
  readonly gc: GcPauses | null;
  /** BGSAVE: Redis's latest_fork_usec in ms. */
  readonly forkMs: number | null;
}

interface ServerRun {
  readonly kind: ServerKind;
  readonly idle: number;
  readonly steps: Step[];
  readonly phases: Phase[];
  readonly dbsize: number;
  readonly writes: { replaced: number; recreated: number };
}

interface Options {
  readonly keys: number;
  readonly steps: number[];
  readonly seconds: number;
  readonly rate: number;
  readonly ttl: number;
  readonly heap: number;
  /** Where to write Redoubt's output (its --trace-gc lines), or ''. */
  readonly gcLog: string;
}

/** One request on a control connection, with a long timeout (a server may be busy for seconds). */
async function call(c: RawClient, ...argv: string[]): Promise<string> {
  const [reply] = await c.pipeline([argv], 300_000);
  if (reply === undefined) throw new Error(`no reply to ${argv.join(' ')}`);
  if (reply.startsWith('-')) throw new Error(`${argv.join(' ')}: ${reply.trim()}`);
  return reply;
}

async function infoField(c: RawClient, section: string, name: string): Promise<string> {
  return new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec(await call(c, 'INFO', section))?.[1] ?? '';
}

async function dbsize(c: RawClient): Promise<number> {
  return Number((await call(c, 'DBSIZE')).slice(1));
}

/** The event of LATENCY LATEST with the highest all-time max (since LATENCY RESET). */
async function latencyLatest(c: RawClient): Promise<{ event: string; max: number }> {
  const v: RespValue = decode(Buffer.from(await call(c, 'LATENCY', 'LATEST'), 'latin1'));
  let best = { event: '-', max: 0 };
  if (!Array.isArray(v)) return best;
  for (const e of v) {
    if (!Array.isArray(e)) continue;
    const [event, , , max] = e;
    const ms = Number(max);
    if (typeof event === 'string' && ms > best.max) best = { event, max: ms };
  }
  return best;
}

function startKind(kind: ServerKind, args: string[], heap: number, traceGc: boolean): Promise<RunningServer> {
  if (kind.name !== 'redoubt') return kind.start(args);
  const nodeArgs = [`--max-old-space-size=${heap}`, ...(traceGc ? ['--trace-gc'] : [])];
  return startRedoubt(args, { nodeArgs });
}

async function runServer(kind: ServerKind, o: Options): Promise<ServerRun> {
  const dir = mkdtempSync(join(os.tmpdir(), `redoubt-bench-pauses-${kind.name}-`));
  const replicaDir = mkdtempSync(join(os.tmpdir(), `redoubt-bench-pauses-${kind.name}-replica-`));
  // repl-diskless-sync-delay 0: Redis and Valkey otherwise wait 5 s for more replicas first.
  const common = ['--dir', dir, '--repl-diskless-sync-delay', '0', '--latency-monitor-threshold', '1'];
  const server = await startKind(kind, common, o.heap, true);
  let replica: RunningServer | null = null;
  const c = await RawClient.connect(server.port);
  try {
    const pid = server.process.pid ?? 0;
    await sleep(1000);
    const idle = rss(pid);
    await warmUp(server.port, Math.min(o.keys, 1_000_000));
    await sleep(500);
    const before = rss(pid);
    const steps: Step[] = [];
    let loaded = 0;
    for (const size of o.steps) {
      const t0 = now();
      await loadKeys(server.port, size, VALUE, loaded, keyName);
      const loadMs = now() - t0;
      loaded = size;
      await sleep(2000);
      const after = rss(pid);
      const run = { port: server.port, clients: 50, pipeline: 16, requests: 500_000, keyspace: size };
      const set = (await redisBenchmark({ ...run, tests: ['set'] })).get('SET') ?? NaN;
      const get = (await redisBenchmark({ ...run, tests: ['get'] })).get('GET') ?? NaN;
      steps.push({ keys: size, loadMs, rss: after, bytesPerKey: (after - before) / size, set, get });
      log(`${kind.label}: ${fmt(size)} keys loaded in ${(loadMs / 1000).toFixed(1)} s, RSS ${mb(after)} MB (${((after - before) / size).toFixed(1)} B/key), SET P16 ${fmt(set)}/s, GET P16 ${fmt(get)}/s`);
    }
    if ((await dbsize(c)) !== o.keys) throw new Error(`${kind.label}: ${await dbsize(c)} keys, expected ${o.keys}`);

    const probe = new Client<Samples>({ role: 'probe', port: server.port });
    const writer = new Client<WriterReport>({ role: 'writer', port: server.port, keys: o.keys, rate: o.rate, ttl: o.ttl });
    const windows: { name: string; t0: number; t1: number; loadavg: number; monitor: { event: string; max: number }; stall: number | null; gc: GcPauses | null; forkMs: number | null }[] = [];
    /** Starts a measured stretch: the server's counters reset; returns the function that ends it. */
    const begin = async (name: string): Promise<(forkMs?: number) => Promise<void>> => {
      await call(c, 'LATENCY', 'RESET');
      if (kind.name === 'redoubt') await call(c, 'CONFIG', 'RESETSTAT');
      const out0 = server.output().length;
      const t0 = now();
      return async (forkMs?: number) => {
        const t1 = now();
        const stall = kind.name === 'redoubt' ? Number(await infoField(c, 'stats', 'eventloop_max_stall_ms')) : null;
        const gc = kind.name === 'redoubt' ? gcPauses(server.output().slice(out0)) : null;
        windows.push({ name, t0, t1, loadavg: os.loadavg()[0] ?? NaN, monitor: await latencyLatest(c), stall, gc, forkMs: forkMs ?? null });
        log(`${kind.label}: ${name}: ${((t1 - t0) / 1000).toFixed(1)} s, load average ${(os.loadavg()[0] ?? NaN).toFixed(1)}${stall === null ? '' : `, stall ${stall} ms`}${gc === null ? '' : `, longest Mark-Compact ${gc.longestMarkCompact} ms`}`);
      };
    };

    // Until every replaced key's short TTL has run out once, the writes are all replacements.
    await sleep((2 * o.ttl + 2) * 1000);
    let end = await begin('steady writes');
    await sleep(o.seconds * 1000);
    await end();

    end = await begin('BGSAVE');
    await call(c, 'BGSAVE');
    while ((await infoField(c, 'persistence', 'rdb_bgsave_in_progress')) !== '0') await sleep(20);
    if ((await infoField(c, 'persistence', 'rdb_last_bgsave_status')) !== 'ok') throw new Error(`${kind.label}: BGSAVE failed`);
    await end(kind.name === 'redoubt' ? undefined : Number(await infoField(c, 'stats', 'latest_fork_usec')) / 1000);

    const replicaArgs = ['--dir', replicaDir, ...(kind.name === 'redoubt' ? ['--replica-allowed-primaries', '127.0.0.1'] : [])];
    replica = await startKind(kind, replicaArgs, o.heap, false);
    const r = await RawClient.connect(replica.port);
    try {
      const target = Math.floor((await dbsize(c)) * 0.99);
      end = await begin('replica full sync');
      await call(r, 'REPLICAOF', '127.0.0.1', String(server.port));
      const deadline = Date.now() + 900_000;
      while ((await infoField(r, 'replication', 'master_link_status')) !== 'up' || (await dbsize(r)) < target) {
        if (Date.now() > deadline) throw new Error(`${kind.label}: the replica did not finish its sync in time`);
        await sleep(20);
      }
      await end();
    } finally {
      r.close();
    }

    const keysAfter = await dbsize(c);
    const probed = await probe.stop();
    const written = await writer.stop();
    if (o.gcLog !== '' && kind.name === 'redoubt') writeFileSync(o.gcLog, server.output());
    const phases = windows.map(
      (w): Phase => ({
        name: w.name,
        seconds: (w.t1 - w.t0) / 1000,
        loadavg: w.loadavg,
        probe: latency(probed, w.t0, w.t1),
        writer: latency(written, w.t0, w.t1),
        monitor: w.monitor,
        stall: w.stall,
        gc: w.gc,
        forkMs: w.forkMs,
      }),
    );
    return { kind, idle, steps, phases, dbsize: keysAfter, writes: { replaced: written.replaced, recreated: written.recreated } };
  } finally {
    c.close();
    await replica?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(replicaDir, { recursive: true, force: true });
  }
}

// --- the report ------------------------------------------------------------------------------------

function report(runs: ServerRun[], o: Options, command: string, loads: number[]): string {
  const cols = runs.map((r) => r.kind.label);
  const head = (first: string[]): string[] => [`| ${[...first, ...cols].join(' | ')} |`, `|${first.map(() => ' --- |').join('')}${cols.map(() => ' ---: |').join('')}`];
  const row = (first: string[], cells: (r: ServerRun) => string): string => `| ${[...first, ...runs.map(cells)].join(' | ')} |`;
  const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '—');
  const lat = (l: Latency): string => `${ms(l.max)} / ${ms(l.p999)} / ${ms(l.p99)}`;
  const lines: string[] = [];
  lines.push('```', command, '```', '');
  lines.push(`Load average (1 min) on the two cores while it ran: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.`, '');
  lines.push(`**Growth.** Keys \`key:000000000000\` … (16 bytes), 3-byte values, loaded with pipelined SETs (10,000 a batch); RSS read 2 s after each step, growth from the RSS after a warm-up of ${fmt(Math.min(o.keys, 1_000_000))} GETs of missing keys; throughput \`redis-benchmark -c 50 -P 16 -n 500000 -t set|get -r KEYS\`, one run each.`, '');
  lines.push(...head(['keys', 'figure']));
  for (const [i, step] of o.steps.entries()) {
    const at = (r: ServerRun): Step | undefined => r.steps[i];
    lines.push(row([fmt(step), 'RSS growth per key, B'], (r) => (at(r)?.bytesPerKey ?? NaN).toFixed(1)));
    lines.push(row([fmt(step), 'SET P16 ops/s'], (r) => fmt(at(r)?.set ?? NaN)));
    lines.push(row([fmt(step), 'GET P16 ops/s'], (r) => fmt(at(r)?.get ?? NaN)));
    lines.push(row([fmt(step), 'load, keys/s'], (r) => fmt((step - (o.steps[i - 1] ?? 0)) / ((at(r)?.loadMs ?? NaN) / 1000))));
  }
  lines.push(row(['idle', 'RSS, MB'], (r) => mb(r.idle)));
  lines.push('');
  lines.push(
    `**Pauses at ${fmt(o.keys)} keys.** Writes: \`SET key xyz EX ttl\` at ${fmt(o.rate)}/s in pipelined batches every 2 ms; each replaces a random key with a TTL of ${o.ttl}–${2 * o.ttl - 1} s, or recreates one whose TTL ran out (TTL ${LONG_TTL} s), so keys expire and are replaced at about ${fmt(o.rate / 2)}/s while the keyspace stays at ${fmt(o.keys)}; measured after ${2 * o.ttl + 2} s of warm-up. Probe: PING, reply, 1 ms pause, in a worker thread of its own (as the writer). Latencies in ms as max / p99.9 / p99. *Server's monitor*: the event with the highest max in LATENCY LATEST (latency-monitor-threshold 1). *Event-loop stall*: Redoubt's INFO eventloop_max_stall_ms over the stretch (the true stall is at most 5 ms longer). *GC*: from Redoubt's --trace-gc.`,
    '',
  );
  lines.push(...head(['stretch', 'figure']));
  const names = runs[0]?.phases.map((p) => p.name) ?? [];
  for (const [i, name] of names.entries()) {
    const at = (r: ServerRun): Phase | undefined => r.phases[i];
    lines.push(row([name, 'duration, s'], (r) => (at(r)?.seconds ?? NaN).toFixed(1)));
    lines.push(row([name, 'load average at the end'], (r) => (at(r)?.loadavg ?? NaN).toFixed(1)));
    lines.push(row([name, 'probe (PING) max / p99.9 / p99'], (r) => { const p = at(r); return p ? lat(p.probe) : '—'; }));
    lines.push(row([name, 'writer (SET EX) max / p99.9 / p99'], (r) => { const p = at(r); return p ? lat(p.writer) : '—'; }));
    lines.push(row([name, "server's monitor, ms (event)"], (r) => { const p = at(r); return p ? `${p.monitor.max} (${p.monitor.event})` : '—'; }));
    if (runs.some((r) => at(r)?.forkMs !== null)) lines.push(row([name, 'fork, ms'], (r) => { const f = at(r)?.forkMs; return f === null || f === undefined ? '—' : ms(f); }));
    lines.push(row([name, 'event-loop stall, ms'], (r) => { const s = at(r)?.stall; return s === null || s === undefined ? '—' : ms(s); }));
    lines.push(row([name, 'GC: longest Mark-Compact, ms (old gen MB) / count'], (r) => { const g = at(r)?.gc; return g ? `${ms(g.longestMarkCompact)} (${g.heapAtLongest.toFixed(0)}) / ${g.markCompacts}` : '—'; }));
    lines.push(row([name, 'GC: longest Scavenge / total pause, ms'], (r) => { const g = at(r)?.gc; return g ? `${ms(g.longestScavenge)} / ${ms(g.total)}` : '—'; }));
  }
  lines.push(row(['after', 'keys'], (r) => fmt(r.dbsize)));
  lines.push(row(['after', 'writes: replaced / recreated'], (r) => `${fmt(r.writes.replaced)} / ${fmt(r.writes.recreated)}`));
  return lines.join('\n');
}

// --- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '5000000' },
      seconds: { type: 'string', default: '30' },
      rate: { type: 'string', default: '20000' },
      ttl: { type: 'string', default: '5' },
      servers: { type: 'string', default: 'redis,valkey,redis8,redoubt' },
      heap: { type: 'string', default: '8192' },
      'gc-log': { type: 'string', default: '' },
    },
  });
  const keys = Number(values.keys);
  const o: Options = {
    keys,
    steps: [...[100_000, 1_000_000, 5_000_000].filter((s) => s < keys), keys],
    seconds: Number(values.seconds),
    rate: Number(values.rate),
    ttl: Number(values.ttl),
    heap: Number(values.heap),
    gcLog: values['gc-log'],
  };
  const wanted = new Set(values.servers.split(',') as ServerName[]);
  const kinds = [...peers(), REDOUBT].filter((k) => wanted.has(k.name));
  const command = 'node dist/bench/pauses.js' + (process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : '');
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(os.loadavg()[0] ?? NaN), 5000);
  const runs: ServerRun[] = [];
  try {
    for (const kind of kinds) runs.push(await runServer(kind, o));
  } finally {
    clearInterval(sampler);
  }
  process.stdout.write(report(runs, o, command, loads) + '\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (b: number): string => (b / 1e6).toFixed(1);
const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
} else {
  const cfg = workerData as WriterConfig | ProbeConfig;
  void (cfg.role === 'writer' ? writerMain(cfg) : probeMain(cfg));
}
