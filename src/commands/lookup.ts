// Looking up a key that must hold one type: the check every family does first, in one place.
// Read lookups count keyspace hits and misses (Redis's lookupKeyRead); write lookups do not, and
// pass the write barrier (Database.getWrite) before the caller changes the value in place.

import * as E from '../errors.js';
import type { Client } from '../server/client.js';
import type { CompositeValue } from '../store/types.js';

type Of<T extends CompositeValue['type']> = Extract<CompositeValue, { type: T }>;

/** The value of `type` under `key`: undefined when missing, null after replying WRONGTYPE. */
export function lookupTyped<T extends CompositeValue['type']>(c: Client, key: string, type: T, write: boolean): Of<T> | undefined | null {
  const v = write ? c.db.getWrite(key) : c.db.getRead(key);
  if (v === undefined) return undefined;
  if (typeof v === 'string' || v.type !== type) {
    c.reply.error(E.WRONGTYPE);
    return null;
  }
  return v as Of<T>;
}

/** The string under `key`: undefined when missing, null after replying WRONGTYPE. */
export function lookupString(c: Client, key: string, write: boolean): string | undefined | null {
  const v = write ? c.db.getWrite(key) : c.db.getRead(key);
  if (v === undefined || typeof v === 'string') return v;
  c.reply.error(E.WRONGTYPE);
  return null;
}
