// The ordered index of a sorted set: a skiplist with spans (as Redis's zskiplist), ordered by
// score then member bytes, giving O(log N) insert, delete, rank and rank → element. Members are
// latin1 strings, so JS string comparison is byte comparison.

const MAX_LEVEL = 32;
const P = 0.25;
/** Levels a node holds in its own fields; with P = 1/4, 99.6% of nodes have no more. */
const INLINE = 4;

// The upper levels of a node that has none: shared, so frozen, and never read or written by a
// correct search (setNext and setSpan check the length first).
const NO_LINKS: (SkipNode | null)[] = [];
const NO_SPANS: number[] = [];
Object.freeze(NO_LINKS);
Object.freeze(NO_SPANS);

/**
 * `n` copies of `v` in a packed array (`new Array(n).fill(v)` stays holey): reading it needs no
 * hole check, which pays for the check in next() and span() that a level exists.
 */
function filled<T>(n: number, v: T): T[] {
  const a: T[] = [];
  for (let k = 0; k < n; k++) a.push(v);
  return a;
}

/**
 * One member. Its lowest levels are fields, as Redis's node holds its level array inline: a step
 * of a search reads the current node and the next one, where arrays of links and spans would cost
 * two more cache misses per step (measured: ZADD's delete + insert on 100k members, 2.4x faster).
 */
export class SkipNode {
  /** Previous node on level 0 (null for the first). */
  backward: SkipNode | null = null;
  /** The next node in order (level 0). */
  next0: SkipNode | null = null;
  next1: SkipNode | null = null;
  next2: SkipNode | null = null;
  next3: SkipNode | null = null;
  /** spanN: how many level-0 steps nextN jumps. */
  span0 = 0;
  span1 = 0;
  span2 = 0;
  span3 = 0;
  /** Levels INLINE and up, for the few nodes that have them (empty for the rest). */
  private readonly upper: (SkipNode | null)[];
  private readonly upperSpan: number[];

  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    this.upper = level > INLINE ? filled<SkipNode | null>(level - INLINE, null) : NO_LINKS;
    this.upperSpan = level > INLINE ? filled(level - INLINE, 0) : NO_SPANS;
  }

  /** How many levels the node holds above the inline ones. */
  upperLevels(): number {
    return this.upper.length;
  }

  next(i: number): SkipNode | null {
    switch (i) {
      case 0:
        return this.next0;
      case 1:
        return this.next1;
      case 2:
        return this.next2;
      case 3:
        return this.next3;
      default: {
        const n = this.upper[i - INLINE];
        if (n === undefined) throw noLevel(i);
        return n;
      }
    }
  }

  span(i: number): number {
    switch (i) {
      case 0:
        return this.span0;
      case 1:
        return this.span1;
      case 2:
        return this.span2;
      case 3:
        return this.span3;
      default: {
        const s = this.upperSpan[i - INLINE];
        if (s === undefined) throw noLevel(i);
        return s;
      }
    }
  }

  setNext(i: number, n: SkipNode | null): void {
    switch (i) {
      case 0:
        this.next0 = n;
        break;
      case 1:
        this.next1 = n;
        break;
      case 2:
        this.next2 = n;
        break;
      case 3:
        this.next3 = n;
        break;
      default:
        if (i - INLINE >= this.upper.length) throw noLevel(i);
        this.upper[i - INLINE] = n;
    }
  }

  setSpan(i: number, v: number): void {
    switch (i) {
      case 0:
        this.span0 = v;
        break;
      case 1:
        this.span1 = v;
        break;
      case 2:
        this.span2 = v;
        break;
      case 3:
        this.span3 = v;
        break;
      default:
        if (i - INLINE >= this.upperSpan.length) throw noLevel(i);
        this.upperSpan[i - INLINE] = v;
    }
  }
}

/** A level at or above a node's height was asked for: the list's links are broken. */
function noLevel(i: number): RangeError {
  return new RangeError(`skiplist node has no level ${i}`);
}

/** insert/delete found no recorded step on a level below the list's height: a broken search. */
function noStep(i: number): RangeError {
  return new RangeError(`skiplist search recorded nothing on level ${i}`);
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
const UPDATE: SkipNode[] = new Array<SkipNode>(MAX_LEVEL);
const RANK: number[] = new Array<number>(MAX_LEVEL).fill(0);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** (score, member) order: true when a sorts before b. */
function before(aScore: number, aMember: string, bScore: number, bMember: string): boolean {
  return aScore < bScore || (aScore === bScore && aMember < bMember);
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
  private readonly head: SkipNode = new SkipNode('', 0, MAX_LEVEL);
  tail: SkipNode | null = null;
  private level = 1;
  length = 0;

  get first(): SkipNode | null {
    return this.head.next0;
  }

  insert(score: number, member: string): SkipNode {
    return this.place(score, member, null);
  }

  /**
   * Links (score, member) in order: into `reuse` when given (a node just unlinked, whose object
   * and levels are kept as long as a fresh random level fits in them), else into a new node.
   */
  private place(score: number, member: string, reuse: SkipNode | null): SkipNode {
    const update = UPDATE;
    const rank = RANK;
    let x = this.head;
    // Steps taken from the head so far: on each level the count goes on from the level above.
    let r = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && before(n.score, n.member, score, member)) {
        r += x.span(i);
        x = n;
        n = x.next(i);
      }
      rank[i] = r;
      update[i] = x;
    }
    // x is the new node's predecessor on level 0, r its rank.
    const prev = x;
    const rank0 = r;
    // A reused node with upper levels keeps its level; one without takes a fresh draw, which its
    // inline fields hold unless it is above INLINE (then a new node is made): either way every
    // node's level stays an independent draw.
    let level: number;
    let node: SkipNode | null = null;
    if (reuse !== null && reuse.upperLevels() > 0) {
      level = INLINE + reuse.upperLevels();
      node = reuse;
    } else {
      level = randomLevel();
      if (reuse !== null && level <= INLINE) node = reuse;
    }
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.setSpan(i, this.length);
      }
      this.level = level;
    }
    if (node === null) {
      node = new SkipNode(member, score, level);
    } else {
      node.score = score;
      node.backward = null;
      // Inline levels above the new height are never read; cleared so they hold no old node.
      for (let i = level; i < INLINE; i++) {
        node.setNext(i, null);
        node.setSpan(i, 0);
      }
    }
    // The search recorded a predecessor and its rank on every level below the list's height.
    for (let i = 0; i < level; i++) {
      const u = update[i];
      const ri = rank[i];
      if (u === undefined || ri === undefined) throw noStep(i);
      // Level-0 steps between update[i] and the new node's predecessor.
      const gap = rank0 - ri;
      node.setNext(i, u.next(i));
      u.setNext(i, node);
      node.setSpan(i, u.span(i) - gap);
      u.setSpan(i, gap + 1);
    }
    for (let i = level; i < this.level; i++) {
      const u = update[i];
      if (u === undefined) throw noStep(i);
      u.setSpan(i, u.span(i) + 1);
    }
    node.backward = prev === this.head ? null : prev;
    const after = node.next0;
    if (after !== null) after.backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /** Removes (score, member); false when absent. */
  delete(score: number, member: string): boolean {
    const update = UPDATE;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && before(n.score, n.member, score, member)) {
        x = n;
        n = x.next(i);
      }
      update[i] = x;
    }
    const target = x.next0;
    if (target === null || target.score !== score || target.member !== member) return false;
    this.unlink(target, update);
    return true;
  }

  private unlink(node: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (u === undefined) throw noStep(i);
      if (u.next(i) === node) {
        u.setSpan(i, u.span(i) + node.span(i) - 1);
        u.setNext(i, node.next(i));
      } else {
        u.setSpan(i, u.span(i) - 1);
      }
    }
    const after = node.next0;
    if (after !== null) after.backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.head.next(this.level - 1) === null) this.level--;
    this.length--;
  }

  /**
   * Moves a member to a new score, as Redis's zslUpdateScore: the score changes in place when the
   * node stays between its neighbours, else the node is unlinked and linked again at its new
   * place (its object reused, so a move allocates nothing and leaves no garbage).
   */
  updateScore(member: string, oldScore: number, newScore: number): SkipNode {
    const update = UPDATE;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && before(n.score, n.member, oldScore, member)) {
        x = n;
        n = x.next(i);
      }
      update[i] = x;
    }
    const node = x.next0;
    if (node === null || node.score !== oldScore || node.member !== member) return this.insert(newScore, member);
    const prev = node.backward;
    const after = node.next0;
    if ((prev === null || prev.score < newScore) && (after === null || after.score > newScore)) {
      node.score = newScore;
      return node;
    }
    this.unlink(node, update);
    return this.place(newScore, member, node);
  }

  /** 1-based rank of (score, member), or 0 when absent (Redis's zslGetRank). */
  rank(score: number, member: string): number {
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && (before(n.score, n.member, score, member) || (n.score === score && n.member === member))) {
        rank += x.span(i);
        x = n;
        n = x.next(i);
      }
      if (x !== this.head && x.member === member && x.score === score) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or null. */
  byRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.length) return null;
    let traversed = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && traversed + x.span(i) <= rank) {
        traversed += x.span(i);
        x = n;
        n = x.next(i);
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** First node with score inside [min, max], or null. */
  firstInRange(min: ScoreBound, max: ScoreBound): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && !aboveMin(n.score, min)) {
        x = n;
        n = x.next(i);
      }
    }
    const n = x.next0;
    return n !== null && belowMax(n.score, max) ? n : null;
  }

  /** Last node with score inside [min, max], or null. */
  lastInRange(min: ScoreBound, max: ScoreBound): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && belowMax(n.score, max)) {
        x = n;
        n = x.next(i);
      }
    }
    return x !== this.head && aboveMin(x.score, min) ? x : null;
  }

  /** First node whose member is inside the lex range (all scores equal, as ZRANGEBYLEX assumes). */
  firstInLexRange(min: LexBound, max: LexBound): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && !lexAboveMin(n.member, min)) {
        x = n;
        n = x.next(i);
      }
    }
    const n = x.next0;
    return n !== null && lexBelowMax(n.member, max) ? n : null;
  }

  lastInLexRange(min: LexBound, max: LexBound): SkipNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && lexBelowMax(n.member, max)) {
        x = n;
        n = x.next(i);
      }
    }
    return x !== this.head && lexAboveMin(x.member, min) ? x : null;
  }

  *[Symbol.iterator](): Generator<SkipNode> {
    for (let n = this.head.next0; n !== null; n = n.next0) yield n;
  }
}
