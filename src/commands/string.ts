// The string family: GET/SET and their variants, multi-key MGET/MSET, ranges, counters (int64
// and long double) and LCS. Values are latin1 binary strings; anything else is WRONGTYPE.

import * as E from '../errors.js';
import { arg, parseInteger, parseInt64, is } from '../protocol/args.js';
import { key, keyRange, withDocs, type CommandSpec, type KeySpec, type KeySpecFlag } from './spec.js';
import { stringDocs } from './docs/string.js';
import { lookupString } from './lookup.js';
import type { Client } from '../server/client.js';
import { addInt64, getRange, setRange, MAX_STRING_LENGTH } from '../store/string-ops.js';
import { lcs } from '../store/lcs.js';
import { createdEncoding } from '../store/encoding.js';
import { parseLongDouble, addLongDouble, formatLongDoubleHuman, type LongDouble } from '../protocol/number-format.js';
import { notify, NOTIFY_GENERIC, NOTIFY_STRING } from '../server/notify.js';
import { INT64_MAX, INT64_MIN } from '../int64.js';

/** Above this, seconds * 1000 + now() needs exact int64 arithmetic. */
const SAFE_EXPIRE = 2 ** 40;

// --- GET / SET family ---

function get(c: Client, argv: string[]): void {
  const v = c.db.getRead(arg(argv, 1));
  if (v === undefined) c.reply.nil();
  else if (typeof v === 'string') c.reply.bulk(v);
  else c.reply.error(E.WRONGTYPE);
}

/** GET's lookup and reply, shared by SET GET, GETSET and GETDEL; false after a WRONGTYPE error. */
function replyGet(c: Client, k: string): boolean {
  const v = c.db.getRead(k);
  if (v === undefined) c.reply.nil();
  else if (typeof v === 'string') c.reply.bulk(v);
  else {
    c.reply.error(E.WRONGTYPE);
    return false;
  }
  return true;
}

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const PERSIST = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

interface SetOptions {
  flags: number;
  expire: string | null;
}

/**
 * SET's and GETEX's option grammar, as Redis's parseExtendedStringArgumentsOrReply: conflicting
 * options and a missing expire value are syntax errors; a repeated expire option keeps the last.
 */
function parseSetOptions(c: Client, argv: string[], forSet: boolean): SetOptions | null {
  let flags = 0;
  let expire: string | null = null;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const word = argv[j];
    if (word === undefined) break;
    const opt = word.toLowerCase();
    const next = argv[j + 1];
    let unit = 0;
    if (opt === 'nx' && forSet && !(flags & XX)) flags |= NX;
    else if (opt === 'xx' && forSet && !(flags & NX)) flags |= XX;
    else if (opt === 'get' && forSet) flags |= GET;
    else if (opt === 'keepttl' && forSet && !(flags & (ANY_EXPIRE | PERSIST))) flags |= KEEPTTL;
    else if (opt === 'persist' && !forSet && !(flags & (ANY_EXPIRE | KEEPTTL))) flags |= PERSIST;
    else if (opt === 'ex') unit = EX;
    else if (opt === 'px') unit = PX;
    else if (opt === 'exat') unit = EXAT;
    else if (opt === 'pxat') unit = PXAT;
    else {
      c.reply.error(E.SYNTAX);
      return null;
    }
    if (unit !== 0) {
      if (flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~unit)) || next === undefined) {
        c.reply.error(E.SYNTAX);
        return null;
      }
      flags |= unit;
      expire = next;
      j++;
    }
  }
  return { flags, expire };
}

/**
 * The absolute expiry in ms for an EX/PX/EXAT/PXAT value, or null after replying with the error.
 * Mirrors Redis's int64 checks, including a relative time whose sum with now overflows.
 */
function expireAtFrom(c: Client, text: string, unit: number, cmd: string): number | null {
  const v = parseInteger(text);
  if (v === null) {
    c.reply.error(E.NOT_INTEGER);
    return null;
  }
  const seconds = unit === EX || unit === EXAT;
  const relative = unit === EX || unit === PX;
  if (v > 0 && v < SAFE_EXPIRE) {
    const ms = seconds ? v * 1000 : v;
    return relative ? ms + c.db.clock.now() : ms;
  }
  // parseInteger accepted the text, so it is an int64 and parseInt64 reads it too.
  let ms = parseInt64(text);
  if (ms === null) {
    c.reply.error(E.NOT_INTEGER);
    return null;
  }
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) {
    c.reply.error(E.INVALID_EXPIRE(cmd));
    return null;
  }
  if (seconds) ms *= 1000n;
  if (relative) ms += BigInt(c.db.clock.now());
  if (ms > INT64_MAX) {
    c.reply.error(E.INVALID_EXPIRE(cmd));
    return null;
  }
  return Number(ms);
}

function expireUnit(flags: number): number {
  return flags & ANY_EXPIRE;
}

/** Redis's setGenericCommand. `expire` is the unparsed EX/PX/... value when there is one. */
function setGeneric(
  c: Client,
  flags: number,
  k: string,
  value: string,
  expire: string | null,
  cmd: string,
  okReply: (() => void) | null,
  abortReply: (() => void) | null,
): void {
  let at = 0;
  if (expire !== null) {
    const t = expireAtFrom(c, expire, expireUnit(flags), cmd);
    if (t === null) return;
    at = t;
  }
  if (flags & GET && !replyGet(c, k)) return;
  const db = c.db;
  if (flags & (NX | XX)) {
    const found = db.get(k) !== undefined;
    if ((flags & NX && found) || (flags & XX && !found)) {
      if (!(flags & GET)) (abortReply ?? (() => c.reply.nil()))();
      return;
    }
  }
  db.set(k, value, (flags & KEEPTTL) !== 0);
  notify(c, NOTIFY_STRING, 'set', k);
  if (expire !== null) {
    // SET with a time to live is one change, as Redis's setGenericCommand counts it.
    const dirty = db.stats.dirty;
    db.setExpire(k, at, true);
    db.stats.dirty = dirty;
    notify(c, NOTIFY_GENERIC, 'expire', k);
    // EX, PX, EXAT, SETEX, PSETEX: replayed later, only the absolute time means the same.
    const propagation = c.server.propagation;
    // Redis rewrites a PXAT too (as SET key value PXAT ms), so the stream reads the same whatever was given.
    if (propagation.active) propagation.rewrite(['SET', k, value, 'PXAT', String(at)]);
  }
  if (!(flags & GET)) (okReply ?? (() => c.reply.ok()))();
}

function set(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const value = arg(argv, 2);
  if (argv.length === 3) {
    c.db.set(k, value);
    notify(c, NOTIFY_STRING, 'set', k);
    c.reply.ok();
    return;
  }
  const opts = parseSetOptions(c, argv, true);
  if (opts === null) return;
  setGeneric(c, opts.flags, k, value, opts.expire, 'set', null, null);
}

function setnx(c: Client, argv: string[]): void {
  const db = c.db;
  const k = arg(argv, 1);
  if (db.get(k) !== undefined) {
    c.reply.integer(0);
    return;
  }
  db.set(k, arg(argv, 2));
  notify(c, NOTIFY_STRING, 'set', k);
  c.reply.integer(1);
}

function setex(c: Client, argv: string[]): void {
  setGeneric(c, EX, arg(argv, 1), arg(argv, 3), arg(argv, 2), 'setex', null, null);
}

function psetex(c: Client, argv: string[]): void {
  setGeneric(c, PX, arg(argv, 1), arg(argv, 3), arg(argv, 2), 'psetex', null, null);
}

function getset(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  if (!replyGet(c, k)) return;
  c.db.set(k, arg(argv, 2));
  notify(c, NOTIFY_STRING, 'set', k);
  // Propagated as SET, as Redis's getsetCommand.
  const propagation = c.server.propagation;
  if (propagation.active) propagation.rewrite(['SET', ...argv.slice(1)]);
}

function getdel(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const v = lookupString(c, k, false);
  if (v === null) return;
  if (v === undefined) {
    c.reply.nil();
    return;
  }
  c.reply.bulk(v);
  c.db.delete(k, c.server.store.lazyfree.userDel);
  notify(c, NOTIFY_GENERIC, 'del', k);
  // Propagated as DEL (UNLINK with lazyfree-lazy-user-del), as Redis's getdelCommand.
  const propagation = c.server.propagation;
  if (propagation.active) propagation.rewrite([c.server.store.lazyfree.userDel ? 'UNLINK' : 'DEL', k]);
}

function getex(c: Client, argv: string[]): void {
  const opts = parseSetOptions(c, argv, false);
  if (opts === null) return;
  const k = arg(argv, 1);
  const db = c.db;
  const v = lookupString(c, k, false);
  if (v === null) return;
  if (v === undefined) {
    c.reply.nil();
    return;
  }
  let at = 0;
  if (opts.expire !== null) {
    const t = expireAtFrom(c, opts.expire, expireUnit(opts.flags), 'getex');
    if (t === null) return;
    at = t;
  }
  c.reply.bulk(v);
  const propagation = c.server.propagation;
  if (opts.expire !== null) {
    const deleted = db.setExpire(k, at) === 'deleted';
    notify(c, NOTIFY_GENERIC, deleted ? 'del' : 'expire', k);
    // As Redis: the effect is a deletion or an absolute expiry, never GETEX itself.
    if (propagation.active) {
      propagation.rewrite(deleted ? [c.server.store.lazyfree.expire ? 'UNLINK' : 'DEL', k] : ['PEXPIREAT', k, String(at)]);
    }
  } else if (opts.flags & PERSIST && db.persist(k)) {
    notify(c, NOTIFY_GENERIC, 'persist', k);
    if (propagation.active) propagation.rewrite(['PERSIST', k]);
  }
}

// --- multi-key ---

function mget(c: Client, argv: string[]): void {
  const db = c.db;
  const r = c.reply;
  r.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const k = argv[i];
    if (k === undefined) break;
    const v = db.getRead(k);
    if (typeof v === 'string') r.bulk(v);
    else r.nil();
  }
}

function mset(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error(E.wrongArity('mset'));
    return;
  }
  const db = c.db;
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === undefined || v === undefined) break;
    db.set(k, v);
    notify(c, NOTIFY_STRING, 'set', k);
  }
  c.reply.ok();
}

function msetnx(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error(E.wrongArity('msetnx'));
    return;
  }
  const db = c.db;
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i];
    if (k === undefined) break;
    if (db.get(k) !== undefined) {
      c.reply.integer(0);
      return;
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === undefined || v === undefined) break;
    db.set(k, v);
    notify(c, NOTIFY_STRING, 'set', k);
  }
  c.reply.integer(1);
}

// --- in-place edits ---

/**
 * Redis's checkStringLength: the grown string must fit proto-max-bulk-len (and V8's longest
 * string); and the heap must have room for it, or the command is refused as out of memory.
 */
function fitsMaxBulk(c: Client, size: number, append: number): boolean {
  const total = size + append;
  if (total > c.server.store.limits.maxBulkLen || total > MAX_STRING_LENGTH) {
    c.reply.error(E.STRING_TOO_LONG);
    return false;
  }
  if (!c.server.memory.admit(total)) {
    c.reply.error(E.OOM);
    return false;
  }
  return true;
}

function append(c: Client, argv: string[]): void {
  const db = c.db;
  const k = arg(argv, 1);
  const add = arg(argv, 2);
  const v = db.get(k);
  if (v === undefined) {
    db.set(k, add);
    notify(c, NOTIFY_STRING, 'append', k);
    c.reply.integer(add.length);
    return;
  }
  if (typeof v !== 'string') {
    c.reply.error(E.WRONGTYPE);
    return;
  }
  if (!fitsMaxBulk(c, v.length, add.length)) return;
  const next = v + add;
  db.set(k, next, true);
  // Redis grows the existing string in place (even by nothing), which leaves it raw.
  db.markStringEncoding(k, 'raw');
  notify(c, NOTIFY_STRING, 'append', k);
  c.reply.integer(next.length);
}

function strlen(c: Client, argv: string[]): void {
  const v = c.db.getRead(arg(argv, 1));
  if (v === undefined) c.reply.integer(0);
  else if (typeof v === 'string') c.reply.integer(v.length);
  else c.reply.error(E.WRONGTYPE);
}

function getrange(c: Client, argv: string[]): void {
  const start = parseInteger(arg(argv, 2));
  const end = start === null ? null : parseInteger(arg(argv, 3));
  if (start === null || end === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  const v = c.db.getRead(arg(argv, 1));
  if (v === undefined) c.reply.bulk('');
  else if (typeof v === 'string') c.reply.bulk(getRange(v, start, end));
  else c.reply.error(E.WRONGTYPE);
}

function setrange(c: Client, argv: string[]): void {
  const offset = parseInteger(arg(argv, 2));
  if (offset === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (offset < 0) {
    c.reply.error(E.OFFSET_OUT_OF_RANGE);
    return;
  }
  const db = c.db;
  const k = arg(argv, 1);
  const value = arg(argv, 3);
  const v = db.get(k);
  if (v === undefined) {
    if (value.length === 0) {
      c.reply.integer(0);
      return;
    }
    if (!fitsMaxBulk(c, offset, value.length)) return;
    const next = setRange('', offset, value);
    db.set(k, next);
    db.markStringEncoding(k, 'raw');
    notify(c, NOTIFY_STRING, 'setrange', k);
    c.reply.integer(next.length);
    return;
  }
  if (typeof v !== 'string') {
    c.reply.error(E.WRONGTYPE);
    return;
  }
  if (value.length === 0) {
    c.reply.integer(v.length);
    return;
  }
  if (!fitsMaxBulk(c, offset, value.length)) return;
  const next = setRange(v, offset, value);
  db.set(k, next, true);
  db.markStringEncoding(k, 'raw');
  notify(c, NOTIFY_STRING, 'setrange', k);
  c.reply.integer(next.length);
}

// --- counters ---

/** Redis's incrDecrCommand: the stored value must be an int64 string; the result must fit int64. */
function incrDecr(c: Client, k: string, by: number | bigint): void {
  const db = c.db;
  // No access-time touch here: the db.set below does it.
  const v = db.get(k, false);
  let current: number | bigint = 0;
  if (v !== undefined) {
    if (typeof v !== 'string') {
      c.reply.error(E.WRONGTYPE);
      return;
    }
    const n = parseInteger(v);
    if (n === null) {
      c.reply.error(E.NOT_INTEGER);
      return;
    }
    if (Number.isSafeInteger(n)) current = n;
    else {
      // parseInteger accepted the text, so it is an int64 and parseInt64 reads it too.
      const big = parseInt64(v);
      if (big === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      current = big;
    }
  }
  const result = addInt64(current, by);
  if (result === null) {
    c.reply.error(E.OVERFLOW);
    return;
  }
  db.set(k, String(result), true);
  notify(c, NOTIFY_STRING, 'incrby', k);
  c.reply.integer(result);
}

/** An int64 argument: a number when exact, a bigint beyond 2^53, null when not an integer. */
function int64Arg(text: string): number | bigint | null {
  const n = parseInteger(text);
  if (n === null || Number.isSafeInteger(n)) return n;
  return parseInt64(text);
}

function incr(c: Client, argv: string[]): void {
  incrDecr(c, arg(argv, 1), 1);
}

function decr(c: Client, argv: string[]): void {
  incrDecr(c, arg(argv, 1), -1);
}

function incrby(c: Client, argv: string[]): void {
  const by = int64Arg(arg(argv, 2));
  if (by === null) c.reply.error(E.NOT_INTEGER);
  else incrDecr(c, arg(argv, 1), by);
}

function decrby(c: Client, argv: string[]): void {
  const by = int64Arg(arg(argv, 2));
  if (by === null) c.reply.error(E.NOT_INTEGER);
  else if (by === INT64_MIN) c.reply.error(E.DECREMENT_OVERFLOW);
  else incrDecr(c, arg(argv, 1), -by);
}

const LD_ZERO: LongDouble = { neg: false, m: 0n, e: 0 };

function incrbyfloat(c: Client, argv: string[]): void {
  const db = c.db;
  const k = arg(argv, 1);
  const v = lookupString(c, k, true);
  if (v === null) return;
  const current = v === undefined ? LD_ZERO : parseLongDouble(v);
  const by = current === null ? null : parseLongDouble(arg(argv, 2));
  if (current === null || by === null) {
    c.reply.error(E.NOT_FLOAT);
    return;
  }
  const sum = current === 'inf' || by === 'inf' ? null : addLongDouble(current, by);
  if (sum === null) {
    c.reply.error(E.INCR_NAN_OR_INF);
    return;
  }
  const text = formatLongDoubleHuman(sum);
  db.set(k, text, true);
  // The result is never converted to an integer, even when it reads as one ("10").
  db.markStringEncoding(k, createdEncoding(text));
  notify(c, NOTIFY_STRING, 'incrbyfloat', k);
  // Float arithmetic may round differently on another machine: the result is what propagates.
  const propagation = c.server.propagation;
  if (propagation.active) propagation.rewrite(['SET', k, text, 'KEEPTTL']);
  c.reply.bulk(text);
}

// --- LCS ---

function lcsCommand(c: Client, argv: string[]): void {
  const db = c.db;
  const a = db.getRead(arg(argv, 1));
  const b = db.getRead(arg(argv, 2));
  if ((a !== undefined && typeof a !== 'string') || (b !== undefined && typeof b !== 'string')) {
    c.reply.error(E.LCS_NOT_STRINGS);
    return;
  }
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const next = argv[j + 1];
    if (is(opt, 'idx')) getIdx = true;
    else if (is(opt, 'len')) getLen = true;
    else if (is(opt, 'withmatchlen')) withMatchLen = true;
    else if (is(opt, 'minmatchlen') && next !== undefined) {
      j++;
      const n = parseInteger(next);
      if (n === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      minMatchLen = Math.max(0, n);
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  if (getIdx && getLen) {
    c.reply.error(E.LCS_IDX_AND_LEN);
    return;
  }
  const sa = a ?? '';
  const sb = b ?? '';
  if (sa.length >= 0xfffffffe || sb.length >= 0xfffffffe) {
    c.reply.error(E.LCS_TOO_LONG);
    return;
  }
  if ((sa.length + 1) * (sb.length + 1) * 4 > c.server.store.limits.maxBulkLen) {
    c.reply.error(E.LCS_OVER_LIMIT);
    return;
  }
  const result = lcs(sa, sb, getIdx || !getLen);
  if (result === null) {
    c.reply.error(E.LCS_NO_MEMORY);
    return;
  }
  const r = c.reply;
  if (!getIdx) {
    if (getLen) r.integer(result.length);
    else r.bulk(result.text);
    return;
  }
  const ranges = result.ranges.filter((m) => minMatchLen === 0 || m.len >= minMatchLen);
  r.map(2);
  r.bulk('matches');
  r.array(ranges.length);
  for (const m of ranges) {
    r.array(withMatchLen ? 3 : 2);
    r.array(2);
    r.integer(m.aStart);
    r.integer(m.aEnd);
    r.array(2);
    r.integer(m.bStart);
    r.integer(m.bEnd);
    if (withMatchLen) r.integer(m.len);
  }
  r.bulk('len');
  r.integer(result.length);
}

// --- the table ---

const first = [key(1, 'RW', 'ACCESS', 'UPDATE')] as const;
const ro: readonly KeySpec[] = [key(1, 'RO', 'ACCESS')];
const owUpdate: readonly KeySpec[] = [key(1, 'OW', 'UPDATE')];
const wrFast = ['write', 'denyoom', 'fast'] as const;
const wrSlow = ['write', 'denyoom'] as const;
const aclWF = ['write', 'string', 'fast'] as const;
/** Redis's setGetKeys: the key is read only when GET is among the options. */
function setKeyFlags(argv: readonly string[]): readonly KeySpecFlag[] {
  for (let i = 3; i < argv.length; i++) if (is(argv[i] ?? '', 'get')) return ['RW', 'ACCESS', 'UPDATE'];
  return ['OW', 'UPDATE'];
}

const aclWS = ['write', 'string', 'slow'] as const;
const aclRF = ['read', 'string', 'fast'] as const;
const aclRS = ['read', 'string', 'slow'] as const;

export const stringCommands: readonly CommandSpec[] = withDocs(stringDocs, [
  { name: 'get', arity: 2, flags: ['readonly', 'fast'], acl: aclRF, keys: ro, run: get },
  {
    name: 'set', arity: -3, flags: wrSlow, acl: aclWS,
    keys: [{ ...key(1, 'RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'), notes: 'RW and ACCESS due to the optional `GET` argument' }],
    keyFlags: setKeyFlags,
    run: set,
  },
  { name: 'setnx', arity: 3, flags: wrFast, acl: aclWF, keys: [key(1, 'OW', 'INSERT')], run: setnx },
  { name: 'setex', arity: 4, flags: wrSlow, acl: aclWS, keys: owUpdate, run: setex },
  { name: 'psetex', arity: 4, flags: wrSlow, acl: aclWS, keys: owUpdate, run: psetex },
  { name: 'getset', arity: 3, flags: wrFast, acl: aclWF, keys: first, run: getset },
  { name: 'getdel', arity: 2, flags: ['write', 'fast'], acl: aclWF, keys: [key(1, 'RW', 'ACCESS', 'DELETE')], run: getdel },
  {
    name: 'getex', arity: -2, flags: ['write', 'fast'], acl: aclWF,
    keys: [{ ...key(1, 'RW', 'ACCESS', 'UPDATE'), notes: 'RW and UPDATE because it changes the TTL' }],
    run: getex,
  },
  {
    name: 'mget', arity: -2, flags: ['readonly', 'fast'], acl: aclRF, keys: [keyRange(1, -1, 1, 'RO', 'ACCESS')],
    tips: ['request_policy:multi_shard'], run: mget,
  },
  {
    name: 'mset', arity: -3, flags: wrSlow, acl: aclWS, keys: [keyRange(1, -1, 2, 'OW', 'UPDATE')],
    tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'], run: mset,
  },
  {
    name: 'msetnx', arity: -3, flags: wrSlow, acl: aclWS, keys: [keyRange(1, -1, 2, 'OW', 'INSERT')],
    tips: ['request_policy:multi_shard', 'response_policy:agg_min'], run: msetnx,
  },
  { name: 'append', arity: 3, flags: wrFast, acl: aclWF, keys: [key(1, 'RW', 'INSERT')], run: append },
  { name: 'strlen', arity: 2, flags: ['readonly', 'fast'], acl: aclRF, keys: [key(1, 'RO')], run: strlen },
  { name: 'getrange', arity: 4, flags: ['readonly'], acl: aclRS, keys: ro, run: getrange },
  { name: 'substr', arity: 4, flags: ['readonly'], acl: aclRS, keys: ro, run: getrange },
  { name: 'setrange', arity: 4, flags: wrSlow, acl: aclWS, keys: [key(1, 'RW', 'UPDATE')], run: setrange },
  { name: 'incr', arity: 2, flags: wrFast, acl: aclWF, keys: first, run: incr },
  { name: 'decr', arity: 2, flags: wrFast, acl: aclWF, keys: first, run: decr },
  { name: 'incrby', arity: 3, flags: wrFast, acl: aclWF, keys: first, run: incrby },
  { name: 'decrby', arity: 3, flags: wrFast, acl: aclWF, keys: first, run: decrby },
  { name: 'incrbyfloat', arity: 3, flags: wrFast, acl: aclWF, keys: first, run: incrbyfloat },
  { name: 'lcs', arity: -3, flags: ['readonly'], acl: aclRS, keys: [keyRange(1, 1, 1, 'RO', 'ACCESS')], run: lcsCommand },
]);
