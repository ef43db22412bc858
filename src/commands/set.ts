// The set family: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE,
// the algebra (SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms) and SSCAN. Results of
// SUNION/SDIFF/*STORE are built as fresh sets, as Redis does, so their encoding and (for intsets)
// their reply order come out the same.

import * as E from '../errors.js';
import { arg, is, parseInt64, parseInteger } from '../protocol/args.js';
import { lookupTyped } from './lookup.js';
import { parseScanArgs, replyScan } from './scan-args.js';
import { key, keyNum, keyRange, withDocs, type CommandSpec } from './spec.js';
import { setDocs } from './docs/set.js';
import type { Client } from '../server/client.js';
import type { Value } from '../store/types.js';
import { SetValue } from '../store/set.js';
import { globMatch } from '../store/glob.js';
import { picksFit, replyPicks } from './random-picks.js';
import { parseCursor } from '../store/scan.js';
import { notify, NOTIFY_GENERIC, NOTIFY_SET } from '../server/notify.js';
import { INT64_MIN } from '../int64.js';

// --- lookups ---

function asSet(v: Value): SetValue | null {
  return typeof v !== 'string' && v.type === 'set' ? v : null;
}

/**
 * The set under `k`: undefined when there is none, null after replying WRONGTYPE. Reads count
 * keyspace hits and misses; writes (`write`) do not.
 */
function lookup(c: Client, k: string, write: boolean): SetValue | undefined | null {
  return lookupTyped(c, k, 'set', write);
}

function maxIntset(c: Client): number {
  return c.server.store.limits.setMaxIntset;
}

/** Replies with `items` as a RESP3 set (an array in RESP2). */
function replySet(c: Client, items: readonly string[]): void {
  c.reply.set(items.length);
  for (const m of items) c.reply.bulk(m);
}

/** After members left `set`: the key goes when it is empty ('del'), else the change is recorded. */
function removeIfEmpty(c: Client, k: string, set: SetValue, changes: number): void {
  if (set.size === 0) {
    c.db.delete(k);
    notify(c, NOTIFY_GENERIC, 'del', k);
  } else if (changes > 0) c.db.modified(k, changes);
}

// --- single-set commands ---

function sadd(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const found = lookup(c, k, true);
  if (found === null) return;
  const set = found ?? SetValue.for(arg(argv, 2));
  const max = maxIntset(c);
  let added = 0;
  for (let i = 2; i < argv.length; i++) {
    const m = argv[i];
    if (m === undefined) break;
    if (set.add(m, max)) added++;
  }
  if (found === undefined) c.db.set(k, set, false, added);
  else if (added > 0) c.db.modified(k, added);
  if (added > 0) notify(c, NOTIFY_SET, 'sadd', k);
  c.reply.integer(added);
}

function srem(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const set = lookup(c, k, true);
  if (set === null) return;
  if (set === undefined) {
    c.reply.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    const m = argv[i];
    if (m === undefined) break;
    if (!set.remove(m)) continue;
    removed++;
    if (set.size === 0) break;
  }
  if (removed > 0) notify(c, NOTIFY_SET, 'srem', k);
  removeIfEmpty(c, k, set, removed);
  c.reply.integer(removed);
}

function smembers(c: Client, argv: string[]): void {
  const set = lookup(c, arg(argv, 1), false);
  if (set === null) return;
  replySet(c, set === undefined ? [] : set.members());
}

function sismember(c: Client, argv: string[]): void {
  const set = lookup(c, arg(argv, 1), false);
  if (set === null) return;
  c.reply.integer(set !== undefined && set.has(arg(argv, 2)) ? 1 : 0);
}

function smismember(c: Client, argv: string[]): void {
  const set = lookup(c, arg(argv, 1), false);
  if (set === null) return;
  c.reply.array(argv.length - 2);
  for (const m of argv.slice(2)) c.reply.integer(set !== undefined && set.has(m) ? 1 : 0);
}

function scard(c: Client, argv: string[]): void {
  const set = lookup(c, arg(argv, 1), false);
  if (set === null) return;
  c.reply.integer(set === undefined ? 0 : set.size);
}

function smove(c: Client, argv: string[]): void {
  const from = arg(argv, 1);
  const to = arg(argv, 2);
  const member = arg(argv, 3);
  const srcV = c.db.getWrite(from);
  const dstV = c.db.getWrite(to);
  if (srcV === undefined) {
    c.reply.integer(0);
    return;
  }
  const src = asSet(srcV);
  const dst = dstV === undefined ? undefined : asSet(dstV);
  if (src === null || dst === null) {
    c.reply.error(E.WRONGTYPE);
    return;
  }
  if (src === dst) {
    c.reply.integer(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.remove(member)) {
    c.reply.integer(0);
    return;
  }
  notify(c, NOTIFY_SET, 'srem', from);
  removeIfEmpty(c, from, src, 1);
  if (dst === undefined) {
    const created = SetValue.for(member);
    created.add(member, maxIntset(c));
    c.db.set(to, created);
    notify(c, NOTIFY_SET, 'sadd', to);
  } else if (dst.add(member, maxIntset(c))) {
    c.db.modified(to);
    notify(c, NOTIFY_SET, 'sadd', to);
  }
  c.reply.integer(1);
}

// --- SPOP, SRANDMEMBER ---

/** Below this share of members left over, Redis rebuilds the set from what remains (SPOP). */
const SPOP_MOVE_STRATEGY_MUL = 5;

function spop(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.SYNTAX);
    return;
  }
  const countText = argv[2];
  if (countText !== undefined) {
    spopCount(c, argv, countText);
    return;
  }
  const k = arg(argv, 1);
  const set = lookup(c, k, true);
  if (set === null) return;
  if (set === undefined) {
    c.reply.nil();
    return;
  }
  const m = set.pop();
  notify(c, NOTIFY_SET, 'spop', k);
  removeIfEmpty(c, k, set, 1);
  // The pick is random: what propagates is the member that went.
  const propagation = c.server.propagation;
  if (propagation.active) propagation.rewrite(['SREM', k, m]);
  c.reply.bulk(m);
}

function spopCount(c: Client, argv: string[], countText: string): void {
  const count = parseInteger(countText);
  if (count === null || count < 0) {
    c.reply.error(E.COUNT_POSITIVE);
    return;
  }
  const k = arg(argv, 1);
  const set = lookup(c, k, true);
  if (set === null) return;
  if (set === undefined || count === 0) {
    c.reply.set(0);
    return;
  }
  const size = set.size;
  notify(c, NOTIFY_SET, 'spop', k);
  if (count >= size) {
    // Redis answers with SUNION of the one set, so the order is that of a freshly built set.
    replySet(c, unionOf([set], maxIntset(c)).members());
    c.db.delete(k);
    notify(c, NOTIFY_GENERIC, 'del', k);
    const propagation = c.server.propagation;
    if (propagation.active) propagation.rewrite([c.server.store.lazyfree.serverDel ? 'UNLINK' : 'DEL', k]);
    return;
  }
  const wasIntset = set.encoding() === 'intset';
  const popped: string[] = [];
  for (let i = 0; i < count; i++) popped.push(set.pop());
  if ((size - count) * SPOP_MOVE_STRATEGY_MUL <= count) {
    // Redis moves the few survivors into a new set and replies with the old one's remainder in
    // its own iteration order.
    set.reencode(maxIntset(c));
    if (wasIntset) popped.sort(numeric);
  }
  c.db.modified(k, count);
  propagateSrem(c, k, popped);
  replySet(c, popped);
}

/** SPOP's random picks propagate as SREMs of at most 1024 members each, as Redis batches them. */
function propagateSrem(c: Client, k: string, members: readonly string[]): void {
  const propagation = c.server.propagation;
  if (!propagation.active) return;
  propagation.prevent();
  const db = c.db.id;
  for (let i = 0; i < members.length; i += 1024) propagation.also(db, ['SREM', k, ...members.slice(i, i + 1024)]);
}

function numeric(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function srandmember(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.SYNTAX);
    return;
  }
  const countText = argv[2];
  if (countText !== undefined) {
    srandmemberCount(c, argv, countText);
    return;
  }
  const set = lookup(c, arg(argv, 1), false);
  if (set === null) return;
  if (set === undefined) c.reply.nil();
  else c.reply.bulk(set.random());
}

function srandmemberCount(c: Client, argv: string[], countText: string): void {
  const n = parseInt64(countText);
  if (n === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (n === INT64_MIN) {
    c.reply.error(E.LONG_OUT_OF_RANGE);
    return;
  }
  const set = lookup(c, arg(argv, 1), false);
  if (set === null) return;
  if (set === undefined || n === 0n) {
    c.reply.array(0);
    return;
  }
  const r = c.reply;
  if (n < 0n) {
    // Repeats allowed: every pick is independent, and the reply as long as the client asks.
    const count = Number(-n);
    if (!picksFit(c, count, 1)) return;
    r.array(count);
    replyPicks(c, count, () => r.bulk(set.random()));
    return;
  }
  if (n >= BigInt(set.size)) {
    r.bulks(set.members());
    return;
  }
  r.bulks(set.sample(Number(n)));
}

// --- algebra ---

/**
 * The sets named by `keys` (null for a missing key), or null after replying WRONGTYPE. Like
 * Redis 7.0, every key's type is checked before any result is produced.
 */
function gather(c: Client, keys: readonly string[]): (SetValue | null)[] | null {
  const sets: (SetValue | null)[] = [];
  for (const k of keys) {
    // Read lookups even for the STORE forms, as Redis 7.0: a missing source is a key miss.
    const s = lookup(c, k, false);
    if (s === null) return null;
    sets.push(s ?? null);
  }
  return sets;
}

/** Stores `result` at `dst` (deleting `dst` when empty) and replies with its size. */
function store(c: Client, dst: string, result: SetValue, event: string): void {
  if (result.size > 0) {
    c.db.set(dst, result);
    notify(c, NOTIFY_SET, event, dst);
  } else if (c.db.delete(dst)) notify(c, NOTIFY_GENERIC, 'del', dst);
  c.reply.integer(result.size);
}

type InterMode = { kind: 'reply' } | { kind: 'store'; dst: string } | { kind: 'card'; limit: number };

/** The answer of an intersection that is empty because a key is missing. */
function replyEmptyInter(c: Client, mode: InterMode): void {
  if (mode.kind === 'store') {
    if (c.db.delete(mode.dst)) notify(c, NOTIFY_GENERIC, 'del', mode.dst);
    c.reply.integer(0);
  } else if (mode.kind === 'card') {
    c.reply.integer(0);
  } else {
    c.reply.set(0);
  }
}

function inter(c: Client, keys: readonly string[], mode: InterMode): void {
  const found = gather(c, keys);
  if (found === null) return;
  const r = c.reply;
  const sets: SetValue[] = [];
  for (const s of found) {
    if (s === null) {
      replyEmptyInter(c, mode);
      return;
    }
    sets.push(s);
  }
  // Smallest first (a stable sort, as glibc's qsort is for these sizes): its order is the reply's.
  sets.sort((a, b) => a.size - b.size);
  const first = sets[0];
  if (first === undefined) {
    replyEmptyInter(c, mode);
    return;
  }
  const limit = mode.kind === 'card' ? mode.limit : 0;
  const out: string[] = [];
  for (const m of first.members()) {
    let all = true;
    for (const s of sets) {
      if (s !== first && !s.has(m)) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    out.push(m);
    if (limit > 0 && out.length >= limit) break;
  }
  if (mode.kind === 'card') {
    r.integer(out.length);
  } else if (mode.kind === 'store') {
    const result = new SetValue();
    const max = maxIntset(c);
    for (const m of out) result.add(m, max);
    store(c, mode.dst, result, 'sinterstore');
  } else {
    replySet(c, out);
  }
}

function unionOf(sets: readonly (SetValue | null)[], max: number): SetValue {
  const result = new SetValue();
  for (const s of sets) if (s !== null) for (const m of s.members()) result.add(m, max);
  return result;
}

/** Redis's SDIFF, including its choice of algorithm, which decides the result's encoding. */
function diffOf(sets: readonly (SetValue | null)[], max: number): SetValue {
  const result = new SetValue();
  const first = sets[0];
  if (first === null || first === undefined) return result;
  for (let j = 1; j < sets.length; j++) if (sets[j] === first) return result;
  let perMember = 0;
  let total = 0;
  for (const s of sets) {
    if (s === null) continue;
    perMember += first.size;
    total += s.size;
  }
  if (Math.floor(perMember / 2) <= total) {
    // Walk the first set, keeping what no other set holds.
    for (const m of first.members()) {
      let keep = true;
      for (let j = 1; j < sets.length && keep; j++) if (sets[j]?.has(m) === true) keep = false;
      if (keep) result.add(m, max);
    }
    return result;
  }
  // Copy the first set, then strike out every other set's members.
  for (let j = 0; j < sets.length; j++) {
    const s = sets[j];
    if (s === null || s === undefined) continue;
    if (j === 0) for (const m of s.members()) result.add(m, max);
    else for (const m of s.members()) result.remove(m);
    if (result.size === 0) break;
  }
  return result;
}

function unionOrDiff(c: Client, keys: readonly string[], op: 'union' | 'diff', dst: string | null): void {
  const sets = gather(c, keys);
  if (sets === null) return;
  const max = maxIntset(c);
  const result = op === 'union' ? unionOf(sets, max) : diffOf(sets, max);
  if (dst === null) {
    replySet(c, result.members());
    // Redis frees the result it built as lazyfree-lazy-server-del says (INFO lazyfreed_objects).
    const lazyfree = c.server.store.lazyfree;
    if (lazyfree.serverDel) lazyfree.free(result);
  } else store(c, dst, result, op === 'union' ? 'sunionstore' : 'sdiffstore');
}

const sinter = (c: Client, argv: string[]): void => inter(c, argv.slice(1), { kind: 'reply' });
const sinterstore = (c: Client, argv: string[]): void => inter(c, argv.slice(2), { kind: 'store', dst: arg(argv, 1) });
const sunion = (c: Client, argv: string[]): void => unionOrDiff(c, argv.slice(1), 'union', null);
const sunionstore = (c: Client, argv: string[]): void => unionOrDiff(c, argv.slice(2), 'union', arg(argv, 1));
const sdiff = (c: Client, argv: string[]): void => unionOrDiff(c, argv.slice(1), 'diff', null);
const sdiffstore = (c: Client, argv: string[]): void => unionOrDiff(c, argv.slice(2), 'diff', arg(argv, 1));

function sintercard(c: Client, argv: string[]): void {
  const numkeys = parseInteger(arg(argv, 1));
  if (numkeys === null || numkeys < 1) {
    c.reply.error(E.NUMKEYS_POSITIVE);
    return;
  }
  if (numkeys > argv.length - 2) {
    c.reply.error(E.NUMKEYS_TOO_MANY);
    return;
  }
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    const opt = argv[j];
    const value = argv[j + 1];
    if (opt !== undefined && is(opt, 'limit') && value !== undefined) {
      j++;
      const n = parseInteger(value);
      if (n === null || n < 0) {
        c.reply.error(E.LIMIT_NEGATIVE);
        return;
      }
      limit = n;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  inter(c, argv.slice(2, 2 + numkeys), { kind: 'card', limit });
}

// --- SSCAN ---

function sscan(c: Client, argv: string[]): void {
  const cursor = parseCursor(arg(argv, 2));
  if (cursor === null) {
    c.reply.error(E.INVALID_CURSOR);
    return;
  }
  const set = lookup(c, arg(argv, 1), false);
  if (set === null) return;
  if (set === undefined) {
    replyScan(c, 0n, []);
    return;
  }
  const args = parseScanArgs(c, argv, 3, false);
  if (args === null) return;
  const { count, pattern } = args;
  // Redis answers a compact (intset) set whole, in one reply, whatever the cursor and COUNT.
  let next = 0n;
  let seen: readonly string[];
  if (set.encoding() === 'intset') {
    seen = set.members();
  } else {
    const step = c.db.scanCursors.step(set.scanView(), cursor, count);
    next = step.cursor;
    seen = step.keys;
  }
  const out = pattern === null ? seen : seen.filter((m) => globMatch(pattern, m));
  replyScan(c, next, out);
}

const rwFast = ['write', 'set', 'fast'] as const;
const roFast = ['read', 'set', 'fast'] as const;
const roSlow = ['read', 'set', 'slow'] as const;
const wSlow = ['write', 'set', 'slow'] as const;
const order = ['nondeterministic_output_order'];
const random = ['nondeterministic_output'];
const sources = keyRange(1, -1, 1, 'RO', 'ACCESS');
const storeSources = keyRange(2, -1, 1, 'RO', 'ACCESS');

export const setCommands: readonly CommandSpec[] = withDocs(setDocs, [
  { name: 'sadd', arity: -3, flags: ['write', 'denyoom', 'fast'], acl: rwFast, keys: [key(1, 'RW', 'INSERT')], run: sadd },
  { name: 'srem', arity: -3, flags: ['write', 'fast'], acl: rwFast, keys: [key(1, 'RW', 'DELETE')], run: srem },
  { name: 'smembers', arity: 2, flags: ['readonly'], acl: roSlow, keys: [key(1, 'RO', 'ACCESS')], tips: order, run: smembers },
  { name: 'sismember', arity: 3, flags: ['readonly', 'fast'], acl: roFast, keys: [key(1, 'RO')], run: sismember },
  { name: 'smismember', arity: -3, flags: ['readonly', 'fast'], acl: roFast, keys: [key(1, 'RO', 'ACCESS')], run: smismember },
  { name: 'scard', arity: 2, flags: ['readonly', 'fast'], acl: roFast, keys: [key(1, 'RO')], run: scard },
  { name: 'spop', arity: -2, flags: ['write', 'fast'], acl: rwFast, keys: [key(1, 'RW', 'ACCESS', 'DELETE')], tips: random, run: spop },
  { name: 'srandmember', arity: -2, flags: ['readonly'], acl: roSlow, keys: [key(1, 'RO', 'ACCESS')], tips: random, run: srandmember },
  { name: 'smove', arity: 4, flags: ['write', 'fast'], acl: rwFast, keys: [key(1, 'RW', 'ACCESS', 'DELETE'), key(2, 'RW', 'INSERT')], run: smove },
  { name: 'sinter', arity: -2, flags: ['readonly'], acl: roSlow, keys: [sources], tips: order, run: sinter },
  { name: 'sintercard', arity: -3, flags: ['readonly'], acl: roSlow, keys: [keyNum(1, 0, 1, 1, 'RO', 'ACCESS')], run: sintercard },
  { name: 'sunion', arity: -2, flags: ['readonly'], acl: roSlow, keys: [sources], tips: order, run: sunion },
  { name: 'sdiff', arity: -2, flags: ['readonly'], acl: roSlow, keys: [sources], tips: order, run: sdiff },
  { name: 'sinterstore', arity: -3, flags: ['write', 'denyoom'], acl: wSlow, keys: [key(1, 'RW', 'UPDATE'), storeSources], run: sinterstore },
  { name: 'sunionstore', arity: -3, flags: ['write', 'denyoom'], acl: wSlow, keys: [key(1, 'OW', 'UPDATE'), storeSources], run: sunionstore },
  { name: 'sdiffstore', arity: -3, flags: ['write', 'denyoom'], acl: wSlow, keys: [key(1, 'OW', 'UPDATE'), storeSources], run: sdiffstore },
  { name: 'sscan', arity: -3, flags: ['readonly'], acl: roSlow, keys: [key(1, 'RO', 'ACCESS')], tips: random, run: sscan },
]);
