// The sorted set family (non-blocking): ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
// ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family and ZRANGESTORE, ZREMRANGEBY*, ZPOPMIN/ZPOPMAX,
// ZMPOP, ZUNION/ZINTER/ZDIFF (and STORE forms), ZINTERCARD, ZRANDMEMBER and ZSCAN.

import * as E from '../errors.js';
import { arg, is, parseDouble, parseDoubleInRange, parseInteger } from '../protocol/args.js';
import { lookupTyped } from './lookup.js';
import { parseScanArgs, replyScan } from './scan-args.js';
import { key, keyNum, withDocs, type CommandSpec, type KeySpec, type KeySpecFlag } from './spec.js';
import { zsetDocs } from './docs/zset.js';
import type { Client } from '../server/client.js';
import { propagateEffect } from '../server/propagation.js';
import type { SetValue } from '../store/set.js';
import {
  ZSetValue,
  aboveMin,
  belowMax,
  lexAboveMin,
  lexBelowMax,
  type LexBound,
  type ScoreBound,
  type ScoreEntry,
  type ZEntry,
  type ZSetLimits,
} from '../store/zset.js';
import { globMatch } from '../store/glob.js';
import { picksFit, randomCountArgs, replyPicks } from './random-picks.js';
import { parseCursor } from '../store/scan.js';
import { formatDouble } from '../protocol/number-format.js';
import { notify, NOTIFY_GENERIC, NOTIFY_ZSET } from '../server/notify.js';

/** ZRANDMEMBER WITHSCORES refuses counts whose doubled reply length would overflow a long. */

// --- lookups ---

/**
 * The sorted set under `k`: undefined when there is none, null after replying WRONGTYPE. Reads
 * count keyspace hits and misses; writes do not.
 */
function lookup(c: Client, k: string, write: boolean): ZSetValue | undefined | null {
  return lookupTyped(c, k, 'zset', write);
}

function limits(c: Client): ZSetLimits {
  return c.server.store.limits.zset;
}

/** After removing entries in place: announces `event`; the key goes when the set is empty. */
function afterRemoval(c: Client, k: string, z: ZSetValue, removed: number, event: string): void {
  if (removed === 0) return;
  notify(c, NOTIFY_ZSET, event, k);
  if (z.size === 0) {
    c.db.delete(k);
    notify(c, NOTIFY_GENERIC, 'del', k);
  } else c.db.modified(k, removed);
}

/** A STORE form with an empty result: the destination is deleted ('del' when it existed). */
function storeEmpty(c: Client, dst: string): void {
  if (c.db.delete(dst)) notify(c, NOTIFY_GENERIC, 'del', dst);
}

// --- argument parsing ---

/** strtod's whitespace. */
function isSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

/**
 * One end of a score range (zslParseRange): '(' makes it exclusive, then plain strtod, which
 * skips leading whitespace, stops at a NUL, reads "" as 0 and does not mind overflow.
 */
function parseScoreBound(s: string): ScoreBound | null {
  let exclusive = false;
  if (s.charCodeAt(0) === 40 /* ( */) {
    exclusive = true;
    s = s.slice(1);
  }
  const nul = s.indexOf('\0');
  if (nul !== -1) s = s.slice(0, nul);
  if (s === '') return { value: 0, exclusive };
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  if (i === s.length) return null;
  const value = parseDouble(s.slice(i));
  return value === null ? null : { value, exclusive };
}

/** One end of a lex range (zslParseLexRangeItem): '-', '+', '(' or '[' then the string. */
function parseLexBound(s: string): LexBound | null {
  const first = s.charCodeAt(0);
  const lone = s.length === 1 || s.charCodeAt(1) === 0;
  if (first === 43 /* + */) return lone ? { kind: 'max' } : null;
  if (first === 45 /* - */) return lone ? { kind: 'min' } : null;
  if (first === 40 /* ( */) return { value: s.slice(1), exclusive: true };
  if (first === 91 /* [ */) return { value: s.slice(1), exclusive: false };
  return null;
}

interface ScoreRange {
  readonly min: ScoreBound;
  readonly max: ScoreBound;
}

interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
}

function parseScoreRange(c: Client, min: string, max: string): ScoreRange | null {
  const lo = parseScoreBound(min);
  const hi = parseScoreBound(max);
  if (lo === null || hi === null) {
    c.reply.error(E.MIN_MAX_NOT_FLOAT);
    return null;
  }
  return { min: lo, max: hi };
}

function parseLexRange(c: Client, min: string, max: string): LexRange | null {
  const lo = parseLexBound(min);
  const hi = parseLexBound(max);
  if (lo === null || hi === null) {
    c.reply.error(E.MIN_MAX_NOT_LEX);
    return null;
  }
  return { min: lo, max: hi };
}

// --- replies ---

/** Members, with their scores when asked: flat pairs in RESP2, [member, score] arrays in RESP3. */
function replyEntries(c: Client, entries: readonly ZEntry[], withScores: boolean): void {
  const r = c.reply;
  r.array(withScores && c.resp === 2 ? entries.length * 2 : entries.length);
  for (const e of entries) {
    if (!withScores) {
      r.bulk(e.member);
      continue;
    }
    if (c.resp === 3) r.array(2);
    r.bulk(e.member);
    r.double(e.score);
  }
}

// --- ZADD, ZINCRBY ---

/** Redis's zaddGenericCommand; ZINCRBY is ZADD with INCR (option words included, as in Redis). */
function zaddGeneric(c: Client, argv: string[], incrCommand: boolean): void {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrCommand;
  let i = 2;
  for (; i < argv.length; i++) {
    const o = argv[i];
    if (o === undefined) break;
    if (is(o, 'nx')) nx = true;
    else if (is(o, 'xx')) xx = true;
    else if (is(o, 'ch')) ch = true;
    else if (is(o, 'incr')) incr = true;
    else if (is(o, 'gt')) gt = true;
    else if (is(o, 'lt')) lt = true;
    else break;
  }
  const elements = argv.length - i;
  // The first member, there whenever at least one score/member pair follows the options.
  const first = argv[i + 1];
  if (first === undefined || elements % 2 === 1) {
    c.reply.error(E.SYNTAX);
    return;
  }
  const pairs = elements / 2;
  if (nx && xx) {
    c.reply.error(E.ZADD_NX_XX);
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.reply.error(E.ZADD_GT_LT_NX);
    return;
  }
  if (incr && pairs > 1) {
    c.reply.error(E.ZADD_INCR_PAIR);
    return;
  }
  const scores: number[] = [];
  for (let j = i; j < argv.length; j += 2) {
    const text = argv[j];
    if (text === undefined) break;
    const s = parseDoubleInRange(text);
    if (s === null) {
      c.reply.error(E.NOT_FLOAT);
      return;
    }
    scores.push(s);
  }
  const k = arg(argv, 1);
  const found = lookup(c, k, true);
  if (found === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (found !== undefined || !xx) {
    const lim = limits(c);
    const z = found ?? ZSetValue.forFirst(first, lim);
    const flags = { nx, xx, gt, lt, incr };
    for (let j = 0; j < pairs; j++) {
      const member = argv[i + 2 * j + 1];
      const s = scores[j];
      if (member === undefined || s === undefined) break;
      const res = z.add(member, s, flags, lim);
      // Only an INCR on an existing member can produce NaN, and INCR takes a single pair.
      if (res.kind === 'nan') {
        c.reply.error(E.ZSCORE_NAN);
        return;
      }
      if (res.kind === 'added') added++;
      else if (res.kind === 'updated') updated++;
      if (res.kind !== 'nop') processed++;
      score = res.score;
    }
    if (found === undefined) c.db.set(k, z, false, added + updated);
    else if (added + updated > 0) c.db.modified(k, added + updated);
    if (added + updated > 0) notify(c, NOTIFY_ZSET, incr ? 'zincr' : 'zadd', k);
  }
  if (incr) {
    if (processed > 0) c.reply.double(score);
    else c.reply.nil();
  } else {
    c.reply.integer(ch ? added + updated : added);
  }
}

function zadd(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, false);
}

function zincrby(c: Client, argv: string[]): void {
  zaddGeneric(c, argv, true);
}

// --- single-key reads and removal ---

function zrem(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const z = lookup(c, k, true);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    const member = argv[i];
    if (member === undefined) break;
    if (z.delete(member)) deleted++;
    if (z.size === 0) break;
  }
  afterRemoval(c, k, z, deleted, 'zrem');
  c.reply.integer(deleted);
}

function zcard(c: Client, argv: string[]): void {
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  c.reply.integer(z?.size ?? 0);
}

function zscore(c: Client, argv: string[]): void {
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  const s = z?.score(arg(argv, 2));
  if (s === undefined) c.reply.nil();
  else c.reply.double(s);
}

function zmscore(c: Client, argv: string[]): void {
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const member = argv[i];
    if (member === undefined) break;
    const s = z?.score(member);
    if (s === undefined) c.reply.nil();
    else c.reply.double(s);
  }
}

/** ZRANK/ZREVRANK, with Redis 7.2's WITHSCORE: `[rank, score]`, or a null array for no member. */
function zrankGeneric(c: Client, argv: string[], reverse: boolean): void {
  if (argv.length > 4) {
    c.reply.error(E.wrongArity(reverse ? 'zrevrank' : 'zrank'));
    return;
  }
  const option = argv[3];
  const withScore = option !== undefined;
  // Redis compares with strcasecmp, which stops at a NUL byte.
  if (withScore && option.split('\0', 1)[0]?.toLowerCase() !== 'withscore') {
    c.reply.error(E.SYNTAX);
    return;
  }
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  const member = arg(argv, 2);
  const r = z === undefined ? -1 : z.rank(member, reverse);
  const score = r < 0 ? undefined : z?.score(member);
  if (score === undefined) {
    if (withScore) c.reply.nilArray();
    else c.reply.nil();
  } else if (withScore) {
    c.reply.array(2);
    c.reply.integer(r);
    c.reply.double(score);
  } else c.reply.integer(r);
}

function zrank(c: Client, argv: string[]): void {
  zrankGeneric(c, argv, false);
}

function zrevrank(c: Client, argv: string[]): void {
  zrankGeneric(c, argv, true);
}

function zcount(c: Client, argv: string[]): void {
  const range = parseScoreRange(c, arg(argv, 2), arg(argv, 3));
  if (range === null) return;
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  c.reply.integer(z === undefined ? 0 : z.countInRange(range.min, range.max));
}

function zlexcount(c: Client, argv: string[]): void {
  const range = parseLexRange(c, arg(argv, 2), arg(argv, 3));
  if (range === null) return;
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  c.reply.integer(z === undefined ? 0 : z.lexCount(range.min, range.max));
}

// --- ranges ---

/** Entries at ranks start..stop (negative counts from the end), from the top when `reverse`. */
function rankRange(z: ZSetValue, start: number, stop: number, reverse: boolean): ScoreEntry[] {
  const len = z.size;
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return [];
  if (stop >= len) stop = len - 1;
  const out: ScoreEntry[] = [];
  let n = z.at(reverse ? len - 1 - start : start);
  for (let i = start; i <= stop && n !== null; i++) {
    out.push(n);
    n = reverse ? n.backward : n.next0;
  }
  return out;
}

/** Skips `offset` entries from `n` by rank (O(log N)), as Redis's element-by-element walk would. */
function skip(z: ZSetValue, n: ScoreEntry | null, offset: number, reverse: boolean): ScoreEntry | null {
  if (n === null || offset === 0) return n;
  const r = z.order.rank(n.score, n.member);
  return z.order.byRank(reverse ? r - offset : r + offset);
}

function scoreRange(z: ZSetValue, range: ScoreRange, offset: number, limit: number, reverse: boolean): ScoreEntry[] {
  // A negative offset walks off the end in Redis: nothing is left to return.
  if (offset < 0 || (offset > 0 && offset >= z.size)) return [];
  const { min, max } = range;
  let n = skip(z, reverse ? z.lastInRange(min, max) : z.firstInRange(min, max), offset, reverse);
  const out: ScoreEntry[] = [];
  // A negative limit means no limit.
  while (n !== null && limit-- !== 0) {
    if (reverse ? !aboveMin(n.score, min) : !belowMax(n.score, max)) break;
    out.push(n);
    n = reverse ? n.backward : n.next0;
  }
  return out;
}

function lexRange(z: ZSetValue, range: LexRange, offset: number, limit: number, reverse: boolean): ScoreEntry[] {
  if (offset < 0 || (offset > 0 && offset >= z.size)) return [];
  const { min, max } = range;
  let n = skip(z, reverse ? z.lastInLexRange(min, max) : z.firstInLexRange(min, max), offset, reverse);
  const out: ScoreEntry[] = [];
  while (n !== null && limit-- !== 0) {
    if (reverse ? !lexAboveMin(n.member, min) : !lexBelowMax(n.member, max)) break;
    out.push(n);
    n = reverse ? n.backward : n.next0;
  }
  return out;
}

type RangeBy = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/**
 * Redis's zrangeGenericCommand behind ZRANGE, ZRANGESTORE and the older ZRANGEBY* / ZREV*
 * commands: `at` is the index of the source key, `dst` the destination for ZRANGESTORE.
 */
function zrangeGeneric(c: Client, argv: string[], at: number, dst: string | null, by: RangeBy, direction: Direction): void {
  let minText = arg(argv, at + 1);
  let maxText = arg(argv, at + 2);
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = at + 3; j < argv.length; j++) {
    const a = argv[j];
    if (a === undefined) break;
    const offsetText = argv[j + 1];
    const limitText = argv[j + 2];
    if (dst === null && is(a, 'withscores')) {
      withScores = true;
    } else if (is(a, 'limit') && offsetText !== undefined && limitText !== undefined) {
      const o = parseInteger(offsetText);
      const l = o === null ? null : parseInteger(limitText);
      if (o === null || l === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === 'auto' && is(a, 'rev')) {
      direction = 'reverse';
    } else if (by === 'auto' && is(a, 'bylex')) {
      by = 'lex';
    } else if (by === 'auto' && is(a, 'byscore')) {
      by = 'score';
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const reverse = direction === 'reverse';
  if (by === 'auto') by = 'rank';
  if (limit !== -1 && by === 'rank') {
    c.reply.error(E.ZRANGE_LIMIT_RANK);
    return;
  }
  if (withScores && by === 'lex') {
    c.reply.error(E.ZRANGE_WITHSCORES_BYLEX);
    return;
  }
  // Score and lex ranges are given high end first when reversed.
  if (reverse && by !== 'rank') [minText, maxText] = [maxText, minText];

  let start = 0;
  let stop = 0;
  let scores: ScoreRange | null = null;
  let lex: LexRange | null = null;
  if (by === 'rank') {
    const a = parseInteger(minText);
    const b = a === null ? null : parseInteger(maxText);
    if (a === null || b === null) {
      c.reply.error(E.NOT_INTEGER);
      return;
    }
    start = a;
    stop = b;
  } else if (by === 'score') {
    scores = parseScoreRange(c, minText, maxText);
    if (scores === null) return;
  } else {
    lex = parseLexRange(c, minText, maxText);
    if (lex === null) return;
  }

  const z = lookup(c, arg(argv, at), false);
  if (z === null) return;
  let result: ScoreEntry[] = [];
  if (z !== undefined) {
    if (scores !== null) result = scoreRange(z, scores, offset, limit, reverse);
    else if (lex !== null) result = lexRange(z, lex, offset, limit, reverse);
    else result = rankRange(z, start, stop, reverse);
  }
  if (dst === null) replyEntries(c, result, withScores);
  else storeResult(c, dst, result, by === 'rank');
}

/**
 * ZRANGESTORE's destination, a fresh set. Redis 7.0 makes it a skiplist from the start when a
 * rank range says in advance it will be too long, else a listpack that converts as it grows.
 */
function storeResult(c: Client, dst: string, entries: readonly ZEntry[], lengthKnown: boolean): void {
  if (entries.length === 0) {
    storeEmpty(c, dst);
    c.reply.integer(0);
    return;
  }
  const lim = limits(c);
  const z = new ZSetValue(lengthKnown && entries.length > lim.maxEntries ? 'skiplist' : 'listpack');
  for (const e of entries) z.set(e.member, e.score, lim);
  c.db.set(dst, z);
  notify(c, NOTIFY_ZSET, 'zrangestore', dst);
  c.reply.integer(z.size);
}

function zrange(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, 'auto', 'auto');
}

function zrangestore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 2, arg(argv, 1), 'auto', 'auto');
}

function zrevrange(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, 'rank', 'reverse');
}

function zrangebyscore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, 'score', 'forward');
}

function zrevrangebyscore(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, 'score', 'reverse');
}

function zrangebylex(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, 'lex', 'forward');
}

function zrevrangebylex(c: Client, argv: string[]): void {
  zrangeGeneric(c, argv, 1, null, 'lex', 'reverse');
}

// --- ZREMRANGEBY* ---

function zremrangebyrank(c: Client, argv: string[]): void {
  let start = parseInteger(arg(argv, 2));
  let stop = start === null ? null : parseInteger(arg(argv, 3));
  if (start === null || stop === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  const k = arg(argv, 1);
  const z = lookup(c, k, true);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const len = z.size;
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) {
    c.reply.integer(0);
    return;
  }
  if (stop >= len) stop = len - 1;
  const removed = z.deleteRangeByRank(start, stop);
  afterRemoval(c, k, z, removed, 'zremrangebyrank');
  c.reply.integer(removed);
}

function zremrangebyscore(c: Client, argv: string[]): void {
  const range = parseScoreRange(c, arg(argv, 2), arg(argv, 3));
  if (range === null) return;
  const k = arg(argv, 1);
  const z = lookup(c, k, true);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const removed = z.deleteRangeByScore(range.min, range.max);
  afterRemoval(c, k, z, removed, 'zremrangebyscore');
  c.reply.integer(removed);
}

function zremrangebylex(c: Client, argv: string[]): void {
  const range = parseLexRange(c, arg(argv, 2), arg(argv, 3));
  if (range === null) return;
  const k = arg(argv, 1);
  const z = lookup(c, k, true);
  if (z === null) return;
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const removed = z.deleteRangeByLex(range.min, range.max);
  afterRemoval(c, k, z, removed, 'zremrangebylex');
  c.reply.integer(removed);
}

// --- pops ---

/** How a pop reply is shaped (Redis's genericZpopCommand arguments). */
export interface ZPopShape {
  /** Name the key the entries came from (ZMPOP, BZPOPMIN...). */
  readonly emitKey: boolean;
  /** One [member, score] array per entry instead of a flat list. */
  readonly nested: boolean;
  /** A null array instead of an empty one when no key holds anything. */
  readonly nilWhenEmpty: boolean;
}

/**
 * Pops up to `count` entries (-1: a plain single pop) from the first non-empty sorted set among
 * `keys`, lowest scores first or highest (`max`). Returns false when nothing was popped, so that
 * the blocking forms can wait instead.
 */
export function zpopGeneric(c: Client, keys: readonly string[], max: boolean, count: number, shape: ZPopShape): boolean {
  let z: ZSetValue | undefined;
  let k = '';
  for (const candidate of keys) {
    const found = lookup(c, candidate, true);
    if (found === null) return false;
    if (found === undefined) continue;
    z = found;
    k = candidate;
    break;
  }
  const r = c.reply;
  if (z === undefined) {
    if (shape.nilWhenEmpty) r.nilArray();
    else r.array(0);
    return false;
  }
  if (count === 0) {
    r.array(0);
    return false;
  }
  const given = count;
  if (count === -1) count = 1;
  // Popped before the reply starts, so that its length is the number actually taken.
  const popped: ZEntry[] = [];
  for (let i = Math.min(count, z.size); i > 0; i--) {
    const e = z.pop(max);
    if (e === null) break;
    popped.push(e);
  }
  const n = popped.length;
  if (!shape.emitKey) {
    r.array(shape.nested ? n : n * 2);
  } else if (!shape.nested) {
    r.array(n * 2 + 1);
    r.bulk(k);
  } else {
    r.array(2);
    r.bulk(k);
    r.array(n);
  }
  for (const e of popped) {
    if (shape.nested) r.array(2);
    r.bulk(e.member);
    r.double(e.score);
  }
  afterRemoval(c, k, z, n, max ? 'zpopmax' : 'zpopmin');
  // BZPOPMIN, ZMPOP and BZMPOP (now or once served) replay as the plain pop of the key they took
  // from, with the count they popped (Redis's blockingGenericZpopCommand); ZPOPMIN as it was given.
  const replayed = shape.emitKey ? n : given;
  propagateEffect(c, [max ? 'ZPOPMAX' : 'ZPOPMIN', k, ...(given === -1 ? [] : [String(replayed)])]);
  return true;
}

function zpopMinMax(c: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) {
    c.reply.error(E.SYNTAX);
    return;
  }
  let count = -1;
  const countText = argv[2];
  if (countText !== undefined) {
    const n = parseInteger(countText);
    if (n === null || n < 0) {
      c.reply.error(E.COUNT_POSITIVE);
      return;
    }
    count = n;
  }
  // RESP3 nests the pairs only when a count was given.
  zpopGeneric(c, [arg(argv, 1)], max, count, { emitKey: false, nested: c.resp === 3 && count !== -1, nilWhenEmpty: false });
}

function zpopmin(c: Client, argv: string[]): void {
  zpopMinMax(c, argv, false);
}

function zpopmax(c: Client, argv: string[]): void {
  zpopMinMax(c, argv, true);
}

/** The parsed arguments of ZMPOP (and, later, BZMPOP): numkeys at `at`. */
export interface ZMPopArgs {
  readonly keys: string[];
  readonly max: boolean;
  readonly count: number;
}

/** Parses `numkeys key... MIN|MAX [COUNT n]` from argv[at]; null after replying an error. */
export function parseZMPopArgs(c: Client, argv: string[], at: number): ZMPopArgs | null {
  const numkeys = parseInteger(arg(argv, at));
  if (numkeys === null || numkeys < 1) {
    c.reply.error(E.NUMKEYS_POSITIVE);
    return null;
  }
  const whereIdx = at + numkeys + 1;
  const where = argv[whereIdx];
  if (where === undefined || (!is(where, 'min') && !is(where, 'max'))) {
    c.reply.error(E.SYNTAX);
    return null;
  }
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const value = argv[j + 1];
    if (count === -1 && is(opt, 'count') && value !== undefined) {
      j++;
      const n = parseInteger(value);
      if (n === null || n < 1) {
        c.reply.error(E.COUNT_ABOVE_ZERO);
        return null;
      }
      count = n;
    } else {
      c.reply.error(E.SYNTAX);
      return null;
    }
  }
  return { keys: argv.slice(at + 1, whereIdx), max: is(where, 'max'), count: count === -1 ? 1 : count };
}

function zmpop(c: Client, argv: string[]): void {
  const args = parseZMPopArgs(c, argv, 1);
  if (args === null) return;
  zpopGeneric(c, args.keys, args.max, args.count, { emitKey: true, nested: true, nilWhenEmpty: true });
}

// --- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ---

/** An input of the algebra: a sorted set, or a plain set whose members all score 1. */
interface Source {
  readonly value: ZSetValue | SetValue | null;
  weight: number;
}

function sourceSize(s: Source): number {
  return s.value?.size ?? 0;
}

/** Calls `f` with each member of `s` and its (unweighted) score, until `f` returns false. */
function eachEntry(s: Source, f: (member: string, score: number) => boolean): void {
  const v = s.value;
  if (v === null) return;
  if (v.type === 'zset') {
    for (const [m, score] of v.scores) if (!f(m, score)) return;
  } else {
    for (const m of v.members()) if (!f(m, 1)) return;
  }
}

function findScore(s: Source, member: string): number | undefined {
  const v = s.value;
  if (v === null) return undefined;
  if (v.type === 'zset') return v.score(member);
  return v.has(member) ? 1 : undefined;
}

type Aggregate = 'sum' | 'min' | 'max';

/** Redis's zunionInterAggregate: an infinite sum of opposite signs counts as 0. */
function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const s = target + value;
    return Number.isNaN(s) ? 0 : s;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

/** (score, member) order, the order of a sorted set. */
function byScoreThenMember(a: ZEntry, b: ZEntry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

type SetOp = 'union' | 'inter' | 'diff';

/**
 * Redis's zunionInterDiffGenericCommand: `numkeysIdx` holds the number of input keys, `dst` is
 * the destination of the STORE forms, `cardOnly` makes it ZINTERCARD.
 */
function zsetOp(c: Client, argv: string[], name: string, dst: string | null, numkeysIdx: number, op: SetOp, cardOnly: boolean): void {
  const setnum = parseInteger(arg(argv, numkeysIdx));
  if (setnum === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (setnum < 1) {
    c.reply.error(E.atLeastOneInputKey(name));
    return;
  }
  if (setnum > argv.length - (numkeysIdx + 1)) {
    c.reply.error(E.SYNTAX);
    return;
  }

  // Inputs are looked up (and type-checked) before the options are read, as in Redis.
  const sources: Source[] = [];
  let j = numkeysIdx + 1 + setnum;
  for (const k of argv.slice(numkeysIdx + 1, j)) {
    const v = c.db.getRead(k);
    if (v !== undefined && (typeof v === 'string' || (v.type !== 'zset' && v.type !== 'set'))) {
      c.reply.error(E.WRONGTYPE);
      return;
    }
    sources.push({ value: v === undefined ? null : v, weight: 1 });
  }

  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const a = argv[j];
    if (a === undefined) break;
    const next = argv[j + 1];
    if (op !== 'diff' && !cardOnly && argv.length - j >= setnum + 1 && is(a, 'weights')) {
      j++;
      // One weight per input, in the order the inputs were given.
      for (const s of sources) {
        const text = argv[j++];
        if (text === undefined) break;
        const w = parseDoubleInRange(text);
        if (w === null) {
          c.reply.error(E.WEIGHT_NOT_FLOAT);
          return;
        }
        s.weight = w;
      }
    } else if (op !== 'diff' && !cardOnly && next !== undefined && is(a, 'aggregate')) {
      if (is(next, 'sum')) how = 'sum';
      else if (is(next, 'min')) how = 'min';
      else if (is(next, 'max')) how = 'max';
      else {
        c.reply.error(E.SYNTAX);
        return;
      }
      j += 2;
    } else if (dst === null && !cardOnly && is(a, 'withscores')) {
      withScores = true;
      j++;
    } else if (cardOnly && next !== undefined && is(a, 'limit')) {
      const n = parseInteger(next);
      if (n === null || n < 0) {
        c.reply.error(E.LIMIT_NEGATIVE);
        return;
      }
      limit = n;
      j += 2;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }

  // Smallest inputs first (a stable sort, as glibc's qsort is in practice): the order in which
  // scores are summed, and so the rounding of the sums, follows it.
  if (op !== 'diff') sources.sort((a, b) => sourceSize(a) - sourceSize(b));

  const entries: ZEntry[] = [];
  let cardinality = 0;
  if (op === 'inter') {
    const [first, ...others] = sources;
    if (first !== undefined && sourceSize(first) > 0) {
      eachEntry(first, (member, value) => {
        let score = first.weight * value;
        if (Number.isNaN(score)) score = 0;
        for (const other of others) {
          const found = findScore(other, member);
          if (found === undefined) return true;
          score = aggregate(score, found * other.weight, how);
        }
        if (cardOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) return false;
        } else {
          entries.push({ member, score });
        }
        return true;
      });
    }
  } else if (op === 'union') {
    const acc = new Map<string, number>();
    for (const s of sources) {
      eachEntry(s, (member, value) => {
        let score = s.weight * value;
        if (Number.isNaN(score)) score = 0;
        const cur = acc.get(member);
        acc.set(member, cur === undefined ? score : aggregate(cur, score, how));
        return true;
      });
    }
    for (const [member, score] of acc) entries.push({ member, score });
  } else {
    const [first, ...others] = sources;
    if (first !== undefined) {
      eachEntry(first, (member, score) => {
        for (const other of others) if (findScore(other, member) !== undefined) return true;
        entries.push({ member, score });
        return true;
      });
    }
  }

  if (cardOnly) {
    c.reply.integer(cardinality);
    return;
  }
  entries.sort(byScoreThenMember);
  if (dst === null) {
    replyEntries(c, entries, withScores);
    return;
  }
  if (entries.length === 0) {
    storeEmpty(c, dst);
    c.reply.integer(0);
    return;
  }
  // Built as a skiplist, then made compact when small enough (zsetConvertToListpackIfNeeded).
  const lim = limits(c);
  const z = new ZSetValue('skiplist');
  for (const e of entries) z.set(e.member, e.score, lim);
  z.convertToListpackIfNeeded(lim);
  c.db.set(dst, z);
  notify(c, NOTIFY_ZSET, `z${op}store`, dst);
  c.reply.integer(z.size);
}

function zunion(c: Client, argv: string[]): void {
  zsetOp(c, argv, 'zunion', null, 1, 'union', false);
}

function zinter(c: Client, argv: string[]): void {
  zsetOp(c, argv, 'zinter', null, 1, 'inter', false);
}

function zdiff(c: Client, argv: string[]): void {
  zsetOp(c, argv, 'zdiff', null, 1, 'diff', false);
}

function zunionstore(c: Client, argv: string[]): void {
  zsetOp(c, argv, 'zunionstore', arg(argv, 1), 2, 'union', false);
}

function zinterstore(c: Client, argv: string[]): void {
  zsetOp(c, argv, 'zinterstore', arg(argv, 1), 2, 'inter', false);
}

function zdiffstore(c: Client, argv: string[]): void {
  zsetOp(c, argv, 'zdiffstore', arg(argv, 1), 2, 'diff', false);
}

function zintercard(c: Client, argv: string[]): void {
  zsetOp(c, argv, 'zintercard', null, 1, 'inter', true);
}

// --- ZRANDMEMBER ---

function zrandmember(c: Client, argv: string[]): void {
  const countText = argv[2];
  if (countText === undefined) {
    const z = lookup(c, arg(argv, 1), false);
    if (z === null) return;
    if (z === undefined) c.reply.nil();
    else c.reply.bulk(z.randomNode().member);
    return;
  }
  const parsed = randomCountArgs(c, argv, countText, 'withscores');
  if (parsed === null) return;
  const { count: l, paired: withScores } = parsed;
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  if (z === undefined || l === 0n) {
    c.reply.array(0);
    return;
  }
  const count = Number(l < 0n ? -l : l);
  const size = z.size;
  if (l < 0n || count === 1) {
    // Repeats allowed: every pick is independent, written as picked (a count can be far larger
    // than any array), and the reply as long as the client asks, within bounds.
    if (!picksFit(c, count, withScores ? 2 : 1)) return;
    const r = c.reply;
    r.array(withScores && c.resp === 2 ? count * 2 : count);
    replyPicks(c, count, () => {
      const e = z.randomNode();
      if (withScores && c.resp === 3) r.array(2);
      r.bulk(e.member);
      if (withScores) r.double(e.score);
    });
    return;
  }
  let picked: ScoreEntry[];
  if (count >= size) {
    // The whole set, highest score first: Redis walks its sets from the tail here.
    picked = rankRange(z, 0, -1, true);
  } else if (z.encoding() === 'listpack' && count * 3 <= size) {
    // Redis samples a small listpack in its own order.
    picked = distinctRanks(size, count).sort((a, b) => a - b).map((r) => nodeAt(z, r));
  } else {
    picked = distinctRanks(size, count).map((r) => nodeAt(z, r));
  }
  replyEntries(c, picked, withScores);
}

/** `count` distinct ranks below `size` (count < size), in random order. */
function distinctRanks(size: number, count: number): number[] {
  if (count * 3 > size) {
    // A partial Fisher-Yates shuffle: cheaper than rejection when most ranks are wanted.
    const all = Array.from({ length: size }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[i];
      const u = all[j];
      if (t === undefined || u === undefined) break;
      all[i] = u;
      all[j] = t;
    }
    all.length = count;
    return all;
  }
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(Math.random() * size));
  return Array.from(chosen);
}

/** The node at rank `r`, which the caller took below the set's size. */
function nodeAt(z: ZSetValue, r: number): ScoreEntry {
  const n = z.at(r);
  if (n === null) throw new RangeError(`rank ${r} is past the end of a sorted set of ${z.size}`);
  return n;
}

// --- ZSCAN ---

/**
 * A score as a listpack holds it, which is how ZSCAN shows a small set: integral scores within
 * ±2^62 are stored as integers, anything else as %.17g text.
 */
function listpackScoreText(d: number): string {
  if (Number.isInteger(d) && d >= -(2 ** 62) && d <= 2 ** 62) return BigInt(d).toString();
  return formatDouble(d);
}

function zscan(c: Client, argv: string[]): void {
  const cursor = parseCursor(arg(argv, 2));
  if (cursor === null) {
    c.reply.error(E.INVALID_CURSOR);
    return;
  }
  const z = lookup(c, arg(argv, 1), false);
  if (z === null) return;
  if (z === undefined) {
    replyScan(c, 0n, []);
    return;
  }
  const args = parseScanArgs(c, argv, 3, false, 'noscores');
  if (args === null) return;
  const { count, pattern, noValues } = args;
  const out: string[] = [];
  let next = 0n;
  if (z.encoding() === 'listpack') {
    // A listpack set comes back whole in one call, whatever the cursor and COUNT, as in Redis.
    for (const n of z.order) {
      if (pattern !== null && !globMatch(pattern, n.member)) continue;
      if (noValues) out.push(n.member);
      else out.push(n.member, listpackScoreText(n.score));
    }
  } else {
    const step = c.db.scanCursors.step(z.scores, cursor, count);
    next = step.cursor;
    for (const m of step.keys) {
      if (pattern !== null && !globMatch(pattern, m)) continue;
      const score = z.score(m);
      if (score === undefined) continue;
      if (noValues) out.push(m);
      else out.push(m, formatDouble(score));
    }
  }
  replyScan(c, next, out);
}

// --- the table ---

const rw = (...flags: KeySpecFlag[]): readonly KeySpec[] => [key(1, ...flags)];
const roAccess = rw('RO', 'ACCESS');
const rwDelete = rw('RW', 'DELETE');
const rwPop = rw('RW', 'ACCESS', 'DELETE');
const storeKeys: readonly KeySpec[] = [key(1, 'OW', 'UPDATE'), keyNum(2, 0, 1, 1, 'RO', 'ACCESS')];
const inputKeys: readonly KeySpec[] = [keyNum(1, 0, 1, 1, 'RO', 'ACCESS')];
const readFast = ['readonly', 'fast'] as const;
const aclWF = ['write', 'sortedset', 'fast'] as const;
const aclWS = ['write', 'sortedset', 'slow'] as const;
const aclRF = ['read', 'sortedset', 'fast'] as const;
const aclRS = ['read', 'sortedset', 'slow'] as const;
const random = ['nondeterministic_output'];

export const zsetCommands: readonly CommandSpec[] = withDocs(zsetDocs, [
  { name: 'zadd', arity: -4, flags: ['write', 'denyoom', 'fast'], acl: aclWF, keys: rw('RW', 'UPDATE'), run: zadd },
  { name: 'zincrby', arity: 4, flags: ['write', 'denyoom', 'fast'], acl: aclWF, keys: rw('RW', 'ACCESS', 'UPDATE'), run: zincrby },
  { name: 'zrem', arity: -3, flags: ['write', 'fast'], acl: aclWF, keys: rwDelete, run: zrem },
  { name: 'zcard', arity: 2, flags: readFast, acl: aclRF, keys: rw('RO'), run: zcard },
  { name: 'zcount', arity: 4, flags: readFast, acl: aclRF, keys: roAccess, run: zcount },
  { name: 'zlexcount', arity: 4, flags: readFast, acl: aclRF, keys: roAccess, run: zlexcount },
  { name: 'zscore', arity: 3, flags: readFast, acl: aclRF, keys: roAccess, run: zscore },
  { name: 'zmscore', arity: -3, flags: readFast, acl: aclRF, keys: roAccess, run: zmscore },
  { name: 'zrank', arity: -3, flags: readFast, acl: aclRF, keys: roAccess, run: zrank },
  { name: 'zrevrank', arity: -3, flags: readFast, acl: aclRF, keys: roAccess, run: zrevrank },
  { name: 'zrange', arity: -4, flags: ['readonly'], acl: aclRS, keys: roAccess, run: zrange },
  { name: 'zrangestore', arity: -5, flags: ['write', 'denyoom'], acl: aclWS, keys: [key(1, 'OW', 'UPDATE'), key(2, 'RO', 'ACCESS')], run: zrangestore },
  { name: 'zrangebyscore', arity: -4, flags: ['readonly'], acl: aclRS, keys: roAccess, run: zrangebyscore },
  { name: 'zrevrangebyscore', arity: -4, flags: ['readonly'], acl: aclRS, keys: roAccess, run: zrevrangebyscore },
  { name: 'zrangebylex', arity: -4, flags: ['readonly'], acl: aclRS, keys: roAccess, run: zrangebylex },
  { name: 'zrevrangebylex', arity: -4, flags: ['readonly'], acl: aclRS, keys: roAccess, run: zrevrangebylex },
  { name: 'zrevrange', arity: -4, flags: ['readonly'], acl: aclRS, keys: roAccess, run: zrevrange },
  { name: 'zremrangebyrank', arity: 4, flags: ['write'], acl: aclWS, keys: rwDelete, run: zremrangebyrank },
  { name: 'zremrangebyscore', arity: 4, flags: ['write'], acl: aclWS, keys: rwDelete, run: zremrangebyscore },
  { name: 'zremrangebylex', arity: 4, flags: ['write'], acl: aclWS, keys: rwDelete, run: zremrangebylex },
  { name: 'zpopmin', arity: -2, flags: ['write', 'fast'], acl: aclWF, keys: rwPop, run: zpopmin },
  { name: 'zpopmax', arity: -2, flags: ['write', 'fast'], acl: aclWF, keys: rwPop, run: zpopmax },
  { name: 'zmpop', arity: -4, flags: ['write'], acl: aclWS, keys: [keyNum(1, 0, 1, 1, 'RW', 'ACCESS', 'DELETE')], run: zmpop },
  { name: 'zunion', arity: -3, flags: ['readonly'], acl: aclRS, keys: inputKeys, run: zunion },
  { name: 'zinter', arity: -3, flags: ['readonly'], acl: aclRS, keys: inputKeys, run: zinter },
  { name: 'zdiff', arity: -3, flags: ['readonly'], acl: aclRS, keys: inputKeys, run: zdiff },
  { name: 'zunionstore', arity: -4, flags: ['write', 'denyoom'], acl: aclWS, keys: storeKeys, run: zunionstore },
  { name: 'zinterstore', arity: -4, flags: ['write', 'denyoom'], acl: aclWS, keys: storeKeys, run: zinterstore },
  { name: 'zdiffstore', arity: -4, flags: ['write', 'denyoom'], acl: aclWS, keys: storeKeys, run: zdiffstore },
  { name: 'zintercard', arity: -3, flags: ['readonly'], acl: aclRS, keys: inputKeys, run: zintercard },
  { name: 'zrandmember', arity: -2, flags: ['readonly'], acl: aclRS, keys: roAccess, tips: random, run: zrandmember },
  { name: 'zscan', arity: -3, flags: ['readonly'], acl: aclRS, keys: roAccess, tips: random, run: zscan },
]);
