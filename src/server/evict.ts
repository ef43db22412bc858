// maxmemory eviction, as Redis 7.0's evict.c: before each command, while used_memory is over the
// limit, keys chosen by maxmemory-policy are deleted until it is under again. The LRU, LFU and TTL
// policies sample maxmemory-samples keys of every database into a pool of the 16 best candidates
// kept between calls (evictionPoolPopulate); the random ones pick a random key, visiting the
// databases in turn. maxmemory-eviction-tenacity bounds the time one call may spend; past it, the
// rest is evicted in the background, a slice per event-loop turn, as Redis's evictionTimeProc.

import type { Database } from '../store/database.js';
import { idleSecondsOf, lfuCounterOf } from '../store/key-meta.js';
import { EXPIRE_OVERHEAD } from '../store/memory-usage.js';
import { notifyDb, NOTIFY_EVICTED } from './notify.js';
import type { Server } from './server.js';

export type EvictResult = 'ok' | 'running' | 'fail';

type Policy = 'volatile-lru' | 'volatile-lfu' | 'volatile-random' | 'volatile-ttl' | 'allkeys-lru' | 'allkeys-lfu' | 'allkeys-random' | 'noeviction';

/** Redis's EVPOOL_SIZE. */
const POOL_SIZE = 16;
/** Volatile keys are drawn by rejection from all keys while they are at least this share of them. */
const VOLATILE_SHARE = 8;

interface Candidate {
  readonly key: string;
  readonly db: number;
  /** Higher is a better candidate: idle ms, 255 - LFU counter, or how soon the key expires. */
  readonly score: number;
}

/** Redis's evictionTimeLimitUs: tenacity 0..10 is 0..500 µs, then 15% more per step, 100 is no limit. */
function timeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity < 100) return (500 * 1.15 ** (tenacity - 10)) / 1000;
  return Infinity;
}

export class Evictor {
  /** INFO evicted_keys. */
  evictedKeys = 0;
  /** INFO total_eviction_exceeded_time, in ms: time spent over maxmemory, past episodes. */
  exceededTotalMs = 0;
  /** When the current time over maxmemory began (performance.now()), 0 when under it. */
  exceededSince = 0;
  /** Whether the last check before a command found memory that could not be freed (scripts use it, as Redis's pre_command_oom_state). */
  oomAtCommandStart = false;
  private policy: Policy = 'noeviction';
  private samples = 5;
  private tenacityMs = timeLimitMs(10);
  private readonly pool: Candidate[] = [];
  private nextDb = 0;
  private background: NodeJS.Immediate | null = null;
  /** Cursors over each database's expires Map, for sampling volatile keys when they are few. */
  private readonly volatileCursors = new WeakMap<Map<string, number>, Iterator<string>>();

  constructor(private readonly server: Server) {}

  /** Reads the policy, samples and tenacity in force (after any configuration change). */
  configure(policy: string, samples: number, tenacity: number): void {
    this.policy = policy as Policy;
    this.samples = samples;
    this.tenacityMs = timeLimitMs(tenacity);
  }

  /** INFO current_eviction_exceeded_time, in ms. */
  currentExceededMs(): number {
    return this.exceededSince === 0 ? 0 : performance.now() - this.exceededSince;
  }

  /**
   * Redis's performEvictions: 'ok' when memory is under the limit (or eviction must wait),
   * 'running' when keys were evicted and the rest continues in the background, 'fail' when over
   * the limit with nothing the policy may evict (denyoom commands are then refused).
   */
  perform(): EvictResult {
    const result = this.evict();
    this.updateMetrics(result);
    return result;
  }

  private evict(): EvictResult {
    const server = this.server;
    if (!this.safe()) return 'ok';
    const limit = server.maxmemoryLimit();
    const used = server.usedMemory();
    if (used <= limit) return 'ok';
    if (this.policy === 'noeviction') return 'fail';
    const toFree = used - limit;
    const start = performance.now();
    let freed = 0;
    let evicted = 0;
    while (freed < toFree) {
      const pick = this.pick();
      if (pick === null) return 'fail';
      const [db, key] = pick;
      const bytes = db.data.bytesOf(key) + (db.expires.has(key) ? EXPIRE_OVERHEAD : 0);
      if (!db.evict(key)) continue;
      freed += bytes;
      this.evicted(db, key);
      evicted++;
      if (evicted % 16 === 0 && performance.now() - start > this.tenacityMs) {
        this.startBackground();
        break;
      }
    }
    return this.background !== null ? 'running' : 'ok';
  }

  /**
   * Where each evicted key leaves the server, after it is gone: the propagation point (AOF,
   * replicas) gets a DEL (UNLINK under lazyfree-lazy-eviction), as Redis's propagateDeletion.
   * Eviction runs before call(), outside any unit of work, so each DEL goes out on its own,
   * without MULTI, as Redis's propagate_no_multi.
   */
  private evicted(db: Database, key: string): void {
    this.evictedKeys++;
    const p = this.server.propagation;
    if (p.active) p.also(db.id, [this.server.store.lazyfree.eviction ? 'UNLINK' : 'DEL', key]);
    notifyDb(this.server, db.id, NOTIFY_EVICTED, 'evicted', key);
  }

  /** Redis's isSafeToPerformEvictions: not while a script is suspended, nor while clients are paused. */
  private safe(): boolean {
    const server = this.server;
    // As Redis's isSafeToPerformEvictions: not while the dataset is loading.
    if (server.loading !== null) return false;
    if (server.script !== null && server.script.timedOut) return false;
    return server.pause.type === 'none';
  }

  private updateMetrics(result: EvictResult): void {
    if (result === 'ok') {
      if (this.exceededSince !== 0) {
        this.exceededTotalMs += performance.now() - this.exceededSince;
        this.exceededSince = 0;
      }
    } else if (this.exceededSince === 0) this.exceededSince = performance.now();
  }

  /** Keeps evicting, a slice per event-loop turn, until under the limit or nothing is left. */
  private startBackground(): void {
    if (this.background !== null) return;
    const step = (): void => {
      this.background = null;
      // perform() re-arms this when it runs out of time again.
      this.perform();
    };
    this.background = setImmediate(step);
  }

  /** Starts evicting now if over the limit (CONFIG SET maxmemory lowered it), without waiting for a command. */
  kick(): void {
    if (this.server.usedMemory() > this.server.maxmemoryLimit()) this.startBackground();
  }

  /** Stops background eviction (shutdown). */
  stop(): void {
    if (this.background !== null) clearImmediate(this.background);
    this.background = null;
  }

  /** The next key to evict, or null when the policy finds none. */
  private pick(): [Database, string] | null {
    const dbs = this.server.dbs;
    const policy = this.policy;
    const allkeys = policy.startsWith('allkeys');
    if (policy === 'allkeys-random' || policy === 'volatile-random') {
      for (let i = 0; i < dbs.length; i++) {
        this.nextDb = (this.nextDb + 1) % dbs.length;
        const db = dbs[this.nextDb];
        if (db === undefined) continue;
        const key = allkeys ? db.data.random() : this.sampleVolatile(db, 1)[0];
        if (key !== undefined) return [db, key];
      }
      return null;
    }
    for (;;) {
      let total = 0;
      for (const db of dbs) {
        const n = allkeys ? db.size : db.expires.size;
        if (n === 0) continue;
        this.populate(db, allkeys);
        total += n;
      }
      if (total === 0) return null;
      // Best first; entries whose key has gone since (ghosts) are dropped.
      while (this.pool.length > 0) {
        const c = this.pool.pop();
        if (c === undefined) break;
        const db = dbs[c.db];
        if (db === undefined) continue;
        if (allkeys ? db.data.has(c.key) : db.expires.has(c.key)) return [db, c.key];
      }
    }
  }

  /** Redis's evictionPoolPopulate: samples keys of `db` and keeps the best in the pool. */
  private populate(db: Database, allkeys: boolean): void {
    const now = db.clock.now();
    const keys = allkeys ? this.sampleAll(db) : this.sampleVolatile(db, this.samples);
    const access = this.server.store.access;
    for (const key of keys) {
      let score: number;
      if (this.policy.endsWith('lru')) score = idleSecondsOf(db.data.field(key) ?? 0, now) * 1000;
      else if (this.policy.endsWith('lfu')) score = 255 - lfuCounterOf(db.data.field(key) ?? 0, now, access);
      else score = Number.MAX_SAFE_INTEGER - (db.expires.get(key) ?? Number.MAX_SAFE_INTEGER);
      this.insert({ key, db: db.id, score });
    }
  }

  /** Inserts a candidate in the pool (ascending by score, at most POOL_SIZE), as Redis does. */
  private insert(c: Candidate): void {
    const pool = this.pool;
    for (const p of pool) if (p.key === c.key && p.db === c.db) return;
    let k = 0;
    while (k < pool.length && (pool[k]?.score ?? 0) < c.score) k++;
    if (pool.length >= POOL_SIZE) {
      // Worse than everything held: not worth a place.
      if (k === 0) return;
      pool.splice(k, 0, c);
      pool.shift();
    } else pool.splice(k, 0, c);
  }

  private sampleAll(db: Database): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.samples; i++) {
      const key = db.data.random();
      if (key === undefined) break;
      out.push(key);
    }
    return out;
  }

  /**
   * `n` keys that have a time to live: drawn at random from all keys while those are a fair
   * share of them, else read from a cursor over the expires Map that resumes where it stopped.
   */
  private sampleVolatile(db: Database, n: number): string[] {
    const out: string[] = [];
    const expires = db.expires;
    if (expires.size === 0) return out;
    if (expires.size * VOLATILE_SHARE >= db.size) {
      for (let tries = 0; out.length < n && tries < n * VOLATILE_SHARE * 4; tries++) {
        const key = db.data.random();
        if (key !== undefined && expires.has(key)) out.push(key);
      }
      if (out.length > 0) return out;
    }
    let it = this.volatileCursors.get(expires);
    let restarted = false;
    while (out.length < n) {
      if (it === undefined) {
        if (restarted) break;
        it = expires.keys();
        restarted = true;
      }
      // A random skip spreads the picks over the whole Map instead of its oldest entries; it stops
      // at the last key rather than step past it, or a Map of one volatile key would be missed.
      const skip = Math.floor(Math.random() * 4);
      let next = it.next();
      for (let s = 0; s < skip && next.done !== true; s++) {
        const after = it.next();
        if (after.done === true) break;
        next = after;
      }
      if (next.done === true) {
        it = undefined;
        continue;
      }
      out.push(next.value);
    }
    if (it !== undefined) this.volatileCursors.set(expires, it);
    else this.volatileCursors.delete(expires);
    return out;
  }
}
