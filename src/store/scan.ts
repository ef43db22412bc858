// SCAN cursors over a live Map or Set (the keyspace now; hashes, sets and sorted sets later).
// A cursor names a parked live iterator in a bounded table and also encodes how many entries
// were visited, so an evicted or forged cursor resumes approximately instead of failing.
//
// Why this covers every key present for the whole scan: JS Map/Set iterators are live and walk
// insertion order; keys added later go after every key that existed when the scan began. So once
// a scan has yielded as many entries as the collection held at its start, every original key that
// is still there has been yielded. Stopping there also makes every full scan terminate, even on a
// collection that churns forever.

/** Anything with live, insertion-ordered key iteration: Map, Set. */
export interface Scannable {
  readonly size: number;
  keys(): IterableIterator<string>;
}

interface Walk {
  readonly target: Scannable;
  readonly it: IterableIterator<string>;
  /** Entries yielded so far. */
  visited: number;
  /** Stop after this many entries: the collection's size when the scan began. */
  readonly limit: number;
}

/** Low bits of a cursor: which walk; the bits above hold the visited count. */
const TAG_BITS = 20n;
const TAG_MASK = (1n << TAG_BITS) - 1n;
const MAX_CURSOR = (1n << 64n) - 1n;

export interface ScanStep {
  /** Cursor to hand back to the client; 0n when the scan is complete. */
  readonly cursor: bigint;
  readonly keys: string[];
}

export class ScanCursors {
  /** Parked walks by cursor, least recently used first (Map order). */
  private readonly walks = new Map<bigint, Walk>();
  private nextTag = 1n;

  constructor(private readonly capacity = 1024) {}

  /** Number of parked walks (for tests and INFO). */
  get parked(): number {
    return this.walks.size;
  }

  /** Visits up to `count` entries of `target` from `cursor` (0n starts a new scan). */
  step(target: Scannable, cursor: bigint, count: number): ScanStep {
    let walk = cursor === 0n ? undefined : this.walks.get(cursor);
    if (walk !== undefined) this.walks.delete(cursor);
    if (walk === undefined || walk.target !== target) walk = this.begin(target, cursor);
    const keys: string[] = [];
    let done = false;
    for (let i = 0; i < count; i++) {
      if (walk.visited >= walk.limit) {
        done = true;
        break;
      }
      const next = walk.it.next();
      if (next.done === true) {
        done = true;
        break;
      }
      walk.visited++;
      keys.push(next.value);
    }
    if (!done && walk.visited >= walk.limit) done = true;
    if (done) return { cursor: 0n, keys };
    return { cursor: this.park(walk), keys };
  }

  /** A fresh walk; for an unknown cursor, skip what its visited count says was already seen. */
  private begin(target: Scannable, cursor: bigint): Walk {
    const skip = Number(cursor >> TAG_BITS);
    const walk: Walk = { target, it: target.keys(), visited: 0, limit: target.size };
    if (skip > 0) {
      // Approximate resume: the collection may have changed since that cursor was issued.
      const n = Math.min(skip, walk.limit);
      for (let i = 0; i < n && walk.it.next().done !== true; i++) walk.visited++;
      if (skip > n) walk.visited = walk.limit;
    }
    return walk;
  }

  private park(walk: Walk): bigint {
    const tag = this.nextTag;
    this.nextTag = tag === TAG_MASK ? 1n : tag + 1n;
    let cursor = (BigInt(walk.visited) << TAG_BITS) | tag;
    if (cursor > MAX_CURSOR) cursor = tag;
    // A tag wrapped round onto an old parked walk: the old one is abandoned long ago.
    this.walks.delete(cursor);
    this.walks.set(cursor, walk);
    if (this.walks.size > this.capacity) this.evict();
    return cursor;
  }

  /** Drops the least recently parked walk (its cursor will resume approximately). */
  private evict(): void {
    const oldest = this.walks.keys().next();
    if (oldest.done !== true) this.walks.delete(oldest.value);
  }

  /** Forgets every walk over `target` (e.g. a collection that was deleted). */
  forget(target: Scannable): void {
    for (const [cursor, walk] of this.walks) if (walk.target === target) this.walks.delete(cursor);
  }
}

/**
 * Redis's cursor parsing (strtoul, base 10): optional sign, digits, no leading space, nothing after;
 * a '-' wraps modulo 2^64; the empty string is cursor 0. Returns null for an invalid cursor.
 */
export function parseCursor(s: string): bigint | null {
  const m = /^([+-]?)(\d*)$/.exec(s);
  // strtoul skips leading whitespace, but Redis refuses a cursor that starts with it.
  const digits = m?.[2];
  if (m === null || digits === undefined) return null;
  if (digits === '') return m[1] === '' ? 0n : null;
  const v = BigInt(digits);
  if (v > MAX_CURSOR) return null;
  return m[1] === '-' ? (MAX_CURSOR + 1n - v) & MAX_CURSOR : v;
}
