// SORT and SORT_RO: sorting a list, set or sorted set numerically or by bytes, by its own elements
// or by keys/hash fields named through a pattern, with LIMIT, GET projections and STORE. Follows
// Redis 7.0's sortCommandGeneric step for step, including its two sort routines: a stable full
// sort (glibc's merge sort) and, for BY with a LIMIT, the partial quicksort whose tie order shows.

import * as E from '../errors.js';
import { arg, parseInt64, is } from '../protocol/args.js';
import { pqsort } from '../store/pqsort.js';
import { hasUnrestrictedKeyRead } from '../security/acl/check.js';
import { key, withDocs, type CommandSpec, type KeySpec, type KeySpecFlag } from './spec.js';
import { sortDocs } from './docs/sort.js';
import type { Client } from '../server/client.js';
import type { Database } from '../store/database.js';
import type { Value } from '../store/types.js';
import { ListValue } from '../store/list.js';
import { ZSetValue } from '../store/zset.js';
import { notify, NOTIFY_GENERIC, NOTIFY_LIST } from '../server/notify.js';

// --- hooks for policies that live elsewhere ---

/**
 * Whether the client's user may read every key (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess
 * with CMD_KEY_ACCESS): BY and GET patterns name keys no ACL check has seen, so 7.0 refuses them
 * to users with restricted key patterns.
 */
function fullKeyAccess(c: Client, argv: readonly string[]): boolean {
  const user = c.server.acl.users.get(c.user);
  return user === undefined || c.current === null || hasUnrestrictedKeyRead(user, c.current, argv);
}

// --- patterns ---

/** The C-string view of an argument: Redis's strchr/strstr stop at the first NUL byte. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

/**
 * Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced by
 * the element and the key read, or, with "->field" after the '*', that field of the hash there.
 * Null when there is no '*', no such key, or the key has the wrong type.
 */
function lookupByPattern(db: Database, pattern: string, subst: string): string | null {
  if (pattern[0] === '#' && (pattern.length === 1 || pattern[1] === '\0')) return subst;
  const c = cString(pattern);
  const star = c.indexOf('*');
  if (star === -1) return null;
  const arrow = c.indexOf('->', star + 1);
  // A field needs at least one byte after the arrow (in C-string terms).
  const hasField = arrow !== -1 && arrow + 2 < c.length;
  const field = hasField ? pattern.slice(arrow + 2) : null;
  const keyEnd = hasField ? arrow : pattern.length;
  const k = pattern.slice(0, star) + subst + pattern.slice(star + 1, keyEnd);
  const v = db.getRead(k);
  if (v === undefined) return null;
  if (field !== null) {
    if (typeof v === 'string' || v.type !== 'hash') return null;
    // A field past its time reads as missing (Redis 8 also removes it here; Redoubt leaves that
    // to the hash commands and the active cycle).
    if (v.ttls !== null && v.isExpired(field, db.clock.now())) return null;
    return v.get(field) ?? null;
  }
  return typeof v === 'string' ? v : null;
}

// --- scores ---

function isCSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

const DBL_MIN = 2.2250738585072014e-308;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF = /^[+-]?inf(?:inity)?$/i;
const NAN = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?$/i;

/**
 * The score SORT reads from an element: glibc strtod over the C string, refused when it stops
 * before the end, gives NaN, or sets ERANGE (overflow, or an underflow to zero or a subnormal).
 * Null means "can't be converted into double".
 */
export function sortScore(s: string): number | null {
  const t = cString(s);
  if (t === '') return 0;
  let i = 0;
  while (i < t.length && isCSpace(t.charCodeAt(i))) i++;
  const body = t.slice(i);
  if (INF.test(body)) return body[0] === '-' ? -Infinity : Infinity;
  if (NAN.test(body)) return null;
  const hex = HEX.exec(body);
  // The integer digits' group always takes part in a match, if only as ''.
  if (hex !== null && hex[2] !== undefined) return hexScore(hex[1] === '-', hex[2], hex[3] ?? '', hex[4]);
  if (!DECIMAL.test(body)) return null;
  const v = Number(body);
  if (!Number.isFinite(v)) return null;
  const mantissa = body.replace(/[eE].*$/, '');
  if (v === 0) return /[1-9]/.test(mantissa) ? null : v;
  return Math.abs(v) < DBL_MIN ? null : v;
}

/** A C99 hex float, correctly rounded; null where strtod would stop early or set ERANGE. */
function hexScore(negative: boolean, intDigits: string, fracDigits: string, exp: string | undefined): number | null {
  if (intDigits === '' && fracDigits === '') return null;
  const m = BigInt('0x' + (intDigits + fracDigits || '0'));
  if (m === 0n) return negative ? -0 : 0;
  const e = (exp === undefined ? 0 : Number(exp)) - 4 * fracDigits.length;
  const top = m.toString(2).length - 1 + e;
  if (top > 1023) return null;
  if (top < -1022) return null;
  // Rounding to 53 bits happens once (BigInt → Number); the power-of-two scalings are exact.
  const half = Math.trunc(e / 2);
  const v = Number(m) * 2 ** half * 2 ** (e - half);
  if (!Number.isFinite(v)) return null;
  return negative ? -v : v;
}

// --- comparison and sorting ---

interface SortItem {
  readonly obj: string;
  score: number;
  /** The BY value in ALPHA mode; null when its key or field is missing. */
  by: string | null;
}

/** compareStringObjects: bytes, then length. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll in the C/C.UTF-8 locale: byte order, each string ending at its first NUL. */
function collate(a: string, b: string): number {
  return compareBytes(cString(a), cString(b));
}

/** Redis's sortCompare under the options of one SORT call. */
function comparator(alpha: boolean, byPattern: boolean, store: boolean, desc: boolean): (a: SortItem, b: SortItem) => number {
  const strings = store ? compareBytes : collate;
  let cmp: (a: SortItem, b: SortItem) => number;
  if (!alpha) {
    cmp = (a, b) => (a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.obj, b.obj));
  } else if (byPattern) {
    cmp = (a, b) => {
      if (a.by === null || b.by === null) return a.by === b.by ? 0 : a.by === null ? -1 : 1;
      return strings(a.by, b.by);
    };
  } else {
    cmp = (a, b) => strings(a.obj, b.obj);
  }
  return desc ? (a, b) => -cmp(a, b) : cmp;
}

// --- the command ---

/** A sorted set as SORT needs it: Redis converts a listpack one to a skiplist for good. */
function toSkiplist(db: Database, k: string, z: ZSetValue): ZSetValue {
  if (z.encoding() === 'skiplist') return z;
  const converted = new ZSetValue('skiplist');
  const unlimited = { maxEntries: Infinity, maxValue: Infinity };
  for (const n of z.order) converted.set(n.member, n.score, unlimited);
  // Same key, same contents, same TTL: only the representation changes, as zsetConvert does in place.
  db.willWrite(k);
  db.data.convert(k, converted);
  return converted;
}

function sortGeneric(c: Client, argv: string[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0n;
  let limitCount = -1n;
  let dontsort = false;
  let sortby: string | null = null;
  let storekey: string | null = null;
  const gets: string[] = [];
  const fullAccess = fullKeyAccess(c, argv);
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    // The words after the option, where there are that many.
    const next = argv[j + 1];
    const next2 = argv[j + 2];
    if (is(opt, 'asc')) {
      desc = false;
    } else if (is(opt, 'desc')) {
      desc = true;
    } else if (is(opt, 'alpha')) {
      alpha = true;
    } else if (is(opt, 'limit') && next !== undefined && next2 !== undefined) {
      const start = parseInt64(next);
      const count = start === null ? null : parseInt64(next2);
      if (start === null || count === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      limitStart = start;
      limitCount = count;
      j += 2;
    } else if (!readonly && is(opt, 'store') && next !== undefined) {
      storekey = next;
      j++;
    } else if (is(opt, 'by') && next !== undefined) {
      sortby = next;
      j++;
      // A pattern without '*' names no per-element key: nothing to sort by.
      if (cString(sortby).indexOf('*') === -1) {
        dontsort = true;
      } else if (!fullAccess) {
        c.reply.error(E.SORT_BY_DENIED);
        return;
      }
    } else if (is(opt, 'get') && next !== undefined) {
      if (!fullAccess) {
        c.reply.error(E.SORT_GET_DENIED);
        return;
      }
      gets.push(next);
      j++;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }

  const db = c.db;
  const k = arg(argv, 1);
  let sortval: Value | undefined = db.getRead(k);
  if (sortval !== undefined && (typeof sortval === 'string' || (sortval.type !== 'list' && sortval.type !== 'set' && sortval.type !== 'zset'))) {
    c.reply.error(E.WRONGTYPE);
    return;
  }
  if (sortval === undefined) sortval = new ListValue();
  // An unsorted set would come out in hash order: when stored or run by a script (Redis's
  // CLIENT_SCRIPT, the server's script client), sort it by bytes so replicas see the same.
  if (dontsort && sortval.type === 'set' && (storekey !== null || c.inScript)) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  if (sortval.type === 'zset') sortval = toSkiplist(db, k, sortval);

  let vectorlen = sortval.type === 'list' ? sortval.length : sortval.size;
  let start = Number(limitStart < 0n ? 0n : limitStart > BigInt(vectorlen) ? BigInt(vectorlen) : limitStart);
  const count = Number(limitCount < -1n ? -1n : limitCount > BigInt(vectorlen) ? BigInt(vectorlen) : limitCount);
  let end = count < 0 ? vectorlen - 1 : start + count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;
  // Lists and sorted sets are already in order: with nothing to sort, load just the range.
  if (sortval.type !== 'set' && dontsort && (start !== 0 || end !== vectorlen - 1)) vectorlen = end - start + 1;

  const vector: SortItem[] = [];
  const item = (obj: string): SortItem => ({ obj, score: 0, by: null });
  if (sortval.type === 'list' && dontsort) {
    if (end >= start) {
      const items = sortval.items;
      const n = items.length;
      for (let i = 0; i < vectorlen; i++) {
        const e = items.at(desc ? n - start - 1 - i : start + i);
        if (e === undefined) break;
        vector.push(item(e));
      }
      end -= start;
      start = 0;
    }
  } else if (sortval.type === 'list') {
    for (const e of sortval) vector.push(item(e));
  } else if (sortval.type === 'set') {
    for (const m of sortval.members()) vector.push(item(m));
  } else if (dontsort) {
    const z = sortval;
    let node = desc ? (start > 0 ? z.at(z.size - start - 1) : z.order.tail) : z.at(start);
    for (let i = 0; i < vectorlen && node !== null; i++) {
      vector.push(item(node.member));
      node = desc ? node.backward : node.next0;
    }
    end -= start;
    start = 0;
  } else {
    for (const n of sortval.order) vector.push(item(n.member));
  }

  let conversionError = false;
  if (!dontsort) {
    for (const it of vector) {
      let byval: string | null;
      if (sortby !== null) {
        byval = lookupByPattern(db, sortby, it.obj);
        if (byval === null) continue;
      } else {
        byval = it.obj;
      }
      if (alpha) {
        if (sortby !== null) it.by = byval;
      } else {
        const score = sortScore(byval);
        if (score === null) conversionError = true;
        else it.score = score;
      }
    }
    const cmp = comparator(alpha, sortby !== null, storekey !== null, desc);
    if (sortby !== null && (start !== 0 || end !== vector.length - 1)) pqsort(vector, cmp, start, end);
    else vector.sort(cmp);
  }

  const selected = end - start + 1;
  const outputlen = gets.length > 0 ? gets.length * selected : selected;
  if (conversionError) {
    c.reply.error(E.SORT_SCORE_NOT_DOUBLE);
    return;
  }
  if (storekey === null) {
    c.reply.array(outputlen);
    for (let j = start; j <= end; j++) {
      const obj = itemAt(vector, j).obj;
      if (gets.length === 0) c.reply.bulk(obj);
      for (const g of gets) {
        const v = lookupByPattern(db, g, obj);
        if (v === null) c.reply.nil();
        else c.reply.bulk(v);
      }
    }
    return;
  }
  const out: string[] = [];
  for (let j = start; j <= end; j++) {
    const obj = itemAt(vector, j).obj;
    if (gets.length === 0) out.push(obj);
    for (const g of gets) out.push(lookupByPattern(db, g, obj) ?? '');
  }
  if (outputlen > 0) {
    const dirty = db.stats.dirty;
    db.set(storekey, ListValue.of(out));
    db.stats.dirty = dirty + outputlen;
    notify(c, NOTIFY_LIST, 'sortstore', storekey);
  } else if (db.delete(storekey)) {
    notify(c, NOTIFY_GENERIC, 'del', storekey);
  }
  c.reply.integer(outputlen);
}

/** vector[j], for a j inside the range that LIMIT was clamped to; outside it is a bug, reported. */
function itemAt(vector: readonly SortItem[], j: number): SortItem {
  const it = vector[j];
  if (it === undefined) throw new RangeError(`SORT index ${j} is outside the ${vector.length} elements sorted`);
  return it;
}

function sort(c: Client, argv: string[]): void {
  sortGeneric(c, argv, false);
}

function sortRo(c: Client, argv: string[]): void {
  sortGeneric(c, argv, true);
}

// --- key extraction ---

/**
 * Redis's sortGetKeys: the sorted key, plus the last STORE destination. Options with arguments
 * (LIMIT 2, GET 1, BY 1) are skipped so that an argument spelled "store" is not taken for one.
 */
function sortKeys(argv: readonly string[]): number[] {
  const keys = [1];
  let store = -1;
  const skips: readonly (readonly [string, number])[] = [['limit', 2], ['get', 1], ['by', 1]];
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i];
    if (word === undefined) break;
    for (const [name, skip] of skips) {
      if (is(word, name)) {
        i += skip;
        break;
      } else if (is(word, 'store') && i + 1 < argv.length) {
        store = i + 1;
        break;
      }
    }
  }
  if (store !== -1) keys.push(store);
  return keys;
}

const unknownKeys = (notes: string, ...flags: KeySpecFlag[]): KeySpec => ({
  flags, begin: { unknown: true }, find: { unknown: true }, notes,
});
const patternKeys = unknownKeys(
  "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
  'RO', 'ACCESS',
);
const storeKeys = unknownKeys(
  "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
  'OW', 'UPDATE',
);

export const sortCommands: readonly CommandSpec[] = withDocs(sortDocs, [
  {
    name: 'sort', arity: -2, flags: ['write', 'denyoom'], acl: ['write', 'set', 'sortedset', 'list', 'slow', 'dangerous'],
    keys: [key(1, 'RO', 'ACCESS'), patternKeys, storeKeys], getKeys: sortKeys, run: sort,
  },
  {
    name: 'sort_ro', arity: -2, flags: ['readonly'], acl: ['read', 'set', 'sortedset', 'list', 'slow', 'dangerous'],
    keys: [key(1, 'RO', 'ACCESS'), patternKeys], getKeys: () => [1], run: sortRo,
  },
]);
