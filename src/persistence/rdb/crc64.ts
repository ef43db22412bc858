// CRC-64/Jones as Redis computes it for DUMP payloads and RDB files: polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0, no final xor ("123456789" → 0xe9c6d914c4b8d9ca).
// Hand-rolled because it must match Redis bit for bit; the 64-bit register is kept as two uint32
// halves so the inner loop never allocates a BigInt.

/** The polynomial bit-reversed, as a reflected (LSB-first) table-driven CRC uses it. */
const POLY_REFLECTED_HI = 0x95ac9329;
const POLY_REFLECTED_LO = 0xac4bc9b5;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ POLY_REFLECTED_HI) >>> 0;
      lo = (lo ^ POLY_REFLECTED_LO) >>> 0;
    }
  }
  TABLE_HI[i] = hi;
  TABLE_LO[i] = lo;
}

/** A running CRC as its two 32-bit halves. */
export interface Crc64 {
  hi: number;
  lo: number;
}

/** Feeds `data[start, end)` into `crc` (start from {hi: 0, lo: 0}). */
export function crc64Update(crc: Crc64, data: Uint8Array, start = 0, end = data.length): Crc64 {
  let hi = crc.hi;
  let lo = crc.lo;
  // i < end <= data.length and t < 256 = the tables' length: the `?? 0`s never apply.
  for (let i = start; i < end; i++) {
    const t = (lo ^ (data[i] ?? 0)) & 0xff;
    lo = ((lo >>> 8) | ((hi & 0xff) << 24)) ^ (TABLE_LO[t] ?? 0);
    hi = (hi >>> 8) ^ (TABLE_HI[t] ?? 0);
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

/** The CRC of `data[start, end)`, as Redis's crc64(0, p, len). */
export function crc64(data: Uint8Array, start = 0, end = data.length): Crc64 {
  return crc64Update({ hi: 0, lo: 0 }, data, start, end);
}

/** The CRC as the 8 little-endian bytes Redis appends to a payload. */
export function crc64Bytes(crc: Crc64): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(crc.lo, 0);
  out.writeUInt32LE(crc.hi, 4);
  return out;
}

export function crc64Hex(crc: Crc64): string {
  return crc.hi.toString(16).padStart(8, '0') + crc.lo.toString(16).padStart(8, '0');
}
