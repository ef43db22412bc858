// XREAD and XREADGROUP: reading one or more streams, directly or through a consumer group, and
// waiting (BLOCK) in src/server/blocking.ts until a later XADD has something for the reader.
// What a group read changes lives in src/store/stream-group.ts; this file parses, replies and waits.

import * as E from '../errors.js';
import { arg, is } from '../protocol/args.js';
import { keyAfter, withDocs, type CommandSpec, type KeySpec } from './spec.js';
import { streamReadDocs } from './docs/stream-read.js';
import type { Client } from '../server/client.js';
import { msTimeoutArg } from '../server/blocking.js';
import type { Database } from '../store/database.js';
import { notify, NOTIFY_STREAM } from '../server/notify.js';
import { MAX_ID, MIN_ID, compareIds, nextId, prevId, rangeEntries, u64, type ConsumerGroup, type StreamEntry, type StreamId } from '../store/stream.js';
import { deliverNew, readGroup, type GroupDelivery } from '../store/stream-group.js';
import { asStream, longArg, lookup, replyEntries, strictId } from './stream.js';
import { GroupEffects } from './stream-propagate.js';

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
    const o = argv[i];
    if (o === undefined) break;
    const next = argv[i + 1];
    const second = argv[i + 2];
    if (is(o, 'block') && next !== undefined) {
      // Refused outright, as Redis: a script cannot wait, and a silent non-blocking read would hide it.
      if (c.inScript) {
        c.reply.error(E.blockFromScript(arg(argv, 0)));
        return null;
      }
      i++;
      const t = msTimeoutArg(c, next);
      if (t === null) return null;
      timeout = t;
    } else if (is(o, 'count') && next !== undefined) {
      i++;
      const v = longArg(c, next);
      if (v === null) return null;
      count = Math.max(0, v);
    } else if (is(o, 'streams') && next !== undefined) {
      streamsAt = i + 1;
      n = argv.length - streamsAt;
      if (n % 2 !== 0) {
        c.reply.error(E.xreadUnbalanced(readGroup));
        return null;
      }
      n /= 2;
      break;
    } else if (is(o, 'group') && next !== undefined && second !== undefined) {
      if (!readGroup) {
        c.reply.error(E.XREAD_GROUP_OPTION);
        return null;
      }
      groupName = next;
      consumerName = second;
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
    const k = keys[i];
    const arg = argv[streamsAt + n + i];
    if (k === undefined || arg === undefined) break;
    const s = lookup(c, k, false);
    if (s === null) return null;
    if (groupName !== null && (s === undefined || !s.groups.has(groupName))) {
      c.reply.error(E.xreadgroupNoGroup(k, groupName));
      return null;
    }
    // Redis compares these with strcmp, which stops at a NUL byte.
    const special = arg.split('\0', 1)[0];
    if (special === '$') {
      if (readGroup) {
        c.reply.error(E.XREADGROUP_DOLLAR);
        return null;
      }
      ids.push(s?.lastId ?? MIN_ID);
    } else if (special === '+') {
      // Valkey 8 (and Redis 7.4): the last entry. Reading after the ID before the stream's last
      // ID, as Valkey does (so an empty stream with a last ID of 0-0 is an error).
      if (readGroup) {
        c.reply.error(E.XREADGROUP_PLUS);
        return null;
      }
      if (s === undefined) ids.push(MIN_ID);
      else {
        const before = prevId(s.lastId);
        if (before === null) {
          c.reply.error(E.XREAD_PLUS_EMPTY);
          return null;
        }
        ids.push(before);
      }
    } else if (special === '>') {
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

/** What one stream contributes to an XREAD/XREADGROUP reply. */
interface Served {
  readonly key: string;
  readonly items: StreamEntry[];
}

/** Announces (and counts as a change) a consumer a group read created, as Redis's streamCreateConsumer does. */
function announce(c: Client, k: string, d: GroupDelivery): StreamEntry[] {
  if (d.consumerCreated) {
    notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', k);
    c.db.stats.dirty++;
  }
  return d.entries;
}

/** What a group read of new entries propagates (Redis's streamReplyWithRange with a group). */
function groupReadEffects(effects: GroupEffects, read: GroupDelivery, consumer: string, noAck: boolean, moved: boolean): void {
  if (noAck) {
    if (read.consumerCreated) effects.consumerCreated(consumer);
    if (moved) effects.groupMoved();
    return;
  }
  for (const e of read.entries) effects.claimed(consumer, parseEntryId(e.id));
}

/** An entry ID as readNew formats it (`ms-seq`). */
function parseEntryId(text: string): StreamId {
  const dash = text.indexOf('-');
  return { ms: u64(BigInt(text.slice(0, dash))), seq: u64(BigInt(text.slice(dash + 1))) };
}

/** Serves what can be served right away, in argument order, each stream seeing the earlier ones' effects. */
function readNow(c: Client, args: ReadArgs): Served[] {
  const out: Served[] = [];
  const at = c.db.clock.now();
  for (let i = 0; i < args.keys.length; i++) {
    const k = args.keys[i];
    const gt = args.ids[i];
    if (k === undefined || gt === undefined) break;
    const s = lookup(c, k, false);
    if (s === null || s === undefined) continue;
    if (args.group === null) {
      const last = s.length > 0 ? s.lastLiveId() : null;
      const from = last !== null && compareIds(last, gt) > 0 ? nextId(gt) : null;
      if (from !== null) out.push({ key: k, items: rangeEntries(s, from, MAX_ID, false, args.count) });
      continue;
    }
    // Parsing found the group on every key; nothing read since removes one.
    const g = s.groups.get(args.group.name);
    if (g === undefined) continue;
    // A group read may move the group, add pending entries or a consumer (or, with nothing new,
    // change nothing): the barrier hears of it first either way.
    c.db.willWrite(k);
    const effects = new GroupEffects(c, k, args.group.name, g);
    const before = g.lastId;
    const read = readGroup(s, g, args.group.consumer, gt, args.count, args.group.noAck, at);
    if (read === null) continue;
    // Only new deliveries propagate; a history read changes delivery counts Redis does not replicate either.
    if (compareIds(gt, MAX_ID) === 0) groupReadEffects(effects, read, args.group.consumer, args.group.noAck, compareIds(g.lastId, before) !== 0);
    const items = announce(c, k, read);
    c.db.stats.dirty++;
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
    const id = args.ids[i];
    if (id !== undefined && !after.has(k)) after.set(k, id);
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
 * A group reader whose key or group is gone (or whose key holds another type now) gets an error,
 * as Redis 7.0 answers it.
 */
function serveWait(w: StreamWait, k: string): boolean {
  const c = w.client;
  const v = w.db.get(k);
  const s = v === undefined ? null : asStream(v);
  let gt = w.after.get(k);
  let g: ConsumerGroup | undefined;
  if (w.group !== null) {
    // Redis 7.0's own replies (7.2 runs the command again and answers NOGROUP or WRONGTYPE: a
    // different error code, which a 7.0 client may test; docs/compatibility.md).
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
  if (s === null || gt === undefined || compareIds(s.lastId, gt) <= 0) return false;
  const start = nextId(gt);
  if (start === null) return false;
  let items: StreamEntry[];
  if (g !== undefined && w.group !== null) {
    w.db.willWrite(k);
    const effects = new GroupEffects(c, k, w.group.name, g);
    const before = g.lastId;
    const read = deliverNew(s, g, w.group.consumer, start, w.count, w.group.noAck, c.db.clock.now());
    groupReadEffects(effects, read, w.group.consumer, w.group.noAck, compareIds(g.lastId, before) !== 0);
    items = announce(c, k, read);
    // As when read at once: the group changed (saved, propagated).
    c.db.stats.dirty++;
  } else {
    items = rangeEntries(s, start, MAX_ID, false, w.count);
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

// --- the table ---

const streamsKeys = (startFrom: number): readonly KeySpec[] => [
  keyAfter('STREAMS', startFrom, { range: { lastKey: -1, keyStep: 1, limit: 2 } }, 'RO', 'ACCESS'),
];

export const streamReadCommands: readonly CommandSpec[] = withDocs(streamReadDocs, [
  { name: 'xread', arity: -4, flags: ['readonly', 'blocking'], acl: ['read', 'stream', 'slow', 'blocking'], keys: streamsKeys(1), run: xread },
  { name: 'xreadgroup', arity: -7, flags: ['write', 'blocking'], acl: ['write', 'stream', 'slow', 'blocking'], keys: streamsKeys(4), run: xreadgroup },
]);
