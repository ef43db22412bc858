// RDB's primitive encodings: lengths (6/14/32/64-bit), strings (plain, small integers, LZF) and
// doubles (binary, or the old length-prefixed text). Writers choose exactly what Redis's
// rdbSaveLen/rdbSaveRawString would, so that payloads come out byte-identical.

import { ByteReader, ByteWriter, fail, type ByteSource } from './bytes.js';
import { LzfSource, lzfCompress, lzfDecompress } from './lzf.js';
import { DecodeBudget } from './budget.js';
import { parseInt64 } from '../../protocol/args.js';

const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

export function writeLen(w: ByteWriter, len: number): void {
  if (len < 1 << 6) {
    w.u8(len);
  } else if (len < 1 << 14) {
    w.u8(((len >>> 8) & 0x3f) | 0x40);
    w.u8(len & 0xff);
  } else if (len <= 0xffffffff) {
    w.u8(0x80);
    w.u32be(len);
  } else {
    w.u8(0x81);
    w.u64be(BigInt(len));
  }
}

/** A length, or, for a special string encoding, `{ enc }`. */
function readLenOrEncoding(r: ByteReader): number | { enc: number } {
  const b = r.u8();
  const kind = b >>> 6;
  if (kind === 3) return { enc: b & 0x3f };
  if (kind === 0) return b & 0x3f;
  if (kind === 1) return ((b & 0x3f) << 8) | r.u8();
  if (b === 0x80) return r.u32be();
  if (b === 0x81) {
    const v = r.u64be();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('length too large');
    return Number(v);
  }
  return fail('unknown length encoding');
}

export function readLen(r: ByteReader): number {
  const v = readLenOrEncoding(r);
  if (typeof v !== 'number') fail('encoded value where a length was expected');
  return v;
}

/** Redis's rdbEncodeInteger: the 8/16/32-bit integer forms, or false when `v` is wider. */
function writeEncodedInt(w: ByteWriter, v: number): boolean {
  if (v >= -128 && v <= 127) {
    w.u8(0xc0 | ENC_INT8);
    w.u8(v & 0xff);
  } else if (v >= -32768 && v <= 32767) {
    w.u8(0xc0 | ENC_INT16);
    w.u16le(v & 0xffff);
  } else if (v >= -2147483648 && v <= 2147483647) {
    w.u8(0xc0 | ENC_INT32);
    w.u32le(v >>> 0);
  } else {
    return false;
  }
  return true;
}

export interface StringWriteOptions {
  /** rdbcompression: try LZF on strings longer than 20 bytes. */
  readonly compress: boolean;
}

/**
 * rdbSaveRawString: a short canonical integer as an encoded int, a longer string LZF-compressed
 * when that saves at least 4 bytes (and compression is on), otherwise length + bytes.
 */
export function writeString(w: ByteWriter, s: string | Uint8Array, opts: StringWriteOptions): void {
  const len = s.length;
  if (len <= 11 && len > 0) {
    const text = typeof s === 'string' ? s : Buffer.from(s).latin1Slice();
    const v = parseInt64(text);
    if (v !== null && v >= -2147483648n && v <= 2147483647n && writeEncodedInt(w, Number(v))) return;
  }
  if (opts.compress && len > 20) {
    const packed = lzfCompress(typeof s === 'string' ? latin1Bytes(s) : s, len - 4);
    if (packed !== null) {
      writeLzfBlob(w, packed, len);
      return;
    }
  }
  writeLen(w, len);
  if (typeof s === 'string') w.latin1(s);
  else w.bytes(s);
}

/** Input scratch space for compressing strings, reused across calls. */
const input = { buf: Buffer.allocUnsafe(4096) };

/** `s` as bytes in a shared buffer (valid until the next call). */
function latin1Bytes(s: string): Buffer {
  if (input.buf.length < s.length) input.buf = Buffer.allocUnsafe(Math.max(s.length, input.buf.length * 2));
  input.buf.latin1Write(s, 0, s.length);
  return input.buf.subarray(0, s.length);
}

/** rdbSaveLzfBlob: an already-compressed block and the length it expands to. */
export function writeLzfBlob(w: ByteWriter, packed: Uint8Array, originalLen: number): void {
  w.u8(0xc0 | ENC_LZF);
  writeLen(w, packed.length);
  writeLen(w, originalLen);
  w.bytes(packed);
}

/**
 * An RDB string as stored: its bytes (a view into the input), or an LZF stream and the length it
 * expands to, not expanded yet. Blobs (listpacks, ziplists, intsets) are measured in this form.
 */
export type StoredString =
  | { readonly packed: null; readonly bytes: Buffer; readonly length: number }
  | { readonly packed: Buffer; readonly bytes: null; readonly length: number };

function storedBytes(bytes: Buffer): StoredString {
  return { packed: null, bytes, length: bytes.length };
}

/** A blob given as bytes or as stored. */
export function asStored(blob: Buffer | StoredString): StoredString {
  return 'packed' in blob ? blob : storedBytes(blob);
}

/** A string in any of RDB's forms, as stored (integer forms as their decimal text). */
export function readStoredString(r: ByteReader): StoredString {
  const v = readLenOrEncoding(r);
  if (typeof v === 'number') return storedBytes(r.bytes(v));
  return readEncodedString(r, v.enc);
}

/** The special string encodings (integers, LZF) after their first byte. */
function readEncodedString(r: ByteReader, enc: number): StoredString {
  switch (enc) {
    case ENC_INT8:
      return storedBytes(Buffer.from(String((r.u8() << 24) >> 24), 'latin1'));
    case ENC_INT16: {
      const n = r.u16le();
      return storedBytes(Buffer.from(String((n << 16) >> 16), 'latin1'));
    }
    case ENC_INT32:
      return storedBytes(Buffer.from(String(r.u32le() | 0), 'latin1'));
    case ENC_LZF: {
      const clen = readLen(r);
      const length = readLen(r);
      return { packed: r.bytes(clen), bytes: null, length };
    }
    default:
      return fail('unknown string encoding');
  }
}

/** The string's bytes read in order without expanding it whole (an LZF string through a small window). */
export function sourceOf(s: StoredString): ByteSource {
  return s.packed === null ? new ByteReader(s.bytes) : new LzfSource(s.packed, s.length);
}

/**
 * The string's bytes: the stored view, or the LZF output, whose size is charged to `budget`
 * before it is allocated (and, `asString`, held to what a string can be).
 */
export function expandString(s: StoredString, budget: DecodeBudget, asString = false): Buffer {
  if (asString) budget.stringBytes(s.length);
  if (s.packed === null) return s.bytes;
  budget.buffer(s.length);
  const out = lzfDecompress(s.packed, s.length);
  if (out === null) fail('invalid LZF compressed string');
  return out;
}

/**
 * A string in any of RDB's forms, as a binary (latin1) string; its bytes are charged to
 * `budget` (the element it belongs to is charged by the collection that declared it). Without a
 * budget of its own, the string is held to one of its own.
 */
export function readString(r: ByteReader, budget: DecodeBudget = new DecodeBudget()): string {
  const v = readLenOrEncoding(r);
  // Plain strings and small integers (most keys and elements) come straight from the input.
  if (typeof v === 'number') {
    if (v > r.remaining) fail('unexpected end of data');
    budget.stringBytes(v);
    return r.latin1(v);
  }
  let text: string;
  switch (v.enc) {
    case ENC_INT8:
      text = String((r.u8() << 24) >> 24);
      break;
    case ENC_INT16:
      text = String((r.u16le() << 16) >> 16);
      break;
    case ENC_INT32:
      text = String(r.u32le() | 0);
      break;
    default:
      return expandString(readEncodedString(r, v.enc), budget, true).latin1Slice();
  }
  budget.stringBytes(text.length);
  return text;
}

/** RDB_TYPE_ZSET's text doubles: a length byte (253 nan, 254 +inf, 255 -inf) then the digits. */
export function readTextDouble(r: ByteReader): number {
  const len = r.u8();
  if (len === 255) return -Infinity;
  if (len === 254) return Infinity;
  if (len === 253) return NaN;
  const text = r.latin1(len);
  // sscanf("%lg") reads the longest numeric prefix.
  const m = /^\s*[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i.exec(text);
  if (m === null) fail('invalid double');
  const t = m[0].trim().toLowerCase().replace(/^\+/, '');
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}
