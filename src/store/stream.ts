// Stream values (Redis 7.0 streams): entries grouped in nodes that mirror Redis's listpack nodes,
// kept in ID order and found by binary search, plus consumer groups with their pending entries.
// Node boundaries follow Redis's stream-node-max-entries/-bytes rules (down to the listpack byte
// count), so approximate trimming (`~`) and XINFO's radix-tree figures match redis-server.

import { listpackEntryBytes, listpackIntBytes } from './listpack-size.js';
import { radixTreeNodes } from './radix.js';

/**
 * An unsigned 64-bit ID part: a number while it fits a double exactly, a bigint above 2^53.
 * Values are always normalized that way, so equal values have the same representation and `===`
 * works; `<`/`>` compare numbers and bigints exactly.
 */
export type U64 = number | bigint;

export interface StreamId {
  readonly ms: U64;
  readonly seq: U64;
}

export const U64_MAX = 2n ** 64n - 1n;
const SAFE = Number.MAX_SAFE_INTEGER;
export const MIN_ID: StreamId = { ms: 0, seq: 0 };
export const MAX_ID: StreamId = { ms: U64_MAX, seq: U64_MAX };

export function u64(b: bigint): U64 {
  return b <= BigInt(SAFE) ? Number(b) : b;
}

function incr(x: U64): U64 {
  return typeof x === 'number' && x < SAFE ? x + 1 : u64(BigInt(x) + 1n);
}

function decr(x: U64): U64 {
  return typeof x === 'number' ? x - 1 : u64(x - 1n);
}

export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** An index the structure guarantees (below a node's size, inside a binary search) held nothing: a bug, reported. */
function missing(what: string, i: number): never {
  throw new RangeError(`stream ${what} ${i} is missing`);
}

function cmp(ams: U64, aseq: U64, bms: U64, bseq: U64): number {
  if (ams !== bms) return ams < bms ? -1 : 1;
  if (aseq !== bseq) return aseq < bseq ? -1 : 1;
  return 0;
}

function isZeroId(id: StreamId): boolean {
  return id.ms === 0 && id.seq === 0;
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** The ID right after `id`, or null past the last possible one (Redis's streamIncrID). */
export function nextId(id: StreamId): StreamId | null {
  if (id.seq === U64_MAX) return id.ms === U64_MAX ? null : { ms: incr(id.ms), seq: 0 };
  return { ms: id.ms, seq: incr(id.seq) };
}

/** The ID right before `id`, or null before 0-0 (Redis's streamDecrID). */
export function prevId(id: StreamId): StreamId | null {
  if (id.seq === 0) return id.ms === 0 ? null : { ms: decr(id.ms), seq: U64_MAX };
  return { ms: id.ms, seq: decr(id.seq) };
}

/** Signed 64-bit counters (entries-added, entries-read, delivery counts) that may pass 2^53. */
export type I64 = number | bigint;

function i64(b: bigint): I64 {
  const v = BigInt.asIntN(64, b);
  return v <= BigInt(SAFE) && v >= -BigInt(SAFE) ? Number(v) : v;
}

function addI64(a: I64, b: number): I64 {
  if (typeof a === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return i64(BigInt(a) + BigInt(b));
}

function subI64(a: I64, b: I64): I64 {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
  }
  return i64(BigInt(a) - BigInt(b));
}

/** The int64 Redis stores for an ID part's difference from the node's master ID. */
function delta(a: U64, b: U64): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return BigInt.asIntN(64, BigInt(a) - BigInt(b));
}

/** Redis caps a listpack at 1 GiB whatever stream-node-max-bytes says. */
const LISTPACK_MAX = 2 ** 30;

export interface NodeLimits {
  /** stream-node-max-entries (0: no limit). */
  readonly maxEntries: number;
  /** stream-node-max-bytes (0: no limit). */
  readonly maxBytes: number;
}

// --- nodes ---

/**
 * One node: entries in ID order, deleted ones kept (flagged) as Redis keeps them in the listpack
 * until the whole node goes. Field/value pairs of all entries sit in one flat array.
 */
export class Node {
  readonly ms: U64[] = [];
  readonly seq: U64[] = [];
  /** Start of each entry's pairs in `fv`; the entry ends where the next starts. */
  readonly off: number[] = [];
  readonly fv: string[] = [];
  readonly gone: boolean[] = [];
  live = 0;
  dead = 0;
  /** Listpack bytes besides the header, terminator and the live/deleted counters. */
  body = 0;

  constructor(
    readonly masterMs: U64,
    readonly masterSeq: U64,
    readonly masterFields: readonly string[],
  ) {
    this.body = listpackIntBytes(masterFields.length) + listpackIntBytes(0);
    for (const f of masterFields) this.body += listpackEntryBytes(f);
  }

  get size(): number {
    return this.ms.length;
  }

  get listpackBytes(): number {
    return 7 + listpackIntBytes(this.live) + listpackIntBytes(this.dead) + this.body;
  }

  /** Entry i's ID parts and the start of its pairs, for i below size. */
  msAt(i: number): U64 {
    return this.ms[i] ?? missing('node entry', i);
  }

  seqAt(i: number): U64 {
    return this.seq[i] ?? missing('node entry', i);
  }

  offAt(i: number): number {
    return this.off[i] ?? missing('node entry', i);
  }

  /** Where entry i's pairs end: where the next entry's start, or the end of `fv`. */
  end(i: number): number {
    return this.off[i + 1] ?? this.fv.length;
  }

  /** First entry index with ID >= (ms, seq). */
  lowerBound(ms: U64, seq: U64): number {
    let lo = 0;
    let hi = this.ms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(this.msAt(mid), this.seqAt(mid), ms, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  push(ms: U64, seq: U64, fv: readonly string[]): void {
    const fields = this.masterFields;
    const n = fv.length / 2;
    let same = n === fields.length;
    for (let i = 0; same && i < n; i++) same = fv[2 * i] === fields[i];
    let bytes = 2 + listpackIntBytes(delta(ms, this.masterMs)) + listpackIntBytes(delta(seq, this.masterSeq));
    // Values always count; fields only when they differ from the master entry's.
    for (const [i, s] of fv.entries()) if (i % 2 === 1 || !same) bytes += listpackEntryBytes(s);
    bytes += same ? listpackIntBytes(n + 3) : listpackIntBytes(n) + listpackIntBytes(2 * n + 4);
    this.body += bytes;
    this.ms.push(ms);
    this.seq.push(seq);
    this.off.push(this.fv.length);
    for (const s of fv) this.fv.push(s);
    this.gone.push(false);
    this.live++;
  }

  kill(i: number): void {
    this.gone[i] = true;
    this.live--;
    this.dead++;
  }

  clone(): Node {
    const n = new Node(this.masterMs, this.masterSeq, this.masterFields);
    n.ms.push(...this.ms);
    n.seq.push(...this.seq);
    n.off.push(...this.off);
    for (const s of this.fv) n.fv.push(s);
    n.gone.push(...this.gone);
    n.live = this.live;
    n.dead = this.dead;
    n.body = this.body;
    return n;
  }
}

/** Called for each entry a range visits: its ID parts and its pairs at fv[from..to). */
export type EntryVisitor = (ms: U64, seq: U64, fv: readonly string[], from: number, to: number) => void;

export interface TrimArgs {
  readonly strategy: 'maxlen' | 'minid';
  readonly maxlen: number;
  readonly minid: StreamId;
  readonly approx: boolean;
  /** Most entries to remove (0: no limit); only whole nodes count with `approx`. */
  readonly limit: number;
}

// --- consumer groups ---

/** A pending entry: delivered to `consumer` and not acknowledged yet. */
export interface Nack {
  readonly ms: U64;
  readonly seq: U64;
  consumer: Consumer | null;
  deliveryTime: number;
  deliveryCount: I64;
}

/** Pending entries in ID order (deliveries mostly arrive in order, so inserts are appends). */
class Pel {
  readonly items: Nack[] = [];

  get size(): number {
    return this.items.length;
  }

  lowerBound(ms: U64, seq: U64): number {
    const a = this.items;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = a[mid] ?? missing('pending entry', mid);
      if (cmp(x.ms, x.seq, ms, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(id: StreamId): Nack | undefined {
    const i = this.lowerBound(id.ms, id.seq);
    const x = this.items[i];
    return x !== undefined && x.ms === id.ms && x.seq === id.seq ? x : undefined;
  }

  /** Adds `n` unless its ID is already there; true when added. */
  insert(n: Nack): boolean {
    const a = this.items;
    const last = a[a.length - 1];
    if (last === undefined || cmp(last.ms, last.seq, n.ms, n.seq) < 0) {
      a.push(n);
      return true;
    }
    const i = this.lowerBound(n.ms, n.seq);
    const x = a[i];
    if (x !== undefined && x.ms === n.ms && x.seq === n.seq) return false;
    a.splice(i, 0, n);
    return true;
  }

  remove(id: StreamId): Nack | undefined {
    const i = this.lowerBound(id.ms, id.seq);
    const x = this.items[i];
    if (x === undefined || x.ms !== id.ms || x.seq !== id.seq) return undefined;
    this.items.splice(i, 1);
    return x;
  }
}

export class Consumer {
  readonly pel = new Pel();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

/** entries_read when unknown (Redis's SCG_INVALID_ENTRIES_READ). */
export const UNKNOWN_READS = -1;

export class ConsumerGroup {
  readonly pel = new Pel();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    public lastId: StreamId,
    public entriesRead: I64,
  ) {}

  /** The consumer, created (seen now) when missing; a lookup refreshes its seen time. */
  consumer(name: string, now: number): Consumer {
    let c = this.consumers.get(name);
    if (c === undefined) {
      c = new Consumer(name, now);
      this.consumers.set(name, c);
    } else {
      c.seenTime = now;
    }
    return c;
  }

  /** Removes a consumer and its pending entries; returns how many it had. */
  deleteConsumer(name: string): number {
    const c = this.consumers.get(name);
    if (c === undefined) return 0;
    for (const n of c.pel.items) this.pel.remove(n);
    this.consumers.delete(name);
    return c.pel.size;
  }

  /** Acknowledges one entry; true when it was pending. */
  ack(id: StreamId): boolean {
    const n = this.pel.remove(id);
    if (n === undefined) return false;
    n.consumer?.pel.remove(id);
    return true;
  }
}

/** Names in byte order, as Redis's radix trees list them. */
export function sortedNames<T>(m: ReadonlyMap<string, T>): string[] {
  return [...m.keys()].sort();
}

// --- the stream ---

export class StreamValue {
  readonly type = 'stream' as const;
  private nodes: Node[] = [];
  length = 0;
  lastId: StreamId = MIN_ID;
  /** Redis's first_id: the first live entry, 0-0 when empty. */
  firstId: StreamId = MIN_ID;
  maxDeletedId: StreamId = MIN_ID;
  entriesAdded: I64 = 0;
  readonly groups = new Map<string, ConsumerGroup>();

  encoding(): string {
    return 'stream';
  }

  /**
   * The ID XADD gives a new entry: `explicit` as is, or with its sequence chosen when `seqGiven`
   * is false, or from the clock when `explicit` is null. Null when it would not be greater than
   * the last ID (the caller reports it).
   */
  newId(explicit: StreamId | null, seqGiven: boolean, nowMs: number): StreamId | null {
    const last = this.lastId;
    let id: StreamId;
    if (explicit === null) {
      if (nowMs > last.ms) id = { ms: nowMs, seq: 0 };
      else {
        // Past the last possible ID there is none greater (XADD refuses that stream first).
        const next = nextId(last);
        if (next === null) return null;
        id = next;
      }
    } else if (seqGiven) {
      id = explicit;
    } else if (explicit.ms === last.ms) {
      if (last.seq === U64_MAX) return null;
      id = { ms: last.ms, seq: incr(last.seq) };
    } else {
      id = { ms: explicit.ms, seq: 0 };
    }
    return compareIds(id, last) > 0 ? id : null;
  }

  /** Appends an entry whose ID is greater than lastId. `fv` holds field/value pairs. */
  append(id: StreamId, fv: readonly string[], limits: NodeLimits): void {
    let node: Node | undefined = this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      let total = 0;
      for (const s of fv) total += s.length;
      const maxBytes = limits.maxBytes === 0 || limits.maxBytes > LISTPACK_MAX ? LISTPACK_MAX : limits.maxBytes;
      if (node.listpackBytes + total >= maxBytes) node = undefined;
      else if (limits.maxEntries !== 0 && node.live + node.dead >= limits.maxEntries) node = undefined;
    }
    if (node === undefined) {
      node = new Node(id.ms, id.seq, fv.filter((_, i) => i % 2 === 0));
      this.nodes.push(node);
    }
    node.push(id.ms, id.seq, fv);
    this.length++;
    this.entriesAdded = addI64(this.entriesAdded, 1);
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the last node whose master ID is <= (ms, seq), or -1. */
  private nodeAtOrBefore(ms: U64, seq: U64): number {
    const a = this.nodes;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const n = a[mid] ?? missing('node', mid);
      if (cmp(n.masterMs, n.masterSeq, ms, seq) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * Visits the live entries with start <= ID <= end, ascending or (rev) descending, at most
   * `count` of them (0: all). Returns how many it visited. O(log N) to find the start.
   */
  range(start: StreamId, end: StreamId, rev: boolean, count: number, visit: EntryVisitor): number {
    if (compareIds(start, end) > 0) return 0;
    let seen = 0;
    const nodes = this.nodes;
    if (!rev) {
      let ni = Math.max(0, this.nodeAtOrBefore(start.ms, start.seq));
      let i = nodes[ni]?.lowerBound(start.ms, start.seq) ?? 0;
      for (; ni < nodes.length; ni++, i = 0) {
        const n = nodes[ni] ?? missing('node', ni);
        for (; i < n.size; i++) {
          const ms = n.msAt(i);
          const seq = n.seqAt(i);
          if (cmp(ms, seq, end.ms, end.seq) > 0) return seen;
          if (n.gone[i]) continue;
          visit(ms, seq, n.fv, n.offAt(i), n.end(i));
          if (++seen === count) return seen;
        }
      }
      return seen;
    }
    let ni = this.nodeAtOrBefore(end.ms, end.seq);
    if (ni < 0) return 0;
    let first = true;
    for (; ni >= 0; ni--) {
      const n = nodes[ni] ?? missing('node', ni);
      let i = n.size - 1;
      if (first) {
        first = false;
        i = n.lowerBound(end.ms, end.seq);
        if (i === n.size || cmp(n.msAt(i), n.seqAt(i), end.ms, end.seq) > 0) i--;
      }
      for (; i >= 0; i--) {
        const ms = n.msAt(i);
        const seq = n.seqAt(i);
        if (cmp(ms, seq, start.ms, start.seq) < 0) return seen;
        if (n.gone[i]) continue;
        visit(ms, seq, n.fv, n.offAt(i), n.end(i));
        if (++seen === count) return seen;
      }
    }
    return seen;
  }

  /** Where a live entry sits, or null. */
  private locate(id: StreamId): { ni: number; node: Node; index: number } | null {
    const ni = this.nodeAtOrBefore(id.ms, id.seq);
    const n = this.nodes[ni];
    if (n === undefined) return null;
    const i = n.lowerBound(id.ms, id.seq);
    if (i === n.size || n.ms[i] !== id.ms || n.seq[i] !== id.seq || n.gone[i]) return null;
    return { ni, node: n, index: i };
  }

  has(id: StreamId): boolean {
    return this.locate(id) !== null;
  }

  /** The field/value pairs of a live entry, or null. */
  get(id: StreamId): string[] | null {
    const at = this.locate(id);
    if (at === null) return null;
    return at.node.fv.slice(at.node.offAt(at.index), at.node.end(at.index));
  }

  /** Removes one live entry (XDEL); true when it existed. Keeps firstId and maxDeletedId right. */
  delete(id: StreamId): boolean {
    const at = this.locate(id);
    if (at === null) return false;
    const n = at.node;
    if (n.live === 1) this.nodes.splice(at.ni, 1);
    else n.kill(at.index);
    this.length--;
    if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    if (this.length === 0) this.firstId = MIN_ID;
    else if (compareIds(id, this.firstId) === 0) this.firstId = this.firstLiveId() ?? MIN_ID;
    return true;
  }

  firstLiveId(): StreamId | null {
    let id: StreamId | null = null;
    this.range(MIN_ID, MAX_ID, false, 1, (ms, seq) => (id = { ms, seq }));
    return id;
  }

  lastLiveId(): StreamId | null {
    let id: StreamId | null = null;
    this.range(MIN_ID, MAX_ID, true, 1, (ms, seq) => (id = { ms, seq }));
    return id;
  }

  /** Redis's streamTrim: whole nodes first; inside a node only when trimming exactly. */
  trim(args: TrimArgs): number {
    let deleted = 0;
    let drop = 0;
    const nodes = this.nodes;
    while (drop < nodes.length) {
      if (args.strategy === 'maxlen' && this.length <= args.maxlen) break;
      const n = nodes[drop] ?? missing('node', drop);
      if (args.limit !== 0 && deleted + n.live > args.limit) break;
      const whole =
        args.strategy === 'maxlen'
          ? this.length - n.live >= args.maxlen
          : cmp(n.msAt(n.size - 1), n.seqAt(n.size - 1), args.minid.ms, args.minid.seq) < 0;
      if (whole) {
        this.length -= n.live;
        deleted += n.live;
        drop++;
        continue;
      }
      if (args.approx) break;
      for (let i = 0; i < n.size; i++) {
        const stop =
          args.strategy === 'maxlen' ? this.length <= args.maxlen : cmp(n.msAt(i), n.seqAt(i), args.minid.ms, args.minid.seq) >= 0;
        if (stop) break;
        if (n.gone[i]) continue;
        n.kill(i);
        this.length--;
        deleted++;
      }
      break;
    }
    if (drop > 0) nodes.splice(0, drop);
    if (deleted > 0) this.firstId = this.length === 0 ? MIN_ID : (this.firstLiveId() ?? MIN_ID);
    return deleted;
  }

  /** The nodes in ID order, for serialization; callers must not change them. */
  nodeList(): readonly Node[] {
    return this.nodes;
  }

  /** Replaces the nodes with ones built elsewhere (RESTORE), already in ID order and consistent. */
  adoptNodes(nodes: Node[]): void {
    this.nodes = nodes;
  }

  // --- XINFO figures ---

  get radixTreeKeys(): number {
    return this.nodes.length;
  }

  /**
   * Nodes of the radix tree Redis would hold for these node keys (16-byte big-endian IDs): the
   * root, every key, every branching prefix and every child of one. Computed on demand.
   */
  get radixTreeNodes(): number {
    return radixTreeNodes(this.nodes.map((n) => encodeKey(n.masterMs) + encodeKey(n.masterSeq)));
  }

  // --- consumer group progress (Redis 7.0's entries-read and lag) ---

  /** True when a deleted entry may lie at or after `start` (streamRangeHasTombstones). */
  hasTombstonesFrom(start: StreamId): boolean {
    if (this.length === 0 || isZeroId(this.maxDeletedId)) return false;
    if (compareIds(this.firstId, this.maxDeletedId) > 0) return false;
    return compareIds(start, this.maxDeletedId) <= 0;
  }

  /** How many entries were ever added up to `id`, when that is knowable; else UNKNOWN_READS. */
  estimateReads(id: StreamId): I64 {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && compareIds(id, this.lastId) < 1) return this.entriesAdded;
    const toLast = compareIds(id, this.lastId);
    if (toLast === 0) return this.entriesAdded;
    if (toLast > 0) return UNKNOWN_READS;
    const toFirst = compareIds(id, this.firstId);
    if (isZeroId(this.maxDeletedId) || compareIds(this.maxDeletedId, this.firstId) < 0) {
      if (toFirst < 0) return subI64(this.entriesAdded, this.length);
      if (toFirst === 0) return addI64(subI64(this.entriesAdded, this.length), 1);
    }
    return UNKNOWN_READS;
  }

  /** A group's lag, or null when it cannot be known. */
  lag(g: ConsumerGroup): I64 | null {
    if (this.entriesAdded === 0) return 0;
    if (g.entriesRead !== UNKNOWN_READS && !this.hasTombstonesFrom(g.lastId)) return subI64(this.entriesAdded, g.entriesRead);
    const reads = this.estimateReads(g.lastId);
    return reads === UNKNOWN_READS ? null : subI64(this.entriesAdded, reads);
  }

  /** A group moves past `id` on delivering it: keep its read counter when that is possible. */
  advanceGroup(g: ConsumerGroup, id: StreamId): void {
    if (compareIds(id, g.lastId) <= 0) return;
    if (g.entriesRead !== UNKNOWN_READS && !this.hasTombstonesFrom(id)) g.entriesRead = addI64(g.entriesRead, 1);
    else if (this.entriesAdded !== 0) g.entriesRead = this.estimateReads(id);
    g.lastId = id;
  }

  copy(): StreamValue {
    const s = new StreamValue();
    s.nodes = this.nodes.map((n) => n.clone());
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    for (const [name, g] of this.groups) {
      const cg = new ConsumerGroup(g.lastId, g.entriesRead);
      const owners = new Map<Consumer, Consumer>();
      for (const [cname, c] of g.consumers) {
        const nc = new Consumer(cname, c.seenTime);
        owners.set(c, nc);
        cg.consumers.set(cname, nc);
      }
      for (const n of g.pel.items) {
        const owner = n.consumer === null ? null : (owners.get(n.consumer) ?? null);
        const nn: Nack = { ms: n.ms, seq: n.seq, consumer: owner, deliveryTime: n.deliveryTime, deliveryCount: n.deliveryCount };
        cg.pel.items.push(nn);
        owner?.pel.items.push(nn);
      }
      s.groups.set(name, cg);
    }
    return s;
  }
}

/** An ID part as 8 big-endian bytes (a latin1 string), as Redis keys its radix tree. */
function encodeKey(x: U64): string {
  let out = '';
  if (typeof x === 'number') {
    const hi = Math.floor(x / 4294967296);
    const lo = x >>> 0;
    for (const w of [hi, lo]) out += String.fromCharCode((w >>> 24) & 255, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
    return out;
  }
  for (let shift = 56n; shift >= 0n; shift -= 8n) out += String.fromCharCode(Number((x >> shift) & 255n));
  return out;
}

// --- entries as replies show them ---

/** One entry: its ID and pairs, or null pairs for a pending entry deleted since. */
export interface StreamEntry {
  readonly id: string;
  readonly fv: readonly string[] | null;
}

/** The live entries with start <= ID <= end, ascending or (rev) descending, at most `count` (0: all). */
export function rangeEntries(s: StreamValue, start: StreamId, end: StreamId, rev: boolean, count: number): StreamEntry[] {
  const items: StreamEntry[] = [];
  s.range(start, end, rev, count, (ms, seq, fv, from, to) => items.push({ id: `${ms}-${seq}`, fv: fv.slice(from, to) }));
  return items;
}
