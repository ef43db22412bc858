// The HyperLogLog family: PFADD, PFCOUNT, PFMERGE and the debugging PFDEBUG/PFSELFTEST. Values
// are plain strings in Redis's HLL format (store/hyperloglog.ts); like Redis, PFCOUNT on one key
// writes the computed cardinality back into the string's header.

import * as E from '../errors.js';
import { arg, is } from '../protocol/args.js';
import { key, keyRange, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { hyperloglogDocs } from './docs/hyperloglog.js';
import { lookupString } from './lookup.js';
import type { Client } from '../server/client.js';
import { Hll, HLL_REGISTERS, DENSE, estimate, rawHistogram, selfTest } from '../store/hyperloglog.js';
import { notify, NOTIFY_STRING } from '../server/notify.js';

/**
 * The HLL under `k`: undefined when missing, null after replying WRONGTYPE (another type, or a
 * string that is not an HLL).
 */
function lookupHll(c: Client, k: string, write: boolean): Hll | undefined | null {
  const v = lookupString(c, k, write);
  if (v === undefined || v === null) return v;
  const h = Hll.parse(v);
  if (h === null) c.reply.error(E.HLL_WRONGTYPE);
  return h;
}

function sparseMax(c: Client): number {
  return c.server.store.limits.hllSparseMaxBytes;
}

/** Stores the changed string in place of the old one, keeping its time to live; `changes` counts toward dirty. */
function store(c: Client, k: string, h: Hll, changes = 1): void {
  c.db.set(k, h.toString(), true, changes);
  unshare(c, k);
}

/** Redis takes a private raw copy of an HLL it may write (dbUnshareStringValue), changed or not. */
function unshare(c: Client, k: string): void {
  c.db.markStringEncoding(k, 'raw');
}

function pfadd(c: Client, argv: string[]): void {
  const k = arg(argv, 1);
  let h = lookupHll(c, k, true);
  if (h === null) return;
  let updated = 0;
  if (h === undefined) {
    h = Hll.empty();
    updated++;
  } else unshare(c, k);
  const max = sparseMax(c);
  for (let j = 2; j < argv.length; j++) {
    const element = argv[j];
    if (element === undefined) break;
    const r = h.add(element, max);
    if (r === 1) updated++;
    else if (r === -1) {
      // Registers set before the corruption was met stay set, as Redis changes the string in place.
      if (updated > 0) store(c, k, h);
      c.reply.error(E.HLL_CORRUPTED);
      return;
    }
  }
  if (updated > 0) {
    h.invalidateCache();
    // As Redis: one change per register set, and one for creating the key.
    store(c, k, h, updated);
    notify(c, NOTIFY_STRING, 'pfadd', k);
  }
  c.reply.integer(updated > 0 ? 1 : 0);
}

function pfcount(c: Client, argv: string[]): void {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const k = argv[j];
      if (k === undefined) break;
      const h = lookupHll(c, k, false);
      if (h === null) return;
      if (h === undefined) continue;
      if (!h.mergeInto(max)) {
        c.reply.error(E.HLL_CORRUPTED);
        return;
      }
    }
    c.reply.integer(estimate(rawHistogram(max)));
    return;
  }
  const k = arg(argv, 1);
  const h = lookupHll(c, k, false);
  if (h === null) return;
  if (h === undefined) {
    c.reply.integer(0);
    return;
  }
  unshare(c, k);
  if (h.cacheValid) {
    c.reply.integer(h.cachedCard());
    return;
  }
  const histogram = h.histogram();
  if (histogram === null) {
    c.reply.error(E.HLL_CORRUPTED);
    return;
  }
  const card = estimate(histogram);
  h.setCachedCard(card);
  store(c, k, h);
  c.reply.integer(card);
}

function pfmerge(c: Client, argv: string[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let dense = false;
  for (let j = 1; j < argv.length; j++) {
    const src = argv[j];
    if (src === undefined) break;
    const h = lookupHll(c, src, false);
    if (h === null) return;
    if (h === undefined) continue;
    if (h.encoding === DENSE) dense = true;
    if (!h.mergeInto(max)) {
      c.reply.error(E.HLL_CORRUPTED);
      return;
    }
  }
  const k = arg(argv, 1);
  // The destination was checked as the first source, so it is missing or a valid HLL.
  const current = c.db.get(k);
  const h = typeof current === 'string' ? Hll.parse(current) : Hll.empty();
  if (h === null) {
    c.reply.error(E.HLL_WRONGTYPE);
    return;
  }
  unshare(c, k);
  if (dense && !h.toDense()) {
    c.reply.error(E.HLL_CORRUPTED);
    return;
  }
  const limit = sparseMax(c);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    const m = max[j] ?? 0;
    if (m !== 0) h.setRegister(j, m, limit);
  }
  h.invalidateCache();
  store(c, k, h);
  notify(c, NOTIFY_STRING, 'pfadd', k);
  c.reply.ok();
}

function pfdebug(c: Client, argv: string[]): void {
  const sub = arg(argv, 1);
  const k = arg(argv, 2);
  const v = c.db.get(k);
  if (v === undefined) {
    c.reply.error(E.HLL_NO_SUCH_KEY);
    return;
  }
  const h = lookupHll(c, k, true);
  if (h === null || h === undefined) return;
  unshare(c, k);
  if (is(sub, 'getreg')) {
    if (h.encoding !== DENSE) {
      if (!h.toDense()) {
        c.reply.error(E.HLL_CORRUPTED);
        return;
      }
      store(c, k, h);
    }
    const regs = h.registers();
    c.reply.array(regs.length);
    for (const r of regs) c.reply.integer(r);
  } else if (is(sub, 'decode')) {
    if (h.encoding === DENSE) {
      c.reply.error(E.HLL_NOT_SPARSE);
      return;
    }
    c.reply.bulk(h.decodeSparse());
  } else if (is(sub, 'encoding')) {
    c.reply.status(h.encoding === DENSE ? 'dense' : 'sparse');
  } else if (is(sub, 'todense')) {
    let converted = false;
    if (h.encoding !== DENSE) {
      if (!h.toDense()) {
        c.reply.error(E.HLL_CORRUPTED);
        return;
      }
      store(c, k, h);
      converted = true;
    }
    c.reply.integer(converted ? 1 : 0);
  } else {
    c.reply.error(E.pfdebugUnknown(sub));
  }
}

function pfselftest(c: Client): void {
  const failure = selfTest();
  if (failure === null) c.reply.ok();
  else c.reply.error(failure);
}

export const hyperloglogCommands: readonly CommandSpec[] = withDocs(hyperloglogDocs, [
  { name: 'pfadd', arity: -2, flags: ['write', 'denyoom', 'fast'], acl: ['write', 'hyperloglog', 'fast'], keys: [key(1, 'RW', 'INSERT')], run: pfadd },
  { name: 'pfcount', arity: -2, flags: ['readonly', 'may_replicate'], acl: ['read', 'hyperloglog', 'slow'], run: pfcount,
    keys: [{ ...keyRange(1, -1, 1, 'RW', 'ACCESS'), notes: 'RW because it may change the internal representation of the key, and propagate to replicas' }] },
  { name: 'pfmerge', arity: -2, flags: ['write', 'denyoom'], acl: ['write', 'hyperloglog', 'slow'], run: pfmerge,
    keys: [key(1, 'RW', 'ACCESS', 'INSERT'), keyRange(2, -1, 1, 'RO', 'ACCESS')] },
  { name: 'pfdebug', arity: 3, flags: ['write', 'denyoom', 'admin'], acl: ['write', 'hyperloglog', 'admin', 'slow', 'dangerous'], run: pfdebug,
    keys: [key(2, 'RW', 'ACCESS')] },
  { name: 'pfselftest', arity: 1, flags: ['admin'], acl: ['hyperloglog', 'admin', 'slow', 'dangerous'], keys: NO_KEYS, run: pfselftest },
]);
