// A byte-level client: sends exactly the bytes given and returns each reply's exact bytes, so
// tests can compare Redoubt's wire output with Redis's byte for byte.

import net from 'node:net';

/** Length of the first complete RESP2/RESP3 reply in buf[start..], or -1 if incomplete. */
export function replyLength(buf: Buffer, start = 0): number {
  const end = frameEnd(buf, start);
  return end === -1 ? -1 : end - start;
}

function lineEnd(buf: Buffer, pos: number): number {
  return buf.indexOf('\r\n', pos);
}

/** For a bulk reply whose header has arrived, the bytes it needs in all; otherwise 0. */
function bulkNeed(buf: Buffer): number {
  if (buf[0] !== 0x24 /* '$' */) return 0;
  const cr = lineEnd(buf, 0);
  return cr === -1 ? 0 : cr + 2 + Math.max(0, Number(buf.toString('latin1', 1, cr))) + 2;
}

/**
 * Where the reply starting at `pos` ends, or -1 if incomplete. Iterative, with a count of the
 * elements still owed, so replies nested thousands deep (a script returning a self-referencing
 * table) are measured without recursion.
 */
function frameEnd(buf: Buffer, pos: number): number {
  let next = pos;
  let owed = 1;
  while (owed > 0) {
    if (next >= buf.length) return -1;
    const type = String.fromCharCode(buf[next] ?? 0);
    const cr = lineEnd(buf, next);
    if (cr === -1) return -1;
    const header = buf.toString('latin1', next + 1, cr);
    next = cr + 2;
    owed--;
    switch (type) {
      case '+':
      case '-':
      case ':':
      case ',':
      case '#':
      case '_':
      case '(':
        break;
      case '$':
      case '!':
      case '=': {
        const n = Number(header);
        if (n >= 0) {
          if (buf.length < next + n + 2) return -1;
          next += n + 2;
        }
        break;
      }
      case '*':
      case '~':
      case '>':
      case '%': {
        const n = Number(header);
        if (n > 0) owed += type === '%' ? 2 * n : n;
        break;
      }
      case '|':
        // An attribute map is followed by the reply it describes.
        owed += 2 * Number(header) + 1;
        break;
      default:
        throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString('latin1', cr - header.length - 1, Math.min(buf.length, cr + 40)))}`);
    }
  }
  return next;
}

export class RawClient {
  /** Received bytes not yet consumed: joined lazily, so a 20 MB reply is not copied per chunk. */
  private chunks: Buffer[] = [];
  private received = 0;
  /** Bytes the reply at the head needs before it is worth parsing again (large bulks). */
  private need = 0;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.received += d.length;
      if (this.received >= this.need) this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private get buf(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private set buf(b: Buffer) {
    this.chunks = [b];
    this.received = b.length;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(localAddress ? { port, host, localAddress } : { port, host });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects to a unix socket. */
  static connectPath(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ path });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Encodes argv as a RESP multibulk request. */
  static encode(argv: readonly string[]): Buffer {
    let s = `*${argv.length}\r\n`;
    for (const a of argv) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
    return Buffer.from(s, 'latin1');
  }

  /** The next complete reply's bytes; rejects on timeout, or null when the server closed first. */
  async read(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let n = -1;
      if (this.received > 0 && this.received >= this.need) {
        n = replyLength(this.buf);
        this.need = n === -1 ? bulkNeed(this.buf) : 0;
      }
      if (n !== -1) {
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return Buffer.from(out);
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; have ${JSON.stringify(this.buf.toString('latin1', 0, 200))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends one command and returns its reply as a latin1 string. */
  async call(...argv: string[]): Promise<string> {
    this.write(RawClient.encode(argv));
    const r = await this.read();
    if (r === null) throw new Error('connection closed');
    return r.toString('latin1');
  }

  /** Sends the commands in one write and returns every reply as a latin1 string. */
  async pipeline(cmds: readonly (readonly string[])[], timeoutMs = 20000): Promise<string[]> {
    this.write(Buffer.concat(cmds.map((a) => RawClient.encode(a))));
    const out: string[] = [];
    for (let i = 0; i < cmds.length; i++) {
      const r = await this.read(timeoutMs);
      if (r === null) throw new Error('connection closed');
      out.push(r.toString('latin1'));
    }
    return out;
  }

  /** Resolves once the server has closed the connection (or after timeoutMs: false). */
  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  /** Bytes received but not consumed by read(). */
  get unread(): Buffer {
    return this.buf;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One command over a fresh connection from 127.0.0.1 to `port`: the reply's bytes. */
export async function command(port: number, ...argv: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

export interface Exchange {
  /** Every byte the server sent. */
  readonly bytes: string;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
}

const SENTINEL = '--end-of-exchange--';
const SENTINEL_REPLY = Buffer.from(`$${SENTINEL.length}\r\n${SENTINEL}\r\n`, 'latin1');

/**
 * Sends `chunks` on a fresh connection (pausing `gapMs` between them when given) and collects
 * everything the server sends, until:
 *   'close'  the server closes the connection;
 *   'echo'   an ECHO of a marker sent afterwards comes back, which proves the connection is still
 *            usable and every earlier reply has arrived (no answer counts as closed);
 *   'eof'    the client half-closes after writing and the server hangs up.
 */
export async function exchange(
  port: number,
  chunks: readonly (string | Buffer)[],
  opts: { until: 'close' | 'echo' | 'eof'; gapMs?: number; timeoutMs?: number },
): Promise<Exchange> {
  const c = await RawClient.connect(port);
  try {
    for (const chunk of chunks) {
      c.write(chunk);
      if (opts.gapMs !== undefined) await new Promise((r) => setTimeout(r, opts.gapMs));
    }
    const timeoutMs = opts.timeoutMs ?? 5000;
    if (opts.until === 'echo') {
      c.write(RawClient.encode(['ECHO', SENTINEL]));
      const deadline = Date.now() + timeoutMs;
      const answered = (): boolean => c.unread.subarray(-SENTINEL_REPLY.length).equals(SENTINEL_REPLY);
      while (!c.closed && !answered() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const ok = answered();
      const bytes = c.unread.subarray(0, ok ? c.unread.length - SENTINEL_REPLY.length : c.unread.length);
      return { bytes: bytes.toString('latin1'), closed: !ok };
    }
    if (opts.until === 'eof') c.socket.end();
    await c.waitClosed(timeoutMs);
    return { bytes: c.unread.toString('latin1'), closed: c.closed };
  } finally {
    c.close();
  }
}
