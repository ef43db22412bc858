// Pure operations on string values (latin1 binary strings, one char per byte): ranges, in-place
// overwrite with zero padding, and int64 increments, with Redis's index and overflow rules.

import { constants } from 'node:buffer';
import { isInt64 } from '../int64.js';

/**
 * The longest string V8 can hold (2^29 - 24 chars on 64-bit), a little under Redis's 512 MB
 * default limit: writes that would grow a value past it are refused like oversized ones.
 */
export const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;


/** GETRANGE's slice: negative indexes count from the end, the end is inclusive and clamped. */
export function getRange(s: string, start: number, end: number): string {
  const len = s.length;
  if (start < 0 && end < 0 && start > end) return '';
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return '';
  return s.slice(start, end + 1);
}

/** `s` with `value` written at `offset`, zero bytes filling any gap past the end. */
export function setRange(s: string, offset: number, value: string): string {
  if (offset > s.length) s += '\0'.repeat(offset - s.length);
  const tail = offset + value.length;
  return s.slice(0, offset) + value + (tail < s.length ? s.slice(tail) : '');
}

/**
 * `current + by` within int64, computed exactly: a number when it is a safe integer, a bigint
 * beyond that, null on overflow.
 */
export function addInt64(current: number | bigint, by: number | bigint): number | bigint | null {
  if (typeof current === 'number' && typeof by === 'number') {
    const sum = current + by;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(current) + BigInt(by);
  if (!isInt64(sum)) return null;
  return sum;
}
