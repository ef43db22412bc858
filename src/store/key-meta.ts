// A database's key table: each key's value together with what the database knows about the key
// besides it, as Redis keeps it in the robj: the 24-bit access field (LRU clock, or LFU decrement
// time and logarithmic counter) and the bytes the key is estimated to hold (memory-usage.ts). Value
// and metadata sit at one slot found by one Map lookup, so a command that reads or writes a key
// looks it up once. A delete moves the last slot into the hole and a new key takes the next slot
// at the end, nothing else moves: the snapshot's walk (persistence/snapshot.ts) relies on it.

import type { Value } from './types.js';

/** Redis's LRU_CLOCK_MAX: the access field has 24 bits. */
const LRU_CLOCK_MAX = 0xffffff;
/** Redis's LFU_INIT_VAL: new keys start with this counter, so they survive a few samplings. */
const LFU_INIT_VAL = 5;

/** How access is recorded: the policy family and the LFU parameters in force (server config). */
export class AccessPolicy {
  /** An LFU maxmemory policy is selected: the field holds (minutes << 8) | counter. */
  lfu = false;
  /** lfu-log-factor. */
  logFactor = 10;
  /** lfu-decay-time, in minutes. */
  decayTime = 1;
}

/** Redis's LRU clock: seconds, 24 bits (LRU_CLOCK_RESOLUTION is 1000 ms). */
function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & LRU_CLOCK_MAX;
}

/** Redis's LFUGetTimeInMinutes: the 16 low bits of the time in minutes. */
function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** Redis's estimateObjectIdleTime, in seconds: the clock may have wrapped once since. */
export function idleSecondsOf(field: number, nowMs: number): number {
  const clock = lruClock(nowMs);
  return clock >= field ? clock - field : clock + (LRU_CLOCK_MAX - field);
}

/** Redis's LFUDecrAndReturn: the counter after the decay periods elapsed since its last decrement. */
export function lfuCounterOf(field: number, nowMs: number, policy: AccessPolicy): number {
  const ldt = field >> 8;
  const counter = field & 255;
  const now = lfuMinutes(nowMs);
  const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  const periods = policy.decayTime > 0 ? Math.floor(elapsed / policy.decayTime) : 0;
  if (periods === 0) return counter;
  return periods > counter ? 0 : counter - periods;
}

/** Redis's LFULogIncr: the higher the counter, the less likely an access raises it. */
function lfuLogIncr(counter: number, policy: AccessPolicy): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  const p = 1 / (base * policy.logFactor + 1);
  return Math.random() < p ? counter + 1 : counter;
}

/** The field of a key created now (Redis's createObject). */
function newAccessField(nowMs: number, policy: AccessPolicy): number {
  return policy.lfu ? (lfuMinutes(nowMs) << 8) | LFU_INIT_VAL : lruClock(nowMs);
}

/** The field after an access (Redis's updateLFU, or the LRU clock). */
function touchedField(field: number, nowMs: number, policy: AccessPolicy): number {
  if (!policy.lfu) return lruClock(nowMs);
  const counter = lfuLogIncr(lfuCounterOf(field, nowMs, policy), policy);
  return (lfuMinutes(nowMs) << 8) | counter;
}

/** A field for an LFU counter set explicitly (RESTORE ... FREQ, an RDB's FREQ opcode). */
export function lfuField(counter: number, nowMs: number): number {
  return (lfuMinutes(nowMs) << 8) | Math.max(0, Math.min(255, counter));
}

/**
 * The estimated bytes of every key table (and TTL) of one server, kept as a running total as keys
 * change, so that used_memory, read before every command, never sums the databases.
 */
export class DatasetBytes {
  bytes = 0;
}

/**
 * A database's keys: key → slot in a Map, and per slot the key, its value, its access field and
 * its estimated bytes in dense arrays. One lookup serves a command's value and metadata; eviction
 * and RANDOMKEY sample a uniformly random key in O(1), as Redis's dictGetSomeKeys; a delete moves
 * the last slot into the hole. Dense arrays of small integers cost 8 bytes a field, less than an
 * object per key would. Read like a Map of key → value by whoever walks the keyspace (the
 * snapshot, SCAN, DEBUG DIGEST).
 */
export class KeyTable {
  private readonly slots = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly values: Value[] = [];
  /** Two numbers per slot: the access field (LRU clock, or LFU time and counter), then the bytes. */
  private readonly meta: number[] = [];
  /** Sum of the keys' estimated bytes. */
  total = 0;

  /**
   * `dataset` is the running total this table's estimates add to; a table that is dropped (a
   * flush) gets a private one when it is detached.
   */
  constructor(
    private readonly policy: AccessPolicy,
    private dataset: DatasetBytes = new DatasetBytes(),
  ) {}

  /** The table no longer counts toward the server's total (FLUSHDB replaced it; a snapshot may still read it). */
  detach(): void {
    this.dataset.bytes -= this.total;
    this.dataset = new DatasetBytes();
    this.dataset.bytes = this.total;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The key's slot, or -1: for the database's own lookups (value and metadata at once). */
  slotOf(key: string): number {
    return this.slots.get(key) ?? -1;
  }

  /** The key in a slot (0 ≤ slot < size): the snapshot walks the slots. */
  keyAt(slot: number): string {
    const k = this.names[slot];
    if (k === undefined) throw new Error(`no key at slot ${slot}`);
    return k;
  }

  /** The value in a slot that slotOf returned. */
  valueAt(slot: number): Value {
    const v = this.values[slot];
    if (v === undefined) throw new Error(`no key at slot ${slot}`);
    return v;
  }

  get(key: string): Value | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  *entries(): Generator<[string, Value], void, undefined> {
    for (const [key, slot] of this.slots) {
      const v = this.values[slot];
      if (v !== undefined) yield [key, v];
    }
  }

  [Symbol.iterator](): Generator<[string, Value], void, undefined> {
    return this.entries();
  }

  /** Stores a key that does not exist yet, with the access field of a new object; false if it exists. */
  add(key: string, value: Value, bytes: number, nowMs: number): boolean {
    const slot = this.names.length;
    this.slots.set(key, slot);
    if (this.slots.size === slot) return false;
    this.names.push(key);
    this.values.push(value);
    this.meta.push(newAccessField(nowMs, this.policy), bytes);
    this.total += bytes;
    this.dataset.bytes += bytes;
    return true;
  }

  /** Stores `value` under `key`, new or replacing; true when the key was created. */
  put(key: string, value: Value, bytes: number, nowMs: number): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return this.add(key, value, bytes, nowMs);
    this.values[slot] = value;
    this.resizeAt(slot, bytes);
    // A replaced value keeps its LFU history, as Redis's dbSetValue; under LRU it is new.
    if (!this.policy.lfu) this.meta[2 * slot] = newAccessField(nowMs, this.policy);
    return false;
  }

  /** The same contents in another representation (SORT's conversion): metadata unchanged. */
  convert(key: string, value: Value): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.values[slot] = value;
  }

  /** A value changed in place: its new estimate. */
  resizeAt(slot: number, bytes: number): void {
    const at = 2 * slot + 1;
    const delta = bytes - (this.meta[at] ?? 0);
    this.total += delta;
    this.dataset.bytes += delta;
    this.meta[at] = bytes;
  }

  /** The key was read or written: its access field moves (LRU clock, or LFU counter). */
  touchAt(slot: number, nowMs: number): void {
    const at = 2 * slot;
    this.meta[at] = touchedField(this.meta[at] ?? 0, nowMs, this.policy);
  }

  /** Sets the raw access field (RESTORE, loading). */
  setField(key: string, field: number): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.meta[2 * slot] = field & LRU_CLOCK_MAX;
  }

  /** Makes the key `seconds` idle (under an LRU policy). */
  setIdle(key: string, seconds: number, nowMs: number): void {
    const clock = lruClock(nowMs);
    const s = Math.max(0, Math.min(LRU_CLOCK_MAX, Math.floor(seconds)));
    this.setField(key, clock >= s ? clock - s : clock + LRU_CLOCK_MAX - s);
  }

  /** The raw access field, or undefined for a key not stored. */
  field(key: string): number | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.meta[2 * slot];
  }

  /** The key's estimated bytes (0 for a key not stored). */
  bytesOf(key: string): number {
    const slot = this.slots.get(key);
    return slot === undefined ? 0 : (this.meta[2 * slot + 1] ?? 0);
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    const bytes = this.meta[2 * slot + 1] ?? 0;
    this.total -= bytes;
    this.dataset.bytes -= bytes;
    const last = this.names.length - 1;
    const lastKey = this.names[last];
    const lastValue = this.values[last];
    if (slot !== last && lastKey !== undefined && lastValue !== undefined) {
      this.names[slot] = lastKey;
      this.values[slot] = lastValue;
      this.meta[2 * slot] = this.meta[2 * last] ?? 0;
      this.meta[2 * slot + 1] = this.meta[2 * last + 1] ?? 0;
      this.slots.set(lastKey, slot);
    }
    this.names.pop();
    this.values.pop();
    this.meta.length = 2 * last;
    return true;
  }

  /** A uniformly random key, or undefined when there is none. */
  random(): string | undefined {
    const n = this.names.length;
    return n === 0 ? undefined : this.names[Math.floor(Math.random() * n)];
  }
}
