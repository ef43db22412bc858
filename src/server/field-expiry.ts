// Hash-field expiration (Redis 7.4/8.0): what happens when a field's time to live passes. A field
// goes when a command touches it (lazy, in the hash commands) or when the active cycle here finds
// it; either way it is counted in expired_subkeys, propagated as HDEL, announced as `hexpired`,
// and the hash goes with a `del` event when its last field does (Redis's hashTypeExpire).

import type { Server } from './server.js';
import type { Database } from '../store/database.js';
import type { HashValue } from '../store/hash.js';
import { notifyDb, NOTIFY_GENERIC, NOTIFY_HASH } from './notify.js';

/**
 * Removes one expired field, counted and propagated as HDEL (Redis's propagateHashFieldDeletion).
 * The caller passed the write barrier and tells the listeners afterwards.
 */
export function dropExpiredField(server: Server, db: Database, key: string, h: HashValue, field: string): void {
  h.delete(field);
  server.stats.expiredSubkeys++;
  server.propagation.also(db.id, ['HDEL', key, field]);
}

/**
 * Removes up to `max` fields of the hash under `key` whose time has passed at `now`, soonest
 * first; announces them and deletes the key when it is left empty. Returns how many went.
 */
export function expireFields(server: Server, db: Database, key: string, h: HashValue, now: number, max: number): number {
  const fields = h.expiredFields(now, max);
  if (fields.length === 0) return 0;
  db.willWrite(key);
  for (const f of fields) dropExpiredField(server, db, key, h, f);
  notifyDb(server, db.id, NOTIFY_HASH, 'hexpired', key);
  if (h.size === 0) {
    db.dropEmpty(key);
    notifyDb(server, db.id, NOTIFY_GENERIC, 'del', key);
  } else {
    db.modified(key, 0);
  }
  return fields.length;
}

/** How many keys are looked at between two looks at the clock. */
const BATCH = 32;

/**
 * The active part, run from the cron before the key expiry cycle: walks each database's hashes
 * with field TTLs (skipping, in O(1), those whose soonest expiry is still ahead), removes at most
 * `quota` fields and stops when `budgetMs` is spent.
 */
export class FieldExpiry {
  private nextDb = 0;
  private cursors = new WeakMap<Map<string, number>, Iterator<[string, number]>>();

  run(server: Server, quota: number, budgetMs: number): number {
    const dbs = server.dbs;
    const deadline = performance.now() + budgetMs;
    const now = server.store.clock.tick();
    let removed = 0;
    for (let visited = 0; visited < dbs.length && removed < quota; visited++) {
      const db = dbs[this.nextDb];
      if (db === undefined || db.hashTtlKeys.size === 0) {
        this.nextDb = (this.nextDb + 1) % dbs.length;
        continue;
      }
      const keys = db.hashTtlKeys;
      let it = this.cursors.get(keys);
      if (it === undefined) {
        it = keys.entries();
        this.cursors.set(keys, it);
      }
      let finished = false;
      for (let n = 1; removed < quota; n++) {
        const next = it.next();
        if (next.done === true) {
          finished = true;
          break;
        }
        const [key, soonest] = next.value;
        if (soonest < now) removed += this.visit(server, db, key, now, quota - removed);
        if (n % BATCH === 0 && performance.now() > deadline) return removed;
      }
      if (!finished) return removed;
      this.cursors.delete(keys);
      this.nextDb = (this.nextDb + 1) % dbs.length;
    }
    return removed;
  }

  /** One hash whose soonest field expiry has passed. */
  private visit(server: Server, db: Database, key: string, now: number, max: number): number {
    const v = db.data.get(key);
    if (v === undefined || typeof v === 'string' || v.type !== 'hash') {
      db.hashTtlKeys.delete(key);
      return 0;
    }
    // The key's own TTL comes first: the key expiry cycle takes the whole hash.
    const keyAt = db.expireAt(key);
    if (keyAt !== undefined && keyAt <= now) return 0;
    const n = expireFields(server, db, key, v, now, max);
    if (db.data.get(key) !== v) return n;
    const soonest = v.minTtl();
    if (soonest === undefined) db.hashTtlKeys.delete(key);
    else db.hashTtlKeys.set(key, soonest);
    return n;
  }
}
