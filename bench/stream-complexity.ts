// XRANGE of ten entries from the middle of streams growing from 1e3 to 1e6 entries. Nodes are found
// by binary search and entries inside a node too, so the time per call should stay nearly flat
// while N grows a thousandfold; XADD (an append to the last node) should not grow at all.
// Measured in process on StreamValue alone, then over the wire (pipelined) on Redoubt and redis-server.
//
// Run: npx tsc -p . && node dist/bench/stream-complexity.js [--sizes 1000,10000,100000,1000000] [--no-wire]

import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { MAX_ID, StreamValue } from '../src/store/stream.js';
import { startRedis, startRedoubt, type RunningServer } from '../test/helpers/servers.js';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000,1000000' },
    'no-wire': { type: 'boolean', default: false },
  },
});
const SIZES = opts.sizes.split(',').map(Number);
const LIMITS = { maxEntries: 100, maxBytes: 4096 };
/** IDs as a busy producer makes them: a few entries per millisecond. */
const idOf = (i: number): { ms: number; seq: number } => ({ ms: 1_700_000_000_000 + (i >> 2), seq: i & 3 });

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

function inProcess(n: number): { xrange: number; xadd: number } {
  const s = new StreamValue();
  for (let i = 0; i < n; i++) s.append(idOf(i), ['event', 'click', 'user', String(i % 1000)], LIMITS);
  const mid = n >> 1;
  // Vary the start a little so the optimizer cannot hoist the seek out of the loop.
  const starts = Array.from({ length: 8 }, (_, i) => idOf(mid + i * 3));
  let seen = 0;
  const xrange = nsPerOp(200_000, (i) => s.range(starts[i & 7]!, MAX_ID, false, 10, () => seen++));
  let next = n;
  const xadd = nsPerOp(200_000, () => {
    s.append(idOf(next++), ['event', 'click', 'user', '1'], LIMITS);
    return 1;
  });
  if (seen === 0) throw new Error('nothing read');
  return { xrange, xadd };
}

// --- over the wire ---

async function fill(c: Redis, n: number): Promise<void> {
  await c.del('s');
  for (let i = 0; i < n; i += 5000) {
    const p = c.pipeline();
    for (let j = i; j < Math.min(n, i + 5000); j++) {
      const id = idOf(j);
      p.xadd('s', `${id.ms}-${id.seq}`, 'event', 'click', 'user', String(j % 1000));
    }
    await p.exec();
  }
}

/** Microseconds per command, for batches of 1000 pipelined commands. */
async function usPerCommand(c: Redis, make: (i: number) => string[]): Promise<number> {
  const warmup = 10;
  const rounds = 50;
  const batch = 1000;
  let total = 0n;
  for (let r = 0; r < warmup + rounds; r++) {
    const p = c.pipeline();
    for (let i = 0; i < batch; i++) {
      const argv = make(i);
      p.call(argv[0]!, ...argv.slice(1));
    }
    const start = process.hrtime.bigint();
    await p.exec();
    if (r >= warmup) total += process.hrtime.bigint() - start;
  }
  return Number(total) / 1000 / (rounds * batch);
}

async function overTheWire(server: RunningServer, n: number): Promise<{ xrange: number }> {
  const c = new Redis({ port: server.port });
  try {
    await fill(c, n);
    const mid = n >> 1;
    const xrange = await usPerCommand(c, (i) => {
      const id = idOf(mid + (i & 7) * 3);
      return ['XRANGE', 's', `${id.ms}-${id.seq}`, '+', 'COUNT', '10'];
    });
    return { xrange };
  } finally {
    c.disconnect();
  }
}

// --- the table ---

const pad = (s: string | number, w: number): string => String(s).padStart(w);
const fmt = (v: number): string => v.toFixed(v < 10 ? 2 : 1);

console.log('In process (StreamValue), ns per call');
console.log(`${pad('entries', 10)} ${pad('XRANGE 10', 10)} ${pad('XADD', 10)}`);
for (const n of SIZES) {
  const r = inProcess(n);
  console.log(`${pad(n, 10)} ${pad(fmt(r.xrange), 10)} ${pad(fmt(r.xadd), 10)}`);
}

if (!opts['no-wire']) {
  const [redoubt, redis] = await Promise.all([startRedoubt(), startRedis()]);
  try {
    console.log('\nOver the wire, 1000 commands pipelined, µs per command');
    console.log(`${pad('entries', 10)} ${pad('Redoubt XRANGE 10', 18)} ${pad('Redis XRANGE 10', 16)}`);
    for (const n of SIZES) {
      const ours = await overTheWire(redoubt, n);
      const theirs = await overTheWire(redis, n);
      console.log(`${pad(n, 10)} ${pad(fmt(ours.xrange), 18)} ${pad(fmt(theirs.xrange), 16)}`);
    }
  } finally {
    await Promise.all([redoubt.stop(), redis.stop()]);
  }
}
