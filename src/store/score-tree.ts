// The ordered index of a sorted set in Redis's skiplist encoding: (score, member) pairs ordered by
// score then member bytes, with O(log N) insert, delete, rank and rank → element, as Redis's
// zskiplist gives. Members are latin1 strings, so JS string comparison is byte comparison.
//
// It is a B+tree counted by subtree sizes rather than a skiplist: on a set of 100,000 members a
// skiplist search reads some twenty nodes at random places (each a cache miss once the set is
// larger than the CPU's caches), where this tree reads one leaf's scores (a few adjacent cache
// lines) under internal nodes that stay cached. Under redis-benchmark's ZADD the skiplist's two
// searches were 60% of the server's CPU time. The nodes live in typed arrays (one stride per
// node), the members in plain arrays beside them; node 0 of each kind is "none".

/** Entries a leaf holds at most. */
const B = 32;
/** Children an internal node holds at most. */
const F = 32;
/** Leaves or internal nodes a new tree has room for (node 0, "none", included). */
const INITIAL = 2;
/** Leaves a new tree has entry storage for: leaf 0 has none. */
const SPARE = INITIAL - 1;

// The internal nodes' storage of a tree that has none: shared, and never written (no elements).
const NO_INTS: Int32Array<ArrayBuffer> = new Int32Array(0);
const NO_DOUBLES: Float64Array<ArrayBuffer> = new Float64Array(0);

/** Ints of a leaf's metadata: its length, the next leaf, the previous leaf. */
const META = 3;

/** Where leaf l's entries start in the entry arrays (leaf 0 is "none" and has no storage). */
function at0(l: number): number {
  return (l - 1) * B;
}

/** A score bound: value plus whether the bound itself is excluded. */
export interface ScoreBound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** A lexicographic bound: '-' and '+' are the open ends. */
export type LexBound = { readonly kind: 'min' } | { readonly kind: 'max' } | { readonly value: string; readonly exclusive: boolean };

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

/** (score, member) order: true when a sorts before b. */
function before(aScore: number, aMember: string, bScore: number, bMember: string): boolean {
  return aScore < bScore || (aScore === bScore && aMember < bMember);
}

/** A condition false on a prefix of the order and true on the rest (a range's lower end, say). */
type Edge = (score: number, member: string) => boolean;

/** The tree's links are broken: a node or slot that must exist does not. */
function broken(what: string): RangeError {
  return new RangeError(`sorted set index: ${what}`);
}

/**
 * One entry as a search or a walk found it: its member and score, and its place for stepping on
 * (next0, backward). Places shift when the set changes, so a handle is for reading and walking
 * until the next change of its set.
 */
export class ScoreEntry {
  constructor(
    private readonly list: ScoreTree,
    readonly leafId: number,
    readonly slotId: number,
    readonly member: string,
    readonly score: number,
  ) {}

  /** The next entry in order, or null at the tail. */
  get next0(): ScoreEntry | null {
    return this.list.nextOf(this.leafId, this.slotId);
  }

  /** The previous entry in order, or null at the first. */
  get backward(): ScoreEntry | null {
    return this.list.prevOf(this.leafId, this.slotId);
  }
}

/** A copy of `a` with room for `size` elements (the rest zero). */
function grownF64(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

function grownI32(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

export class ScoreTree {
  // Leaves: entries [at0(id), at0(id) + len) of lScore/lMember, chained both ways.
  private lScore = new Float64Array(SPARE * B);
  private readonly lMember: string[] = [];
  /** Per leaf: its length, the next leaf, the previous leaf (META ints each). */
  private lMeta = new Int32Array(INITIAL * META);
  private readonly lFree: number[] = [];
  private lUsed = 1;
  // Internal nodes: children [id * F, id * F + len), each with its subtree's size and largest entry.
  // (None until the first leaf splits: most sorted sets are small.)
  private iChild = NO_INTS;
  private iCount = NO_DOUBLES;
  private iMaxScore = NO_DOUBLES;
  private readonly iMaxMember: string[] = [];
  private iLen = NO_INTS;
  private readonly iFree: number[] = [];
  private iUsed = 1;
  /** The root: a leaf while height is 0, else an internal node. */
  private root: number;
  /** Internal levels above the leaves. */
  private height = 0;
  private firstLeaf: number;
  private lastLeaf: number;
  length = 0;

  constructor() {
    for (let k = 0; k < SPARE * B; k++) this.lMember.push('');
    this.root = this.newLeaf();
    this.firstLeaf = this.root;
    this.lastLeaf = this.root;
  }

  /** Back to a single empty leaf and the initial storage (the last entry went). */
  private clear(): void {
    this.lScore = new Float64Array(SPARE * B);
    this.lMember.length = SPARE * B;
    this.lMember.fill('');
    this.lMeta = new Int32Array(INITIAL * META);
    this.lFree.length = 0;
    this.lUsed = 1;
    this.iChild = NO_INTS;
    this.iCount = NO_DOUBLES;
    this.iMaxScore = NO_DOUBLES;
    this.iMaxMember.length = 0;
    this.iLen = NO_INTS;
    this.iFree.length = 0;
    this.iUsed = 1;
    this.height = 0;
    this.root = this.newLeaf();
    this.firstLeaf = this.root;
    this.lastLeaf = this.root;
  }

  // --- storage ---

  private newLeaf(): number {
    const free = this.lFree.pop();
    if (free !== undefined) return free;
    if (this.lUsed * META >= this.lMeta.length) {
      const cap = (this.lMeta.length / META) * 2;
      this.lScore = grownF64(this.lScore, (cap - 1) * B);
      for (let k = this.lMember.length; k < (cap - 1) * B; k++) this.lMember.push('');
      this.lMeta = grownI32(this.lMeta, cap * META);
    }
    return this.lUsed++;
  }

  private newInternal(): number {
    const free = this.iFree.pop();
    if (free !== undefined) return free;
    if (this.iUsed >= this.iLen.length) {
      const cap = Math.max(INITIAL, this.iLen.length * 2);
      this.iChild = grownI32(this.iChild, cap * F);
      this.iCount = grownF64(this.iCount, cap * F);
      this.iMaxScore = grownF64(this.iMaxScore, cap * F);
      for (let k = this.iMaxMember.length; k < cap * F; k++) this.iMaxMember.push('');
      this.iLen = grownI32(this.iLen, cap);
    }
    return this.iUsed++;
  }

  private freeLeaf(l: number): void {
    const base = at0(l);
    for (let k = 0; k < B; k++) this.lMember[base + k] = '';
    this.lMeta[l * META] = 0;
    this.lFree.push(l);
  }

  private freeInternal(n: number): void {
    const base = n * F;
    for (let k = 0; k < F; k++) this.iMaxMember[base + k] = '';
    this.iLen[n] = 0;
    this.iFree.push(n);
  }

  private leafLen(l: number): number {
    return this.lMeta[l * META] ?? 0;
  }

  private nodeLen(n: number): number {
    return this.iLen[n] ?? 0;
  }

  private score(k: number): number {
    return this.lScore[k] ?? 0;
  }

  private member(k: number): string {
    return this.lMember[k] ?? '';
  }

  private child(k: number): number {
    const c = this.iChild[k];
    if (c === undefined || c === 0) throw broken('missing child');
    return c;
  }

  private count(k: number): number {
    return this.iCount[k] ?? 0;
  }

  /** Entries under node `c` of the level below an internal node at `level` (1 = leaves' parents). */
  private sizeOf(c: number, level: number): number {
    if (level === 1) return this.leafLen(c);
    let sum = 0;
    const base = c * F;
    for (let k = 0; k < this.nodeLen(c); k++) sum += this.count(base + k);
    return sum;
  }

  /** Sets slot k of an internal node to describe child c (one level below). */
  private describe(k: number, c: number, level: number): void {
    this.iChild[k] = c;
    this.iCount[k] = this.sizeOf(c, level);
    this.setMax(k, c, level);
  }

  /** Slot k's largest entry, read from its child c. */
  private setMax(k: number, c: number, level: number): void {
    if (level === 1) {
      const last = at0(c) + this.leafLen(c) - 1;
      this.iMaxScore[k] = this.score(last);
      this.iMaxMember[k] = this.member(last);
    } else {
      const last = c * F + this.nodeLen(c) - 1;
      this.iMaxScore[k] = this.iMaxScore[last] ?? 0;
      this.iMaxMember[k] = this.iMaxMember[last] ?? '';
    }
  }

  // --- searches ---

  /** The child slot to descend into for (score, member): the first whose largest entry is not before it. */
  private childFor(n: number, score: number, member: string): number {
    const base = n * F;
    let lo = 0;
    let hi = this.nodeLen(n) - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      // The member is read only on a tie of scores (another cache line).
      const s = this.iMaxScore[base + mid] ?? 0;
      if (s < score || (s === score && (this.iMaxMember[base + mid] ?? '') < member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first slot of leaf l whose entry is not before (score, member) (its length when none). */
  private slotFor(l: number, score: number, member: string): number {
    const base = at0(l);
    let lo = 0;
    let hi = this.leafLen(l);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = this.score(base + mid);
      if (s < score || (s === score && this.member(base + mid) < member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The leaf and slot of the first entry where `edge` holds, or null when it holds nowhere. */
  private firstWhere(edge: Edge): ScoreEntry | null {
    let n = this.root;
    for (let level = this.height; level > 0; level--) {
      const base = n * F;
      const len = this.nodeLen(n);
      let lo = 0;
      let hi = len;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (edge(this.iMaxScore[base + mid] ?? 0, this.iMaxMember[base + mid] ?? '')) hi = mid;
        else lo = mid + 1;
      }
      if (lo === len) return null;
      n = this.child(base + lo);
    }
    const base = at0(n);
    let lo = 0;
    let hi = this.leafLen(n);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edge(this.score(base + mid), this.member(base + mid))) hi = mid;
      else lo = mid + 1;
    }
    return this.at(n, lo);
  }

  /** The last entry where `edge` does not hold yet, or null. */
  private lastBefore(edge: Edge): ScoreEntry | null {
    const n = this.firstWhere(edge);
    return n === null ? this.tail : this.prevOf(n.leafId, n.slotId);
  }

  // --- handles ---

  /** A handle on slot `slot` of leaf `l`, or null past its end with no leaf after it. */
  private at(l: number, slot: number): ScoreEntry | null {
    let leaf = l;
    let s = slot;
    while (leaf !== 0 && s >= this.leafLen(leaf)) {
      leaf = this.lMeta[leaf * META + 1] ?? 0;
      s = 0;
    }
    if (leaf === 0) return null;
    const k = at0(leaf) + s;
    return new ScoreEntry(this, leaf, s, this.member(k), this.score(k));
  }

  /** The entry after slot `slot` of leaf `l`. */
  nextOf(l: number, slot: number): ScoreEntry | null {
    return this.at(l, slot + 1);
  }

  /** The entry before slot `slot` of leaf `l`. */
  prevOf(l: number, slot: number): ScoreEntry | null {
    let leaf = l;
    let s = slot - 1;
    while (leaf !== 0 && s < 0) {
      leaf = this.lMeta[leaf * META + 2] ?? 0;
      s = this.leafLen(leaf) - 1;
    }
    if (leaf === 0) return null;
    const k = at0(leaf) + s;
    return new ScoreEntry(this, leaf, s, this.member(k), this.score(k));
  }

  get first(): ScoreEntry | null {
    return this.at(this.firstLeaf, 0);
  }

  get tail(): ScoreEntry | null {
    return this.prevOf(this.lastLeaf, this.leafLen(this.lastLeaf));
  }

  // --- insertion ---

  insert(score: number, member: string): void {
    const split = this.insertUnder(this.root, this.height, score, member);
    if (split !== 0) {
      // The root split: a new root over the two halves.
      const r = this.newInternal();
      this.iLen[r] = 2;
      this.describe(r * F, this.root, this.height + 1);
      this.describe(r * F + 1, split, this.height + 1);
      this.root = r;
      this.height++;
    }
    this.length++;
  }

  /**
   * Inserts under node n at `level` (0 = a leaf). Returns 0, or the new node holding the upper
   * half of n when n had to split (its parent then describes both).
   */
  private insertUnder(n: number, level: number, score: number, member: string): number {
    if (level === 0) return this.insertInLeaf(n, score, member);
    const j = this.childFor(n, score, member);
    const k = n * F + j;
    const c = this.child(k);
    const split = this.insertUnder(c, level - 1, score, member);
    if (split === 0) {
      this.iCount[k] = this.count(k) + 1;
      if (before(this.iMaxScore[k] ?? 0, this.iMaxMember[k] ?? '', score, member)) {
        this.iMaxScore[k] = score;
        this.iMaxMember[k] = member;
      }
      return 0;
    }
    this.describe(k, c, level);
    return this.addChild(n, j + 1, split, level);
  }

  /** Puts child c into slot j of internal node n at `level`, splitting n when full. */
  private addChild(n: number, j: number, c: number, level: number): number {
    let target = n;
    let slot = j;
    let upper = 0;
    if (this.nodeLen(n) === F) {
      upper = this.newInternal();
      const half = F >> 1;
      this.iChild.copyWithin(upper * F, n * F + half, n * F + F);
      this.iCount.copyWithin(upper * F, n * F + half, n * F + F);
      this.iMaxScore.copyWithin(upper * F, n * F + half, n * F + F);
      for (let k = 0; k < F - half; k++) {
        this.iMaxMember[upper * F + k] = this.iMaxMember[n * F + half + k] ?? '';
        this.iMaxMember[n * F + half + k] = '';
      }
      this.iLen[n] = half;
      this.iLen[upper] = F - half;
      if (j > half) {
        target = upper;
        slot = j - half;
      }
    }
    const base = target * F;
    const len = this.nodeLen(target);
    this.iChild.copyWithin(base + slot + 1, base + slot, base + len);
    this.iCount.copyWithin(base + slot + 1, base + slot, base + len);
    this.iMaxScore.copyWithin(base + slot + 1, base + slot, base + len);
    for (let k = len; k > slot; k--) this.iMaxMember[base + k] = this.iMaxMember[base + k - 1] ?? '';
    this.iLen[target] = len + 1;
    this.describe(base + slot, c, level);
    return upper;
  }

  private insertInLeaf(l: number, score: number, member: string): number {
    let target = l;
    let slot = this.slotFor(l, score, member);
    let upper = 0;
    if (this.leafLen(l) === B) {
      upper = this.newLeaf();
      const half = B >> 1;
      this.lScore.copyWithin(at0(upper), at0(l) + half, at0(l) + B);
      for (let k = 0; k < B - half; k++) {
        this.lMember[at0(upper) + k] = this.member(at0(l) + half + k);
        this.lMember[at0(l) + half + k] = '';
      }
      this.lMeta[l * META] = half;
      this.lMeta[upper * META] = B - half;
      const next = this.lMeta[l * META + 1] ?? 0;
      this.lMeta[upper * META + 1] = next;
      this.lMeta[upper * META + 2] = l;
      this.lMeta[l * META + 1] = upper;
      if (next !== 0) this.lMeta[next * META + 2] = upper;
      else this.lastLeaf = upper;
      if (slot > half) {
        target = upper;
        slot -= half;
      }
    }
    const base = at0(target);
    const len = this.leafLen(target);
    this.lScore.copyWithin(base + slot + 1, base + slot, base + len);
    for (let k = len; k > slot; k--) this.lMember[base + k] = this.member(base + k - 1);
    this.lScore[base + slot] = score;
    this.lMember[base + slot] = member;
    this.lMeta[target * META] = len + 1;
    return upper;
  }

  // --- deletion ---

  /** Removes (score, member); false when absent. */
  delete(score: number, member: string): boolean {
    if (!this.deleteUnder(this.root, this.height, score, member)) return false;
    this.length--;
    if (this.length === 0) {
      this.clear();
      return true;
    }
    // A root with one child gives way to it.
    while (this.height > 0 && this.nodeLen(this.root) === 1) {
      const only = this.child(this.root * F);
      this.freeInternal(this.root);
      this.root = only;
      this.height--;
    }
    return true;
  }

  private deleteUnder(n: number, level: number, score: number, member: string): boolean {
    if (level === 0) return this.deleteInLeaf(n, score, member);
    const j = this.childFor(n, score, member);
    const k = n * F + j;
    const c = this.child(k);
    if (!this.deleteUnder(c, level - 1, score, member)) return false;
    const size = this.count(k) - 1;
    this.iCount[k] = size;
    if (size === 0) {
      this.removeChild(n, j, level);
      return true;
    }
    if (this.iMaxScore[k] === score && this.iMaxMember[k] === member) this.setMax(k, c, level);
    // A small child joins its right neighbour (or its left one) when both fit in one node.
    const len = this.nodeLen(n);
    const cap = level === 1 ? B : F;
    const childLen = level === 1 ? this.leafLen(c) : this.nodeLen(c);
    if (childLen <= cap >> 2 && len > 1) {
      const left = j + 1 < len ? j : j - 1;
      const a = this.child(n * F + left);
      const b = this.child(n * F + left + 1);
      const aLen = level === 1 ? this.leafLen(a) : this.nodeLen(a);
      const bLen = level === 1 ? this.leafLen(b) : this.nodeLen(b);
      if (aLen + bLen <= (cap * 3) >> 2) {
        if (level === 1) this.mergeLeaves(a, b);
        else this.mergeInternals(a, b);
        this.describe(n * F + left, a, level);
        this.removeChild(n, left + 1, level);
      }
    }
    return true;
  }

  /** Removes slot j of internal node n at `level`, freeing its (now empty or merged) child. */
  private removeChild(n: number, j: number, level: number): void {
    const base = n * F;
    const len = this.nodeLen(n);
    const c = this.child(base + j);
    if (level === 1) {
      if (this.leafLen(c) === 0) this.unchainLeaf(c);
      this.freeLeaf(c);
    } else this.freeInternal(c);
    this.iChild.copyWithin(base + j, base + j + 1, base + len);
    this.iCount.copyWithin(base + j, base + j + 1, base + len);
    this.iMaxScore.copyWithin(base + j, base + j + 1, base + len);
    for (let k = j; k < len - 1; k++) this.iMaxMember[base + k] = this.iMaxMember[base + k + 1] ?? '';
    this.iMaxMember[base + len - 1] = '';
    this.iLen[n] = len - 1;
  }

  private unchainLeaf(l: number): void {
    const prev = this.lMeta[l * META + 2] ?? 0;
    const next = this.lMeta[l * META + 1] ?? 0;
    if (prev !== 0) this.lMeta[prev * META + 1] = next;
    else this.firstLeaf = next;
    if (next !== 0) this.lMeta[next * META + 2] = prev;
    else this.lastLeaf = prev;
  }

  /** Moves leaf b's entries to the end of leaf a (b follows a) and takes b out of the chain. */
  private mergeLeaves(a: number, b: number): void {
    const aLen = this.leafLen(a);
    const bLen = this.leafLen(b);
    this.lScore.copyWithin(at0(a) + aLen, at0(b), at0(b) + bLen);
    for (let k = 0; k < bLen; k++) this.lMember[at0(a) + aLen + k] = this.member(at0(b) + k);
    this.lMeta[a * META] = aLen + bLen;
    // Empty now: removeChild takes it out of the chain.
    this.lMeta[b * META] = 0;
  }

  private mergeInternals(a: number, b: number): void {
    const aLen = this.nodeLen(a);
    const bLen = this.nodeLen(b);
    this.iChild.copyWithin(a * F + aLen, b * F, b * F + bLen);
    this.iCount.copyWithin(a * F + aLen, b * F, b * F + bLen);
    this.iMaxScore.copyWithin(a * F + aLen, b * F, b * F + bLen);
    for (let k = 0; k < bLen; k++) this.iMaxMember[a * F + aLen + k] = this.iMaxMember[b * F + k] ?? '';
    this.iLen[a] = aLen + bLen;
    this.iLen[b] = 0;
  }

  private deleteInLeaf(l: number, score: number, member: string): boolean {
    const slot = this.slotFor(l, score, member);
    const base = at0(l);
    const len = this.leafLen(l);
    if (slot === len || this.score(base + slot) !== score || this.member(base + slot) !== member) return false;
    this.lScore.copyWithin(base + slot, base + slot + 1, base + len);
    for (let k = slot; k < len - 1; k++) this.lMember[base + k] = this.member(base + k + 1);
    this.lMember[base + len - 1] = '';
    this.lMeta[l * META] = len - 1;
    return true;
  }

  // --- updates ---

  /**
   * Moves a member to a new score (as Redis's zslUpdateScore, in place when the entry keeps its
   * slot): the member must be present with `oldScore`. The member's string already stored is
   * kept, so the index and the member → score Map share one string per member.
   */
  updateScore(member: string, oldScore: number, newScore: number): void {
    let n = this.root;
    for (let level = this.height; level > 0; level--) n = this.child(n * F + this.childFor(n, oldScore, member));
    const slot = this.slotFor(n, oldScore, member);
    const base = at0(n);
    const len = this.leafLen(n);
    const stored = this.member(base + slot);
    if (slot === len || this.score(base + slot) !== oldScore || stored !== member) throw broken('moved member is absent');
    // In place when strictly inside the leaf: its neighbours on both sides are in it, and its last
    // entry (a maximum recorded above it) does not change.
    if (
      slot > 0 &&
      slot + 1 < len &&
      before(this.score(base + slot - 1), this.member(base + slot - 1), newScore, stored) &&
      before(newScore, stored, this.score(base + slot + 1), this.member(base + slot + 1))
    ) {
      this.lScore[base + slot] = newScore;
      return;
    }
    this.delete(oldScore, stored);
    this.insert(newScore, stored);
  }

  /** Sets an entry's score where the order does not change (-0 stored as 0). */
  setScoreInPlace(n: ScoreEntry, score: number): void {
    let l = this.root;
    for (let level = this.height; level > 0; level--) l = this.child(l * F + this.childFor(l, n.score, n.member));
    const k = at0(l) + this.slotFor(l, n.score, n.member);
    if (this.score(k) !== n.score || this.member(k) !== n.member) throw broken('stale entry');
    this.lScore[k] = score;
  }

  // --- ranks ---

  /** 1-based rank of (score, member), or 0 when absent (Redis's zslGetRank). */
  rank(score: number, member: string): number {
    let n = this.root;
    let rank = 0;
    for (let level = this.height; level > 0; level--) {
      const j = this.childFor(n, score, member);
      for (let k = 0; k < j; k++) rank += this.count(n * F + k);
      n = this.child(n * F + j);
    }
    const slot = this.slotFor(n, score, member);
    const k = at0(n) + slot;
    if (slot === this.leafLen(n) || this.score(k) !== score || this.member(k) !== member) return 0;
    return rank + slot + 1;
  }

  /** The entry at 1-based `rank`, or null. */
  byRank(rank: number): ScoreEntry | null {
    if (rank < 1 || rank > this.length) return null;
    let n = this.root;
    let left = rank - 1;
    for (let level = this.height; level > 0; level--) {
      const base = n * F;
      const len = this.nodeLen(n);
      let j = 0;
      while (j < len - 1 && left >= this.count(base + j)) {
        left -= this.count(base + j);
        j++;
      }
      n = this.child(base + j);
    }
    return this.at(n, left);
  }

  // --- ranges ---

  /** First entry with score inside [min, max], or null. */
  firstInRange(min: ScoreBound, max: ScoreBound): ScoreEntry | null {
    const n = this.firstWhere((s) => aboveMin(s, min));
    return n !== null && belowMax(n.score, max) ? n : null;
  }

  /** Last entry with score inside [min, max], or null. */
  lastInRange(min: ScoreBound, max: ScoreBound): ScoreEntry | null {
    const n = this.lastBefore((s) => !belowMax(s, max));
    return n !== null && aboveMin(n.score, min) ? n : null;
  }

  /** First entry whose member is inside the lex range (all scores equal, as ZRANGEBYLEX assumes). */
  firstInLexRange(min: LexBound, max: LexBound): ScoreEntry | null {
    const n = this.firstWhere((_s, m) => lexAboveMin(m, min));
    return n !== null && lexBelowMax(n.member, max) ? n : null;
  }

  lastInLexRange(min: LexBound, max: LexBound): ScoreEntry | null {
    const n = this.lastBefore((_s, m) => !lexBelowMax(m, max));
    return n !== null && lexAboveMin(n.member, min) ? n : null;
  }

  *[Symbol.iterator](): Generator<ScoreEntry> {
    for (let l = this.firstLeaf; l !== 0; l = this.lMeta[l * META + 1] ?? 0) {
      const len = this.leafLen(l);
      for (let s = 0; s < len; s++) yield new ScoreEntry(this, l, s, this.member(at0(l) + s), this.score(at0(l) + s));
    }
  }
}
