// What the fuzzers share: their sizes (a bounded run in `npm test`, a long one with `npm run fuzz`,
// either overridden by FUZZ_* environment variables), the seed (fixed in `npm test` so a failure
// reproduces, random in a long run unless FUZZ_SEED is given, and printed either way), and the
// health checks on the server under attack: alive, answering PING on its own connection, and its
// resident memory within a bound.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { RunningServer } from './servers.js';
import { RawClient } from './raw-client.js';

/** Set by `npm run fuzz`: the long defaults apply. */
export const LONG_RUN = process.env['FUZZ_LONG'] === '1';

/** A size from FUZZ_<NAME>, or the short or long default. */
export function fuzzSize(name: string, short: number, long: number): number {
  const v = process.env[`FUZZ_${name}`];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`FUZZ_${name} must be a whole number, not ${v}`);
    return n;
  }
  return LONG_RUN ? long : short;
}

/** FUZZ_SEED, else a fixed seed for the bounded run and a fresh one for a long run. */
export function fuzzSeed(fixed: number): number {
  const v = process.env['FUZZ_SEED'];
  if (v !== undefined && v !== '') return Number(v) >>> 0;
  return LONG_RUN ? (Date.now() ^ (process.pid << 16)) >>> 0 : fixed;
}

/** A small seeded generator (mulberry32): the fuzzers' only source of randomness. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const v = items[this.int(items.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Resident and peak resident memory of a process, from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * The server under attack is healthy: its process runs, a PING on a fresh connection (after AUTH
 * with `password`, when given) is answered within `timeoutMs`, and its RSS is under `maxRss`
 * bytes. Throws with the reason otherwise.
 */
export async function assertHealthy(server: RunningServer, maxRss: number, timeoutMs = 10000, password?: string): Promise<number> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) {
    throw new Error(`server exited (${server.process.exitCode ?? server.process.signalCode}):\n${server.output().slice(-4000)}`);
  }
  const c = await RawClient.connect(server.port);
  try {
    if (password !== undefined) {
      c.write(RawClient.encode(['AUTH', password]));
      const ok = await c.read(timeoutMs);
      if (ok?.toString('latin1') !== '+OK\r\n') throw new Error(`AUTH answered ${JSON.stringify(ok?.toString('latin1'))}`);
    }
    c.write(RawClient.encode(['PING']));
    const r = await c.read(timeoutMs);
    if (r?.toString('latin1') !== '+PONG\r\n') throw new Error(`PING answered ${JSON.stringify(r?.toString('latin1'))}`);
  } finally {
    c.close();
  }
  const pid = server.process.pid;
  if (pid === undefined) throw new Error('no pid');
  const { rss } = memoryOf(pid);
  if (rss > maxRss) throw new Error(`RSS ${Math.round(rss / 2 ** 20)} MB is over the ${Math.round(maxRss / 2 ** 20)} MB bound`);
  return rss;
}

/** One line for the test log: what ran, how much, with which seed, how long. */
export function report(name: string, seed: number, counts: Record<string, number>, startedAt: number, peakRss: number): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k}=${v}`);
  const secs = ((Date.now() - startedAt) / 1000).toFixed(1);
  return `${name}: ${parts.join(' ')} seed=${seed} seconds=${secs} peak_rss_mb=${Math.round(peakRss / 2 ** 20)}`;
}

/**
 * Splits a stream of RESP replies into whole top-level replies as bytes arrive, resuming where it
 * stopped: a 200,000-element reply arriving in many chunks is parsed once, not again for every
 * chunk. Anything that is not RESP throws.
 */
export class RespScanner {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Elements still owed by each open aggregate, innermost last. */
  private owed: number[] = [];
  readonly replies: Buffer[] = [];

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.scan();
  }

  /** One element finished: aggregates that are now complete close, a finished reply is taken. */
  private done(): void {
    for (;;) {
      const top = this.owed.length - 1;
      if (top < 0) {
        this.replies.push(Buffer.from(this.buf.subarray(0, this.pos)));
        this.buf = this.buf.subarray(this.pos);
        this.pos = 0;
        return;
      }
      const left = (this.owed[top] ?? 0) - 1;
      if (left > 0) {
        this.owed[top] = left;
        return;
      }
      this.owed.pop();
    }
  }

  private scan(): void {
    for (;;) {
      const cr = this.buf.indexOf('\r\n', this.pos, 'latin1');
      if (cr === -1) return;
      const type = this.buf[this.pos];
      const head = this.buf.toString('latin1', this.pos + 1, cr);
      switch (type) {
        case 0x2b: // + - : , # _ (
        case 0x2d:
        case 0x3a:
        case 0x2c:
        case 0x23:
        case 0x5f:
        case 0x28:
          this.pos = cr + 2;
          this.done();
          break;
        case 0x24: // $ ! =
        case 0x21:
        case 0x3d: {
          const n = Number(head);
          if (!Number.isInteger(n) || n < -1) throw new Error(`bad bulk length ${JSON.stringify(head)}`);
          const end = n < 0 ? cr + 2 : cr + 2 + n + 2;
          if (this.buf.length < end) return;
          if (n >= 0 && (this.buf[end - 2] !== 0x0d || this.buf[end - 1] !== 0x0a)) throw new Error('bulk not followed by CRLF');
          this.pos = end;
          this.done();
          break;
        }
        case 0x2a: // * ~ > %
        case 0x7e:
        case 0x3e:
        case 0x25: {
          const n = Number(head) * (type === 0x25 ? 2 : 1);
          if (!Number.isInteger(n) || n < -1) throw new Error(`bad aggregate length ${JSON.stringify(head)}`);
          this.pos = cr + 2;
          if (n <= 0) this.done();
          else this.owed.push(n);
          break;
        }
        default:
          throw new Error(`not a RESP reply at ${JSON.stringify(this.buf.toString('latin1', this.pos, this.pos + 40))}`);
      }
    }
  }
}

/** A connection that hands back whole replies, parsed as they arrive (see RespScanner). */
export class ReplyConnection {
  private readonly scanner = new RespScanner();
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      try {
        this.scanner.push(d);
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<ReplyConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => resolve(new ReplyConnection(s)));
      s.once('error', reject);
    });
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  /** The next whole reply; throws on a stream that is not RESP, on close, or after `timeoutMs`. */
  async next(timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure !== null) throw this.failure;
      const r = this.scanner.replies.shift();
      if (r !== undefined) return r;
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
