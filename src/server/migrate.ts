// MIGRATE's side of the network (commands/migrate.ts is the command): Redis's cache of connections
// to targets (migrate_cached_sockets: at most 64, each closed after 10 s unused), the exchange of
// one request for a number of one-line replies under a timeout, and the keys in flight. Node
// cannot block on a socket, so the caller waits like a blocked client while the loop serves
// others; writes to a key in flight wait in the gate until its transfer ends, and any other change
// (a script's undeclared key, a flush) is noticed so that the key is not deleted afterwards.

import net from 'node:net';
import tls from 'node:tls';
import type { Database, KeyspaceEvents } from '../store/database.js';
import type { Command } from '../commands/registry.js';
import type { Client } from './client.js';
import { resumeInput } from './connection.js';

const CACHE_ITEMS = 64;
/** Redis closes a cached socket once it is more than 10 s old by its once-a-second cron. */
const CACHE_TTL_MS = 11_000;
/** Redis reads each reply line into a 1024-byte buffer. */
const MAX_LINE = 1023;
/** What a target may send beyond the lines asked for before the exchange is given up. */
const MAX_BUFFERED = 64 * 1024;

type ExchangeFailure = 'connect' | 'write' | 'read';

/** One connection to a target, cached by "host:port". */
export interface MigrateLink {
  readonly name: string;
  /** The database the target has selected on this connection, -1 when unknown. */
  lastDbId: number;
}

interface CachedLink extends MigrateLink {
  readonly socket: net.Socket;
  /** Bytes received and not yet consumed as reply lines. */
  pending: Buffer;
  /** Told when bytes arrive or the connection ends. */
  wake: (() => void) | null;
  ended: boolean;
  idle: NodeJS.Timeout | null;
}

export interface ExchangeResult {
  /** The reply lines read, without their line ending, in order. */
  readonly lines: string[];
  /** What went wrong, or null when every line came. */
  readonly failure: ExchangeFailure | null;
  readonly timedOut: boolean;
}

/** The commands that run a script which may write (their _RO forms may not). */
const WRITING_SCRIPTS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'fcall']);

/** A key some MIGRATE is transferring: whether it changed since its payload was made. */
interface InFlight {
  changed: boolean;
}

export class Migrations implements Partial<KeyspaceEvents> {
  private readonly links = new Map<string, CachedLink>();
  /** Per target: the end of the chain of MIGRATEs using it, so two never share one connection at once. */
  private readonly turns = new Map<string, Promise<void>>();
  private readonly inFlight = new Map<Database, Map<string, InFlight>>();
  /** Clients whose write waits for a key in flight. */
  private readonly waiting = new Set<Client>();

  /** `secure`: the TLS options of a connection to a target (tls-cluster yes, as Redis's MIGRATE), or null for TCP; it may throw. */
  constructor(
    listeners: Partial<KeyspaceEvents>[],
    private readonly secure: () => tls.ConnectionOptions | null = () => null,
  ) {
    listeners.push(this);
  }

  /** INFO migrate_cached_sockets. */
  get cachedSockets(): number {
    return this.links.size;
  }

  // --- keys in flight ---

  /** Marks `keys` of `db` as being transferred; returns a check of whether each has changed since. */
  begin(db: Database, keys: readonly string[]): (key: string) => boolean {
    let perDb = this.inFlight.get(db);
    if (perDb === undefined) {
      perDb = new Map();
      this.inFlight.set(db, perDb);
    }
    const entries = new Map<string, InFlight>();
    for (const key of keys) {
      const entry: InFlight = { changed: false };
      perDb.set(key, entry);
      entries.set(key, entry);
    }
    return (key) => entries.get(key)?.changed ?? true;
  }

  /** The transfer of `keys` is over: writers held on them go through the gate again. */
  end(db: Database, keys: readonly string[]): void {
    const perDb = this.inFlight.get(db);
    if (perDb !== undefined) {
      for (const key of keys) perDb.delete(key);
      if (perDb.size === 0) this.inFlight.delete(db);
    }
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const c of waiting) if (!c.closed) resumeInput(c);
  }

  /**
   * The gate's step: a command that may write, whose keys (or whose transaction's keys) are in
   * flight, waits until the transfer ends; so does a script that may write, whatever keys it
   * declares, while any key of its database is in flight, since it may write keys it did not
   * declare (BullMQ's scripts build most of theirs from a prefix). True when it was held.
   */
  holds(c: Client, cmd: Command, argv: string[]): boolean {
    if (this.inFlight.size === 0) return false;
    const perDb = this.inFlight.get(c.db);
    if (perDb === undefined) return false;
    const touches = (k: Command, a: readonly string[]): boolean =>
      WRITING_SCRIPTS.has(k.fullName) ||
      k.keyRefs(a).some((ref) => {
        const key = a[ref.pos];
        return key !== undefined && perDb.has(key);
      });
    let held = false;
    if (cmd.fullName === 'exec') {
      held = c.multi !== null && c.multi.commands.some((q) => q.cmd.mayReplicate && touches(q.cmd, q.argv));
    } else if (cmd.mayReplicate) {
      held = touches(cmd, argv);
    }
    if (!held) return false;
    c.pendingArgv = argv;
    this.waiting.add(c);
    return true;
  }

  modified(db: Database, key: string): void {
    const entry = this.inFlight.get(db)?.get(key);
    if (entry !== undefined) entry.changed = true;
  }

  flushed(db: Database): void {
    for (const entry of this.inFlight.get(db)?.values() ?? []) entry.changed = true;
  }

  swapped(a: Database, b: Database): void {
    this.flushed(a);
    this.flushed(b);
  }

  // --- the connections ---

  /**
   * Runs `work` with the connection to host:port (cached, or new within `timeoutMs`), after any
   * other MIGRATE to the same target has finished with it. `work` gets 'timeout' when no
   * connection was made in time, 'refused' when the attempt failed at once (Redis finds that out
   * only when it writes, so it reports a write error).
   */
  async withTarget<T>(host: string, port: string, timeoutMs: number, work: (link: MigrateLink | 'timeout' | 'refused') => Promise<T>): Promise<T> {
    const name = `${host}:${port}`;
    const before = this.turns.get(name) ?? Promise.resolve();
    let done = (): void => {};
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = before.then(() => mine);
    this.turns.set(name, tail);
    await before;
    try {
      const link = await this.connect(name, host, port, timeoutMs);
      return await work(link);
    } finally {
      done();
      if (this.turns.get(name) === tail) this.turns.delete(name);
    }
  }

  /** The cached connection, or a new one. */
  private async connect(name: string, host: string, port: string, timeoutMs: number): Promise<CachedLink | 'timeout' | 'refused'> {
    const cached = this.links.get(name);
    if (cached !== undefined && !cached.ended) {
      this.touch(cached);
      return cached;
    }
    if (cached !== undefined) this.close(cached);
    if (this.links.size >= CACHE_ITEMS) {
      // Too many: drop one at random, as Redis.
      const names = [...this.links.keys()];
      const victim = this.links.get(names[Math.floor(Math.random() * names.length)] ?? '');
      if (victim !== undefined) this.close(victim);
    }
    // Redis's atoi: a port that is no number connects to port 0 and fails.
    const portNum = Number.parseInt(port, 10);
    const socket = await new Promise<net.Socket | 'timeout' | 'refused'>((resolve) => {
      if (!Number.isInteger(portNum) || portNum <= 0 || portNum > 65535) {
        resolve('refused');
        return;
      }
      let options: tls.ConnectionOptions | null;
      try {
        options = this.secure();
      } catch {
        resolve('refused');
        return;
      }
      const s = options === null ? net.connect({ host, port: portNum }) : tls.connect({ host, port: portNum, ...options });
      const timer = setTimeout(() => {
        s.destroy();
        resolve('timeout');
      }, timeoutMs);
      s.once(options === null ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', () => {
        clearTimeout(timer);
        s.destroy();
        resolve('refused');
      });
    });
    if (typeof socket === 'string') return socket;
    socket.setNoDelay(true);
    const link: CachedLink = { name, socket, lastDbId: -1, pending: Buffer.alloc(0), wake: null, ended: false, idle: null };
    socket.on('data', (chunk: Buffer) => {
      link.pending = link.pending.length === 0 ? chunk : Buffer.concat([link.pending, chunk]);
      // A target that floods us while nobody reads is cut off.
      if (link.pending.length > MAX_BUFFERED) this.close(link);
      link.wake?.();
    });
    const ended = (): void => {
      link.ended = true;
      link.wake?.();
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', ended);
    this.links.set(name, link);
    this.touch(link);
    return link;
  }

  private touch(link: CachedLink): void {
    if (link.idle !== null) clearTimeout(link.idle);
    link.idle = setTimeout(() => this.close(link), CACHE_TTL_MS);
    link.idle.unref();
  }

  /** Closes a target's connection (after an error: the next MIGRATE connects anew and SELECTs). */
  discard(link: MigrateLink): void {
    const cached = this.links.get(link.name);
    if (cached !== undefined) this.close(cached);
  }

  private close(link: CachedLink): void {
    if (link.idle !== null) clearTimeout(link.idle);
    link.ended = true;
    link.socket.destroy();
    link.wake?.();
    if (this.links.get(link.name) === link) this.links.delete(link.name);
  }

  /** Closes every cached connection (shutdown). */
  closeAll(): void {
    for (const link of [...this.links.values()]) this.close(link);
  }

  /**
   * Sends `request` and reads `count` reply lines, each within `timeoutMs` of the last progress
   * (Redis's per-call syncWrite/syncReadLine timeouts). A line must start with '+' or '-' (a RESTORE
   * answers nothing else): anything else, a line over Redis's 1023 bytes, or bytes left over after
   * the last line end the exchange as a read failure, and the connection is closed.
   */
  async exchange(target: MigrateLink, request: Buffer, count: number, timeoutMs: number): Promise<ExchangeResult> {
    const link = this.links.get(target.name);
    const lines: string[] = [];
    if (link === undefined || link.ended) return { lines, failure: 'write', timedOut: false };
    // Mutated by the callbacks below; one object, so the checks after `await` read it as mutable.
    const st: { phase: ExchangeFailure; timedOut: boolean; failed: boolean; timer: NodeJS.Timeout | null } = {
      phase: 'write',
      timedOut: false,
      failed: false,
      timer: null,
    };
    let settle: () => void = () => {};
    const progress = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const arm = (): void => {
      if (st.timer !== null) clearTimeout(st.timer);
      st.timer = setTimeout(() => {
        st.timedOut = true;
        settle();
      }, timeoutMs);
    };
    arm();
    const consume = (): void => {
      while (lines.length < count) {
        const nl = link.pending.indexOf(0x0a);
        if (nl === -1) {
          if (link.pending.length > MAX_LINE) st.failed = true;
          break;
        }
        if (nl > MAX_LINE) {
          st.failed = true;
          break;
        }
        const end = nl > 0 && link.pending[nl - 1] === 0x0d ? nl - 1 : nl;
        const line = link.pending.latin1Slice(0, end);
        link.pending = link.pending.subarray(nl + 1);
        if (line[0] !== '+' && line[0] !== '-') {
          st.failed = true;
          break;
        }
        lines.push(line);
        arm();
      }
      if (st.failed || lines.length === count || link.ended) settle();
    };
    link.wake = consume;
    link.socket.write(request, (err) => {
      if (err) {
        st.failed = true;
        settle();
        return;
      }
      st.phase = 'read';
      arm();
      consume();
    });
    if (link.socket.writableLength === 0) st.phase = 'read';
    await progress;
    if (st.timer !== null) clearTimeout(st.timer);
    link.wake = null;
    const complete = !st.failed && !st.timedOut && lines.length === count;
    if (!complete || link.pending.length !== 0) {
      this.close(link);
      // A reply too many after a complete exchange is not ours to judge: the keys did move.
      if (complete) return { lines, failure: null, timedOut: false };
      return { lines, failure: st.phase, timedOut: st.timedOut };
    }
    this.touch(link);
    return { lines, failure: null, timedOut: false };
  }
}

