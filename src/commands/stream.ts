// The stream family (Redis 7.0): XADD, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM, XINFO and XSETID,
// and what the other stream files share (lookups, ID arguments, entry replies). Reads are in
// stream-read.ts, consumer groups in stream-group.ts; entries and groups live in src/store/.

import * as E from '../errors.js';
import { arg, is, parseInt64, parseInteger } from '../protocol/args.js';
import { key, NO_KEYS, withDocs, type CommandSpec, type KeySpec, type KeySpecFlag } from './spec.js';
import { streamDocs } from './docs/stream.js';
import type { Client } from '../server/client.js';
import { replyHelp } from './server.js';
import { notify, NOTIFY_STREAM } from '../server/notify.js';
import type { Value } from '../store/types.js';
import {
  MAX_ID,
  MIN_ID,
  StreamValue,
  U64_MAX,
  UNKNOWN_READS,
  compareIds,
  formatId,
  nextId,
  prevId,
  rangeEntries,
  sortedNames,
  u64,
  type ConsumerGroup,
  type I64,
  type NodeLimits,
  type StreamEntry,
  type StreamId,
  type TrimArgs,
  type U64,
} from '../store/stream.js';

// --- lookups ---

export function asStream(v: Value): StreamValue | null {
  return typeof v !== 'string' && v.type === 'stream' ? v : null;
}

/** The stream under `k`: undefined when missing, null after replying WRONGTYPE. */
export function lookup(c: Client, k: string, write: boolean): StreamValue | undefined | null {
  const v = write ? c.db.getWrite(k) : c.db.getRead(k);
  if (v === undefined) return undefined;
  const s = asStream(v);
  if (s === null) c.reply.error(E.WRONGTYPE);
  return s;
}

function limits(c: Client): NodeLimits {
  return c.server.store.limits.streamNode;
}

// --- IDs, parsed as Redis's streamGenericParseIDOrReply ---

const C_SPACE = new Set([9, 10, 11, 12, 13, 32]);

/**
 * Redis's string2ull: a strict decimal (negatives refused), else what strtoull takes: leading
 * white space, a sign (a minus wraps around), digits up to 2^64-1.
 */
function parseU64(s: string): U64 | null {
  const strict = parseInt64(s);
  if (strict !== null) return strict < 0n ? null : u64(strict);
  let i = 0;
  while (i < s.length && C_SPACE.has(s.charCodeAt(i))) i++;
  const sign = s[i];
  if (sign === '+' || sign === '-') i++;
  const digits = s.slice(i);
  if (!/^[0-9]+$/.test(digits)) return null;
  let v = BigInt(digits);
  if (v > U64_MAX) return null;
  if (sign === '-') v = (U64_MAX + 1n - v) & U64_MAX;
  return u64(v);
}

interface ParsedId {
  readonly id: StreamId;
  /** False for XADD's `<ms>-*` form. */
  readonly seqGiven: boolean;
}

/**
 * An ID argument: `ms-seq`, `ms` (the sequence is `missingSeq`), `-`/`+` unless strict, and
 * `ms-*` when `starSeq`. The text ends at a NUL byte, as the C string Redis parses does.
 */
export function parseIdText(arg: string, missingSeq: U64, strict: boolean, starSeq: boolean): ParsedId | null {
  if (arg.length > 127) return null;
  const nul = arg.indexOf('\0');
  const buf = nul === -1 ? arg : arg.slice(0, nul);
  if (buf === '-' || buf === '+') return strict ? null : { id: buf === '-' ? MIN_ID : MAX_ID, seqGiven: true };
  const dash = buf.indexOf('-');
  const ms = parseU64(dash === -1 ? buf : buf.slice(0, dash));
  if (ms === null) return null;
  if (dash === -1) return { id: { ms, seq: missingSeq }, seqGiven: true };
  const rest = buf.slice(dash + 1);
  if (starSeq && rest === '*') return { id: { ms, seq: 0 }, seqGiven: false };
  const seq = parseU64(rest);
  return seq === null ? null : { id: { ms, seq }, seqGiven: true };
}

/** A strict ID (no `-`/`+`), or null after replying the error. */
export function strictId(c: Client, arg: string): StreamId | null {
  const p = parseIdText(arg, 0, true, false);
  if (p === null) c.reply.error(E.STREAM_INVALID_ID);
  return p?.id ?? null;
}

/** A range bound: `(` makes it exclusive, which moves it one ID inwards. */
export function boundArg(c: Client, arg: string, isStart: boolean): StreamId | null {
  const exclusive = arg.length > 1 && arg[0] === '(';
  const p = parseIdText(exclusive ? arg.slice(1) : arg, isStart ? 0 : U64_MAX, exclusive, false);
  if (p === null) {
    c.reply.error(E.STREAM_INVALID_ID);
    return null;
  }
  if (!exclusive) return p.id;
  const moved = isStart ? nextId(p.id) : prevId(p.id);
  if (moved === null) c.reply.error(isStart ? E.STREAM_INVALID_START : E.STREAM_INVALID_END);
  return moved;
}

/** A long long argument, or null after replying `error`. */
export function longArg(c: Client, arg: string, error: string = E.NOT_INTEGER): number | null {
  const n = parseInteger(arg);
  if (n === null) c.reply.error(error);
  return n;
}

/** A long long kept exact past 2^53 (counters shown back to the user), or null after replying. */
export function exactArg(c: Client, arg: string, error: string = E.NOT_INTEGER): I64 | null {
  const n = parseInt64(arg);
  if (n === null) {
    c.reply.error(error);
    return null;
  }
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

// --- replies ---

function replyEntry(c: Client, item: StreamEntry): void {
  c.reply.array(2);
  c.reply.bulk(item.id);
  if (item.fv === null) {
    c.reply.nilArray();
    return;
  }
  c.reply.bulks(item.fv);
}

export function replyEntries(c: Client, items: readonly StreamEntry[]): void {
  c.reply.array(items.length);
  for (const it of items) replyEntry(c, it);
}

/** The entry with this ID as a reply element, or a null when it is gone. */
export function replyOneEntry(c: Client, s: StreamValue, id: StreamId): void {
  const fv = s.get(id);
  if (fv === null) c.reply.nil();
  else replyEntry(c, { id: formatId(id), fv });
}

function replyLag(c: Client, s: StreamValue, g: ConsumerGroup): void {
  const lag = s.lag(g);
  if (lag === null) c.reply.nil();
  else c.reply.integer(lag);
}

function replyEntriesRead(c: Client, g: ConsumerGroup): void {
  if (g.entriesRead === UNKNOWN_READS) c.reply.nil();
  else c.reply.integer(g.entriesRead);
}

// --- XADD, XTRIM ---

interface AddTrimArgs {
  readonly trim: TrimArgs | null;
  readonly noMkStream: boolean;
  readonly id: ParsedId | null;
  /** Index of the ID argument (XADD); the fields follow it. */
  readonly idPos: number;
}

/** Redis's streamParseAddOrTrimArgsOrReply, for XADD (`xadd`) and XTRIM. Null after replying. */
function parseAddTrim(c: Client, argv: string[], xadd: boolean): AddTrimArgs | null {
  let strategy: 'maxlen' | 'minid' | null = null;
  let approx = false;
  let maxlen = 0;
  let minid = MIN_ID;
  let limit = 0;
  let limitGiven = false;
  let noMkStream = false;
  let id: ParsedId | null = null;
  let i = 2;
  for (; i < argv.length; i++) {
    const opt = argv[i];
    if (opt === undefined) break;
    const next = argv[i + 1];
    if (xadd && opt === '*') break;
    if ((is(opt, 'maxlen') || is(opt, 'minid')) && next !== undefined) {
      if (strategy !== null) {
        c.reply.error(E.TRIM_MAXLEN_AND_MINID);
        return null;
      }
      approx = false;
      // An optional '~' or '=' comes before the value when something follows it.
      let value = next;
      const after = argv[i + 2];
      if (after !== undefined && next === '~') {
        approx = true;
        value = after;
        i++;
      } else if (after !== undefined && next === '=') {
        value = after;
        i++;
      }
      if (is(opt, 'maxlen')) {
        const n = longArg(c, value);
        if (n === null) return null;
        if (n < 0) {
          c.reply.error(E.TRIM_MAXLEN_NEGATIVE);
          return null;
        }
        maxlen = n;
        strategy = 'maxlen';
      } else {
        const m = strictId(c, value);
        if (m === null) return null;
        minid = m;
        strategy = 'minid';
      }
      i++;
    } else if (is(opt, 'limit') && next !== undefined) {
      const n = longArg(c, next);
      if (n === null) return null;
      if (n < 0) {
        c.reply.error(E.TRIM_LIMIT_NEGATIVE);
        return null;
      }
      limit = n;
      limitGiven = true;
      i++;
    } else if (xadd && is(opt, 'nomkstream')) {
      noMkStream = true;
    } else if (xadd) {
      id = parseIdText(opt, 0, true, true);
      if (id === null) {
        c.reply.error(E.STREAM_INVALID_ID);
        return null;
      }
      break;
    } else {
      c.reply.error(E.SYNTAX);
      return null;
    }
  }
  if (limit !== 0 && strategy === null) {
    c.reply.error(E.TRIM_LIMIT_WITHOUT_STRATEGY);
    return null;
  }
  if (!xadd && strategy === null) {
    c.reply.error(E.XTRIM_WITHOUT_STRATEGY);
    return null;
  }
  if (limitGiven) {
    if (!approx) {
      c.reply.error(E.TRIM_LIMIT_WITHOUT_APPROX);
      return null;
    }
  } else if (approx) {
    // Approximate trimming without LIMIT still bounds its work, as Redis does.
    limit = 100 * c.server.store.limits.streamNode.maxEntries;
    if (limit <= 0 || limit > 10000) limit = 10000;
  }
  const trim = strategy === null ? null : { strategy, maxlen, minid, approx, limit };
  return { trim, noMkStream, id, idPos: i };
}

function xadd(c: Client, argv: string[]): void {
  const args = parseAddTrim(c, argv, true);
  if (args === null) return;
  const fieldPos = args.idPos + 1;
  const nfv = argv.length - fieldPos;
  if (nfv < 2 || nfv % 2 === 1) {
    c.reply.error(E.wrongArity('xadd'));
    return;
  }
  const given = args.id;
  if (given !== null && given.seqGiven && given.id.ms === 0 && given.id.seq === 0) {
    c.reply.error(E.XADD_ID_ZERO);
    return;
  }
  const k = arg(argv, 1);
  let s = lookup(c, k, true);
  if (s === null) return;
  const created = s === undefined;
  if (s === undefined) {
    if (args.noMkStream) {
      c.reply.nil();
      return;
    }
    s = new StreamValue();
    c.db.set(k, s);
  }
  if (s.lastId.ms === U64_MAX && s.lastId.seq === U64_MAX) {
    c.reply.error(E.STREAM_EXHAUSTED);
    return;
  }
  const id = s.newId(given?.id ?? null, given?.seqGiven ?? true, c.db.clock.now());
  if (id === null) {
    c.reply.error(E.XADD_ID_TOO_SMALL);
    return;
  }
  s.append(id, argv.slice(fieldPos), limits(c));
  const idText = formatId(id);
  // An ID the server chose (`*`, `<ms>-*`) depends on the clock: the AOF gets the one it chose.
  const propagation = c.server.propagation;
  if (propagation.active && (given === null || !given.seqGiven)) propagation.rewrite(argv.map((a, i) => (i === args.idPos ? idText : a)));
  c.reply.bulk(idText);
  notify(c, NOTIFY_STREAM, 'xadd', k);
  if (args.trim !== null && s.trim(args.trim) > 0) notify(c, NOTIFY_STREAM, 'xtrim', k);
  // A new stream was announced by db.set already.
  if (!created) c.db.modified(k);
}

function xtrim(c: Client, argv: string[]): void {
  const args = parseAddTrim(c, argv, false);
  if (args === null) return;
  // Parsing refuses an XTRIM without MAXLEN or MINID.
  const trim = args.trim;
  if (trim === null) throw new RangeError('XTRIM parsed without a trimming strategy');
  const k = arg(argv, 1);
  const s = lookup(c, k, true);
  if (s === null) return;
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  const deleted = s.trim(trim);
  if (deleted > 0) {
    c.db.modified(k, deleted);
    notify(c, NOTIFY_STREAM, 'xtrim', k);
  }
  c.reply.integer(deleted);
}

// --- XRANGE, XREVRANGE, XLEN, XDEL ---

function rangeGeneric(c: Client, argv: string[], rev: boolean): void {
  const start = boundArg(c, rev ? arg(argv, 3) : arg(argv, 2), true);
  if (start === null) return;
  const end = boundArg(c, rev ? arg(argv, 2) : arg(argv, 3), false);
  if (end === null) return;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const value = argv[j + 1];
    if (is(opt, 'count') && value !== undefined) {
      j++;
      const n = longArg(c, value);
      if (n === null) return;
      count = Math.max(0, n);
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const s = lookup(c, arg(argv, 1), false);
  if (s === null) return;
  if (s === undefined) {
    c.reply.array(0);
    return;
  }
  if (count === 0) {
    c.reply.nilArray();
    return;
  }
  replyEntries(c, rangeEntries(s, start, end, rev, count === -1 ? 0 : count));
}

const xrange = (c: Client, argv: string[]): void => rangeGeneric(c, argv, false);
const xrevrange = (c: Client, argv: string[]): void => rangeGeneric(c, argv, true);

function xlen(c: Client, argv: string[]): void {
  const s = lookup(c, arg(argv, 1), false);
  if (s === null) return;
  c.reply.integer(s?.length ?? 0);
}

function xdel(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const s = lookup(c, k, true);
  if (s === null) return;
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  // Every ID is checked before any is deleted: the command runs whole or not at all.
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const text = argv[j];
    if (text === undefined) break;
    const id = strictId(c, text);
    if (id === null) return;
    ids.push(id);
  }
  let deleted = 0;
  for (const id of ids) if (s.delete(id)) deleted++;
  if (deleted > 0) {
    c.db.modified(k, deleted);
    notify(c, NOTIFY_STREAM, 'xdel', k);
  }
  c.reply.integer(deleted);
}

// --- XINFO ---

function xinfoTarget(c: Client, argv: string[]): StreamValue | null {
  const s = lookup(c, arg(argv, 2), false);
  if (s === undefined) c.reply.error(E.NO_SUCH_KEY);
  return s ?? null;
}

function xinfoStream(c: Client, argv: string[]): void {
  const s = xinfoTarget(c, argv);
  if (s === null) return;
  const fullWord = argv[3];
  const full = fullWord !== undefined;
  let count = 10;
  if (full) {
    const n = argv.length;
    const countWord = argv[4];
    const countText = argv[5];
    if ((n !== 4 && n !== 6) || !is(fullWord, 'full') || (countWord !== undefined && !is(countWord, 'count'))) {
      c.reply.error(E.subcommandSyntax(arg(argv, 1), 'xinfo'));
      return;
    }
    if (countText !== undefined) {
      const n = longArg(c, countText);
      if (n === null) return;
      count = n < 0 ? 10 : n;
    }
  }
  const r = c.reply;
  r.map(full ? 9 : 10);
  r.bulk('length');
  r.integer(s.length);
  r.bulk('radix-tree-keys');
  r.integer(s.radixTreeKeys);
  r.bulk('radix-tree-nodes');
  r.integer(s.radixTreeNodes);
  r.bulk('last-generated-id');
  r.bulk(formatId(s.lastId));
  r.bulk('max-deleted-entry-id');
  r.bulk(formatId(s.maxDeletedId));
  r.bulk('entries-added');
  r.integer(s.entriesAdded);
  r.bulk('recorded-first-entry-id');
  r.bulk(formatId(s.firstId));
  if (!full) {
    r.bulk('groups');
    r.integer(s.groups.size);
    for (const [label, rev] of [['first-entry', false], ['last-entry', true]] as const) {
      r.bulk(label);
      const [item] = rangeEntries(s, MIN_ID, MAX_ID, rev, 1);
      if (item === undefined) r.nil();
      else replyEntry(c, item);
    }
    return;
  }
  r.bulk('entries');
  replyEntries(c, rangeEntries(s, MIN_ID, MAX_ID, false, count));
  r.bulk('groups');
  r.array(s.groups.size);
  const upTo = <T>(items: readonly T[]): readonly T[] => (count === 0 ? items : items.slice(0, count));
  for (const name of sortedNames(s.groups)) {
    const g = s.groups.get(name);
    if (g === undefined) continue;
    r.map(7);
    r.bulk('name');
    r.bulk(name);
    r.bulk('last-delivered-id');
    r.bulk(formatId(g.lastId));
    r.bulk('entries-read');
    replyEntriesRead(c, g);
    r.bulk('lag');
    replyLag(c, s, g);
    r.bulk('pel-count');
    r.integer(g.pel.size);
    r.bulk('pending');
    const pending = upTo(g.pel.items);
    r.array(pending.length);
    for (const n of pending) {
      r.array(4);
      r.bulk(formatId(n));
      r.bulk(n.consumer?.name ?? '');
      r.integer(n.deliveryTime);
      r.integer(n.deliveryCount);
    }
    r.bulk('consumers');
    r.array(g.consumers.size);
    for (const cname of sortedNames(g.consumers)) {
      const cons = g.consumers.get(cname);
      if (cons === undefined) continue;
      r.map(4);
      r.bulk('name');
      r.bulk(cname);
      r.bulk('seen-time');
      r.integer(cons.seenTime);
      r.bulk('pel-count');
      r.integer(cons.pel.size);
      r.bulk('pending');
      const own = upTo(cons.pel.items);
      r.array(own.length);
      for (const n of own) {
        r.array(3);
        r.bulk(formatId(n));
        r.integer(n.deliveryTime);
        r.integer(n.deliveryCount);
      }
    }
  }
}

function xinfoGroups(c: Client, argv: string[]): void {
  const s = xinfoTarget(c, argv);
  if (s === null) return;
  c.reply.array(s.groups.size);
  for (const name of sortedNames(s.groups)) {
    const g = s.groups.get(name);
    if (g === undefined) continue;
    c.reply.map(6);
    c.reply.bulk('name');
    c.reply.bulk(name);
    c.reply.bulk('consumers');
    c.reply.integer(g.consumers.size);
    c.reply.bulk('pending');
    c.reply.integer(g.pel.size);
    c.reply.bulk('last-delivered-id');
    c.reply.bulk(formatId(g.lastId));
    c.reply.bulk('entries-read');
    replyEntriesRead(c, g);
    c.reply.bulk('lag');
    replyLag(c, s, g);
  }
}

function xinfoConsumers(c: Client, argv: string[]): void {
  const s = xinfoTarget(c, argv);
  if (s === null) return;
  const g = s.groups.get(arg(argv, 3));
  if (g === undefined) {
    c.reply.error(E.xgroupNoGroup(arg(argv, 3), arg(argv, 2)));
    return;
  }
  const t = c.db.clock.now();
  c.reply.array(g.consumers.size);
  for (const name of sortedNames(g.consumers)) {
    const cons = g.consumers.get(name);
    if (cons === undefined) continue;
    c.reply.map(3);
    c.reply.bulk('name');
    c.reply.bulk(name);
    c.reply.bulk('pending');
    c.reply.integer(cons.pel.size);
    c.reply.bulk('idle');
    c.reply.integer(Math.max(0, t - cons.seenTime));
  }
}

function xinfoHelp(c: Client): void {
  replyHelp(c, 'XINFO', [
    'CONSUMERS <key> <groupname>',
    '    Show consumers of <groupname>.',
    'GROUPS <key>',
    '    Show the stream consumer groups.',
    'STREAM <key> [FULL [COUNT <count>]',
    '    Show information about the stream.',
  ]);
}

// --- XSETID ---

function xsetid(c: Client, argv: string[]): void {
  const id = strictId(c, arg(argv, 2));
  if (id === null) return;
  let entriesAdded: I64 = -1;
  let maxDeleted = MIN_ID;
  for (let i = 3; i < argv.length; i += 2) {
    const opt = argv[i];
    if (opt === undefined) break;
    const value = argv[i + 1];
    if (is(opt, 'entriesadded') && value !== undefined) {
      const v = exactArg(c, value);
      if (v === null) return;
      if (v < 0) {
        c.reply.error(E.XSETID_ENTRIES_ADDED_NEGATIVE);
        return;
      }
      entriesAdded = v;
    } else if (is(opt, 'maxdeletedid') && value !== undefined) {
      const m = strictId(c, value);
      if (m === null) return;
      if (compareIds(id, m) < 0) {
        c.reply.error(E.XSETID_BELOW_MAX_DELETED);
        return;
      }
      maxDeleted = m;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const s = lookup(c, arg(argv, 1), true);
  if (s === null) return;
  if (s === undefined) {
    c.reply.error(E.NO_SUCH_KEY);
    return;
  }
  // A fix of Redis 7.2 (Valkey 8.0): the last ID may not go below an ID already deleted.
  if (compareIds(id, s.maxDeletedId) < 0) {
    c.reply.error(E.XSETID_BELOW_CURRENT_MAX_DELETED);
    return;
  }
  const top = s.length > 0 ? s.lastLiveId() : null;
  if (top !== null) {
    if (compareIds(id, top) < 0) {
      c.reply.error(E.XSETID_BELOW_TOP);
      return;
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      c.reply.error(E.XSETID_ENTRIES_ADDED_SMALL);
      return;
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (maxDeleted.ms !== 0 || maxDeleted.seq !== 0) s.maxDeletedId = maxDeleted;
  c.db.stats.dirty++;
  notify(c, NOTIFY_STREAM, 'xsetid', arg(argv, 1));
  c.reply.ok();
}

// --- the table ---

const rw = (...flags: KeySpecFlag[]): readonly KeySpec[] => [key(1, ...flags)];
const sub2 = (...flags: KeySpecFlag[]): readonly KeySpec[] => [key(2, ...flags)];
const aclWF = ['write', 'stream', 'fast'] as const;
const aclWS = ['write', 'stream', 'slow'] as const;
const aclRF = ['read', 'stream', 'fast'] as const;
const aclRS = ['read', 'stream', 'slow'] as const;
const random = ['nondeterministic_output'];

export const streamCommands: readonly CommandSpec[] = withDocs(streamDocs, [
  { name: 'xadd', arity: -5, flags: ['write', 'denyoom', 'fast'], acl: aclWF, tips: random,
    keys: [{ ...key(1, 'RW', 'UPDATE'), notes: 'UPDATE instead of INSERT because of the optional trimming feature' }], run: xadd },
  { name: 'xrange', arity: -4, flags: ['readonly'], acl: aclRS, keys: rw('RO', 'ACCESS'), run: xrange },
  { name: 'xrevrange', arity: -4, flags: ['readonly'], acl: aclRS, keys: rw('RO', 'ACCESS'), run: xrevrange },
  { name: 'xlen', arity: 2, flags: ['readonly', 'fast'], acl: aclRF, keys: rw('RO'), run: xlen },
  { name: 'xdel', arity: -3, flags: ['write', 'fast'], acl: aclWF, keys: rw('RW', 'DELETE'), run: xdel },
  { name: 'xtrim', arity: -4, flags: ['write'], acl: aclWS, tips: random, keys: rw('RW', 'DELETE'), run: xtrim },
  { name: 'xsetid', arity: -3, flags: ['write', 'denyoom', 'fast'], acl: aclWF, keys: rw('RW', 'UPDATE'), run: xsetid },
  {
    name: 'xinfo', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    subcommands: [
      { name: 'stream', arity: -3, flags: ['readonly'], acl: aclRS, keys: sub2('RO', 'ACCESS'), run: xinfoStream },
      { name: 'groups', arity: 3, flags: ['readonly'], acl: aclRS, keys: sub2('RO', 'ACCESS'), run: xinfoGroups },
      { name: 'consumers', arity: 4, flags: ['readonly'], acl: aclRS, tips: random, keys: sub2('RO', 'ACCESS'), run: xinfoConsumers },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['stream', 'slow'], keys: NO_KEYS, run: xinfoHelp },
    ],
  },
]);
