// Intsets, the encoding of small all-integer sets: encoding width (2, 4 or 8 bytes) u32, count u32,
// then the members ascending in that width, little-endian.

import { fail, readUintLE } from './bytes.js';
import { asStored, expandString, sourceOf, type StoredString } from './strings.js';
import { checkTableEntries, DecodeBudget } from './budget.js';

/** The intset for canonical int64 `members` (any order), in the narrowest width that holds them all. */
export function encodeIntset(members: readonly string[]): Buffer {
  const values = members.map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of values) {
    if (v < -2147483648n || v > 2147483647n) {
      width = 8;
      break;
    }
    if (v < -32768n || v > 32767n) width = 4;
  }
  const out = Buffer.allocUnsafe(8 + values.length * width);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(values.length, 4);
  let at = 8;
  for (const v of values) {
    if (width === 2) out.writeInt16LE(Number(v), at);
    else if (width === 4) out.writeInt32LE(Number(v), at);
    else out.writeBigInt64LE(v, at);
    at += width;
  }
  return out;
}

/**
 * The members of an intset blob, validated: known width, exact size, strictly ascending. The
 * header is read first (through a small window when LZF-compressed) and the declared count held
 * against the set's limit and charged to `budget` before the blob is expanded or any member built.
 */
export function decodeIntset(blob: Buffer | StoredString, budget: DecodeBudget = new DecodeBudget()): string[] {
  const stored = asStored(blob);
  if (stored.length < 8) fail('intset too short');
  const head = sourceOf(stored);
  const width = readUintLE(head, 4);
  if (width !== 2 && width !== 4 && width !== 8) fail('bad intset encoding');
  const count = readUintLE(head, 4);
  if (stored.length !== 8 + count * width) fail('intset size mismatch');
  checkTableEntries(count);
  // Decimal text: up to 6, 11 or 20 characters a member.
  budget.charge(count, count * (width === 2 ? 6 : width === 4 ? 11 : 20));
  const data = expandString(stored, budget);
  const out: string[] = [];
  let prev: bigint | null = null;
  for (let i = 0, at = 8; i < count; i++, at += width) {
    const v = width === 2 ? BigInt(data.readInt16LE(at)) : width === 4 ? BigInt(data.readInt32LE(at)) : data.readBigInt64LE(at);
    if (prev !== null && v <= prev) fail('intset not ascending');
    prev = v;
    out.push(String(v));
  }
  return out;
}
