// Persistence against the real redis-server 7.0, both servers in one run on loopback, each in its
// own temporary --dir:
//   1. BGSAVE of 1,000,000 keys while a second client keeps writing at a fixed rate: how long the
//      save takes, the extra memory it costs (Redoubt: the snapshot's retained old values and the
//      process's RSS rise; Redis: the forked child's RSS and Private_Dirty, and rdb_last_cow_size),
//      and the longest round trip a third client sending PING in a loop sees meanwhile.
//   2. Startup load time of the files both servers wrote, each server loading both files.
//   3. SET throughput with appendonly yes and appendfsync everysec / always (redis-benchmark).
//
// Run:   npm run bench:persistence
//        node dist/bench/persistence.js [--reps 3] [--load-reps 3] [--aof-reps 3] [--keys 1000000]
//        [--rate 10000] [--no-save] [--no-load] [--no-aof]
// Needs redis-server and redis-benchmark on PATH. Prints a markdown report on stdout.
//
// The PING client runs in a worker thread with nothing else on its event loop, so the /proc
// sampling and the writer in the main thread do not add to the round trips it measures.

import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { freePort, REDOUBT_MAIN, startRedis, startRedoubt, type RunningServer } from '../test/helpers/servers.js';
import { redisBenchmark } from './redis-benchmark.js';
import { cpuSeconds, rss } from './memory.js';
import { median, type Name, turnOrder } from './stats.js';
import { connect } from './socket.js';
import { log } from './log.js';

// --- the dataset ---------------------------------------------------------------------------------

/** The mix of the 1,000,000 keys (scaled with --keys): strings, then small collections. */
const MIX = { hash: 0.04, list: 0.02, set: 0.02, zset: 0.02 } as const;
const STRING_VALUE = 'v'.repeat(100);
const FIELDS = 10;

const enc = (argv: readonly string[]): string => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
const pad = (i: number): string => String(i).padStart(9, '0');

interface Dataset {
  readonly strings: number;
  readonly hashes: number;
  readonly lists: number;
  readonly sets: number;
  readonly zsets: number;
}

function dataset(keys: number): Dataset {
  const hashes = Math.round(keys * MIX.hash);
  const lists = Math.round(keys * MIX.list);
  const sets = Math.round(keys * MIX.set);
  const zsets = Math.round(keys * MIX.zset);
  return { strings: keys - hashes - lists - sets - zsets, hashes, lists, sets, zsets };
}

/** The command that creates key number i of the dataset (every reply is one line: +OK or :N). */
function createCommand(d: Dataset, i: number): string {
  if (i < d.strings) return enc(['SET', `key:${pad(i)}`, STRING_VALUE]);
  let j = i - d.strings;
  const ten = (f: (k: number) => string[]): string[] => Array.from({ length: FIELDS }, (_, k) => f(k)).flat();
  if (j < d.hashes) return enc(['HSET', `hash:${pad(j)}`, ...ten((k) => [`field:${k}`, `value-${pad(j)}-${k}`])]);
  j -= d.hashes;
  if (j < d.lists) return enc(['RPUSH', `list:${pad(j)}`, ...ten((k) => [`element-${pad(j)}-${k}`])]);
  j -= d.lists;
  if (j < d.sets) return enc(['SADD', `set:${pad(j)}`, ...ten((k) => [`member-${pad(j)}-${k}`])]);
  j -= d.sets;
  return enc(['ZADD', `zset:${pad(j)}`, ...ten((k) => [String(k * 1.5), `member-${pad(j)}-${k}`])]);
}

/** A connection that counts one-line replies (CRLFs): enough for pipelines of SET/HSET/DEL/... */
class Pipe {
  private crlf = 0;
  private bad = '';
  private waiters: { n: number; wake: () => void }[] = [];
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      // Replies are +OK or :N; a '-' at the start of a chunk or after a CRLF is an error reply.
      if (this.bad === '') {
        const at = d[0] === 0x2d ? 0 : d.indexOf('\n-') + 1;
        if (at > 0 || d[0] === 0x2d) this.bad = d.subarray(at, at + 200).toString('latin1');
      }
      for (let at = d.indexOf(0x0a); at !== -1; at = d.indexOf(0x0a, at + 1)) this.crlf++;
      this.waiters = this.waiters.filter((w) => {
        if (this.crlf < w.n) return true;
        w.wake();
        return false;
      });
    });
  }
  static async open(port: number): Promise<Pipe> {
    return new Pipe(await connect(port));
  }
  sent = 0;
  get acked(): number {
    return this.crlf;
  }
  send(text: string, replies: number): void {
    this.sent += replies;
    this.socket.write(text, 'latin1');
  }
  /** Resolves once every reply sent so far has arrived; throws if any was an error. */
  async drain(): Promise<void> {
    if (this.crlf < this.sent) await new Promise<void>((wake) => this.waiters.push({ n: this.sent, wake }));
    if (this.bad !== '') throw new Error(`error reply: ${JSON.stringify(this.bad)}`);
  }
  close(): void {
    this.socket.destroy();
  }
}

async function populate(port: number, d: Dataset, total: number): Promise<void> {
  const pipe = await Pipe.open(port);
  try {
    const batch = 5000;
    for (let start = 0; start < total; start += batch) {
      let text = '';
      const end = Math.min(total, start + batch);
      for (let i = start; i < end; i++) text += createCommand(d, i);
      pipe.send(text, end - start);
      await pipe.drain();
    }
  } finally {
    pipe.close();
  }
}

// --- a plain request/reply client for INFO and friends -------------------------------------------

/** One request at a time; replies are simple strings, errors, integers or bulk strings. */
class Control {
  private buf = Buffer.alloc(0);
  private pending: ((reply: string) => void) | null = null;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.deliver();
    });
  }
  static async open(port: number): Promise<Control> {
    return new Control(await connect(port));
  }
  private deliver(): void {
    if (this.pending === null) return;
    const eol = this.buf.indexOf('\r\n');
    if (eol === -1) return;
    const head = this.buf.toString('latin1', 0, eol);
    let reply: string;
    let used: number;
    if (head.startsWith('$')) {
      const len = Number(head.slice(1));
      if (len < 0) {
        reply = '';
        used = eol + 2;
      } else {
        if (this.buf.length < eol + 2 + len + 2) return;
        reply = this.buf.toString('latin1', eol + 2, eol + 2 + len);
        used = eol + 2 + len + 2;
      }
    } else {
      reply = head;
      used = eol + 2;
    }
    this.buf = this.buf.subarray(used);
    const p = this.pending;
    this.pending = null;
    p(reply);
  }
  call(...argv: string[]): Promise<string> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket.write(enc(argv));
    });
  }
  async info(section: string): Promise<Map<string, string>> {
    const text = await this.call('INFO', section);
    const fields = new Map<string, string>();
    for (const line of text.split('\r\n')) {
      const at = line.indexOf(':');
      if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
    }
    return fields;
  }
  close(): void {
    this.socket.destroy();
  }
}

// --- /proc ------------------------------------------------------------------------------------------

function procField(path: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(path, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process (a forked child) is gone
  }
}

/** The first child process of `pid`, or null (Redis's BGSAVE child). */
function childOf(pid: number): number | null {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ')[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
}

/** Resets the process's VmHWM to its current RSS (Linux: echo 5 > /proc/<pid>/clear_refs). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

// --- the PING probe (worker thread) ---------------------------------------------------------------

interface ProbeSample {
  /** When the PING was sent, performance.timeOrigin-based ms (comparable across threads). */
  readonly at: number;
  readonly ms: number;
}

async function probeMain(port: number): Promise<void> {
  const socket = await connect(port);
  const samples: ProbeSample[] = [];
  let stop = false;
  parentPort?.on('message', () => (stop = true));
  let sentAt = 0;
  let got = 0;
  const next = (): void => {
    if (stop) {
      socket.destroy();
      parentPort?.postMessage(samples);
      return;
    }
    sentAt = performance.timeOrigin + performance.now();
    socket.write('PING\r\n');
  };
  socket.on('data', (d: Buffer) => {
    got += d.length;
    if (got < 7) return; // +PONG\r\n
    got -= 7;
    const now = performance.timeOrigin + performance.now();
    samples.push({ at: sentAt, ms: now - sentAt });
    // A 1 ms gap: the probe is a client polling, not a second load generator.
    setTimeout(next, 1);
  });
  next();
}

class Probe {
  private readonly worker: Worker;
  private constructor(port: number) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { port } });
  }
  static start(port: number): Probe {
    return new Probe(port);
  }
  stop(): Promise<ProbeSample[]> {
    return new Promise((resolve, reject) => {
      this.worker.once('message', (s: ProbeSample[]) => {
        void this.worker.terminate();
        resolve(s);
      });
      this.worker.once('error', reject);
      this.worker.postMessage('stop');
    });
  }
}

const now = (): number => performance.timeOrigin + performance.now();

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

// --- part 1: BGSAVE under writes ------------------------------------------------------------------

interface SaveRun {
  readonly durationMs: number;
  /** Redoubt: max VmRSS during the save (and VmHWM) minus VmRSS at the BGSAVE. Redis: the parent's. */
  readonly rssRise: number;
  /** Redoubt: rdb_last_cow_size (= current_cow_peak of the save). Redis: rdb_last_cow_size. */
  readonly cowSize: number;
  /** Redis only: the child's peak VmRSS and Private_Dirty. */
  readonly childRss: number;
  readonly childDirty: number;
  /** Redis only: latest_fork_usec. */
  readonly forkUs: number;
  readonly pingMax: number;
  readonly pingP99: number;
  readonly pingCount: number;
  readonly basePingMax: number;
  readonly basePingP99: number;
  readonly writesAcked: number;
  readonly writesLate: number;
  readonly fileBytes: number;
}

interface SaveServer {
  readonly name: Name;
  readonly server: RunningServer;
  readonly dir: string;
}

async function bgsaveRun(s: SaveServer, d: Dataset, keys: number, rate: number, rep: number): Promise<SaveRun> {
  const pid = s.server.process.pid!;
  const control = await Control.open(s.server.port);
  const writer = await Pipe.open(s.server.port);
  const probe = Probe.start(s.server.port);
  try {
    // The writer: every 10 ms a pipelined batch of SETs, as many as the fixed rate asks for by then
    // (a late timer sends a bigger batch, so the rate holds whatever the machine does), 80%
    // overwriting a random existing string key, 20% creating a new one once the save has started
    // (before it, overwrites only, so the file holds exactly the dataset; the new keys are deleted
    // after the run).
    let created = 0;
    let saving = false;
    let lateTicks = 0;
    let issued = 0;
    const writeStart = now();
    let lastTick = writeStart;
    const tick = (): void => {
      const t = now();
      if (t - lastTick > 30) lateTicks++;
      lastTick = t;
      const due = Math.floor(((t - writeStart) / 1000) * rate) - issued;
      if (due <= 0) return;
      let text = '';
      for (let k = 0; k < due; k++) {
        if (saving && (issued + k) % 5 === 4) text += enc(['SET', `new:${rep}:${pad(created++)}`, STRING_VALUE]);
        else text += enc(['SET', `key:${pad(Math.floor(Math.random() * d.strings))}`, 'w'.repeat(100)]);
      }
      issued += due;
      writer.send(text, due);
    };
    const writing = setInterval(tick, 10);
    await sleep(1000); // the baseline: writer and probe running, no save
    const rss0 = rss(pid);
    resetPeak(pid);
    const t0 = now();
    const answered = control.call('BGSAVE');
    saving = true;
    const reply = await answered;
    if (!reply.startsWith('+')) throw new Error(`BGSAVE answered ${reply}`);
    let maxRss = rss0;
    let childPid: number | null = null;
    let childRss = 0;
    let childDirty = 0;
    let t1 = 0;
    for (;;) {
      maxRss = Math.max(maxRss, rss(pid));
      if (s.name === 'redis') {
        childPid ??= childOf(pid);
        if (childPid !== null) {
          childRss = Math.max(childRss, procField(`/proc/${childPid}/status`, 'VmRSS'));
          childDirty = Math.max(childDirty, procField(`/proc/${childPid}/smaps_rollup`, 'Private_Dirty'));
        }
      }
      const info = await control.info('persistence');
      if (info.get('rdb_bgsave_in_progress') === '0') {
        t1 = now();
        break;
      }
      await sleep(10);
    }
    clearInterval(writing);
    const hwm = procField(`/proc/${pid}/status`, 'VmHWM');
    maxRss = Math.max(maxRss, hwm);
    const samples = await probe.stop();
    await writer.drain();
    const info = await control.info('persistence');
    if (info.get('rdb_last_bgsave_status') !== 'ok') throw new Error(`${s.name}: BGSAVE failed`);
    const stats = s.name === 'redis' ? await control.info('stats') : new Map<string, string>();
    const during = samples.filter((x) => x.at >= t0 && x.at < t1).map((x) => x.ms);
    const before = samples.filter((x) => x.at < t0).map((x) => x.ms);
    // Back to exactly `keys` keys.
    for (let i = 0; i < created; i += 1000) {
      const names: string[] = [];
      for (let k = i; k < Math.min(created, i + 1000); k++) names.push(`new:${rep}:${pad(k)}`);
      writer.send(enc(['DEL', ...names]), 1);
    }
    await writer.drain();
    const size = Number(await control.call('DBSIZE').then((r) => r.slice(1)));
    if (size !== keys) throw new Error(`${s.name}: ${size} keys after the run, expected ${keys}`);
    return {
      durationMs: t1 - t0,
      rssRise: maxRss - rss0,
      cowSize: Number(info.get('rdb_last_cow_size') ?? 0),
      childRss,
      childDirty,
      forkUs: Number(stats.get('latest_fork_usec') ?? 0),
      pingMax: Math.max(0, ...during),
      pingP99: percentile(during, 99),
      pingCount: during.length,
      basePingMax: Math.max(0, ...before),
      basePingP99: percentile(before, 99),
      writesAcked: writer.acked,
      writesLate: lateTicks,
      fileBytes: statSync(join(s.dir, 'dump.rdb')).size,
    };
  } finally {
    writer.close();
    control.close();
  }
}

async function partSave(keys: number, reps: number, rate: number, files: Record<Name, string>): Promise<string> {
  const d = dataset(keys);
  const dirs = { redis: tempDir('redis'), redoubt: tempDir('redoubt') };
  const servers: Record<Name, SaveServer> = {
    redis: { name: 'redis', dir: dirs.redis, server: await startRedis(['--dir', dirs.redis]) },
    redoubt: { name: 'redoubt', dir: dirs.redoubt, server: await startRedoubt(['--dir', dirs.redoubt]) },
  };
  const runs: Record<Name, SaveRun[]> = { redis: [], redoubt: [] };
  try {
    for (const name of ['redis', 'redoubt'] as const) {
      const t = now();
      await populate(servers[name].server.port, d, keys);
      log(`${name}: ${keys} keys written in ${((now() - t) / 1000).toFixed(1)} s, RSS ${mb(rss(servers[name].server.process.pid!))} MB`);
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const name of turnOrder(rep)) {
        const r = await bgsaveRun(servers[name], d, keys, rate, rep);
        runs[name].push(r);
        log(
          `BGSAVE rep ${rep + 1} ${name}: ${r.durationMs.toFixed(0)} ms, RSS +${mb(r.rssRise)} MB, cow ${kb(r.cowSize)} KB` +
            (name === 'redis' ? `, child RSS ${mb(r.childRss)} MB dirty ${mb(r.childDirty)} MB, fork ${r.forkUs} µs` : '') +
            `, PING max ${r.pingMax.toFixed(1)} ms p99 ${r.pingP99.toFixed(1)} ms (${r.pingCount}; before: max ${r.basePingMax.toFixed(1)} p99 ${r.basePingP99.toFixed(1)})` +
            `, ${r.writesAcked} writes acked, ${r.writesLate} late ticks, file ${mb(r.fileBytes)} MB`,
        );
        await sleep(1000);
      }
    }
    copyFileSync(join(dirs.redis, 'dump.rdb'), files.redis);
    copyFileSync(join(dirs.redoubt, 'dump.rdb'), files.redoubt);
  } finally {
    await Promise.all([servers.redis.server.stop(), servers.redoubt.server.stop()]);
    rmSync(dirs.redis, { recursive: true, force: true });
    rmSync(dirs.redoubt, { recursive: true, force: true });
  }
  const m = (name: Name, f: (r: SaveRun) => number): number => median(runs[name].map(f));
  const range = (name: Name, f: (r: SaveRun) => number, fmt: (n: number) => string): string => {
    const xs = runs[name].map(f);
    return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
  };
  const ms = (n: number): string => n.toFixed(n < 10 ? 1 : 0);
  const rows = [
    `| BGSAVE duration, ms | ${range('redis', (r) => r.durationMs, ms)} | ${range('redoubt', (r) => r.durationMs, ms)} | ${(m('redoubt', (r) => r.durationMs) / m('redis', (r) => r.durationMs)).toFixed(2)}× |`,
    `| fork (latest_fork_usec), ms | ${range('redis', (r) => r.forkUs / 1000, ms)} | — | |`,
    `| rdb_last_cow_size, KB | ${range('redis', (r) => r.cowSize, kb)} | ${range('redoubt', (r) => r.cowSize, kb)} | |`,
    `| child peak Private_Dirty, MB | ${range('redis', (r) => r.childDirty, mb)} | — | |`,
    `| child peak VmRSS, MB (mostly shared with the parent) | ${range('redis', (r) => r.childRss, mb)} | — | |`,
    `| server process RSS rise (peak − at BGSAVE), MB | ${range('redis', (r) => r.rssRise, mb)} | ${range('redoubt', (r) => r.rssRise, mb)} | |`,
    `| **extra memory** (Redis: child Private_Dirty + parent rise; Redoubt: RSS rise), MB | ${range('redis', (r) => r.childDirty + r.rssRise, mb)} | ${range('redoubt', (r) => r.rssRise, mb)} | ${(m('redoubt', (r) => r.rssRise) / m('redis', (r) => r.childDirty + r.rssRise)).toFixed(2)}× |`,
    `| PING round trip during the save, max ms | ${range('redis', (r) => r.pingMax, ms)} | ${range('redoubt', (r) => r.pingMax, ms)} | |`,
    `| PING round trip during the save, p99 ms | ${range('redis', (r) => r.pingP99, ms)} | ${range('redoubt', (r) => r.pingP99, ms)} | |`,
    `| PING round trip in the second before, max / p99 ms | ${ms(m('redis', (r) => r.basePingMax))} / ${ms(m('redis', (r) => r.basePingP99))} | ${ms(m('redoubt', (r) => r.basePingMax))} / ${ms(m('redoubt', (r) => r.basePingP99))} | |`,
    `| PINGs answered during the save | ${range('redis', (r) => r.pingCount, String)} | ${range('redoubt', (r) => r.pingCount, String)} | |`,
    `| RDB file, MB | ${mb(m('redis', (r) => r.fileBytes))} | ${mb(m('redoubt', (r) => r.fileBytes))} | |`,
  ];
  return [
    `Dataset: ${d.strings.toLocaleString('en-US')} strings (100-byte values), ${d.hashes.toLocaleString('en-US')} hashes, ` +
      `${d.lists.toLocaleString('en-US')} lists, ${d.sets.toLocaleString('en-US')} sets and ${d.zsets.toLocaleString('en-US')} sorted sets of ${FIELDS} elements each; ` +
      `writer: ${rate.toLocaleString('en-US')} SETs/s (batches every 10 ms, 80% overwrites of random strings, 20% new keys); ${reps} run(s) per server, median (min–max).`,
    '',
    '| | Redis 7.0 | Redoubt | Redoubt/Redis |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

// --- part 2: load at startup ----------------------------------------------------------------------

interface LoadRun {
  readonly readyMs: number;
  readonly loggedMs: number;
}

async function loadRun(name: Name, file: string, keys: number): Promise<LoadRun> {
  const dir = tempDir(`load-${name}`);
  copyFileSync(file, join(dir, 'dump.rdb'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  let child: ChildProcess | null = null;
  let out = '';
  try {
    const t0 = now();
    child = name === 'redis' ? spawn('redis-server', [...args, '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, [REDOUBT_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    let readyMs = 0;
    for (;;) {
      const reply = await tryCall(port, 'EXISTS', '__probe__');
      if (reply === ':0') {
        readyMs = now() - t0;
        break;
      }
      if (child.exitCode !== null) throw new Error(`${name} exited while loading:\n${out}`);
      if (now() - t0 > 120_000) throw new Error(`${name} did not load in 2 minutes:\n${out}`);
      await sleep(5);
    }
    const control = await Control.open(port);
    const size = await control.call('DBSIZE');
    control.close();
    if (size !== `:${keys}`) throw new Error(`${name} loaded ${size} keys from ${file}`);
    const m = /DB loaded from disk: ([\d.]+) seconds/.exec(out);
    return { readyMs, loggedMs: m ? Number(m[1]) * 1000 : NaN };
  } finally {
    if (child !== null && child.exitCode === null) {
      const c = child;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One request on a fresh connection; null when nothing listens yet. */
async function tryCall(port: number, ...argv: string[]): Promise<string | null> {
  let socket: net.Socket;
  try {
    socket = await connect(port);
  } catch {
    return null;
  }
  return new Promise((resolve) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const eol = got.indexOf('\r\n');
      if (eol !== -1) {
        socket.destroy();
        resolve(got.slice(0, eol));
      }
    });
    socket.once('error', () => resolve(null));
    socket.once('close', () => resolve(null));
    socket.write(enc(argv));
  });
}

async function partLoad(keys: number, reps: number, files: Record<Name, string>): Promise<string> {
  const combos: [Name, Name][] = [
    ['redis', 'redis'],
    ['redis', 'redoubt'],
    ['redoubt', 'redis'],
    ['redoubt', 'redoubt'],
  ];
  const runs = new Map<string, LoadRun[]>(combos.map(([s, f]) => [`${s}/${f}`, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const [server, file] of rep % 2 === 0 ? combos : [...combos].reverse()) {
      const r = await loadRun(server, files[file], keys);
      runs.get(`${server}/${file}`)!.push(r);
      log(`load rep ${rep + 1}: ${server} loading ${file}'s file: ready after ${r.readyMs.toFixed(0)} ms, logged ${r.loggedMs.toFixed(0)} ms`);
    }
  }
  const rows = combos.map(([server, file]) => {
    const rs = runs.get(`${server}/${file}`)!;
    const ready = rs.map((r) => r.readyMs);
    const logged = rs.map((r) => r.loggedMs);
    const fmt = (xs: number[]): string => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    const label = (n: Name): string => (n === 'redis' ? 'Redis 7.0' : 'Redoubt');
    return `| ${label(server)} | ${label(file)}'s (${mb(statSync(files[file]).size)} MB) | ${fmt(ready)} | ${fmt(logged)} |`;
  });
  return [
    `${reps} start(s) per pair, median (min–max).`,
    '',
    '| server | file | start → first non-LOADING reply, ms | `DB loaded from disk`, ms |',
    '| --- | --- | ---: | ---: |',
    ...rows,
  ].join('\n');
}

// --- part 3: SET throughput with AOF --------------------------------------------------------------

async function partAof(reps: number): Promise<string> {
  const rows: string[] = [];
  const configs = [
    { pipeline: 1, requests: 100_000 },
    { pipeline: 16, requests: 300_000 },
  ];
  for (const fsync of ['everysec', 'always']) {
    const dirs = { redis: tempDir('aof-redis'), redoubt: tempDir('aof-redoubt') };
    const aof = (dir: string): string[] => ['--dir', dir, '--appendonly', 'yes', '--appendfsync', fsync];
    const servers = { redis: await startRedis(aof(dirs.redis)), redoubt: await startRedoubt(aof(dirs.redoubt)) };
    try {
      for (const [name, s] of Object.entries(servers)) {
        const info = await Control.open(s.port);
        const aofEnabled = (await info.info('persistence')).get('aof_enabled');
        info.close();
        if (aofEnabled !== '1') throw new Error(`${name}: aof_enabled is ${aofEnabled ?? 'missing'} with --appendonly yes`);
      }
      for (const cfg of configs) {
        const rps: Record<Name, number[]> = { redis: [], redoubt: [] };
        const cpu: Record<Name, number[]> = { redis: [], redoubt: [] };
        for (let rep = 0; rep < reps; rep++) {
          for (const name of turnOrder(rep)) {
            const s = servers[name];
            const c0 = cpuSeconds(s.process.pid!);
            const r = await redisBenchmark({ port: s.port, tests: ['set'], clients: 50, pipeline: cfg.pipeline, requests: cfg.requests, keyspace: 100_000 });
            const v = r.get('SET');
            if (v === undefined) throw new Error('redis-benchmark printed no SET result');
            rps[name].push(v);
            cpu[name].push(((cpuSeconds(s.process.pid!) - c0) / cfg.requests) * 1e6);
            log(`AOF ${fsync} P${cfg.pipeline} rep ${rep + 1} ${name}: ${Math.round(v)} ops/s, ${cpu[name].at(-1)!.toFixed(2)} CPU µs/op`);
          }
        }
        const ratio = median(rps.redoubt) / median(rps.redis);
        const range = (xs: number[]): string => `${Math.round(median(xs)).toLocaleString('en-US')} (${Math.round(Math.min(...xs)).toLocaleString('en-US')}–${Math.round(Math.max(...xs)).toLocaleString('en-US')})`;
        rows.push(
          `| ${fsync} | P${cfg.pipeline} | ${cfg.requests.toLocaleString('en-US')} | ${range(rps.redis)} | ${range(rps.redoubt)} | ${ratio.toFixed(2)}× | ${median(cpu.redis).toFixed(2)} | ${median(cpu.redoubt).toFixed(2)} |`,
        );
      }
    } finally {
      await Promise.all([servers.redis.stop(), servers.redoubt.stop()]);
      rmSync(dirs.redis, { recursive: true, force: true });
      rmSync(dirs.redoubt, { recursive: true, force: true });
    }
  }
  return [
    `\`redis-benchmark -h 127.0.0.1 -p PORT -t set -c 50 -P 1|16 -n 100000|300000 -r 100000 --csv\`; ${reps} run(s) per server and setting, alternating first place, median (min–max).`,
    '',
    '| appendfsync | pipeline | requests | Redis ops/s | Redoubt ops/s | Redoubt/Redis | CPU µs/op Redis | Redoubt |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

// --- main -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      keys: { type: 'string', default: '1000000' },
      reps: { type: 'string', default: '3' },
      'load-reps': { type: 'string', default: '3' },
      'aof-reps': { type: 'string', default: '3' },
      rate: { type: 'string', default: '10000' },
      'no-save': { type: 'boolean', default: false },
      'no-load': { type: 'boolean', default: false },
      'no-aof': { type: 'boolean', default: false },
    },
  });
  const keys = Number(opts.keys);
  const work = tempDir('files');
  const files = { redis: join(work, 'redis.rdb'), redoubt: join(work, 'redoubt.rdb') };
  const out: string[] = [];
  try {
    if (!opts['no-save']) {
      out.push('BGSAVE under writes:', '', await partSave(keys, Number(opts.reps), Number(opts.rate), files), '');
      if (!opts['no-load']) out.push('Load at startup:', '', await partLoad(keys, Number(opts['load-reps']), files), '');
    }
    if (!opts['no-aof']) out.push('SET with AOF:', '', await partAof(Number(opts['aof-reps'])), '');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(out.join('\n') + '\n');
}

function tempDir(what: string): string {
  return mkdtempSync(join(tmpdir(), `redoubt-bench-${what}-`));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (b: number): string => (b / 1e6).toFixed(1);
const kb = (b: number): string => Math.round(b / 1e3).toLocaleString('en-US');

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
} else {
  void probeMain((workerData as { port: number }).port);
}
