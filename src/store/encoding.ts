// OBJECT ENCODING: the name Redis would report for the internal representation of a value.
// A string's encoding follows its content (Redis's tryObjectEncoding) unless the command that wrote
// it leaves another one, which the database records; composite types answer for themselves.

import type { Database } from './database.js';
import type { Value } from './types.js';
import { isInt64 } from '../int64.js';

/** Longest string Redis stores as embstr (one allocation with its object header). */
const EMBSTR_MAX = 44;
/** Redis keeps one shared object for each integer in [0, 10000). */
const SHARED_INTEGERS = 10000;

/**
 * A string representation recorded because it departs from the content rule: 'raw' after in-place
 * edits (APPEND, SETRANGE, SETBIT, HLL commands...), 'embstr' for INCRBYFLOAT's "10", and 'int'
 * for a small integer held in its own object instead of the shared one (a COPY of it).
 */
export type StringEncoding = 'raw' | 'embstr' | 'int';

export function encodingOf(db: Database, key: string, v: Value): string {
  if (typeof v === 'string') return db.stringEncodingOf(key) ?? stringEncoding(v);
  switch (v.type) {
    case 'zset':
      return v.encoding();
    case 'list':
      return v.encoding();
    case 'set':
      return v.encoding();
    case 'stream':
      return v.encoding();
    case 'hash':
      return v.encoding();
    default:
      throw new Error(`no encoding known for values of type ${(v as { type: string }).type}`);
  }
}

/** Redis's string2l: canonical decimal (no '+', no leading zeros, no "-0") within int64. */
function isLong(s: string): boolean {
  if (s.length > 20 || !/^(?:0|-?[1-9][0-9]*)$/.test(s)) return false;
  const v = BigInt(s);
  return isInt64(v);
}

/** What tryObjectEncoding makes of a string: the encoding its content alone implies. */
export function stringEncoding(s: string): StringEncoding {
  if (isLong(s)) return 'int';
  return createdEncoding(s);
}

/** What createStringObject makes of a string, with no integer conversion (INCRBYFLOAT's result). */
export function createdEncoding(s: string): 'raw' | 'embstr' {
  return s.length <= EMBSTR_MAX ? 'embstr' : 'raw';
}

function isSharedInteger(s: string): boolean {
  return s.length <= 4 && isLong(s) && Number(s) >= 0 && Number(s) < SHARED_INTEGERS;
}

/**
 * True when `encoding` is what the content rule already gives `s`, so nothing needs recording.
 * For 'int' that means an integer outside the shared range: inside it, 'int' marks an unshared copy.
 */
export function isContentEncoding(s: string, encoding: StringEncoding): boolean {
  return encoding === stringEncoding(s) && !(encoding === 'int' && isSharedInteger(s));
}

/** Redis shares one object for small integers; OBJECT REFCOUNT reports INT_MAX for them. */
export function refcountOf(db: Database, key: string, v: Value): number {
  if (typeof v === 'string' && isSharedInteger(v) && db.stringEncodingOf(key) === undefined) return 2147483647;
  return 1;
}
