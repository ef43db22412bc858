// One numbered database: a table of key → value (with each key's metadata) and, as Redis's
// `expires` dict, a separate Map of
// key → absolute expiry time in ms. Expired keys are removed when touched (lazy expiry) and by the
// active expiry cycle in expiry.ts. Every write goes through here, twice: the write barrier
// (beforeWrite) before the key changes, so snapshots, client-side caching and propagation can see
// the old value; `modified` after, so that WATCH, keyspace notifications and the dirty counter see
// the change.

import { isContentEncoding, type StringEncoding } from './encoding.js';
import { StoreContext, type KeyspaceStats } from './context.js';
import type { Clock } from './clock.js';
import type { ScanCursors } from './scan.js';
import type { Value } from './types.js';
import { idleSecondsOf, KeyTable, lfuCounterOf, lfuField } from './key-meta.js';
import { EXPIRE_OVERHEAD, keyBytes } from './memory-usage.js';

/**
 * The write barrier: what must hear of a change before it happens. Every path that changes a key
 * passes it first: set, delete, expiry (lazy and active), TTL changes, and every in-place change
 * of a collection, whose value comes from getWrite() (or is announced with willWrite()).
 */
export interface WriteBarrier {
  /**
   * `key` of `db` is about to change in some way: its value in place, replaced, created, deleted
   * or expired, or its time to live. Whatever is under `key` now is still the old value.
   */
  beforeWrite(db: Database, key: string): void;
  /** Every key of `db` is about to go (FLUSHDB, FLUSHALL); the keys are all still there. */
  beforeFlush(db: Database): void;
  /** The contents of `a` and `b` are about to be exchanged (SWAPDB). */
  beforeSwap(a: Database, b: Database): void;
}

/** What the rest of the server wants to hear about the keyspace. */
export interface KeyspaceEvents extends WriteBarrier {
  /** A key's value changed (or it was created/deleted): WATCH invalidation, client-side caching. */
  modified(db: Database, key: string): void;
  /** A key was removed because its time to live passed. */
  expired(db: Database, key: string): void;
  /**
   * Every key of `db` is going (FLUSHDB/FLUSHALL), told before they go. Listeners check their
   * own watched keys instead of being told each key, which keeps a flush O(1) in the number of
   * listeners' keys.
   */
  flushed(db: Database): void;
  /** The contents of `a` and `b` are being exchanged (SWAPDB), told before: a key may appear or vanish in either. */
  swapped(a: Database, b: Database): void;
  /** A key that did not exist was stored (Redis's dbAdd: the 'new' notification). */
  created(db: Database, key: string): void;
  /** A read command looked up a key that does not exist (the 'keymiss' notification). */
  keymiss(db: Database, key: string): void;
}

const NO_EVENTS: KeyspaceEvents = {
  beforeWrite() {},
  beforeFlush() {},
  beforeSwap() {},
  modified() {},
  expired() {},
  flushed() {},
  swapped() {},
  created() {},
  keymiss() {},
};

export class Database {
  /**
   * Key → value, with each key's access field (LRU clock or LFU counter, for eviction, OBJECT
   * IDLETIME and FREQ) and estimated bytes (MEMORY USAGE, used_memory); random sampling for eviction.
   */
  data: KeyTable;
  expires = new Map<string, number>();
  /**
   * Exact expiry times above 2^53 ms by key, which the doubles in `expires` cannot hold (see
   * ttl.ts); null until one is set. It goes with `expires` through FLUSHDB and SWAPDB.
   */
  expiresExact: Map<string, bigint> | null = null;
  /**
   * The strings whose representation is not the one their content implies, because of how they
   * were written (SETRANGE leaves "10" raw, COPY unshares a small integer); see store/encoding.ts.
   * Only these exceptions are kept, so plain GET/SET traffic leaves the map empty.
   */
  stringEncodings = new Map<string, StringEncoding>();
  /**
   * Keys whose hash has (or recently had) fields with a time to live → no later than the soonest
   * field expiry, for the active expiry of fields (Redis's db->hexpires). A key may stay after its
   * last field TTL went; the expiry cycle drops it when it finds nothing to do there.
   */
  hashTtlKeys = new Map<string, number>();
  /** The command clock of the server this database belongs to. */
  readonly clock: Clock;
  /** The server's keyspace counters (dirty, hits, misses), shared by all its databases. */
  readonly stats: KeyspaceStats;
  /** The server's SCAN cursors. */
  readonly scanCursors: ScanCursors;

  constructor(
    readonly id: number,
    private readonly events: KeyspaceEvents = NO_EVENTS,
    private readonly shared: StoreContext = new StoreContext(),
  ) {
    this.clock = shared.clock;
    this.stats = shared.stats;
    this.scanCursors = shared.scanCursors;
    this.data = new KeyTable(shared.access, shared.dataset);
  }

  /** Estimated bytes of this database's keys, values and TTLs (the dataset part of used_memory). */
  get usedBytes(): number {
    return this.data.total + this.expires.size * EXPIRE_OVERHEAD;
  }

  get size(): number {
    return this.data.size;
  }

  /** True while clients are paused: expired keys and hash fields read as gone but stay stored. */
  get expiryPaused(): boolean {
    return this.shared.expiryPaused;
  }

  /** The live value of `key`, removing it first if it has expired. Touches the access time. */
  get(key: string, touch = true): Value | undefined {
    const slot = this.data.slotOf(key);
    if (slot < 0) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    if (touch && !this.shared.noTouch) this.data.touchAt(slot, this.clock.now());
    return this.data.valueAt(slot);
  }

  /** get() for read commands: also counts keyspace hits and misses, as Redis's lookupKeyRead. */
  getRead(key: string, touch = true): Value | undefined {
    const v = this.get(key, touch);
    if (v === undefined) {
      this.stats.misses++;
      this.events.keymiss(this, key);
    } else this.stats.hits++;
    return v;
  }

  /**
   * get() for a command that may change the value in place (Redis's lookupKeyWrite): passes the
   * write barrier first when the key exists. A key that does not exist passes it when set().
   */
  getWrite(key: string): Value | undefined {
    const v = this.get(key);
    if (v !== undefined) this.events.beforeWrite(this, key);
    return v;
  }

  /**
   * Passes the write barrier for `key`, for a value about to change in place that was not looked
   * up with getWrite (a read lookup that counts hits, a blocked client served later).
   */
  willWrite(key: string): void {
    this.events.beforeWrite(this, key);
  }

  /** True when `key` exists and has not expired (does not touch the access time). */
  has(key: string): boolean {
    return this.get(key, false) !== undefined;
  }

  /** Deletes `key` if its time has passed; true when it did. */
  expireIfNeeded(key: string): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > this.clock.now()) return false;
    if (this.shared.expiryPaused) return true;
    this.events.beforeWrite(this, key);
    this.removeEntry(key, this.shared.lazyfree.expire);
    this.events.expired(this, key);
    this.events.modified(this, key);
    return true;
  }

  /**
   * Stores `value` under `key`. Like Redis's setKey, a new value clears any time to live unless
   * `keepTtl` is set.
   */
  set(key: string, value: Value, keepTtl = false, changes = 1): void {
    // As Redis's setKey (a lookupKeyWrite first): a key whose time has passed goes, with its TTL.
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    this.events.beforeWrite(this, key);
    // Overwriting is Redis's dbSetValue: the old value goes as lazyfree-lazy-server-del says
    // (looked up only then, so a plain SET stays one lookup).
    const lazyfree = this.shared.lazyfree;
    const old = lazyfree.serverDel ? this.data.get(key) : undefined;
    const created = this.data.put(key, value, keyBytes(key, value, false), this.clock.now());
    if (old !== undefined && old !== value) lazyfree.free(old);
    if (created) this.events.created(this, key);
    if (!keepTtl && this.expires.size !== 0 && this.expires.delete(key)) this.shared.dataset.bytes -= EXPIRE_OVERHEAD;
    if (this.stringEncodings.size !== 0) this.stringEncodings.delete(key);
    const soonest = typeof value !== 'string' && value.type === 'hash' ? value.minTtl() : undefined;
    if (soonest !== undefined) this.hashTtlKeys.set(key, soonest);
    else if (this.hashTtlKeys.size !== 0) this.hashTtlKeys.delete(key);
    this.stats.dirty += changes;
    this.events.modified(this, key);
  }

  /**
   * Records that the value under `key` was changed in place (list push, hash set, ...); the value
   * came from getWrite, or willWrite announced the change, before it was made.
   */
  modified(key: string, changes = 1): void {
    this.stats.dirty += changes;
    const slot = this.data.slotOf(key);
    if (slot >= 0) this.data.resizeAt(slot, keyBytes(key, this.data.valueAt(slot), false));
    this.events.modified(this, key);
  }

  /**
   * Removes `key`; false when it does not exist. `lazy` frees the value as Redis's dbAsyncDelete
   * (UNLINK, and DEL under lazyfree-lazy-user-del); by default as lazyfree-lazy-server-del says,
   * as Redis's dbDelete. A value that lives on under another key (RENAME, MOVE) passes false.
   */
  delete(key: string, lazy: boolean = this.shared.lazyfree.serverDel): boolean {
    // A key whose time has passed while expiry is paused (a replica, a paused primary) is still
    // held, and goes like any other, as Redis's dbSyncDelete after expireIfNeeded: a replica
    // applies its primary's DEL of an expired key.
    if (!this.has(key) && !(this.shared.expiryPaused && this.data.has(key))) return false;
    this.events.beforeWrite(this, key);
    this.removeEntry(key, lazy);
    this.stats.dirty++;
    this.events.modified(this, key);
    return true;
  }

  /**
   * Removes a key chosen by maxmemory eviction (Redis's dbSyncDelete from performEvictions): it
   * goes whether or not its time has passed, and the dirty counter does not move.
   */
  evict(key: string): boolean {
    if (!this.data.has(key)) return false;
    this.events.beforeWrite(this, key);
    this.removeEntry(key, this.shared.lazyfree.eviction);
    this.events.modified(this, key);
    return true;
  }

  /** A field of the hash under `key` expires at `at`: the active expiry cycle looks at it by then. */
  trackFieldTtl(key: string, at: number): void {
    const known = this.hashTtlKeys.get(key);
    if (known === undefined || at < known) this.hashTtlKeys.set(key, at);
  }

  /**
   * Removes a key that became empty (its last hash field expired): like evict(), no dirty count,
   * the write barrier and listeners told.
   */
  dropEmpty(key: string): void {
    this.evict(key);
  }

  /** Removes everything stored for `key`; `lazy` counts the value as Redis's freeObjAsync would. */
  private removeEntry(key: string, lazy: boolean): void {
    if (lazy) {
      const v = this.data.get(key);
      if (v !== undefined) this.shared.lazyfree.free(v);
    }
    this.data.delete(key);
    if (this.expires.delete(key)) this.shared.dataset.bytes -= EXPIRE_OVERHEAD;
    if (this.hashTtlKeys.size !== 0) this.hashTtlKeys.delete(key);
    if (this.stringEncodings.size !== 0) this.stringEncodings.delete(key);
  }

  /**
   * Records that the string now under `key` is held as `encoding` whatever its content says
   * (call it after the write: set() forgets the previous record).
   */
  markStringEncoding(key: string, encoding: StringEncoding): void {
    const v = this.data.get(key);
    if (typeof v !== 'string') return;
    if (!isContentEncoding(v, encoding)) this.stringEncodings.set(key, encoding);
    else if (this.stringEncodings.size !== 0) this.stringEncodings.delete(key);
  }

  /** The recorded representation of the string under `key`, when it departs from its content. */
  stringEncodingOf(key: string): StringEncoding | undefined {
    return this.stringEncodings.size === 0 ? undefined : this.stringEncodings.get(key);
  }

  /** Absolute expiry in ms, or undefined for a persistent key. */
  expireAt(key: string): number | undefined {
    return this.expires.get(key);
  }

  /**
   * Sets the absolute expiry of an existing key. A time in the past deletes the key, unless
   * `keepPast` (SET ... PXAT in the past stores the time and the key expires on next access).
   * Tells which happened, for the 'del' or 'expire' notification.
   */
  setExpire(key: string, at: number, keepPast = false): 'deleted' | 'set' {
    if (at <= this.clock.now() && !keepPast) {
      this.delete(key, this.shared.lazyfree.expire);
      return 'deleted';
    }
    this.events.beforeWrite(this, key);
    this.restoreExpire(key, at);
    this.stats.dirty++;
    this.events.modified(this, key);
    return 'set';
  }

  /**
   * Sets the absolute expiry of an existing key without passing the write barrier or counting a
   * change: setExpire's last step, and how a loaded file's TTLs are stored.
   */
  restoreExpire(key: string, at: number): void {
    const n = this.expires.size;
    this.expires.set(key, at);
    if (this.expires.size !== n) this.shared.dataset.bytes += EXPIRE_OVERHEAD;
  }

  /** Removes the time to live; true when there was one. */
  persist(key: string): boolean {
    if (!this.expires.has(key)) return false;
    this.events.beforeWrite(this, key);
    this.expires.delete(key);
    this.shared.dataset.bytes -= EXPIRE_OVERHEAD;
    this.stats.dirty++;
    this.events.modified(this, key);
    return true;
  }

  /** Seconds since the key was last accessed (Redis's estimateObjectIdleTime, in seconds). */
  idleSeconds(key: string): number {
    const field = this.data.field(key);
    return field === undefined ? 0 : idleSecondsOf(field, this.clock.now());
  }

  /** The key's LFU counter after decay (OBJECT FREQ; meaningful under an LFU policy). */
  frequency(key: string): number {
    const field = this.data.field(key);
    return field === undefined ? 0 : lfuCounterOf(field, this.clock.now(), this.shared.access);
  }

  /**
   * Sets the access field of an existing key as RESTORE ... IDLETIME and an RDB's IDLE opcode do
   * (Redis's objectSetLRUOrLFU): the idle time counts under an LRU policy only.
   */
  setIdleSeconds(key: string, seconds: number): void {
    if (!this.shared.access.lfu) this.data.setIdle(key, seconds, this.clock.now());
  }

  /** The same for RESTORE ... FREQ and the FREQ opcode: the counter counts under an LFU policy only. */
  setFrequency(key: string, counter: number): void {
    if (this.shared.access.lfu) this.data.setField(key, lfuField(counter, this.clock.now()));
  }

  /**
   * Removes every key; returns how many there were. `async` is FLUSHDB/FLUSHALL ASYNC (or
   * lazyfree-lazy-user-flush), which Redis counts key by key as freed in the background.
   */
  clear(async = false): number {
    const n = this.data.size;
    if (async) this.shared.lazyfree.freeKeys(n);
    this.events.beforeFlush(this);
    this.events.flushed(this);
    this.data.detach();
    this.shared.dataset.bytes -= this.expires.size * EXPIRE_OVERHEAD;
    this.data = new KeyTable(this.shared.access, this.shared.dataset);
    this.expires = new Map();
    this.expiresExact = null;
    this.stringEncodings = new Map();
    this.hashTtlKeys = new Map();
    this.stats.dirty += n;
    return n;
  }

  /** Exchanges the whole contents of two databases (SWAPDB): clients keep their db numbers. */
  swapWith(other: Database): void {
    this.events.beforeSwap(this, other);
    this.events.swapped(this, other);
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.expiresExact, other.expiresExact] = [other.expiresExact, this.expiresExact];
    [this.stringEncodings, other.stringEncodings] = [other.stringEncodings, this.stringEncodings];
    [this.hashTtlKeys, other.hashTtlKeys] = [other.hashTtlKeys, this.hashTtlKeys];
  }

  /** A uniformly random live key, or undefined when empty. Expired keys met on the way are removed. */
  randomKey(): string | undefined {
    for (let tries = 0; this.data.size > 0 && tries < 100; tries++) {
      const key = this.data.random();
      if (key === undefined) break;
      if (!this.expireIfNeeded(key)) return key;
    }
    // Everything sampled had expired: fall back to a linear pass.
    for (const key of this.data.keys()) if (!this.expireIfNeeded(key)) return key;
    return undefined;
  }
}
