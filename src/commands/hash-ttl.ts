// Hash-field expiration, as Redis 7.4 and 8.0 (t_hash.c): HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT,
// HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST, and Redis 8's HGETEX, HSETEX, HGETDEL. Replies,
// errors, events and what is propagated follow Redis 8.0.2: relative times propagate as absolute
// HPEXPIREAT, a time already past deletes the field and propagates HDEL instead.

import * as E from '../errors.js';
import { arg, is, parseInt64 } from '../protocol/args.js';
import { key, withDocs, type CommandSpec, type KeySpec } from './spec.js';
import { hashTtlDocs } from './docs/hash-ttl.js';
import type { Client } from '../server/client.js';
import { FIELD_TTL_MAX, HashValue } from '../store/hash.js';
import { notify, NOTIFY_GENERIC, NOTIFY_HASH } from '../server/notify.js';
import { dropExpiredField } from '../server/field-expiry.js';
import {
  fieldValue, isExpired, limits, readHash, writeHash, LAZY_KEEP_HASH, LAZY_NO_NOTIFY, LAZY_NO_SIGNAL,
} from './hash-fields.js';

/** What a field's TTL change came to (Redis's SetExRes): the integers HEXPIRE replies. */
const NO_FIELD = -2;
const NOT_MET = 0;
const SET = 1;
const DELETED = 2;

const COND_NX = 1;
const COND_XX = 2;
const COND_GT = 4;
const COND_LT = 8;

/** The lazy-expiry flags of the commands that announce once for all their fields. */
const LAZY_QUIET = LAZY_NO_NOTIFY | LAZY_NO_SIGNAL | LAZY_KEEP_HASH;

// --- arguments ---

/**
 * Redis's parseExpireTime: a non-negative integer in `unit`, plus `base`, no later than
 * FIELD_TTL_MAX; null after replying the error.
 */
function parseExpireTime(c: Client, text: string | undefined, seconds: boolean, base: number, name: string): number | null {
  const val = text === undefined ? null : parseInt64(text);
  if (val === null) {
    c.reply.error(E.NOT_INTEGER);
    return null;
  }
  if (val < 0n) {
    c.reply.error(E.FIELD_EXPIRE_NEGATIVE);
    return null;
  }
  let ms = val;
  if (seconds) {
    if (val > BigInt(Math.floor(FIELD_TTL_MAX / 1000))) {
      c.reply.error(E.INVALID_EXPIRE(name));
      return null;
    }
    ms = val * 1000n;
  }
  if (ms > BigInt(FIELD_TTL_MAX - base)) {
    c.reply.error(E.INVALID_EXPIRE(name));
    return null;
  }
  return Number(ms) + base;
}

/**
 * `FIELDS numfields field...` with FIELDS at `at`; the number of fields, or null after replying.
 * A numfields missing altogether reads as 0, as Redis (which gets a NULL object there).
 */
function parseFields(c: Client, argv: readonly string[], at: number, rangeError: string): number | null {
  const keyword = argv[at];
  if (keyword === undefined || !is(keyword, 'fields')) {
    c.reply.error(E.FIELDS_MISSING);
    return null;
  }
  const text = argv[at + 1];
  const n = text === undefined ? 0n : parseInt64(text);
  if (n === null || n < 1n) {
    c.reply.error(rangeError);
    return null;
  }
  if (n !== BigInt(argv.length - at - 2)) {
    c.reply.error(E.NUMFIELDS_MISMATCH);
    return null;
  }
  return Number(n);
}

/** The key is missing: every field answers `code`. */
function replyAll(c: Client, n: number, code: number): void {
  c.reply.array(n);
  for (let i = 0; i < n; i++) c.reply.integer(code);
}

// --- setting a field's TTL (Redis's hashTypeSetEx) ---

/**
 * Gives `field` the expiry `at` under condition `cond` (0 for none), or removes its TTL when `at`
 * is null. A time already past deletes the field (propagated as HDEL), except while loading.
 */
function setFieldTtl(c: Client, k: string, h: HashValue, field: string, at: number | null, cond: number): number {
  if (!h.has(field)) return NO_FIELD;
  const prev = h.ttlOf(field);
  if (at === null) return h.persist(field) ? SET : NOT_MET;
  if (prev === undefined) {
    // A field without a TTL counts as an infinite one: LT is met, XX and GT are not.
    if (cond & (COND_XX | COND_GT)) return NOT_MET;
  } else if ((cond === COND_GT && prev >= at) || (cond === COND_LT && prev <= at) || cond === COND_NX) {
    return NOT_MET;
  }
  // Not while loading nor on a replica (Redis's checkAlreadyExpired): the primary sends the HDEL.
  if (at <= c.db.clock.now() && c.server.loading === null && !c.server.replication.isReplica) {
    dropExpiredField(c.server, c.db, k, h, field);
    return DELETED;
  }
  h.setTtl(field, at);
  c.db.trackFieldTtl(k, at);
  return SET;
}

/** Deletes the hash if the command left it empty, with the `del` event. */
function dropIfEmpty(c: Client, k: string, h: HashValue): void {
  if (h.size !== 0) return;
  c.db.dropEmpty(k);
  notify(c, NOTIFY_GENERIC, 'del', k);
}

// --- HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT ---

function hexpireGeneric(c: Client, argv: string[], relative: boolean, seconds: boolean): void {
  const k = arg(argv, 1);
  const h = writeHash(c, k);
  if (h === null) return;
  const name = arg(argv, 0).toLowerCase();
  const expire = parseExpireTime(c, argv[2], seconds, relative ? c.db.clock.now() : 0, name);
  if (expire === null) return;
  const opt = arg(argv, 3);
  const cond = is(opt, 'nx') ? COND_NX : is(opt, 'xx') ? COND_XX : is(opt, 'gt') ? COND_GT : is(opt, 'lt') ? COND_LT : 0;
  const numAt = cond === 0 ? 4 : 5;
  const n = parseFields(c, argv, numAt - 1, E.NUMFIELDS_HEXPIRE);
  if (n === null) return;
  if (h === undefined) {
    replyAll(c, n, NO_FIELD);
    return;
  }
  // As Redis's hashTypeSetExInit: a listpack becomes a listpackex even if no field changes.
  h.enableTtls();
  c.reply.array(n);
  const kept: string[] = [];
  let updated = 0;
  let deleted = 0;
  for (let i = numAt + 1; i < argv.length; i++) {
    const field = arg(argv, i);
    const res = setFieldTtl(c, k, h, field, expire, cond);
    if (res === SET) {
      updated++;
      kept.push(field);
    } else if (res === DELETED) deleted++;
    c.reply.integer(res);
  }
  if (updated + deleted > 0) {
    c.db.modified(k, updated + deleted);
    notify(c, NOTIFY_HASH, deleted > 0 ? 'hdel' : 'hexpire', k);
  }
  dropIfEmpty(c, k, h);
  const propagation = c.server.propagation;
  if (updated === 0) {
    propagation.prevent();
    return;
  }
  if (!propagation.active) return;
  // HPEXPIREAT with the absolute time and only the fields that took it.
  const head = arg(argv, 0);
  const out = [name === 'hpexpireat' ? head : 'HPEXPIREAT', k, relative || seconds ? String(expire) : arg(argv, 2)];
  if (cond !== 0) out.push(opt);
  out.push(arg(argv, numAt - 1), kept.length === n ? arg(argv, numAt) : String(updated), ...kept);
  propagation.rewrite(out);
}

function hexpire(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, true, true);
}

function hpexpire(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, true, false);
}

function hexpireat(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, false, true);
}

function hpexpireat(c: Client, argv: string[]): void {
  hexpireGeneric(c, argv, false, false);
}

// --- HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME ---

function httlGeneric(c: Client, argv: string[], relative: boolean, seconds: boolean): void {
  const h = readHash(c, arg(argv, 1));
  if (h === null) return;
  const n = parseFields(c, argv, 2, E.NUMFIELDS_POSITIVE);
  if (n === null) return;
  if (h === undefined) {
    replyAll(c, n, NO_FIELD);
    return;
  }
  const now = c.db.clock.now();
  const base = relative ? now : 0;
  // Redis's listpackex reads a TTL equal to now as gone; its hash table only one before now.
  const listpack = h.encoding() !== 'hashtable';
  c.reply.array(n);
  for (let i = 4; i < argv.length; i++) {
    const field = arg(argv, i);
    if (!h.has(field)) {
      c.reply.integer(NO_FIELD);
      continue;
    }
    const at = h.ttlOf(field);
    if (at === undefined) c.reply.integer(-1);
    else if (listpack ? at <= now : at < now) c.reply.integer(NO_FIELD);
    else c.reply.integer(seconds ? Math.floor((at + 999 - base) / 1000) : at - base);
  }
}

function httl(c: Client, argv: string[]): void {
  httlGeneric(c, argv, true, true);
}

function hpttl(c: Client, argv: string[]): void {
  httlGeneric(c, argv, true, false);
}

function hexpiretime(c: Client, argv: string[]): void {
  httlGeneric(c, argv, false, true);
}

function hpexpiretime(c: Client, argv: string[]): void {
  httlGeneric(c, argv, false, false);
}

// --- HPERSIST ---

function hpersist(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = writeHash(c, k);
  if (h === null) return;
  const n = parseFields(c, argv, 2, E.NUMFIELDS_POSITIVE);
  if (n === null) return;
  if (h === undefined) {
    replyAll(c, n, NO_FIELD);
    return;
  }
  const now = c.db.clock.now();
  let changed = false;
  c.reply.array(n);
  for (let i = 4; i < argv.length; i++) {
    const field = arg(argv, i);
    const at = h.has(field) ? h.ttlOf(field) : null;
    if (at === null) c.reply.integer(NO_FIELD);
    else if (at === undefined) c.reply.integer(-1);
    // Already past: as if the field were not there.
    else if (at < now) c.reply.integer(NO_FIELD);
    else {
      h.persist(field);
      changed = true;
      c.reply.integer(1);
    }
  }
  if (changed) {
    notify(c, NOTIFY_HASH, 'hpersist', k);
    c.db.modified(k, 1);
  }
}

// --- HGETEX ---

const GETEX_EX = 1;
const GETEX_PX = 2;
const GETEX_EXAT = 3;
const GETEX_PXAT = 4;
const GETEX_PERSIST = 5;

function hgetex(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = writeHash(c, k);
  if (h === null) return;
  const opt = arg(argv, 2);
  const cond = is(opt, 'ex') ? GETEX_EX : is(opt, 'px') ? GETEX_PX : is(opt, 'exat') ? GETEX_EXAT : is(opt, 'pxat') ? GETEX_PXAT : is(opt, 'persist') ? GETEX_PERSIST : 0;
  let numAt = 3;
  let expire: number | null = null;
  if (cond !== 0 && cond !== GETEX_PERSIST) {
    numAt += 2;
    const relative = cond === GETEX_EX || cond === GETEX_PX;
    expire = parseExpireTime(c, argv[3], cond === GETEX_EX || cond === GETEX_EXAT, relative ? c.db.clock.now() : 0, 'hgetex');
    if (expire === null) return;
  } else if (cond === GETEX_PERSIST) numAt += 1;
  const n = parseFields(c, argv, numAt - 1, E.NUMFIELDS_POSITIVE);
  if (n === null) return;
  if (h === undefined) {
    c.reply.array(n);
    for (let i = 0; i < n; i++) c.reply.nil();
    return;
  }
  if (cond !== 0) h.enableTtls();
  let expired = 0;
  let deleted = 0;
  let updated = 0;
  c.reply.array(n);
  for (let i = numAt + 1; i < argv.length; i++) {
    const field = arg(argv, i);
    const v = fieldValue(c, k, h, field, LAZY_QUIET);
    if (isExpired(v)) {
      expired++;
      c.reply.nil();
      continue;
    }
    c.reply.bulkOrNil(v);
    if (v === undefined || cond === 0) continue;
    const res = setFieldTtl(c, k, h, field, expire, 0);
    if (res === SET) updated++;
    else if (res === DELETED) deleted++;
  }
  if (expired === 0 && deleted === 0 && updated === 0) return;
  if (deleted + updated > 0) c.db.modified(k, deleted + updated);
  else c.db.modified(k, 0);
  const propagation = c.server.propagation;
  if (expired > 0) notify(c, NOTIFY_HASH, 'hexpired', k);
  if (updated > 0) {
    const fields = argv.slice(numAt - 1);
    if (cond === GETEX_PERSIST) {
      notify(c, NOTIFY_HASH, 'hpersist', k);
      if (propagation.active) propagation.rewrite(['HPERSIST', k, ...fields]);
    } else {
      notify(c, NOTIFY_HASH, 'hexpire', k);
      const when = cond === GETEX_PXAT ? arg(argv, 3) : String(expire);
      if (propagation.active) propagation.rewrite(['HPEXPIREAT', k, when, ...fields]);
    }
  } else if (deleted > 0) {
    notify(c, NOTIFY_HASH, 'hdel', k);
    propagation.prevent();
  }
  dropIfEmpty(c, k, h);
}

// --- HSETEX ---

const SETEX_EX = 1;
const SETEX_PX = 2;
const SETEX_EXAT = 4;
const SETEX_PXAT = 8;
const SETEX_KEEPTTL = 16;
const SETEX_FXX = 32;
const SETEX_FNX = 64;
const SETEX_EXPIRY = SETEX_EX | SETEX_PX | SETEX_EXAT | SETEX_PXAT;

interface SetexArgs {
  flags: number;
  expire: number;
  /** Index of the expiry time in argv, -1 without one. */
  expireAt: number;
  firstField: number;
  count: number;
}

/** Redis's hsetexParseArgs, errors in its order; null after replying. */
function parseSetex(c: Client, argv: readonly string[]): SetexArgs | null {
  const out: SetexArgs = { flags: 0, expire: 0, expireAt: -1, firstField: -1, count: 0 };
  const units: [string, number, boolean, boolean][] = [
    ['ex', SETEX_EX, true, true],
    ['px', SETEX_PX, false, true],
    ['exat', SETEX_EXAT, true, false],
    ['pxat', SETEX_PXAT, false, false],
  ];
  for (let i = 2; i < argv.length; i++) {
    const a = arg(argv, i);
    if (is(a, 'fields')) {
      if (i >= argv.length - 3) {
        c.reply.error(E.wrongArity('hsetex'));
        return null;
      }
      const n = parseInt64(arg(argv, i + 1));
      if (n === null || n < 1n || n > 2147483647n) {
        c.reply.error(E.HSETEX_NUMFIELDS);
        return null;
      }
      const remaining = argv.length - i - 2;
      if (remaining % 2 !== 0 || n !== BigInt(remaining / 2)) {
        c.reply.error(E.wrongArity('hsetex'));
        return null;
      }
      out.firstField = i + 2;
      out.count = Number(n);
      return out;
    }
    const unit = units.find((u) => is(a, u[0]));
    if (unit !== undefined) {
      if (out.flags & (SETEX_EXPIRY | SETEX_KEEPTTL)) {
        c.reply.error(E.HSETEX_ONE_EXPIRATION);
        return null;
      }
      if (i >= argv.length - 1) {
        c.reply.error(E.HSETEX_MISSING_EXPIRE);
        return null;
      }
      out.flags |= unit[1];
      i++;
      const at = parseExpireTime(c, argv[i], unit[2], unit[3] ? c.db.clock.now() : 0, 'hsetex');
      if (at === null) return null;
      out.expire = at;
      out.expireAt = i;
    } else if (is(a, 'keepttl')) {
      if (out.flags & (SETEX_EXPIRY | SETEX_KEEPTTL)) {
        c.reply.error(E.HSETEX_ONE_EXPIRATION);
        return null;
      }
      out.flags |= SETEX_KEEPTTL;
    } else if (is(a, 'fxx') || is(a, 'fnx')) {
      if (out.flags & (SETEX_FXX | SETEX_FNX)) {
        c.reply.error(E.HSETEX_ONE_CONDITION);
        return null;
      }
      out.flags |= is(a, 'fxx') ? SETEX_FXX : SETEX_FNX;
    } else {
      c.reply.error(E.unknownArgument(a));
      return null;
    }
  }
  // Unreachable with the arity of -6 (options take at most three arguments); Redis asserts here.
  c.reply.error(E.wrongArity('hsetex'));
  return null;
}

function hsetex(c: Client, argv: string[]): void {
  const p = parseSetex(c, argv);
  if (p === null) return;
  const k = arg(argv, 1);
  const found = writeHash(c, k);
  if (found === null) return;
  if (found === undefined && (p.flags & SETEX_FXX) !== 0) {
    c.reply.integer(0);
    return;
  }
  const h = found ?? new HashValue();
  // As dbAdd: the key is made empty, its fields count below.
  if (found === undefined) c.db.set(k, h, false, 0);
  if (p.flags & (SETEX_FXX | SETEX_FNX)) {
    let present = 0;
    for (let i = 0; i < p.count; i++) {
      const v = fieldValue(c, k, h, arg(argv, p.firstField + i * 2), LAZY_QUIET);
      const exists = typeof v === 'string';
      if (exists) present++;
      if (((p.flags & SETEX_FXX) !== 0 && !exists) || ((p.flags & SETEX_FNX) !== 0 && exists)) break;
    }
    if (((p.flags & SETEX_FNX) !== 0 && present !== 0) || ((p.flags & SETEX_FXX) !== 0 && present !== p.count)) {
      c.reply.integer(0);
      dropIfEmpty(c, k, h);
      return;
    }
  }
  const withExpiry = (p.flags & SETEX_EXPIRY) !== 0;
  if (withExpiry) h.enableTtls();
  const lim = limits(c);
  const keepTtl = (p.flags & (SETEX_EXPIRY | SETEX_KEEPTTL)) !== 0;
  let updated = 0;
  let deleted = 0;
  for (let i = 0; i < p.count; i++) {
    const field = arg(argv, p.firstField + i * 2);
    h.set(field, arg(argv, p.firstField + i * 2 + 1), lim, keepTtl);
    if (!withExpiry) continue;
    const res = setFieldTtl(c, k, h, field, p.expire, 0);
    if (res === SET) updated++;
    else if (res === DELETED) deleted++;
  }
  c.db.modified(k, p.count);
  notify(c, NOTIFY_HASH, 'hset', k);
  if (deleted > 0 || updated > 0) notify(c, NOTIFY_HASH, deleted > 0 ? 'hdel' : 'hexpire', k);
  const propagation = c.server.propagation;
  if (deleted > 0) propagation.prevent();
  else if (withExpiry && (p.flags & SETEX_PXAT) === 0 && propagation.active) {
    const out = argv.slice();
    out[p.expireAt - 1] = 'PXAT';
    out[p.expireAt] = String(p.expire);
    propagation.rewrite(out);
  }
  c.reply.integer(1);
  dropIfEmpty(c, k, h);
}

// --- HGETDEL ---

function hgetdel(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const h = writeHash(c, k);
  if (h === null) return;
  const n = parseFields(c, argv, 2, E.NUMFIELDS_POSITIVE);
  if (n === null) return;
  let expired = 0;
  let deleted = 0;
  c.reply.array(n);
  for (let i = 4; i < argv.length; i++) {
    if (h === undefined) {
      c.reply.nil();
      continue;
    }
    const field = arg(argv, i);
    const v = fieldValue(c, k, h, field, LAZY_QUIET);
    if (isExpired(v)) {
      expired++;
      c.reply.nil();
      continue;
    }
    c.reply.bulkOrNil(v);
    if (v !== undefined) {
      h.delete(field);
      deleted++;
    }
  }
  if (h === undefined || (expired === 0 && deleted === 0)) return;
  c.db.modified(k, deleted);
  if (expired > 0) notify(c, NOTIFY_HASH, 'hexpired', k);
  if (deleted > 0) {
    notify(c, NOTIFY_HASH, 'hdel', k);
    const propagation = c.server.propagation;
    if (propagation.active) propagation.rewrite(['HDEL', k, ...argv.slice(4)]);
  }
  dropIfEmpty(c, k, h);
}

// --- the table ---

const rwUpdate: readonly KeySpec[] = [key(1, 'RW', 'UPDATE')];
const rwAccessUpdate: readonly KeySpec[] = [{ ...key(1, 'RW', 'ACCESS', 'UPDATE'), notes: 'RW and UPDATE because it changes the TTL' }];
const rwAccessDelete: readonly KeySpec[] = [key(1, 'RW', 'ACCESS', 'DELETE')];
const roAccess: readonly KeySpec[] = [key(1, 'RO', 'ACCESS')];
const wf = ['write', 'fast'] as const;
const rf = ['readonly', 'fast'] as const;
const aclW = ['write', 'hash', 'fast'] as const;
const aclR = ['read', 'hash', 'fast'] as const;
const nondeterministic = ['nondeterministic_output'] as const;

export const hashTtlCommands: readonly CommandSpec[] = withDocs(hashTtlDocs, [
  { name: 'hexpire', arity: -6, flags: wf, acl: aclW, keys: rwUpdate, run: hexpire },
  { name: 'hpexpire', arity: -6, flags: wf, acl: aclW, keys: rwUpdate, run: hpexpire },
  { name: 'hexpireat', arity: -6, flags: wf, acl: aclW, keys: rwUpdate, run: hexpireat },
  { name: 'hpexpireat', arity: -6, flags: wf, acl: aclW, keys: rwUpdate, run: hpexpireat },
  { name: 'httl', arity: -5, flags: rf, acl: aclR, keys: roAccess, tips: nondeterministic, run: httl },
  { name: 'hpttl', arity: -5, flags: rf, acl: aclR, keys: roAccess, tips: nondeterministic, run: hpttl },
  { name: 'hexpiretime', arity: -5, flags: rf, acl: aclR, keys: roAccess, run: hexpiretime },
  { name: 'hpexpiretime', arity: -5, flags: rf, acl: aclR, keys: roAccess, run: hpexpiretime },
  { name: 'hpersist', arity: -5, flags: wf, acl: aclW, keys: rwUpdate, run: hpersist },
  { name: 'hgetex', arity: -5, flags: wf, acl: aclW, keys: rwAccessUpdate, run: hgetex },
  { name: 'hsetex', arity: -6, flags: ['write', 'denyoom', 'fast'], acl: aclW, keys: rwUpdate, run: hsetex },
  { name: 'hgetdel', arity: -5, flags: wf, acl: aclW, keys: rwAccessDelete, run: hgetdel },
]);
