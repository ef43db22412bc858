// WATCH bookkeeping, as Redis's multi.c: per database, watched key → the clients watching it, and
// per client its watched keys. A keyspace listener marks watchers dirty (CLIENT_DIRTY_CAS) when a
// key changes, is flushed or swapped; EXEC then fails. Costs nothing while nobody watches.

import type { Database, KeyspaceEvents } from '../store/database.js';
import type { Client } from './client.js';

export interface WatchedKey {
  readonly client: Client;
  readonly db: Database;
  readonly key: string;
  /**
   * The key was already past its time to live when WATCHed (Redis 7.0): its removal is no
   * change, and EXEC does not count it as expired.
   */
  expired: boolean;
}

/** A client's side of the bookkeeping (Client.watched). */
export interface WatchState {
  readonly table: WatchTable;
  readonly keys: WatchedKey[];
}

/** True when `key` is present in `db` but its time has passed (Redis's keyIsExpired). */
function isExpired(db: Database, key: string): boolean {
  if (db.expires.size === 0) return false;
  const at = db.expires.get(key);
  return at !== undefined && at <= db.clock.now();
}

export class WatchTable implements Partial<KeyspaceEvents> {
  private readonly byDb = new Map<Database, Map<string, WatchedKey[]>>();
  /** Watched (client, key) pairs in all: the listener returns at once while this is 0. */
  private count = 0;
  private listening = false;

  /** `listeners`: the server's keyspace listeners, which the table joins at the first WATCH. */
  constructor(private readonly listeners: Partial<KeyspaceEvents>[]) {}

  /** WATCH of one key in the client's current database; watching twice is once. */
  watch(c: Client, key: string): void {
    if (!this.listening) {
      // A server where nobody ever watches pays nothing on its write path.
      this.listeners.push(this);
      this.listening = true;
    }
    const db = c.db;
    let state = c.watched;
    if (state === null) {
      state = { table: this, keys: [] };
      c.watched = state;
    } else {
      for (const wk of state.keys) if (wk.db === db && wk.key === key) return;
    }
    const wk: WatchedKey = { client: c, db, key, expired: db.data.has(key) && isExpired(db, key) };
    state.keys.push(wk);
    let perDb = this.byDb.get(db);
    if (perDb === undefined) {
      perDb = new Map();
      this.byDb.set(db, perDb);
    }
    const watchers = perDb.get(key);
    if (watchers === undefined) perDb.set(key, [wk]);
    else watchers.push(wk);
    this.count++;
  }

  /** Forgets every key `c` watches (UNWATCH, EXEC, DISCARD, RESET, close); the dirty flag is the caller's. */
  unwatchAll(c: Client): void {
    const state = c.watched;
    if (state === null) return;
    c.watched = null;
    for (const wk of state.keys) {
      const perDb = this.byDb.get(wk.db);
      const watchers = perDb?.get(wk.key);
      if (perDb === undefined || watchers === undefined) continue;
      const i = watchers.indexOf(wk);
      if (i !== -1) {
        watchers.splice(i, 1);
        this.count--;
      }
      if (watchers.length === 0) perDb.delete(wk.key);
    }
  }

  /** EXEC's last check: a key that was live when WATCHed has expired since (even if still stored). */
  anyExpired(c: Client): boolean {
    const state = c.watched;
    if (state === null) return false;
    for (const wk of state.keys) if (!wk.expired && isExpired(wk.db, wk.key)) return true;
    return false;
  }

  // --- KeyspaceEvents ---

  modified(db: Database, key: string): void {
    if (this.count === 0) return;
    const watchers = this.byDb.get(db)?.get(key);
    if (watchers === undefined) return;
    // Dirtying unwatches (the transaction has failed already), which edits this very list.
    for (const wk of [...watchers]) {
      // Removing a key that had expired before WATCH changes nothing the watcher could have seen.
      if (wk.expired && !db.data.has(key)) {
        wk.expired = false;
        continue;
      }
      this.dirty(wk.client);
    }
  }

  /** FLUSHDB/FLUSHALL, told before the keys go: watchers of keys that exist are dirtied. */
  flushed(db: Database): void {
    if (this.count !== 0) this.emptied(db, null);
  }

  /** SWAPDB, told before the exchange: a watched key that exists in either database is dirtied. */
  swapped(a: Database, b: Database): void {
    if (this.count === 0) return;
    this.emptied(a, b);
    this.emptied(b, a);
  }

  /** Redis's touchAllWatchedKeysInDb: `db` loses its contents, replaced by `by`'s (or nothing). */
  private emptied(db: Database, by: Database | null): void {
    const perDb = this.byDb.get(db);
    if (perDb === undefined) return;
    const dirtied: Client[] = [];
    for (const [key, watchers] of perDb) {
      const inDb = db.data.has(key);
      const inBy = by !== null && by.data.has(key);
      if (!inDb && !inBy) continue;
      for (const wk of watchers) {
        if (wk.expired) {
          // An expired key flushed away, or swapped for another expired one: no logical change.
          if (by === null || !inBy) {
            wk.expired = false;
            continue;
          }
          if (isExpired(by, key)) continue;
        } else if (!inDb && by !== null && isExpired(by, key)) {
          // Nothing replaced by something already expired: still nothing, but watch it as expired.
          wk.expired = true;
          continue;
        }
        dirtied.push(wk.client);
      }
    }
    // Marked after the walk: dirtying unwatches, which would edit the maps being walked.
    for (const c of dirtied) this.dirty(c);
  }

  private dirty(c: Client): void {
    c.dirtyCas = true;
    // Nothing more can happen to a failed transaction: stop paying for its watches.
    this.unwatchAll(c);
  }
}
