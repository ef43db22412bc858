// A growable byte writer and a bounds-checked byte reader: the two ends every RDB encoder and
// decoder here works on. A read past the end, or any structural inconsistency found while
// decoding, throws RdbFormatError, which RESTORE turns into "Bad data format".

/** The input is not valid RDB data (truncated, inconsistent or of an unsupported kind). */
export class RdbFormatError extends Error {}

export function fail(reason: string): never {
  throw new RdbFormatError(reason);
}

/**
 * A value that decodes to nothing (an empty list, set, hash or sorted set). RESTORE refuses it
 * as bad data; an RDB file load skips the key, as Redis does since such keys could be saved by
 * an old bug.
 */
export class RdbEmptyValueError extends RdbFormatError {}

export function failEmpty(reason: string): never {
  throw new RdbEmptyValueError(reason);
}

export class ByteWriter {
  private buf: Buffer;
  length = 0;

  constructor(capacity = 64) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16le(v: number): void {
    this.reserve(2);
    this.buf.writeUInt16LE(v, this.length);
    this.length += 2;
  }

  u32le(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, this.length);
    this.length += 4;
  }

  u32be(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }

  u64be(v: bigint): void {
    this.reserve(8);
    this.buf.writeBigUInt64BE(v, this.length);
    this.length += 8;
  }

  i64le(v: bigint): void {
    this.reserve(8);
    this.buf.writeBigInt64LE(v, this.length);
    this.length += 8;
  }

  f64le(v: number): void {
    this.reserve(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A binary (latin1) string, one byte per char. */
  latin1(s: string): void {
    this.reserve(s.length);
    this.length += this.buf.latin1Write(s, this.length, s.length);
  }

  /** The bytes written so far (a view: copy it before writing more if it must outlive the writer). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** The bytes written so far, in a Buffer of their own. */
  take(): Buffer {
    return Buffer.from(this.view());
  }
}

/**
 * Bytes read in order: from a buffer (ByteReader), or expanded from LZF as they are read
 * (LzfSource). The validating walks over listpacks, ziplists and zipmaps read through this, so
 * they can measure a compressed blob without expanding it whole.
 */
export interface ByteSource {
  /** Offset of the next byte. */
  readonly pos: number;
  u8(): number;
  /** Steps over `n` bytes. */
  skip(n: number): void;
  /** The next `n` bytes as a binary (latin1) string. */
  latin1(n: number): string;
}

/** `n` (up to 4) little-endian bytes from `src` as an unsigned integer. */
export function readUintLE(src: ByteSource, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v += src.u8() * 2 ** (8 * i);
  return v;
}

/** `n` (up to 4) big-endian bytes from `src` as an unsigned integer. */
export function readUintBE(src: ByteSource, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + src.u8();
  return v;
}

/** `n` (2, 3, 4 or 8) little-endian bytes from `src` as a signed integer in decimal. */
export function readIntLE(src: ByteSource, n: number): string {
  if (n === 8) {
    let v = 0n;
    for (let i = 0; i < 8; i++) v |= BigInt(src.u8()) << BigInt(8 * i);
    return String(BigInt.asIntN(64, v));
  }
  const v = readUintLE(src, n);
  const half = 2 ** (8 * n - 1);
  return String(v >= half ? v - 2 * half : v);
}

export class ByteReader implements ByteSource {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.end) fail('unexpected end of data');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf.readUInt8(this.need(1));
  }

  u16le(): number {
    return this.buf.readUInt16LE(this.need(2));
  }

  u32le(): number {
    return this.buf.readUInt32LE(this.need(4));
  }

  u32be(): number {
    return this.buf.readUInt32BE(this.need(4));
  }

  u64be(): bigint {
    return this.buf.readBigUInt64BE(this.need(8));
  }

  i64le(): bigint {
    return this.buf.readBigInt64LE(this.need(8));
  }

  f64le(): number {
    return this.buf.readDoubleLE(this.need(8));
  }

  skip(n: number): void {
    this.need(n);
  }

  /** `n` bytes as a view into the input. */
  bytes(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  latin1(n: number): string {
    const at = this.need(n);
    return this.buf.latin1Slice(at, at + n);
  }
}
