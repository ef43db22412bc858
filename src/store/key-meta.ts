// What a database knows about each key besides its value, as Redis keeps it in the robj: the
// 24-bit access field (LRU clock, or LFU decrement time and logarithmic counter) and the bytes the
// key is estimated to hold (memory-usage.ts). Keys sit in a dense array beside a key → slot Map, so
// eviction samples a uniformly random key in O(1), as Redis's dictGetSomeKeys; a delete moves the
// last slot into the hole.

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

export class KeyMeta {
  private slots = new Map<string, number>();
  private keys: string[] = [];
  private fields: number[] = [];
  private bytes: number[] = [];
  /** Sum of the keys' estimated bytes. */
  total = 0;

  constructor(private readonly policy: AccessPolicy) {}

  get size(): number {
    return this.keys.length;
  }

  /** Records a key just created, with its estimated bytes and the access field of a new object. */
  add(key: string, bytes: number, nowMs: number): void {
    this.slots.set(key, this.keys.length);
    this.keys.push(key);
    this.fields.push(newAccessField(nowMs, this.policy));
    this.bytes.push(bytes);
    this.total += bytes;
  }

  /** The value of an existing key was replaced (recorded as new when the key was not). */
  replace(key: string, bytes: number, nowMs: number): void {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      this.add(key, bytes, nowMs);
      return;
    }
    this.total += bytes - (this.bytes[slot] ?? 0);
    this.bytes[slot] = bytes;
    // A replaced value keeps its LFU history, as Redis's dbSetValue; under LRU it is new.
    if (!this.policy.lfu) this.fields[slot] = newAccessField(nowMs, this.policy);
  }

  /** A value changed in place: its new estimate. */
  resize(key: string, bytes: number): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.total += bytes - (this.bytes[slot] ?? 0);
    this.bytes[slot] = bytes;
  }

  /** The key was read or written: its access field moves (LRU clock, or LFU counter). */
  touch(key: string, nowMs: number): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.fields[slot] = touchedField(this.fields[slot] ?? 0, nowMs, this.policy);
  }

  /** Sets the raw access field (RESTORE, loading). */
  setField(key: string, field: number): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.fields[slot] = field & LRU_CLOCK_MAX;
  }

  /** Makes the key `seconds` idle (under an LRU policy). */
  setIdle(key: string, seconds: number, nowMs: number): void {
    const clock = lruClock(nowMs);
    const s = Math.max(0, Math.min(LRU_CLOCK_MAX, Math.floor(seconds)));
    this.setField(key, clock >= s ? clock - s : clock + LRU_CLOCK_MAX - s);
  }

  /** The raw access field, or undefined for a key not recorded. */
  field(key: string): number | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.fields[slot];
  }

  /** The key's estimated bytes (0 for a key not recorded). */
  bytesOf(key: string): number {
    const slot = this.slots.get(key);
    return slot === undefined ? 0 : (this.bytes[slot] ?? 0);
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    this.total -= this.bytes[slot] ?? 0;
    const last = this.keys.length - 1;
    const lastKey = this.keys[last];
    if (slot !== last && lastKey !== undefined) {
      this.keys[slot] = lastKey;
      this.fields[slot] = this.fields[last] ?? 0;
      this.bytes[slot] = this.bytes[last] ?? 0;
      this.slots.set(lastKey, slot);
    }
    this.keys.pop();
    this.fields.pop();
    this.bytes.pop();
  }

  /** A uniformly random key, or undefined when there is none. */
  random(): string | undefined {
    const n = this.keys.length;
    return n === 0 ? undefined : this.keys[Math.floor(Math.random() * n)];
  }

  /** Forgets every key (FLUSHDB). */
  clear(): void {
    this.slots = new Map();
    this.keys = [];
    this.fields = [];
    this.bytes = [];
    this.total = 0;
  }
}
