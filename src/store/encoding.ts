// OBJECT ENCODING: the name Redis would report for the internal representation of a value.
// Strings follow Redis's tryObjectEncoding; each composite type adds its case as it arrives.

import type { Value } from './types.js';

/** Longest string Redis stores as embstr (one allocation with its object header). */
const EMBSTR_MAX = 44;

export function encodingOf(v: Value): string {
  if (typeof v === 'string') return stringEncoding(v);
  switch (v.type) {
    case 'zset':
      return v.encoding();
    case 'list':
      return v.encoding();
    case 'set':
      return v.encoding();
    case 'hash':
      return v.encoding();
    default:
      throw new Error(`no encoding known for values of type ${v.type}`);
  }
}

/** Redis's string2l: canonical decimal (no '+', no leading zeros, no "-0") within int64. */
function isLong(s: string): boolean {
  if (s.length > 20 || !/^(?:0|-?[1-9][0-9]*)$/.test(s)) return false;
  const v = BigInt(s);
  return v >= -(2n ** 63n) && v < 2n ** 63n;
}

export function stringEncoding(s: string): string {
  if (isLong(s)) return 'int';
  return s.length <= EMBSTR_MAX ? 'embstr' : 'raw';
}

/** Redis shares one object for small integers; OBJECT REFCOUNT reports INT_MAX for them. */
export function refcountOf(v: Value): number {
  if (typeof v === 'string' && v.length <= 4 && stringEncoding(v) === 'int') {
    const n = Number(v);
    if (n >= 0 && n < 10000) return 2147483647;
  }
  return 1;
}
