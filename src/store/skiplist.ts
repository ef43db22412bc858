// The ordered index of a sorted set: a skiplist with spans (as Redis's zskiplist), ordered by
// score then member bytes, giving O(log N) insert, delete, rank and rank → element. Members are
// latin1 strings, so JS string comparison is byte comparison.
//
// The nodes are 64-byte records in one ArrayBuffer, as Redis's zskiplistNode is one allocation
// holding its score and its levels: a step of a search reads one cache line (the next record's
// score and link), where a node object costs a header, a second line when its fields straddle one,
// and a place in the collector's marking. Record 0 is the head; link 0 means "none". The members
// live in a plain array beside the records, read only when two scores are equal and to check a
// search's result.

const MAX_LEVEL = 32;
const P = 0.25;
/** Levels a record holds inline; with P = 1/4, 99.9% of nodes have no more. */
const INLINE = 5;
/** A record: 16 int32 slots (8 float64), 64 bytes. */
const SLOTS = 16;
const F64_SLOTS = SLOTS / 2;
// int32 slots of a record (slots 0-1 are the float64 score).
const NEXT = 2; // NEXT + i: the next record on level i < INLINE
const SPAN = NEXT + INLINE; // SPAN + i: how many level-0 steps that link jumps
const BACK = SPAN + INLINE; // the previous record on level 0 (0 for the first)
const FREE = BACK + 1; // the next free record, while this one is free
/** Records a new list starts with (the head and seven nodes): 512 bytes. */
const INITIAL = 8;

/** The upper levels of a record that has none: shared, never written (its length is 0). */
const NO_UPPER = new Int32Array(0);

/** A level at or above a node's height was asked for: the list's links are broken. */
function noLevel(i: number): RangeError {
  return new RangeError(`skiplist node has no level ${i}`);
}

/**
 * One member as a search or a walk found it: its member and score when found, and its record for
 * stepping on (next0, backward). A handle read after its member was deleted and the record reused
 * for another one walks from the new member's place.
 */
export class SkipNode {
  constructor(
    private readonly list: SkipList,
    readonly id: number,
    readonly member: string,
    readonly score: number,
  ) {}

  /** The next node in order, or null at the tail. */
  get next0(): SkipNode | null {
    return this.list.node(this.list.forward(this.id));
  }

  /** The previous node in order, or null at the first. */
  get backward(): SkipNode | null {
    return this.list.node(this.list.back(this.id));
  }
}

/** A score bound: value plus whether the bound itself is excluded. */
export interface ScoreBound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** A lexicographic bound: '-' and '+' are the open ends. */
export type LexBound = { readonly kind: 'min' } | { readonly kind: 'max' } | { readonly value: string; readonly exclusive: boolean };

// Scratch space for insert/delete: the skiplist is used synchronously, so one set is enough and
// no insert allocates two 32-slot arrays.
const UPDATE = new Int32Array(MAX_LEVEL);
const RANK = new Float64Array(MAX_LEVEL);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

export function aboveMin(score: number, b: ScoreBound): boolean {
  return b.exclusive ? score > b.value : score >= b.value;
}

export function belowMax(score: number, b: ScoreBound): boolean {
  return b.exclusive ? score < b.value : score <= b.value;
}

export function lexAboveMin(member: string, b: LexBound): boolean {
  if ('kind' in b) return b.kind === 'min';
  return b.exclusive ? member > b.value : member >= b.value;
}

export function lexBelowMax(member: string, b: LexBound): boolean {
  if ('kind' in b) return b.kind === 'max';
  return b.exclusive ? member < b.value : member <= b.value;
}

export class SkipList {
  private i32: Int32Array;
  private f64: Float64Array;
  /** The member of each record ('' for the head and free records). */
  private readonly members: string[] = [];
  /** Levels INLINE and up of each record, as (next, span) pairs; NO_UPPER for most. */
  private readonly upper: Int32Array[] = [];
  /** Records handed out so far (free ones included); the rest of the buffer is unused. */
  private used = 1;
  /** The first free record, 0 when none. */
  private free = 0;
  private tailId = 0;
  private level = 1;
  length = 0;

  constructor() {
    const buf = new ArrayBuffer(INITIAL * SLOTS * 4);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    for (let r = 0; r < INITIAL; r++) {
      this.members.push('');
      this.upper.push(NO_UPPER);
    }
    this.upper[0] = new Int32Array(2 * (MAX_LEVEL - INLINE));
  }

  get first(): SkipNode | null {
    return this.node(this.forward(0));
  }

  get tail(): SkipNode | null {
    return this.node(this.tailId);
  }

  /** A handle on record `r`, or null for 0 (none). */
  node(r: number): SkipNode | null {
    return r === 0 ? null : new SkipNode(this, r, this.memberOf(r), this.scoreOf(r));
  }

  /** The record after `r` on level 0 (0 at the tail). */
  forward(r: number): number {
    return this.i32[r * SLOTS + NEXT] ?? 0;
  }

  /** The record before `r` on level 0 (0 at the first). */
  back(r: number): number {
    return this.i32[r * SLOTS + BACK] ?? 0;
  }

  private scoreOf(r: number): number {
    return this.f64[r * F64_SLOTS] ?? 0;
  }

  private memberOf(r: number): string {
    return this.members[r] ?? '';
  }

  private next(r: number, i: number): number {
    if (i < INLINE) return this.i32[r * SLOTS + NEXT + i] ?? 0;
    const n = this.upper[r]?.[2 * (i - INLINE)];
    if (n === undefined) throw noLevel(i);
    return n;
  }

  private span(r: number, i: number): number {
    if (i < INLINE) return this.i32[r * SLOTS + SPAN + i] ?? 0;
    const s = this.upper[r]?.[2 * (i - INLINE) + 1];
    if (s === undefined) throw noLevel(i);
    return s;
  }

  private setNext(r: number, i: number, n: number): void {
    if (i < INLINE) {
      this.i32[r * SLOTS + NEXT + i] = n;
      return;
    }
    const up = this.upper[r];
    if (up === undefined || 2 * (i - INLINE) >= up.length) throw noLevel(i);
    up[2 * (i - INLINE)] = n;
  }

  private setSpan(r: number, i: number, s: number): void {
    if (i < INLINE) {
      this.i32[r * SLOTS + SPAN + i] = s;
      return;
    }
    const up = this.upper[r];
    if (up === undefined || 2 * (i - INLINE) >= up.length) throw noLevel(i);
    up[2 * (i - INLINE) + 1] = s;
  }

  /** true when record n sorts before (score, member). */
  private before(n: number, score: number, member: string): boolean {
    const s = this.f64[n * F64_SLOTS] ?? 0;
    return s < score || (s === score && this.memberOf(n) < member);
  }

  /** A record for a new node: a free one, else the next unused one (the buffer doubled when full). */
  private alloc(): number {
    if (this.free !== 0) {
      const r = this.free;
      this.free = this.i32[r * SLOTS + FREE] ?? 0;
      return r;
    }
    if (this.used * SLOTS >= this.i32.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const records = this.i32.length / SLOTS;
    const buf = new ArrayBuffer(records * 2 * SLOTS * 4);
    const i32 = new Int32Array(buf);
    i32.set(this.i32);
    this.i32 = i32;
    this.f64 = new Float64Array(buf);
    for (let r = records; r < records * 2; r++) {
      this.members.push('');
      this.upper.push(NO_UPPER);
    }
  }

  /**
   * Returns record r to the free list. Its level-0 links stay as they were until the record is
   * reused, so a walk that deletes the node it stands on can still step on.
   */
  private release(r: number): void {
    this.members[r] = '';
    this.upper[r] = NO_UPPER;
    this.i32[r * SLOTS + FREE] = this.free;
    this.free = r;
  }

  insert(score: number, member: string): SkipNode {
    const r = this.place(score, member, 0);
    return new SkipNode(this, r, member, score);
  }

  /**
   * Links (score, member) in order, into record `reuse` when given (a node just unlinked: no
   * allocation, no garbage), else into a new record. The node's level is a fresh draw either way.
   */
  private place(score: number, member: string, reuse: number): number {
    const update = UPDATE;
    const rank = RANK;
    let x = 0;
    // Steps taken from the head so far: on each level the count goes on from the level above.
    let r = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && this.before(n, score, member)) {
        r += this.span(x, i);
        x = n;
        n = this.next(x, i);
      }
      rank[i] = r;
      update[i] = x;
    }
    // x is the new node's predecessor on level 0, r its rank.
    const prev = x;
    const rank0 = r;
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = 0;
        this.setSpan(0, i, this.length);
      }
      this.level = level;
    }
    const node = reuse !== 0 ? reuse : this.alloc();
    this.members[node] = member;
    this.upper[node] = level > INLINE ? new Int32Array(2 * (level - INLINE)) : NO_UPPER;
    this.f64[node * F64_SLOTS] = score;
    // Inline levels above the new height are never read; cleared so a reused record holds no old link.
    for (let i = level; i < INLINE; i++) {
      this.setNext(node, i, 0);
      this.setSpan(node, i, 0);
    }
    for (let i = 0; i < level; i++) {
      const u = update[i] ?? 0;
      // Level-0 steps between update[i] and the new node's predecessor.
      const gap = rank0 - (rank[i] ?? 0);
      this.setNext(node, i, this.next(u, i));
      this.setNext(u, i, node);
      this.setSpan(node, i, this.span(u, i) - gap);
      this.setSpan(u, i, gap + 1);
    }
    for (let i = level; i < this.level; i++) {
      const u = update[i] ?? 0;
      this.setSpan(u, i, this.span(u, i) + 1);
    }
    this.i32[node * SLOTS + BACK] = prev;
    const after = this.forward(node);
    if (after !== 0) this.i32[after * SLOTS + BACK] = node;
    else this.tailId = node;
    this.length++;
    return node;
  }

  /**
   * Fills UPDATE with the last record before (score, member) on each level and returns the
   * record of (score, member), or 0 when absent.
   */
  private find(score: number, member: string): number {
    const update = UPDATE;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && this.before(n, score, member)) {
        x = n;
        n = this.next(x, i);
      }
      update[i] = x;
    }
    const target = this.forward(x);
    return target !== 0 && this.scoreOf(target) === score && this.memberOf(target) === member ? target : 0;
  }

  /** Removes (score, member); false when absent. */
  delete(score: number, member: string): boolean {
    const target = this.find(score, member);
    if (target === 0) return false;
    this.unlink(target);
    this.release(target);
    return true;
  }

  /** Unlinks record `node`, UPDATE holding its predecessors as find() left them. */
  private unlink(node: number): void {
    const update = UPDATE;
    for (let i = 0; i < this.level; i++) {
      const u = update[i] ?? 0;
      if (this.next(u, i) === node) {
        this.setSpan(u, i, this.span(u, i) + this.span(node, i) - 1);
        this.setNext(u, i, this.next(node, i));
      } else {
        this.setSpan(u, i, this.span(u, i) - 1);
      }
    }
    const after = this.forward(node);
    const before = this.back(node);
    if (after !== 0) this.i32[after * SLOTS + BACK] = before;
    else this.tailId = before;
    while (this.level > 1 && this.next(0, this.level - 1) === 0) this.level--;
    this.length--;
  }

  /**
   * Moves a member to a new score, as Redis's zslUpdateScore: the score changes in place when the
   * node stays between its neighbours, else the node is unlinked and linked again at its new
   * place (its record reused, so a move allocates nothing).
   */
  updateScore(member: string, oldScore: number, newScore: number): SkipNode {
    const node = this.find(oldScore, member);
    if (node === 0) return this.insert(newScore, member);
    const prev = this.back(node);
    const after = this.forward(node);
    if ((prev === 0 || this.scoreOf(prev) < newScore) && (after === 0 || this.scoreOf(after) > newScore)) {
      this.f64[node * F64_SLOTS] = newScore;
    } else {
      this.unlink(node);
      this.place(newScore, member, node);
    }
    return new SkipNode(this, node, member, newScore);
  }

  /** Sets a node's score where the order does not change (-0 stored as 0). */
  setScoreInPlace(n: SkipNode, score: number): void {
    if (this.scoreOf(n.id) !== n.score || this.memberOf(n.id) !== n.member) throw new RangeError('stale skiplist node');
    this.f64[n.id * F64_SLOTS] = score;
  }

  /** 1-based rank of (score, member), or 0 when absent (Redis's zslGetRank). */
  rank(score: number, member: string): number {
    let rank = 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && (this.before(n, score, member) || (this.scoreOf(n) === score && this.memberOf(n) === member))) {
        rank += this.span(x, i);
        x = n;
        n = this.next(x, i);
      }
      if (x !== 0 && this.scoreOf(x) === score && this.memberOf(x) === member) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or null. */
  byRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.length) return null;
    let traversed = 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && traversed + this.span(x, i) <= rank) {
        traversed += this.span(x, i);
        x = n;
        n = this.next(x, i);
      }
      if (traversed === rank) return this.node(x);
    }
    return null;
  }

  /** First node with score inside [min, max], or null. */
  firstInRange(min: ScoreBound, max: ScoreBound): SkipNode | null {
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && !aboveMin(this.scoreOf(n), min)) {
        x = n;
        n = this.next(x, i);
      }
    }
    const n = this.forward(x);
    return n !== 0 && belowMax(this.scoreOf(n), max) ? this.node(n) : null;
  }

  /** Last node with score inside [min, max], or null. */
  lastInRange(min: ScoreBound, max: ScoreBound): SkipNode | null {
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && belowMax(this.scoreOf(n), max)) {
        x = n;
        n = this.next(x, i);
      }
    }
    return x !== 0 && aboveMin(this.scoreOf(x), min) ? this.node(x) : null;
  }

  /** First node whose member is inside the lex range (all scores equal, as ZRANGEBYLEX assumes). */
  firstInLexRange(min: LexBound, max: LexBound): SkipNode | null {
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && !lexAboveMin(this.memberOf(n), min)) {
        x = n;
        n = this.next(x, i);
      }
    }
    const n = this.forward(x);
    return n !== 0 && lexBelowMax(this.memberOf(n), max) ? this.node(n) : null;
  }

  lastInLexRange(min: LexBound, max: LexBound): SkipNode | null {
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = this.next(x, i);
      while (n !== 0 && lexBelowMax(this.memberOf(n), max)) {
        x = n;
        n = this.next(x, i);
      }
    }
    return x !== 0 && lexAboveMin(this.memberOf(x), min) ? this.node(x) : null;
  }

  *[Symbol.iterator](): Generator<SkipNode> {
    for (let r = this.forward(0); r !== 0; r = this.forward(r)) yield new SkipNode(this, r, this.memberOf(r), this.scoreOf(r));
  }
}
