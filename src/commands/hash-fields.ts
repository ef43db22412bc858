// What every hash command shares: the typed lookups, the listpack limits, and the lazy expiry of
// fields (Redis 8's hashTypeGetValue), used by hash.ts and by the field-expiration commands of
// hash-ttl.ts.

import type { Client } from '../server/client.js';
import type { HashLimits, HashValue } from '../store/hash.js';
import { lookupTyped } from './lookup.js';
import { notify, NOTIFY_GENERIC, NOTIFY_HASH } from '../server/notify.js';
import { dropExpiredField, expireFields } from '../server/field-expiry.js';

// --- lookups ---

/** The hash under `k` for a read command; null after replying WRONGTYPE, undefined when missing. */
export function readHash(c: Client, k: string): HashValue | undefined | null {
  return lookupTyped(c, k, 'hash', false);
}

/** The hash under `k` for a write command; null after replying WRONGTYPE, undefined when missing. */
export function writeHash(c: Client, k: string): HashValue | undefined | null {
  return lookupTyped(c, k, 'hash', true);
}

export function limits(c: Client): HashLimits {
  return c.server.store.limits.hash;
}

/** Stores a hash that `writeHash` did not find, or records the in-place change of one it did. */
export function commit(c: Client, k: string, h: HashValue, created: boolean, event: string, changes = 1): void {
  if (created) c.db.set(k, h, false, changes);
  else c.db.modified(k, changes);
  notify(c, NOTIFY_HASH, event, k);
}

// --- lazy expiry of fields (Redis 8's hashTypeGetValue) ---

/** A field found past its time: removed (or, while expiry is held, only hidden). */
export interface FieldExpired {
  /** True when it was the last field and the hash went with it. */
  readonly hashDeleted: boolean;
}
const EXPIRED: FieldExpired = Object.freeze({ hashDeleted: false });
const EXPIRED_HASH: FieldExpired = Object.freeze({ hashDeleted: true });

/** Lookup flags (Redis's HFE_LAZY_*): the caller announces and signals once for all its fields. */
export const LAZY_NO_NOTIFY = 1;
/** The caller deletes the hash itself if it ends up empty. */
export const LAZY_KEEP_HASH = 2;
/** The caller tells the listeners (WATCH, tracking) itself. */
export const LAZY_NO_SIGNAL = 4;

export function isExpired(r: string | undefined | FieldExpired): r is FieldExpired {
  return typeof r === 'object';
}

/**
 * The value of `field`, or undefined when missing; a field whose time has passed is removed,
 * propagated as HDEL and announced (`hexpired`, then `del` if the hash is left empty), unless
 * `flags` leave that to the caller.
 */
export function fieldValue(c: Client, k: string, h: HashValue, field: string, flags: number): string | undefined | FieldExpired {
  const v = h.get(field);
  if (v === undefined || h.ttls === null) return v;
  const at = h.ttls.get(field);
  const db = c.db;
  if (at === undefined || at >= db.clock.now()) return v;
  // On a replica the primary's own commands see the field until its HDEL comes (Redis 8's
  // hashTypeGetValue for the master client); the replica's clients see it gone.
  if (c.kind === 'master') return v;
  // As expireIfNeeded: while loading, paused, or on a replica, an expired field reads as gone
  // but stays.
  if (db.expiryPaused || c.server.loading !== null) return EXPIRED;
  db.willWrite(k);
  dropExpiredField(c.server, db, k, h, field);
  if ((flags & LAZY_NO_NOTIFY) === 0) notify(c, NOTIFY_HASH, 'hexpired', k);
  if (h.size === 0 && (flags & LAZY_KEEP_HASH) === 0) {
    if ((flags & LAZY_NO_NOTIFY) === 0) notify(c, NOTIFY_GENERIC, 'del', k);
    db.dropEmpty(k);
    return EXPIRED_HASH;
  }
  if ((flags & LAZY_NO_SIGNAL) === 0) db.modified(k, 0);
  return EXPIRED;
}

/** Fields not expired at the command's time (what HGETALL counts; HLEN counts them all). */
export function liveSize(c: Client, h: HashValue): number {
  return h.ttls === null ? h.size : h.size - h.expiredCount(c.db.clock.now());
}

/** Removes every expired field before a command that picks fields (Redis's hashTypeExpireIfNeeded); true when the hash went. */
export function expireAllFields(c: Client, k: string, h: HashValue): boolean {
  const soonest = h.minTtl();
  const now = c.db.clock.now();
  if (soonest === undefined || soonest >= now) return false;
  if (c.db.expiryPaused || c.server.loading !== null) return false;
  expireFields(c.server, c.db, k, h, now, Infinity);
  return h.size === 0;
}
