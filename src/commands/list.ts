// The list family: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT,
// LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP (blocking variants in list-blocking.ts). Arguments are
// checked in Redis's order, so the same bad request fails with the same error; an emptied list is
// deleted. Pushes wake blocked clients through the keyspace events every write emits.

import * as E from '../errors.js';
import { arg, parseInt64, parseInteger, is } from '../protocol/args.js';
import { lookupTyped } from './lookup.js';
import { key, keyNum, withDocs, type CommandSpec, type KeySpec } from './spec.js';
import { listDocs } from './docs/list.js';
import type { Client } from '../server/client.js';
import { propagateEffect } from '../server/propagation.js';
import { ListValue, type End } from '../store/list.js';
import { notify, NOTIFY_GENERIC, NOTIFY_LIST } from '../server/notify.js';
import { INT64_MIN } from '../int64.js';

// --- lookups ---

/** The list under `k` for a read command; null after replying WRONGTYPE, undefined when missing. */
function readList(c: Client, k: string): ListValue | undefined | null {
  return lookupTyped(c, k, 'list', false);
}

/** The list under `k` for a write command; null after replying WRONGTYPE, undefined when missing. */
export function writeList(c: Client, k: string): ListValue | undefined | null {
  return lookupTyped(c, k, 'list', true);
}

/**
 * After elements left `list`: announces `event`, then deletes the key when it is empty (with its
 * own 'del' event, as Redis), else records the change.
 */
export function removedFrom(c: Client, k: string, list: ListValue, changes: number, event: string): void {
  notify(c, NOTIFY_LIST, event, k);
  if (list.length === 0) {
    c.db.delete(k);
    notify(c, NOTIFY_GENERIC, 'del', k);
  } else c.db.modified(k, changes);
}

/** The pop event of an end. */
export const popEvent = (end: End): string => (end === 'left' ? 'lpop' : 'rpop');

/** Pops one element from `list`, a list in the keyspace and so never empty. */
export function popOne(list: ListValue, end: End): string {
  const element = list.pop(end);
  if (element === undefined) throw new RangeError('a pop from an empty list');
  return element;
}

/** LEFT or RIGHT, or null after replying a syntax error. */
export function parseEnd(c: Client, arg: string): End | null {
  if (is(arg, 'left')) return 'left';
  if (is(arg, 'right')) return 'right';
  c.reply.error(E.SYNTAX);
  return null;
}

/** An integer argument, or null after replying `error`. */
function integerArg(c: Client, arg: string, error = E.NOT_INTEGER): number | null {
  const n = parseInteger(arg);
  if (n === null) c.reply.error(error);
  return n;
}

/** An integer of at least `min`, or null after replying `error` (also for non-integers). */
function atLeast(c: Client, arg: string, min: number, error: string): number | null {
  const n = parseInteger(arg);
  if (n === null || n < min) {
    c.reply.error(error);
    return null;
  }
  return n;
}

// --- pushing ---

/** LPUSH, RPUSH, and with `onlyExisting` LPUSHX, RPUSHX. */
function pushGeneric(c: Client, argv: string[], end: End, onlyExisting: boolean): void {
  const k = arg(argv, 1);
  const found = writeList(c, k);
  if (found === null) return;
  if (found === undefined && onlyExisting) {
    c.reply.integer(0);
    return;
  }
  const list = found ?? new ListValue();
  for (let j = 2; j < argv.length; j++) {
    const element = argv[j];
    if (element === undefined) break;
    list.push(element, end);
  }
  // As Redis: one change per element pushed, whether or not the push created the list.
  if (found === undefined) c.db.set(k, list, false, argv.length - 2);
  else c.db.modified(k, argv.length - 2);
  notify(c, NOTIFY_LIST, end === 'left' ? 'lpush' : 'rpush', k);
  c.reply.integer(list.length);
}

const lpush = (c: Client, argv: string[]): void => pushGeneric(c, argv, 'left', false);
const rpush = (c: Client, argv: string[]): void => pushGeneric(c, argv, 'right', false);
const lpushx = (c: Client, argv: string[]): void => pushGeneric(c, argv, 'left', true);
const rpushx = (c: Client, argv: string[]): void => pushGeneric(c, argv, 'right', true);

function linsert(c: Client, argv: string[]): void {
  const where = arg(argv, 2);
  let after: boolean;
  if (is(where, 'after')) after = true;
  else if (is(where, 'before')) after = false;
  else {
    c.reply.error(E.SYNTAX);
    return;
  }
  const k = arg(argv, 1);
  const list = writeList(c, k);
  if (list === null) return;
  if (list === undefined) {
    c.reply.integer(0);
    return;
  }
  const n = list.insert(arg(argv, 3), arg(argv, 4), after);
  if (n > 0) {
    c.db.modified(k);
    notify(c, NOTIFY_LIST, 'linsert', k);
  }
  c.reply.integer(n);
}

// --- popping ---

/** LPOP and RPOP: one element as a bulk, or with a count an array (null shapes differ). */
function popGeneric(c: Client, argv: string[], end: End, name: string): void {
  if (argv.length > 3) {
    c.reply.error(E.wrongArity(name));
    return;
  }
  const countText = argv[2];
  const hasCount = countText !== undefined;
  let count = 1;
  if (hasCount) {
    const n = atLeast(c, countText, 0, E.COUNT_POSITIVE);
    if (n === null) return;
    count = n;
  }
  const k = arg(argv, 1);
  const list = writeList(c, k);
  if (list === null) return;
  if (list === undefined) {
    if (hasCount) c.reply.nilArray();
    else c.reply.nil();
    return;
  }
  if (!hasCount) {
    c.reply.bulk(popOne(list, end));
    removedFrom(c, k, list, 1, popEvent(end));
    return;
  }
  if (count === 0) {
    c.reply.array(0);
    return;
  }
  const out = list.popMany(end, count);
  c.reply.bulks(out);
  removedFrom(c, k, list, out.length, popEvent(end));
}

const lpop = (c: Client, argv: string[]): void => popGeneric(c, argv, 'left', 'lpop');
const rpop = (c: Client, argv: string[]): void => popGeneric(c, argv, 'right', 'rpop');

/**
 * LMOVE and RPOPLPUSH. The source is checked first (missing: null reply), then the destination's
 * type, before anything moves. On one key this rotates the list.
 */
export function moveGeneric(c: Client, src: string, dst: string, from: End, to: End): void {
  const source = writeList(c, src);
  if (source === null) return;
  if (source === undefined) {
    c.reply.nil();
    return;
  }
  const target = writeList(c, dst);
  if (target === null) return;
  // One change however many steps it takes here (Redis's lmoveGenericCommand: server.dirty++).
  const dirty = c.db.stats.dirty;
  const element = popOne(source, from);
  if (target === undefined) c.db.set(dst, ListValue.of([element]));
  else {
    target.push(element, to);
    c.db.modified(dst);
  }
  notify(c, NOTIFY_LIST, to === 'left' ? 'lpush' : 'rpush', dst);
  c.reply.bulk(element);
  removedFrom(c, src, source, 1, popEvent(from));
  c.db.stats.dirty = dirty + 1;
}

function lmove(c: Client, argv: string[]): void {
  const from = parseEnd(c, arg(argv, 3));
  if (from === null) return;
  const to = parseEnd(c, arg(argv, 4));
  if (to === null) return;
  moveGeneric(c, arg(argv, 1), arg(argv, 2), from, to);
}

function rpoplpush(c: Client, argv: string[]): void {
  moveGeneric(c, arg(argv, 1), arg(argv, 2), 'right', 'left');
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops from the first non-empty list. */
/** The arguments of LMPOP/BLMPOP from `numkeys` on; null after replying with the error. */
export function parseMpop(c: Client, argv: string[], numkeysIdx: number): { keys: string[]; end: End; count: number } | null {
  const numkeys = atLeast(c, arg(argv, numkeysIdx), 1, E.NUMKEYS_POSITIVE);
  if (numkeys === null) return null;
  const whereIdx = numkeysIdx + numkeys + 1;
  const where = argv[whereIdx];
  if (where === undefined) {
    c.reply.error(E.SYNTAX);
    return null;
  }
  const end = parseEnd(c, where);
  if (end === null) return null;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const value = argv[j + 1];
    if (count === -1 && is(opt, 'count') && value !== undefined) {
      j++;
      const n = atLeast(c, value, 1, E.COUNT_ABOVE_ZERO);
      if (n === null) return null;
      count = n;
    } else {
      c.reply.error(E.SYNTAX);
      return null;
    }
  }
  return { keys: argv.slice(numkeysIdx + 1, whereIdx), end, count: count === -1 ? 1 : count };
}

/** Pops up to `count` from the first non-empty list of `keys`: true when it replied [key, elements]. */
export function mpopFirst(c: Client, keys: readonly string[], end: End, count: number): boolean | null {
  for (const k of keys) {
    const list = writeList(c, k);
    if (list === null) return null;
    if (list === undefined) continue;
    const out = list.popMany(end, count);
    c.reply.array(2);
    c.reply.bulk(k);
    c.reply.bulks(out);
    removedFrom(c, k, list, out.length, popEvent(end));
    // LMPOP and BLMPOP (now or once served) replay as the pop of the key they took from, with
    // the count they popped (Redis's mpopGenericCommand).
    propagateEffect(c, [end === 'left' ? 'LPOP' : 'RPOP', k, String(out.length)]);
    return true;
  }
  return false;
}

function lmpop(c: Client, argv: string[]): void {
  const args = parseMpop(c, argv, 1);
  if (args === null) return;
  if (mpopFirst(c, args.keys, args.end, args.count) === false) c.reply.nilArray();
}

// --- reading and editing in place ---

function llen(c: Client, argv: string[]): void {
  const list = readList(c, arg(argv, 1));
  if (list === null) return;
  c.reply.integer(list === undefined ? 0 : list.length);
}

function lrange(c: Client, argv: string[]): void {
  const start = integerArg(c, arg(argv, 2));
  if (start === null) return;
  const stop = integerArg(c, arg(argv, 3));
  if (stop === null) return;
  const list = readList(c, arg(argv, 1));
  if (list === null) return;
  c.reply.bulks(list === undefined ? [] : list.range(start, stop));
}

function lindex(c: Client, argv: string[]): void {
  const list = readList(c, arg(argv, 1));
  if (list === null) return;
  if (list === undefined) {
    c.reply.nil();
    return;
  }
  const index = integerArg(c, arg(argv, 2));
  if (index === null) return;
  c.reply.bulkOrNil(list.at(index));
}

function lset(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const list = writeList(c, k);
  if (list === null) return;
  if (list === undefined) {
    c.reply.error(E.NO_SUCH_KEY);
    return;
  }
  const index = integerArg(c, arg(argv, 2));
  if (index === null) return;
  if (!list.set(index, arg(argv, 3))) {
    c.reply.error(E.INDEX_OUT_OF_RANGE);
    return;
  }
  c.db.modified(k);
  notify(c, NOTIFY_LIST, 'lset', k);
  c.reply.ok();
}

function lrem(c: Client, argv: string[]): void {
  const count = integerArg(c, arg(argv, 2));
  if (count === null) return;
  const k = arg(argv, 1);
  const list = writeList(c, k);
  if (list === null) return;
  if (list === undefined) {
    c.reply.integer(0);
    return;
  }
  const removed = list.remove(arg(argv, 3), count);
  if (removed > 0) removedFrom(c, k, list, removed, 'lrem');
  c.reply.integer(removed);
}

function ltrim(c: Client, argv: string[]): void {
  const start = integerArg(c, arg(argv, 2));
  if (start === null) return;
  const stop = integerArg(c, arg(argv, 3));
  if (stop === null) return;
  const k = arg(argv, 1);
  const list = writeList(c, k);
  if (list === null) return;
  if (list !== undefined) {
    const before = list.length;
    list.trim(start, stop);
    // Redis signals the key even when nothing was trimmed (WATCH sees it).
    removedFrom(c, k, list, before - list.length, 'ltrim');
  }
  c.reply.ok();
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. */
function lpos(c: Client, argv: string[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const value = argv[j + 1];
    if (is(opt, 'rank') && value !== undefined) {
      j++;
      const n = integerArg(c, value);
      if (n === null) return;
      if (n === 0) {
        c.reply.error(E.RANK_ZERO);
        return;
      }
      // Redis 7.2 (#12167) refuses LONG_MIN, which 7.0 negated into a rank that stayed negative.
      if (parseInt64(value) === INT64_MIN) {
        c.reply.error(E.LONG_OUT_OF_RANGE);
        return;
      }
      rank = n;
    } else if (is(opt, 'count') && value !== undefined) {
      j++;
      const n = atLeast(c, value, 0, E.LPOS_COUNT_NEGATIVE);
      if (n === null) return;
      count = n;
    } else if (is(opt, 'maxlen') && value !== undefined) {
      j++;
      const n = atLeast(c, value, 0, E.MAXLEN_NEGATIVE);
      if (n === null) return;
      maxlen = n;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const list = readList(c, arg(argv, 1));
  if (list === null) return;
  const found = list === undefined ? [] : list.positions(arg(argv, 2), rank, count === -1 ? 1 : count, maxlen);
  if (count !== -1) {
    c.reply.array(found.length);
    for (const i of found) c.reply.integer(i);
  } else {
    const [first] = found;
    if (first === undefined) c.reply.nil();
    else c.reply.integer(first);
  }
}

// --- the table ---

const rwInsert: readonly KeySpec[] = [key(1, 'RW', 'INSERT')];
const rwUpdate: readonly KeySpec[] = [key(1, 'RW', 'UPDATE')];
const rwDelete: readonly KeySpec[] = [key(1, 'RW', 'DELETE')];
const rwPop: readonly KeySpec[] = [key(1, 'RW', 'ACCESS', 'DELETE')];
const roAccess: readonly KeySpec[] = [key(1, 'RO', 'ACCESS')];
const moveKeys: readonly KeySpec[] = [key(1, 'RW', 'ACCESS', 'DELETE'), key(2, 'RW', 'INSERT')];
const pushFlags = ['write', 'denyoom', 'fast'] as const;
const aclWF = ['write', 'list', 'fast'] as const;
const aclWS = ['write', 'list', 'slow'] as const;
const aclRS = ['read', 'list', 'slow'] as const;

export const listCommands: readonly CommandSpec[] = withDocs(listDocs, [
  { name: 'lpush', arity: -3, flags: pushFlags, acl: aclWF, keys: rwInsert, run: lpush },
  { name: 'rpush', arity: -3, flags: pushFlags, acl: aclWF, keys: rwInsert, run: rpush },
  { name: 'lpushx', arity: -3, flags: pushFlags, acl: aclWF, keys: rwInsert, run: lpushx },
  { name: 'rpushx', arity: -3, flags: pushFlags, acl: aclWF, keys: rwInsert, run: rpushx },
  { name: 'lpop', arity: -2, flags: ['write', 'fast'], acl: aclWF, keys: rwPop, run: lpop },
  { name: 'rpop', arity: -2, flags: ['write', 'fast'], acl: aclWF, keys: rwPop, run: rpop },
  { name: 'llen', arity: 2, flags: ['readonly', 'fast'], acl: ['read', 'list', 'fast'], keys: [key(1, 'RO')], run: llen },
  { name: 'lrange', arity: 4, flags: ['readonly'], acl: aclRS, keys: roAccess, run: lrange },
  { name: 'lindex', arity: 3, flags: ['readonly'], acl: aclRS, keys: roAccess, run: lindex },
  { name: 'lset', arity: 4, flags: ['write', 'denyoom'], acl: aclWS, keys: rwUpdate, run: lset },
  { name: 'linsert', arity: 5, flags: ['write', 'denyoom'], acl: aclWS, keys: rwInsert, run: linsert },
  { name: 'lrem', arity: 4, flags: ['write'], acl: aclWS, keys: rwDelete, run: lrem },
  { name: 'ltrim', arity: 4, flags: ['write'], acl: aclWS, keys: rwDelete, run: ltrim },
  { name: 'lpos', arity: -3, flags: ['readonly'], acl: aclRS, keys: roAccess, run: lpos },
  { name: 'lmove', arity: 5, flags: ['write', 'denyoom'], acl: aclWS, keys: moveKeys, run: lmove },
  { name: 'rpoplpush', arity: 3, flags: ['write', 'denyoom'], acl: aclWS, keys: moveKeys, run: rpoplpush },
  { name: 'lmpop', arity: -4, flags: ['write'], acl: aclWS, keys: [keyNum(1, 0, 1, 1, 'RW', 'ACCESS', 'DELETE')], run: lmpop },
]);
