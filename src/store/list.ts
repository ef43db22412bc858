// List values: a ring-buffer deque of elements, with the list operations in Redis's index
// semantics (negative indexes count from the tail, ranges are clamped as LRANGE/LTRIM clamp them).
// Commands decide what to reply; the key is deleted by the caller when a list becomes empty.

import { Deque } from './deque.js';

export type End = 'left' | 'right';

export class ListValue {
  readonly type = 'list' as const;
  readonly items: Deque<string>;

  constructor(items: Deque<string> = new Deque<string>()) {
    this.items = items;
  }

  static of(elements: Iterable<string>): ListValue {
    return new ListValue(Deque.from(elements));
  }

  get length(): number {
    return this.items.length;
  }

  /** Redis 7.0 reports every list as a quicklist (small lists became listpacks only in 7.2). */
  encoding(): 'quicklist' {
    return 'quicklist';
  }

  /** An independent list with the same elements (COPY). */
  copy(): ListValue {
    return ListValue.of(this.items);
  }

  push(element: string, end: End): void {
    if (end === 'left') this.items.pushFront(element);
    else this.items.pushBack(element);
  }

  pop(end: End): string | undefined {
    return end === 'left' ? this.items.popFront() : this.items.popBack();
  }

  /** Pops up to `count` elements from one end, in the order they were popped. */
  popMany(end: End, count: number): string[] {
    const out: string[] = [];
    while (out.length < count) {
      const v = this.pop(end);
      if (v === undefined) break;
      out.push(v);
    }
    return out;
  }

  /** The 0-based position of a Redis index (negative from the tail), or -1 when out of range. */
  private position(index: number): number {
    const i = index < 0 ? this.items.length + index : index;
    return i >= 0 && i < this.items.length ? i : -1;
  }

  at(index: number): string | undefined {
    const i = this.position(index);
    return i < 0 ? undefined : this.items.at(i);
  }

  /** LSET: false when the index is out of range. */
  set(index: number, element: string): boolean {
    const i = this.position(index);
    if (i < 0) return false;
    this.items.set(i, element);
    return true;
  }

  /** LRANGE's clamping: the elements from `start` to `stop` inclusive. */
  range(start: number, stop: number): string[] {
    const n = this.items.length;
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    if (start > stop || start >= n) return [];
    if (stop >= n) stop = n - 1;
    return this.items.slice(start, stop + 1);
  }

  /** LTRIM: keeps `start`..`stop` inclusive, popping whichever is cheaper to touch. */
  trim(start: number, stop: number): void {
    const n = this.items.length;
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    let left: number;
    let right: number;
    if (start > stop || start >= n) {
      left = n;
      right = 0;
    } else {
      if (stop >= n) stop = n - 1;
      left = start;
      right = n - stop - 1;
    }
    const kept = n - left - right;
    if (kept <= left + right) {
      this.items.keep(left, left + kept);
      return;
    }
    for (let i = 0; i < left; i++) this.items.popFront();
    for (let i = 0; i < right; i++) this.items.popBack();
  }

  /** LINSERT: the new length, or -1 when `pivot` is not in the list. */
  insert(pivot: string, element: string, after: boolean): number {
    const items = this.items;
    const n = items.length;
    for (let i = 0; i < n; i++) {
      if (items.at(i) === pivot) {
        items.insertAt(after ? i + 1 : i, element);
        return items.length;
      }
    }
    return -1;
  }

  /**
   * LREM: removes up to |count| occurrences of `element`, from the head when count > 0, from the
   * tail when count < 0, every one when count is 0. Returns how many went.
   */
  remove(element: string, count: number): number {
    const items = this.items;
    const n = items.length;
    const limit = count === 0 ? Infinity : Math.abs(count);
    let found = 0;
    let lo = -1;
    let hi = -1;
    // The matches to remove are consecutive in search order, so every match in [lo, hi] goes.
    if (count >= 0) {
      for (let i = 0; i < n && found < limit; i++) {
        if (items.at(i) !== element) continue;
        if (found++ === 0) lo = i;
        hi = i;
      }
    } else {
      for (let i = n - 1; i >= 0 && found < limit; i--) {
        if (items.at(i) !== element) continue;
        if (found++ === 0) hi = i;
        lo = i;
      }
    }
    if (found === 0) return 0;
    if (found === 1) {
      items.removeAt(lo);
      return 1;
    }
    return items.removeIf(lo, hi, (v) => v === element);
  }

  /**
   * LPOS: positions (from the head) of matches of `element`, skipping the first rank-1 matches in
   * the search direction (rank < 0 searches from the tail), at most `count` of them (0: all),
   * comparing at most `maxlen` elements (0: all).
   */
  positions(element: string, rank: number, count: number, maxlen: number): number[] {
    const items = this.items;
    const n = items.length;
    const fromTail = rank < 0;
    const skip = Math.abs(rank) - 1;
    const scan = maxlen === 0 ? n : Math.min(n, maxlen);
    const out: number[] = [];
    let matches = 0;
    for (let k = 0; k < scan; k++) {
      const i = fromTail ? n - 1 - k : k;
      if (items.at(i) !== element) continue;
      if (matches++ < skip) continue;
      out.push(i);
      if (out.length === count) break;
    }
    return out;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.items[Symbol.iterator]();
  }
}
