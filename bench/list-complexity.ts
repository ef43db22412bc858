// Access by index into lists of growing length: LINDEX of the middle element and LRANGE of ten
// elements at a far offset, as the list grows from 1e3 to 1e6 elements. The ring-buffer deque keeps
// both flat (O(1) to reach any index); Redis's quicklist walks its nodes, so its cost grows with N.
// Measured twice: in process on ListValue alone, and over the wire (pipelined) on Redoubt and redis-server.
//
// Run: npx tsc -p . && node dist/bench/list-complexity.js [--sizes 1000,10000,100000,1000000] [--no-redis]

import { parseArgs } from 'node:util';
import net from 'node:net';
import { ListValue } from '../src/store/list.js';
import { startRedis, startRedoubt, type RunningServer } from '../test/helpers/servers.js';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000,1000000' },
    'no-redis': { type: 'boolean', default: false },
  },
});
const SIZES = opts.sizes.split(',').map(Number);
const element = (i: number): string => `element:${i}`;

// --- in process ---

function nsPerOp(iterations: number, fn: (i: number) => number): number {
  let sink = 0;
  for (let i = 0; i < 10_000; i++) sink += fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += fn(i);
  const ns = Number(process.hrtime.bigint() - start);
  if (sink === 0) throw new Error('nothing measured');
  return ns / iterations;
}

function inProcess(n: number): { lindex: number; lrange: number } {
  const list = new ListValue();
  for (let i = 0; i < n; i++) list.push(element(i), 'right');
  const mid = n >> 1;
  // Vary the index a little so the optimizer cannot hoist the lookup out of the loop.
  const lindex = nsPerOp(2_000_000, (i) => list.at(mid + (i & 7))!.length);
  const lrange = nsPerOp(500_000, (i) => list.range(mid + (i & 7), mid + (i & 7) + 9).length);
  return { lindex, lrange };
}

// --- over the wire ---

function encode(argv: readonly string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
}

/** A connection that sends a pipelined batch and waits until `bytes` of replies came back. */
class Pipe {
  private received = 0;
  private target = 0;
  private done: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      if (this.done !== null && this.received >= this.target) {
        const f = this.done;
        this.done = null;
        f();
      }
    });
  }

  static open(port: number): Promise<Pipe> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new Pipe(s)));
      s.once('error', reject);
    });
  }

  send(requests: string, replyBytes: number): Promise<void> {
    this.received = 0;
    this.target = replyBytes;
    return new Promise((resolve) => {
      this.done = resolve;
      this.socket.write(requests, 'latin1');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const bulkLen = (s: string): number => `$${s.length}\r\n${s}\r\n`.length;

async function overWire(port: number, n: number): Promise<{ lindex: number; lrange: number }> {
  const pipe = await Pipe.open(port);
  try {
    await pipe.send(encode(['FLUSHALL']), 5);
    for (let i = 0; i < n; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, n - i) }, (_, k) => element(i + k));
      const reply = `:${i + batch.length}\r\n`.length;
      await pipe.send(encode(['RPUSH', 'list', ...batch]), reply);
    }
    const mid = n >> 1;
    const PIPELINE = 1000;
    const ROUNDS = 50;
    const lindexReq = encode(['LINDEX', 'list', String(mid)]).repeat(PIPELINE);
    const lindexBytes = bulkLen(element(mid)) * PIPELINE;
    const lrangeReq = encode(['LRANGE', 'list', String(mid), String(mid + 9)]).repeat(PIPELINE);
    let one = '*10\r\n';
    for (let i = mid; i < mid + 10; i++) one += `$${element(i).length}\r\n${element(i)}\r\n`;
    const lrangeBytes = one.length * PIPELINE;
    const time = async (req: string, bytes: number): Promise<number> => {
      for (let r = 0; r < 5; r++) await pipe.send(req, bytes);
      const start = process.hrtime.bigint();
      for (let r = 0; r < ROUNDS; r++) await pipe.send(req, bytes);
      return Number(process.hrtime.bigint() - start) / (ROUNDS * PIPELINE);
    };
    return { lindex: await time(lindexReq, lindexBytes), lrange: await time(lrangeReq, lrangeBytes) };
  } finally {
    pipe.close();
  }
}

// --- the table ---

const fmt = (ns: number): string => (ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(1)} µs`).padStart(10);

async function main(): Promise<void> {
  const servers: [string, RunningServer][] = [['redoubt', await startRedoubt()]];
  if (!opts['no-redis']) servers.push(['redis', await startRedis()]);
  try {
    const header = ['elements', 'ListValue LINDEX', 'ListValue LRANGE', ...servers.flatMap(([name]) => [`${name} LINDEX`, `${name} LRANGE`])];
    const widths = header.map((h) => Math.max(h.length, 10));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
    process.stdout.write('LINDEX of the middle element and LRANGE of 10 elements from the middle (time per command;\n');
    process.stdout.write('over the wire: 1000 commands pipelined per round trip)\n\n');
    process.stdout.write(line(header) + '\n');
    for (const n of SIZES) {
      const local = inProcess(n);
      const cells = [n.toLocaleString('en-US'), fmt(local.lindex), fmt(local.lrange)];
      for (const [, s] of servers) {
        const w = await overWire(s.port, n);
        cells.push(fmt(w.lindex), fmt(w.lrange));
      }
      process.stdout.write(line(cells) + '\n');
    }
  } finally {
    await Promise.all(servers.map(([, s]) => s.stop()));
  }
}

await main();
