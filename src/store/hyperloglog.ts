// HyperLogLog values in Redis's own string format, byte for byte: the 16-byte "HYLL" header with
// the cached cardinality, the sparse run-length opcodes (ZERO, XZERO, VAL) and the dense 6-bit
// registers, so an HLL moves between Redis and Redoubt with GET/SET, DUMP or RDB unchanged.
// Hand-rolled because every byte and every estimate must match Redis's hyperloglog.c.

import * as E from '../errors.js';

const P = 14;
export const HLL_REGISTERS = 1 << P;
const P_MASK = HLL_REGISTERS - 1;
/** Bits of the hash left after the register index; their run of zeros gives the register value. */
const Q = 64 - P;
const BITS = 6;
const REGISTER_MAX = (1 << BITS) - 1;
const HDR_SIZE = 16;
const DENSE_SIZE = HDR_SIZE + ((HLL_REGISTERS * BITS + 7) >>> 3);
export const DENSE = 0;
const SPARSE = 1;
/** 0.5 / ln(2), the estimator's alpha for m → infinity (Redis's 0.721347520444481703680 as a double). */
const ALPHA_INF = 0.7213475204444817;

const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;

// --- MurmurHash64A, seed 0xadc83b19, on 32-bit halves ---

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const SEED = 0xadc83b19;

/**
 * MurmurHash64A of latin1 strings, as Redis computes it on little-endian machines. The 64-bit
 * words are pairs of 32-bit halves kept in fields, so that hashing an element allocates nothing.
 */
class Murmur64A {
  /** The last hash. */
  hi = 0;
  lo = 0;
  /** The last product of mul. */
  private mulHi = 0;
  private mulLo = 0;

  /** (aHi:aLo * bHi:bLo) mod 2^64 into mulHi/mulLo. */
  private mul(aHi: number, aLo: number, bHi: number, bLo: number): void {
    const a0 = aLo & 0xffff;
    const a1 = aLo >>> 16;
    const b0 = bLo & 0xffff;
    const b1 = bLo >>> 16;
    const p00 = a0 * b0;
    const p01 = a0 * b1;
    const p10 = a1 * b0;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    this.mulLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
    const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    this.mulHi = (carry + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) >>> 0;
  }

  /** Hashes `s` into hi/lo. */
  hash(s: string): void {
    const len = s.length;
    this.mul(0, len >>> 0, M_HI, M_LO);
    let hi = this.mulHi;
    let lo = (this.mulLo ^ SEED) >>> 0;
    const blocks = len - (len & 7);
    for (let i = 0; i < blocks; i += 8) {
      let kLo = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
      let kHi = (s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) | (s.charCodeAt(i + 7) << 24)) >>> 0;
      this.mul(kHi, kLo, M_HI, M_LO);
      kHi = this.mulHi;
      kLo = (this.mulLo ^ (kHi >>> 15)) >>> 0; // k ^= k >> 47
      this.mul(kHi, kLo, M_HI, M_LO);
      hi = (hi ^ this.mulHi) >>> 0;
      lo = (lo ^ this.mulLo) >>> 0;
      this.mul(hi, lo, M_HI, M_LO);
      hi = this.mulHi;
      lo = this.mulLo;
    }
    const rest = len & 7;
    if (rest > 0) {
      // The tail bytes land at bit 8*j of the 64-bit word, as in the C switch's fall-through.
      for (let j = rest - 1; j >= 0; j--) {
        const b = s.charCodeAt(blocks + j);
        if (j >= 4) hi = (hi ^ (b << (8 * (j - 4)))) >>> 0;
        else lo = (lo ^ (b << (8 * j))) >>> 0;
      }
      this.mul(hi, lo, M_HI, M_LO);
      hi = this.mulHi;
      lo = this.mulLo;
    }
    lo = (lo ^ (hi >>> 15)) >>> 0; // h ^= h >> 47
    this.mul(hi, lo, M_HI, M_LO);
    hi = this.mulHi;
    lo = (this.mulLo ^ (hi >>> 15)) >>> 0;
    this.hi = hi;
    this.lo = lo;
  }

  /**
   * hllPatLen: the register an element goes to (the low P bits) and, above them, the length of
   * its run of zeros plus one.
   */
  pattern(s: string): number {
    this.hash(s);
    const hLo = this.lo;
    const hHi = this.hi;
    // hash >>= P; hash |= 1 << Q, so the count stops at Q+1 at most.
    const lo = ((hLo >>> P) | (hHi << (32 - P))) >>> 0;
    const hi = ((hHi >>> P) | (1 << (Q - 32))) >>> 0;
    const count = lo !== 0 ? 32 - Math.clz32(lo & -lo) : 32 + 32 - Math.clz32(hi & -hi);
    return (count << P) | (hLo & P_MASK);
  }
}

/** MurmurHash64A as a bigint, for tests and PFDEBUG-style inspection. */
export function murmurHash64A(s: string): bigint {
  const m = new Murmur64A();
  m.hash(s);
  return (BigInt(m.hi) << 32n) | BigInt(m.lo);
}

// --- dense registers ---

// A register index is below HLL_REGISTERS, so `at` is inside a dense buffer of DENSE_SIZE bytes,
// and `at + 1` too except for the last register (read as the zero past the end).

function denseGet(b: Uint8Array, reg: number): number {
  const bit = reg * BITS;
  const at = HDR_SIZE + (bit >>> 3);
  const fb = bit & 7;
  return (((b[at] ?? 0) >>> fb) | ((b[at + 1] ?? 0) << (8 - fb))) & REGISTER_MAX;
}

function denseSet(b: Uint8Array, reg: number, val: number): void {
  const bit = reg * BITS;
  const at = HDR_SIZE + (bit >>> 3);
  const fb = bit & 7;
  const fb8 = 8 - fb;
  b[at] = ((b[at] ?? 0) & ~(REGISTER_MAX << fb)) | (val << fb);
  // The last register's spill byte is Redis's sds terminator: nothing is ever written there.
  if (at + 1 < DENSE_SIZE) b[at + 1] = ((b[at + 1] ?? 0) & ~(REGISTER_MAX >>> fb8)) | (val >>> fb8);
}

// --- the value ---

export type AddResult = 0 | 1 | -1;

/**
 * One HLL being read or changed: the string's bytes in a buffer with room to grow (the sparse
 * form grows by up to 3 bytes per update). `len` is the string's length.
 */
export class Hll {
  private readonly hasher = new Murmur64A();

  private constructor(
    public buf: Uint8Array,
    public len: number,
  ) {}

  /** An empty HLL: sparse, one XZERO opcode for all registers, cached cardinality 0. */
  static empty(): Hll {
    const b = new Uint8Array(64);
    b.set([0x48, 0x59, 0x4c, 0x4c, SPARSE]);
    const l = HLL_REGISTERS - 1;
    b[HDR_SIZE] = (l >>> 8) | 0x40;
    b[HDR_SIZE + 1] = l & 0xff;
    return new Hll(b, HDR_SIZE + 2);
  }

  /** Redis's isHLLObjectOrReply checks: magic, known encoding, exact dense length; else null. */
  static parse(s: string): Hll | null {
    if (!isHll(s)) return null;
    const b = Buffer.alloc(s.length + 8);
    b.latin1Write(s, 0);
    return new Hll(b, s.length);
  }

  /** Header byte i (below HDR_SIZE): every HLL's buffer holds the whole header. */
  private header(i: number): number {
    const v = this.buf[i];
    if (v === undefined) throw new RangeError(`HLL header byte ${i} is missing`);
    return v;
  }

  get encoding(): number {
    return this.header(4);
  }

  toString(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len).latin1Slice(0, this.len);
  }

  get cacheValid(): boolean {
    return (this.header(15) & 0x80) === 0;
  }

  invalidateCache(): void {
    this.buf[15] = this.header(15) | 0x80;
  }

  /** The cached cardinality (the header's 8 little-endian bytes). */
  cachedCard(): number | bigint {
    let v = 0n;
    for (let i = 15; i >= 8; i--) v = (v << 8n) | BigInt(this.header(i));
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  setCachedCard(card: number): void {
    let v = BigInt(card);
    for (let i = 8; i < 16; i++) {
      this.buf[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  /** hllAdd: 1 when a register changed, 0 when not, -1 on a corrupted sparse encoding. */
  add(ele: string, sparseMaxBytes: number): AddResult {
    const pattern = this.hasher.pattern(ele);
    const index = pattern & P_MASK;
    const count = pattern >>> P;
    const enc = this.encoding;
    if (enc === DENSE) return this.denseSetIfGreater(index, count);
    if (enc === SPARSE) return this.sparseSet(index, count, sparseMaxBytes);
    return -1;
  }

  private denseSetIfGreater(index: number, count: number): AddResult {
    if (count > denseGet(this.buf, index)) {
      denseSet(this.buf, index, count);
      return 1;
    }
    return 0;
  }

  /** Sets a register to `count` when that raises it, in whichever encoding (PFMERGE's write). */
  setRegister(index: number, count: number, sparseMaxBytes: number): AddResult {
    return this.encoding === DENSE ? this.denseSetIfGreater(index, count) : this.sparseSet(index, count, sparseMaxBytes);
  }

  private ensure(n: number): void {
    if (this.buf.length >= n) return;
    const next = new Uint8Array(Math.max(n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /**
   * Redis's hllSparseSet: find the opcode covering `index`, replace it with up to five opcodes,
   * merge equal neighbouring VALs, and go dense when a value exceeds 32 or the string would grow
   * past hll-sparse-max-bytes.
   */
  private sparseSet(index: number, count: number, sparseMaxBytes: number): AddResult {
    if (count > VAL_MAX_VALUE) return this.promote(index, count);
    this.ensure(this.len + 3 + 1);
    const b = this.buf;
    let end = this.len;
    let p = HDR_SIZE;
    let first = 0;
    let prev = -1;
    let span = 0;
    // p < end <= buf.length, and past the last opcode sits the zero Redis's sds keeps there.
    while (p < end) {
      const op = b[p] ?? 0;
      let oplen = 1;
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if (op & 0x80) span = (op & 0x3) + 1;
      else {
        span = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;

    const op = b[p] ?? 0; // p < end, checked just above
    const isXzero = (op & 0xc0) === 0x40;
    const isZero = (op & 0xc0) === 0;
    const isVal = (op & 0x80) !== 0;
    let next = isXzero ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1 : (op & 0x3) + 1;

    let updatedInPlace = false;
    if (isVal) {
      const old = ((op >>> 2) & 0x1f) + 1;
      if (old >= count) return 0;
      if (runlen === 1) {
        b[p] = valOp(count, 1);
        updatedInPlace = true;
      }
    }
    if (!updatedInPlace && isZero && runlen === 1) {
      b[p] = valOp(count, 1);
      updatedInPlace = true;
    }

    if (!updatedInPlace) {
      const seq: number[] = [];
      const last = first + span - 1;
      const zeros = (n: number): void => {
        if (n > ZERO_MAX_LEN) seq.push(((n - 1) >>> 8) | 0x40, (n - 1) & 0xff);
        else seq.push(n - 1);
      };
      if (isZero || isXzero) {
        if (index !== first) zeros(index - first);
        seq.push(valOp(count, 1));
        if (index !== last) zeros(last - index);
      } else {
        const cur = ((op >>> 2) & 0x1f) + 1;
        if (index !== first) seq.push(valOp(cur, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(cur, last - index));
      }
      const delta = seq.length - (isXzero ? 2 : 1);
      if (delta > 0 && this.len + delta > sparseMaxBytes) return this.promote(index, count);
      if (delta !== 0 && next !== -1) b.copyWithin(next + delta, next, end);
      this.len += delta;
      // The new opcodes end at most 3 bytes past the old end: inside the room ensured above.
      b.set(seq, p);
      end += delta;
    }

    // Merge runs of equal VALs near the change, scanning up to five opcodes from the previous one.
    p = prev === -1 ? HDR_SIZE : prev;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const o = b[p] ?? 0;
      if ((o & 0xc0) === 0x40) {
        p += 2;
        continue;
      }
      if ((o & 0xc0) === 0) {
        p++;
        continue;
      }
      // The next opcode, if any: two VALs of one value merge into one.
      const o2 = p + 1 < end ? (b[p + 1] ?? 0) : 0;
      if ((o2 & 0x80) !== 0) {
        const v1 = ((o >>> 2) & 0x1f) + 1;
        const v2 = ((o2 >>> 2) & 0x1f) + 1;
        if (v1 === v2) {
          const n = (o & 0x3) + 1 + (o2 & 0x3) + 1;
          if (n <= VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, n);
            b.copyWithin(p, p + 1, end);
            this.len--;
            end--;
            continue;
          }
        }
      }
      p++;
    }
    // Redis's sds keeps a NUL after the string; a truncated opcode at the end reads it as 0.
    b[this.len] = 0;
    this.invalidateCache();
    return 1;
  }

  private promote(index: number, count: number): AddResult {
    if (!this.toDense()) return -1;
    // A register needed updating for the sparse form to overflow, so this always changes it.
    return this.denseSetIfGreater(index, count);
  }

  /** hllSparseToDense: false (and no change) when the sparse opcodes do not cover 16384 registers. */
  toDense(): boolean {
    if (this.encoding === DENSE) return true;
    const d = new Uint8Array(DENSE_SIZE);
    d.set(this.buf.subarray(0, HDR_SIZE));
    d[4] = DENSE;
    const b = this.buf;
    const end = this.len;
    let idx = 0;
    let p = HDR_SIZE;
    while (p < end) {
      const op = b[p] ?? 0; // p < end
      if ((op & 0xc0) === 0) {
        idx += (op & 0x3f) + 1;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        idx += (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
        p += 2;
      } else {
        let run = (op & 0x3) + 1;
        const val = ((op >>> 2) & 0x1f) + 1;
        if (run + idx > HLL_REGISTERS) break;
        while (run-- > 0) denseSet(d, idx++, val);
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return false;
    this.buf = d;
    this.len = DENSE_SIZE;
    return true;
  }

  /** Raises max[i] to this HLL's register i (hllMerge); false on a corrupted sparse encoding. */
  mergeInto(max: Uint8Array): boolean {
    const b = this.buf;
    if (this.encoding === DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const v = denseGet(b, i);
        if (v > (max[i] ?? 0)) max[i] = v;
      }
      return true;
    }
    let i = 0;
    let p = HDR_SIZE;
    const end = this.len;
    while (p < end) {
      const op = b[p] ?? 0; // p < end
      if ((op & 0xc0) === 0) {
        i += (op & 0x3f) + 1;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        i += (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
        p += 2;
      } else {
        let run = (op & 0x3) + 1;
        const val = ((op >>> 2) & 0x1f) + 1;
        if (run + i > HLL_REGISTERS) break;
        while (run-- > 0) {
          if (val > (max[i] ?? 0)) max[i] = val;
          i++;
        }
        p++;
      }
    }
    return i === HLL_REGISTERS;
  }

  /** The register histogram; null when a sparse encoding does not cover exactly 16384 registers. */
  histogram(): number[] | null {
    // A register holds 0..63: every bucket below is one of the 64.
    const h = new Array<number>(64).fill(0);
    const b = this.buf;
    if (this.encoding === DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const r = denseGet(b, i);
        h[r] = (h[r] ?? 0) + 1;
      }
      return h;
    }
    let idx = 0;
    let p = HDR_SIZE;
    const end = this.len;
    while (p < end) {
      const op = b[p] ?? 0; // p < end
      if ((op & 0xc0) === 0) {
        const run = (op & 0x3f) + 1;
        idx += run;
        h[0] = (h[0] ?? 0) + run;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        const run = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
        idx += run;
        h[0] = (h[0] ?? 0) + run;
        p += 2;
      } else {
        const run = (op & 0x3) + 1;
        const r = ((op >>> 2) & 0x1f) + 1;
        idx += run;
        h[r] = (h[r] ?? 0) + run;
        p++;
      }
    }
    return idx === HLL_REGISTERS ? h : null;
  }

  /** All registers as numbers (PFDEBUG GETREG, after conversion to dense). */
  registers(): number[] {
    const out = new Array<number>(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(this.buf, i);
    return out;
  }

  /** PFDEBUG DECODE's rendering of the sparse opcodes. */
  decodeSparse(): string {
    const parts: string[] = [];
    const b = this.buf;
    let p = HDR_SIZE;
    while (p < this.len) {
      const op = b[p] ?? 0; // p < end
      if ((op & 0xc0) === 0) {
        parts.push(`z:${(op & 0x3f) + 1}`);
        p++;
      } else if ((op & 0xc0) === 0x40) {
        parts.push(`Z:${(((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1}`);
        p += 2;
      } else {
        parts.push(`v:${((op >>> 2) & 0x1f) + 1},${(op & 0x3) + 1}`);
        p++;
      }
    }
    return parts.join(' ');
  }
}

function valOp(val: number, len: number): number {
  return (((val - 1) << 2) | (len - 1)) | 0x80;
}

/** True when the string passes Redis's HLL checks (isHLLObjectOrReply). */
function isHll(s: string): boolean {
  return (
    s.length >= HDR_SIZE &&
    s.charCodeAt(0) === 0x48 &&
    s.charCodeAt(1) === 0x59 &&
    s.charCodeAt(2) === 0x4c &&
    s.charCodeAt(3) === 0x4c &&
    s.charCodeAt(4) <= SPARSE &&
    (s.charCodeAt(4) !== DENSE || s.length === DENSE_SIZE)
  );
}

// --- the estimator (Otmar Ertl, "New cardinality estimation algorithms for HyperLogLog sketches") ---

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** hllCount's estimate from a register histogram. */
export function estimate(h: readonly number[]): number {
  // A bucket the histogram does not hold counts no register.
  const m = HLL_REGISTERS;
  let z = m * tau((m - (h[Q + 1] ?? 0)) / m);
  for (let j = Q; j >= 1; j--) {
    z += h[j] ?? 0;
    z *= 0.5;
  }
  z += m * sigma((h[0] ?? 0) / m);
  // llroundl: halves away from zero; the estimate is never negative.
  return Math.round((ALPHA_INF * m * m) / z);
}

/** A histogram of raw byte registers (the union PFCOUNT builds over several keys). */
export function rawHistogram(max: Uint8Array): number[] {
  const h = new Array<number>(64).fill(0);
  // Registers hold 0..63, each a bucket of the 64.
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const r = max[i] ?? 0;
    h[r] = (h[r] ?? 0) + 1;
  }
  return h;
}

/** PFSELFTEST's register check: random values written and read back through the dense layout. */
export function selfTest(): string | null {
  const d = new Uint8Array(DENSE_SIZE);
  const expect = new Uint8Array(HLL_REGISTERS);
  for (let round = 0; round < 100; round++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = Math.floor(Math.random() * (REGISTER_MAX + 1));
      expect[i] = v;
      denseSet(d, i, v);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(d, i);
      if (v !== expect[i]) return E.pfselftestFailed(i, expect[i], v);
    }
  }
  return null;
}
