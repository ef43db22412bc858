// `redoubt cluster-local`: Redoubt nodes on this machine as one Redis Cluster, one process per
// shard, for a user who wants every core. The first start builds the cluster with the nodes' own
// CLUSTER ADDSLOTSRANGE, SET-CONFIG-EPOCH, MEET and REPLICATE; a later start on the same directory
// lets each node read its nodes.conf and waits for the cluster it had. The processes are supervised:
// SIGINT/SIGTERM/SIGHUP are forwarded, a node that dies is reported, and when a range of slots is
// left with no live node the rest are stopped so that a service manager can start the whole again.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Conn, ConnectError } from '../audit/connection.js';
import { ReplyError, type Reply } from '../audit/resp.js';
import { parseCommandLine } from '../config/cli-args.js';
import { formatStartupError, StartupConfigError } from '../config/config-file.js';
import { repr } from '../config/values.js';
import { createCommandTable } from '../commands/registry.js';
import { heapSizeFor } from '../server/memory.js';
import { CLUSTER_SLOTS } from '../server/cluster.js';
import { processAlive } from '../server/cluster-lock.js';
import { formatAddr } from '../server/connection.js';
import { VERSION, REDIS_VERSION } from '../version.js';
import { loadServerConfig } from './compose.js';
import { rootRefusal } from './supervise.js';

const PROGRAM = 'redoubt cluster-local';
const MAX_SHARDS = 128;
const MAX_REPLICAS = 4;
const DEFAULT_PORT = 7000;
/** Each node's bus is its port plus this (cluster-port 0, as Redis). */
const BUS_OFFSET = 10000;
const DEFAULT_DIR = 'redoubt-cluster';
const MANIFEST = 'cluster-local.json';
const LOCK = 'cluster-local.pid';
/** How long the nodes have to form (or re-form) the cluster before the start is given up. */
const FORM_TIMEOUT_MS = 120_000;
/** How long a node may take to accept connections (a node still loading its data has longer). */
const LISTEN_TIMEOUT_MS = 60_000;
const POLL_MS = 100;
const LOG_FILE = 'redoubt.log';

/** What every node's configuration ends with (besides its port and dir), whatever the file given said. */
const OVERRIDES = ['cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-port 0', 'daemonize no', 'supervised no', 'pidfile ""'];

/** Directives cluster-local sets on every node itself: given on its command line, they are refused. */
const OWN_DIRECTIVES = new Map<string, string>([
  ['cluster-enabled', 'every node has it'],
  ['cluster-config-file', 'each node keeps nodes.conf in its own directory'],
  ['cluster-port', 'each bus is its node port + 10000'],
  ['cluster-announce-port', 'it would be the same for every node'],
  ['cluster-announce-bus-port', 'it would be the same for every node'],
  ['cluster-announce-tls-port', 'it would be the same for every node'],
  ['cluster-emulated', 'the nodes are a real cluster'],
  ['daemonize', 'cluster-local supervises the nodes in the foreground (run cluster-local itself under a service manager)'],
  ['supervised', 'cluster-local supervises the nodes'],
  ['pidfile', 'it would be the same for every node; DIR/cluster-local.pid holds the supervisor pid'],
  ['unixsocket', 'it would be the same for every node'],
  ['tls-port', 'it would be the same for every node'],
  ['replicaof', 'replicas are made with --replicas'],
  ['slaveof', 'replicas are made with --replicas'],
]);

interface Layout {
  readonly shards: number;
  readonly replicas: number;
  readonly port: number;
}

type Parsed =
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string }
  | {
      readonly kind: 'run';
      readonly shards: number | null;
      readonly replicas: number | null;
      readonly port: number | null;
      readonly dir: string;
      readonly configFile: string | null;
      /** The words for the nodes: `--directive value ...`. */
      readonly forwarded: readonly string[];
    };

/** A whole number in [min, max] written as plain decimal digits, or a sentence saying why not. */
function count(option: string, word: string | undefined, min: number, max: number): number | string {
  if (word === undefined || word.startsWith('--')) return `${option} needs a value`;
  const n = /^[0-9]{1,9}$/.test(word) ? Number(word) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) return `${option} must be a whole number from ${min} to ${max}, not '${word}'`;
  return n;
}

function parseArgs(argv: readonly string[]): Parsed {
  let shards: number | null = null;
  let replicas: number | null = null;
  let port: number | null = null;
  let dir: string | null = null;
  let configFile: string | null = null;
  const forwarded: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const own = name === '--shards' || name === '--replicas' || name === '--port' || name === '--dir';
    if (!own) {
      if (i === 0 && !arg.startsWith('-')) configFile = arg;
      else if (arg === '-') return { kind: 'error', message: 'the configuration cannot come from standard input: give a file' };
      else forwarded.push(arg);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (name === '--dir') {
      if (value === undefined || value === '' || value.startsWith('--')) return { kind: 'error', message: '--dir needs a directory' };
      dir = value;
      continue;
    }
    const n = name === '--shards' ? count(name, value, 1, MAX_SHARDS) : name === '--replicas' ? count(name, value, 0, MAX_REPLICAS) : count(name, value, 1, 65535);
    if (typeof n === 'string') return { kind: 'error', message: n };
    if (name === '--shards') shards = n;
    else if (name === '--replicas') replicas = n;
    else port = n;
  }
  const first = forwarded[0];
  if (first !== undefined && !first.startsWith('--')) return { kind: 'error', message: `'${first}' is not an option: directives for the nodes are written --name value` };
  for (const word of forwarded) {
    if (!word.startsWith('--')) continue;
    const directive = word.slice(2).toLowerCase();
    const why = OWN_DIRECTIVES.get(directive);
    if (why !== undefined) return { kind: 'error', message: `--${directive} cannot be given to the nodes of cluster-local: ${why}` };
    if (directive === 'dir') return { kind: 'error', message: '--dir is set once for all nodes' };
  }
  return { kind: 'run', shards, replicas, port, dir: resolve(dir ?? DEFAULT_DIR), configFile, forwarded };
}

function usage(): string {
  const cores = availableParallelism();
  return `Usage: ${PROGRAM} [--shards N] [--replicas R] [--port BASE] [--dir DIR]
                             [/path/to/redoubt.conf] [--directive value ...]

Starts Redoubt nodes on this machine as one Redis Cluster (cluster-enabled yes): one process per
shard, so that a machine's cores all serve. It builds the cluster the first time, prints the
endpoints, and stays in the foreground supervising the nodes.

  --shards N     primaries, each given an even share of the 16384 slots
                 (1 to ${MAX_SHARDS}; default: one per core, ${cores} here)
  --replicas R   replicas of each primary (0 to ${MAX_REPLICAS}; default 0)
  --port BASE    the first node's port (default ${DEFAULT_PORT}); the primaries take BASE, BASE+1, ...,
                 then the replicas; each node's cluster bus is its port + ${BUS_OFFSET}
  --dir DIR      each node's directory is DIR/<port>: nodes.conf, its data, its log
                 (default ./${DEFAULT_DIR})

A config file and --directive value words apply to every node (for example --requirepass,
--maxmemory per node, --appendonly yes, --cluster-announce-ip). The nodes listen where a single
Redoubt would (bind 127.0.0.1 -::1 by default), the cluster bus accepts only
cluster-allowed-peers (loopback by default), and with a password set (requirepass) the replicas
use it as masterauth unless masterauth is given. cluster-local authenticates to the nodes with
masteruser/masterauth when set, otherwise with requirepass.

The first start records the layout in DIR/${MANIFEST}. Started again with the same DIR, the
nodes read their nodes.conf and the cluster comes back with the same node ids and slots (the
layout options may then be left out). Ctrl-C, SIGTERM or SIGHUP stops every node (each saves as
its configuration says); a second Ctrl-C stops them at once. A node that dies is reported; when
a range of slots has no live node left, the others are stopped and the command exits with 1.

Examples:
       ${PROGRAM}                               one shard per core, ports ${DEFAULT_PORT}...
       ${PROGRAM} --shards 3 --replicas 1 --port 7000 --dir /var/lib/redoubt-cluster
       ${PROGRAM} --shards 4 /etc/redoubt/shard.conf --maxmemory 2gb
       redis-cli -c -p ${DEFAULT_PORT}                     a client that follows MOVED redirections
`;
}

function errorOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The supervisor's lines go to standard output, prefixed so they read apart from a node's. */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): number {
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  return 1;
}

/** The layout recorded by an earlier start, null when there is none. */
function readManifest(dir: string): Layout | null {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) return null;
  const m: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof m !== 'object' || m === null) throw new Error(`${file} is not a cluster-local manifest`);
  const get = (k: string): number => {
    const v: unknown = (m as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${file} is not a cluster-local manifest (no ${k})`);
    return v;
  };
  return { shards: get('shards'), replicas: get('replicas'), port: get('port') };
}

/** The address cluster-local reaches the nodes at, and the nodes MEET each other at: an IP of `bind`. */
function hostOf(bind: string): string {
  for (const raw of bind.split(' ')) {
    const a = raw.startsWith('-') ? raw.slice(1) : raw;
    if (a === '' || a === 'localhost') continue;
    if (a === '*' || a === '0.0.0.0') return '127.0.0.1';
    if (a === '::*' || a === '::') return '::1';
    return a;
  }
  return '127.0.0.1';
}

interface Credentials {
  readonly user: string | null;
  readonly password: string;
}

/** One node of the layout: shard `shard`'s primary when `replica` is -1, else its replica number `replica`. */
interface LocalNode {
  readonly port: number;
  readonly dir: string;
  readonly shard: number;
  readonly replica: number;
  child: ChildProcess | null;
  exited: boolean;
  id: string;
}

class Stopped extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function slotRange(shard: number, shards: number): [number, number] {
  return [Math.floor((shard * CLUSTER_SLOTS) / shards), Math.floor(((shard + 1) * CLUSTER_SLOTS) / shards) - 1];
}

/** `field:value` lines (CLUSTER INFO, INFO) as a map. */
function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

interface NodeLine {
  readonly id: string;
  readonly address: string;
  readonly flags: readonly string[];
  readonly primary: string;
  readonly slots: readonly string[];
}

function nodeLines(text: string): NodeLine[] {
  const out: NodeLine[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(' ');
    const [id, address, flags, primary] = w;
    if (id === undefined || address === undefined || flags === undefined || primary === undefined) continue;
    out.push({ id, address, flags: flags.split(','), primary, slots: w.slice(8) });
  }
  return out;
}

/** The host:port of a CLUSTER NODES address (`ip:port@cport[,hostname]`). */
function endpointOf(address: string): string {
  const at = address.indexOf('@');
  return at === -1 ? address : address.slice(0, at);
}

class LocalCluster {
  private stopping = false;
  private readonly exits: Promise<void>[] = [];
  private failure: string | null = null;
  /** Set once the cluster is formed: from then on a node's death is weighed, not fatal. */
  ready = false;

  constructor(
    readonly nodes: readonly LocalNode[],
    readonly layout: Layout,
    readonly host: string,
    private readonly credentials: Credentials | null,
    private readonly mainScript: string,
    private readonly heapMb: number | null,
    private readonly ownLog: boolean,
  ) {}

  private endpoint(n: LocalNode): string {
    return formatAddr(this.host, n.port);
  }

  private logTail(n: LocalNode): string {
    if (!this.ownLog) return '  (the nodes write to the logfile of the configuration)';
    try {
      const lines = readFileSync(join(n.dir, LOG_FILE), 'utf8').trimEnd().split('\n').slice(-8);
      return lines.map((l) => `  | ${l}`).join('\n');
    } catch {
      return '  (no log)';
    }
  }

  start(n: LocalNode): void {
    const out = this.ownLog ? openSync(join(n.dir, LOG_FILE), 'a', 0o600) : 'ignore';
    const nodeArgs = this.heapMb !== null ? [`--max-old-space-size=${this.heapMb}`] : [];
    // Detached (its own session): a Ctrl-C at the terminal reaches only this process, which
    // forwards it once, so a node never takes one Ctrl-C for the "second one" that skips its save.
    const child = spawn(process.execPath, [...nodeArgs, this.mainScript, join(n.dir, 'redoubt.conf')], {
      cwd: n.dir,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (typeof out === 'number') closeSync(out);
    n.child = child;
    n.exited = false;
    this.exits.push(
      new Promise<void>((resolve) => {
        child.once('error', (err) => {
          n.exited = true;
          this.died(n, `could not be started: ${err.message}`);
          resolve();
        });
        child.once('exit', (code, signal) => {
          n.exited = true;
          if (!this.stopping) this.died(n, `exited (${signal ?? `status ${String(code)}`})`);
          resolve();
        });
      }),
    );
  }

  /** A node ended while nothing asked it to. */
  private died(n: LocalNode, how: string): void {
    if (this.stopping) return;
    process.stderr.write(`${PROGRAM}: node ${this.endpoint(n)} (pid ${String(n.child?.pid)}) ${how}; the end of its log:\n${this.logTail(n)}\n`);
    void this.afterDeath();
  }

  private async afterDeath(): Promise<void> {
    if (this.failure === null && !this.ready) {
      this.failure = 'a node ended before the cluster was ready';
      this.stop('SIGTERM');
      return;
    }
    // Which ranges of slots still have a live node: read from a node that is up.
    const lost = await this.lostShards().catch(() => ['all of them (no node answers)']);
    if (lost.length === 0) {
      say(`${PROGRAM}: every range of slots still has a live node; the others carry on (a replica takes its failed primary's place after cluster-node-timeout, if a majority of the primaries is up to vote)`);
      return;
    }
    if (this.stopping) return;
    this.failure = `no live node serves slots ${lost.join(', ')}`;
    process.stderr.write(`${PROGRAM}: ${this.failure}: stopping the other nodes\n`);
    this.stop('SIGTERM');
  }

  private async lostShards(): Promise<string[]> {
    const byEndpoint = new Map(this.nodes.map((n) => [this.endpoint(n), n]));
    const up = this.nodes.find((n) => !n.exited);
    if (up === undefined) return ['all of them'];
    const lines = nodeLines(await this.text(up, 'CLUSTER', 'NODES'));
    const lost: string[] = [];
    for (const p of lines) {
      if (!p.flags.includes('master') || p.slots.length === 0) continue;
      const members = [p, ...lines.filter((r) => r.primary === p.id)];
      const live = members.some((m) => {
        const n = byEndpoint.get(endpointOf(m.address));
        return n !== undefined && !n.exited;
      });
      if (!live) lost.push(p.slots.join(' '));
    }
    return lost;
  }

  /** Forwards `signal` to every node still running (once the stop has begun, SIGINT again stops them at once). */
  stop(signal: NodeJS.Signals): void {
    const again = this.stopping;
    this.stopping = true;
    if (again && signal !== 'SIGINT') return;
    for (const n of this.nodes) {
      if (n.child !== null && !n.exited) n.child.kill(signal);
    }
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get failed(): string | null {
    return this.failure;
  }

  /** Resolves once every node started has exited. */
  async allExited(): Promise<void> {
    await Promise.all(this.exits);
  }

  /** Waits `ms`; throws Stopped once a stop has begun. */
  private async pause(ms: number): Promise<void> {
    if (this.stopping) throw new Stopped();
    await sleep(ms);
    // Read through the getter: a signal may have begun the stop during the sleep.
    if (this.isStopping) throw new Stopped();
  }

  private async connect(n: LocalNode): Promise<Conn> {
    const conn = await Conn.open({ host: this.host, port: n.port, timeoutMs: 10_000 });
    if (this.credentials !== null) {
      const { user, password } = this.credentials;
      const r = await conn.call(...(user !== null ? ['AUTH', user, password] : ['AUTH', password]));
      // A node with no password refuses AUTH; the credentials were for another setting (masterauth).
      if (r instanceof ReplyError && !r.message.includes('without any password configured')) {
        conn.close();
        throw new Error(`node ${this.endpoint(n)} refused cluster-local's credentials: ${r.message}`);
      }
    }
    return conn;
  }

  /** Sends one command to `n`; an error reply is thrown. */
  async ask(n: LocalNode, ...args: string[]): Promise<Reply> {
    const conn = await this.connect(n);
    try {
      const r = await conn.call(...args);
      if (r instanceof ReplyError) throw new Error(`${args.slice(0, 2).join(' ')} on ${this.endpoint(n)}: ${r.message}`);
      return r;
    } finally {
      conn.close();
    }
  }

  /** Sends one command to `n` whose reply is text (a bulk or status reply). */
  async text(n: LocalNode, ...args: string[]): Promise<string> {
    const r = await this.ask(n, ...args);
    if (typeof r !== 'string') throw new Error(`${args.slice(0, 2).join(' ')} on ${this.endpoint(n)}: unexpected reply ${JSON.stringify(r)}`);
    return r;
  }

  /** Waits until `n` answers PING (LOADING: still reading its data, so it is given longer). */
  async listening(n: LocalNode): Promise<void> {
    let deadline = Date.now() + LISTEN_TIMEOUT_MS;
    for (;;) {
      if (n.exited) throw new Error(`node ${this.endpoint(n)} ended before it accepted connections`);
      let conn: Conn | null = null;
      try {
        conn = await this.connect(n);
        const r = await conn.call('PING');
        if (r === 'PONG') return;
        if (r instanceof ReplyError && r.code === 'LOADING') deadline = Date.now() + LISTEN_TIMEOUT_MS;
        else throw new Error(`node ${this.endpoint(n)} answered PING with ${r instanceof ReplyError ? r.message : JSON.stringify(r)}`);
      } catch (err) {
        if (!(err instanceof ConnectError)) throw err;
      } finally {
        conn?.close();
      }
      if (Date.now() > deadline) throw new Error(`node ${this.endpoint(n)} did not accept connections within ${LISTEN_TIMEOUT_MS / 1000} s`);
      await this.pause(POLL_MS);
    }
  }

  /** Builds the cluster when every node is new; a cluster every node already knows is left as it is. */
  async form(): Promise<'created' | 'restarted'> {
    const total = this.nodes.length;
    const infos = await Promise.all(this.nodes.map(async (n) => fields(await this.text(n, 'CLUSTER', 'INFO'))));
    for (const n of this.nodes) n.id = await this.text(n, 'CLUSTER', 'MYID');
    const known = infos.map((i) => Number(i.get('cluster_known_nodes')));
    const fresh = infos.every((i, k) => known[k] === 1 && i.get('cluster_slots_assigned') === '0');
    if (fresh) {
      await this.create();
      return 'created';
    }
    if (known.every((k) => k === total)) return 'restarted';
    throw new Error(
      `the nodes in this directory are neither new nor one cluster (they know ${known.join(', ')} nodes of ${total}): ` +
        'its creation was interrupted, or a node directory was removed. Remove the directory to create the cluster again.',
    );
  }

  private async create(): Promise<void> {
    const { shards } = this.layout;
    const primaries = this.nodes.filter((n) => n.replica === -1);
    for (const p of primaries) {
      const [lo, hi] = slotRange(p.shard, shards);
      await this.ask(p, 'CLUSTER', 'ADDSLOTSRANGE', String(lo), String(hi));
    }
    // Distinct epochs from the start, as redis-cli --cluster create sets them, so that no
    // collision has to be resolved before the slots' owners are agreed.
    let epoch = 1;
    for (const n of this.nodes) await this.ask(n, 'CLUSTER', 'SET-CONFIG-EPOCH', String(epoch++));
    const [first, ...rest] = this.nodes;
    if (first !== undefined) {
      for (const n of rest) await this.ask(n, 'CLUSTER', 'MEET', this.host, String(first.port), String(first.port + BUS_OFFSET));
    }
    await this.until('every node to know every other', async () => {
      for (const n of this.nodes) {
        const lines = nodeLines(await this.text(n, 'CLUSTER', 'NODES'));
        const ids = new Set(lines.filter((l) => !l.flags.includes('handshake')).map((l) => l.id));
        if (!this.nodes.every((m) => ids.has(m.id))) return `${this.endpoint(n)} knows ${ids.size} of ${this.nodes.length}`;
      }
      return null;
    });
    for (const r of this.nodes) {
      if (r.replica === -1) continue;
      const p = primaries.find((q) => q.shard === r.shard);
      if (p !== undefined) await this.ask(r, 'CLUSTER', 'REPLICATE', p.id);
    }
  }

  /** Waits until every node says cluster_state:ok, all agree on who serves which slots, and every replica's link is up. */
  async settled(): Promise<NodeLine[]> {
    let agreed: NodeLine[] = [];
    await this.until('the cluster to be ok on every node', async () => {
      let reference: string | null = null;
      for (const n of this.nodes) {
        const info = fields(await this.text(n, 'CLUSTER', 'INFO'));
        if (info.get('cluster_state') !== 'ok') return `${this.endpoint(n)} says cluster_state:${info.get('cluster_state') ?? '?'}`;
        const lines = nodeLines(await this.text(n, 'CLUSTER', 'NODES'));
        const bad = lines.find((l) => l.flags.some((f) => f === 'handshake' || f === 'fail' || f === 'fail?' || f === 'noaddr'));
        if (bad !== undefined) return `${this.endpoint(n)} sees ${bad.id} as ${bad.flags.join(',')}`;
        if (lines.length !== this.nodes.length) return `${this.endpoint(n)} knows ${lines.length} of ${this.nodes.length} nodes`;
        const view = lines
          .map((l) => `${l.id} ${l.flags.includes('master') ? 'master' : 'replica'} ${l.primary} ${l.slots.join(' ')}`)
          .sort()
          .join('\n');
        if (reference === null) {
          reference = view;
          agreed = lines;
        } else if (view !== reference) return `${this.endpoint(n)} does not agree yet on the slots and roles`;
        const me = lines.find((l) => l.flags.includes('myself'));
        if (me?.flags.includes('slave') === true) {
          const repl = fields(await this.text(n, 'INFO', 'replication'));
          if (repl.get('master_link_status') !== 'up') return `replica ${this.endpoint(n)} has not synced with its primary yet`;
        }
      }
      return null;
    });
    return agreed;
  }

  /** Polls `check` (null: done, else what is still missing) until done or FORM_TIMEOUT_MS pass. */
  private async until(what: string, check: () => Promise<string | null>): Promise<void> {
    const deadline = Date.now() + FORM_TIMEOUT_MS;
    for (;;) {
      const missing = await check().catch((err: unknown) => errorOf(err));
      if (missing === null) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${missing}`);
      await this.pause(POLL_MS * 2);
    }
  }

  /** The endpoints as a table: one line per node, from the agreed view. */
  describe(lines: readonly NodeLine[]): string {
    const byEndpoint = new Map(this.nodes.map((n) => [this.endpoint(n), n]));
    const rows: string[] = [];
    const ordered = [...lines].sort((a, b) => (byEndpoint.get(endpointOf(a.address))?.port ?? 0) - (byEndpoint.get(endpointOf(b.address))?.port ?? 0));
    for (const l of ordered) {
      const ep = endpointOf(l.address);
      const n = byEndpoint.get(ep);
      const primary = lines.find((p) => p.id === l.primary);
      const role = l.flags.includes('master') ? `primary  slots ${l.slots.join(' ')}` : `replica  of ${primary !== undefined ? endpointOf(primary.address) : l.primary}`;
      rows.push(`  ${ep.padEnd(22)} id ${l.id}  pid ${String(n?.child?.pid ?? '?')}  ${role}`);
    }
    return rows.join('\n');
  }
}

/** The per-node configuration file: the user's file and directives, then what cluster-local sets. */
function nodeConfig(n: LocalNode, configFile: string | null, directives: readonly string[], extra: readonly string[]): string {
  const lines = [
    '# Written by `redoubt cluster-local` at each start: change the configuration given to it instead.',
    ...(configFile !== null ? [`include ${repr(configFile)}`] : []),
    ...directives,
    ...extra,
    ...OVERRIDES,
    `port ${n.port}`,
    `dir ${repr(n.dir)}`,
  ];
  return lines.join('\n') + '\n';
}

/** `redoubt cluster-local ...`: resolves to the exit status once every node has stopped. */
export async function runClusterLocal(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (parsed.kind === 'error') return fail(`${parsed.message} (see ${PROGRAM} --help)`);
  const refusal = rootRefusal();
  if (refusal !== null) {
    process.stderr.write(refusal);
    return 1;
  }
  const dir = parsed.dir;

  // The layout: an earlier start's, which the options must then agree with, or the options'.
  let recorded: Layout | null;
  try {
    recorded = readManifest(dir);
  } catch (err) {
    return fail(errorOf(err));
  }
  const layout: Layout = {
    shards: parsed.shards ?? recorded?.shards ?? availableParallelism(),
    replicas: parsed.replicas ?? recorded?.replicas ?? 0,
    port: parsed.port ?? recorded?.port ?? DEFAULT_PORT,
  };
  if (recorded !== null && (recorded.shards !== layout.shards || recorded.replicas !== layout.replicas || recorded.port !== layout.port)) {
    return fail(
      `${dir} holds a cluster of ${recorded.shards} shard(s) with ${recorded.replicas} replica(s) each from port ${recorded.port}; ` +
        'start it with the same --shards, --replicas and --port (or none of them), or give another --dir',
    );
  }
  if (recorded === null && existsSync(dir) && readdirSync(dir).length > 0) {
    return fail(`${dir} is not empty and holds no ${MANIFEST}: give an empty or new --dir`);
  }
  const total = layout.shards * (layout.replicas + 1);
  const last = layout.port + total - 1;
  if (last + BUS_OFFSET > 65535) {
    return fail(`${total} nodes from port ${layout.port} need ports up to ${last} and bus ports up to ${last + BUS_OFFSET}: the highest port is 65535, so --port must be at most ${65535 - BUS_OFFSET - total + 1}`);
  }

  // The nodes' configuration, loaded here as each node will load it, so that a mistake is reported
  // before any process starts. Loading a `dir` line changes the working directory: put it back.
  const configFile = parsed.configFile !== null ? resolve(parsed.configFile) : null;
  const directives = parseCommandLine(parsed.forwarded);
  if (directives.kind !== 'run') return fail('the directives for the nodes could not be read');
  const given = directives.options;
  const cwd = process.cwd();
  let credentials: Credentials | null = null;
  const extra: string[] = [];
  let host: string;
  let heapMb: number | null = null;
  let ownLog: boolean;
  try {
    const startup = loadServerConfig(
      { configFile, stdin: false, options: [...given, ...OVERRIDES, `port ${layout.port}`] },
      createCommandTable(),
    );
    const config = startup.config;
    const requirepass = config.str('requirepass');
    const masterauth = config.str('masterauth');
    const masteruser = config.str('masteruser');
    if (masterauth !== '') credentials = { user: masteruser !== '' ? masteruser : null, password: masterauth };
    else if (requirepass !== '') {
      credentials = { user: null, password: requirepass };
      // Replicas authenticate to their primary with masterauth: the password all nodes share.
      extra.push(`masterauth ${repr(requirepass)}`);
    }
    const shared = ['unixsocket', 'replicaof'] as const;
    const ports = ['tls-port', 'cluster-announce-port', 'cluster-announce-bus-port', 'cluster-announce-tls-port'] as const;
    const clash = [...shared.filter((d) => config.str(d) !== ''), ...ports.filter((d) => config.num(d) !== 0), ...(config.bool('cluster-emulated') ? ['cluster-emulated'] : [])];
    if (clash.length > 0) {
      const why = clash.map((d) => `${d} (${OWN_DIRECTIVES.get(d) ?? 'each node needs its own'})`).join(', ');
      return fail(`${configFile ?? 'the configuration'} sets what cannot be shared by the nodes: ${why}`);
    }
    host = hostOf(config.str('bind'));
    const maxmemory = config.num('maxmemory');
    const nodeOptions = process.env['NODE_OPTIONS'] ?? '';
    if (maxmemory > 0 && !nodeOptions.includes('--max-old-space-size')) heapMb = heapSizeFor(maxmemory);
    ownLog = config.str('logfile') === '';
  } catch (err) {
    if (err instanceof StartupConfigError) {
      process.stderr.write(formatStartupError(err, `Redoubt ${VERSION}, Redis ${REDIS_VERSION} compatible`));
      return 1;
    }
    throw err;
  } finally {
    process.chdir(cwd);
  }

  // One supervisor per directory: a second would start nodes on the same files.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, LOCK);
  if (existsSync(lock)) {
    const owner = Number(readFileSync(lock, 'utf8').trim());
    if (owner !== process.pid && processAlive(owner)) return fail(`${dir} is in use by another cluster-local (pid ${owner})`);
  }
  writeFileSync(lock, `${process.pid}\n`, { mode: 0o600 });
  if (recorded === null) writeFileSync(join(dir, MANIFEST), JSON.stringify(layout) + '\n', { mode: 0o600 });

  const placed: LocalNode[] = [];
  const place = (port: number, shard: number, replica: number): void => {
    placed.push({ port, dir: join(dir, String(port)), shard, replica, child: null, exited: false, id: '' });
  };
  for (let s = 0; s < layout.shards; s++) place(layout.port + s, s, -1);
  for (let s = 0; s < layout.shards; s++) {
    for (let r = 0; r < layout.replicas; r++) place(layout.port + layout.shards + s * layout.replicas + r, s, r);
  }
  for (const n of placed) {
    mkdirSync(n.dir, { recursive: true, mode: 0o700 });
    // 0600: it may hold the password (requirepass, masterauth).
    writeFileSync(join(n.dir, 'redoubt.conf'), nodeConfig(n, configFile, given, extra), { mode: 0o600 });
  }

  const mainScript = fileURLToPath(new URL('./main.js', import.meta.url));
  const cluster = new LocalCluster(placed, layout, host, credentials, mainScript, heapMb, ownLog);
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cluster.isStopping) say(`${PROGRAM}: ${signal} received, stopping ${placed.length} node(s)...`);
    cluster.stop(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = (): void => onSignal(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });

  const cores = availableParallelism();
  if (layout.shards > cores) say(`${PROGRAM}: ${placed.length} node(s) on ${cores} core(s): the processes will compete for them`);
  say(`${PROGRAM}: ${recorded === null ? 'creating' : 'starting'} a cluster of ${layout.shards} shard(s), ${layout.replicas} replica(s) each, on ${host} ports ${layout.port}-${last}, in ${dir}`);
  let status = 0;
  try {
    for (const n of placed) cluster.start(n);
    await Promise.all(placed.map((n) => cluster.listening(n)));
    const how = await cluster.form();
    const lines = await cluster.settled();
    cluster.ready = true;
    say(`${PROGRAM}: cluster_state:ok, ${how === 'created' ? 'created' : 'started again from its nodes.conf files'}:`);
    say(cluster.describe(lines));
    say(`${PROGRAM}: connect with a cluster client, e.g. redis-cli -c -h ${host} -p ${layout.port}${credentials !== null ? ' --askpass' : ''}`);
    say(`${PROGRAM}: ready; Ctrl-C or SIGTERM to pid ${process.pid} stops every node`);
  } catch (err) {
    if (!(err instanceof Stopped) && !cluster.isStopping) {
      process.stderr.write(`${PROGRAM}: ${errorOf(err)}\n`);
      status = 1;
      cluster.stop('SIGTERM');
    }
  }
  await cluster.allExited();
  for (const [sig, h] of handlers) process.removeListener(sig, h);
  rmSync(lock, { force: true });
  if (cluster.failed !== null) status = 1;
  say(`${PROGRAM}: every node has stopped`);
  return status;
}
