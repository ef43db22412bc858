// The reply side of a command. Handlers speak through the Reply interface; RespWriter renders it
// as RESP2 or RESP3 into a per-client buffer that the connection flushes once per batch of
// pipelined commands. Strings are latin1 "binary strings", so length in chars is length in bytes.

import { formatDouble } from './number-format.js';

/** What a handler can answer. Aggregates are a header followed by exactly that many elements. */
export interface Reply {
  /** 2 or 3: the protocol the client negotiated with HELLO. */
  readonly resp: 2 | 3;
  ok(): void;
  status(s: string): void;
  /** `message` is the whole error line without '-', e.g. "ERR syntax error". */
  error(message: string): void;
  integer(n: number | bigint): void;
  bulk(s: string): void;
  /** Null bulk string: `$-1` in RESP2, `_` in RESP3. */
  nil(): void;
  /** Null array: `*-1` in RESP2, `_` in RESP3. */
  nilArray(): void;
  array(n: number): void;
  /** A map of n pairs: `%n` in RESP3, a flat array of 2n in RESP2. */
  map(n: number): void;
  /** `~n` in RESP3, an array in RESP2. */
  set(n: number): void;
  /** `>n` in RESP3 (out-of-band), an array in RESP2. */
  push(n: number): void;
  /** `,d` in RESP3, a bulk string in RESP2. */
  double(d: number): void;
  /** `#t`/`#f` in RESP3, `:1`/`:0` in RESP2. */
  bool(b: boolean): void;
  /** `=len\r\ntxt:...` in RESP3, a bulk string in RESP2. */
  verbatim(s: string, format?: string): void;
  /** `(n` in RESP3, a bulk string in RESP2. */
  bigNumber(digits: string): void;
  /** Pre-rendered protocol bytes, used for constant replies. */
  raw(bytes: Buffer): void;
  /** An array of bulk strings. */
  bulks(items: readonly string[]): void;
  /** A bulk string, or nil when the value is missing. */
  bulkOrNil(s: string | undefined): void;
}

const INITIAL = 16 * 1024;
/** Strings at least this long are queued as their own chunk instead of being copied into the buffer. */
const LARGE = 64 * 1024;

const OK2 = Buffer.from('+OK\r\n');
const NIL2 = Buffer.from('$-1\r\n');
const NILARR2 = Buffer.from('*-1\r\n');
const NULL3 = Buffer.from('_\r\n');
const ZERO = Buffer.from(':0\r\n');
const ONE = Buffer.from(':1\r\n');
const EMPTY_ARRAY = Buffer.from('*0\r\n');
const TRUE3 = Buffer.from('#t\r\n');
const FALSE3 = Buffer.from('#f\r\n');

/** Up to this many bytes, copying in JavaScript beats a call into Buffer's C++ (bench/hot-path.ts). */
const SHORT = 24;

/** Writes the latin1 string `s` into `b` at `p` (room already reserved); returns the end. */
function put(b: Buffer, s: string, p: number): number {
  const n = s.length;
  if (n > SHORT) return p + b.latin1Write(s, p);
  // Uint8Array stores the low byte, as latin1Write does.
  for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  return p + n;
}

export class RespWriter implements Reply {
  resp: 2 | 3 = 2;
  private buf: Buffer = Buffer.allocUnsafe(0);
  private len = 0;
  /** Chunks already complete, in order, ahead of buf[0..len). */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** When false, replies are dropped (CLIENT REPLY OFF/SKIP, or past the limit). */
  enabled = true;
  /**
   * Most bytes that may be pending. Past it everything pending is dropped and so is what
   * follows (`overflowed`): the connection then closes the client, whose reply is lost anyway.
   */
  limit = Infinity;
  overflowed = false;
  /** Hears every error reply, sent or not (INFO errorstats, failed_calls). */
  onError: ((message: string) => void) | null = null;

  /** Bytes waiting to be flushed. */
  get pending(): number {
    return this.chunkBytes + this.len;
  }

  /** Takes everything written so far, leaving the writer empty. */
  take(): Buffer[] {
    if (this.len > 0) {
      const out = Buffer.allocUnsafe(this.len);
      this.buf.copy(out, 0, 0, this.len);
      this.chunks.push(out);
      this.len = 0;
    }
    const chunks = this.chunks;
    this.chunks = [];
    this.chunkBytes = 0;
    if (this.buf.length > 4 * INITIAL) this.buf = Buffer.allocUnsafe(0);
    return chunks;
  }

  /** Moves everything written so far into `dst` at `at` (room for `pending` bytes), leaving the
   *  writer empty: take() without the allocation, for a reply that is read at once. */
  moveTo(dst: Buffer, at: number): void {
    let p = at;
    if (this.chunks.length !== 0) {
      for (const chunk of this.chunks) p += chunk.copy(dst, p);
      this.chunks = [];
      this.chunkBytes = 0;
    }
    const n = this.len;
    if (n <= SHORT) {
      const b = this.buf;
      for (let i = 0; i < n; i++) dst[p + i] = b[i] ?? 0;
    } else {
      this.buf.copy(dst, p, 0, n);
    }
    this.len = 0;
    if (this.buf.length > 4 * INITIAL) this.buf = Buffer.allocUnsafe(0);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    if (this.chunkBytes + this.len + n > this.limit) {
      this.overflow();
      if (n <= this.buf.length) return;
    }
    let size = Math.max(INITIAL, this.buf.length * 2);
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private ascii(s: string): void {
    this.reserve(s.length);
    this.len = put(this.buf, s, this.len);
  }

  raw(bytes: Buffer): void {
    if (!this.enabled) return;
    const n = bytes.length;
    this.reserve(n);
    if (n <= SHORT) {
      const b = this.buf;
      const p = this.len;
      for (let i = 0; i < n; i++) b[p + i] = bytes[i] ?? 0;
    } else {
      bytes.copy(this.buf, this.len);
    }
    this.len += n;
  }

  ok(): void {
    this.raw(OK2);
  }

  status(s: string): void {
    if (!this.enabled) return;
    this.ascii('+' + s + '\r\n');
  }

  error(message: string): void {
    this.onError?.(message);
    if (!this.enabled) return;
    this.ascii('-' + message + '\r\n');
  }

  integer(n: number | bigint): void {
    if (!this.enabled) return;
    if (n === 0) this.raw(ZERO);
    else if (n === 1) this.raw(ONE);
    else this.ascii(`:${n}\r\n`);
  }

  bulk(s: string): void {
    if (!this.enabled) return;
    const n = s.length;
    if (n >= LARGE) {
      if (this.chunkBytes + this.len + n > this.limit) {
        this.overflow();
        return;
      }
      this.ascii(`$${n}\r\n`);
      this.seal();
      const chunk = Buffer.allocUnsafe(n + 2);
      chunk.latin1Write(s, 0);
      chunk[n] = 0x0d;
      chunk[n + 1] = 0x0a;
      this.chunks.push(chunk);
      this.chunkBytes += n + 2;
      return;
    }
    this.reserve(n + 24);
    const b = this.buf;
    let p = this.len;
    b[p++] = 0x24;
    if (n < 10) {
      b[p++] = 0x30 + n;
    } else if (n < 100) {
      b[p++] = 0x30 + ((n / 10) | 0);
      b[p++] = 0x30 + (n % 10);
    } else {
      p = put(b, String(n), p);
    }
    b[p++] = 0x0d;
    b[p++] = 0x0a;
    p = put(b, s, p);
    b[p++] = 0x0d;
    b[p++] = 0x0a;
    this.len = p;
  }

  /** Drops what is pending and everything written from now on. */
  private overflow(): void {
    this.overflowed = true;
    this.enabled = false;
    this.chunks = [];
    this.chunkBytes = 0;
    this.len = 0;
  }

  /** Moves the buffered bytes into the chunk list so that a large chunk can follow them. */
  private seal(): void {
    if (this.len === 0) return;
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.chunks.push(out);
    this.chunkBytes += this.len;
    this.len = 0;
  }

  nil(): void {
    this.raw(this.resp === 2 ? NIL2 : NULL3);
  }

  nilArray(): void {
    this.raw(this.resp === 2 ? NILARR2 : NULL3);
  }

  array(n: number): void {
    if (!this.enabled) return;
    if (n === 0) this.raw(EMPTY_ARRAY);
    else this.ascii(`*${n}\r\n`);
  }

  map(n: number): void {
    if (!this.enabled) return;
    this.ascii(this.resp === 2 ? `*${2 * n}\r\n` : `%${n}\r\n`);
  }

  set(n: number): void {
    if (!this.enabled) return;
    this.ascii(`${this.resp === 2 ? '*' : '~'}${n}\r\n`);
  }

  push(n: number): void {
    if (!this.enabled) return;
    this.ascii(`${this.resp === 2 ? '*' : '>'}${n}\r\n`);
  }

  double(d: number): void {
    if (!this.enabled) return;
    if (this.resp === 2) {
      this.bulk(formatDouble(d));
    } else {
      this.ascii(',' + formatDouble(d) + '\r\n');
    }
  }

  bool(b: boolean): void {
    if (this.resp === 2) this.raw(b ? ONE : ZERO);
    else this.raw(b ? TRUE3 : FALSE3);
  }

  verbatim(s: string, format = 'txt'): void {
    if (!this.enabled) return;
    if (this.resp === 2) {
      this.bulk(s);
    } else {
      this.ascii(`=${s.length + 4}\r\n${format}:`);
      this.reserve(s.length + 2);
      this.len += this.buf.latin1Write(s + '\r\n', this.len);
    }
  }

  bigNumber(digits: string): void {
    if (!this.enabled) return;
    if (this.resp === 2) this.bulk(digits);
    else this.ascii('(' + digits + '\r\n');
  }

  bulks(items: readonly string[]): void {
    this.array(items.length);
    for (const s of items) this.bulk(s);
  }

  bulkOrNil(s: string | undefined): void {
    if (s === undefined) this.nil();
    else this.bulk(s);
  }
}
