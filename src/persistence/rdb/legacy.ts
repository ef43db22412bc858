// The encodings older Redis versions wrote and Redis 7.0 still loads: ziplists (lists, hashes and
// sorted sets of RDB 7-9, quicklist v1 nodes) and zipmaps (hashes of Redis 2.4 and before).
// Decoding only: nothing here is ever written.

import { ByteReader, fail, readIntLE, readUintBE, readUintLE, type ByteSource } from './bytes.js';
import { asStored, expandString, sourceOf, type StoredString } from './strings.js';
import { DecodeBudget, tally } from './budget.js';

const ZIP_END = 0xff;
const ZIP_BIG_PREVLEN = 0xfe;

/**
 * Every entry of a ziplist blob as a binary string: validated and measured first (through a
 * small window when LZF-compressed), charged to `budget`, then built.
 */
export function decodeZiplist(blob: Buffer | StoredString, budget: DecodeBudget = new DecodeBudget()): string[] {
  const stored = asStored(blob);
  const { count, bytes } = walkZiplist(sourceOf(stored), stored.length, null, budget);
  budget.charge(count, bytes);
  const out: string[] = [];
  const data = expandString(stored, budget);
  walkZiplist(new ByteReader(data), data.length, out, null);
  return out;
}

/** One validating pass over a ziplist of `length` bytes, pushing each entry to `out` when given. */
function walkZiplist(r: ByteSource, length: number, out: string[] | null, budget: DecodeBudget | null): { count: number; bytes: number } {
  if (length < 11) fail('ziplist too short');
  const size = readUintLE(r, 4);
  const tail = readUintLE(r, 4);
  const declared = readUintLE(r, 2);
  if (size !== length) fail('ziplist size mismatch');
  if (tail >= length) fail('ziplist tail offset out of range');
  let count = 0;
  let bytes = 0;
  let prevLen = 0;
  let lastStart = 10;
  while (r.pos < length - 1) {
    const start = r.pos;
    let stored = r.u8();
    if (stored === ZIP_BIG_PREVLEN) stored = readUintLE(r, 4);
    if (stored !== prevLen) fail('ziplist prevlen mismatch');
    const b = r.u8();
    let strLen = -1;
    switch (b >>> 6) {
      case 0:
        strLen = b & 0x3f;
        break;
      case 1:
        strLen = ((b & 0x3f) << 8) | r.u8();
        break;
      case 2:
        if (b !== 0x80) fail('bad ziplist string encoding');
        strLen = readUintBE(r, 4);
        break;
      default: {
        const v = zipInteger(r, b, out !== null);
        if (out !== null && v !== null) out.push(v);
      }
    }
    if (strLen >= 0) {
      if (r.pos + strLen > length - 1) fail('ziplist entry overruns');
      if (out !== null) out.push(r.latin1(strLen));
      else r.skip(strLen);
      bytes += strLen;
    }
    prevLen = r.pos - start;
    lastStart = start;
    tally(++count, bytes, budget);
  }
  if (r.u8() !== ZIP_END) fail('ziplist not terminated');
  if (count > 0 && tail !== lastStart) fail('ziplist tail offset mismatch');
  if (declared !== 0xffff && declared !== count) fail('ziplist count mismatch');
  return { count, bytes };
}

/** A ziplist integer entry after its encoding byte `b`: its decimal text when `build`, else null (stepped over). */
function zipInteger(r: ByteSource, b: number, build: boolean): string | null {
  const read = (n: number): string | null => {
    if (build) return readIntLE(r, n);
    r.skip(n);
    return null;
  };
  switch (b) {
    case 0xc0:
      return read(2);
    case 0xd0:
      return read(4);
    case 0xe0:
      return read(8);
    case 0xf0:
      return read(3);
    case 0xfe: {
      const v = r.u8();
      return build ? String((v << 24) >> 24) : null;
    }
    default:
      // 1111xxxx with xxxx in 0001..1101: the value xxxx - 1, no data bytes.
      if (b >= 0xf1 && b <= 0xfd) return build ? String((b & 0x0f) - 1) : null;
      return fail('bad ziplist integer encoding');
  }
}

/**
 * Field/value pairs of a zipmap blob, flattened [f1, v1, f2, v2, ...]: measured first, charged
 * to `budget`, then built.
 */
export function decodeZipmap(blob: Buffer | StoredString, budget: DecodeBudget = new DecodeBudget()): string[] {
  const stored = asStored(blob);
  const { count, bytes } = walkZipmap(sourceOf(stored), stored.length, null, budget);
  budget.charge(count, bytes);
  const out: string[] = [];
  const data = expandString(stored, budget);
  walkZipmap(new ByteReader(data), data.length, out, null);
  return out;
}

function walkZipmap(r: ByteSource, length: number, out: string[] | null, budget: DecodeBudget | null): { count: number; bytes: number } {
  r.u8(); // element count hint, unreliable past 253
  let count = 0;
  let bytes = 0;
  const take = (n: number): void => {
    if (r.pos + n > length) fail('zipmap entry overruns');
    if (out !== null) out.push(r.latin1(n));
    else r.skip(n);
    bytes += n;
    tally(++count, bytes, budget);
  };
  for (;;) {
    const flen = zipmapLen(r);
    if (flen === null) break;
    take(flen);
    const vlen = zipmapLen(r);
    if (vlen === null) fail('zipmap ends after a field');
    const free = r.u8();
    take(vlen);
    r.skip(free);
  }
  if (r.pos !== length) fail('bytes after the zipmap end');
  return { count, bytes };
}

/** A zipmap length: one byte under 254, 254 then u32, or null for the 255 terminator. */
function zipmapLen(r: ByteSource): number | null {
  const b = r.u8();
  if (b === 255) return null;
  if (b === 254) return readUintLE(r, 4);
  return b;
}
