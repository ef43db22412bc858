// The auditor's side of RESP2: commands encoded as multibulk (so the first bytes an endpoint sees
// are never HTTP-like), and a bounded reply reader that tells a Redis reply from anything else.

/** An error reply (`-ERR ...`), kept apart from string replies. */
export class ReplyError {
  constructor(readonly message: string) {}
  /** The first word: NOAUTH, NOPERM, DENIED, BUSY, ERR... */
  get code(): string {
    const sp = this.message.indexOf(' ');
    return sp === -1 ? this.message : this.message.slice(0, sp);
  }
}

export type Reply = string | number | null | ReplyError | Reply[];

/** The bytes were not RESP: the peer speaks another protocol. */
export class NotRespError extends Error {
  constructor(readonly head: Buffer) {
    super('not a RESP reply');
  }
}

export function encodeCommand(args: readonly string[]): Buffer {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return Buffer.from(out, 'latin1');
}

const NEED_MORE = Symbol('need-more');
/** Replies larger than this are refused: a hostile endpoint must not make the auditor buffer without bound. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const MAX_DEPTH = 8;

/** Feeds bytes, yields complete replies in order; throws NotRespError on a byte that cannot start a reply. */
export class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  feed(chunk: Buffer): void {
    this.buf = this.pos === this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
    if (this.buf.length > MAX_BUFFERED) throw new NotRespError(this.buf.subarray(0, 64));
  }

  /** The next complete reply, or undefined until more bytes arrive. */
  next(): Reply | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const start = this.pos;
    const r = this.parse(0);
    if (r === NEED_MORE) {
      this.pos = start;
      return undefined;
    }
    return r;
  }

  private line(): string | typeof NEED_MORE {
    const end = this.buf.indexOf('\r\n', this.pos, 'latin1');
    if (end === -1) {
      if (this.buf.length - this.pos > 64 * 1024) throw new NotRespError(this.buf.subarray(this.pos, this.pos + 64));
      return NEED_MORE;
    }
    const s = this.buf.latin1Slice(this.pos, end);
    this.pos = end + 2;
    return s;
  }

  private length(s: string): number {
    if (!/^-?\d{1,10}$/.test(s)) throw new NotRespError(this.buf.subarray(0, 64));
    return Number(s);
  }

  private parse(depth: number): Reply | typeof NEED_MORE {
    if (this.pos >= this.buf.length) return NEED_MORE;
    if (depth > MAX_DEPTH) throw new NotRespError(this.buf.subarray(0, 64));
    const type = this.buf[this.pos];
    const headAt = this.pos;
    // Bytes that cannot start a RESP2 reply mean another protocol, whatever follows.
    if (type !== 0x2b && type !== 0x2d && type !== 0x3a && type !== 0x24 && type !== 0x2a) {
      throw new NotRespError(this.buf.subarray(headAt, headAt + 64));
    }
    this.pos++;
    const l = this.line();
    if (l === NEED_MORE) return NEED_MORE;
    switch (type) {
      case 0x2b:
        return l;
      case 0x2d:
        return new ReplyError(l);
      case 0x3a:
        return this.length(l);
      case 0x24: {
        const n = this.length(l);
        if (n < 0) return null;
        if (n > MAX_BUFFERED) throw new NotRespError(this.buf.subarray(headAt, headAt + 64));
        if (this.buf.length - this.pos < n + 2) return NEED_MORE;
        const s = this.buf.latin1Slice(this.pos, this.pos + n);
        this.pos += n + 2;
        return s;
      }
      default: {
        const n = this.length(l);
        if (n < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const item = this.parse(depth + 1);
          if (item === NEED_MORE) return NEED_MORE;
          items.push(item);
        }
        return items;
      }
    }
  }
}
