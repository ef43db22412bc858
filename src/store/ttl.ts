// Expiry times as Redis keeps them: signed 64-bit milliseconds. The expires Map holds doubles,
// exact up to 2^53 ms (year 287396); beyond that, the exact value is kept on the side (the
// database's expiresExact) so that PEXPIRETIME and PTTL still answer what was set, as Redis does.

import type { Database } from './database.js';

/** Sets the absolute expiry of an existing key; a time in the past deletes it. */
export function setExpireMs(db: Database, key: string, at: bigint): void {
  const approx = Number(at);
  db.setExpire(key, approx);
  if (Number.isSafeInteger(approx)) return;
  let side = db.expiresExact;
  if (side === null) {
    side = new Map();
    db.expiresExact = side;
  }
  // Amortized: prune once per 1024 new entries.
  if (side.size >= 1024 && side.size % 1024 === 0) prune(db.expires, side);
  side.set(key, at);
}

/** Absolute expiry in ms, or undefined for a persistent (or missing) key. */
export function expireAtMs(db: Database, key: string): bigint | undefined {
  const approx = db.expireAt(key);
  if (approx === undefined) return undefined;
  if (Number.isSafeInteger(approx)) return BigInt(approx);
  const e = db.expiresExact?.get(key);
  // Trust the side value only while the Map still holds its rounding: someone else may have
  // set a new time since.
  if (e !== undefined && Number(e) === approx) return e;
  return BigInt(approx);
}

/** Drops side entries whose key no longer carries that time. */
function prune(expires: Map<string, number>, side: Map<string, bigint>): void {
  for (const [key, e] of side) if (expires.get(key) !== Number(e)) side.delete(key);
}
