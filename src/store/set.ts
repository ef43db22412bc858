// Set values. Members sit in an array (O(1) random pick for SPOP/SRANDMEMBER, swap-remove on
// delete) with a Map member → slot; the Map doubles as the live, insertion-ordered view SSCAN walks.
// The encoding Redis 7.0 would report is tracked alongside: "intset" while every member is an
// integer and the set is small, iterated in ascending numeric order; "hashtable" after that, for good.

import type { Scannable } from './scan.js';
import { INT64_MAX, INT64_MIN } from '../int64.js';

export type SetEncoding = 'intset' | 'hashtable';

export class SetValue {
  readonly type = 'set' as const;
  private items: string[] = [];
  private slots = new Map<string, number>();
  private intset: boolean;
  /** While intset: whether `items` is already in ascending numeric order (sorted lazily on read). */
  private ordered = true;

  /** A new set starts as an intset (Redis's createIntsetObject) unless told otherwise. */
  constructor(intset = true) {
    this.intset = intset;
  }

  /** Redis's setTypeCreate: the encoding a set created for `first` starts in. */
  static for(first: string): SetValue {
    return new SetValue(isInt64(first));
  }

  get size(): number {
    return this.items.length;
  }

  encoding(): SetEncoding {
    return this.intset ? 'intset' : 'hashtable';
  }

  has(member: string): boolean {
    return this.slots.has(member);
  }

  /**
   * Adds `member`; true when it was new. An intset turns into a hashtable when a non-integer
   * arrives or it grows past `maxIntset` entries, never back.
   */
  add(member: string, maxIntset: number): boolean {
    if (this.slots.has(member)) return false;
    const items = this.items;
    if (this.intset) {
      if (!isInt64(member)) {
        this.intset = false;
      } else if (this.ordered) {
        const last = items.at(-1);
        if (last !== undefined && compareInt(last, member) > 0) this.ordered = false;
      }
    }
    this.slots.set(member, items.length);
    items.push(member);
    if (this.intset && items.length > maxIntset) this.intset = false;
    return true;
  }

  /** Removes `member`; true when it was there. */
  remove(member: string): boolean {
    const slot = this.slots.get(member);
    if (slot === undefined) return false;
    this.slots.delete(member);
    const items = this.items;
    // The member held a slot, so there is a last member to move into it.
    const last = items.pop();
    if (last !== undefined && slot < items.length) {
      items[slot] = last;
      this.slots.set(last, slot);
      this.ordered = false;
    }
    return true;
  }

  /** A uniformly chosen member; the set must not be empty. */
  random(): string {
    const m = this.items[Math.floor(Math.random() * this.items.length)];
    if (m === undefined) throw new RangeError('random member of an empty set');
    return m;
  }

  /** Removes and returns a uniformly chosen member; the set must not be empty. */
  pop(): string {
    const m = this.random();
    this.remove(m);
    return m;
  }

  /**
   * Every member in the order Redis would iterate them where that order is knowable (ascending
   * for an intset). The array is the set's own: read it before the next change, never write it.
   */
  members(): readonly string[] {
    if (this.intset && !this.ordered) this.sort();
    return this.items;
  }

  /** The members in storage order, never sorted first (size estimates read a few on every write). */
  unordered(): readonly string[] {
    return this.items;
  }

  /** Members with distinct random slots: `count` must be below the size. */
  sample(count: number): string[] {
    const items = this.items;
    const n = items.length;
    const out: string[] = [];
    if (count * 3 > n) {
      // A large share of the set: a partial Fisher-Yates shuffle over a copy.
      const pool = items.slice();
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (n - i));
        const t = pool[j];
        const u = pool[i];
        // i <= j < n while count < n, as the caller guarantees.
        if (t === undefined || u === undefined) break;
        pool[j] = u;
        pool[i] = t;
        out.push(t);
      }
      return out;
    }
    const taken = new Set<number>();
    while (out.length < count) {
      const j = Math.floor(Math.random() * n);
      const m = items[j];
      if (m === undefined) break; // n === 0: nothing to sample
      if (taken.has(j)) continue;
      taken.add(j);
      out.push(m);
    }
    return out;
  }

  /**
   * Redis rebuilds a set that SPOP mostly emptied from the members left over, so a hashtable of
   * integers small enough becomes an intset again.
   */
  reencode(maxIntset: number): void {
    if (this.intset) return;
    if (this.items.length > maxIntset) return;
    for (const m of this.items) if (!isInt64(m)) return;
    this.intset = true;
    this.ordered = false;
  }

  /** The live view SSCAN walks: a member present throughout a walk is met exactly once or more. */
  scanView(): Scannable {
    return this.slots;
  }

  /** A deep copy with the same encoding (COPY). */
  copy(): SetValue {
    const dup = new SetValue(this.intset);
    dup.items = this.items.slice();
    dup.slots = new Map(this.slots);
    dup.ordered = this.ordered;
    return dup;
  }

  private sort(): void {
    const items = this.items;
    items.sort(compareInt);
    for (const [i, m] of items.entries()) this.slots.set(m, i);
    this.ordered = true;
  }
}

/** Redis's string2ll acceptance: canonical decimal within int64 (no '+', no leading zeros, no "-0"). */
function isInt64(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 45 /* - */) {
    if (n === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) return n === 1;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
  }
  if (n < 19) return true;
  const v = BigInt(s);
  return v >= INT64_MIN && v <= INT64_MAX;
}

/** Numeric order of two int64 members; exact beyond 2^53 too. */
function compareInt(a: string, b: string): number {
  if (a.length < 16 && b.length < 16) return Number(a) - Number(b);
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
