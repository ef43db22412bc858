// Consumer-group operations on a stream (the group half of Redis 7.0's t_stream.c): reading
// through a group, acknowledging, listing and claiming pending entries, and managing groups and
// consumers. Each returns what happened; the command layer replies, announces and counts changes.

import {
  ConsumerGroup,
  MAX_ID,
  MIN_ID,
  compareIds,
  nextId,
  sortedNames,
  type Consumer,
  type I64,
  type Nack,
  type StreamEntry,
  type StreamId,
  type StreamValue,
} from './stream.js';

/** What a read through a group delivered. */
export interface GroupDelivery {
  readonly entries: StreamEntry[];
  /** True when the read created the consumer (Redis announces `xgroup-createconsumer`). */
  readonly consumerCreated: boolean;
}

/** The group's consumer `name`, created (seen at `at`) when missing. */
function consumerOf(g: ConsumerGroup, name: string, at: number): { consumer: Consumer; created: boolean } {
  const created = !g.consumers.has(name);
  return { consumer: g.consumer(name, at), created };
}

function addOne(x: I64): I64 {
  return typeof x === 'number' && x < Number.MAX_SAFE_INTEGER ? x + 1 : BigInt.asIntN(64, BigInt(x) + 1n);
}

/** Hands a pending entry to `consumer`, moving it out of its previous owner's list. */
function transfer(n: Nack, consumer: Consumer): void {
  if (n.consumer === consumer) return;
  n.consumer?.pel.remove(n);
  consumer.pel.insert(n);
  n.consumer = consumer;
}

// --- reading through a group (XREADGROUP, and its blocked readers) ---

/**
 * Delivers new entries from `start` to `consumer` (Redis's streamReplyWithRange with a group):
 * the group moves past each, and each becomes pending for the consumer unless `noAck`.
 */
function readNew(s: StreamValue, g: ConsumerGroup, consumer: Consumer, start: StreamId, count: number, noAck: boolean, at: number): StreamEntry[] {
  const items: StreamEntry[] = [];
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
    const old = g.pel.find(id);
    if (old === undefined) return;
    old.consumer?.pel.remove(id);
    old.consumer = consumer;
    old.deliveryTime = at;
    old.deliveryCount = 1;
    consumer.pel.insert(old);
  });
  return items;
}

/** A consumer's own pending entries after `start` (history reads); each counts as redelivered. */
function readHistory(s: StreamValue, consumer: Consumer, start: StreamId, count: number, at: number): StreamEntry[] {
  const items: StreamEntry[] = [];
  const pel = consumer.pel.items;
  for (let i = consumer.pel.lowerBound(start.ms, start.seq); i < pel.length && (count === 0 || items.length < count); i++) {
    const n = pel[i];
    if (n === undefined) break;
    const id = `${n.ms}-${n.seq}`;
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

/** New entries from `start` on, delivered to the consumer `consumerName` (created when missing). */
export function deliverNew(
  s: StreamValue,
  g: ConsumerGroup,
  consumerName: string,
  start: StreamId,
  count: number,
  noAck: boolean,
  at: number,
): GroupDelivery {
  const { consumer, created } = consumerOf(g, consumerName, at);
  return { entries: readNew(s, g, consumer, start, count, noAck, at), consumerCreated: created };
}

/**
 * XREADGROUP on one stream. With `after` = MAX_ID (the `>` argument) the consumer gets what the
 * group has not delivered yet; with any other ID, its own pending entries past that ID. Null when
 * nothing is served: `>` with nothing new changes nothing, not even the consumers.
 */
export function readGroup(
  s: StreamValue,
  g: ConsumerGroup,
  consumerName: string,
  after: StreamId,
  count: number,
  noAck: boolean,
  at: number,
): GroupDelivery | null {
  if (compareIds(after, MAX_ID) === 0) {
    const last = s.length > 0 ? s.lastLiveId() : null;
    if (last === null || compareIds(last, g.lastId) <= 0) return null;
    const start = nextId(g.lastId);
    return start === null ? null : deliverNew(s, g, consumerName, start, count, noAck, at);
  }
  const start = nextId(after);
  if (start === null) return null;
  const { consumer, created } = consumerOf(g, consumerName, at);
  return { entries: readHistory(s, consumer, start, count, at), consumerCreated: created };
}

// --- groups and consumers (XGROUP) ---

/** Adds a group that has delivered up to `lastId`; false when the name is taken. */
export function createGroup(s: StreamValue, name: string, lastId: StreamId, entriesRead: I64): boolean {
  if (s.groups.has(name)) return false;
  s.groups.set(name, new ConsumerGroup(lastId, entriesRead));
  return true;
}

/** Moves a group's last delivered ID (back or forth) and sets its read counter. */
export function setGroupId(g: ConsumerGroup, lastId: StreamId, entriesRead: I64): void {
  g.lastId = lastId;
  g.entriesRead = entriesRead;
}

/** Removes a group with its consumers and pending entries; false when there was none. */
export function destroyGroup(s: StreamValue, name: string): boolean {
  return s.groups.delete(name);
}

/** Adds a consumer (seen at `at`); false when it exists already. */
export function createConsumer(g: ConsumerGroup, name: string, at: number): boolean {
  return consumerOf(g, name, at).created;
}

/** Removes a consumer and its pending entries: how many it had, or null when there was none. */
export function deleteConsumer(g: ConsumerGroup, name: string): number | null {
  return g.consumers.has(name) ? g.deleteConsumer(name) : null;
}

// --- XACK ---

/** Acknowledges each ID still pending in the group; returns how many were. */
export function ack(g: ConsumerGroup, ids: readonly StreamId[]): number {
  let acked = 0;
  for (const id of ids) if (g.ack(id)) acked++;
  return acked;
}

// --- XPENDING ---

export interface PendingSummary {
  readonly count: number;
  /** The lowest and highest pending IDs, null when nothing is pending. */
  readonly first: StreamId | null;
  readonly last: StreamId | null;
  /** Consumers with pending entries, in name order, with how many each has. */
  readonly owners: readonly { readonly name: string; readonly count: number }[];
}

export function pendingSummary(g: ConsumerGroup): PendingSummary {
  const items = g.pel.items;
  const owners: { name: string; count: number }[] = [];
  for (const name of sortedNames(g.consumers)) {
    const cons = g.consumers.get(name);
    if (cons !== undefined && cons.pel.size > 0) owners.push({ name, count: cons.pel.size });
  }
  return { count: items.length, first: items[0] ?? null, last: items[items.length - 1] ?? null, owners };
}

export interface PendingQuery {
  readonly start: StreamId;
  readonly end: StreamId;
  readonly count: number;
  /** Only entries idle at least this long (ms); 0 for all. */
  readonly minIdle: number;
  /** Only this consumer's entries; null for the whole group. */
  readonly consumer: string | null;
}

export interface PendingRow {
  readonly id: StreamId;
  readonly consumer: string;
  readonly idle: number;
  readonly deliveryCount: I64;
}

/** The pending entries XPENDING's extended form lists, at time `at`. */
export function pendingEntries(g: ConsumerGroup, q: PendingQuery, at: number): PendingRow[] {
  let pel = g.pel;
  if (q.consumer !== null) {
    const cons = g.consumers.get(q.consumer);
    if (cons === undefined) return [];
    pel = cons.pel;
  }
  const rows: PendingRow[] = [];
  let count = q.count;
  for (let i = pel.lowerBound(q.start.ms, q.start.seq); count > 0 && i < pel.size; i++) {
    const n = pel.items[i];
    if (n === undefined || compareIds(n, q.end) > 0) break;
    if (q.minIdle !== 0 && at - n.deliveryTime < q.minIdle) continue;
    rows.push({ id: n, consumer: n.consumer?.name ?? '', idle: Math.max(0, at - n.deliveryTime), deliveryCount: n.deliveryCount });
    count--;
  }
  return rows;
}

// --- XCLAIM, XAUTOCLAIM ---

export interface ClaimOptions {
  /** Claim only entries idle at least this long (ms); 0 for any. */
  readonly minIdle: number;
  /** The delivery time claimed entries get; -1 (or a bogus time) for `at`. */
  readonly deliveryTime: number;
  /** The delivery count claimed entries get; -1 to count one more delivery (unless `justId`). */
  readonly retryCount: I64;
  /** Claim IDs that are not pending, as long as the entry exists. */
  readonly force: boolean;
  /** JUSTID: the delivery count stays as it is. */
  readonly justId: boolean;
  /** The group's last delivered ID moves up to this one. */
  readonly lastId: StreamId;
}

export interface ClaimResult {
  /** The IDs now owned by the consumer, in the order asked. */
  readonly claimed: StreamId[];
  readonly consumerCreated: boolean;
}

/** XCLAIM: hands the pending entries `ids` to `consumerName`, as Redis's xclaimCommand does. */
export function claim(s: StreamValue, g: ConsumerGroup, consumerName: string, ids: readonly StreamId[], opts: ClaimOptions, at: number): ClaimResult {
  if (compareIds(opts.lastId, g.lastId) > 0) g.lastId = opts.lastId;
  // A bogus time (in the future, or before the epoch) means "now", as clocks may disagree.
  const deliveryTime = opts.deliveryTime < 0 || opts.deliveryTime > at ? at : opts.deliveryTime;
  let consumer: Consumer | null = null;
  let created = false;
  const claimed: StreamId[] = [];
  for (const id of ids) {
    let n = g.pel.find(id);
    if (!s.has(id)) {
      // The entry was deleted: it can no longer be pending either.
      if (n !== undefined) g.ack(id);
      continue;
    }
    if (opts.force && n === undefined) {
      n = { ms: id.ms, seq: id.seq, consumer: null, deliveryTime: at, deliveryCount: 1 };
      g.pel.insert(n);
    }
    if (n === undefined) continue;
    if (n.consumer !== null && opts.minIdle !== 0 && at - n.deliveryTime < opts.minIdle) continue;
    if (consumer === null) ({ consumer, created } = consumerOf(g, consumerName, at));
    transfer(n, consumer);
    n.deliveryTime = deliveryTime;
    if (opts.retryCount >= 0) n.deliveryCount = opts.retryCount;
    else if (!opts.justId) n.deliveryCount = addOne(n.deliveryCount);
    claimed.push(id);
  }
  return { claimed, consumerCreated: created };
}

/** XAUTOCLAIM looks at no more than this many pending entries per entry it may claim. */
const ATTEMPTS_FACTOR = 10;

export interface AutoclaimResult {
  /** Where the next call should start; 0-0 when the scan reached the end. */
  readonly cursor: StreamId;
  readonly claimed: StreamId[];
  /** Pending IDs whose entries were deleted; they leave the pending list. */
  readonly deleted: StreamId[];
  readonly consumerCreated: boolean;
}

/** XAUTOCLAIM: claims up to `count` entries idle at least `minIdle`, scanning from `start`. */
export function autoclaim(
  s: StreamValue,
  g: ConsumerGroup,
  consumerName: string,
  start: StreamId,
  count: number,
  minIdle: number,
  justId: boolean,
  at: number,
): AutoclaimResult {
  let left = count;
  let attempts = count * ATTEMPTS_FACTOR;
  let consumer: Consumer | null = null;
  let created = false;
  const claimed: StreamId[] = [];
  const deleted: StreamId[] = [];
  const pel = g.pel.items;
  let i = g.pel.lowerBound(start.ms, start.seq);
  for (; attempts > 0 && left > 0 && i < pel.length; attempts--) {
    const n = pel[i];
    if (n === undefined) break;
    if (!s.has(n)) {
      g.ack(n);
      deleted.push(n);
      left--;
      continue;
    }
    i++;
    if (minIdle !== 0 && at - n.deliveryTime < minIdle) continue;
    if (consumer === null) ({ consumer, created } = consumerOf(g, consumerName, at));
    transfer(n, consumer);
    n.deliveryTime = at;
    if (!justId) n.deliveryCount = addOne(n.deliveryCount);
    claimed.push(n);
    left--;
  }
  const next = pel[i];
  const cursor = next !== undefined && (attempts === 0 || left === 0) ? next : MIN_ID;
  return { cursor, claimed, deleted, consumerCreated: created };
}
