// The server: configuration, databases, the command table, connected clients, statistics, the
// periodic cron (active expiry, idle timeouts, ops/sec sampling), and every subsystem it owns as a
// plain field (users and ACL, pub/sub, WATCH, scripts and functions, the auth throttle, the audit
// log, TLS listeners). Built by the composition root (cli/compose.ts); two servers in one process
// share nothing. Listening sockets and the per-connection read loop live in connection.ts.

import net from 'node:net';
import { randomBytes } from 'node:crypto';
import * as E from '../errors.js';
import type { Config } from '../config/config.js';
import type { ConfigTarget, PortKind } from '../config/types.js';
import { PortListeners, type PortBinding, type TcpAddress } from './listeners.js';
import { notifyFlagsOf } from '../config/keyspace-events.js';
import type { CommandTable } from '../commands/registry.js';
import { Database, type KeyspaceEvents, type WriteBarrier } from '../store/database.js';
import { ActiveExpiry } from '../store/expiry.js';
import { FieldExpiry } from './field-expiry.js';
import { StoreContext } from '../store/context.js';
import { Logger } from './log.js';
import { Slowlog } from './slowlog.js';
import { LatencyMonitor, StallMonitor } from './latency.js';
import type { Client } from './client.js';
import type { ScriptRun } from '../scripting/script-run.js';
import type { Scripting } from '../scripting/scripts.js';
import type { Functions } from '../scripting/functions.js';
import { acceptConnection, flushClient, processInput, resumeInput } from './connection.js';
import { Monitors } from './monitor.js';
import { BlockingRegistry } from './blocking.js';
import { WatchTable } from './watch.js';
import { Tracking } from './tracking.js';
import { VERSION, REDIS_VERSION } from '../version.js';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { bindHost, openDoorReason } from '../security/exposure.js';
import { admitPeer, compileTrustedNetworks } from '../security/trusted-networks.js';
import { TlsListeners, tlsClientOptions, tlsSettings, type TlsSettings } from '../security/tls.js';
import { AuditLog, clientFields } from '../security/audit-log.js';
import { authRequired } from '../security/auth.js';
import { AuthThrottle } from '../security/auth-throttle.js';
import { checkAllOutputLimits, parseOutputLimits, type OutputLimits } from '../security/output-limits.js';
import { Acl } from '../security/acl/state.js';
import type { UserLine } from '../config/config-file.js';
import { notifyDb, NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW } from './notify.js';
import { PubSub } from './pubsub.js';
import { MemoryGuard, processMemory, type MemoryHolder } from './memory.js';
import { Evictor } from './evict.js';
import { ClientMemory, clientsCron } from './client-memory.js';
import { fitMaxclientsToFileLimit } from '../config/file-limit.js';
import type { LoadingState, LoadStats } from './rdb-load.js';
import { RdbSaver } from './rdb-save.js';
import { Propagation } from './propagation.js';
import { Aof } from './aof.js';
import { ClusterState } from './cluster.js';
import { Migrations } from './migrate.js';
import type { Replication } from './replication.js';

export interface ServerStats {
  connectionsReceived: number;
  commands: number;
  netInput: number;
  netOutput: number;
  rejectedConnections: number;
  /** Connections dropped by trusted-networks (INFO rejected_connections_untrusted). */
  rejectedUntrusted: number;
  expiredKeys: number;
  /** Hash fields removed because their time to live passed (INFO expired_subkeys). */
  expiredSubkeys: number;
  errorReplies: number;
  /** errorstats: error code (first word) → count. */
  errors: Map<string, number>;
  /** Ops/sec samples, one per cron second (INFO instantaneous_ops_per_sec). */
  opsSamples: number[];
  lastOpsCount: number;
  /** Socket reads and writes (INFO total_reads_processed / total_writes_processed). */
  reads: number;
  writes: number;
  /** Bytes in and out per second, sampled as opsSamples (INFO instantaneous_*_kbps). */
  inputSamples: number[];
  outputSamples: number[];
  lastNetInput: number;
  lastNetOutput: number;
  /** Clients closed by client-output-buffer-limit (INFO client_output_buffer_limit_disconnections). */
  outputLimitDisconnections: number;
  /** Failed AUTH / HELLO AUTH attempts, attempts made to wait, and sources locked out (INFO auth_*). */
  authFailures: number;
  authThrottled: number;
  authLockouts: number;
}

/** CLIENT PAUSE state: which commands wait, and until when (ms since the epoch). */
export interface ClientPause {
  /** What is held now: the stronger of CLIENT PAUSE's and FAILOVER's. */
  type: 'none' | 'write' | 'all';
  /** When CLIENT PAUSE ends (0: none). */
  until: number;
  timer: NodeJS.Timeout | null;
  /** FAILOVER holds writes until it ends, whatever CLIENT PAUSE and UNPAUSE do (Redis's PAUSE_DURING_FAILOVER). */
  failover: boolean;
}

/** The V8 heap in use plus memory held outside it (Buffers): what the process holds once built. */
function heapInUse(): number {
  // Not process.memoryUsage(): it reads /proc and throws EMFILE when descriptors run out.
  const m = processMemory();
  return m.heapUsed + m.external;
}

/** The parts of used_memory (docs/memory.md). */
export interface MemoryBreakdown {
  /** The heap in use once the server was built (used_memory_startup). */
  readonly startup: number;
  /** Estimated keys, values, TTLs and per-key metadata, all databases. */
  readonly dataset: number;
  /** Query buffers and unsent replies of every client. */
  readonly clients: number;
  /** Lua VMs, cached script bodies and function libraries. */
  readonly scripts: number;
  /** What memoryHolders hold (snapshot copies). */
  readonly held: number;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'tcp' | 'unix';
  /** A TLS port (family 'tcp'). */
  readonly tls?: boolean;
}

/** Max distinct error codes tracked in errorstats, as Redis. */
const MAX_ERROR_CODES = 128;

/**
 * The subsystems that sit above the server in the layers (scripting runs commands through the
 * dispatcher), so the composition root builds them; each is given the server it belongs to.
 */
export interface ServerParts {
  readonly scripts: (server: Server) => Scripting;
  readonly functions: (server: Server) => Functions;
  readonly replication: (server: Server) => Replication;
}

export class Server implements KeyspaceEvents, ConfigTarget {
  readonly log = new Logger();
  /** The clock, keyspace counters and SCAN cursors this server's databases share. */
  readonly store = new StoreContext();
  readonly dbs: Database[];
  readonly clients = new Map<number, Client>();
  readonly slowlog = new Slowlog();
  readonly latency = new LatencyMonitor();
  /** INFO stats eventloop_max_stall_ms: measured from listen() until shutdown. */
  readonly stalls = new StallMonitor();
  readonly expiry = new ActiveExpiry(this.store.clock);
  /** The active expiry of hash fields (Redis's activeExpireHashFieldCycle). */
  readonly fieldExpiry = new FieldExpiry();
  readonly blocking = new BlockingRegistry();
  /** The heap's limits: -OOM for writes, no allocation past what V8 holds. */
  readonly memory = new MemoryGuard();
  /** What clients hold (maxmemory-clients, the unauthenticated bounds). */
  readonly clientMemory = new ClientMemory();
  /** Clients in MONITOR mode. */
  readonly monitors = new Monitors(flushClient);
  /** maxmemory and its policies: keys evicted before commands while used_memory is over the limit. */
  readonly evictor: Evictor = new Evictor(this);
  /**
   * Memory used_memory counts beyond the keyspace, clients and scripts: the snapshotter registers
   * the bytes it retains for values overwritten during its walk here.
   */
  readonly memoryHolders: MemoryHolder[] = [];
  /** maxmemory in bytes (0: the heap's capacity is the limit). */
  private maxmemoryBytes = 0;
  /** The scripts' memory, read each cron tick (summing libraries is not for every command). */
  private scriptsMemory = 0;
  /** Clients just unblocked, whose further input runs on the next turn of the event loop. */
  private readonly unblocked = new Set<Client>();
  readonly startTime = Date.now();
  /** Redis's run_id: random at each start, one per server (two servers in a process differ). */
  readonly runId = randomBytes(20).toString('hex');
  readonly stats: ServerStats = {
    connectionsReceived: 0,
    commands: 0,
    netInput: 0,
    netOutput: 0,
    rejectedConnections: 0,
    rejectedUntrusted: 0,
    expiredKeys: 0,
    expiredSubkeys: 0,
    errorReplies: 0,
    errors: new Map(),
    opsSamples: [],
    lastOpsCount: 0,
    reads: 0,
    writes: 0,
    inputSamples: [],
    outputSamples: [],
    lastNetInput: 0,
    lastNetOutput: 0,
    outputLimitDisconnections: 0,
    authFailures: 0,
    authThrottled: 0,
    authLockouts: 0,
  };
  readonly pause: ClientPause = { type: 'none', until: 0, timer: null, failover: false };
  /** Clients holding a request until the pause ends, in arrival order. */
  readonly pausedClients = new Set<Client>();
  /** Memory in use once the server was built, and the most used_memory seen since (INFO memory). */
  readonly startupMemory = heapInUse();
  peakMemory = this.startupMemory;
  /** The listeners of port and tls-port, which CONFIG SET can move (server/listeners.ts). */
  readonly ports = new PortListeners((b) => this.closeBinding(b));
  /** The unix socket's listener and address, when unixsocket is set (it never changes at runtime). */
  private unixListener: { server: net.Server; address: ListenAddress } | null = null;
  /** Path of the config file, for CONFIG REWRITE and INFO config_file. */
  configFile = '';
  shuttingDown = false;
  /** The RDB load in progress (clients get -LOADING meanwhile), else null; see rdb-load.ts. */
  loading: LoadingState | null = null;
  /** Keys loaded and skipped as expired by the last RDB load (INFO rdb_last_load_keys_*). */
  readonly lastLoad: LoadStats = { keysLoaded: 0, keysExpired: 0 };
  /** The script (EVAL or FCALL) that is running or suspended past busy-reply-threshold, else null. */
  script: ScriptRun | null = null;
  /** Called once the server has stopped (the CLI exits the process there). */
  onShutdown: (() => void) | null = null;
  /** Called as a shutdown begins (the command line tells systemd STOPPING=1). */
  onStopping: (() => void) | null = null;
  private cron: NodeJS.Timeout | null = null;
  private cronTicks = 0;
  /** DEBUG PAUSE-CRON 1: the cron does nothing (no active expiry, save points, timeouts, samples). */
  cronPaused = false;
  /** The notify-keyspace-events classes in force (see notify.ts); 0 when notifications are off. */
  notifyFlags = 0;

  /** Hooks other subsystems register to hear about key changes (WATCH, notifications). */
  readonly keyspaceListeners: Partial<KeyspaceEvents>[] = [];
  /**
   * What must see a key before it changes (the write barrier, store/database.ts): snapshots,
   * client-side caching, propagation. Empty, it costs a write one call and a length check.
   */
  readonly writeBarriers: WriteBarrier[] = [];
  /** The one propagation point: what changed the dataset, as effects, to the AOF (and later replicas). */
  readonly propagation = new Propagation();
  /** The append-only file (a propagation sink while appendonly is on). */
  readonly aof: Aof = new Aof(this);
  /** Error replies counted when the last command began or ended (Redis's prev_err_count; see call()). */
  errorsSeen = 0;
  /** The id the next client gets (CLIENT ID), from 1 as in Redis. */
  nextClientId = 1;
  /** latency-tracking: per-command latency histograms (server/latency-histogram.ts). */
  latencyTracking = true;
  /** client-output-buffer-limit, parsed once per configuration change. */
  outputLimits: OutputLimits;
  /** trusted-networks, compiled once per configuration change; null: anyone may connect. */
  trustedNetworks: net.BlockList | null = null;

  // --- subsystems ---
  /** Users, ACL rules and ACL LOG. */
  readonly acl: Acl;
  /** Channels and patterns, where keyspace notifications are published too. */
  readonly pubsub: PubSub;
  /** Keys under WATCH. */
  readonly watch: WatchTable;
  /** Client-side caching: who read which keys, BCAST prefixes, invalidation messages. */
  readonly tracking: Tracking;
  /** The EVAL script cache and its Lua engine. */
  readonly scripts: Scripting;
  /** FUNCTION libraries and their Lua engine. */
  readonly functions: Functions;
  /** Failed AUTH attempts per source and user name: delays and lockouts. */
  readonly authThrottle = new AuthThrottle();
  /** The audit-log destination. */
  readonly audit: AuditLog;
  /** The TLS listeners and the settings each runs with. */
  readonly tls = new TlsListeners();
  /** Replication: the primary's stream, backlog and replicas, and the link to our primary (replication.ts). */
  readonly replication: Replication;
  /** SAVE, BGSAVE, save points and the state INFO persistence reports. */
  readonly rdb: RdbSaver = new RdbSaver(this);
  /** Standalone, or one node emulating a cluster that owns every slot (cluster-emulated). */
  readonly cluster: ClusterState;
  /** MIGRATE's cached connections and the keys it has in flight. */
  readonly migrations: Migrations;

  /**
   * `commands`: the table, after rename-command; `startupUsers`: the `user` lines of the
   * configuration, already checked (security/acl/startup.ts).
   */
  constructor(
    readonly config: Config,
    readonly commands: CommandTable,
    startupUsers: readonly UserLine[],
    parts: ServerParts,
  ) {
    const n = config.num('databases');
    this.dbs = [];
    for (let i = 0; i < n; i++) this.dbs.push(new Database(i, this, this.store));
    this.keyspaceListeners.push(this.blocking);
    this.blocking.resume = (c) => this.resumeUnblocked(c);
    this.outputLimits = parseOutputLimits(String(config.raw('client-output-buffer-limit')));
    this.audit = new AuditLog(
      config,
      (m) => this.log.warning(m),
      (type, fields) => this.log.event(type, fields),
    );
    this.acl = new Acl(this, commands.universe, startupUsers);
    this.pubsub = new PubSub(this);
    this.watch = new WatchTable(this.keyspaceListeners);
    this.cluster = new ClusterState(this.dbs, this.keyspaceListeners);
    // With tls-cluster, MIGRATE reaches other nodes at their TLS ports, as a TLS client (Redis's migrateGetSocket).
    this.migrations = new Migrations(this.keyspaceListeners, () => (this.cluster.mode?.bus.tls === true ? tlsClientOptions(this.config) : null));
    this.tracking = new Tracking(
      (id) => this.clients.get(id),
      () => this.clients.values(),
      this.keyspaceListeners,
      flushClient,
      () => this.stats.commands,
    );
    this.scripts = parts.scripts(this);
    this.functions = parts.functions(this);
    this.replication = parts.replication(this);
    this.applyConfig();
  }

  /** Flushes an unblocked client's reply and, as Redis's processUnblockedClients, runs its queued input. */
  private resumeUnblocked(c: Client): void {
    if (this.unblocked.size === 0) {
      setImmediate(() => {
        const clients = [...this.unblocked];
        this.unblocked.clear();
        for (const u of clients) {
          if (u.closed || u.blocked) continue;
          u.afterCommand();
          processInput(u);
        }
      });
    }
    this.unblocked.add(c);
  }

  /**
   * Holds a client for `ms` without holding anyone else up: its input waits as a blocked
   * client's does, then `then` runs (writing the held command's reply) and its queued input
   * resumes. Returns a function that ends the wait early.
   */
  holdClient(c: Client, ms: number, then: () => void): () => void {
    const cmd = c.current;
    c.blocked = true;
    let done = false;
    const fire = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.blocked = false;
      const errors = this.stats.errorReplies;
      then();
      // The reply comes after call() finished: count a failure as call() would have.
      if (cmd !== null && this.stats.errorReplies !== errors) cmd.stats.failed++;
      // The slow log sees the whole wait, as it sees Redis's blocking MIGRATE or DEBUG RELOAD.
      const entry = c.blockedEntry;
      if (entry !== null) {
        c.blockedEntry = null;
        this.slowlog.record(c, entry.cmd, entry.argv, entry.usec + Math.round((performance.now() - heldAt) * 1000));
      }
      if (!c.closed) this.resumeUnblocked(c);
    };
    const heldAt = performance.now();
    const timer = setTimeout(fire, ms);
    return fire;
  }

  /**
   * used_memory (docs/memory.md): what the server had once built, plus the estimated dataset, the
   * clients' buffers, the scripts, the client-tracking table and what memoryHolders retain.
   * Eviction, INFO and MEMORY all read this one figure.
   */
  usedMemory(): number {
    const used =
      this.startupMemory + this.store.dataset.bytes + this.clientMemory.total + this.scriptsMemory + this.tracking.memory() + this.heldBytes();
    if (used > this.peakMemory) this.peakMemory = used;
    return used;
  }

  /** used_memory in its parts. */
  memoryBreakdown(): MemoryBreakdown {
    return {
      startup: this.startupMemory,
      dataset: this.store.dataset.bytes,
      clients: this.clientMemory.total,
      scripts: this.scriptsMemory,
      held: this.heldBytes(),
    };
  }

  private heldBytes(): number {
    let bytes = 0;
    for (const h of this.memoryHolders) bytes += h.bytes();
    return bytes;
  }

  /** The limit used_memory is held to: maxmemory, or the heap's capacity when it is 0. */
  maxmemoryLimit(): number {
    return this.maxmemoryBytes > 0 ? this.maxmemoryBytes : this.memory.capacity;
  }

  private readScriptsMemory(): void {
    const lua = this.scripts.memory();
    const fns = this.functions.memory();
    this.scriptsMemory = lua.lua + lua.bodies + fns.vm + fns.overhead;
  }

  /** Pushes config values that live outside the table into the parts that use them. */
  applyConfig(): void {
    const c = this.config;
    this.cluster.emulated = c.bool('cluster-emulated');
    const policy = c.str('maxmemory-policy');
    this.store.access.lfu = policy.endsWith('lfu');
    this.store.access.logFactor = c.num('lfu-log-factor');
    this.store.access.decayTime = c.num('lfu-decay-time');
    const lazyfree = this.store.lazyfree;
    lazyfree.expire = c.bool('lazyfree-lazy-expire');
    lazyfree.eviction = c.bool('lazyfree-lazy-eviction');
    lazyfree.serverDel = c.bool('lazyfree-lazy-server-del');
    lazyfree.userDel = c.bool('lazyfree-lazy-user-del');
    lazyfree.userFlush = c.bool('lazyfree-lazy-user-flush');
    lazyfree.listFill = c.num('list-max-listpack-size');
    const limits = this.store.limits;
    limits.hash = { maxEntries: c.num('hash-max-listpack-entries'), maxValue: c.num('hash-max-listpack-value') };
    limits.zset = { maxEntries: c.num('zset-max-listpack-entries'), maxValue: c.num('zset-max-listpack-value') };
    limits.setMaxIntset = c.num('set-max-intset-entries');
    limits.streamNode = { maxEntries: c.num('stream-node-max-entries'), maxBytes: c.num('stream-node-max-bytes') };
    limits.hllSparseMaxBytes = c.num('hll-sparse-max-bytes');
    limits.maxBulkLen = c.num('proto-max-bulk-len');
    this.tracking.maxKeys = c.num('tracking-table-max-keys');
    this.aof.configure(c.str('appendfsync'), c.bool('aof-timestamp-enabled'));
    this.replication.configure({
      minReplicas: c.num('min-replicas-to-write'),
      minReplicasMaxLag: c.num('min-replicas-max-lag'),
      readOnly: c.bool('replica-read-only'),
      serveStale: c.bool('replica-serve-stale-data'),
    });
    this.clientMemory.configure(c.num('maxmemory-clients'), c.num('maxmemory'));
    this.evictor.configure(policy, c.num('maxmemory-samples'), c.num('maxmemory-eviction-tenacity'));
    const maxmemory = c.num('maxmemory');
    if (maxmemory !== this.maxmemoryBytes) {
      this.maxmemoryBytes = maxmemory;
      const used = this.usedMemory();
      // As Redis's updateMaxmemory: say so, and start evicting without waiting for a command.
      if (maxmemory > 0 && maxmemory < used && this.cron !== null) {
        this.log.warning(
          `WARNING: the new maxmemory value set via CONFIG SET (${maxmemory}) is smaller than the current memory usage (${used}). ` +
            'This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.',
        );
      }
      if (this.cron !== null) this.evictor.kick();
    }
    this.log.level = c.str('loglevel') as Logger['level'];
    this.log.file = c.str('logfile');
    this.log.format = c.str('log-format') === 'json' ? 'json' : 'redis';
    this.slowlog.threshold = c.num('slowlog-log-slower-than');
    this.slowlog.maxLen = c.num('slowlog-max-len');
    this.slowlog.trim();
    this.latency.threshold = c.num('latency-monitor-threshold');
    this.latencyTracking = c.bool('latency-tracking');
    this.notifyFlags = notifyFlagsOf(c.raw('notify-keyspace-events'));
    this.outputLimits = parseOutputLimits(String(c.raw('client-output-buffer-limit')));
    this.trustedNetworks = compileTrustedNetworks(c.str('trusted-networks'));
    // Redis reads the request limits on every parse, so a change reaches connected clients too.
    const maxBulkLen = c.num('proto-max-bulk-len');
    const maxQueryBuffer = c.num('client-query-buffer-limit');
    for (const client of this.clients.values()) {
      if (client.parser === null) continue;
      client.parser.limits.maxBulkLen = maxBulkLen;
      client.parser.limits.maxQueryBuffer = maxQueryBuffer;
    }
    // A new hz takes effect on the running cron (restarting it is harmless when hz is unchanged).
    if (this.cron !== null && !this.shuttingDown) {
      clearInterval(this.cron);
      this.cron = setInterval(() => this.serverCron(), Math.max(1, Math.floor(1000 / c.num('hz'))));
    }
  }

  /** CONFIG RESETSTAT: statistics, command statistics and error statistics back to zero. */
  resetStats(): void {
    const s = this.stats;
    s.connectionsReceived = s.commands = s.netInput = s.netOutput = s.rejectedConnections = s.rejectedUntrusted = 0;
    s.expiredKeys = s.expiredSubkeys = s.errorReplies = s.lastOpsCount = 0;
    s.errors.clear();
    s.opsSamples = [];
    s.reads = s.writes = 0;
    s.inputSamples = [];
    s.outputSamples = [];
    s.lastNetInput = s.lastNetOutput = 0;
    s.outputLimitDisconnections = 0;
    s.authFailures = s.authThrottled = s.authLockouts = 0;
    this.clientMemory.resetStats();
    this.evictor.evictedKeys = 0;
    this.evictor.exceededTotalMs = 0;
    this.peakMemory = this.usedMemory();
    this.store.stats.hits = this.store.stats.misses = 0;
    this.store.lazyfree.freed = 0;
    this.expiry.timeCapReached = 0;
    this.stalls.reset();
    for (const cmd of this.commands.walk()) {
      const st = cmd.stats;
      st.calls = st.usec = st.rejected = st.failed = 0;
      st.histogram = null;
    }
  }

  // --- KeyspaceEvents ---

  beforeWrite(db: Database, key: string): void {
    const barriers = this.writeBarriers;
    // Every write comes through here: with nobody listening, it costs one length check.
    if (barriers.length === 0) return;
    for (const b of barriers) b.beforeWrite(db, key);
  }

  beforeFlush(db: Database): void {
    for (const b of this.writeBarriers) b.beforeFlush(db);
  }

  beforeSwap(a: Database, b: Database): void {
    for (const w of this.writeBarriers) w.beforeSwap(a, b);
  }

  modified(db: Database, key: string): void {
    for (const l of this.keyspaceListeners) l.modified?.(db, key);
  }

  flushed(db: Database): void {
    for (const l of this.keyspaceListeners) l.flushed?.(db);
  }

  swapped(a: Database, b: Database): void {
    for (const l of this.keyspaceListeners) l.swapped?.(a, b);
  }

  expired(db: Database, key: string): void {
    this.stats.expiredKeys++;
    // Expiry is decided here and only here: the AOF and replicas get a DEL (UNLINK when lazy).
    if (this.propagation.active) this.propagation.also(db.id, [this.store.lazyfree.expire ? 'UNLINK' : 'DEL', key]);
    notifyDb(this, db.id, NOTIFY_EXPIRED, 'expired', key);
    for (const l of this.keyspaceListeners) l.expired?.(db, key);
  }

  created(db: Database, key: string): void {
    notifyDb(this, db.id, NOTIFY_NEW, 'new', key);
  }

  keymiss(db: Database, key: string): void {
    notifyDb(this, db.id, NOTIFY_KEY_MISS, 'keymiss', key);
  }

  // --- ConfigTarget: what CONFIG SET reaches ---

  setClusterAllowedPeers(): Error | undefined {
    try {
      this.cluster.mode?.setAllowedPeers(this.config.str('cluster-allowed-peers'));
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  setTlsCluster(): Error | undefined {
    return this.cluster.mode === null ? undefined : new Error(E.TLS_CLUSTER_FIXED);
  }

  reloadTls(): Error | undefined {
    const err = this.tls.reload(this.config, this.log);
    if (err !== undefined) return err;
    // The cluster bus's certificates too (tls-cluster yes): checked here, as no client listener may exist.
    const bus = this.cluster.mode?.reloadTls();
    if (bus === undefined) return undefined;
    this.log.warning(bus.message);
    return new Error(E.TLS_UPDATE_FAILED);
  }

  refuseOpenDoor(): Error | undefined {
    const reason = openDoorReason(this);
    return reason === null ? undefined : new Error(reason);
  }

  setDefaultPassword(password: string): void {
    this.acl.setDefaultPassword(password);
  }

  forgetAuthFailures(): void {
    this.authThrottle.clear();
  }

  fitMaxmemory(bytes: bigint): Error | undefined {
    const m = this.memory;
    if (bytes <= BigInt(m.capacity)) return undefined;
    return new Error(E.maxmemoryOverHeap(bytes, m.capacity, m.heapBound ? m.oldLimit : null, m.systemMemory));
  }

  setAppendOnly(on: boolean): Error | undefined {
    if (!on) {
      this.aof.stop();
      return undefined;
    }
    return this.aof.start();
  }

  // --- policy ---

  /** True when the client must authenticate before running commands (Redis's authRequired). */
  authRequired(c: Client): boolean {
    return authRequired(this, c);
  }

  /** Counts an error reply under its code, as INFO errorstats shows. */
  countError(message: string): void {
    this.stats.errorReplies++;
    const space = message.indexOf(' ');
    const code = space === -1 ? message : message.slice(0, space);
    const errors = this.stats.errors;
    const n = errors.get(code);
    if (n !== undefined) errors.set(code, n + 1);
    else if (errors.size < MAX_ERROR_CODES) errors.set(code, 1);
  }

  /** An HTTP request arrived on the Redis port: log it and drop the client without a reply. */
  securityAttack(c: Client): void {
    this.log.warning(
      'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. ' +
        'This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis ' +
        `instance. Connection from ${c.addr} aborted.`,
    );
    this.audit.event('cross-protocol', clientFields(c));
    this.closeClient(c);
  }

  // --- lifecycle ---

  async start(): Promise<void> {
    // The no-open-door rule is judged on the configuration, before any socket exists.
    const door = openDoorReason(this);
    if (door !== null) throw new Error(`Refusing to start: ${door}`);
    const fds = fitMaxclientsToFileLimit(this.config, (line) => this.log.warning(line));
    if (fds !== null) throw fds;
    const tooBig = this.fitMaxmemory(BigInt(this.config.num('maxmemory')));
    if (tooBig !== undefined) throw tooBig;
    // Cluster mode: nodes.conf is read (or made) before any socket opens; a corrupt one stops the start.
    if (this.config.bool('cluster-enabled')) {
      if (this.config.bool('cluster-emulated')) throw new Error('cluster-enabled and cluster-emulated cannot both be yes');
      // With tls-cluster the node's port is tls-port (and the bus's default is tls-port + 10000), as Redis.
      const secure = this.config.bool('tls-cluster');
      if (this.config.num(secure ? 'tls-port' : 'port') === 0) {
        throw new Error(secure ? 'tls-cluster needs a tls-port: it is the port the cluster announces' : 'cluster-enabled needs a TCP port: the cluster bus listens beside it');
      }
      this.cluster.enable(this);
      if (!secure) {
        this.log.warning(
          `The cluster bus is plain TCP (tls-cluster no): its peers are not authenticated, and cluster-allowed-peers (${this.config.str('cluster-allowed-peers')}) is all that keeps other hosts off it. Set tls-cluster yes with a cluster CA to require a certificate of every node (docs/cluster.md).`,
        );
      } else if (!this.config.bool('tls-replication')) {
        this.log.warning('tls-cluster yes without tls-replication yes: a replica in this cluster reaches its primary at its TLS port and cannot sync until tls-replication is yes (as in Redis).');
      }
    }
    const port = this.config.num('port');
    const tlsPort = this.config.num('tls-port');
    const backlog = this.config.num('tcp-backlog');
    // Read and checked once, before any listener opens: a bad certificate stops the start.
    const tlsConfig = tlsPort !== 0 ? tlsSettings(this.config) : null;
    if (port !== 0) this.ports.adopt('tcp', await this.bindAll('tcp', port, null, { open: true }));
    if (tlsPort !== 0) this.ports.adopt('tls', await this.bindAll('tls', tlsPort, tlsConfig, { open: true }));
    const socketPath = this.config.str('unixsocket');
    if (socketPath !== '') {
      await removeStaleSocket(socketPath);
      let server: net.Server;
      try {
        server = await this.listen({ path: socketPath, backlog }, null, { open: true }, socketPath);
      } catch (err) {
        throw new Error(`Failed opening Unix socket: ${(err as Error).message}`, { cause: err });
      }
      const perm = this.config.num('unixsocketperm');
      if (perm !== 0) chmodSync(socketPath, perm);
      this.unixListener = { server, address: { host: socketPath, port: 0, family: 'unix' } };
    }
    if (this.addresses.length === 0) throw new Error('Configured to not listen anywhere, exiting.');
    // The bus listens where the main port listens, and nowhere else.
    const mode = this.cluster.mode;
    if (mode !== null) {
      const hosts = [...new Set(this.addresses.filter((a) => a.family === 'tcp').map((a) => a.host))];
      await mode.start(hosts);
    }
    const primary = this.config.str('replicaof');
    if (primary !== '') {
      const [host = '', port = '0'] = primary.split(' ');
      this.replication.follow(host, Number(port));
    }
    const hz = this.config.num('hz');
    this.cron = setInterval(() => this.serverCron(), Math.max(1, Math.floor(1000 / hz)));
    this.stalls.start();
  }

  /** Where the server listens now, for the log and the startup posture report. */
  get addresses(): ListenAddress[] {
    const out: ListenAddress[] = this.ports.addresses();
    if (this.unixListener !== null) out.push(this.unixListener.address);
    return out;
  }

  /**
   * Listens on `port` at every bind address, plain or TLS (given its settings); all or nothing:
   * what was bound is closed on a failure. Redis skips an optional address (`-` prefix) the
   * host lacks (no such interface, no IPv6). Connections are served while `gate` is open.
   */
  private async bindAll(kind: PortKind, port: number, secure: TlsSettings | null, gate: { open: boolean }): Promise<PortBinding> {
    const backlog = this.config.num('tcp-backlog');
    const servers: net.Server[] = [];
    const addresses: TcpAddress[] = [];
    const binding: PortBinding = { port, servers, addresses, gate };
    try {
      for (const word of this.config.str('bind').split(' ')) {
        if (word === '') continue;
        const optional = word.startsWith('-');
        const host = bindHost(word);
        try {
          servers.push(await this.listen({ host, port, backlog, ipv6Only: host.includes(':') }, secure, gate));
          addresses.push(kind === 'tls' ? { host, port, family: 'tcp', tls: true } : { host, port, family: 'tcp' });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT' || code === 'EINVAL')) {
            this.log.notice(`Skipping optional address ${host}:${port}: ${code}`);
            continue;
          }
          throw new Error(`Could not create server ${kind === 'tls' ? 'TLS' : 'TCP'} listening socket ${host}:${port}: ${(err as Error).message}`, { cause: err });
        }
      }
    } catch (err) {
      this.closeBinding(binding);
      throw err;
    }
    return binding;
  }

  /** Stops a port's listeners from accepting; the connections they accepted go on. */
  private closeBinding(b: PortBinding): void {
    for (const srv of b.servers) {
      srv.close();
      this.tls.forget(srv);
    }
  }

  /**
   * Opens one listener: plain TCP, TLS (given its settings) or a unix socket (given its path).
   * While `gate` is closed (a port bound ahead of its CONFIG SET), it closes what it accepts.
   */
  private listen(options: net.ListenOptions, secure: TlsSettings | null, gate: { open: boolean }, unixPath: string | null = null): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const srv =
        secure !== null
          ? this.tls.create(
              this.log,
              secure,
              (raw) => gate.open && admitPeer(this, raw),
              (socket) => acceptConnection(this, socket, { unixPath: null, tls: true }),
            )
          : net.createServer({ noDelay: true }, (socket) => {
              if (gate.open) acceptConnection(this, socket, { unixPath, tls: false });
              else socket.destroy();
            });
      const failed = (err: Error): void => {
        this.tls.forget(srv);
        reject(err);
      };
      srv.once('error', failed);
      srv.listen(options, () => {
        srv.off('error', failed);
        srv.on('error', (err: Error) => this.log.warning(`Listener error: ${err.message}`));
        resolve(srv);
      });
    });
  }

  bindPort(kind: PortKind, port: number): Promise<void> {
    if (port === 0) return Promise.resolve();
    let secure: TlsSettings | null = null;
    if (kind === 'tls') {
      try {
        secure = tlsSettings(this.config);
      } catch (err) {
        this.log.warning((err as Error).message);
        this.ports.stage(kind, port, new Error(E.TLS_UPDATE_FAILED));
        return Promise.resolve();
      }
    }
    return this.bindAll(kind, port, secure, { open: false }).then(
      (binding) => this.ports.stage(kind, port, binding),
      (err: unknown) => {
        this.log.warning(`Warning: ${err instanceof Error ? err.message : String(err)}`);
        this.ports.stage(kind, port, new Error(E.PORT_LISTEN_FAILED));
      },
    );
  }

  switchPort(kind: PortKind, port: number): Error | undefined {
    // A cluster node's port is in every other node's table and in nodes.conf: it moves with a restart.
    if (this.cluster.mode !== null) return new Error('changing the port of a cluster node at runtime is not supported; restart it with the new port');
    return this.ports.switchTo(kind, port);
  }

  /** Runs hz times a second, as Redis's serverCron. */
  private serverCron(): void {
    // As Redis, whose serverCron returns right away while pause_cron is set.
    if (this.cronPaused) return;
    this.memory.sample();
    this.readScriptsMemory();
    // As Redis, whose event loop serves only sockets while a script is busy: no active expiry
    // (the script must find its keys), no timeouts, no samples until it ends.
    if (this.script !== null) return;
    // Nor while loading: keys are not expired or sampled until the dataset is whole, as Redis.
    if (this.loading !== null) return;
    const hz = this.config.num('hz');
    // Active expiry gets a quarter of each cron period, as Redis's default effort.
    const expiryStart = performance.now();
    // Not while clients are paused either, as Redis's activeExpireCycle; nor on a replica, whose
    // primary sends the DELs (and the HDELs of expired hash fields).
    if (this.pause.type === 'none' && !this.replication.isReplica && this.expiry.enabled) {
      // Hash fields first, as Redis's activeExpireCycle: 10000 fields a second at most.
      this.fieldExpiry.run(this, Math.max(1, Math.floor(10000 / hz)), 100 / hz);
      this.expiry.run(this.dbs, 250 / hz);
    }
    // As Redis's serverCron: a lowered tracking-table-max-keys applies even on an idle server.
    if (this.tracking.clients !== 0) this.tracking.limit();
    // Whole milliseconds, as Redis's activeExpireCycle reports the cycle to the latency monitor.
    this.latency.add('expire-cycle', Math.floor(performance.now() - expiryStart));
    this.cronTicks++;
    this.rdb.cron();
    this.aof.cron();
    if (this.cronTicks % hz === 0) this.everySecond();
  }

  private everySecond(): void {
    this.store.clock.resync();
    const s = this.stats;
    s.opsSamples.push(s.commands - s.lastOpsCount);
    s.lastOpsCount = s.commands;
    if (s.opsSamples.length > 16) s.opsSamples.shift();
    s.inputSamples.push(s.netInput - s.lastNetInput);
    s.outputSamples.push(s.netOutput - s.lastNetOutput);
    s.lastNetInput = s.netInput;
    s.lastNetOutput = s.netOutput;
    if (s.inputSamples.length > 16) s.inputSamples.shift();
    if (s.outputSamples.length > 16) s.outputSamples.shift();
    this.usedMemory();
    const timeout = this.config.num('timeout');
    if (timeout > 0) {
      const limit = Date.now() - timeout * 1000;
      for (const c of this.clients.values()) {
        // As Redis: replicas, monitors, masters, pub/sub and blocked (or paused) clients never time out.
        if (c.kind === 'normal' && !c.monitor && c.lastInteraction < limit && !c.blocked && c.pendingArgv === null) {
          this.log.verbose('Closing idle client');
          this.closeClient(c);
        }
      }
    }
    this.replication.cron();
    checkAllOutputLimits(this);
    clientsCron(this, Date.now());
    if (++this.seconds % 5 === 0) this.logCounts();
  }

  /** everySecond runs so far. */
  private seconds = 0;

  /** Every 5 seconds, as Redis's serverCron: key counts at verbose, clients and memory at debug. */
  private logCounts(): void {
    if (this.log.enabled('verbose')) {
      for (const db of this.dbs) {
        if (db.size === 0 && db.expires.size === 0) continue;
        // Redis names its hash table's size; this is the size Redis's table would have (a power of two, at least 4).
        const slots = Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, db.size))));
        this.log.verbose(`DB ${db.id}: ${db.size} keys (${db.expires.size} volatile) in ${slots} slots HT.`);
      }
    }
    if (this.log.enabled('debug')) {
      let replicas = 0;
      for (const c of this.clients.values()) if (c.kind === 'replica') replicas++;
      this.log.debug(`${this.clients.size - replicas} clients connected (${replicas} replicas), ${this.usedMemory()} bytes in use`);
    }
  }

  /** CLIENT PAUSE: holds matching commands for `ms` (a longer or stronger pause wins, as Redis). */
  pauseClients(type: 'write' | 'all', ms: number): void {
    const p = this.pause;
    const until = Date.now() + ms;
    if (p.type === 'all' && type === 'write') type = 'all';
    if (until > p.until) p.until = until;
    p.type = type;
    this.store.expiryPaused = true;
    if (p.timer) clearTimeout(p.timer);
    // setTimeout takes at most 2^31-1 ms; longer pauses re-arm when it fires.
    p.timer = setTimeout(() => this.checkPause(), Math.min(Math.max(0, p.until - Date.now()), 2 ** 31 - 1));
  }

  private checkPause(): void {
    if (Date.now() >= this.pause.until) this.unpauseClients();
    else this.pauseClients(this.pause.type === 'all' ? 'all' : 'write', this.pause.until - Date.now());
  }

  /** FAILOVER's hold on writes (on while it waits and switches, off when it ends either way). */
  holdWritesForFailover(on: boolean): void {
    const p = this.pause;
    p.failover = on;
    if (on) {
      if (p.type === 'none') p.type = 'write';
      this.store.expiryPaused = true;
    } else if (p.until === 0) {
      this.unpauseClients();
    }
  }

  /** Ends CLIENT PAUSE and runs the requests the paused clients were holding, in arrival order (a FAILOVER's hold on writes stays). */
  unpauseClients(): void {
    const p = this.pause;
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    p.type = p.failover ? 'write' : 'none';
    p.until = 0;
    // A replica keeps expired keys until its primary deletes them.
    this.store.expiryPaused = this.replication.isReplica || p.failover;
    const waiting = [...this.pausedClients];
    this.pausedClients.clear();
    for (const c of waiting) if (!c.closed) resumeInput(c);
  }

  closeClient(c: Client): void {
    if (c.closed) return;
    this.detachClient(c);
    c.socket?.destroy();
  }

  /** Everything closing a client does but closing its socket (the caller closes it, perhaps after a last write). */
  detachClient(c: Client): void {
    c.closed = true;
    this.clients.delete(c.id);
    this.pausedClients.delete(c);
    this.blocking.forget(c);
    this.clientMemory.forget(c);
    if (c.kind === 'replica') this.replication.forget(c);
  }

  /** Stops listening, disconnects everyone and calls onShutdown (`reason`, when given, is logged first). */
  async shutdown(reason = 'User requested shutdown...'): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.onStopping?.();
    if (reason !== '') this.log.warning(reason);
    if (this.cron) clearInterval(this.cron);
    this.stalls.stop();
    if (this.pause.timer) clearTimeout(this.pause.timer);
    this.evictor.stop();
    this.replication.link?.stop();
    // What is acknowledged is on disk before anyone is let go.
    this.aof.stop();
    this.migrations.closeAll();
    this.replication.flushReplicas();
    for (const c of this.clients.values()) {
      c.flush();
      this.closeClient(c);
    }
    const listeners = this.ports.servers();
    if (this.unixListener !== null) listeners.push(this.unixListener.server);
    await Promise.all(listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    await this.cluster.mode?.stop();
    this.audit.close();
    this.log.warning('Redoubt is now ready to exit, bye bye...');
    this.onShutdown?.();
  }

  /** Version banner pieces used by the log, INFO and HELLO. */
  static readonly version = VERSION;
  static readonly redisVersion = REDIS_VERSION;
}

/**
 * A socket file left by a server that is gone is removed, as Redis does at startup; one that
 * still answers belongs to a running server and is left alone (listening then fails).
 */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) return;
  } catch {
    return;
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!live) unlinkSync(path);
}
