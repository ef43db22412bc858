// One value in RDB format, both ways: the type byte and body Redis 7.0's rdbSaveObjectType /
// rdbSaveObject would write for our value (same encodings Redis would have chosen, so DUMP is
// byte-identical where the value's layout is knowable), and rdbLoadObject's decoding of every
// value type 7.0 loads, including the ziplist/zipmap forms of older versions. Shared by DUMP,
// RESTORE and (later) whole RDB files.

import { ByteReader, ByteWriter, fail, failEmpty } from './bytes.js';
import { RDB_TYPE } from './types.js';
import {
  expandString,
  readLen,
  readStoredString,
  readString,
  readTextDouble,
  writeLen,
  writeLzfBlob,
  writeString,
} from './strings.js';
import { ListpackBuilder, decodeListpack } from './listpack.js';
import { decodeIntset, encodeIntset } from './intset.js';
import { decodeZiplist, decodeZipmap } from './legacy.js';
import { buildQuicklist } from './quicklist.js';
import { readStream, writeStream } from './stream.js';
import { DecodeBudget, checkArrayEntries, checkTableEntries } from './budget.js';
import { formatDouble } from '../../protocol/number-format.js';
import type { Value } from '../../store/types.js';
import { ListValue } from '../../store/list.js';
import { SetValue } from '../../store/set.js';
import { HashValue } from '../../store/hash.js';
import { ZSetValue } from '../../store/zset.js';

/** The settings that decide how values are written (rdbcompression, list-*). */
export interface RdbWriteOptions {
  readonly compress: boolean;
  readonly listMaxListpackSize: number;
  readonly listCompressDepth: number;
}

/** The settings that decide which encoding a loaded value takes (the *-max-* directives). */
export interface RdbLoadOptions {
  readonly setMaxIntsetEntries: number;
  readonly hashMaxListpackEntries: number;
  readonly hashMaxListpackValue: number;
  readonly zsetMaxListpackEntries: number;
  readonly zsetMaxListpackValue: number;
}

export const DEFAULT_LOAD_OPTIONS: RdbLoadOptions = {
  setMaxIntsetEntries: 512,
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
};

/** A value type this build cannot write or read (module values). */
export class UnsupportedValueError extends Error {}

// --- writing ---

/** rdbSaveObjectType: the type byte for `v`. */
export function valueType(v: Value): number {
  if (typeof v === 'string') return RDB_TYPE.STRING;
  switch (v.type) {
    case 'list':
      return RDB_TYPE.LIST_QUICKLIST_2;
    case 'set':
      return v.encoding() === 'intset' ? RDB_TYPE.SET_INTSET : RDB_TYPE.SET;
    case 'zset':
      return v.encoding() === 'listpack' ? RDB_TYPE.ZSET_LISTPACK : RDB_TYPE.ZSET_2;
    case 'hash':
      // Field TTLs take Redis 7.4's types (RDB 12); a hash whose TTLs are all gone the plain ones.
      if (v.hasFieldTtls()) return v.encoding() === 'hashtable' ? RDB_TYPE.HASH_METADATA : RDB_TYPE.HASH_LISTPACK_EX;
      return v.encoding() === 'hashtable' ? RDB_TYPE.HASH : RDB_TYPE.HASH_LISTPACK;
    case 'stream':
      return RDB_TYPE.STREAM_LISTPACKS_2;
    default:
      throw new UnsupportedValueError(`values of type ${(v as { type: string }).type} cannot be serialized`);
  }
}

/** rdbSaveObject: the body of `v` (everything after the type byte). */
export function writeValue(w: ByteWriter, v: Value, opts: RdbWriteOptions): void {
  const sopts = { compress: opts.compress };
  if (typeof v === 'string') {
    writeString(w, v, sopts);
    return;
  }
  switch (v.type) {
    case 'list': {
      const nodes = buildQuicklist(v, opts.listMaxListpackSize, opts.listCompressDepth);
      writeLen(w, nodes.length);
      for (const n of nodes) {
        writeLen(w, n.kind === 'plain' ? 1 : 2);
        if (n.kind === 'plain') writeString(w, n.data, sopts);
        else if (n.compressed !== null) writeLzfBlob(w, n.compressed, n.listpack.length);
        else writeString(w, n.listpack, sopts);
      }
      return;
    }
    case 'set': {
      const members = v.members();
      if (v.encoding() === 'intset') {
        writeString(w, encodeIntset(members), sopts);
        return;
      }
      writeLen(w, members.length);
      for (const m of members) writeString(w, m, sopts);
      return;
    }
    case 'zset': {
      if (v.encoding() === 'listpack') {
        const lp = new ListpackBuilder();
        for (const n of v.order) {
          lp.append(n.member);
          appendScore(lp, n.score);
        }
        writeString(w, lp.finish(), sopts);
        return;
      }
      // Highest score first, as Redis walks its skiplist from the tail (it loads faster that way).
      writeLen(w, v.size);
      for (let n = v.order.tail; n !== null; n = n.backward) {
        writeString(w, n.member, sopts);
        w.f64le(n.score);
      }
      return;
    }
    case 'hash': {
      if (v.hasFieldTtls()) {
        writeHashWithTtls(w, v, sopts);
        return;
      }
      if (v.encoding() !== 'hashtable') {
        const lp = new ListpackBuilder();
        for (const [f, val] of v.fields) {
          lp.append(f);
          lp.append(val);
        }
        writeString(w, lp.finish(), sopts);
        return;
      }
      writeLen(w, v.size);
      for (const [f, val] of v.fields) {
        writeString(w, f, sopts);
        writeString(w, val, sopts);
      }
      return;
    }
    case 'stream':
      writeStream(w, v, sopts);
      return;
    default:
      throw new UnsupportedValueError(`values of type ${(v as { type: string }).type} cannot be serialized`);
  }
}

/**
 * A hash with field TTLs as Redis 8's rdbSaveObject writes it: the soonest expiry (ms, 8 bytes),
 * then for a listpackex one listpack of field, value, expiry (0 for none) triples in the hash's
 * order (RDB_TYPE_HASH_LISTPACK_EX), and for a hash table the count and per field its expiry
 * relative to the soonest plus one (0 for none), the field and the value (RDB_TYPE_HASH_METADATA).
 */
function writeHashWithTtls(w: ByteWriter, v: HashValue, sopts: { readonly compress: boolean }): void {
  const min = v.minTtl() ?? 0;
  w.i64le(BigInt(min));
  if (v.encoding() !== 'hashtable') {
    const lp = new ListpackBuilder();
    for (const [f, val] of v.fields) {
      lp.append(f);
      lp.append(val);
      lp.appendInteger(BigInt(v.ttlOf(f) ?? 0));
    }
    writeString(w, lp.finish(), sopts);
    return;
  }
  writeLen(w, v.size);
  for (const [f, val] of v.fields) {
    const at = v.ttlOf(f);
    writeLen(w, at === undefined ? 0 : at - min + 1);
    writeString(w, f, sopts);
    writeString(w, val, sopts);
  }
}

/**
 * zzlInsertAt: a score that is an integer within ±2^62 goes in as a listpack integer (so -0
 * becomes 0), any other as its "%.17g" text.
 */
function appendScore(lp: ListpackBuilder, score: number): void {
  if (Number.isInteger(score) && Math.abs(score) <= 2 ** 62) lp.appendInteger(BigInt(score));
  else lp.append(formatDouble(score));
}

// --- reading ---

/**
 * rdbLoadObject: the value of RDB type `type` read from `r`; throws RdbFormatError when invalid,
 * or when it would not fit `budget` and the runtime's limits (checked before building it).
 */
export function decodeValue(
  type: number,
  r: ByteReader,
  opts: RdbLoadOptions = DEFAULT_LOAD_OPTIONS,
  budget: DecodeBudget = new DecodeBudget(),
): Value {
  switch (type) {
    case RDB_TYPE.STRING:
      return readString(r, budget);
    case RDB_TYPE.LIST: {
      const n = declaredCount(r, readLen(r), 1);
      checkArrayEntries(n);
      budget.charge(n, 0);
      return listOf(readStrings(r, n, budget));
    }
    case RDB_TYPE.LIST_ZIPLIST:
      return listOf(decodeZiplist(readStoredString(r), budget));
    case RDB_TYPE.LIST_QUICKLIST:
    case RDB_TYPE.LIST_QUICKLIST_2:
      return readQuicklist(r, type === RDB_TYPE.LIST_QUICKLIST_2, budget);
    case RDB_TYPE.SET: {
      const n = declaredCount(r, readLen(r), 1);
      checkTableEntries(n);
      budget.charge(n, 0);
      return setOf(readStrings(r, n, budget), opts, false);
    }
    case RDB_TYPE.SET_INTSET:
      return setOf(decodeIntset(readStoredString(r), budget), opts, true);
    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2:
      return readZset(r, type === RDB_TYPE.ZSET_2, opts, budget);
    case RDB_TYPE.ZSET_ZIPLIST:
      return zsetOfPairs(decodeZiplist(readStoredString(r), budget), opts, budget);
    case RDB_TYPE.ZSET_LISTPACK:
      return zsetOfPairs(decodeListpack(readStoredString(r), budget), opts, budget);
    case RDB_TYPE.HASH:
      return readHash(r, opts, budget);
    case RDB_TYPE.HASH_ZIPMAP:
      return hashOfPairs(decodeZipmap(readStoredString(r), budget), opts, true, budget);
    case RDB_TYPE.HASH_ZIPLIST:
    case RDB_TYPE.HASH_LISTPACK: {
      const blob = readStoredString(r);
      const flat = type === RDB_TYPE.HASH_ZIPLIST ? decodeZiplist(blob, budget) : decodeListpack(blob, budget);
      return hashOfPairs(flat, opts, false, budget);
    }
    case RDB_TYPE.HASH_METADATA:
    case RDB_TYPE.HASH_METADATA_PRE_GA:
      return readHashWithTtls(r, type === RDB_TYPE.HASH_METADATA, opts, budget);
    case RDB_TYPE.HASH_LISTPACK_EX:
    case RDB_TYPE.HASH_LISTPACK_EX_PRE_GA: {
      // The soonest expiry comes first in the GA form; Redis does not use it when loading.
      if (type === RDB_TYPE.HASH_LISTPACK_EX) r.i64le();
      return hashOfTriples(decodeListpack(readStoredString(r), budget), opts, budget);
    }
    case RDB_TYPE.STREAM_LISTPACKS:
      return readStream(r, 1, budget);
    case RDB_TYPE.STREAM_LISTPACKS_2:
      return readStream(r, 2, budget);
    // Types of RDB 11 (Redis 7.2, Valkey 8), which only a file of that version holds: a DUMP
    // payload of version 11 is refused before its type is read.
    case RDB_TYPE.SET_LISTPACK:
      return setOf(decodeListpack(readStoredString(r), budget), opts, false);
    case RDB_TYPE.STREAM_LISTPACKS_3:
      return readStream(r, 3, budget);
    default:
      throw new UnsupportedValueError(`RDB value type ${type} is not supported`);
  }
}

/** A declared element count, refused when the bytes left cannot hold that many of at least `minBytes` each. */
function declaredCount(r: ByteReader, n: number, minBytes: number): number {
  if (n * minBytes > r.remaining) fail('count larger than the payload');
  return n;
}

function readStrings(r: ByteReader, n: number, budget: DecodeBudget): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(readString(r, budget));
  return out;
}

/** A list from its elements; Redis refuses to load an empty one. */
function listOf(items: string[]): ListValue {
  if (items.length === 0) failEmpty('empty list');
  return ListValue.of(items);
}

function readQuicklist(r: ByteReader, v2: boolean, budget: DecodeBudget): ListValue {
  // Each node takes at least a container byte (v2) and a one-byte string.
  const nodes = declaredCount(r, readLen(r), v2 ? 2 : 1);
  if (nodes === 0) failEmpty('empty list');
  const items: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const container = v2 ? readLen(r) : 2;
    if (container !== 1 && container !== 2) fail('bad quicklist container');
    const data = readStoredString(r);
    if (data.length === 0) fail('empty quicklist node');
    if (container === 1) {
      // A plain node is one element, held as a string.
      budget.charge(1, 0);
      items.push(expandString(data, budget, true).latin1Slice());
    } else {
      // Empty nodes are skipped, as Redis does; an entirely empty list fails below.
      const entries = v2 ? decodeListpack(data, budget) : decodeZiplist(data, budget);
      checkArrayEntries(items.length + entries.length);
      for (const e of entries) items.push(e);
    }
    checkArrayEntries(items.length);
  }
  return listOf(items);
}

/**
 * RDB_TYPE_SET starts as an intset when short enough and converts at its first non-integer;
 * RDB_TYPE_SET_INTSET stays an intset unless longer than set-max-intset-entries.
 */
function setOf(members: string[], opts: RdbLoadOptions, fromIntset: boolean): SetValue {
  if (members.length === 0) failEmpty('empty set');
  const max = opts.setMaxIntsetEntries;
  const set = new SetValue(fromIntset || members.length <= max);
  for (const m of members) if (!set.add(m, max)) fail('duplicate set member');
  return set;
}

function readZset(r: ByteReader, binaryScores: boolean, opts: RdbLoadOptions, budget: DecodeBudget): ZSetValue {
  // A member takes at least one byte, a score one (text) or eight (binary).
  const n = declaredCount(r, readLen(r), binaryScores ? 9 : 2);
  if (n === 0) failEmpty('empty sorted set');
  checkTableEntries(n);
  // A skiplist node and a table entry besides the member string.
  budget.charge(2 * n, 0);
  const z = new ZSetValue('skiplist');
  const unlimited = { maxEntries: Infinity, maxValue: Infinity };
  for (let i = 0; i < n; i++) {
    const member = readString(r, budget);
    const score = binaryScores ? r.f64le() : readTextDouble(r);
    if (Number.isNaN(score)) fail('NaN score');
    if (z.score(member) !== undefined) fail('duplicate sorted set member');
    z.set(member, score, unlimited);
  }
  // Loaded as a skiplist, then made compact if it qualifies (as rdbLoadObject does after loading).
  z.convertToListpackIfNeeded({ maxEntries: opts.zsetMaxListpackEntries, maxValue: opts.zsetMaxListpackValue });
  return z;
}

function zsetOfPairs(flat: string[], opts: RdbLoadOptions, budget: DecodeBudget): ZSetValue {
  if (flat.length % 2 !== 0) fail('odd number of sorted set entries');
  const n = flat.length / 2;
  if (n === 0) failEmpty('empty sorted set');
  checkTableEntries(n);
  // The entries are charged already; the skiplist nodes and table entries are not.
  budget.charge(2 * n, 0);
  const z = new ZSetValue(n > opts.zsetMaxListpackEntries ? 'skiplist' : 'listpack');
  const unlimited = { maxEntries: Infinity, maxValue: Infinity };
  for (let i = 0; i < flat.length; i += 2) {
    const member = flat[i];
    const stored = flat[i + 1];
    if (member === undefined || stored === undefined) fail('odd number of sorted set entries');
    const score = parseStoredScore(stored);
    if (z.score(member) !== undefined) fail('duplicate sorted set member');
    z.set(member, score, unlimited);
  }
  return z;
}

/** A listpack/ziplist score: an integer entry, or the text Redis's d2string wrote. */
function parseStoredScore(s: string): number {
  const t = s.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const v = s.trim() === '' ? NaN : Number(s);
  if (Number.isNaN(v)) fail('bad sorted set score');
  return v;
}

function readHash(r: ByteReader, opts: RdbLoadOptions, budget: DecodeBudget): HashValue {
  const n = declaredCount(r, readLen(r), 2);
  if (n === 0) failEmpty('empty hash');
  checkTableEntries(n);
  budget.charge(2 * n, 0);
  let table = n > opts.hashMaxListpackEntries;
  const fields = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const f = readString(r, budget);
    const v = readString(r, budget);
    if (fields.has(f)) fail('duplicate hash field');
    if (f.length > opts.hashMaxListpackValue || v.length > opts.hashMaxListpackValue) table = true;
    fields.set(f, v);
  }
  return new HashValue(fields, table ? 'hashtable' : 'listpack');
}

/** Redis's EB_EXPIRE_TIME_MAX: the latest expiry a stored field may have. */
const FIELD_EXPIRE_MAX = 0xffffffffffff;

/**
 * A hash of fields with TTLs from their parts, in the order given: a listpackex while small (its
 * fields placed by expiry, as Redis's listpackExAddNew), a hash table beyond the limits.
 */
function hashWithTtls(entries: readonly (readonly [string, string, number])[], opts: RdbLoadOptions, placeByTtl: boolean): HashValue {
  let table = entries.length > opts.hashMaxListpackEntries;
  const fields = new Map<string, string>();
  for (const [f, v] of entries) {
    if (fields.has(f)) fail('duplicate hash field');
    if (f.length > opts.hashMaxListpackValue || v.length > opts.hashMaxListpackValue) table = true;
    fields.set(f, v);
  }
  if (table || !placeByTtl) {
    // Kept in the order given (a listpackex's own order, or any order for a hash table).
    const h = new HashValue(fields, table ? 'hashtable' : 'listpackex');
    const ttls = new Map<string, number>();
    for (const [f, , at] of entries) if (at !== 0) ttls.set(f, at);
    h.loadTtls(ttls);
    return h;
  }
  const h = new HashValue(new Map(), 'listpackex');
  h.enableTtls();
  const limits = { maxEntries: Infinity, maxValue: Infinity };
  for (const [f, v, at] of entries) {
    h.set(f, v, limits);
    if (at !== 0) h.setTtl(f, at);
  }
  return h;
}

/** RDB_TYPE_HASH_METADATA (and its 7.4 release-candidate form, whose expiries are absolute). */
function readHashWithTtls(r: ByteReader, relative: boolean, opts: RdbLoadOptions, budget: DecodeBudget): HashValue {
  let min = 0;
  if (relative) {
    const m = r.i64le();
    if (m < 0n || m > BigInt(FIELD_EXPIRE_MAX + 1)) fail('invalid minimum field expiry');
    min = Number(m);
  }
  const n = declaredCount(r, readLen(r), 3);
  if (n === 0) failEmpty('empty hash');
  checkTableEntries(n);
  budget.charge(3 * n, 0);
  const entries: [string, string, number][] = [];
  for (let i = 0; i < n; i++) {
    const ttl = readLen(r);
    const at = ttl === 0 ? 0 : relative ? ttl + min - 1 : ttl;
    if (at > FIELD_EXPIRE_MAX) fail('invalid field expiry');
    entries.push([readString(r, budget), readString(r, budget), at]);
  }
  return hashWithTtls(entries, opts, true);
}

/** RDB_TYPE_HASH_LISTPACK_EX: field, value, expiry (0 for none) triples, kept in their order. */
function hashOfTriples(flat: string[], opts: RdbLoadOptions, budget: DecodeBudget): HashValue {
  if (flat.length % 3 !== 0) fail('hash listpack entries are not triples');
  if (flat.length === 0) failEmpty('empty hash');
  checkTableEntries(flat.length / 3);
  budget.charge(flat.length / 3, 0);
  const entries: [string, string, number][] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const f = flat[i];
    const v = flat[i + 1];
    const t = flat[i + 2];
    if (f === undefined || v === undefined || t === undefined) fail('hash listpack entries are not triples');
    const at = /^(0|[1-9][0-9]{0,14})$/.test(t) ? Number(t) : NaN;
    if (!(at <= FIELD_EXPIRE_MAX)) fail('invalid field expiry');
    entries.push([f, v, at]);
  }
  return hashWithTtls(entries, opts, false);
}

/** Flattened field/value pairs; a zipmap also converts for a long field or value. */
function hashOfPairs(flat: string[], opts: RdbLoadOptions, checkLengths: boolean, budget: DecodeBudget): HashValue {
  if (flat.length % 2 !== 0) fail('odd number of hash entries');
  if (flat.length === 0) failEmpty('empty hash');
  checkTableEntries(flat.length / 2);
  // The entries are charged already; the table's are not.
  budget.charge(flat.length / 2, 0);
  const fields = new Map<string, string>();
  let longest = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const f = flat[i];
    const v = flat[i + 1];
    if (f === undefined || v === undefined) fail('odd number of hash entries');
    if (fields.has(f)) fail('duplicate hash field');
    longest = Math.max(longest, f.length, v.length);
    fields.set(f, v);
  }
  const table = fields.size > opts.hashMaxListpackEntries || (checkLengths && longest > opts.hashMaxListpackValue);
  return new HashValue(fields, table ? 'hashtable' : 'listpack');
}
