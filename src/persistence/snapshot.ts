// The forkless snapshot (shared/DESIGN.md §4): a point-in-time RDB image of every database taken
// while clients keep writing. At the cut it records each database's key table and expiries; a
// walker then writes the keys a slice at a time, pulled by whoever consumes the bytes (a file for
// BGSAVE, an AOF base or a replica). It sits in the write barrier: before a key the walk has not
// reached changes, its old value is serialized and kept until written; FLUSHDB and SWAPDB cost nothing, because a
// flushed database's Maps are replaced, not emptied, and a swap only moves them between databases
// (the walk follows the Maps, not the database numbers). The bytes kept for old values are what
// the snapshot costs beyond the data itself (retainedBytes).

import type { Database, WriteBarrier } from '../store/database.js';
import type { Value } from '../store/types.js';
import type { KeyTable } from '../store/key-meta.js';
import { INT64_MAX, INT64_MIN } from '../int64.js';
import { ByteWriter } from './rdb/bytes.js';
import { RdbFileEncoder, writtenInSteps, type RdbFileOptions } from './rdb/file-writer.js';
import { RDB_VERSION_FIELD_TTLS } from './rdb/types.js';

/**
 * What the walk writes through: RdbFileEncoder (an RDB file) or an encoder of another form of the
 * same image (an AOF BASE as RESP commands), with the same calls in the same order.
 */
export interface SnapshotEncoder {
  readonly w: ByteWriter;
  readonly written: number;
  readonly pending: number;
  header(aux: readonly (readonly [string, string])[], version?: number): void;
  functions(codes: Iterable<string>): void;
  selectDb(id: number, size: number, expires: number): void;
  entry(key: string, value: Value, expireAt: bigint | null, w?: ByteWriter): void;
  entrySteps(key: string, value: Value, expireAt: bigint | null, w?: ByteWriter): Generator<void, void, void>;
  end(): void;
  take(final?: boolean): Buffer;
}

/** What a snapshot is taken of; read once, at the cut. */
export interface SnapshotSource {
  readonly dbs: readonly Database[];
  /** The function libraries' code (FUNCTION2 records). */
  readonly libraries: readonly string[];
  /** The aux fields, in order. */
  readonly aux: readonly (readonly [string, string])[];
}

/** One database as it was at the cut. */
interface DbCut {
  readonly id: number;
  readonly data: KeyTable;
  readonly expires: Map<string, number>;
  readonly exact: Map<string, bigint> | null;
  readonly size: number;
  readonly expiresSize: number;
  /**
   * The walk goes down the key table's slots: those from `pos` up are done (written, or taken by
   * keys created after the cut). A delete moves the table's last key into the hole, and new keys
   * take slots at the end, so a key below `pos` is one the walk has yet to write, unless `seen`
   * names it. Nothing per key is recorded for the walk itself.
   */
  pos: number;
  /** The walk has written the database's SELECTDB header. */
  begun: boolean;
  /**
   * Keys below `pos` the walk must skip: written by the barrier (kept in `held`), being written or
   * prepared, created after the cut, or written already and moved down by a delete. As many as
   * the writes during the snapshot, never as many as the keys.
   */
  seen: Set<string>;
  /** Old values serialized by the barrier, not yet handed out. */
  held: Buffer[];
  /** The key being written a slice at a time, and its steps. */
  current: string | null;
  steps: Generator<void, void, void> | null;
  /** Who waits for `current` to be written whole (see prepare()). */
  currentWaiters: (() => void)[];
  /** Large keys a write waits for: serialized a slice at a time ahead of the walk, then held. */
  preparing: Map<string, Preparing>;
  done: boolean;
}

/** A large key's value being serialized ahead of the walk, for a write that waits meanwhile. */
interface Preparing {
  readonly w: ByteWriter;
  readonly steps: Generator<void, void, void>;
  readonly waiters: (() => void)[];
}

/** Keys written between two looks at the clock. */
const KEYS_PER_CHECK = 32;

export class Snapshot implements WriteBarrier {
  private readonly enc: SnapshotEncoder;
  private readonly cuts: DbCut[] = [];
  /** The cut of each live data Map: a write finds its cut by the Map it lands in. */
  private readonly byMap = new Map<KeyTable, DbCut>();
  private readonly libraries: readonly string[];
  private readonly aux: readonly (readonly [string, string])[];
  private started = false;
  private next = 0;
  private finished = false;
  /** Bytes held for old values not yet handed out, and the most held at once. */
  retainedBytes = 0;
  peakRetainedBytes = 0;
  /** Keys written so far, and keys at the cut (INFO current_save_keys_*). */
  keysProcessed = 0;
  readonly keysTotal: number;
  /** Some hash had field TTLs at the cut: the header says RDB 12. */
  private readonly fieldTtls: boolean;

  constructor(source: SnapshotSource, opts: RdbFileOptions, encoder: SnapshotEncoder | null = null) {
    this.enc = encoder ?? new RdbFileEncoder(opts);
    this.libraries = [...source.libraries];
    this.aux = source.aux;
    let total = 0;
    this.fieldTtls = source.dbs.some((db) => db.hashTtlKeys.size !== 0);
    for (const db of source.dbs) {
      const cut: DbCut = {
        id: db.id,
        data: db.data,
        expires: db.expires,
        exact: db.expiresExact,
        size: db.data.size,
        expiresSize: db.expires.size,
        pos: db.data.size,
        begun: false,
        seen: new Set(),
        held: [],
        current: null,
        steps: null,
        currentWaiters: [],
        preparing: new Map(),
        done: db.data.size === 0,
      };
      total += cut.size;
      this.cuts.push(cut);
      if (!cut.done) this.byMap.set(db.data, cut);
    }
    this.keysTotal = total;
  }

  /** True once the last chunk has been handed out. */
  get complete(): boolean {
    return this.finished;
  }

  /** Bytes handed out so far. */
  get bytesWritten(): number {
    return this.enc.written;
  }

  // --- the write barrier ---

  beforeWrite(db: Database, key: string): void {
    const cut = this.byMap.get(db.data);
    if (cut === undefined) return;
    const data = cut.data;
    const slot = data.slotOf(key);
    // If this write deletes a key the walk has yet to reach, the table's last key moves into its
    // slot: when the walk has passed that one (or it came after the cut), it must stay skipped.
    if (slot >= 0 && slot < cut.pos) {
      const last = data.size - 1;
      if (last >= cut.pos) cut.seen.add(data.keyAt(last));
    }
    if (cut.seen.has(key)) {
      // Half written (by the walk, or ahead of it for a waiting write): finish it from the value as it still is.
      if (cut.current === key) this.finishCurrent(cut);
      else if (cut.preparing.has(key)) this.finishPrepared(cut, key);
      return;
    }
    // Created after the cut: not part of the image, and skipped wherever it lands.
    if (slot < 0) {
      cut.seen.add(key);
      return;
    }
    // Written already, or created after the cut.
    if (slot >= cut.pos) return;
    cut.seen.add(key);
    const w = new ByteWriter(64);
    this.enc.entry(key, data.valueAt(slot), this.expireOf(cut, key), w);
    const buf = w.take();
    cut.held.push(buf);
    this.retainedBytes += buf.length;
    if (this.retainedBytes > this.peakRetainedBytes) this.peakRetainedBytes = this.retainedBytes;
  }

  /** The flushed database gets new Maps; the cut keeps the old ones, which nothing writes again. */
  beforeFlush(): void {}

  /** The Maps change databases; each cut follows its own. */
  beforeSwap(): void {}

  // --- large keys: writes that wait instead of holding the event loop ---

  /**
   * True when a write to `key` now would hold the event loop to serialize a large value: one the
   * walk has not reached, is in the middle of, or is preparing. The server can hold such a write
   * (prepare()) and run it once the value is safe.
   */
  wouldStall(db: Database, key: string): boolean {
    const cut = this.byMap.get(db.data);
    if (cut === undefined) return false;
    if (cut.current === key || cut.preparing.has(key)) return true;
    if (this.handled(cut, key)) return false;
    const v = cut.data.get(key);
    return v !== undefined && writtenInSteps(v);
  }

  /**
   * Makes `key` safe to write a slice at a time, ahead of the walk, and calls `ready` (on a later
   * turn of the event loop) once it is: its old value written or held, or the snapshot ended.
   */
  prepare(db: Database, key: string, ready: () => void): void {
    const cut = this.byMap.get(db.data);
    if (cut === undefined) {
      setImmediate(ready);
      return;
    }
    if (cut.current === key) {
      cut.currentWaiters.push(ready);
      return;
    }
    const pending = cut.preparing.get(key);
    if (pending !== undefined) {
      pending.waiters.push(ready);
      return;
    }
    const v = cut.data.get(key);
    if (v === undefined || this.handled(cut, key)) {
      setImmediate(ready);
      return;
    }
    cut.seen.add(key);
    const w = new ByteWriter(64 * 1024);
    cut.preparing.set(key, { w, steps: this.enc.entrySteps(key, v, this.expireOf(cut, key), w), waiters: [ready] });
  }

  /** True when the walk has nothing (more) to write for `key`: it is written, held, in progress, or not in the image. */
  private handled(cut: DbCut, key: string): boolean {
    if (cut.seen.has(key)) return true;
    const slot = cut.data.slotOf(key);
    return slot < 0 || slot >= cut.pos;
  }

  /** Works on the keys being prepared until `deadline`; true when all are done. */
  private advancePrepared(deadline: number): boolean {
    for (const cut of this.cuts) {
      for (const [key, p] of cut.preparing) {
        while (p.steps.next().done !== true) if (performance.now() > deadline) return false;
        this.heldPrepared(cut, key, p);
      }
    }
    return true;
  }

  /** Writes the rest of a prepared key now, before it changes. */
  private finishPrepared(cut: DbCut, key: string): void {
    const p = cut.preparing.get(key);
    if (p === undefined) return;
    while (p.steps.next().done !== true) {
      /* each step writes more of the value */
    }
    this.heldPrepared(cut, key, p);
  }

  private heldPrepared(cut: DbCut, key: string, p: Preparing): void {
    cut.preparing.delete(key);
    const buf = p.w.take();
    cut.held.push(buf);
    this.retainedBytes += buf.length;
    if (this.retainedBytes > this.peakRetainedBytes) this.peakRetainedBytes = this.retainedBytes;
    wake(p.waiters);
  }

  // --- the walk ---

  /**
   * The next chunk of the file: works for about `budgetMs` (or until `maxBytes` are ready), then
   * hands out what it wrote. Null once the whole file has been handed out.
   */
  step(budgetMs: number, maxBytes = 1 << 20): Buffer | null {
    if (this.finished) return null;
    const enc = this.enc;
    const deadline = performance.now() + budgetMs;
    if (!this.started) {
      this.started = true;
      // Hashes with field TTLs need RDB 12 (Redis 7.4's types); without them the file stays 7.0's.
      enc.header(this.aux, this.fieldTtls ? RDB_VERSION_FIELD_TTLS : undefined);
      enc.functions(this.libraries);
    }
    // Writes are waiting for these: they go first.
    if (!this.advancePrepared(deadline)) return enc.take();
    let n = 0;
    while (enc.pending < maxBytes) {
      const cut = this.cuts[this.next];
      if (cut === undefined) {
        enc.end();
        this.finished = true;
        return enc.take(true);
      }
      if (cut.done) {
        this.next++;
        continue;
      }
      if (!cut.begun) {
        enc.selectDb(cut.id, cut.size, cut.expiresSize);
        cut.begun = true;
      }
      if (cut.steps !== null) {
        if (!cut.steps.next().done) {
          if (performance.now() > deadline) break;
          continue;
        }
        cut.steps = null;
        cut.current = null;
        this.keysProcessed++;
        wake(cut.currentWaiters);
        continue;
      }
      this.release(cut);
      const data = cut.data;
      // Deletes may have shrunk the table below the walk: what was above its end is gone.
      if (cut.pos > data.size) cut.pos = data.size;
      if (cut.pos === 0) {
        // Keys prepared ahead of the walk belong to this database's image.
        if (cut.preparing.size !== 0) {
          for (const key of [...cut.preparing.keys()]) this.finishPrepared(cut, key);
          continue;
        }
        this.closeCut(cut);
        continue;
      }
      const slot = --cut.pos;
      const key = data.keyAt(slot);
      if (cut.seen.size !== 0 && cut.seen.has(key)) continue;
      const value = data.valueAt(slot);
      if (writtenInSteps(value)) {
        // Half written until its steps end: a write to it finishes it first (beforeWrite).
        cut.seen.add(key);
        cut.current = key;
        cut.steps = enc.entrySteps(key, value, this.expireOf(cut, key));
      } else {
        enc.entry(key, value, this.expireOf(cut, key));
        this.keysProcessed++;
      }
      if (++n % KEYS_PER_CHECK === 0 && performance.now() > deadline) break;
    }
    return enc.take();
  }

  /** Stops the walk and the barrier's copying (the consumer gave up). */
  cancel(): void {
    for (const cut of this.cuts) this.closeCut(cut);
    this.finished = true;
  }

  /** Moves the old values held for `cut` into the output. */
  private release(cut: DbCut): void {
    if (cut.held.length === 0) return;
    for (const buf of cut.held) {
      this.enc.w.bytes(buf);
      this.retainedBytes -= buf.length;
      this.keysProcessed++;
    }
    cut.held = [];
  }

  private closeCut(cut: DbCut): void {
    // Nothing waits on a snapshot that is over (or given up).
    wake(cut.currentWaiters);
    for (const p of cut.preparing.values()) wake(p.waiters);
    cut.preparing = new Map();
    cut.done = true;
    cut.pos = 0;
    cut.steps = null;
    cut.current = null;
    cut.seen = new Set();
    for (const buf of cut.held) this.retainedBytes -= buf.length;
    cut.held = [];
    this.byMap.delete(cut.data);
  }

  /** Writes the rest of the half-written key now, before it changes. */
  private finishCurrent(cut: DbCut): void {
    const steps = cut.steps;
    if (steps === null) return;
    while (steps.next().done !== true) {
      /* each step writes more of the value */
    }
    cut.steps = null;
    cut.current = null;
    this.keysProcessed++;
    wake(cut.currentWaiters);
  }

  /** The key's expiry at the cut, in ms (the exact value kept beside a double past 2^53). */
  private expireOf(cut: DbCut, key: string): bigint | null {
    const approx = cut.expires.get(key);
    if (approx === undefined) return null;
    if (Number.isSafeInteger(approx)) return BigInt(approx);
    const e = cut.exact?.get(key);
    if (e !== undefined && Number(e) === approx) return e;
    // A double past 2^63 (INT64_MAX rounds up to it) is held to what the file's int64 can say.
    const v = BigInt(approx);
    if (v > INT64_MAX) return INT64_MAX;
    return v < INT64_MIN ? INT64_MIN : v;
  }
}

/** Calls the waiters on a later turn of the event loop (never inside the write that woke them), and forgets them. */
function wake(waiters: (() => void)[]): void {
  if (waiters.length === 0) return;
  const all = waiters.splice(0);
  setImmediate(() => {
    for (const w of all) w();
  });
}
