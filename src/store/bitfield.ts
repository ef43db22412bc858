// BITFIELD arithmetic: reading and writing signed/unsigned integers of 1..64 bits at any bit
// offset of a byte buffer, and Redis's overflow rules (WRAP, SAT, FAIL) computed in exact int64 /
// uint64 arithmetic, including the wrap-arounds Redis's C code performs on extreme inputs.

import { INT64_MAX } from '../int64.js';

export type Overflow = 'wrap' | 'sat' | 'fail';

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const i64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Byte at `i` of a buffer or a latin1 string, zero past the end. */
export type ByteSource = Buffer | string;

function byteAt(src: ByteSource, i: number): number {
  if (typeof src === 'string') return i < src.length ? src.charCodeAt(i) : 0;
  return src[i] ?? 0;
}

/** The `bits`-wide unsigned field at bit `offset` (bits past the end read as zero). */
export function getUnsigned(src: ByteSource, offset: number, bits: number): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++) {
    const pos = offset + j;
    const bit = (byteAt(src, Math.floor(pos / 8)) >> (7 - (pos % 8))) & 1;
    v = (v << 1n) | BigInt(bit);
  }
  return v;
}

export function getSigned(src: ByteSource, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getUnsigned(src, offset, bits));
}

/** Writes the low `bits` bits of `value` at bit `offset`; the buffer is already large enough. */
export function setField(buf: Buffer, offset: number, bits: number, value: bigint): void {
  const v = u64(value);
  for (let j = 0; j < bits; j++) {
    const bit = Number((v >> BigInt(bits - 1 - j)) & 1n);
    const pos = offset + j;
    const byte = Math.floor(pos / 8);
    const mask = 1 << (7 - (pos % 8));
    const old = buf[byte];
    if (old === undefined) throw new RangeError(`bit field byte ${byte} is past the buffer's ${buf.length}`);
    buf[byte] = bit ? old | mask : old & ~mask;
  }
}

/** Outcome of an overflow check: whether it overflowed and the value to store instead. */
export interface OverflowCheck {
  readonly overflow: boolean;
  readonly limit: bigint;
}

/** Redis's checkUnsignedBitfieldOverflow; `value` is a uint64, `incr` an int64. */
export function checkUnsigned(value: bigint, incr: bigint, bits: number, ow: Overflow): OverflowCheck {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = i64(max - value);
  const minincr = i64(-value);
  const wrap = (): OverflowCheck => ({ overflow: true, limit: u64(value + incr) & max });
  if (value > max || (incr > 0n && incr > maxincr)) {
    return ow === 'wrap' ? wrap() : { overflow: true, limit: max };
  }
  if (incr < 0n && incr < minincr) {
    return ow === 'wrap' ? wrap() : { overflow: true, limit: 0n };
  }
  return { overflow: false, limit: 0n };
}

/** Redis's checkSignedBitfieldOverflow; `value` and `incr` are int64. */
export function checkSigned(value: bigint, incr: bigint, bits: number, ow: Overflow): OverflowCheck {
  const max = bits === 64 ? INT64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = i64(max - value);
  const minincr = i64(min - value);
  const wrap = (): OverflowCheck => {
    let c = u64(value + incr);
    if (bits < 64) {
      const mask = u64(-1n << BigInt(bits));
      c = c & (1n << BigInt(bits - 1)) ? c | mask : c & ~mask;
    }
    return { overflow: true, limit: i64(c) };
  };
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    return ow === 'wrap' ? wrap() : { overflow: true, limit: max };
  }
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    return ow === 'wrap' ? wrap() : { overflow: true, limit: min };
  }
  return { overflow: false, limit: 0n };
}
