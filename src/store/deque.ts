// A growable ring buffer: O(1) push and pop at both ends and O(1) access by index, which keeps
// LINDEX/LSET/LRANGE offsets flat as a list grows (Redis's quicklist walks nodes instead).
// Middle insertions and removals shift the shorter side.

/** A slot inside `length` held no element: the ring's bookkeeping is broken. */
function emptySlot(index: number, length: number): RangeError {
  return new RangeError(`deque slot ${index} of ${length} is empty`);
}

/** An undefined slot is an empty one, so T never includes undefined. */
export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private mask: number;
  length = 0;

  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.buf = new Array<T | undefined>(cap);
    this.mask = cap - 1;
  }

  static from<T>(items: Iterable<T>): Deque<T> {
    const arr = [...items];
    const d = new Deque<T>(arr.length);
    for (const v of arr) d.pushBack(v);
    return d;
  }

  private grow(): void {
    this.resize(this.buf.length * 2);
  }

  /** Moves the elements into a buffer of `cap` slots (a power of two, at least `length`). */
  private resize(cap: number): void {
    const old = this.buf;
    const next = new Array<T | undefined>(cap);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = cap - 1;
  }

  /**
   * Shrinks the buffer once it is three-quarters empty (to at least half full), so a list that
   * grew large and was popped back down does not keep its peak memory. Growing when full and
   * shrinking at a quarter keeps both amortized O(1).
   */
  private maybeShrink(): void {
    let cap = this.buf.length;
    if (cap <= 64 || this.length >= cap >>> 2) return;
    while (cap > 64 && this.length < cap >>> 1) cap >>>= 1;
    this.resize(cap);
  }

  pushBack(v: T): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & this.mask] = v;
    this.length++;
  }

  pushFront(v: T): void {
    if (this.length === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.length++;
  }

  popFront(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    this.maybeShrink();
    return v;
  }

  popBack(): T | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) & this.mask;
    const v = this.buf[i];
    this.buf[i] = undefined;
    this.length--;
    this.maybeShrink();
    return v;
  }

  /** Element at 0-based index (no negative indexes), or undefined. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return this.buf[(this.head + index) & this.mask];
  }

  set(index: number, v: T): void {
    this.buf[(this.head + index) & this.mask] = v;
  }

  /** Element at 0-based index, which the caller has bounded by `length`. */
  private item(index: number): T {
    const v = this.buf[(this.head + index) & this.mask];
    if (v === undefined) throw emptySlot(index, this.length);
    return v;
  }

  /** Copies slot `from` to slot `to` (0-based indexes from the head), as the shifts below do. */
  private move(to: number, from: number): void {
    this.buf[(this.head + to) & this.mask] = this.buf[(this.head + from) & this.mask];
  }

  /** Inserts before `index` (index === length appends). */
  insertAt(index: number, v: T): void {
    if (index <= 0) {
      this.pushFront(v);
      return;
    }
    if (index >= this.length) {
      this.pushBack(v);
      return;
    }
    if (this.length === this.buf.length) this.grow();
    if (index < this.length / 2) {
      this.head = (this.head - 1) & this.mask;
      for (let i = 0; i < index; i++) this.move(i, i + 1);
    } else {
      for (let i = this.length; i > index; i--) this.move(i, i - 1);
    }
    this.length++;
    this.set(index, v);
  }

  /** Removes and returns the element at `index`. */
  removeAt(index: number): T | undefined {
    if (index < 0 || index >= this.length) return undefined;
    const v = this.at(index);
    if (index < this.length / 2) {
      for (let i = index; i > 0; i--) this.move(i, i - 1);
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
    } else {
      for (let i = index; i < this.length - 1; i++) this.move(i, i + 1);
      this.buf[(this.head + this.length - 1) & this.mask] = undefined;
    }
    this.length--;
    return v;
  }

  /** Elements [start, end) as an array. */
  slice(start: number, end: number): T[] {
    const out: T[] = [];
    const { buf, head, mask } = this;
    const stop = Math.min(end, this.length);
    for (let i = Math.max(0, start); i < stop; i++) {
      const v = buf[(head + i) & mask];
      if (v === undefined) throw emptySlot(i, this.length);
      out.push(v);
    }
    return out;
  }

  /** Keeps only [start, end) (LTRIM), in a buffer sized for what is kept. */
  keep(start: number, end: number): void {
    const kept = this.slice(start, end);
    let cap = 8;
    while (cap < kept.length) cap *= 2;
    this.buf = new Array<T | undefined>(cap);
    this.mask = cap - 1;
    this.head = 0;
    this.length = 0;
    for (const v of kept) this.pushBack(v);
  }

  /**
   * Removes every element in [lo, hi] for which `drop` holds, keeping the order of the rest, and
   * returns how many went. Only the elements between the range and the nearer end move.
   */
  removeIf(lo: number, hi: number, drop: (v: T) => boolean): number {
    lo = Math.max(0, lo);
    hi = Math.min(hi, this.length - 1);
    if (lo > hi) return 0;
    const n = this.length;
    let removed = 0;
    if (lo < n - 1 - hi) {
      // Compact towards the back: walk down from hi, then slide the head side up.
      let w = hi;
      for (let r = hi; r >= 0; r--) {
        const v = this.item(r);
        if (r >= lo && drop(v)) removed++;
        else this.set(w--, v);
      }
      for (let i = 0; i < removed; i++) {
        this.buf[this.head] = undefined;
        this.head = (this.head + 1) & this.mask;
      }
    } else {
      let w = lo;
      for (let r = lo; r < n; r++) {
        const v = this.item(r);
        if (r <= hi && drop(v)) removed++;
        else this.set(w++, v);
      }
      for (let i = w; i < n; i++) this.buf[(this.head + i) & this.mask] = undefined;
    }
    this.length -= removed;
    this.maybeShrink();
    return removed;
  }

  *[Symbol.iterator](): Generator<T> {
    for (let i = 0; i < this.length; i++) yield this.item(i);
  }
}
