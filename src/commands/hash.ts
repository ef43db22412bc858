// The hash family: HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HEXISTS, HLEN, HSTRLEN, HKEYS, HVALS,
// HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN, and Redis 7.4/8.0's field expiration (HEXPIRE
// and its variants, HTTL and its variants, HPERSIST, HGETEX, HSETEX, HGETDEL: hash-ttl.ts). Replies
// follow the field order of the hash, which for small (listpack) hashes is exactly Redis's. A field
// whose time has passed is removed when a command reads it (lazy expiry), as Redis 8's t_hash.c.

import * as E from '../errors.js';
import { arg, parseInt64 } from '../protocol/args.js';
import { parseScanArgs, replyScan } from './scan-args.js';
import { key, withDocs, type CommandSpec, type KeySpec } from './spec.js';
import { hashDocs } from './docs/hash.js';
import type { Client } from '../server/client.js';
import { HashValue } from '../store/hash.js';
import { globMatch } from '../store/glob.js';
import { picksFit, randomCountArgs, replyPicks } from './random-picks.js';
import { parseCursor } from '../store/scan.js';
import { parseLongDouble, addLongDouble, formatLongDoubleHuman, type LongDouble } from '../protocol/number-format.js';
import { notify, NOTIFY_GENERIC, NOTIFY_HASH } from '../server/notify.js';
import { INT64_MAX, INT64_MIN } from '../int64.js';
import { commit, expireAllFields, fieldValue, isExpired, limits, liveSize, readHash, writeHash, LAZY_NO_NOTIFY } from './hash-fields.js';

/** HRANDFIELD WITHVALUES refuses counts whose doubled reply length would overflow a long. */
const LD_ZERO: LongDouble = { neg: false, m: 0n, e: 0 };

// --- setting fields ---

/** HSET and HMSET: field/value pairs, creating the hash when missing. */
function hsetGeneric(c: Client, argv: string[], name: string): void {
  if (argv.length % 2 === 1) {
    c.reply.error(E.wrongArity(name));
    return;
  }
  const k = arg(argv, 1);
  const found = writeHash(c, k);
  if (found === null) return;
  const h = found ?? new HashValue();
  const lim = limits(c);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    const field = argv[i];
    const value = argv[i + 1];
    if (field === undefined || value === undefined) break;
    if (h.set(field, value, lim)) created++;
  }
  commit(c, k, h, found === undefined, 'hset', (argv.length - 2) / 2);
  if (name === 'hset') c.reply.integer(created);
  else c.reply.ok();
}

function hset(c: Client, argv: string[]): void {
  hsetGeneric(c, argv, 'hset');
}

function hmset(c: Client, argv: string[]): void {
  hsetGeneric(c, argv, 'hmset');
}

function hsetnx(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  let found = writeHash(c, k);
  if (found === null) return;
  if (found !== undefined) {
    const old = fieldValue(c, k, found, arg(argv, 2), 0);
    if (typeof old === 'string') {
      c.reply.integer(0);
      return;
    }
    // The field expired and took the hash with it: a new one is made.
    if (isExpired(old) && old.hashDeleted) found = undefined;
  }
  const h = found ?? new HashValue();
  h.set(arg(argv, 2), arg(argv, 3), limits(c));
  commit(c, k, h, found === undefined, 'hset');
  c.reply.integer(1);
}

function hincrby(c: Client, argv: string[]): void {
  const by = parseInt64(arg(argv, 3));
  if (by === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  const k = arg(argv, 1);
  let found = writeHash(c, k);
  if (found === null) return;
  const got = found === undefined ? undefined : fieldValue(c, k, found, arg(argv, 2), 0);
  if (isExpired(got) && got.hashDeleted) found = undefined;
  const old = typeof got === 'string' ? got : undefined;
  const current = old === undefined ? 0n : parseInt64(old);
  if (current === null) {
    c.reply.error(E.HASH_NOT_INTEGER);
    return;
  }
  const sum = current + by;
  if (sum > INT64_MAX || sum < INT64_MIN) {
    c.reply.error(E.OVERFLOW);
    return;
  }
  const h = found ?? new HashValue();
  h.set(arg(argv, 2), sum.toString(), limits(c), true);
  commit(c, k, h, found === undefined, 'hincrby');
  c.reply.integer(sum);
}

/** Redis computes in long double and stores the "human" rendering, as INCRBYFLOAT does. */
function hincrbyfloat(c: Client, argv: string[]): void {
  const by = parseLongDouble(arg(argv, 3));
  if (by === null) {
    c.reply.error(E.NOT_FLOAT);
    return;
  }
  if (by === 'inf') {
    c.reply.error(E.NAN_OR_INFINITY);
    return;
  }
  const k = arg(argv, 1);
  let found = writeHash(c, k);
  if (found === null) return;
  const got = found === undefined ? undefined : fieldValue(c, k, found, arg(argv, 2), 0);
  if (isExpired(got) && got.hashDeleted) found = undefined;
  const old = typeof got === 'string' ? got : undefined;
  const current = old === undefined ? LD_ZERO : parseLongDouble(old);
  if (current === null) {
    c.reply.error(E.HASH_NOT_FLOAT);
    return;
  }
  const sum = current === 'inf' ? null : addLongDouble(current, by);
  if (sum === null) {
    c.reply.error(E.INCR_NAN_OR_INF);
    return;
  }
  const text = formatLongDoubleHuman(sum);
  const h = found ?? new HashValue();
  h.set(arg(argv, 2), text, limits(c), true);
  commit(c, k, h, found === undefined, 'hincrbyfloat');
  // As INCRBYFLOAT: the stored result propagates, not the arithmetic.
  const propagation = c.server.propagation;
  if (propagation.active) propagation.rewrite(['HSET', k, arg(argv, 2), text]);
  c.reply.bulk(text);
}

function hdel(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = writeHash(c, k);
  if (h === null) return;
  if (h === undefined) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    const field = argv[i];
    if (field === undefined) break;
    if (h.delete(field)) deleted++;
  }
  if (deleted > 0) notify(c, NOTIFY_HASH, 'hdel', k);
  if (h.size === 0) {
    c.db.delete(k);
    notify(c, NOTIFY_GENERIC, 'del', k);
  } else if (deleted > 0) c.db.modified(k, deleted);
  c.reply.integer(deleted);
}

// --- reading fields ---

/** A field's value for a read, after lazy expiry; undefined when missing or expired. */
function readField(c: Client, k: string, h: HashValue | undefined, field: string): string | undefined {
  if (h === undefined) return undefined;
  const v = fieldValue(c, k, h, field, 0);
  return typeof v === 'string' ? v : undefined;
}

function hget(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = readHash(c, k);
  if (h === null) return;
  c.reply.bulkOrNil(readField(c, k, h, arg(argv, 2)));
}

function hmget(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = readHash(c, k);
  if (h === null) return;
  c.reply.array(argv.length - 2);
  let expired = 0;
  let deleted = false;
  for (let i = 2; i < argv.length; i++) {
    const field = argv[i];
    if (field === undefined) break;
    if (h === undefined || deleted) {
      c.reply.nil();
      continue;
    }
    const v = fieldValue(c, k, h, field, LAZY_NO_NOTIFY);
    if (isExpired(v)) {
      // As Redis: the field that takes the hash with it is not counted as an expired one.
      if (v.hashDeleted) deleted = true;
      else expired++;
      c.reply.nil();
    } else c.reply.bulkOrNil(v);
  }
  if (expired > 0) {
    notify(c, NOTIFY_HASH, 'hexpired', k);
    if (deleted) notify(c, NOTIFY_GENERIC, 'del', k);
  }
}

function hexists(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = readHash(c, k);
  if (h === null) return;
  c.reply.integer(readField(c, k, h, arg(argv, 2)) !== undefined ? 1 : 0);
}

function hlen(c: Client, argv: string[]): void {
  const h = readHash(c, arg(argv, 1));
  if (h === null) return;
  c.reply.integer(h?.size ?? 0);
}

function hstrlen(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = readHash(c, k);
  if (h === null) return;
  c.reply.integer(readField(c, k, h, arg(argv, 2))?.length ?? 0);
}

/** HKEYS, HVALS, HGETALL: the fields not expired, which stay stored (a read removes none). */
function hgetallGeneric(c: Client, argv: string[], keys: boolean, values: boolean): void {
  const h = readHash(c, arg(argv, 1));
  if (h === null) return;
  const n = h === undefined ? 0 : liveSize(c, h);
  if (keys && values) c.reply.map(n);
  else c.reply.array(n);
  if (h === undefined || n === 0) return;
  const ttls = h.ttls;
  const now = c.db.clock.now();
  for (const [f, v] of h.fields) {
    if (ttls !== null) {
      const at = ttls.get(f);
      if (at !== undefined && at < now) continue;
    }
    if (keys) c.reply.bulk(f);
    if (values) c.reply.bulk(v);
  }
}

function hkeys(c: Client, argv: string[]): void {
  hgetallGeneric(c, argv, true, false);
}

function hvals(c: Client, argv: string[]): void {
  hgetallGeneric(c, argv, false, true);
}

function hgetall(c: Client, argv: string[]): void {
  hgetallGeneric(c, argv, true, true);
}

// --- HRANDFIELD ---

function hrandfield(c: Client, argv: string[]): void {
  const countText = argv[2];
  const k = arg(argv, 1);
  if (countText === undefined) {
    const h = readHash(c, k);
    if (h === null) return;
    if (h === undefined || expireAllFields(c, k, h)) c.reply.nil();
    else c.reply.bulk(h.randomField());
    return;
  }
  const parsed = randomCountArgs(c, argv, countText, 'withvalues');
  if (parsed === null) return;
  const { count: l, paired: withValues } = parsed;
  const h = readHash(c, k);
  if (h === null) return;
  if (h === undefined || expireAllFields(c, k, h) || l === 0n) {
    c.reply.array(0);
    return;
  }
  const count = Number(l < 0n ? -l : l);
  if (l < 0n || count === 1) {
    // Repeats allowed: each pick is independent, and the reply as long as the client asks.
    if (!picksFit(c, count, withValues ? 2 : 1)) return;
    const all = h.fieldArray();
    replyRandomHeader(c, count, withValues);
    replyPicks(c, count, () => replyPick(c, h, randomOf(all), withValues));
    return;
  }
  if (count >= h.size) {
    // The whole hash, in its own order (as Redis does).
    replyRandomHeader(c, h.size, withValues);
    for (const f of h.fields.keys()) replyPick(c, h, f, withValues);
    return;
  }
  const picked = distinctSample(h.fieldArray(), count);
  replyRandomHeader(c, count, withValues);
  for (const f of picked) replyPick(c, h, f, withValues);
}

/** RESP2 flattens field/value pairs; RESP3 nests each pair in its own array. */
function replyRandomHeader(c: Client, n: number, withValues: boolean): void {
  c.reply.array(withValues && c.resp === 2 ? n * 2 : n);
}

function replyPick(c: Client, h: HashValue, f: string, withValues: boolean): void {
  if (!withValues) {
    c.reply.bulk(f);
    return;
  }
  const v = h.get(f);
  if (v === undefined) throw new RangeError('a field picked from a hash is not in it');
  if (c.resp === 3) c.reply.array(2);
  c.reply.bulk(f);
  c.reply.bulk(v);
}

/** `count` distinct elements of `all` (count < all.length), in random order. */
function distinctSample(all: readonly string[], count: number): string[] {
  if (count * 3 > all.length) {
    // A partial Fisher-Yates shuffle over a copy: cheaper than rejection when most are wanted.
    const a = all.slice();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (a.length - i));
      const t = a[i];
      const u = a[j];
      if (t === undefined || u === undefined) break;
      a[i] = u;
      a[j] = t;
    }
    a.length = count;
    return a;
  }
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(randomOf(all));
  return Array.from(chosen);
}

/** A uniformly random element of `all`, which must not be empty. */
function randomOf(all: readonly string[]): string {
  const x = all[Math.floor(Math.random() * all.length)];
  if (x === undefined) throw new RangeError('a random pick from an empty list');
  return x;
}

// --- HSCAN ---

function hscan(c: Client, argv: string[]): void {
  const cursor = parseCursor(arg(argv, 2));
  if (cursor === null) {
    c.reply.error(E.INVALID_CURSOR);
    return;
  }
  const h = readHash(c, arg(argv, 1));
  if (h === null) return;
  if (h === undefined) {
    replyScan(c, 0n, []);
    return;
  }
  const args = parseScanArgs(c, argv, 3, false, 'novalues');
  if (args === null) return;
  const { count, pattern, noValues } = args;
  // A listpack hash is returned whole in one call, whatever the cursor and COUNT, as Redis does.
  let next = 0n;
  let fields: Iterable<string> = h.fields.keys();
  if (h.encoding() === 'hashtable') {
    const step = c.db.scanCursors.step(h.fields, cursor, count);
    next = step.cursor;
    fields = step.keys;
  }
  const out: string[] = [];
  const now = c.db.clock.now();
  for (const f of fields) {
    if (pattern !== null && !globMatch(pattern, f)) continue;
    // Expired fields are skipped, not removed (a scan does not write).
    if (h.ttls !== null && h.isExpired(f, now)) continue;
    const v = h.get(f);
    if (v === undefined) continue;
    if (noValues) out.push(f);
    else out.push(f, v);
  }
  replyScan(c, next, out);
}

// --- the table ---

const rwUpdate: readonly KeySpec[] = [key(1, 'RW', 'UPDATE')];
const rwInsert: readonly KeySpec[] = [key(1, 'RW', 'INSERT')];
const rwDelete: readonly KeySpec[] = [key(1, 'RW', 'DELETE')];
const rwAccessUpdate: readonly KeySpec[] = [key(1, 'RW', 'ACCESS', 'UPDATE')];
const roAccess: readonly KeySpec[] = [key(1, 'RO', 'ACCESS')];
const ro: readonly KeySpec[] = [key(1, 'RO')];
const wrFast = ['write', 'denyoom', 'fast'] as const;
const aclWF = ['write', 'hash', 'fast'] as const;
const aclRF = ['read', 'hash', 'fast'] as const;
const aclRS = ['read', 'hash', 'slow'] as const;

export const hashCommands: readonly CommandSpec[] = withDocs(hashDocs, [
  { name: 'hset', arity: -4, flags: wrFast, acl: aclWF, keys: rwUpdate, run: hset },
  { name: 'hsetnx', arity: 4, flags: wrFast, acl: aclWF, keys: rwInsert, run: hsetnx },
  { name: 'hmset', arity: -4, flags: wrFast, acl: aclWF, keys: rwUpdate, run: hmset },
  { name: 'hget', arity: 3, flags: ['readonly', 'fast'], acl: aclRF, keys: roAccess, run: hget },
  { name: 'hmget', arity: -3, flags: ['readonly', 'fast'], acl: aclRF, keys: roAccess, run: hmget },
  { name: 'hdel', arity: -3, flags: ['write', 'fast'], acl: aclWF, keys: rwDelete, run: hdel },
  { name: 'hexists', arity: 3, flags: ['readonly', 'fast'], acl: aclRF, keys: ro, run: hexists },
  { name: 'hlen', arity: 2, flags: ['readonly', 'fast'], acl: aclRF, keys: ro, run: hlen },
  { name: 'hstrlen', arity: 3, flags: ['readonly', 'fast'], acl: aclRF, keys: ro, run: hstrlen },
  { name: 'hkeys', arity: 2, flags: ['readonly'], acl: aclRS, keys: roAccess, tips: ['nondeterministic_output_order'], run: hkeys },
  { name: 'hvals', arity: 2, flags: ['readonly'], acl: aclRS, keys: roAccess, tips: ['nondeterministic_output_order'], run: hvals },
  { name: 'hgetall', arity: 2, flags: ['readonly'], acl: aclRS, keys: roAccess, tips: ['nondeterministic_output_order'], run: hgetall },
  { name: 'hincrby', arity: 4, flags: wrFast, acl: aclWF, keys: rwAccessUpdate, run: hincrby },
  { name: 'hincrbyfloat', arity: 4, flags: wrFast, acl: aclWF, keys: rwAccessUpdate, run: hincrbyfloat },
  { name: 'hrandfield', arity: -2, flags: ['readonly'], acl: aclRS, keys: roAccess, tips: ['nondeterministic_output'], run: hrandfield },
  { name: 'hscan', arity: -3, flags: ['readonly'], acl: aclRS, keys: roAccess, tips: ['nondeterministic_output'], run: hscan },
]);
