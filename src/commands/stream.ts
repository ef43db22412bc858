// The stream family (Redis 7.0): XADD, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM, XREAD and XREADGROUP
// (blocking included), consumer groups (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO and
// XSETID. Entries and groups live in src/store/stream.ts; this file parses, replies and waits.

import * as E from '../errors.js';
import { is, parseInt64, parseInteger } from './args.js';
import { key, keyAfter, NO_KEYS, type CommandSpec, type KeySpec, type KeySpecFlag } from './spec.js';
import type { Client } from '../server/client.js';
import { replyHelp } from './server.js';
import { Database } from '../store/database.js';
import { now } from '../store/clock.js';
import { notify, NOTIFY_STREAM } from '../server/notify.js';
import type { Value } from '../store/types.js';
import {
  ConsumerGroup,
  MAX_ID,
  MIN_ID,
  StreamValue,
  U64_MAX,
  UNKNOWN_READS,
  compareIds,
  formatId,
  nextId,
  prevId,
  sortedNames,
  u64,
  type Consumer,
  type I64,
  type Nack,
  type NodeLimits,
  type StreamId,
  type TrimArgs,
  type U64,
} from '../store/stream.js';

// --- lookups ---

function asStream(v: Value): StreamValue | null {
  return typeof v !== 'string' && v.type === 'stream' ? v : null;
}

/** The stream under `k`: undefined when missing, null after replying WRONGTYPE. */
function lookup(c: Client, k: string, write: boolean): StreamValue | undefined | null {
  const v = write ? c.db.get(k) : c.db.getRead(k);
  if (v === undefined) return undefined;
  const s = asStream(v);
  if (s === null) c.reply.error(E.WRONGTYPE);
  return s;
}

/** The group's consumer `name`, created (and announced, as Redis's streamCreateConsumer) when missing. */
function consumerOf(c: Client, k: string, g: ConsumerGroup, name: string, at: number): Consumer {
  const created = !g.consumers.has(name);
  const consumer = g.consumer(name, at);
  if (created) notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', k);
  return consumer;
}

function limits(c: Client): NodeLimits {
  const config = c.server.config;
  return { maxEntries: config.num('stream-node-max-entries'), maxBytes: config.num('stream-node-max-bytes') };
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
function parseIdText(arg: string, missingSeq: U64, strict: boolean, starSeq: boolean): ParsedId | null {
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
function strictId(c: Client, arg: string): StreamId | null {
  const p = parseIdText(arg, 0, true, false);
  if (p === null) c.reply.error(E.STREAM_INVALID_ID);
  return p?.id ?? null;
}

/** A range bound: `(` makes it exclusive, which moves it one ID inwards. */
function boundArg(c: Client, arg: string, isStart: boolean): StreamId | null {
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
function longArg(c: Client, arg: string, error: string = E.NOT_INTEGER): number | null {
  const n = parseInteger(arg);
  if (n === null) c.reply.error(error);
  return n;
}

/** A long long kept exact past 2^53 (counters shown back to the user), or null after replying. */
function exactArg(c: Client, arg: string, error: string = E.NOT_INTEGER): I64 | null {
  const n = parseInt64(arg);
  if (n === null) {
    c.reply.error(error);
    return null;
  }
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

// --- replies ---

/** One entry of a reply: its ID and pairs, or null pairs for a pending entry deleted since. */
interface Item {
  readonly id: string;
  readonly fv: readonly string[] | null;
}

function collect(s: StreamValue, start: StreamId, end: StreamId, rev: boolean, count: number): Item[] {
  const items: Item[] = [];
  s.range(start, end, rev, count, (ms, seq, fv, from, to) => items.push({ id: `${ms}-${seq}`, fv: fv.slice(from, to) }));
  return items;
}

function replyEntry(c: Client, item: Item): void {
  c.reply.array(2);
  c.reply.bulk(item.id);
  if (item.fv === null) {
    c.reply.nilArray();
    return;
  }
  c.reply.bulks(item.fv);
}

function replyEntries(c: Client, items: readonly Item[]): void {
  c.reply.array(items.length);
  for (const it of items) replyEntry(c, it);
}

/** The entry with this ID as a reply element, or a null when it is gone. */
function replyOneEntry(c: Client, s: StreamValue, id: StreamId): void {
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
    const more = argv.length - 1 - i;
    const opt = argv[i]!;
    if (xadd && opt === '*') break;
    if ((is(opt, 'maxlen') || is(opt, 'minid')) && more > 0) {
      if (strategy !== null) {
        c.reply.error(E.TRIM_MAXLEN_AND_MINID);
        return null;
      }
      approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === '~') {
        approx = true;
        i++;
      } else if (more >= 2 && next === '=') {
        i++;
      }
      if (is(opt, 'maxlen')) {
        const n = longArg(c, argv[i + 1]!);
        if (n === null) return null;
        if (n < 0) {
          c.reply.error(E.TRIM_MAXLEN_NEGATIVE);
          return null;
        }
        maxlen = n;
        strategy = 'maxlen';
      } else {
        const m = strictId(c, argv[i + 1]!);
        if (m === null) return null;
        minid = m;
        strategy = 'minid';
      }
      i++;
    } else if (is(opt, 'limit') && more > 0) {
      const n = longArg(c, argv[i + 1]!);
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
    limit = 100 * c.server.config.num('stream-node-max-entries');
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
  const k = argv[1]!;
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
  const id = s.newId(given?.id ?? null, given?.seqGiven ?? true, now());
  if (id === null) {
    c.reply.error(E.XADD_ID_TOO_SMALL);
    return;
  }
  s.append(id, argv.slice(fieldPos), limits(c));
  c.reply.bulk(formatId(id));
  notify(c, NOTIFY_STREAM, 'xadd', k);
  if (args.trim !== null && s.trim(args.trim) > 0) notify(c, NOTIFY_STREAM, 'xtrim', k);
  // A new stream was announced by db.set already.
  if (!created) c.db.modified(k);
}

function xtrim(c: Client, argv: string[]): void {
  const args = parseAddTrim(c, argv, false);
  if (args === null) return;
  const k = argv[1]!;
  const s = lookup(c, k, true);
  if (s === null) return;
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  const deleted = s.trim(args.trim!);
  if (deleted > 0) {
    c.db.modified(k, deleted);
    notify(c, NOTIFY_STREAM, 'xtrim', k);
  }
  c.reply.integer(deleted);
}

// --- XRANGE, XREVRANGE, XLEN, XDEL ---

function rangeGeneric(c: Client, argv: string[], rev: boolean): void {
  const start = boundArg(c, rev ? argv[3]! : argv[2]!, true);
  if (start === null) return;
  const end = boundArg(c, rev ? argv[2]! : argv[3]!, false);
  if (end === null) return;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (is(argv[j]!, 'count') && j + 1 < argv.length) {
      const n = longArg(c, argv[++j]!);
      if (n === null) return;
      count = Math.max(0, n);
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const s = lookup(c, argv[1]!, false);
  if (s === null) return;
  if (s === undefined) {
    c.reply.array(0);
    return;
  }
  if (count === 0) {
    c.reply.nilArray();
    return;
  }
  replyEntries(c, collect(s, start, end, rev, count === -1 ? 0 : count));
}

const xrange = (c: Client, argv: string[]): void => rangeGeneric(c, argv, false);
const xrevrange = (c: Client, argv: string[]): void => rangeGeneric(c, argv, true);

function xlen(c: Client, argv: string[]): void {
  const s = lookup(c, argv[1]!, false);
  if (s === null) return;
  c.reply.integer(s?.length ?? 0);
}

function xdel(c: Client, argv: string[]): void {
  const k = argv[1]!;
  const s = lookup(c, k, true);
  if (s === null) return;
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  // Every ID is checked before any is deleted: the command runs whole or not at all.
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = strictId(c, argv[j]!);
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

// --- reading through a consumer group ---

/**
 * Delivers new entries from `start` to `consumer` (Redis's streamReplyWithRange with a group):
 * the group moves past each, and each becomes pending for the consumer unless `noAck`.
 */
function readNew(s: StreamValue, g: ConsumerGroup, consumer: Consumer, start: StreamId, count: number, noAck: boolean, at: number): Item[] {
  const items: Item[] = [];
  s.range(start, MAX_ID, false, count, (ms, seq, fv, from, to) => {
    const id = { ms, seq };
    s.advanceGroup(g, id);
    items.push({ id: `${ms}-${seq}`, fv: fv.slice(from, to) });
    if (noAck) return;
    const nack: Nack = { ms, seq, consumer, deliveryTime: at, deliveryCount: 1 };
    if (g.pel.insert(nack)) {
      consumer.pel.insert(nack);
      return;
    }
    // Already pending (XGROUP SETID moved the group back): the entry changes hands.
    const old = g.pel.find(id)!;
    old.consumer?.pel.remove(id);
    old.consumer = consumer;
    old.deliveryTime = at;
    old.deliveryCount = 1;
    consumer.pel.insert(old);
  });
  return items;
}

/** A consumer's own pending entries after `start` (history reads); each counts as redelivered. */
function readHistory(s: StreamValue, consumer: Consumer, start: StreamId, count: number, at: number): Item[] {
  const items: Item[] = [];
  const pel = consumer.pel.items;
  for (let i = consumer.pel.lowerBound(start.ms, start.seq); i < pel.length && (count === 0 || items.length < count); i++) {
    const n = pel[i]!;
    const id = formatId(n);
    const fv = s.get(n);
    if (fv === null) {
      items.push({ id, fv: null });
      continue;
    }
    n.deliveryTime = at;
    n.deliveryCount = addOne(n.deliveryCount);
    items.push({ id, fv });
  }
  return items;
}

function addOne(x: I64): I64 {
  return typeof x === 'number' && x < Number.MAX_SAFE_INTEGER ? x + 1 : BigInt.asIntN(64, BigInt(x) + 1n);
}

// --- XREAD, XREADGROUP ---

interface ReadArgs {
  readonly timeout: number;
  readonly count: number;
  readonly keys: string[];
  readonly ids: StreamId[];
  readonly group: { readonly name: string; readonly consumer: string; readonly noAck: boolean } | null;
}

/** Redis's xreadCommand argument pass, IDs resolved. Null after replying an error. */
function parseRead(c: Client, argv: string[], readGroup: boolean): ReadArgs | null {
  let timeout = -1;
  let count = 0;
  let streamsAt = 0;
  let n = 0;
  let noAck = false;
  let groupName: string | null = null;
  let consumerName = '';
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i]!;
    if (is(o, 'block') && more > 0) {
      const t = longArg(c, argv[++i]!, E.TIMEOUT_NOT_INTEGER);
      if (t === null) return null;
      if (t < 0) {
        c.reply.error(E.TIMEOUT_NEGATIVE);
        return null;
      }
      timeout = t;
    } else if (is(o, 'count') && more > 0) {
      const v = longArg(c, argv[++i]!);
      if (v === null) return null;
      count = Math.max(0, v);
    } else if (is(o, 'streams') && more > 0) {
      streamsAt = i + 1;
      n = argv.length - streamsAt;
      if (n % 2 !== 0) {
        c.reply.error(E.XREAD_UNBALANCED);
        return null;
      }
      n /= 2;
      break;
    } else if (is(o, 'group') && more >= 2) {
      if (!readGroup) {
        c.reply.error(E.XREAD_GROUP_OPTION);
        return null;
      }
      groupName = argv[i + 1]!;
      consumerName = argv[i + 2]!;
      i += 2;
    } else if (is(o, 'noack')) {
      if (!readGroup) {
        c.reply.error(E.XREAD_NOACK_OPTION);
        return null;
      }
      noAck = true;
    } else {
      c.reply.error(E.SYNTAX);
      return null;
    }
  }
  if (streamsAt === 0) {
    c.reply.error(E.SYNTAX);
    return null;
  }
  if (readGroup && groupName === null) {
    c.reply.error(E.XREADGROUP_NO_GROUP_OPTION);
    return null;
  }
  const keys = argv.slice(streamsAt, streamsAt + n);
  const ids: StreamId[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const s = lookup(c, k, false);
    if (s === null) return null;
    if (groupName !== null && (s === undefined || !s.groups.has(groupName))) {
      c.reply.error(E.xreadgroupNoGroup(k, groupName));
      return null;
    }
    const arg = argv[streamsAt + n + i]!;
    if (arg === '$') {
      if (readGroup) {
        c.reply.error(E.XREADGROUP_DOLLAR);
        return null;
      }
      ids.push(s?.lastId ?? MIN_ID);
    } else if (arg === '>') {
      if (!readGroup) {
        c.reply.error(E.XREAD_GREATER_ID);
        return null;
      }
      // As in Redis, '>' is the largest ID: "whatever the group has not delivered yet".
      ids.push(MAX_ID);
    } else {
      const id = strictId(c, arg);
      if (id === null) return null;
      ids.push(id);
    }
  }
  const group = groupName === null ? null : { name: groupName, consumer: consumerName, noAck };
  return { timeout, count, keys, ids, group };
}

function isNewOnly(id: StreamId): boolean {
  return id.ms === U64_MAX && id.seq === U64_MAX;
}

/** What one stream contributes to an XREAD/XREADGROUP reply. */
interface Served {
  readonly key: string;
  readonly items: Item[];
}

/** Serves what can be served right away, in argument order, each stream seeing the earlier ones' effects. */
function readNow(c: Client, args: ReadArgs): Served[] {
  const out: Served[] = [];
  const at = now();
  for (let i = 0; i < args.keys.length; i++) {
    const k = args.keys[i]!;
    const s = lookup(c, k, false);
    if (s === null || s === undefined) continue;
    const gt = args.ids[i]!;
    if (args.group === null) {
      const last = s.length > 0 ? s.lastLiveId() : null;
      if (last !== null && compareIds(last, gt) > 0) out.push({ key: k, items: collect(s, nextId(gt)!, MAX_ID, false, args.count) });
      continue;
    }
    const g = s.groups.get(args.group.name)!;
    let start: StreamId | null = null;
    const history = !isNewOnly(gt);
    if (history) {
      start = nextId(gt);
    } else if (s.length > 0 && compareIds(s.lastLiveId()!, g.lastId) > 0) {
      start = nextId(g.lastId);
    }
    // As Redis, `>` with nothing new serves nothing and leaves the consumer uncreated.
    if (start === null && !history) continue;
    const consumer = consumerOf(c, k, g, args.group.consumer, at);
    if (start === null) continue;
    const items = history ? readHistory(s, consumer, start, args.count, at) : readNew(s, g, consumer, start, args.count, args.group.noAck, at);
    Database.dirty++;
    out.push({ key: k, items });
  }
  return out;
}

/** Streams keyed by name: a map in RESP3, an array of [key, entries] pairs in RESP2. */
function replyServed(c: Client, served: readonly Served[]): void {
  if (c.reply.resp === 2) c.reply.array(served.length);
  else c.reply.map(served.length);
  for (const s of served) {
    if (c.reply.resp === 2) c.reply.array(2);
    c.reply.bulk(s.key);
    replyEntries(c, s.items);
  }
}

/** A blocked read's count when none was given: enough to be useful, not enough to stall. */
const BLOCKED_DEFAULT_COUNT = 1000;

function readGeneric(c: Client, argv: string[], readGroup: boolean): void {
  const args = parseRead(c, argv, readGroup);
  if (args === null) return;
  const served = readNow(c, args);
  if (served.length > 0) {
    replyServed(c, served);
    return;
  }
  if (args.timeout === -1 || c.inExec) {
    c.reply.nilArray();
    return;
  }
  block(c, args);
}

const xread = (c: Client, argv: string[]): void => readGeneric(c, argv, false);
const xreadgroup = (c: Client, argv: string[]): void => readGeneric(c, argv, true);

// --- waiting for entries ---

/** A client blocked in XREAD/XREADGROUP. */
interface StreamWait {
  readonly client: Client;
  readonly db: Database;
  /** The ID each key must pass (the first one given for a key named twice). */
  readonly after: Map<string, StreamId>;
  readonly count: number;
  readonly group: ReadArgs['group'];
}

function block(c: Client, args: ReadArgs): void {
  const after = new Map<string, StreamId>();
  args.keys.forEach((k, i) => {
    if (!after.has(k)) after.set(k, args.ids[i]!);
  });
  const w: StreamWait = {
    client: c,
    db: c.db,
    after,
    count: args.count === 0 ? BLOCKED_DEFAULT_COUNT : args.count,
    group: args.group,
  };
  c.server.blocking.block(
    { client: c, db: c.db, keys: [...after.keys()], serve: (k) => serveWait(w, k), timedOut: () => c.reply.nilArray() },
    args.timeout,
  );
}

/**
 * Serves `w` from the stream under `k` if it has something for it; true once a reply is written.
 * A group reader whose key or group is gone gets an error, as Redis 7.0 answers it.
 */
function serveWait(w: StreamWait, k: string): boolean {
  const c = w.client;
  const s = asStreamOrNull(w.db.get(k));
  let gt = w.after.get(k)!;
  let g: ConsumerGroup | undefined;
  if (w.group !== null) {
    if (s === null) {
      c.reply.error(E.XREADGROUP_KEY_GONE);
      return true;
    }
    g = s.groups.get(w.group.name);
    if (g === undefined) {
      c.reply.error(E.XREADGROUP_GROUP_GONE);
      return true;
    }
    gt = g.lastId;
  }
  if (s === null || compareIds(s.lastId, gt) <= 0) return false;
  const start = nextId(gt)!;
  const at = now();
  let items: Item[];
  if (g !== undefined && w.group !== null) {
    const consumer = consumerOf(c, k, g, w.group.consumer, at);
    items = readNew(s, g, consumer, start, w.count, w.group.noAck, at);
  } else {
    items = collect(s, start, MAX_ID, false, w.count);
  }
  if (c.reply.resp === 2) {
    c.reply.array(1);
    c.reply.array(2);
  } else {
    c.reply.map(1);
  }
  c.reply.bulk(k);
  replyEntries(c, items);
  return true;
}

function asStreamOrNull(v: Value | undefined): StreamValue | null {
  return v === undefined ? null : asStream(v);
}

// --- XGROUP ---

/**
 * Redis runs every XGROUP subcommand through one function: options first, then the key and
 * group checks, then the subcommand's own arity. Kept that way so errors come in Redis's order.
 */
function xgroup(c: Client, argv: string[]): void {
  const sub = argv[1]!.toLowerCase();
  let mkStream = false;
  let entriesRead: I64 = UNKNOWN_READS;
  if (sub === 'create' || sub === 'setid') {
    for (let i = 5; i < argv.length; ) {
      if (sub === 'create' && is(argv[i]!, 'mkstream')) {
        mkStream = true;
        i++;
      } else if (is(argv[i]!, 'entriesread') && i + 1 < argv.length) {
        const v = exactArg(c, argv[i + 1]!);
        if (v === null) return;
        if (v < 0 && v !== UNKNOWN_READS) {
          c.reply.error(E.ENTRIESREAD_RANGE);
          return;
        }
        entriesRead = v;
        i += 2;
      } else {
        c.reply.error(E.subcommandSyntax(argv[1]!, 'xgroup'));
        return;
      }
    }
  }
  const k = argv[2]!;
  const groupName = argv[3]!;
  let s = lookup(c, k, true);
  if (s === null) return;
  let g: ConsumerGroup | undefined;
  if (!mkStream) {
    if (s === undefined) {
      c.reply.error(E.XGROUP_KEY_REQUIRED);
      return;
    }
    g = s.groups.get(groupName);
    if (g === undefined && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
      c.reply.error(E.xgroupNoGroup(groupName, k));
      return;
    }
  }
  const argc = argv.length;
  if (sub === 'create' && argc >= 5 && argc <= 8) {
    let id: StreamId;
    if (argv[4] === '$') {
      id = s?.lastId ?? MIN_ID;
    } else {
      const p = strictId(c, argv[4]!);
      if (p === null) return;
      id = p;
    }
    if (s === undefined) {
      s = new StreamValue();
      c.db.set(k, s);
    }
    if (s.groups.has(groupName)) {
      c.reply.error(E.BUSYGROUP);
      return;
    }
    s.groups.set(groupName, new ConsumerGroup(id, entriesRead));
    Database.dirty++;
    notify(c, NOTIFY_STREAM, 'xgroup-create', k);
    c.reply.ok();
  } else if (sub === 'setid' && (argc === 5 || argc === 7)) {
    let id: StreamId;
    if (argv[4] === '$') {
      id = s!.lastId;
    } else {
      const p = parseIdText(argv[4]!, 0, false, false);
      if (p === null) {
        c.reply.error(E.STREAM_INVALID_ID);
        return;
      }
      id = p.id;
    }
    g!.lastId = id;
    g!.entriesRead = entriesRead;
    Database.dirty++;
    notify(c, NOTIFY_STREAM, 'xgroup-setid', k);
    c.reply.ok();
  } else if (sub === 'destroy' && argc === 4) {
    if (g === undefined) {
      c.reply.integer(0);
      return;
    }
    s!.groups.delete(groupName);
    Database.dirty++;
    notify(c, NOTIFY_STREAM, 'xgroup-destroy', k);
    // Readers blocked on this group learn that it is gone.
    c.server.blocking.modified(c.db, k);
    c.reply.integer(1);
  } else if (sub === 'createconsumer' && argc === 5) {
    const name = argv[4]!;
    if (g!.consumers.has(name)) {
      c.reply.integer(0);
      return;
    }
    consumerOf(c, k, g!, name, now());
    Database.dirty++;
    c.reply.integer(1);
  } else if (sub === 'delconsumer' && argc === 5) {
    const name = argv[4]!;
    const had = g!.consumers.has(name);
    const pending = g!.deleteConsumer(name);
    if (had) {
      Database.dirty++;
      notify(c, NOTIFY_STREAM, 'xgroup-delconsumer', k);
    }
    c.reply.integer(pending);
  } else {
    c.reply.error(E.subcommandSyntax(argv[1]!, 'xgroup'));
  }
}

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

function xgroupHelp(c: Client): void {
  replyHelp(c, 'XGROUP', XGROUP_HELP);
}

// --- XACK, XPENDING ---

/** The group of a stream looked up for reading, or null after replying (missing: `onMissing`). */
function readGroupOf(c: Client, k: string, groupName: string, onMissing: () => void): { s: StreamValue; g: ConsumerGroup } | null {
  const s = lookup(c, k, false);
  if (s === null) return null;
  const g = s?.groups.get(groupName);
  if (s === undefined || g === undefined) {
    onMissing();
    return null;
  }
  return { s, g };
}

function xack(c: Client, argv: string[]): void {
  const found = readGroupOf(c, argv[1]!, argv[2]!, () => c.reply.integer(0));
  if (found === null) return;
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = strictId(c, argv[j]!);
    if (id === null) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) if (found.g.ack(id)) acked++;
  Database.dirty += acked;
  c.reply.integer(acked);
}

function xpending(c: Client, argv: string[]): void {
  const argc = argv.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    c.reply.error(E.SYNTAX);
    return;
  }
  let start = MIN_ID;
  let end = MAX_ID;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (argc >= 6) {
    let at = 3;
    if (is(argv[3]!, 'idle')) {
      const v = longArg(c, argv[4]!);
      if (v === null) return;
      minIdle = v;
      if (argc < 8) {
        c.reply.error(E.SYNTAX);
        return;
      }
      at += 2;
    }
    const n = longArg(c, argv[at + 2]!);
    if (n === null) return;
    count = Math.max(0, n);
    const s0 = boundArg(c, argv[at]!, true);
    if (s0 === null) return;
    const e0 = boundArg(c, argv[at + 1]!, false);
    if (e0 === null) return;
    start = s0;
    end = e0;
    if (at + 3 < argc) consumerName = argv[at + 3]!;
  }
  const k = argv[1]!;
  const groupName = argv[2]!;
  const found = readGroupOf(c, k, groupName, () => c.reply.error(E.noKeyOrGroup(k, groupName)));
  if (found === null) return;
  const g = found.g;
  if (argc === 3) {
    c.reply.array(4);
    c.reply.integer(g.pel.size);
    if (g.pel.size === 0) {
      c.reply.nil();
      c.reply.nil();
      c.reply.nilArray();
      return;
    }
    c.reply.bulk(formatId(g.pel.items[0]!));
    c.reply.bulk(formatId(g.pel.items[g.pel.size - 1]!));
    const owners = sortedNames(g.consumers)
      .map((name) => g.consumers.get(name)!)
      .filter((cons) => cons.pel.size > 0);
    c.reply.array(owners.length);
    for (const cons of owners) {
      c.reply.array(2);
      c.reply.bulk(cons.name);
      c.reply.bulk(String(cons.pel.size));
    }
    return;
  }
  let pel = g.pel;
  if (consumerName !== null) {
    const cons = g.consumers.get(consumerName);
    if (cons === undefined) {
      c.reply.array(0);
      return;
    }
    pel = cons.pel;
  }
  const t = now();
  const rows: Nack[] = [];
  for (let i = pel.lowerBound(start.ms, start.seq); count > 0 && i < pel.size; i++) {
    const n = pel.items[i]!;
    if (compareIds(n, end) > 0) break;
    if (minIdle !== 0 && t - n.deliveryTime < minIdle) continue;
    rows.push(n);
    count--;
  }
  c.reply.array(rows.length);
  for (const n of rows) {
    c.reply.array(4);
    c.reply.bulk(formatId(n));
    c.reply.bulk(n.consumer!.name);
    c.reply.integer(Math.max(0, t - n.deliveryTime));
    c.reply.integer(n.deliveryCount);
  }
}

// --- XCLAIM, XAUTOCLAIM ---

/** Hands a pending entry to `consumer`, moving it out of its previous owner's list. */
function transfer(n: Nack, consumer: Consumer): void {
  if (n.consumer === consumer) return;
  n.consumer?.pel.remove(n);
  consumer.pel.insert(n);
  n.consumer = consumer;
}

function xclaim(c: Client, argv: string[]): void {
  const k = argv[1]!;
  const groupName = argv[2]!;
  const found = readGroupOf(c, k, groupName, () => c.reply.error(E.noKeyOrGroup(k, groupName)));
  if (found === null) return;
  const { s, g } = found;
  const idle = longArg(c, argv[4]!, E.xclaimBadArgument('min-idle-time', 'XCLAIM'));
  if (idle === null) return;
  const minIdle = Math.max(0, idle);
  // IDs run until the first argument that is not one; options follow.
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const p = parseIdText(argv[j]!, 0, true, false);
    if (p === null) break;
    ids.push(p.id);
  }
  const t = now();
  let force = false;
  let justId = false;
  let deliveryTime = -1;
  let retryCount: I64 = -1;
  let lastId = MIN_ID;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!;
    if (is(opt, 'force')) {
      force = true;
    } else if (is(opt, 'justid')) {
      justId = true;
    } else if (is(opt, 'idle') && more > 0) {
      const v = longArg(c, argv[++j]!, E.xclaimBadArgument('IDLE option', 'XCLAIM'));
      if (v === null) return;
      deliveryTime = t - v;
    } else if (is(opt, 'time') && more > 0) {
      const v = longArg(c, argv[++j]!, E.xclaimBadArgument('TIME option', 'XCLAIM'));
      if (v === null) return;
      deliveryTime = v;
    } else if (is(opt, 'retrycount') && more > 0) {
      const v = exactArg(c, argv[++j]!, E.xclaimBadArgument('RETRYCOUNT option', 'XCLAIM'));
      if (v === null) return;
      retryCount = v;
    } else if (is(opt, 'lastid') && more > 0) {
      const id = strictId(c, argv[++j]!);
      if (id === null) return;
      lastId = id;
    } else {
      c.reply.error(E.xclaimUnknownOption(opt));
      return;
    }
  }
  if (compareIds(lastId, g.lastId) > 0) g.lastId = lastId;
  // A bogus time (in the future, or before the epoch) means "now", as clocks may disagree.
  if (deliveryTime < 0 || deliveryTime > t) deliveryTime = t;
  let consumer: Consumer | null = null;
  const claimed: { id: StreamId; nack: Nack }[] = [];
  for (const id of ids) {
    let n = g.pel.find(id);
    if (!s.has(id)) {
      // The entry was deleted: it can no longer be pending either.
      if (n !== undefined) g.ack(id);
      continue;
    }
    if (force && n === undefined) {
      n = { ms: id.ms, seq: id.seq, consumer: null, deliveryTime: t, deliveryCount: 1 };
      g.pel.insert(n);
    }
    if (n === undefined) continue;
    if (n.consumer !== null && minIdle !== 0 && t - n.deliveryTime < minIdle) continue;
    consumer ??= consumerOf(c, argv[1]!, g, argv[3]!, t);
    transfer(n, consumer);
    n.deliveryTime = deliveryTime;
    if (retryCount >= 0) n.deliveryCount = retryCount;
    else if (!justId) n.deliveryCount = addOne(n.deliveryCount);
    claimed.push({ id, nack: n });
  }
  Database.dirty += claimed.length;
  c.reply.array(claimed.length);
  for (const { id } of claimed) {
    if (justId) c.reply.bulk(formatId(id));
    else replyOneEntry(c, s, id);
  }
}

/** XAUTOCLAIM looks at no more than this many pending entries per entry it may claim. */
const ATTEMPTS_FACTOR = 10;
const MAX_AUTOCLAIM_COUNT = (2n ** 63n - 1n) / 16n;
/** Bytes a 64-bit Linux process can map (47-bit user address space). */
const ADDRESS_SPACE = 2 ** 47;

function xautoclaim(c: Client, argv: string[]): void {
  const idle = longArg(c, argv[4]!, E.xclaimBadArgument('min-idle-time', 'XAUTOCLAIM'));
  if (idle === null) return;
  const minIdle = Math.max(0, idle);
  const start = boundArg(c, argv[5]!, true);
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (is(argv[j]!, 'count') && more > 0) {
      const v = parseInt64(argv[++j]!);
      if (v === null || v < 1n || v > MAX_AUTOCLAIM_COUNT) {
        c.reply.error(E.XAUTOCLAIM_COUNT);
        return;
      }
      count = Number(v);
    } else if (is(argv[j]!, 'justid')) {
      justId = true;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const k = argv[1]!;
  const groupName = argv[2]!;
  const found = readGroupOf(c, k, groupName, () => c.reply.error(E.noKeyOrGroup(k, groupName)));
  if (found === null) return;
  const { s, g } = found;
  // Redis allocates room for `count` deleted IDs up front; past the address space that fails.
  if (count * 16 > ADDRESS_SPACE) {
    c.reply.error(E.XAUTOCLAIM_COUNT_TOO_HIGH);
    return;
  }
  const t = now();
  let attempts = count * ATTEMPTS_FACTOR;
  let consumer: Consumer | null = null;
  const claimed: StreamId[] = [];
  const deleted: StreamId[] = [];
  const pel = g.pel.items;
  let i = g.pel.lowerBound(start.ms, start.seq);
  for (; attempts > 0 && count > 0 && i < pel.length; attempts--) {
    const n = pel[i]!;
    if (!s.has(n)) {
      g.ack(n);
      deleted.push(n);
      count--;
      continue;
    }
    i++;
    if (minIdle !== 0 && t - n.deliveryTime < minIdle) continue;
    consumer ??= consumerOf(c, argv[1]!, g, argv[3]!, t);
    transfer(n, consumer);
    n.deliveryTime = t;
    if (!justId) n.deliveryCount = addOne(n.deliveryCount);
    claimed.push(n);
    count--;
  }
  const cursor = i < pel.length && (attempts === 0 || count === 0) ? pel[i]! : MIN_ID;
  Database.dirty += claimed.length + deleted.length;
  c.reply.array(3);
  c.reply.bulk(formatId(cursor));
  c.reply.array(claimed.length);
  for (const id of claimed) {
    if (justId) c.reply.bulk(formatId(id));
    else replyOneEntry(c, s, id);
  }
  c.reply.array(deleted.length);
  for (const id of deleted) c.reply.bulk(formatId(id));
}

// --- XINFO ---

function xinfoTarget(c: Client, argv: string[]): StreamValue | null {
  const s = lookup(c, argv[2]!, false);
  if (s === undefined) c.reply.error(E.NO_SUCH_KEY);
  return s ?? null;
}

function xinfoStream(c: Client, argv: string[]): void {
  const s = xinfoTarget(c, argv);
  if (s === null) return;
  const full = argv.length > 3;
  let count = 10;
  if (full) {
    const n = argv.length;
    if ((n !== 4 && n !== 6) || !is(argv[3]!, 'full') || (n === 6 && !is(argv[4]!, 'count'))) {
      c.reply.error(E.subcommandSyntax(argv[1]!, 'xinfo'));
      return;
    }
    if (n === 6) {
      const n = longArg(c, argv[5]!);
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
      const [item] = collect(s, MIN_ID, MAX_ID, rev, 1);
      if (item === undefined) r.nil();
      else replyEntry(c, item);
    }
    return;
  }
  r.bulk('entries');
  replyEntries(c, collect(s, MIN_ID, MAX_ID, false, count));
  r.bulk('groups');
  r.array(s.groups.size);
  const upTo = <T>(items: readonly T[]): readonly T[] => (count === 0 ? items : items.slice(0, count));
  for (const name of sortedNames(s.groups)) {
    const g = s.groups.get(name)!;
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
      r.bulk(n.consumer!.name);
      r.integer(n.deliveryTime);
      r.integer(n.deliveryCount);
    }
    r.bulk('consumers');
    r.array(g.consumers.size);
    for (const cname of sortedNames(g.consumers)) {
      const cons = g.consumers.get(cname)!;
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
    const g = s.groups.get(name)!;
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
  const g = s.groups.get(argv[3]!);
  if (g === undefined) {
    c.reply.error(E.xgroupNoGroup(argv[3]!, argv[2]!));
    return;
  }
  const t = now();
  c.reply.array(g.consumers.size);
  for (const name of sortedNames(g.consumers)) {
    const cons = g.consumers.get(name)!;
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
  const id = strictId(c, argv[2]!);
  if (id === null) return;
  let entriesAdded: I64 = -1;
  let maxDeleted = MIN_ID;
  for (let i = 3; i < argv.length; i += 2) {
    const more = argv.length - 1 - i;
    const opt = argv[i]!;
    if (is(opt, 'entriesadded') && more > 0) {
      const v = exactArg(c, argv[i + 1]!);
      if (v === null) return;
      if (v < 0) {
        c.reply.error(E.XSETID_ENTRIES_ADDED_NEGATIVE);
        return;
      }
      entriesAdded = v;
    } else if (is(opt, 'maxdeletedid') && more > 0) {
      const m = strictId(c, argv[i + 1]!);
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
  const s = lookup(c, argv[1]!, true);
  if (s === null) return;
  if (s === undefined) {
    c.reply.error(E.NO_SUCH_KEY);
    return;
  }
  if (s.length > 0) {
    if (compareIds(id, s.lastLiveId()!) < 0) {
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
  Database.dirty++;
  notify(c, NOTIFY_STREAM, 'xsetid', argv[1]!);
  c.reply.ok();
}

// --- the table ---

const rw = (...flags: KeySpecFlag[]): readonly KeySpec[] => [key(1, ...flags)];
const sub2 = (...flags: KeySpecFlag[]): readonly KeySpec[] => [key(2, ...flags)];
const streamsKeys = (startFrom: number): readonly KeySpec[] => [
  keyAfter('STREAMS', startFrom, { range: { lastKey: -1, keyStep: 1, limit: 2 } }, 'RO', 'ACCESS'),
];
const aclWF = ['write', 'stream', 'fast'] as const;
const aclWS = ['write', 'stream', 'slow'] as const;
const aclRF = ['read', 'stream', 'fast'] as const;
const aclRS = ['read', 'stream', 'slow'] as const;
const random = ['nondeterministic_output'];
const doc = (summary: string, since: string, complexity: string, history?: readonly (readonly [string, string])[]) =>
  history === undefined ? { summary, since, group: 'stream', complexity } : { summary, since, group: 'stream', complexity, history };
const rangeCost = 'O(N), N the number of entries returned; O(log(S)) to find the start in a stream of S entries.';

export const streamCommands: readonly CommandSpec[] = [
  { name: 'xadd', arity: -5, flags: ['write', 'denyoom', 'fast'], acl: aclWF, tips: random,
    keys: [{ ...key(1, 'RW', 'UPDATE'), notes: 'UPDATE instead of INSERT because of the optional trimming feature' }], run: xadd,
    docs: doc('Appends an entry to a stream, creating the stream if needed and optionally trimming it.', '5.0.0', 'O(1) to add; O(N) when trimming, N the entries removed.', [
      ['6.2.0', 'Added `NOMKSTREAM`, the `MINID` strategy and `LIMIT`.'], ['7.0.0', 'Accepts explicit IDs of the form `<ms>-*`.']]) },
  { name: 'xrange', arity: -4, flags: ['readonly'], acl: aclRS, keys: rw('RO', 'ACCESS'), run: xrange,
    docs: doc('Returns the entries of a stream within a range of IDs.', '5.0.0', rangeCost, [['6.2.0', 'Exclusive ranges.']]) },
  { name: 'xrevrange', arity: -4, flags: ['readonly'], acl: aclRS, keys: rw('RO', 'ACCESS'), run: xrevrange,
    docs: doc('Returns the entries of a stream within a range of IDs, newest first.', '5.0.0', rangeCost, [['6.2.0', 'Exclusive ranges.']]) },
  { name: 'xlen', arity: 2, flags: ['readonly', 'fast'], acl: aclRF, keys: rw('RO'), run: xlen,
    docs: doc('Counts the entries of a stream.', '5.0.0', 'O(1)') },
  { name: 'xdel', arity: -3, flags: ['write', 'fast'], acl: aclWF, keys: rw('RW', 'DELETE'), run: xdel,
    docs: doc('Deletes entries from a stream by ID; the stream stays even when emptied.', '5.0.0', 'O(log(N)) per entry, N the size of the stream.') },
  { name: 'xtrim', arity: -4, flags: ['write'], acl: aclWS, tips: random, keys: rw('RW', 'DELETE'), run: xtrim,
    docs: doc('Removes the oldest entries of a stream, down to a length or up to an ID.', '5.0.0', 'O(N), N the entries removed (whole nodes go at once).', [
      ['6.2.0', 'Added the `MINID` strategy and `LIMIT`.']]) },
  { name: 'xread', arity: -4, flags: ['readonly', 'blocking'], acl: ['read', 'stream', 'slow', 'blocking'], keys: streamsKeys(1), run: xread,
    docs: doc('Reads entries newer than given IDs from one or more streams, optionally waiting for them.', '5.0.0', 'O(N) per stream, N the entries returned; O(M) for XADD to serve M blocked readers.') },
  { name: 'xreadgroup', arity: -7, flags: ['write', 'blocking'], acl: ['write', 'stream', 'slow', 'blocking'], keys: streamsKeys(4), run: xreadgroup,
    docs: doc('Reads entries through a consumer group, recording them as pending for the consumer, optionally waiting.', '5.0.0', 'O(M) per stream, M the entries returned; O(N) for XADD to serve N blocked readers.') },
  { name: 'xack', arity: -4, flags: ['write', 'fast'], acl: aclWF, keys: rw('RW', 'UPDATE'), run: xack,
    docs: doc('Acknowledges entries of a consumer group, removing them from its pending list.', '5.0.0', 'O(1) per ID (O(log(P)) in a pending list of P entries).') },
  { name: 'xpending', arity: -3, flags: ['readonly'], acl: aclRS, tips: random, keys: rw('RO', 'ACCESS'), run: xpending,
    docs: doc("Summarizes or lists the entries pending in a consumer group.", '5.0.0', 'O(N), N the entries returned (or scanned with IDLE); the summary is O(C) in the consumers.', [
      ['6.2.0', 'Added `IDLE` and exclusive ranges.']]) },
  { name: 'xclaim', arity: -6, flags: ['write', 'fast'], acl: aclWF, tips: random, keys: rw('RW', 'UPDATE'), run: xclaim,
    docs: doc('Transfers pending entries of a consumer group to another consumer.', '5.0.0', 'O(log N) per ID, N the size of the pending list.') },
  { name: 'xautoclaim', arity: -6, flags: ['write', 'fast'], acl: aclWF, tips: random, keys: rw('RW', 'DELETE'), run: xautoclaim,
    docs: doc('Transfers pending entries idle long enough to another consumer, scanning from a cursor.', '6.2.0', 'O(1) when COUNT is small.', [
      ['7.0.0', 'The reply has a third element: the deleted entries removed from the pending list.']]) },
  { name: 'xsetid', arity: -3, flags: ['write', 'denyoom', 'fast'], acl: aclWF, keys: rw('RW', 'UPDATE'), run: xsetid,
    docs: doc("Sets a stream's last ID (and its entries-added and max-deleted-ID counters).", '5.0.0', 'O(1)', [
      ['7.0.0', 'Added `ENTRIESADDED` and `MAXDELETEDID`.']]) },
  {
    name: 'xgroup', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    docs: doc('Container for the consumer group subcommands.', '5.0.0', 'Depends on subcommand.'),
    subcommands: [
      { name: 'create', arity: -5, flags: ['write', 'denyoom'], acl: aclWS, keys: sub2('RW', 'INSERT'), run: xgroup,
        docs: doc('Creates a consumer group on a stream.', '5.0.0', 'O(1)', [['7.0.0', 'Added `ENTRIESREAD`.']]) },
      { name: 'setid', arity: -5, flags: ['write'], acl: aclWS, keys: sub2('RW', 'UPDATE'), run: xgroup,
        docs: doc("Sets a consumer group's last delivered ID.", '5.0.0', 'O(1)', [['7.0.0', 'Added the optional `ENTRIESREAD`.']]) },
      { name: 'destroy', arity: 4, flags: ['write'], acl: aclWS, keys: sub2('RW', 'DELETE'), run: xgroup,
        docs: doc('Deletes a consumer group.', '5.0.0', 'O(N), N the entries pending in the group.') },
      { name: 'createconsumer', arity: 5, flags: ['write', 'denyoom'], acl: aclWS, keys: sub2('RW', 'INSERT'), run: xgroup,
        docs: doc('Creates a consumer in a consumer group.', '6.2.0', 'O(1)') },
      { name: 'delconsumer', arity: 5, flags: ['write'], acl: aclWS, keys: sub2('RW', 'DELETE'), run: xgroup,
        docs: doc('Deletes a consumer from a consumer group, dropping its pending entries.', '5.0.0', 'O(1)') },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['stream', 'slow'], keys: NO_KEYS, run: xgroupHelp,
        docs: doc('Describes the XGROUP subcommands.', '5.0.0', 'O(1)') },
    ],
  },
  {
    name: 'xinfo', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    docs: doc('Container for the stream introspection subcommands.', '5.0.0', 'Depends on subcommand.'),
    subcommands: [
      { name: 'stream', arity: -3, flags: ['readonly'], acl: aclRS, keys: sub2('RO', 'ACCESS'), run: xinfoStream,
        docs: doc('Describes a stream, or with FULL its entries, groups and pending lists.', '5.0.0', 'O(1); with FULL, O(N) in the entries and pending entries shown.', [
          ['6.0.0', 'Added `FULL`.'], ['7.0.0', 'Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields.']]) },
      { name: 'groups', arity: 3, flags: ['readonly'], acl: aclRS, keys: sub2('RO', 'ACCESS'), run: xinfoGroups,
        docs: doc('Lists the consumer groups of a stream.', '5.0.0', 'O(1) per group', [['7.0.0', 'Added the `entries-read` and `lag` fields.']]) },
      { name: 'consumers', arity: 4, flags: ['readonly'], acl: aclRS, tips: random, keys: sub2('RO', 'ACCESS'), run: xinfoConsumers,
        docs: doc('Lists the consumers of a consumer group.', '5.0.0', 'O(1) per consumer') },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['stream', 'slow'], keys: NO_KEYS, run: xinfoHelp,
        docs: doc('Describes the XINFO subcommands.', '5.0.0', 'O(1)') },
    ],
  },
];
