// One probe connection: TCP or TLS to an endpoint (optionally from a chosen local address), with
// commands sent as RESP and replies read in order, every wait bounded by the timeout, and what
// happened at the socket (refused, closed before any byte, not RESP) kept for classification.

import net from 'node:net';
import tls from 'node:tls';
import { encodeCommand, NotRespError, ReplyReader, type Reply } from './resp.js';

export interface TlsOptions {
  readonly ca?: Buffer;
  /** --insecure: encrypt but accept any certificate. */
  readonly insecure: boolean;
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly source?: string;
  readonly tls?: TlsOptions;
}

/** The connection attempt failed; `code` is the errno-style code or TIMEOUT / TLS-*. */
export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The TCP connection was up and the peer closed before any byte of the handshake. */
    readonly closedBeforeBytes = false,
  ) {
    super(message);
  }
}

/** How a pending command ended without a reply. */
export class NoReplyError extends Error {
  constructor(
    readonly kind: 'closed' | 'timeout',
    readonly bytesReceived: number,
    readonly code: string | undefined,
  ) {
    super(kind === 'closed' ? `connection closed${code ? ` (${code})` : ''}` : 'no reply before the timeout');
  }
}

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

export class Conn {
  private readonly reader = new ReplyReader();
  private readonly pending: Pending[] = [];
  private failure: Error | null = null;
  private errorCode: string | undefined;
  bytesReceived = 0;
  closed = false;
  /** When the peer closed, in ms after the connection was up (for the accept-time filter rule). */
  closedAfterMs = -1;

  private constructor(
    readonly socket: net.Socket,
    readonly connectMs: number,
    private readonly timeoutMs: number,
  ) {
    const upAt = Date.now();
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e: NodeJS.ErrnoException) => (this.errorCode = e.code ?? e.message));
    socket.on('close', () => {
      this.closed = true;
      this.closedAfterMs = Date.now() - upAt;
      this.fail(new NoReplyError('closed', this.bytesReceived, this.errorCode));
    });
  }

  static open(o: ConnectOptions): Promise<Conn> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      let settled = false;
      let tcpUp = false;
      let socket: net.Socket = net.connect({ host: o.host, port: o.port, ...(o.source !== undefined ? { localAddress: o.source } : {}) });
      const done = (err: ConnectError | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        if (err) {
          socket.destroy();
          reject(err);
        } else {
          resolve(new Conn(socket, Date.now() - started, o.timeoutMs));
        }
      };
      // A reset once the TCP connection was up means the peer closed before answering anything
      // (certificate and OpenSSL errors mean it did answer).
      const onError = (e: NodeJS.ErrnoException): void => {
        const code = e.code ?? 'ERROR';
        done(new ConnectError(code, e.message, tcpUp && (code === 'ECONNRESET' || code === 'EPIPE')));
      };
      const onClose = (): void => done(new ConnectError('CLOSED', 'connection closed before it was ready', tcpUp));
      const timer = setTimeout(() => done(new ConnectError('TIMEOUT', tcpUp ? 'TLS handshake timed out' : 'connection timed out')), o.timeoutMs);
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.once('connect', () => {
        tcpUp = true;
        if (!o.tls) {
          done(null);
          return;
        }
        const raw = socket;
        raw.removeListener('error', onError);
        raw.removeListener('close', onClose);
        raw.on('error', () => {});
        socket = tls.connect({
          socket: raw,
          ...(net.isIP(o.host) === 0 ? { servername: o.host } : {}),
          ...(o.tls.ca !== undefined ? { ca: o.tls.ca } : {}),
          rejectUnauthorized: !o.tls.insecure,
        });
        socket.once('error', onError);
        socket.once('close', onClose);
        socket.once('secureConnect', () => done(null));
      });
    });
  }

  private onData(d: Buffer): void {
    this.bytesReceived += d.length;
    try {
      this.reader.feed(d);
      for (let r = this.reader.next(); r !== undefined; r = this.reader.next()) {
        const p = this.pending.shift();
        if (p) p.resolve(r);
      }
    } catch (e) {
      this.fail(e instanceof NotRespError ? e : new Error(String(e)));
      this.socket.destroy();
    }
  }

  private fail(e: Error): void {
    if (this.failure === null) this.failure = e;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }

  /** Sends one command and waits for its reply (rejects with NoReplyError or NotRespError). */
  call(...args: string[]): Promise<Reply> {
    return this.pipeline([args]).then((r) => r[0] ?? null);
  }

  /** Sends commands in one write and waits for all replies, in order. */
  pipeline(commands: readonly (readonly string[])[]): Promise<Reply[]> {
    if (this.failure) return Promise.reject(this.failure);
    const replies = commands.map(
      () =>
        new Promise<Reply>((resolve, reject) => {
          this.pending.push({ resolve, reject });
        }),
    );
    this.socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new NoReplyError('timeout', this.bytesReceived, undefined));
        this.socket.destroy();
      }, this.timeoutMs);
    });
    return Promise.race([Promise.all(replies), timeout]).finally(() => clearTimeout(timer));
  }

  /** Waits up to `ms` without sending anything; true if the peer closed meanwhile. */
  waitForClose(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
