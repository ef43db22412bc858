// Listpacks, the compact encoding of Redis 7.0's small hashes and sorted sets and of every
// quicklist node: a header (total bytes u32, element count u16), entries each followed by its
// back-length, and a 0xFF terminator. Entries that read as canonical int64 are stored as
// integers in the smallest of Redis's integer forms, exactly as lpAppend does.

import { ByteReader, fail, readIntLE, readUintLE, type ByteSource } from './bytes.js';
import { asStored, expandString, sourceOf, type StoredString } from './strings.js';
import { parseInt64 } from '../../protocol/args.js';
import { DecodeBudget, tally } from './budget.js';

const HEADER_SIZE = 6;
const EOF_BYTE = 0xff;
/** The element count field saturates here; the real count is then found by walking. */
const NUMELE_UNKNOWN = 65535;

/** Bytes lpEncodeBacklen uses for an entry of `l` bytes (encoding + data). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Builds a listpack entry by entry; `bytes` is the size the finished listpack will have. */
export class ListpackBuilder {
  private readonly parts: Buffer[] = [];
  private body = 0;
  count = 0;

  get bytes(): number {
    return HEADER_SIZE + this.body + 1;
  }

  /** lpAppend: an integer form when `s` is a canonical int64, otherwise a string entry. */
  append(s: string): void {
    if (s.length <= 20) {
      const v = parseInt64(s);
      if (v !== null) {
        this.appendInteger(v);
        return;
      }
    }
    const len = s.length;
    let head: number[];
    if (len < 64) head = [0x80 | len];
    else if (len < 4096) head = [0xe0 | (len >>> 8), len & 0xff];
    else head = [0xf0, len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, (len >>> 24) & 0xff];
    const entryLen = head.length + len;
    const b = Buffer.allocUnsafe(entryLen + backlenSize(entryLen));
    b.set(head, 0);
    b.latin1Write(s, head.length, len);
    writeBacklen(b, entryLen, entryLen);
    this.push(b);
  }

  /** lpAppendInteger. */
  appendInteger(v: bigint): void {
    let b: Buffer;
    if (v >= 0n && v <= 127n) {
      b = Buffer.from([Number(v), 1]);
    } else if (v >= -4096n && v <= 4095n) {
      const u = Number(v < 0n ? (1n << 13n) + v : v);
      b = Buffer.from([(u >>> 8) | 0xc0, u & 0xff, 2]);
    } else if (v >= -32768n && v <= 32767n) {
      b = Buffer.allocUnsafe(4);
      b[0] = 0xf1;
      b.writeInt16LE(Number(v), 1);
      b[3] = 3;
    } else if (v >= -8388608n && v <= 8388607n) {
      b = Buffer.allocUnsafe(5);
      b[0] = 0xf2;
      b.writeIntLE(Number(v), 1, 3);
      b[4] = 4;
    } else if (v >= -2147483648n && v <= 2147483647n) {
      b = Buffer.allocUnsafe(6);
      b[0] = 0xf3;
      b.writeInt32LE(Number(v), 1);
      b[5] = 5;
    } else {
      b = Buffer.allocUnsafe(10);
      b[0] = 0xf4;
      b.writeBigInt64LE(v, 1);
      b[9] = 9;
    }
    this.push(b);
  }

  private push(entry: Buffer): void {
    this.parts.push(entry);
    this.body += entry.length;
    this.count++;
  }

  finish(): Buffer {
    const total = this.bytes;
    const out = Buffer.allocUnsafe(total);
    out.writeUInt32LE(total, 0);
    out.writeUInt16LE(this.count < NUMELE_UNKNOWN ? this.count : NUMELE_UNKNOWN, 4);
    let at = HEADER_SIZE;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    out[at] = EOF_BYTE;
    return out;
  }
}

/** lpEncodeBacklen, written right after the entry's `l` bytes starting at `at` in `b`. */
function writeBacklen(b: Buffer, at: number, l: number): void {
  if (l <= 127) {
    b[at] = l;
  } else if (l < 16383) {
    b[at] = l >>> 7;
    b[at + 1] = (l & 127) | 128;
  } else if (l < 2097151) {
    b[at] = l >>> 14;
    b[at + 1] = ((l >>> 7) & 127) | 128;
    b[at + 2] = (l & 127) | 128;
  } else if (l < 268435455) {
    b[at] = l >>> 21;
    b[at + 1] = ((l >>> 14) & 127) | 128;
    b[at + 2] = ((l >>> 7) & 127) | 128;
    b[at + 3] = (l & 127) | 128;
  } else {
    b[at] = Math.floor(l / 2 ** 28);
    b[at + 1] = ((l >>> 21) & 127) | 128;
    b[at + 2] = ((l >>> 14) & 127) | 128;
    b[at + 3] = ((l >>> 7) & 127) | 128;
    b[at + 4] = (l & 127) | 128;
  }
}

/** The back-length stored after an entry, read forwards (`size` bytes). */
function readBacklen(r: ByteSource, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) {
    const byte = r.u8();
    // The first byte holds the high bits; every later one has its top bit set.
    if (i > 0 && (byte & 128) === 0) fail('bad listpack back-length');
    if (i === 0 && size > 1 && byte > 127) fail('bad listpack back-length');
    v = v * 128 + (byte & 127);
  }
  return v;
}

/**
 * Every entry of a listpack as a binary string, fully validated (deep, as sanitize-dump-payload
 * yes). A first walk validates and counts without building anything (through a small window
 * when the blob is LZF-compressed); the entries and the expanded blob are charged to `budget`,
 * and only then built.
 */
export function decodeListpack(blob: Buffer | StoredString, budget: DecodeBudget = new DecodeBudget()): string[] {
  const stored = asStored(blob);
  const { count, bytes } = walkListpack(sourceOf(stored), stored.length, null, budget);
  budget.charge(count, bytes);
  const out: string[] = [];
  const data = expandString(stored, budget);
  walkListpack(new ByteReader(data), data.length, out, null);
  return out;
}

/**
 * One pass over a listpack of `length` bytes: validates every entry, pushes each value to `out`
 * when given, and returns the entry count and the bytes of the string entries; `budget` (first
 * pass) stops it early.
 */
function walkListpack(r: ByteSource, length: number, out: string[] | null, budget: DecodeBudget | null): { count: number; bytes: number } {
  if (length < HEADER_SIZE + 1) fail('listpack too short');
  const total = readUintLE(r, 4);
  const declared = readUintLE(r, 2);
  if (total !== length) fail('listpack size mismatch');
  const end = length - 1;
  let count = 0;
  let bytes = 0;
  while (r.pos < end) {
    const start = r.pos;
    const b = r.u8();
    let value: string | null = null;
    let strLen = -1;
    let intLen = 0;
    if ((b & 0x80) === 0) {
      if (out !== null) value = String(b & 0x7f);
    } else if ((b & 0xc0) === 0x80) {
      strLen = b & 0x3f;
    } else if ((b & 0xe0) === 0xc0) {
      const u = ((b & 0x1f) << 8) | r.u8();
      if (out !== null) value = String(u >= 4096 ? u - 8192 : u);
    } else if ((b & 0xf0) === 0xe0) {
      strLen = ((b & 0x0f) << 8) | r.u8();
    } else if (b === 0xf1) {
      intLen = 2;
    } else if (b === 0xf2) {
      intLen = 3;
    } else if (b === 0xf3) {
      intLen = 4;
    } else if (b === 0xf4) {
      intLen = 8;
    } else if (b === 0xf0) {
      strLen = readUintLE(r, 4);
    } else {
      return fail('bad listpack entry encoding');
    }
    if (intLen > 0) {
      if (out !== null) value = readIntLE(r, intLen);
      else r.skip(intLen);
    } else if (strLen >= 0) {
      if (r.pos + strLen > end) fail('listpack entry overruns');
      if (out !== null) value = r.latin1(strLen);
      else r.skip(strLen);
      bytes += strLen;
    }
    const entryLen = r.pos - start;
    if (r.pos + backlenSize(entryLen) > end) fail('listpack entry overruns');
    if (readBacklen(r, backlenSize(entryLen)) !== entryLen) fail('listpack back-length mismatch');
    tally(++count, bytes, budget);
    if (out !== null && value !== null) out.push(value);
  }
  if (r.u8() !== EOF_BYTE) fail('listpack not terminated');
  if (declared !== NUMELE_UNKNOWN && declared !== count) fail('listpack count mismatch');
  return { count, bytes };
}
