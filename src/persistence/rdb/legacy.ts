// The encodings older Redis versions wrote and Redis 7.0 still loads: ziplists (lists, hashes and
// sorted sets of RDB 7-9, quicklist v1 nodes) and zipmaps (hashes of Redis 2.4 and before).
// Decoding only: nothing here is ever written.

import { ByteReader, fail } from './bytes.js';

const ZIP_END = 0xff;
const ZIP_BIG_PREVLEN = 0xfe;

/** Every entry of a ziplist blob as a binary string, validated. */
export function decodeZiplist(blob: Buffer): string[] {
  if (blob.length < 11) fail('ziplist too short');
  const r = new ByteReader(blob);
  const bytes = r.u32le();
  const tail = r.u32le();
  const declared = r.u16le();
  if (bytes !== blob.length) fail('ziplist size mismatch');
  if (blob[blob.length - 1] !== ZIP_END) fail('ziplist not terminated');
  if (tail >= blob.length) fail('ziplist tail offset out of range');
  const out: string[] = [];
  let prevLen = 0;
  let lastStart = 10;
  while (r.pos < blob.length - 1) {
    const start = r.pos;
    let stored = r.u8();
    if (stored === ZIP_BIG_PREVLEN) stored = r.u32le();
    if (stored !== prevLen) fail('ziplist prevlen mismatch');
    const b = r.u8();
    let value: string;
    switch (b >>> 6) {
      case 0:
        value = r.latin1(b & 0x3f);
        break;
      case 1:
        value = r.latin1(((b & 0x3f) << 8) | r.u8());
        break;
      case 2:
        if (b !== 0x80) fail('bad ziplist string encoding');
        value = r.latin1(r.u32be());
        break;
      default:
        value = zipInteger(r, b);
    }
    prevLen = r.pos - start;
    lastStart = start;
    out.push(value);
  }
  if (out.length > 0 && tail !== lastStart) fail('ziplist tail offset mismatch');
  if (declared !== 0xffff && declared !== out.length) fail('ziplist count mismatch');
  return out;
}

function zipInteger(r: ByteReader, b: number): string {
  switch (b) {
    case 0xc0:
      return String(r.bytes(2).readInt16LE(0));
    case 0xd0:
      return String(r.bytes(4).readInt32LE(0));
    case 0xe0:
      return String(r.bytes(8).readBigInt64LE(0));
    case 0xf0:
      return String(r.bytes(3).readIntLE(0, 3));
    case 0xfe:
      return String((r.u8() << 24) >> 24);
    default:
      // 1111xxxx with xxxx in 0001..1101: the value xxxx - 1, no data bytes.
      if (b >= 0xf1 && b <= 0xfd) return String((b & 0x0f) - 1);
      return fail('bad ziplist integer encoding');
  }
}

/** Field/value pairs of a zipmap blob, flattened [f1, v1, f2, v2, ...]. */
export function decodeZipmap(blob: Buffer): string[] {
  const r = new ByteReader(blob);
  r.u8(); // element count hint, unreliable past 253
  const out: string[] = [];
  for (;;) {
    const flen = zipmapLen(r);
    if (flen === null) break;
    out.push(r.latin1(flen));
    const vlen = zipmapLen(r);
    if (vlen === null) fail('zipmap ends after a field');
    const free = r.u8();
    out.push(r.latin1(vlen));
    r.bytes(free);
  }
  if (r.remaining !== 0) fail('bytes after the zipmap end');
  return out;
}

/** A zipmap length: one byte under 254, 254 then u32, or null for the 255 terminator. */
function zipmapLen(r: ByteReader): number | null {
  const b = r.u8();
  if (b === 255) return null;
  if (b === 254) return r.u32le();
  return b;
}
