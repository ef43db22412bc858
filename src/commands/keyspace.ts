// The keyspace (generic) family: DEL, EXISTS, TYPE, RENAME, KEYS, SCAN, OBJECT, the EXPIRE and TTL
// commands, PERSIST, and the whole-database commands DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, MOVE, COPY.

import * as E from '../errors.js';
import { arg, parseInt64, parseInteger, is } from '../protocol/args.js';
import { parseScanArgs, replyScan } from './scan-args.js';
import { key, keyRange, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { keyspaceDocs } from './docs/keyspace.js';
import type { Client } from '../server/client.js';
import type { Database } from '../store/database.js';
import { typeOf, type Value } from '../store/types.js';
import { globMatch } from '../store/glob.js';
import { parseCursor } from '../store/scan.js';
import { copyValue } from '../store/copy.js';
import { encodingOf, refcountOf, stringEncoding } from '../store/encoding.js';
import { expireAtMs, setExpireMs } from '../store/ttl.js';
import { notify, notifyDb, NOTIFY_GENERIC } from '../server/notify.js';
import { INT64_MAX, INT64_MIN } from '../int64.js';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

// --- helpers ---

/** Redis's lookupKeyRead: a read lookup counts as a keyspace hit or miss. */
function lookupRead(db: Database, k: string, touch: boolean): Value | undefined {
  return db.getRead(k, touch);
}

/** getIntFromObjectOrReply: a C int, with Redis's error (or `rangeError` when given). */
function intArg(c: Client, text: string, rangeError?: string): number | null {
  const n = parseInteger(text);
  if (n === null) {
    c.reply.error(rangeError ?? E.NOT_INTEGER);
    return null;
  }
  if (n < INT_MIN || n > INT_MAX) {
    c.reply.error(rangeError ?? E.INT_OUT_OF_RANGE);
    return null;
  }
  return n;
}

/** The database numbered by `text`, or null after replying with the error. */
function dbArg(c: Client, text: string): Database | null {
  const id = intArg(c, text);
  if (id === null) return null;
  const db = c.server.dbs[id];
  if (db === undefined) {
    c.reply.error(E.DB_INDEX_OUT_OF_RANGE);
    return null;
  }
  return db;
}

/**
 * Runs a per-type store helper that throws for a type it does not know yet (copy, encoding):
 * the client gets an error instead of the exception taking the server down.
 */
function tryStore<T>(c: Client, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    c.reply.error(E.errorFrom(err));
    return undefined;
  }
}

function maxmemoryPolicy(c: Client): string {
  const cfg = c.server.config;
  return cfg.lookup('maxmemory-policy') === undefined ? 'noeviction' : cfg.str('maxmemory-policy');
}

// --- DEL, UNLINK, EXISTS, TYPE, TOUCH ---

/**
 * DEL and UNLINK. Removing a key is O(1) here whatever its size (the garbage collector frees the
 * value), so UNLINK differs only in how the value counts in INFO's lazyfreed_objects, as does DEL
 * under lazyfree-lazy-user-del.
 */
function delGeneric(c: Client, argv: string[], lazy: boolean): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const k = argv[i];
    if (k === undefined) break;
    if (c.db.delete(k, lazy)) {
      n++;
      notify(c, NOTIFY_GENERIC, 'del', k);
    }
  }
  c.reply.integer(n);
}

function del(c: Client, argv: string[]): void {
  delGeneric(c, argv, c.server.store.lazyfree.userDel);
}

function unlink(c: Client, argv: string[]): void {
  delGeneric(c, argv, true);
}

function exists(c: Client, argv: string[]): void {
  let n = 0;
  for (const k of argv.slice(1)) if (lookupRead(c.db, k, false) !== undefined) n++;
  c.reply.integer(n);
}

function type(c: Client, argv: string[]): void {
  const v = lookupRead(c.db, arg(argv, 1), false);
  c.reply.status(v === undefined ? 'none' : typeOf(v));
}

function touch(c: Client, argv: string[]): void {
  let n = 0;
  for (const k of argv.slice(1)) if (lookupRead(c.db, k, true) !== undefined) n++;
  c.reply.integer(n);
}

// --- RENAME, RENAMENX, MOVE, COPY ---

function renameGeneric(c: Client, argv: string[], nx: boolean): void {
  const db = c.db;
  const src = arg(argv, 1);
  const dst = arg(argv, 2);
  const v = db.get(src);
  if (v === undefined) {
    c.reply.error(E.NO_SUCH_KEY);
    return;
  }
  if (src === dst) {
    if (nx) c.reply.integer(0);
    else c.reply.ok();
    return;
  }
  if (nx && db.has(dst)) {
    c.reply.integer(0);
    return;
  }
  const at = expireAtMs(db, src);
  const encoding = db.stringEncodingOf(src);
  // Redis counts RENAME, MOVE and COPY as one change however many steps they take here.
  const dirty = db.stats.dirty;
  // Replacing a key deletes it first, so the new one is 'new' (Redis's dbDelete + dbAdd).
  db.delete(dst);
  db.set(dst, v);
  if (at !== undefined) setExpireMs(db, dst, at);
  // The same object changes name, so it keeps its representation.
  if (encoding !== undefined) db.markStringEncoding(dst, encoding);
  // The value lives on under `dst`: nothing is freed.
  db.delete(src, false);
  db.stats.dirty = dirty + 1;
  notify(c, NOTIFY_GENERIC, 'rename_from', src);
  notify(c, NOTIFY_GENERIC, 'rename_to', dst);
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

function rename(c: Client, argv: string[]): void {
  renameGeneric(c, argv, false);
}

function renamenx(c: Client, argv: string[]): void {
  renameGeneric(c, argv, true);
}

function move(c: Client, argv: string[]): void {
  if (c.server.cluster.enabled) {
    c.reply.error(E.MOVE_IN_CLUSTER);
    return;
  }
  const src = c.db;
  const dst = dbArg(c, arg(argv, 2));
  if (dst === null) return;
  if (dst === src) {
    c.reply.error(E.SAME_OBJECT);
    return;
  }
  const k = arg(argv, 1);
  const v = src.get(k);
  if (v === undefined || dst.get(k) !== undefined) {
    c.reply.integer(0);
    return;
  }
  const at = expireAtMs(src, k);
  const encoding = src.stringEncodingOf(k);
  const dirty = src.stats.dirty;
  dst.set(k, v);
  if (at !== undefined) setExpireMs(dst, k, at);
  if (encoding !== undefined) dst.markStringEncoding(k, encoding);
  src.delete(k, false);
  src.stats.dirty = dirty + 1;
  notify(c, NOTIFY_GENERIC, 'move_from', k);
  notifyDb(c.server, dst.id, NOTIFY_GENERIC, 'move_to', k);
  c.reply.integer(1);
}

function copy(c: Client, argv: string[]): void {
  const src = c.db;
  let dst = c.db;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const next = argv[j + 1];
    if (is(opt, 'replace')) {
      replace = true;
    } else if (is(opt, 'db') && next !== undefined) {
      j++;
      const db = dbArg(c, next);
      if (db === null) return;
      dst = db;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  if (c.server.cluster.enabled && (src.id !== 0 || dst.id !== 0)) {
    c.reply.error(E.COPY_DB_IN_CLUSTER);
    return;
  }
  const from = arg(argv, 1);
  const to = arg(argv, 2);
  if (src === dst && from === to) {
    c.reply.error(E.SAME_OBJECT);
    return;
  }
  const v = lookupRead(src, from, true);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  if (dst.get(to) !== undefined && !replace) {
    c.reply.integer(0);
    return;
  }
  const at = expireAtMs(src, from);
  const dup = tryStore(c, () => copyValue(v));
  if (dup === undefined) return;
  const dirty = dst.stats.dirty;
  if (replace) dst.delete(to);
  dst.set(to, dup);
  if (at !== undefined) setExpireMs(dst, to, at);
  // Redis duplicates the object with its encoding; a shared small integer becomes a private one.
  if (typeof dup === 'string') dst.markStringEncoding(to, src.stringEncodingOf(from) ?? stringEncoding(dup));
  dst.stats.dirty = dirty + 1;
  notifyDb(c.server, dst.id, NOTIFY_GENERIC, 'copy_to', to);
  c.reply.integer(1);
}

// --- KEYS, SCAN, RANDOMKEY, DBSIZE ---

function keys(c: Client, argv: string[]): void {
  const pattern = arg(argv, 1);
  const all = pattern === '*';
  const t = c.db.clock.now();
  const expires = c.db.expires;
  const out: string[] = [];
  // Like Redis, expired keys are skipped but not removed: KEYS does not write.
  for (const k of c.db.data.keys()) {
    if (!all && !globMatch(pattern, k)) continue;
    const at = expires.size === 0 ? undefined : expires.get(k);
    if (at === undefined || at > t) out.push(k);
  }
  c.reply.bulks(out);
}

function scan(c: Client, argv: string[]): void {
  const cursor = parseCursor(arg(argv, 1));
  if (cursor === null) {
    c.reply.error(E.INVALID_CURSOR);
    return;
  }
  const args = parseScanArgs(c, argv, 2, true);
  if (args === null) return;
  const { count, pattern, type: typeName } = args;
  const db = c.db;
  const step = db.scanCursors.step(db.data, cursor, count);
  const out: string[] = [];
  for (const k of step.keys) {
    if (pattern !== null && !globMatch(pattern, k)) continue;
    if (typeName !== null) {
      const v = lookupRead(db, k, false);
      if (v === undefined || typeOf(v) !== typeName) continue;
    } else if (!db.has(k)) {
      continue;
    }
    out.push(k);
  }
  replyScan(c, step.cursor, out);
}

function randomkey(c: Client): void {
  c.reply.bulkOrNil(c.db.randomKey());
}

function dbsize(c: Client): void {
  c.reply.integer(c.db.size);
}

// --- FLUSHDB, FLUSHALL, SWAPDB ---

/**
 * ASYNC and SYNC both free at once (there is no background thread, and the Map swap is O(1)); an
 * asynchronous flush (ASYNC, or no argument under lazyfree-lazy-user-flush) counts its keys in
 * lazyfreed_objects as Redis does. Null after a syntax error, which it answers.
 */
function flushMode(c: Client, argv: string[]): { async: boolean } | null {
  const mode = argv[1];
  if (mode === undefined) return { async: c.server.store.lazyfree.userFlush };
  if (argv.length === 2 && (is(mode, 'sync') || is(mode, 'async'))) return { async: is(mode, 'async') };
  c.reply.error(E.SYNTAX);
  return null;
}

/** Redis's trackingInvalidateKeysOnFlush: an asynchronous flush frees the tracking table in the background too. */
function flushTracking(c: Client, async: boolean): void {
  const tracking = c.server.tracking;
  if (async) c.server.store.lazyfree.freeRadixTree(() => tracking.tableKeys(), tracking.totalKeys);
}

function flushOne(db: Database, async: boolean): void {
  // Parked SCAN walks would otherwise keep the old keyspace alive.
  db.scanCursors.forget(db.data);
  db.clear(async);
}

function flushdb(c: Client, argv: string[]): void {
  const mode = flushMode(c, argv);
  if (mode === null) return;
  flushTracking(c, mode.async);
  flushOne(c.db, mode.async);
  // Even an empty database's flush goes to the AOF and replicas, as Redis forces it.
  c.server.propagation.force();
  c.reply.ok();
}

function flushall(c: Client, argv: string[]): void {
  const mode = flushMode(c, argv);
  if (mode === null) return;
  flushTracking(c, mode.async);
  // As Redis 7.0: the keys removed are the changes (none for an empty dataset).
  for (const db of c.server.dbs) flushOne(db, mode.async);
  c.server.propagation.force();
  // As Redis: a running BGSAVE is stopped, and with save points the empty dataset is saved now
  // (which leaves rdb_changes_since_last_save at 0).
  c.server.rdb.afterFlushAll();
  c.reply.ok();
}

function swapdb(c: Client, argv: string[]): void {
  if (c.server.cluster.enabled) {
    c.reply.error(E.SWAPDB_IN_CLUSTER);
    return;
  }
  const id1 = intArg(c, arg(argv, 1), E.INVALID_FIRST_DB);
  if (id1 === null) return;
  const id2 = intArg(c, arg(argv, 2), E.INVALID_SECOND_DB);
  if (id2 === null) return;
  const dbs = c.server.dbs;
  const a = dbs[id1];
  const b = dbs[id2];
  if (a === undefined || b === undefined) {
    c.reply.error(E.DB_INDEX_OUT_OF_RANGE);
    return;
  }
  if (a !== b) a.swapWith(b);
  c.db.stats.dirty++;
  c.reply.ok();
}

// --- EXPIRE family, TTL family, PERSIST ---

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** The NX|XX|GT|LT flags after the time, or null after replying with the error. */
function expireFlags(c: Client, argv: string[]): number | null {
  let flags = 0;
  for (const opt of argv.slice(3)) {
    if (is(opt, 'nx')) flags |= EXPIRE_NX;
    else if (is(opt, 'xx')) flags |= EXPIRE_XX;
    else if (is(opt, 'gt')) flags |= EXPIRE_GT;
    else if (is(opt, 'lt')) flags |= EXPIRE_LT;
    else {
      c.reply.error(E.unsupportedOption(opt));
      return null;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    c.reply.error(E.EXPIRE_OPTIONS_NX_XX_GT_LT);
    return null;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    c.reply.error(E.EXPIRE_OPTIONS_GT_LT);
    return null;
  }
  return flags;
}

/** The shared body of EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis's expireGenericCommand). */
function expireGeneric(c: Client, argv: string[], name: string, relative: boolean, seconds: boolean): void {
  const flags = expireFlags(c, argv);
  if (flags === null) return;
  let when = parseInt64(arg(argv, 2));
  if (when === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  // Times are signed 64-bit milliseconds; refuse what would overflow, as Redis does.
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
      c.reply.error(E.INVALID_EXPIRE(name));
      return;
    }
    when *= 1000n;
  }
  const base = relative ? BigInt(c.db.clock.now()) : 0n;
  if (when > INT64_MAX - base) {
    c.reply.error(E.INVALID_EXPIRE(name));
    return;
  }
  when += base;
  const db = c.db;
  const k = arg(argv, 1);
  if (db.get(k) === undefined) {
    c.reply.integer(0);
    return;
  }
  if (flags !== 0) {
    const current = expireAtMs(db, k);
    // A key without a TTL counts as expiring never: GT always fails on it, LT always passes.
    const refused =
      (flags & EXPIRE_NX && current !== undefined) ||
      (flags & EXPIRE_XX && current === undefined) ||
      (flags & EXPIRE_GT && (current === undefined || when <= current)) ||
      (flags & EXPIRE_LT && current !== undefined && when >= current);
    if (refused) {
      c.reply.integer(0);
      return;
    }
  }
  const propagation = c.server.propagation;
  if (when <= BigInt(db.clock.now())) {
    db.delete(k, c.server.store.lazyfree.expire);
    notify(c, NOTIFY_GENERIC, 'del', k);
    // Already past: replayed later it must still delete, whatever the clock says then.
    if (propagation.active) propagation.rewrite([c.server.store.lazyfree.expire ? 'UNLINK' : 'DEL', k]);
  } else {
    setExpireMs(db, k, when);
    notify(c, NOTIFY_GENERIC, 'expire', k);
    // A relative time means something else when replayed: the AOF gets the absolute one.
    if (propagation.active) propagation.rewrite(['PEXPIREAT', k, String(when), ...argv.slice(3)]);
  }
  c.reply.integer(1);
}

function expire(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 'expire', true, true);
}

function pexpire(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 'pexpire', true, false);
}

function expireat(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 'expireat', false, true);
}

function pexpireat(c: Client, argv: string[]): void {
  expireGeneric(c, argv, 'pexpireat', false, false);
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for one without a TTL. */
function ttlGeneric(c: Client, argv: string[], ms: boolean, absolute: boolean): void {
  const db = c.db;
  const k = arg(argv, 1);
  if (lookupRead(db, k, false) === undefined) {
    c.reply.integer(-2);
    return;
  }
  const at = expireAtMs(db, k);
  if (at === undefined) {
    c.reply.integer(-1);
    return;
  }
  let ttl = absolute ? at : at - BigInt(db.clock.now());
  if (ttl < 0n) ttl = 0n;
  // Seconds round to nearest, as Redis's (ttl+500)/1000.
  c.reply.integer(ms ? ttl : (ttl + 500n) / 1000n);
}

function ttl(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, false, false);
}

function pttl(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, true, false);
}

function expiretime(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, false, true);
}

function pexpiretime(c: Client, argv: string[]): void {
  ttlGeneric(c, argv, true, true);
}

function persist(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const done = c.db.get(k) !== undefined && c.db.persist(k);
  if (done) notify(c, NOTIFY_GENERIC, 'persist', k);
  c.reply.integer(done ? 1 : 0);
}

// --- OBJECT ---

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

function objectHelp(c: Client): void {
  c.reply.array(OBJECT_HELP.length);
  for (const line of OBJECT_HELP) c.reply.status(line);
}

/** OBJECT looks keys up without touching them, and answers nil for a missing one. */
function objectLookup(c: Client, argv: string[]): Value | undefined {
  const v = lookupRead(c.db, arg(argv, 2), false);
  if (v === undefined) c.reply.nil();
  return v;
}

function objectEncoding(c: Client, argv: string[]): void {
  const v = objectLookup(c, argv);
  if (v === undefined) return;
  const encoding = tryStore(c, () => encodingOf(c.db, arg(argv, 2), v));
  if (encoding !== undefined) c.reply.bulk(encoding);
}

function objectRefcount(c: Client, argv: string[]): void {
  const v = objectLookup(c, argv);
  if (v !== undefined) c.reply.integer(refcountOf(c.db, arg(argv, 2), v));
}

function objectIdletime(c: Client, argv: string[]): void {
  if (objectLookup(c, argv) === undefined) return;
  if (maxmemoryPolicy(c).includes('lfu')) c.reply.error(E.LFU_SELECTED);
  else c.reply.integer(c.db.idleSeconds(arg(argv, 2)));
}

function objectFreq(c: Client, argv: string[]): void {
  if (objectLookup(c, argv) === undefined) return;
  if (!maxmemoryPolicy(c).includes('lfu')) c.reply.error(E.LFU_NOT_SELECTED);
  else c.reply.integer(c.db.frequency(arg(argv, 2)));
}

// --- the table ---

const rw = ['keyspace', 'write', 'fast'] as const;
const ro = ['keyspace', 'read', 'fast'] as const;
const multiShard = ['request_policy:multi_shard', 'response_policy:agg_sum'];
const allShards = ['request_policy:all_shards', 'response_policy:all_succeeded'];

const expireKeys = [key(1, 'RW', 'UPDATE')];
const ttlKeys = [key(1, 'RO', 'ACCESS')];
const objectKeys = [key(2, 'RO')];
const objectAcl = ['keyspace', 'read', 'slow'] as const;
const nondet = ['nondeterministic_output'];

export const keyspaceCommands: readonly CommandSpec[] = withDocs(keyspaceDocs, [
  { name: 'del', arity: -2, flags: ['write'], acl: ['keyspace', 'write', 'slow'], keys: [keyRange(1, -1, 1, 'RM', 'DELETE')], tips: multiShard, run: del },
  { name: 'unlink', arity: -2, flags: ['write', 'fast'], acl: rw, keys: [keyRange(1, -1, 1, 'RM', 'DELETE')], tips: multiShard, run: unlink },
  { name: 'exists', arity: -2, flags: ['readonly', 'fast'], acl: ro, keys: [keyRange(1, -1, 1, 'RO')], tips: multiShard, run: exists },
  { name: 'type', arity: 2, flags: ['readonly', 'fast'], acl: ro, keys: [key(1, 'RO')], run: type },
  { name: 'rename', arity: 3, flags: ['write'], acl: ['keyspace', 'write', 'slow'], keys: [key(1, 'RW', 'ACCESS', 'DELETE'), key(2, 'OW', 'UPDATE')], run: rename },
  { name: 'renamenx', arity: 3, flags: ['write', 'fast'], acl: rw, keys: [key(1, 'RW', 'ACCESS', 'DELETE'), key(2, 'OW', 'INSERT')], run: renamenx },
  { name: 'keys', arity: 2, flags: ['readonly'], acl: ['keyspace', 'read', 'slow', 'dangerous'], keys: NO_KEYS, tips: ['request_policy:all_shards', 'nondeterministic_output_order'], run: keys },
  { name: 'scan', arity: -2, flags: ['readonly'], acl: ['keyspace', 'read', 'slow'], keys: NO_KEYS, tips: ['nondeterministic_output', 'request_policy:special'], run: scan },
  { name: 'randomkey', arity: 1, flags: ['readonly'], acl: ['keyspace', 'read', 'slow'], keys: NO_KEYS, tips: ['request_policy:all_shards', 'nondeterministic_output'], run: randomkey },
  { name: 'touch', arity: -2, flags: ['readonly', 'fast'], acl: ro, keys: [keyRange(1, -1, 1, 'RO')], tips: multiShard, run: touch },
  {
    name: 'object', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    subcommands: [
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['keyspace', 'slow'], keys: NO_KEYS, run: objectHelp },
      { name: 'idletime', arity: 3, flags: ['readonly'], acl: objectAcl, keys: objectKeys, tips: nondet, run: objectIdletime },
      { name: 'freq', arity: 3, flags: ['readonly'], acl: objectAcl, keys: objectKeys, tips: nondet, run: objectFreq },
      { name: 'encoding', arity: 3, flags: ['readonly'], acl: objectAcl, keys: objectKeys, tips: nondet, run: objectEncoding },
      { name: 'refcount', arity: 3, flags: ['readonly'], acl: objectAcl, keys: objectKeys, tips: nondet, run: objectRefcount },
    ],
  },
  { name: 'expire', arity: -3, flags: ['write', 'fast'], acl: rw, keys: expireKeys, run: expire },
  { name: 'pexpire', arity: -3, flags: ['write', 'fast'], acl: rw, keys: expireKeys, run: pexpire },
  { name: 'expireat', arity: -3, flags: ['write', 'fast'], acl: rw, keys: expireKeys, run: expireat },
  { name: 'pexpireat', arity: -3, flags: ['write', 'fast'], acl: rw, keys: expireKeys, run: pexpireat },
  { name: 'ttl', arity: 2, flags: ['readonly', 'fast'], acl: ro, keys: ttlKeys, tips: nondet, run: ttl },
  { name: 'pttl', arity: 2, flags: ['readonly', 'fast'], acl: ro, keys: ttlKeys, tips: nondet, run: pttl },
  { name: 'expiretime', arity: 2, flags: ['readonly', 'fast'], acl: ro, keys: ttlKeys, run: expiretime },
  { name: 'pexpiretime', arity: 2, flags: ['readonly', 'fast'], acl: ro, keys: ttlKeys, run: pexpiretime },
  { name: 'persist', arity: 2, flags: ['write', 'fast'], acl: rw, keys: expireKeys, run: persist },
  { name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], acl: ro, keys: NO_KEYS, tips: ['request_policy:all_shards', 'response_policy:agg_sum'], run: dbsize },
  { name: 'flushdb', arity: -1, flags: ['write'], acl: ['keyspace', 'write', 'slow', 'dangerous'], keys: NO_KEYS, tips: allShards, run: flushdb },
  { name: 'flushall', arity: -1, flags: ['write'], acl: ['keyspace', 'write', 'slow', 'dangerous'], keys: NO_KEYS, tips: allShards, run: flushall },
  { name: 'swapdb', arity: 3, flags: ['write', 'fast'], acl: ['keyspace', 'write', 'fast', 'dangerous'], keys: NO_KEYS, run: swapdb },
  { name: 'move', arity: 3, flags: ['write', 'fast'], acl: rw, keys: [key(1, 'RW', 'ACCESS', 'UPDATE')], run: move },
  { name: 'copy', arity: -3, flags: ['write', 'denyoom'], acl: ['keyspace', 'write', 'slow'], keys: [key(1, 'RO', 'ACCESS'), key(2, 'OW', 'UPDATE')], run: copy },
]);
