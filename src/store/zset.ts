// Sorted set values: member → score in a Map plus the (score, member) order in a B+tree counted
// by subtree sizes (ScoreTree, in place of Redis's zskiplist), so rank operations are O(log N).
// One structure serves both of Redis's encodings; the one Redis would use is tracked because it
// shows through: OBJECT ENCODING, ZSCAN, the listpack's integer scores (which lose the sign of
// -0) and the linear lex searches of small sets.

import {
  ScoreTree,
  aboveMin,
  belowMax,
  lexAboveMin,
  lexBelowMax,
  type LexBound,
  type ScoreBound,
  type ScoreEntry,
} from './score-tree.js';

export type { LexBound, ScoreBound, ScoreEntry };

/** zset-max-listpack-entries and zset-max-listpack-value. */
export interface ZSetLimits {
  readonly maxEntries: number;
  readonly maxValue: number;
}

export type ZSetEncoding = 'listpack' | 'skiplist';

/** ZADD's options, as Redis's zsetAdd takes them. */
export interface ZAddFlags {
  readonly nx: boolean;
  readonly xx: boolean;
  readonly gt: boolean;
  readonly lt: boolean;
  readonly incr: boolean;
}

/**
 * What zsetAdd did: `score` is the resulting score (before listpack storage drops -0's sign).
 * 'same' (an existing member given its own score) still counts as processed, unlike 'nop'.
 */
export type ZAddResult =
  | { readonly kind: 'added' | 'updated' | 'same' | 'nop'; readonly score: number }
  | { readonly kind: 'nan' };

export interface ZEntry {
  readonly member: string;
  readonly score: number;
}

export class ZSetValue {
  readonly type = 'zset' as const;
  readonly scores = new Map<string, number>();
  readonly order = new ScoreTree();
  private compact: boolean;

  constructor(encoding: ZSetEncoding = 'listpack') {
    this.compact = encoding === 'listpack';
  }

  /** The set ZADD creates for its first member (zaddGenericCommand): compact unless it cannot be. */
  static forFirst(member: string, limits: ZSetLimits): ZSetValue {
    return new ZSetValue(limits.maxEntries === 0 || member.length > limits.maxValue ? 'skiplist' : 'listpack');
  }

  get size(): number {
    return this.scores.size;
  }

  encoding(): ZSetEncoding {
    return this.compact ? 'listpack' : 'skiplist';
  }

  /** A deep copy with the same encoding (as Redis's zsetDup). */
  copy(): ZSetValue {
    const z = new ZSetValue(this.encoding());
    for (const n of this.order) z.insertNew(n.member, n.score);
    return z;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /**
   * Redis's zsetAdd: adds or updates `member` under the ZADD flags. A compact set converts before
   * an insertion that would make it too long or hold too long a member.
   */
  add(member: string, score: number, flags: ZAddFlags, limits: ZSetLimits): ZAddResult {
    const cur = this.scores.get(member);
    if (cur !== undefined) {
      if (flags.nx) return { kind: 'nop', score };
      if (flags.incr) {
        score += cur;
        if (Number.isNaN(score)) return { kind: 'nan' };
      }
      if ((flags.lt && score >= cur) || (flags.gt && score <= cur)) return { kind: 'nop', score };
      if (score !== cur) {
        this.move(member, cur, score);
        return { kind: 'updated', score };
      }
      return { kind: 'same', score };
    }
    if (flags.xx) return { kind: 'nop', score };
    this.makeRoomFor(member, limits);
    this.insertNew(member, score);
    return { kind: 'added', score };
  }

  /** Sets `member` to `score`, adding it when absent (the building block of the STORE commands). */
  set(member: string, score: number, limits: ZSetLimits): void {
    const cur = this.scores.get(member);
    if (cur === undefined) {
      this.makeRoomFor(member, limits);
      this.insertNew(member, score);
    } else if (score !== cur) {
      this.move(member, cur, score);
    }
  }

  delete(member: string): boolean {
    const cur = this.scores.get(member);
    if (cur === undefined) return false;
    this.scores.delete(member);
    this.order.delete(cur, member);
    return true;
  }

  /** 0-based rank of `member` from the lowest score (from the highest when `reverse`), or -1. */
  rank(member: string, reverse = false): number {
    const score = this.scores.get(member);
    if (score === undefined) return -1;
    const r = this.order.rank(score, member);
    return reverse ? this.size - r : r - 1;
  }

  /** The node at 0-based rank `i` from the lowest score, or null. */
  at(i: number): ScoreEntry | null {
    return this.order.byRank(i + 1);
  }

  /** A uniformly random node; the set must not be empty. */
  randomNode(): ScoreEntry {
    const n = this.order.byRank(1 + Math.floor(Math.random() * this.size));
    if (n === null) throw new RangeError('random member of an empty sorted set');
    return n;
  }

  /** Removes and returns the entry with the lowest (or highest) score, or null when empty. */
  pop(max: boolean): ZEntry | null {
    const n = max ? this.order.tail : this.order.first;
    if (n === null) return null;
    const entry = { member: n.member, score: n.score };
    this.delete(n.member);
    return entry;
  }

  // --- score ranges ---

  firstInRange(min: ScoreBound, max: ScoreBound): ScoreEntry | null {
    return this.order.firstInRange(min, max);
  }

  lastInRange(min: ScoreBound, max: ScoreBound): ScoreEntry | null {
    return this.order.lastInRange(min, max);
  }

  /** ZCOUNT, from the ranks of both ends: O(log N). */
  countInRange(min: ScoreBound, max: ScoreBound): number {
    const first = this.order.firstInRange(min, max);
    if (first === null) return 0;
    const last = this.order.lastInRange(min, max);
    if (last === null) return 0;
    return this.order.rank(last.score, last.member) - this.order.rank(first.score, first.member) + 1;
  }

  // --- lex ranges (meaningful when all scores are equal; otherwise as Redis's searches go) ---

  /**
   * First node in the lex range. A listpack is searched linearly from its head and a skiplist by
   * descending its levels, as Redis does, so even on mixed scores small sets answer as Redis's do.
   */
  firstInLexRange(min: LexBound, max: LexBound): ScoreEntry | null {
    if (!this.inLexRange(min, max)) return null;
    if (!this.compact) return this.order.firstInLexRange(min, max);
    for (const n of this.order) if (lexAboveMin(n.member, min)) return lexBelowMax(n.member, max) ? n : null;
    return null;
  }

  lastInLexRange(min: LexBound, max: LexBound): ScoreEntry | null {
    if (!this.inLexRange(min, max)) return null;
    if (!this.compact) return this.order.lastInLexRange(min, max);
    for (let n = this.order.tail; n !== null; n = n.backward) {
      if (lexBelowMax(n.member, max)) return lexAboveMin(n.member, min) ? n : null;
    }
    return null;
  }

  /** ZLEXCOUNT: a walk for a listpack, rank arithmetic for a skiplist (as Redis does each). */
  lexCount(min: LexBound, max: LexBound): number {
    const first = this.firstInLexRange(min, max);
    if (first === null) return 0;
    if (this.compact) {
      let count = 0;
      for (let n: ScoreEntry | null = first; n !== null && lexBelowMax(n.member, max); n = n.next0) count++;
      return count;
    }
    const len = this.size;
    let count = len - (this.order.rank(first.score, first.member) - 1);
    const last = this.lastInLexRange(min, max);
    if (last !== null) count -= len - this.order.rank(last.score, last.member);
    return count;
  }

  /** Redis's zslIsInLexRange / zzlIsInLexRange: false when the range cannot hold anything. */
  private inLexRange(min: LexBound, max: LexBound): boolean {
    const cmp = compareLexBounds(min, max);
    if (cmp > 0 || (cmp === 0 && (isExclusive(min) || isExclusive(max)))) return false;
    const tail = this.order.tail;
    const head = this.order.first;
    return tail !== null && head !== null && lexAboveMin(tail.member, min) && lexBelowMax(head.member, max);
  }

  // --- range removal ---

  /** Removes the entries at 0-based ranks start..end (already clamped); returns how many. */
  deleteRangeByRank(start: number, end: number): number {
    const doomed: ScoreEntry[] = [];
    for (let n = this.at(start); n !== null && doomed.length < end - start + 1; n = n.next0) doomed.push(n);
    return this.deleteNodes(doomed);
  }

  deleteRangeByScore(min: ScoreBound, max: ScoreBound): number {
    const doomed: ScoreEntry[] = [];
    for (let n = this.order.firstInRange(min, max); n !== null && belowMax(n.score, max); n = n.next0) doomed.push(n);
    return this.deleteNodes(doomed);
  }

  deleteRangeByLex(min: LexBound, max: LexBound): number {
    const doomed: ScoreEntry[] = [];
    for (let n = this.firstInLexRange(min, max); n !== null && lexBelowMax(n.member, max); n = n.next0) doomed.push(n);
    return this.deleteNodes(doomed);
  }

  private deleteNodes(nodes: readonly ScoreEntry[]): number {
    for (const n of nodes) this.delete(n.member);
    return nodes.length;
  }

  // --- encoding ---

  /**
   * Redis's zsetConvertToListpackIfNeeded, used on the results of the STORE commands: a result
   * small enough in entries and member length goes back to the compact encoding.
   */
  convertToListpackIfNeeded(limits: ZSetLimits): void {
    if (this.compact || this.size > limits.maxEntries) return;
    for (const m of this.scores.keys()) if (m.length > limits.maxValue) return;
    this.compact = true;
    // A listpack stores integral scores as integers, so -0 becomes 0.
    for (const n of this.order) {
      if (Object.is(n.score, -0)) {
        this.order.setScoreInPlace(n, 0);
        this.scores.set(n.member, 0);
      }
    }
  }

  /** Converts a compact set that could not hold `member` as one more entry. */
  private makeRoomFor(member: string, limits: ZSetLimits): void {
    if (this.compact && (this.size + 1 > limits.maxEntries || member.length > limits.maxValue)) this.compact = false;
  }

  private insertNew(member: string, score: number): void {
    const stored = this.stored(score);
    this.scores.set(member, stored);
    this.order.insert(stored, member);
  }

  private move(member: string, from: number, to: number): void {
    const stored = this.stored(to);
    this.scores.set(member, stored);
    this.order.updateScore(member, from, stored);
  }

  /** The score as the encoding keeps it: a listpack holds an integral score as an integer. */
  private stored(score: number): number {
    return this.compact && score === 0 ? 0 : score;
  }
}

/** Redis's sdscmplex over range bounds: '-' sorts before everything, '+' after everything. */
function compareLexBounds(a: LexBound, b: LexBound): number {
  if ('kind' in a && 'kind' in b && a.kind === b.kind) return 0;
  if (('kind' in a && a.kind === 'min') || ('kind' in b && b.kind === 'max')) return -1;
  if ('kind' in a || 'kind' in b) return 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** '-' and '+' count as exclusive bounds, as in Redis's zslParseLexRangeItem. */
function isExclusive(b: LexBound): boolean {
  return 'kind' in b || b.exclusive;
}

export { aboveMin, belowMax, lexAboveMin, lexBelowMax };
