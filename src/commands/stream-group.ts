// Consumer groups (Redis 7.0): XGROUP and its subcommands, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
// The operations live in src/store/stream-group.ts; this file parses arguments in Redis's order,
// replies, announces keyspace events and counts changes. XREADGROUP is in stream-read.ts.

import * as E from '../errors.js';
import { arg, is, parseInt64 } from '../protocol/args.js';
import { key, NO_KEYS, withDocs, type CommandSpec, type KeySpec, type KeySpecFlag } from './spec.js';
import { streamGroupDocs } from './docs/stream-group.js';
import type { Client } from '../server/client.js';
import { replyHelp } from './server.js';
import { notify, NOTIFY_STREAM } from '../server/notify.js';
import { MAX_ID, MIN_ID, StreamValue, UNKNOWN_READS, compareIds, formatId, type ConsumerGroup, type I64, type StreamId } from '../store/stream.js';
import {
  ack,
  autoclaim,
  claim,
  createConsumer,
  createGroup,
  deleteConsumer,
  destroyGroup,
  pendingEntries,
  pendingSummary,
  setGroupId,
} from '../store/stream-group.js';
import { boundArg, exactArg, longArg, lookup, parseIdText, replyOneEntry, strictId } from './stream.js';
import { INT64_MAX } from '../int64.js';
import { GroupEffects } from './stream-propagate.js';

// --- XGROUP ---
// Redis runs every XGROUP subcommand through one function: options first, then the key and group
// checks, then the subcommand's own arity. The handlers below keep that order, so errors match.

interface GroupOptions {
  readonly mkStream: boolean;
  readonly entriesRead: I64;
}

/** CREATE's MKSTREAM and ENTRIESREAD, SETID's ENTRIESREAD, from argv[5] on. Null after replying. */
function groupOptions(c: Client, argv: string[], create: boolean): GroupOptions | null {
  let mkStream = false;
  let entriesRead: I64 = UNKNOWN_READS;
  for (let i = 5; i < argv.length; ) {
    const opt = argv[i];
    if (opt === undefined) break;
    const value = argv[i + 1];
    if (create && is(opt, 'mkstream')) {
      mkStream = true;
      i++;
    } else if (is(opt, 'entriesread') && value !== undefined) {
      const v = exactArg(c, value);
      if (v === null) return null;
      if (v < 0 && v !== UNKNOWN_READS) {
        c.reply.error(E.ENTRIESREAD_RANGE);
        return null;
      }
      entriesRead = v;
      i += 2;
    } else {
      c.reply.error(E.subcommandSyntax(arg(argv, 1), 'xgroup'));
      return null;
    }
  }
  return { mkStream, entriesRead };
}

/** The stream an XGROUP subcommand names; it must exist. Null after replying. */
function groupStream(c: Client, k: string): StreamValue | null {
  const s = lookup(c, k, true);
  if (s === undefined) c.reply.error(E.XGROUP_KEY_REQUIRED);
  return s ?? null;
}

/** The stream and the group an XGROUP subcommand names; both must exist. Null after replying. */
function namedGroup(c: Client, argv: string[]): { s: StreamValue; g: ConsumerGroup } | null {
  const k = arg(argv, 2);
  const groupName = arg(argv, 3);
  const s = groupStream(c, k);
  if (s === null) return null;
  const g = s.groups.get(groupName);
  if (g === undefined) {
    c.reply.error(E.xgroupNoGroup(groupName, k));
    return null;
  }
  return { s, g };
}

function xgroupCreate(c: Client, argv: string[]): void {
  const opts = groupOptions(c, argv, true);
  if (opts === null) return;
  const k = arg(argv, 2);
  let s: StreamValue | undefined;
  if (opts.mkStream) {
    const found = lookup(c, k, true);
    if (found === null) return;
    s = found;
  } else {
    const found = groupStream(c, k);
    if (found === null) return;
    s = found;
  }
  if (argv.length > 8) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), 'xgroup'));
    return;
  }
  let id: StreamId;
  if (argv[4] === '$') {
    id = s?.lastId ?? MIN_ID;
  } else {
    const p = strictId(c, arg(argv, 4));
    if (p === null) return;
    id = p;
  }
  if (s === undefined) {
    s = new StreamValue();
    c.db.set(k, s);
  }
  if (!createGroup(s, arg(argv, 3), id, opts.entriesRead)) {
    c.reply.error(E.BUSYGROUP);
    return;
  }
  c.db.stats.dirty++;
  notify(c, NOTIFY_STREAM, 'xgroup-create', k);
  c.reply.ok();
}

function xgroupSetid(c: Client, argv: string[]): void {
  const opts = groupOptions(c, argv, false);
  if (opts === null) return;
  const found = namedGroup(c, argv);
  if (found === null) return;
  if (argv.length !== 5 && argv.length !== 7) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), 'xgroup'));
    return;
  }
  let id: StreamId;
  if (argv[4] === '$') {
    id = found.s.lastId;
  } else {
    const p = parseIdText(arg(argv, 4), 0, false, false);
    if (p === null) {
      c.reply.error(E.STREAM_INVALID_ID);
      return;
    }
    id = p.id;
  }
  setGroupId(found.g, id, opts.entriesRead);
  c.db.stats.dirty++;
  notify(c, NOTIFY_STREAM, 'xgroup-setid', arg(argv, 2));
  c.reply.ok();
}

// DESTROY, CREATECONSUMER and DELCONSUMER have a fixed arity, which the table enforces.

function xgroupDestroy(c: Client, argv: string[]): void {
  const k = arg(argv, 2);
  const s = groupStream(c, k);
  if (s === null) return;
  if (!destroyGroup(s, arg(argv, 3))) {
    c.reply.integer(0);
    return;
  }
  c.db.stats.dirty++;
  notify(c, NOTIFY_STREAM, 'xgroup-destroy', k);
  // Readers blocked on this group learn that it is gone.
  c.server.blocking.modified(c.db, k);
  c.reply.integer(1);
}

function xgroupCreateconsumer(c: Client, argv: string[]): void {
  const found = namedGroup(c, argv);
  if (found === null) return;
  if (!createConsumer(found.g, arg(argv, 4), c.db.clock.now())) {
    c.reply.integer(0);
    return;
  }
  notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', arg(argv, 2));
  c.db.stats.dirty++;
  c.reply.integer(1);
}

function xgroupDelconsumer(c: Client, argv: string[]): void {
  const found = namedGroup(c, argv);
  if (found === null) return;
  const pending = deleteConsumer(found.g, arg(argv, 4));
  if (pending !== null) {
    c.db.stats.dirty++;
    notify(c, NOTIFY_STREAM, 'xgroup-delconsumer', arg(argv, 2));
  }
  c.reply.integer(pending ?? 0);
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
  const k = arg(argv, 1);
  const found = readGroupOf(c, k, arg(argv, 2), () => c.reply.integer(0));
  if (found === null) return;
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const text = argv[j];
    if (text === undefined) break;
    const id = strictId(c, text);
    if (id === null) return;
    ids.push(id);
  }
  c.db.willWrite(k);
  const acked = ack(found.g, ids);
  c.db.stats.dirty += acked;
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
  // The extended form, [IDLE min-idle-time] start end count [consumer]; nothing for the summary.
  let range = argv.slice(3);
  const [word, idleText] = range;
  if (word !== undefined && idleText !== undefined && is(word, 'idle')) {
    const v = longArg(c, idleText);
    if (v === null) return;
    minIdle = v;
    if (argc < 8) {
      c.reply.error(E.SYNTAX);
      return;
    }
    range = range.slice(2);
  }
  const [startText, endText, countText, consumer] = range;
  if (startText !== undefined && endText !== undefined && countText !== undefined) {
    const n = longArg(c, countText);
    if (n === null) return;
    count = Math.max(0, n);
    const s0 = boundArg(c, startText, true);
    if (s0 === null) return;
    const e0 = boundArg(c, endText, false);
    if (e0 === null) return;
    start = s0;
    end = e0;
    if (consumer !== undefined) consumerName = consumer;
  }
  const k = arg(argv, 1);
  const groupName = arg(argv, 2);
  const found = readGroupOf(c, k, groupName, () => c.reply.error(E.noKeyOrGroup(k, groupName)));
  if (found === null) return;
  if (argc === 3) {
    const sum = pendingSummary(found.g);
    c.reply.array(4);
    c.reply.integer(sum.count);
    if (sum.first === null || sum.last === null) {
      c.reply.nil();
      c.reply.nil();
      c.reply.nilArray();
      return;
    }
    c.reply.bulk(formatId(sum.first));
    c.reply.bulk(formatId(sum.last));
    c.reply.array(sum.owners.length);
    for (const owner of sum.owners) {
      c.reply.array(2);
      c.reply.bulk(owner.name);
      c.reply.bulk(String(owner.count));
    }
    return;
  }
  const rows = pendingEntries(found.g, { start, end, count, minIdle, consumer: consumerName }, c.db.clock.now());
  c.reply.array(rows.length);
  for (const row of rows) {
    c.reply.array(4);
    c.reply.bulk(formatId(row.id));
    c.reply.bulk(row.consumer);
    c.reply.integer(row.idle);
    c.reply.integer(row.deliveryCount);
  }
}

// --- XCLAIM, XAUTOCLAIM ---

/** Claimed entries as XCLAIM and XAUTOCLAIM reply them: IDs only with JUSTID, else whole entries. */
function replyClaimed(c: Client, s: StreamValue, claimed: readonly StreamId[], justId: boolean): void {
  c.reply.array(claimed.length);
  for (const id of claimed) {
    if (justId) c.reply.bulk(formatId(id));
    else replyOneEntry(c, s, id);
  }
}

function xclaim(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  const groupName = arg(argv, 2);
  const found = readGroupOf(c, k, groupName, () => c.reply.error(E.noKeyOrGroup(k, groupName)));
  if (found === null) return;
  const { s, g } = found;
  const idle = longArg(c, arg(argv, 4), E.xclaimBadArgument('min-idle-time', 'XCLAIM'));
  if (idle === null) return;
  const minIdle = Math.max(0, idle);
  // IDs run until the first argument that is not one; options follow.
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const text = argv[j];
    if (text === undefined) break;
    const p = parseIdText(text, 0, true, false);
    if (p === null) break;
    ids.push(p.id);
  }
  const t = c.db.clock.now();
  let force = false;
  let justId = false;
  let deliveryTime = -1;
  let retryCount: I64 = -1;
  let lastId = MIN_ID;
  for (; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const value = argv[j + 1];
    if (is(opt, 'force')) {
      force = true;
    } else if (is(opt, 'justid')) {
      justId = true;
    } else if (is(opt, 'idle') && value !== undefined) {
      j++;
      const v = longArg(c, value, E.xclaimBadArgument('IDLE option', 'XCLAIM'));
      if (v === null) return;
      deliveryTime = t - v;
    } else if (is(opt, 'time') && value !== undefined) {
      j++;
      const v = longArg(c, value, E.xclaimBadArgument('TIME option', 'XCLAIM'));
      if (v === null) return;
      deliveryTime = v;
    } else if (is(opt, 'retrycount') && value !== undefined) {
      j++;
      const v = exactArg(c, value, E.xclaimBadArgument('RETRYCOUNT option', 'XCLAIM'));
      if (v === null) return;
      retryCount = v;
    } else if (is(opt, 'lastid') && value !== undefined) {
      j++;
      const id = strictId(c, value);
      if (id === null) return;
      lastId = id;
    } else {
      c.reply.error(E.xclaimUnknownOption(opt));
      return;
    }
  }
  c.db.willWrite(k);
  const consumer = arg(argv, 3);
  // Replayed later, min-idle-time would judge other idle times: the effects propagate instead.
  const effects = new GroupEffects(c, k, groupName, g);
  const gone = ids.filter((id) => !s.has(id) && g.pel.find(id) !== undefined);
  const before = g.lastId;
  const done = claim(s, g, consumer, ids, { minIdle, deliveryTime, retryCount, force, justId, lastId }, t);
  for (const id of done.claimed) effects.claimed(consumer, id);
  for (const id of gone) effects.claimed(consumer, id);
  if (done.claimed.length + gone.length === 0 && compareIds(g.lastId, before) !== 0) effects.groupMoved();
  if (done.consumerCreated) notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', k);
  // As Redis's streamCreateConsumer, a consumer created is a change of its own.
  c.db.stats.dirty += done.claimed.length + (done.consumerCreated ? 1 : 0);
  replyClaimed(c, s, done.claimed, justId);
}

const MAX_AUTOCLAIM_COUNT = INT64_MAX / 16n;
/** Bytes a 64-bit Linux process can map (47-bit user address space). */
const ADDRESS_SPACE = 2 ** 47;

function xautoclaim(c: Client, argv: string[]): void {
  const idle = longArg(c, arg(argv, 4), E.xclaimBadArgument('min-idle-time', 'XAUTOCLAIM'));
  if (idle === null) return;
  const minIdle = Math.max(0, idle);
  const start = boundArg(c, arg(argv, 5), true);
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const value = argv[j + 1];
    if (is(opt, 'count') && value !== undefined) {
      j++;
      const v = parseInt64(value);
      if (v === null || v < 1n || v > MAX_AUTOCLAIM_COUNT) {
        c.reply.error(E.XAUTOCLAIM_COUNT);
        return;
      }
      count = Number(v);
    } else if (is(opt, 'justid')) {
      justId = true;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const k = arg(argv, 1);
  const groupName = arg(argv, 2);
  const found = readGroupOf(c, k, groupName, () => c.reply.error(E.noKeyOrGroup(k, groupName)));
  if (found === null) return;
  const { s, g } = found;
  // Redis allocates room for `count` deleted IDs up front; past the address space that fails.
  if (count * 16 > ADDRESS_SPACE) {
    c.reply.error(E.XAUTOCLAIM_COUNT_TOO_HIGH);
    return;
  }
  c.db.willWrite(k);
  const consumer = arg(argv, 3);
  const effects = new GroupEffects(c, k, groupName, g);
  const done = autoclaim(s, g, consumer, start, count, minIdle, justId, c.db.clock.now());
  for (const id of done.claimed) effects.claimed(consumer, id);
  for (const id of done.deleted) effects.claimed(consumer, id);
  if (done.consumerCreated) notify(c, NOTIFY_STREAM, 'xgroup-createconsumer', k);
  c.db.stats.dirty += done.claimed.length + done.deleted.length + (done.consumerCreated ? 1 : 0);
  c.reply.array(3);
  c.reply.bulk(formatId(done.cursor));
  replyClaimed(c, s, done.claimed, justId);
  c.reply.array(done.deleted.length);
  for (const id of done.deleted) c.reply.bulk(formatId(id));
}

// --- the table ---

const rw = (...flags: KeySpecFlag[]): readonly KeySpec[] => [key(1, ...flags)];
const sub2 = (...flags: KeySpecFlag[]): readonly KeySpec[] => [key(2, ...flags)];
const aclWF = ['write', 'stream', 'fast'] as const;
const aclWS = ['write', 'stream', 'slow'] as const;
const aclRS = ['read', 'stream', 'slow'] as const;
const random = ['nondeterministic_output'];

export const streamGroupCommands: readonly CommandSpec[] = withDocs(streamGroupDocs, [
  { name: 'xack', arity: -4, flags: ['write', 'fast'], acl: aclWF, keys: rw('RW', 'UPDATE'), run: xack },
  { name: 'xpending', arity: -3, flags: ['readonly'], acl: aclRS, tips: random, keys: rw('RO', 'ACCESS'), run: xpending },
  { name: 'xclaim', arity: -6, flags: ['write', 'fast'], acl: aclWF, tips: random, keys: rw('RW', 'UPDATE'), run: xclaim },
  { name: 'xautoclaim', arity: -6, flags: ['write', 'fast'], acl: aclWF, tips: random, keys: rw('RW', 'DELETE'), run: xautoclaim },
  {
    name: 'xgroup', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    subcommands: [
      { name: 'create', arity: -5, flags: ['write', 'denyoom'], acl: aclWS, keys: sub2('RW', 'INSERT'), run: xgroupCreate },
      { name: 'setid', arity: -5, flags: ['write'], acl: aclWS, keys: sub2('RW', 'UPDATE'), run: xgroupSetid },
      { name: 'destroy', arity: 4, flags: ['write'], acl: aclWS, keys: sub2('RW', 'DELETE'), run: xgroupDestroy },
      { name: 'createconsumer', arity: 5, flags: ['write', 'denyoom'], acl: aclWS, keys: sub2('RW', 'INSERT'), run: xgroupCreateconsumer },
      { name: 'delconsumer', arity: 5, flags: ['write'], acl: aclWS, keys: sub2('RW', 'DELETE'), run: xgroupDelconsumer },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['stream', 'slow'], keys: NO_KEYS, run: xgroupHelp },
    ],
  },
]);
