// The bytes an element takes in a listpack, as lpAppend encodes it: a stream node and a quicklist
// node start afresh when these counts reach Redis's limits, so both need them exactly.

import { INT64_MAX, INT64_MIN } from '../int64.js';

/** Bytes of an integer element in a listpack, its back-length byte included. */
export function listpackIntBytes(v: number | bigint): number {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

/** The digits of INT64_MIN and INT64_MAX, for a comparison without a BigInt. */
const INT64_MIN_DIGITS = String(-INT64_MIN);
const INT64_MAX_DIGITS = String(INT64_MAX);

/** A string a listpack stores as an integer (string2ll's canonical form), else null. */
function asInteger(s: string): number | bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return null;
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0 : null;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
  }
  if (n < 16) return Number(s);
  const digits = s.charCodeAt(0) === 45 ? s.slice(1) : s;
  if (digits.length > 19 || (digits.length === 19 && digits > (s.charCodeAt(0) === 45 ? INT64_MIN_DIGITS : INT64_MAX_DIGITS))) return null;
  return BigInt(s);
}

function backlenBytes(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Bytes of one element (an integer form when it reads as a canonical int64), back-length included. */
export function listpackEntryBytes(s: string): number {
  const v = asInteger(s);
  if (v !== null) return listpackIntBytes(v);
  const n = s.length;
  const enc = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  return enc + backlenBytes(enc);
}

/** An empty listpack: the header (total bytes, element count) and the terminator. */
export const LISTPACK_EMPTY_BYTES = 7;
