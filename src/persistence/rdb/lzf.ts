// LZF, the compression Redis applies to strings and listpacks in DUMP payloads and RDB files.
// Decompression accepts any valid LZF stream. Compression follows liblzf 3.6 as Redis builds it
// (HLOG 16, VERY_FAST, a 16-bit hash table, references never to offset 0, a match allowed to
// start as late as three bytes before the end, as in the liblzf Redis 7.0 ships), so that our DUMP of a
// compressible value comes out byte for byte as Redis's; hand-rolled for that reason. Redis leaves
// its hash table uninitialised between calls, which can very rarely make it find an extra match;
// we always start from an empty table, as a fresh Redis process would.

import { fail, type ByteSource } from './bytes.js';

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * The hash table holds input positions, reused across calls: a slot counts only when its
 * generation is the current call's, so starting empty costs nothing per call (small strings are
 * compressed by the thousand in one DUMP, and clearing 64K slots each time would dominate).
 */
const htab = new Int32Array(HSIZE);
const hgen = new Uint32Array(HSIZE);

function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * The current call's generation, and the output scratch space, reused: compressing thousands of
 * small strings must not allocate each time.
 */
const work = { generation: 0, out: Buffer.allocUnsafe(4096) };

/**
 * Compresses `input` into at most `outLen` bytes; null when it does not fit (liblzf returns 0),
 * which is how Redis decides a value is not worth compressing. The result is a view of a shared
 * buffer, valid until the next call: copy it to keep it.
 */
export function lzfCompress(input: Uint8Array, outLen: number): Buffer | null {
  const inLen = input.length;
  if (inLen === 0 || outLen === 0) return null;
  if (++work.generation === 0xffffffff) {
    hgen.fill(0);
    work.generation = 1;
  }
  const gen = work.generation;
  // One spare byte past out_end, as Redis allocates outlen + 1: a run header may land there.
  if (work.out.length < outLen + 1) work.out = Buffer.allocUnsafe(Math.max(outLen + 1, work.out.length * 2));
  const out = work.out;
  const inEnd = inLen;
  const outEnd = outLen;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // start run
  // Input reads below are at indexes < inEnd (the loop bounds), hash slots < HSIZE (idx masks):
  // their `?? 0`s never apply, except input[1] of a one-byte input, which liblzf reads as 0 too.
  let hval = (((input[0] ?? 0) << 8) | (input[1] ?? 0)) >>> 0;
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | (input[ip + 2] ?? 0)) >>> 0;
    const slot = idx(hval);
    const ref = hgen[slot] === gen ? (htab[slot] ?? -1) : -1;
    htab[slot] = ip;
    hgen[slot] = gen;
    const off = ip - ref - 1;
    if (
      ref > 0 &&
      ref < ip &&
      off < MAX_OFF &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo an empty run
      if (op + 3 + 1 >= outEnd) return null;
      // liblzf compares 16 bytes unrolled (without the maxlen bound) before its bounded loop.
      let done = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            done = true;
            break;
          }
        }
      }
      if (!done) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      // VERY_FAST: re-hash the two positions before the new ip.
      ip -= 2;
      hval = (((input[ip] ?? 0) << 8) | (input[ip + 1] ?? 0)) >>> 0;
      hval = ((hval << 8) | (input[ip + 2] ?? 0)) >>> 0;
      let h = idx(hval);
      htab[h] = ip;
      hgen[h] = gen;
      ip++;
      hval = ((hval << 8) | (input[ip + 2] ?? 0)) >>> 0;
      h = idx(hval);
      htab[h] = ip;
      hgen[h] = gen;
      ip++;
    } else {
      if (op >= outEnd) return null;
      lit++;
      out[op++] = input[ip++] ?? 0;
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return null;
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++] ?? 0;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return out.subarray(0, op);
}

/**
 * The most one input byte can expand to: a 3-byte back-reference copies at most MAX_REF (264)
 * bytes, so no valid stream expands more than 88-fold.
 */
const LZF_MAX_RATIO = MAX_REF / 3;
/** References at least this long are copied in blocks; shorter ones byte by byte (cheaper than the call). */
const LONG_REF = 32;

/** Decompresses `input` into exactly `outLen` bytes; null when the stream is invalid or the size differs. */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer | null {
  // A claimed size no stream of this length can reach is refused before anything is allocated.
  if (outLen > input.length * LZF_MAX_RATIO) return null;
  const out = Buffer.allocUnsafe(outLen);
  let ip = 0;
  let op = 0;
  const inEnd = input.length;
  // Every read below is at an index just checked against inEnd or op (the `?? 0`s never apply).
  while (ip < inEnd) {
    let ctrl = input[ip++] ?? 0;
    if (ctrl < 1 << 5) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > inEnd) return null;
      for (let k = 0; k < ctrl; k++) out[op++] = input[ip++] ?? 0;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= inEnd) return null;
        len += input[ip++] ?? 0;
      }
      if (ip >= inEnd) return null;
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - (input[ip++] ?? 0);
      len += 2;
      if (op + len > outLen || ref < 0) return null;
      if (len < LONG_REF) {
        // Byte by byte: a reference may overlap the bytes it produces.
        for (let k = 0; k < len; k++) out[op++] = out[ref + k] ?? 0;
      } else {
        // The same bytes in blocks: an overlapping reference repeats out[ref..op) with that
        // period, so each block may be as long as what is already there (doubling).
        for (let done = 0; done < len; ) {
          const n = Math.min(len - done, op + done - ref);
          out.copyWithin(op + done, ref, ref + n);
          done += n;
        }
        op += len;
      }
    }
  }
  return op === outLen ? out : null;
}

/** The window LzfSource keeps: the farthest reference (8 KB) plus the longest copy, rounded up. */
const WINDOW = 1 << 14;
const WINDOW_MASK = WINDOW - 1;

/**
 * An LZF stream expanded as it is read, keeping only the last 16 KB of output (all a reference can
 * reach): a walk can measure what a compressed blob holds (its entries, their sizes) before
 * anything of the blob's full size is allocated. Invalid streams fail as lzfDecompress refuses them.
 */
export class LzfSource implements ByteSource {
  private readonly window = new Uint8Array(WINDOW);
  /** Output bytes produced so far (absolute). */
  private produced = 0;
  private ip = 0;
  pos = 0;

  constructor(
    private readonly input: Uint8Array,
    /** The expanded length the stream claims. */
    readonly length: number,
  ) {
    if (length > input.length * LZF_MAX_RATIO) fail('invalid LZF compressed string');
  }

  /** Expands the next literal run or back-reference into the window. */
  private step(): void {
    const input = this.input;
    const inEnd = input.length;
    const w = this.window;
    let ip = this.ip;
    let op = this.produced;
    if (ip >= inEnd) fail('invalid LZF compressed string');
    let ctrl = input[ip++] ?? 0;
    if (ctrl < 1 << 5) {
      ctrl++;
      if (op + ctrl > this.length || ip + ctrl > inEnd) fail('invalid LZF compressed string');
      for (let k = 0; k < ctrl; k++) w[op++ & WINDOW_MASK] = input[ip++] ?? 0;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= inEnd) fail('invalid LZF compressed string');
        len += input[ip++] ?? 0;
      }
      if (ip >= inEnd) fail('invalid LZF compressed string');
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - (input[ip++] ?? 0);
      len += 2;
      if (op + len > this.length || ref < 0) fail('invalid LZF compressed string');
      for (let k = 0; k < len; k++) w[op++ & WINDOW_MASK] = w[(ref + k) & WINDOW_MASK] ?? 0;
    }
    this.ip = ip;
    this.produced = op;
  }

  u8(): number {
    if (this.pos >= this.length) fail('unexpected end of data');
    while (this.pos >= this.produced) this.step();
    return this.window[this.pos++ & WINDOW_MASK] ?? 0;
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.length) fail('unexpected end of data');
    // Bytes stepped over are still produced, on the next read: later references may copy them.
    this.pos += n;
  }

  latin1(n: number): string {
    if (n < 0 || this.pos + n > this.length) fail('unexpected end of data');
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.u8());
    return s;
  }
}
