// Clients blocked on keys (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, ...), as Redis's blocked.c: a FIFO
// queue of waiters per (database, key); a write to a watched key marks it ready; after the
// command that wrote it (or the EXEC/script around it) the ready keys are served in order, each
// waiter trying its own pop until the key runs dry. Timeouts and CLIENT UNBLOCK end a wait.

import type { Client } from './client.js';
import type { Database, KeyspaceEvents } from '../store/database.js';
import type { Command } from '../commands/registry.js';
import * as E from '../errors.js';
import { ceilTimes, parseLongDouble } from '../protocol/number-format.js';
import { parseInteger } from '../protocol/args.js';
import { INT64_MAX } from '../int64.js';
import { trackLatency } from './latency-histogram.js';
import { aclDenial } from '../security/acl/gate.js';

/** How a blocking command finishes its work once a key it waits on may have data. */
export interface Waiter {
  readonly client: Client;
  readonly db: Database;
  readonly keys: readonly string[];
  /**
   * Tries to serve the client from `key`: writes the reply and returns true, or returns false
   * (nothing there, or wrong type) to keep waiting.
   */
  serve(key: string): boolean;
  /** Writes the reply for a timeout (also used by CLIENT UNBLOCK ... TIMEOUT). */
  timedOut(): void;
  timer: NodeJS.Timeout | null;
  /** The blocking command and its arguments: served later, it propagates as if it ran then. */
  origin: { readonly cmd: Command; readonly argv: readonly string[] } | null;
}

export class BlockingRegistry implements Partial<KeyspaceEvents> {
  private readonly queues = new Map<Database, Map<string, Waiter[]>>();
  private readonly byClient = new Map<Client, Waiter>();
  private ready: { db: Database; key: string }[] = [];
  private readonly readySet = new Map<Database, Set<string>>();
  /** Set by the connection layer: resumes a client's input after it is unblocked. */
  resume: (c: Client) => void = () => {};

  get blockedCount(): number {
    return this.byClient.size;
  }

  get hasReady(): boolean {
    return this.ready.length !== 0;
  }

  /**
   * Parks `waiter.client` until a key has data, `timeoutMs` passes (0: forever), or it is
   * unblocked. The client reads no further input meanwhile.
   */
  block(waiter: Omit<Waiter, 'timer' | 'origin'>, timeoutMs: number): void {
    const c = waiter.client;
    const w: Waiter = { ...waiter, timer: null, origin: c.server.propagation.current() };
    c.blocked = true;
    this.byClient.set(c, w);
    let perDb = this.queues.get(w.db);
    if (!perDb) {
      perDb = new Map();
      this.queues.set(w.db, perDb);
    }
    for (const key of new Set(w.keys)) {
      const q = perDb.get(key);
      if (q) q.push(w);
      else perDb.set(key, [w]);
    }
    if (timeoutMs > 0) {
      armTimer(
        timeoutMs,
        () => {
          w.timer = null;
          this.finish(w, 'timeout');
        },
        (t) => (w.timer = t),
      );
    }
  }

  /** A key changed: if anyone waits on it, serve them after the current command. */
  modified(db: Database, key: string): void {
    if (this.byClient.size === 0) return;
    if (!this.queues.get(db)?.has(key)) return;
    let set = this.readySet.get(db);
    if (!set) {
      set = new Set();
      this.readySet.set(db, set);
    }
    if (set.has(key)) return;
    set.add(key);
    this.ready.push({ db, key });
  }

  /** FLUSHDB/FLUSHALL: waiters see their keys gone (a group reader is told so, as in Redis). */
  flushed(db: Database): void {
    const perDb = this.queues.get(db);
    if (perDb) for (const key of perDb.keys()) this.modified(db, key);
  }

  /** SWAPDB moves data between databases: any waited key may now have data. */
  swapped(a: Database, b: Database): void {
    for (const db of [a, b]) {
      const perDb = this.queues.get(db);
      if (perDb) for (const key of perDb.keys()) this.modified(db, key);
    }
  }

  /** Serves clients waiting on keys that became ready; serving may ready further keys. */
  serveReady(): void {
    while (this.ready.length > 0) {
      const batch = this.ready;
      this.ready = [];
      this.readySet.clear();
      for (const { db, key } of batch) {
        const q = this.queues.get(db)?.get(key);
        if (!q) continue;
        // FIFO: the longest waiter first. A waiter the key cannot serve does not stop the ones
        // behind it: a stream reader of another group, say, still has entries to read.
        for (const w of [...q]) {
          if (this.byClient.get(w.client) !== w) continue;
          if (this.refusedNow(w)) continue;
          const stats = w.client.server.stats;
          const errorsBefore = stats.errorReplies;
          // The served client is the current one meanwhile: invalidations of its own keys follow its reply.
          const tracking = w.client.server.tracking;
          const saved = tracking.serveBegin(w.client);
          const served = this.serveOne(w, key);
          tracking.serveEnd(w.client, saved);
          if (!served) continue;
          // As Redis's updateStatsOnUnblock: a wait that ends in an error (the group was
          // destroyed, the key is gone) is a failed call of the command that waited.
          if (stats.errorReplies !== errorsBefore && w.client.lastCommand !== null) w.client.lastCommand.stats.failed++;
          this.finish(w, 'served');
        }
      }
    }
  }

  /**
   * Redis 7.2 (#11012) checks a blocked command's permissions again when it is about to be
   * served: a user whose rights were taken away meanwhile gets NOPERM, a rejected call.
   */
  private refusedNow(w: Waiter): boolean {
    const origin = w.origin;
    const c = w.client;
    if (origin === null) return false;
    const denied = aclDenial(c, origin.cmd, origin.argv);
    if (denied === null) return false;
    c.reply.error(E.noperm(denied.message));
    // A rejected call, not a call: Redis 7.2 counts a blocked command's call once it runs (here
    // it was counted when it blocked, so the count is taken back).
    origin.cmd.stats.rejected++;
    origin.cmd.stats.calls = Math.max(0, origin.cmd.stats.calls - 1);
    c.blockedEntry = null;
    this.finish(w, 'served');
    return true;
  }

  /**
   * Serves `w` from `key` inside a propagation frame of its own command, as Redis re-runs a
   * served command through call(): what it changes propagates (as its effect, if it says one).
   */
  private serveOne(w: Waiter, key: string): boolean {
    const origin = w.origin;
    if (origin === null) return w.serve(key);
    const c = w.client;
    const propagation = c.server.propagation;
    const stats = c.db.stats;
    const dirty = stats.dirty;
    propagation.enter(origin.cmd, origin.argv);
    let served = false;
    try {
      served = w.serve(key);
    } finally {
      propagation.leave(c, origin.cmd, origin.argv, served && stats.dirty !== dirty);
    }
    return served;
  }

  /** CLIENT UNBLOCK: true when the client was blocked on keys. */
  unblock(c: Client, how: 'timeout' | 'error'): boolean {
    const w = this.byClient.get(c);
    if (!w) return false;
    this.finish(w, how);
    return true;
  }

  /**
   * Cluster mode (Redis's clusterRedirectBlockedClientIfNeeded): ends every wait `refusal` gives an
   * error for (its slot moved, the cluster went down), replying with that error.
   */
  redirectWhere(refusal: (w: Waiter) => string | null): void {
    for (const w of [...this.byClient.values()]) {
      const err = refusal(w);
      if (err !== null) this.finish(w, 'error', err);
    }
  }

  /** A client went away: drop it from every queue without replying. */
  forget(c: Client): void {
    c.blockedEntry = null;
    const w = this.byClient.get(c);
    if (w) this.detach(w);
  }

  private finish(w: Waiter, how: 'served' | 'timeout' | 'error', message: string = E.UNBLOCKED): void {
    this.detach(w);
    const c = w.client;
    // As Redis's updateStatsOnUnblock: the slow log sees a blocking command when its wait ends.
    const entry = c.blockedEntry;
    if (entry !== null) {
      c.blockedEntry = null;
      c.server.slowlog.record(c, entry.cmd, entry.argv, entry.usec);
      // Redis 7.0 tracks a served or CLIENT UNBLOCK ERROR wait, not one that timed out.
      if (how !== 'timeout' && c.server.latencyTracking) trackLatency(entry.cmd.stats, entry.usec);
    }
    if (how === 'timeout') w.timedOut();
    else if (how === 'error') c.reply.error(message);
    this.resume(c);
  }

  private detach(w: Waiter): void {
    const c = w.client;
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    this.byClient.delete(c);
    c.blocked = false;
    const perDb = this.queues.get(w.db);
    if (!perDb) return;
    for (const key of new Set(w.keys)) {
      const q = perDb.get(key);
      if (!q) continue;
      const i = q.indexOf(w);
      if (i !== -1) q.splice(i, 1);
      if (q.length === 0) perDb.delete(key);
    }
    if (perDb.size === 0) this.queues.delete(w.db);
  }
}

/**
 * Redis 7.0's getTimeoutFromObjectOrReply for blocking commands: seconds parsed as a long double,
 * times 1000, rounded up (ceill), so 0.0001 waits 1 ms while -0.0001 becomes 0 and blocks
 * forever; an infinity is "negative", as redis-server answers. Returns milliseconds (0: block
 * forever) or the error message.
 */
function parseBlockTimeout(arg: string): number | string {
  const ld = parseLongDouble(arg);
  if (ld === null) return E.TIMEOUT_NOT_FLOAT;
  // (long long) of an infinity or of anything past int64 is INT64_MIN on the CPUs Redis runs on.
  const ms = ld === 'inf' ? -1n : ceilTimes(ld, 1000n);
  if (ms < 0n || ms > INT64_MAX) return E.TIMEOUT_NEGATIVE;
  return Number(ms);
}

/** Node timers top out at 2^31-1 ms; longer waits re-arm. */
const MAX_TIMER = 2 ** 31 - 1;

function armTimer(ms: number, fire: () => void, set: (t: NodeJS.Timeout) => void): void {
  if (ms <= MAX_TIMER) {
    set(setTimeout(fire, ms));
  } else {
    set(setTimeout(() => armTimer(ms - MAX_TIMER, fire, set), MAX_TIMER));
  }
}

/** The timeout argument of a blocking command in ms, or null after replying with the error. */
export function blockTimeoutArg(c: Client, arg: string): number | null {
  const t = parseBlockTimeout(arg);
  if (typeof t === 'string') {
    c.reply.error(t);
    return null;
  }
  return t;
}

/**
 * A timeout in whole milliseconds (WAIT, WAITAOF, XREAD/XREADGROUP BLOCK), as Redis's
 * getTimeoutFromObjectOrReply in UNIT_MILLISECONDS; null after replying with the error.
 */
export function msTimeoutArg(c: Client, arg: string): number | null {
  const ms = parseInteger(arg);
  if (ms === null) c.reply.error(E.TIMEOUT_NOT_INTEGER);
  else if (ms < 0) c.reply.error(E.TIMEOUT_NEGATIVE);
  else return ms;
  return null;
}

/**
 * Parks `c` on `keys` (see BlockingRegistry.block) unless it may not block (inside EXEC or a
 * script), where Redis answers at once: with `denied`, or else the timeout reply.
 */
export function blockOnKeys(
  c: Client,
  keys: readonly string[],
  serve: (key: string) => boolean,
  timedOut: () => void,
  timeoutMs: number,
  denied: () => void = timedOut,
): void {
  if (c.inExec) {
    denied();
    return;
  }
  c.server.blocking.block({ client: c, db: c.db, keys, serve, timedOut }, timeoutMs);
}
