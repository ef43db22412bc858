// The server: configuration, databases, the command table, connected clients, statistics and the
// periodic cron (active expiry, idle timeouts, ops/sec sampling). Listening sockets and the
// per-connection read loop live in connection.ts.

import net from 'node:net';
import { Config } from '../config/config.js';
import { createCommandTable, type CommandTable } from '../commands/registry.js';
import { Database, type KeyspaceEvents } from '../store/database.js';
import { ActiveExpiry } from '../store/expiry.js';
import { Logger } from './log.js';
import { Slowlog } from './slowlog.js';
import { LatencyMonitor } from './latency.js';
import type { Client } from './client.js';
import { acceptConnection, resumeInput } from './connection.js';
import { VERSION, REDIS_VERSION } from '../version.js';

export interface ServerStats {
  connectionsReceived: number;
  commands: number;
  netInput: number;
  netOutput: number;
  rejectedConnections: number;
  expiredKeys: number;
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
}

/** CLIENT PAUSE state: which commands wait, and until when (ms since the epoch). */
export interface ClientPause {
  type: 'none' | 'write' | 'all';
  until: number;
  timer: NodeJS.Timeout | null;
}

/** What INFO reports as used_memory: the V8 heap plus memory held outside it (Buffers). */
export function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'tcp' | 'unix';
}

/** Max distinct error codes tracked in errorstats, as Redis. */
const MAX_ERROR_CODES = 128;

export class Server implements KeyspaceEvents {
  readonly log = new Logger();
  readonly commands: CommandTable = createCommandTable();
  readonly dbs: Database[];
  readonly clients = new Map<number, Client>();
  readonly slowlog = new Slowlog();
  readonly latency = new LatencyMonitor();
  readonly expiry = new ActiveExpiry();
  readonly startTime = Date.now();
  readonly stats: ServerStats = {
    connectionsReceived: 0,
    commands: 0,
    netInput: 0,
    netOutput: 0,
    rejectedConnections: 0,
    expiredKeys: 0,
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
  };
  readonly pause: ClientPause = { type: 'none', until: 0, timer: null };
  /** Clients holding a request until the pause ends, in arrival order. */
  readonly pausedClients = new Set<Client>();
  /** Memory in use once the server was built, and the most seen since (INFO memory). */
  readonly startupMemory = usedMemory();
  peakMemory = this.startupMemory;
  readonly listeners: net.Server[] = [];
  /** Where the server actually listens, for the log, INFO and tests. */
  readonly addresses: ListenAddress[] = [];
  /** Path of the config file, for CONFIG REWRITE and INFO config_file. */
  configFile = '';
  shuttingDown = false;
  /** Called once the server has stopped (the CLI exits the process there). */
  onShutdown: (() => void) | null = null;
  private cron: NodeJS.Timeout | null = null;
  private cronTicks = 0;
  /** Hooks other subsystems register to hear about key changes (WATCH, notifications). */
  readonly keyspaceListeners: Partial<KeyspaceEvents>[] = [];

  constructor(readonly config: Config) {
    const n = config.num('databases');
    this.dbs = [];
    for (let i = 0; i < n; i++) this.dbs.push(new Database(i, this));
    this.applyConfig();
  }

  /** Pushes config values that live outside the table into the parts that use them. */
  applyConfig(): void {
    const c = this.config;
    this.log.level = c.str('loglevel') as Logger['level'];
    this.log.file = c.str('logfile');
    this.slowlog.threshold = c.num('slowlog-log-slower-than');
    this.slowlog.maxLen = c.num('slowlog-max-len');
    this.slowlog.trim();
    this.latency.threshold = c.num('latency-monitor-threshold');
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
    s.connectionsReceived = s.commands = s.netInput = s.netOutput = s.rejectedConnections = 0;
    s.expiredKeys = s.errorReplies = s.lastOpsCount = 0;
    s.errors.clear();
    s.opsSamples = [];
    s.reads = s.writes = 0;
    s.inputSamples = [];
    s.outputSamples = [];
    s.lastNetInput = s.lastNetOutput = 0;
    this.peakMemory = usedMemory();
    Database.hits = Database.misses = 0;
    this.expiry.timeCapReached = 0;
    for (const cmd of this.commands.walk()) {
      const st = cmd.stats;
      st.calls = st.usec = st.rejected = st.failed = 0;
    }
  }

  // --- KeyspaceEvents ---

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
    for (const l of this.keyspaceListeners) l.expired?.(db, key);
  }

  // --- policy ---

  /** True when the client must authenticate before running commands (requirepass set). */
  authRequired(c: Client): boolean {
    return !c.authenticated && this.config.str('requirepass') !== '';
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
    this.closeClient(c);
  }

  // --- lifecycle ---

  async start(): Promise<void> {
    const port = this.config.num('port');
    const backlog = this.config.num('tcp-backlog');
    if (port !== 0) {
      for (const word of this.config.str('bind').split(' ')) {
        if (word === '') continue;
        const optional = word.startsWith('-');
        let host = optional ? word.slice(1) : word;
        if (host === '*') host = '0.0.0.0';
        else if (host === '::*') host = '::';
        try {
          await this.listen({ host, port, backlog, ipv6Only: host.includes(':') });
          this.addresses.push({ host, port, family: 'tcp' });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EINVAL')) {
            this.log.verbose(`Skipping optional address ${host}: ${code}`);
            continue;
          }
          throw new Error(`Could not create server TCP listening socket ${host}:${port}: ${(err as Error).message}`);
        }
      }
    }
    const socketPath = this.config.str('unixsocket');
    if (socketPath !== '') {
      await this.listen({ path: socketPath, backlog });
      this.addresses.push({ host: socketPath, port: 0, family: 'unix' });
    }
    if (this.addresses.length === 0) throw new Error('Configured to not listen anywhere, exiting.');
    const hz = this.config.num('hz');
    this.cron = setInterval(() => this.serverCron(), Math.max(1, Math.floor(1000 / hz)));
  }

  private listen(options: net.ListenOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const srv = net.createServer({ noDelay: true }, (socket) => acceptConnection(this, socket));
      srv.once('error', reject);
      srv.listen(options, () => {
        srv.off('error', reject);
        srv.on('error', (err) => this.log.warning(`Listener error: ${err.message}`));
        this.listeners.push(srv);
        resolve();
      });
    });
  }

  /** Runs hz times a second, as Redis's serverCron. */
  private serverCron(): void {
    const hz = this.config.num('hz');
    // Active expiry gets a quarter of each cron period, as Redis's default effort.
    this.expiry.run(this.dbs, 250 / hz);
    this.cronTicks++;
    if (this.cronTicks % hz === 0) this.everySecond();
  }

  private everySecond(): void {
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
    const mem = usedMemory();
    if (mem > this.peakMemory) this.peakMemory = mem;
    const timeout = this.config.num('timeout');
    if (timeout > 0) {
      const limit = Date.now() - timeout * 1000;
      for (const c of this.clients.values()) {
        if (c.kind === 'normal' && c.lastInteraction < limit && !c.blocked) {
          this.log.verbose('Closing idle client');
          this.closeClient(c);
        }
      }
    }
  }

  /** CLIENT PAUSE: holds matching commands for `ms` (a longer or stronger pause wins, as Redis). */
  pauseClients(type: 'write' | 'all', ms: number): void {
    const p = this.pause;
    const until = Date.now() + ms;
    if (p.type === 'all' && type === 'write') type = 'all';
    if (until > p.until) p.until = until;
    p.type = type;
    if (p.timer) clearTimeout(p.timer);
    // setTimeout takes at most 2^31-1 ms; longer pauses re-arm when it fires.
    p.timer = setTimeout(() => this.checkPause(), Math.min(Math.max(0, p.until - Date.now()), 2 ** 31 - 1));
  }

  private checkPause(): void {
    if (Date.now() >= this.pause.until) this.unpauseClients();
    else this.pauseClients(this.pause.type === 'all' ? 'all' : 'write', this.pause.until - Date.now());
  }

  /** Ends any pause and runs the requests the paused clients were holding, in arrival order. */
  unpauseClients(): void {
    const p = this.pause;
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    p.type = 'none';
    p.until = 0;
    const waiting = [...this.pausedClients];
    this.pausedClients.clear();
    for (const c of waiting) if (!c.closed) resumeInput(c);
  }

  closeClient(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    this.clients.delete(c.id);
    this.pausedClients.delete(c);
    c.socket?.destroy();
  }

  /** Stops listening, disconnects everyone and calls onShutdown. */
  async shutdown(reason = 'User requested shutdown...'): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.warning(reason);
    if (this.cron) clearInterval(this.cron);
    if (this.pause.timer) clearTimeout(this.pause.timer);
    for (const c of this.clients.values()) {
      c.flush();
      this.closeClient(c);
    }
    await Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    this.log.warning('Redoubt is now ready to exit, bye bye...');
    this.onShutdown?.();
  }

  /** Version banner pieces used by the log, INFO and HELLO. */
  static readonly version = VERSION;
  static readonly redisVersion = REDIS_VERSION;
}
