// Streams in RDB form (RDB_TYPE_STREAM_LISTPACKS_2, and the older STREAM_LISTPACKS on load): each
// node as its 16-byte big-endian master ID and the listpack Redis's t_stream.c would hold, then the
// stream's counters and its consumer groups with their pending entries and consumers.

import { ByteReader, ByteWriter, fail } from './bytes.js';
import {
  expandString,
  readStoredString,
  readString,
  writeLen,
  writeString,
  type StoredString,
  type StringWriteOptions,
} from './strings.js';
import { ListpackBuilder, decodeListpack } from './listpack.js';
import { checkArrayEntries, checkTableEntries, type DecodeBudget } from './budget.js';
import { parseInt64 } from '../../protocol/args.js';
import {
  Consumer,
  ConsumerGroup,
  MIN_ID,
  Node,
  StreamValue,
  compareIds,
  u64,
  type I64,
  type Nack,
  type StreamId,
  type U64,
} from '../../store/stream.js';

/** Entry flags in a stream listpack. */
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

// --- writing ---

/** rdbSaveLen of a 64-bit value; negative counters go out as their two's complement. */
function writeLen64(w: ByteWriter, x: U64 | I64): void {
  if (typeof x === 'number' && x >= 0) {
    writeLen(w, x);
    return;
  }
  w.u8(0x81);
  w.u64be(BigInt.asUintN(64, BigInt(x)));
}

function rawId(ms: U64, seq: U64): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(BigInt(ms), 0);
  b.writeBigUInt64BE(BigInt(seq), 8);
  return b;
}

/** The int64 Redis stores for an ID part relative to the node's master ID. */
function delta(a: U64, b: U64): bigint {
  return BigInt.asIntN(64, BigInt(a) - BigInt(b));
}

/** A node's listpack, laid out as streamAppendItem builds it. */
function nodeListpack(n: Node): Buffer {
  const lp = new ListpackBuilder();
  const fields = n.masterFields;
  lp.appendInteger(BigInt(n.live));
  lp.appendInteger(BigInt(n.dead));
  lp.appendInteger(BigInt(fields.length));
  for (const f of fields) lp.append(f);
  lp.appendInteger(0n);
  for (let i = 0; i < n.size; i++) {
    const from = n.offAt(i);
    const to = n.end(i);
    const count = (to - from) / 2;
    let same = count === fields.length;
    for (let j = 0; same && j < count; j++) same = n.fv[from + 2 * j] === fields[j];
    lp.appendInteger(BigInt((n.gone[i] ? FLAG_DELETED : 0) | (same ? FLAG_SAMEFIELDS : 0)));
    lp.appendInteger(delta(n.msAt(i), n.masterMs));
    lp.appendInteger(delta(n.seqAt(i), n.masterSeq));
    if (!same) lp.appendInteger(BigInt(count));
    for (let j = from; j < to; j += 2) {
      if (!same) lp.append(pairPart(n, j));
      lp.append(pairPart(n, j + 1));
    }
    lp.appendInteger(BigInt(same ? count + 3 : 2 * count + 4));
  }
  return lp.finish();
}

/** A field or value of a node's pairs, at an index below `fv.length` by the node's structure. */
function pairPart(n: Node, j: number): string {
  const v = n.fv[j];
  if (v === undefined) throw new RangeError(`stream node pair part ${j} is missing`);
  return v;
}

/** A map's entries in byte order of their keys (binary strings: code-unit order is byte order). */
function byName<V>(m: ReadonlyMap<string, V>): [string, V][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** rdbSaveObject's stream body. Groups and consumers in byte order, as Redis's radix trees hold them. */
export function writeStream(w: ByteWriter, s: StreamValue, opts: StringWriteOptions): void {
  const nodes = s.nodeList();
  writeLen(w, nodes.length);
  for (const n of nodes) {
    writeString(w, rawId(n.masterMs, n.masterSeq), opts);
    writeString(w, nodeListpack(n), opts);
  }
  writeLen(w, s.length);
  for (const id of [s.lastId, s.firstId, s.maxDeletedId]) {
    writeLen64(w, id.ms);
    writeLen64(w, id.seq);
  }
  writeLen64(w, s.entriesAdded);
  const groups = byName(s.groups);
  writeLen(w, groups.length);
  for (const [name, g] of groups) {
    writeString(w, name, opts);
    writeLen64(w, g.lastId.ms);
    writeLen64(w, g.lastId.seq);
    writeLen64(w, g.entriesRead);
    writeLen(w, g.pel.size);
    for (const nack of g.pel.items) {
      w.bytes(rawId(nack.ms, nack.seq));
      w.i64le(BigInt(nack.deliveryTime));
      writeLen64(w, nack.deliveryCount);
    }
    const consumers = byName(g.consumers);
    writeLen(w, consumers.length);
    for (const [cname, c] of consumers) {
      writeString(w, cname, opts);
      w.i64le(BigInt(c.seenTime));
      writeLen(w, c.pel.size);
      for (const nack of c.pel.items) w.bytes(rawId(nack.ms, nack.seq));
    }
  }
}

// --- reading ---

/** rdbLoadLen of a full 64-bit value. */
function readLen64(r: ByteReader): bigint {
  const b = r.u8();
  switch (b >>> 6) {
    case 0:
      return BigInt(b & 0x3f);
    case 1:
      return BigInt(((b & 0x3f) << 8) | r.u8());
    default:
      if (b === 0x80) return BigInt(r.u32be());
      if (b === 0x81) return r.u64be();
      return fail('bad length encoding');
  }
}

/** A count that must fit memory-sized loops. */
function readCount(r: ByteReader): number {
  const v = readLen64(r);
  if (v > BigInt(r.remaining)) fail('count larger than the payload');
  return Number(v);
}

function readId(r: ByteReader): StreamId {
  const ms = u64(readLen64(r));
  return { ms, seq: u64(readLen64(r)) };
}

function toI64(v: bigint): I64 {
  const x = BigInt.asIntN(64, v);
  return x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

function toTime(v: bigint): number {
  return Number(v);
}

function parseRawId(b: Buffer): StreamId {
  return { ms: u64(b.readBigUInt64BE(0)), seq: u64(b.readBigUInt64BE(8)) };
}

/** Integer listpack elements (string entries that read as int64 count, as lpGetIntegerIfValid allows). */
class Cursor {
  pos = 0;
  constructor(private readonly items: string[]) {}

  /** A method, not a getter: reads in between move it. */
  atEnd(): boolean {
    return this.pos >= this.items.length;
  }

  str(): string {
    const v = this.items[this.pos++];
    if (v === undefined) fail('stream listpack ends early');
    return v;
  }

  int(): bigint {
    const v = parseInt64(this.str());
    if (v === null) fail('stream listpack integer expected');
    return v;
  }

  count(): number {
    const v = this.int();
    if (v < 0n || v > BigInt(this.items.length)) fail('bad stream listpack count');
    return Number(v);
  }
}

/** One node from its key and listpack, checked as streamValidateListpackIntegrity does, and more. */
function readNode(key: Buffer, blob: StoredString, budget: DecodeBudget): Node {
  if (key.length !== 16) fail('stream node key is not an ID');
  const master = parseRawId(key);
  const cur = new Cursor(decodeListpack(blob, budget));
  if (cur.atEnd()) fail('empty listpack inside stream');
  const live = cur.count();
  const dead = cur.count();
  const nfields = cur.count();
  const fields: string[] = [];
  for (let i = 0; i < nfields; i++) fields.push(cur.str());
  if (cur.int() !== 0n) fail('missing master entry terminator');
  const node = new Node(master.ms, master.seq, fields);
  const msBase = BigInt(master.ms);
  const seqBase = BigInt(master.seq);
  for (let e = 0; e < live + dead; e++) {
    const flags = cur.int();
    if ((flags & ~3n) !== 0n) fail('bad stream entry flags');
    const ms = u64(BigInt.asUintN(64, msBase + cur.int()));
    const seq = u64(BigInt.asUintN(64, seqBase + cur.int()));
    const same = (flags & BigInt(FLAG_SAMEFIELDS)) !== 0n;
    const fv: string[] = [];
    let n: number;
    if (same) {
      n = nfields;
      for (const f of fields) fv.push(f, cur.str());
    } else {
      n = cur.count();
      for (let i = 0; i < n; i++) fv.push(cur.str(), cur.str());
    }
    if (cur.int() !== BigInt(same ? n + 3 : 2 * n + 4)) fail('bad stream entry lp-count');
    const prev = node.size === 0 ? master : { ms: node.msAt(node.size - 1), seq: node.seqAt(node.size - 1) };
    const order = compareIds({ ms, seq }, prev);
    if (order < 0 || (order === 0 && node.size > 0)) fail('stream entries out of order');
    node.push(ms, seq, fv);
    if ((flags & BigInt(FLAG_DELETED)) !== 0n) node.kill(node.size - 1);
  }
  if (!cur.atEnd()) fail('trailing data in stream listpack');
  if (node.size === 0) fail('stream node without entries');
  if (node.live !== live || node.dead !== dead) fail('stream node counters disagree with its entries');
  return node;
}

/**
 * rdbLoadObject's stream part: `version` 2 for STREAM_LISTPACKS_2 (first/max-deleted IDs,
 * counters), 3 for STREAM_LISTPACKS_3 (a consumer's active time too, which Redis 7.0 does not keep).
 */
export function readStream(r: ByteReader, version: 1 | 2 | 3, budget: DecodeBudget): StreamValue {
  const v2 = version >= 2;
  const s = new StreamValue();
  const nodes: Node[] = [];
  const count = readCount(r);
  checkArrayEntries(count);
  budget.charge(count, 0);
  for (let i = 0; i < count; i++) {
    const stored = readStoredString(r);
    if (stored.length !== 16) fail('stream node key is not an ID');
    const key = expandString(stored, budget);
    nodes.push(readNode(key, readStoredString(r), budget));
  }
  // The radix tree orders nodes by key whatever order they came in.
  nodes.sort((a, b) => compareIds({ ms: a.masterMs, seq: a.masterSeq }, { ms: b.masterMs, seq: b.masterSeq }));
  let live = 0;
  let last: StreamId | null = null;
  for (const n of nodes) {
    const master = { ms: n.masterMs, seq: n.masterSeq };
    if (last !== null && compareIds(master, last) <= 0) fail('stream nodes overlap');
    last = { ms: n.msAt(n.size - 1), seq: n.seqAt(n.size - 1) };
    live += n.live;
  }
  s.adoptNodes(nodes);
  const length = readLen64(r);
  if (length !== BigInt(live)) fail('stream length disagrees with its entries');
  s.length = live;
  s.lastId = readId(r);
  if (last !== null && compareIds(s.lastId, last) < 0) fail('stream last ID before its entries');
  if (v2) {
    s.firstId = readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = toI64(readLen64(r));
  } else {
    s.firstId = s.firstLiveId() ?? MIN_ID;
    s.entriesAdded = live;
  }
  const groups = readCount(r);
  checkTableEntries(groups);
  budget.charge(groups, 0);
  for (let i = 0; i < groups; i++) readGroup(r, s, version, budget);
  return s;
}

function readGroup(r: ByteReader, s: StreamValue, version: 1 | 2 | 3, budget: DecodeBudget): void {
  const v2 = version >= 2;
  const name = readString(r, budget);
  const lastId = readId(r);
  const entriesRead = v2 ? toI64(readLen64(r)) : s.estimateReads(lastId);
  if (s.groups.has(name)) fail('duplicate consumer group');
  const g = new ConsumerGroup(lastId, entriesRead);
  s.groups.set(name, g);
  const pending = readCount(r);
  checkTableEntries(pending);
  budget.charge(pending, 0);
  for (let i = 0; i < pending; i++) {
    const id = parseRawId(r.bytes(16));
    const deliveryTime = toTime(r.i64le());
    const nack: Nack = { ms: id.ms, seq: id.seq, consumer: null, deliveryTime, deliveryCount: toI64(readLen64(r)) };
    if (!g.pel.insert(nack)) fail('duplicate group PEL entry');
  }
  const consumers = readCount(r);
  checkTableEntries(consumers);
  budget.charge(consumers, 0);
  for (let i = 0; i < consumers; i++) {
    const cname = readString(r, budget);
    if (g.consumers.has(cname)) fail('duplicate consumer');
    const c = new Consumer(cname, toTime(r.i64le()));
    if (version === 3) r.skip(8);
    g.consumers.set(cname, c);
    const owned = readCount(r);
    budget.charge(owned, 0);
    for (let j = 0; j < owned; j++) {
      const nack = g.pel.find(parseRawId(r.bytes(16)));
      if (nack === undefined) fail('consumer PEL entry missing from the group PEL');
      if (nack.consumer !== null) fail('PEL entry owned twice');
      nack.consumer = c;
      if (!c.pel.insert(nack)) fail('duplicate consumer PEL entry');
    }
  }
  for (const nack of g.pel.items) if (nack.consumer === null) fail('group PEL entry without consumer');
}
