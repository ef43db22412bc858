// Resumable RESP request parser: multibulk (`*N\r\n$L\r\n...`) and inline (`PING\r\n`) forms,
// following Redis's processMultibulkBuffer/processInlineBuffer rule for rule, so that limits and
// protocol errors match. Pull-based: the connection calls next() while it is willing to run
// commands (a blocked client stops pulling). Arguments are latin1 "binary strings". Every size is
// bounded below what V8 can hold: a bulk never exceeds the longest string, a request never has more
// arguments than an array can take, and the arguments of a request in progress count toward the
// query buffer limit.

import { constants } from 'node:buffer';
import * as E from '../errors.js';

const CR = 0x0d;
const LF = 0x0a;
const INLINE_MAX = 64 * 1024;
/** A bulk longer than this that has not fully arrived gets its own buffer instead of concatenations. */
const BIG_ARG = 32 * 1024;
/** The longest string V8 builds (536,870,888 in Node 20): no bulk may be longer, whatever proto-max-bulk-len says. */
const MAX_BULK = constants.MAX_STRING_LENGTH;
/**
 * The most arguments one request may have. V8 aborts the process when an array outgrows its
 * largest backing store (about 2^27 slots; growth by half again makes ~89 million the last safe
 * size), so the bound sits well below: 32 Mi arguments, refused with Redis's wording.
 */
export const MAX_MULTIBULK = 32 * 1024 * 1024;
/** What one argument costs besides its bytes (its array slot), counted toward the query buffer limit. */
const ARG_COST = 8;
/** Small arguments are offered to the heap guard in batches of this many bytes. */
const ADMIT_BATCH = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
  /** client-query-buffer-limit */
  maxQueryBuffer: number;
  /** Unauthenticated clients are held to a tiny request size (CVE-2021-32675). */
  unauthenticated: boolean;
  /**
   * Asked before `bytes` of arguments are made into strings (a large bulk at once, small ones in
   * batches); false refuses the request: its bytes are read and dropped, and next() returns REFUSED.
   */
  admit?: (bytes: number) => boolean;
}

const UNAUTH_MAX_ARGS = 10;
const UNAUTH_MAX_BULK = 16384;
/**
 * Query buffer limit of an unauthenticated client: unparsed bytes plus the request being read.
 * The largest request it may send (10 arguments of 16 KB) fits; more only piles up while the
 * client is held (a delayed AUTH, CLIENT PAUSE).
 */
const UNAUTH_MAX_QUERY = 256 * 1024;

/** Returned by next() for a request that was read but refused (see ParserLimits.admit and `refusal`). */
export const REFUSED: readonly string[] = Object.freeze([]);

export class RespParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /**
   * Chunks that arrived while buf still had unparsed bytes, joined when parsing resumes: a client
   * that is not read from (blocked, paused) costs one copy per resume, not one per chunk.
   */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Arguments still expected by the multibulk in progress (0: between requests). */
  private pendingArgs = 0;
  private argv: string[] = [];
  /** Length of the bulk whose `$L` line was read, or -1. */
  private bulkLen = -1;
  /** A large bulk being filled in place as chunks arrive. */
  private big: Buffer | null = null;
  private bigFilled = 0;
  /** Bytes of the request in progress already made into arguments, each with ARG_COST. */
  private argvBytes = 0;
  /** Argument bytes not yet offered to limits.admit. */
  private unadmitted = 0;
  /** The request in progress was refused: its remaining arguments are skipped. */
  private dropping = false;
  /** Bytes of a skipped argument still to arrive. */
  private skip = 0;

  /** Set when a protocol error was found; the connection replies with it and closes. */
  error: string | null = null;
  /** Set when the query buffer limit was passed; the connection closes without a reply. */
  overflow = false;
  /** Why the last REFUSED request was refused (an error line without '-'). */
  refusal: string = E.OOM;

  constructor(readonly limits: ParserLimits) {}

  /** Bytes received but not yet turned into commands. */
  get buffered(): number {
    return this.buf.length - this.pos + this.pendingBytes + this.bigFilled;
  }

  /** Arguments already read for the request in progress (their bytes plus ARG_COST each). */
  get pendingArgvBytes(): number {
    return this.argvBytes;
  }

  /** The query buffer limit in force: client-query-buffer-limit, or the unauthenticated bound. */
  get queryLimit(): number {
    const l = this.limits;
    return l.unauthenticated && l.maxQueryBuffer > UNAUTH_MAX_QUERY ? UNAUTH_MAX_QUERY : l.maxQueryBuffer;
  }

  feed(chunk: Buffer): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    if (this.big !== null) {
      const need = this.big.length - this.bigFilled;
      const n = Math.min(need, chunk.length);
      chunk.copy(this.big, this.bigFilled, 0, n);
      this.bigFilled += n;
      // Redis reads a big argument (payload and CRLF) into a query buffer of its own, so the
      // limit applies to it alone: a bulk longer than the limit minus 2 can never complete.
      if (this.bigFilled + this.argvBytes > this.queryLimit) this.overflow = true;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    if (this.pos >= this.buf.length && this.pending.length === 0) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    if (this.buf.length - this.pos + this.pendingBytes + this.argvBytes > this.queryLimit) this.overflow = true;
  }

  /** Joins the chunks that arrived behind unparsed bytes. */
  private gather(): void {
    this.pending.unshift(this.buf.subarray(this.pos));
    this.buf = Buffer.concat(this.pending);
    this.pos = 0;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * Lets go of consumed input, so that an idle connection holds only its unparsed bytes (copied
   * out of the last read's buffer) rather than that whole buffer. Called after each batch.
   */
  release(): void {
    if (this.pos === 0) return;
    this.buf = this.pos >= this.buf.length ? EMPTY : Buffer.from(this.buf.subarray(this.pos));
    this.pos = 0;
  }

  /** The next complete command, an empty array for an empty request, or null (need more bytes, or error). */
  next(): string[] | null {
    if (this.error !== null || this.overflow) return null;
    if (this.pending.length !== 0) this.gather();
    // (A refused request whose last argument is still being skipped is not finished yet.)
    if (this.pendingArgs === 0 && this.big === null && !this.dropping) {
      if (this.pos >= this.buf.length) return null;
      if (this.buf[this.pos] !== 0x2a /* '*' */) return this.inline();
      const count = this.multibulkHeader();
      if (count === -1) return null;
      if (count === 0) return [];
    }
    return this.multibulkArgs();
  }

  private fail(message: string): null {
    this.error = message;
    return null;
  }

  private inline(): string[] | null {
    const buf = this.buf;
    const nl = lineEnd(buf, this.pos, LF);
    if (nl === -1) {
      if (buf.length - this.pos > INLINE_MAX) return this.fail(E.PROTO_BIG_INLINE);
      return null;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = buf.latin1Slice(this.pos, end);
    this.pos = nl + 1;
    const argv = splitArgs(line);
    // Redis applies the unauthenticated size limits to multibulk requests only: an inline
    // request is already bounded by the 64 KB line limit.
    if (argv === null) return this.fail(E.PROTO_UNBALANCED_QUOTES);
    return argv;
  }

  /** Reads `*N\r\n`. Returns the arguments expected (0 for an empty request), or -1 when the line is incomplete or wrong. */
  private multibulkHeader(): number {
    const buf = this.buf;
    const fast = scanLength(buf, this.pos + 1);
    if (fast !== -1 && scanned.value <= MAX_MULTIBULK && (scanned.value <= UNAUTH_MAX_ARGS || !this.limits.unauthenticated)) {
      this.pos = fast + 2;
      this.pendingArgs = scanned.value;
      this.argv = [];
      return this.pendingArgs;
    }
    const cr = lineEnd(buf, this.pos, CR);
    if (cr === -1) {
      if (buf.length - this.pos > INLINE_MAX) this.fail(E.PROTO_BIG_MBULK_COUNT);
      return -1;
    }
    if (cr + 1 >= buf.length) return -1;
    const n = parseLength(buf, this.pos + 1, cr);
    // Redis 7.0 allows up to INT_MAX; past MAX_MULTIBULK V8 could not hold the argument array.
    if (n === null || n > MAX_MULTIBULK) {
      this.fail(E.PROTO_INVALID_MULTIBULK);
      return -1;
    }
    if (n > UNAUTH_MAX_ARGS && this.limits.unauthenticated) {
      this.fail(E.PROTO_UNAUTH_MULTIBULK);
      return -1;
    }
    this.pos = cr + 2;
    this.pendingArgs = n > 0 ? n : 0;
    this.argv = [];
    return this.pendingArgs;
  }

  private multibulkArgs(): string[] | null {
    while (this.pendingArgs > 0) {
      if (this.big !== null) {
        if (this.bigFilled < this.big.length) return null;
        // Like Redis, the two bytes after the payload are skipped, not checked.
        this.push(this.big.latin1Slice(0, this.big.length - 2));
        this.big = null;
        this.bigFilled = 0;
        this.pendingArgs--;
        if (this.overflow) return null;
        continue;
      }
      if (this.skip > 0) return null;
      const buf = this.buf;
      if (this.bulkLen === -1 && buf[this.pos] === 0x24 /* '$' */) {
        const cr = scanLength(buf, this.pos + 1);
        if (cr !== -1 && scanned.value <= this.limits.maxBulkLen && scanned.value <= MAX_BULK && (scanned.value <= UNAUTH_MAX_BULK || !this.limits.unauthenticated)) {
          this.pos = cr + 2;
          this.bulkLen = scanned.value;
        }
      }
      if (this.bulkLen === -1) {
        const cr = lineEnd(buf, this.pos, CR);
        if (cr === -1) {
          if (buf.length - this.pos > INLINE_MAX) return this.fail(E.PROTO_BIG_BULK_COUNT);
          return null;
        }
        if (cr + 1 >= buf.length) return null;
        const got = buf[this.pos];
        if (got === undefined) return null;
        if (got !== 0x24 /* '$' */) {
          // Redis turns CR and LF in error text into spaces, so the reply stays one line.
          return this.fail(E.protoExpectedDollar(String.fromCharCode(got === CR || got === LF ? 0x20 : got)));
        }
        const len = parseLength(buf, this.pos + 1, cr);
        // A bulk V8 cannot make into a string is refused as one over proto-max-bulk-len.
        if (len === null || len < 0 || len > this.limits.maxBulkLen || len > MAX_BULK) return this.fail(E.PROTO_INVALID_BULK);
        if (len > UNAUTH_MAX_BULK && this.limits.unauthenticated) return this.fail(E.PROTO_UNAUTH_BULK);
        this.pos = cr + 2;
        this.bulkLen = len;
      }
      const len = this.bulkLen;
      if (!this.dropping && !this.admitted(len)) this.dropping = true;
      const available = buf.length - this.pos;
      if (this.dropping) {
        // A refused request is read to its end without keeping its arguments.
        this.bulkLen = -1;
        this.pendingArgs--;
        if (available >= len + 2) {
          this.pos += len + 2;
          continue;
        }
        this.skip = len + 2 - available;
        this.buf = EMPTY;
        this.pos = 0;
        return null;
      }
      if (available < len + 2) {
        if (len >= BIG_ARG) {
          this.big = Buffer.allocUnsafe(len + 2);
          buf.copy(this.big, 0, this.pos);
          this.bigFilled = available;
          this.buf = EMPTY;
          this.pos = 0;
          this.bulkLen = -1;
          if (this.bigFilled + this.argvBytes > this.queryLimit) this.overflow = true;
        }
        return null;
      }
      this.push(latin1(buf, this.pos, len));
      this.pos += len + 2;
      this.bulkLen = -1;
      this.pendingArgs--;
      if (this.overflow) return null;
    }
    if (this.skip > 0) return null;
    this.argvBytes = 0;
    if (this.dropping) {
      this.dropping = false;
      this.argv = [];
      this.refusal = E.OOM;
      return REFUSED as string[];
    }
    const argv = this.argv;
    this.argv = [];
    return argv;
  }

  /** Adds an argument to the request, counting it toward the query buffer limit. */
  private push(arg: string): void {
    this.argv.push(arg);
    this.argvBytes += arg.length + ARG_COST;
    if (this.argvBytes + this.buf.length - this.pos > this.queryLimit) this.overflow = true;
  }

  /** Offers a bulk of `len` bytes to the heap guard: large ones at once, small ones in batches. */
  private admitted(len: number): boolean {
    const admit = this.limits.admit;
    if (admit === undefined) return true;
    if (len >= BIG_ARG) return admit(len + ARG_COST);
    this.unadmitted += len + ARG_COST;
    if (this.unadmitted < ADMIT_BATCH) return true;
    const n = this.unadmitted;
    this.unadmitted = 0;
    // The heap is checked for the batch; only a request whose own arguments are large is refused.
    return admit(n) || this.argvBytes + len + ARG_COST < ADMIT_BATCH;
  }
}

/** The value read by the last successful scanLength (scratch shared by every parser). */
const scanned = { value: 0 };

/**
 * Fast path for the length lines of ordinary requests: 1 to 15 digits, no leading zero unless the
 * number is 0, then CR and at least one more byte. Returns the index of the CR (the length is left
 * in `scanned.value`), or -1 so that the general path (lineEnd + parseLength) handles everything else,
 * errors and incomplete lines included; for the lines it accepts, both paths agree.
 */
function scanLength(buf: Buffer, start: number): number {
  const limit = Math.min(buf.length - 1, start + 16);
  let n = 0;
  let i = start;
  for (; i < limit; i++) {
    // i < limit < buf.length: the byte is there; `?? 0` would read as a non-digit and stop.
    const d = (buf[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  if (i === start || i === limit || buf[i] !== CR) return -1;
  if (buf[start] === 0x30 && i - start > 1) return -1;
  scanned.value = n;
  return i;
}

const fromCharCode = String.fromCharCode;

/**
 * buf.latin1Slice(s, s + n), made cheaper for short arguments (command names, keys, small values):
 * one String.fromCharCode call builds the same flat one-byte string without crossing into C++,
 * several times faster (bench/hot-path.ts). The caller has checked that s + n is within the buffer
 * (multibulkArgs reads a bulk only once `available >= len + 2`), so no read here is out of bounds:
 * `?? 0` only states that to the type checker, and V8 drops it for in-bounds loads.
 */
export function latin1(b: Buffer, s: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return fromCharCode(b[s] ?? 0);
    case 2:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0);
    case 3:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0);
    case 4:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0);
    case 5:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0);
    case 6:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0);
    case 7:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0);
    case 8:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0);
    case 9:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0);
    case 10:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0, b[s + 9] ?? 0);
    case 11:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0, b[s + 9] ?? 0, b[s + 10] ?? 0);
    case 12:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0, b[s + 9] ?? 0, b[s + 10] ?? 0, b[s + 11] ?? 0);
    case 13:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0, b[s + 9] ?? 0, b[s + 10] ?? 0, b[s + 11] ?? 0, b[s + 12] ?? 0);
    case 14:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0, b[s + 9] ?? 0, b[s + 10] ?? 0, b[s + 11] ?? 0, b[s + 12] ?? 0, b[s + 13] ?? 0);
    case 15:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0, b[s + 9] ?? 0, b[s + 10] ?? 0, b[s + 11] ?? 0, b[s + 12] ?? 0, b[s + 13] ?? 0, b[s + 14] ?? 0);
    case 16:
      return fromCharCode(b[s] ?? 0, b[s + 1] ?? 0, b[s + 2] ?? 0, b[s + 3] ?? 0, b[s + 4] ?? 0, b[s + 5] ?? 0, b[s + 6] ?? 0, b[s + 7] ?? 0, b[s + 8] ?? 0, b[s + 9] ?? 0, b[s + 10] ?? 0, b[s + 11] ?? 0, b[s + 12] ?? 0, b[s + 13] ?? 0, b[s + 14] ?? 0, b[s + 15] ?? 0);
    default:
      return b.latin1Slice(s, s + n);
  }
}

/**
 * Where the line starting at `pos` ends (the index of `terminator`), or -1. Redis finds line ends
 * with strchr, which stops at a NUL byte: a NUL before the terminator means "no line yet", and
 * the request waits (until the inline/count size limit turns it into a protocol error).
 */
function lineEnd(buf: Buffer, pos: number, terminator: number): number {
  const end = buf.indexOf(terminator, pos);
  if (end === -1) return -1;
  // Header lines are a few bytes; only inline lines can be long, and they are not the hot path.
  for (let i = pos; i < end; i++) if (buf[i] === 0) return -1;
  return end;
}

/** string2ll over bytes: optional '-', digits, no leading '+', no leading zeros; null if malformed. */
function parseLength(buf: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 20) return null;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] === 0x30) return i + 1 === end && !negative ? 0 : null;
  let n = 0;
  for (; i < end; i++) {
    // end is a CR found in buf, so i < end is in bounds; a missing byte would read as malformed.
    const d = (buf[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return null;
  return negative ? -n : n;
}

function isHex(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
}

/**
 * Redis's sdssplitargs: whitespace-separated words, "double quotes" with \n \r \t \b \a \\ \" and
 * \xHH escapes, 'single quotes' with only \' escaped. A closing quote must be followed by a space
 * or the end. Returns null for unbalanced quotes. Shared by inline requests and config files.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line.charAt(i))) i++;
    if (i >= n) return out;
    let inDq = false;
    let inSq = false;
    let done = false;
    let cur = '';
    while (!done) {
      // charAt past the end is '': the end of the line.
      const c = line.charAt(i);
      if (inDq) {
        if (c === '') return null;
        if (c === '\\' && line[i + 1] === 'x' && i + 3 < n && isHex(line.charAt(i + 2)) && isHex(line.charAt(i + 3))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line.charAt(i);
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line.charAt(i + 1))) return null;
          done = true;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (c === '') return null;
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line.charAt(i + 1))) return null;
          done = true;
        } else {
          cur += c;
        }
      } else if (c === '' || c === ' ' || c === '\n' || c === '\r' || c === '\t') {
        // Unlike the separators skipped between words, \v and \f do not end an unquoted word.
        done = true;
      } else if (c === '"') {
        inDq = true;
      } else if (c === "'") {
        inSq = true;
      } else {
        cur += c;
      }
      if (i < n) i++;
    }
    out.push(cur);
  }
}
