// Bit operations on string values (latin1, one char per byte, bit 0 is the most significant bit
// of the first byte, as in Redis): single bits, population count, first set/clear bit, BITOP.

/** Set bits of every byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let v = b; v !== 0; v >>= 1) n += v & 1;
  return n;
});

/** The bit at `offset` (0 past the end). */
export function getBit(s: string, offset: number): number {
  const byte = Math.floor(offset / 8);
  if (byte >= s.length) return 0;
  return (s.charCodeAt(byte) >> (7 - (offset % 8))) & 1;
}

/** `s` grown with zero bytes to hold `offset`, with that bit set to `on`. */
export function setBit(s: string, offset: number, on: number): string {
  const byte = Math.floor(offset / 8);
  if (byte >= s.length) s += '\0'.repeat(byte + 1 - s.length);
  const mask = 1 << (7 - (offset % 8));
  const old = s.charCodeAt(byte);
  const next = on ? old | mask : old & ~mask;
  if (next === old) return s;
  return s.slice(0, byte) + String.fromCharCode(next) + s.slice(byte + 1);
}

/** Set bits in the bit range [startBit, endBit] (inclusive, already clamped to the string). */
export function bitCount(s: string, startBit: number, endBit: number): number {
  if (startBit > endBit) return 0;
  const first = Math.floor(startBit / 8);
  const last = Math.floor(endBit / 8);
  let n = 0;
  // A latin1 char code is a byte, so every lookup lands inside the 256-entry table.
  for (let i = first; i <= last; i++) n += POPCOUNT[s.charCodeAt(i)] ?? 0;
  // Take back the bits of the edge bytes that lie outside the range.
  const headMask = (0xff00 >> (startBit % 8)) & 0xff;
  const tailMask = (1 << (7 - (endBit % 8))) - 1;
  n -= POPCOUNT[s.charCodeAt(first) & headMask] ?? 0;
  n -= POPCOUNT[s.charCodeAt(last) & tailMask] ?? 0;
  return n;
}

/** Position of the first bit equal to `bit` in [startBit, endBit], or -1. */
export function bitPos(s: string, bit: number, startBit: number, endBit: number): number {
  let pos = startBit;
  // Bit by bit up to a byte boundary, then whole bytes, then bit by bit again.
  while (pos <= endBit && pos % 8 !== 0) {
    if (getBit(s, pos) === bit) return pos;
    pos++;
  }
  const skip = bit ? 0 : 0xff;
  while (pos + 7 <= endBit) {
    const b = s.charCodeAt(pos / 8);
    if (b !== skip) {
      for (let k = 0; k < 8; k++) if (((b >> (7 - k)) & 1) === bit) return pos + k;
    }
    pos += 8;
  }
  while (pos <= endBit) {
    if (getBit(s, pos) === bit) return pos;
    pos++;
  }
  return -1;
}

export type BitOp = 'and' | 'or' | 'xor' | 'not';

/** BITOP over the sources (missing keys as empty strings); the result is as long as the longest. */
export function bitOp(op: BitOp, sources: readonly string[]): string {
  let maxLen = 0;
  for (const s of sources) if (s.length > maxLen) maxLen = s.length;
  const s0 = sources[0];
  if (maxLen === 0 || s0 === undefined) return '';
  const out = Buffer.alloc(maxLen);
  if (op === 'not') {
    for (let i = 0; i < maxLen; i++) out[i] = ~(i < s0.length ? s0.charCodeAt(i) : 0) & 0xff;
    return out.latin1Slice(0, maxLen);
  }
  out.latin1Write(s0, 0);
  for (let k = 1; k < sources.length; k++) {
    const s = sources[k];
    if (s === undefined) break;
    const n = s.length;
    // out holds maxLen >= n bytes: each read below is inside it.
    if (op === 'and') {
      for (let i = 0; i < maxLen; i++) out[i] = (out[i] ?? 0) & (i < n ? s.charCodeAt(i) : 0);
    } else if (op === 'or') {
      for (let i = 0; i < n; i++) out[i] = (out[i] ?? 0) | s.charCodeAt(i);
    } else {
      for (let i = 0; i < n; i++) out[i] = (out[i] ?? 0) ^ s.charCodeAt(i);
    }
  }
  return out.latin1Slice(0, maxLen);
}
