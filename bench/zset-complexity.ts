// Rank operations on sorted sets of growing size: ZRANK of a member in the middle, and ZRANGE of
// ten entries from a far rank, as the set grows from 1e3 to 1e6 members. The skiplist's spans make
// both O(log N), so the time per call should stay nearly flat while N grows a thousandfold.
// Measured in process on ZSetValue alone, then over the wire (pipelined) on Redoubt and redis-server.
//
// Run: npx tsc -p . && node dist/bench/zset-complexity.js [--sizes 1000,10000,100000,1000000] [--no-wire]

import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ZSetValue, type ScoreEntry } from '../src/store/zset.js';
import { startRedis, startRedoubt, type RunningServer } from '../test/helpers/servers.js';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000,1000000' },
    'no-wire': { type: 'boolean', default: false },
  },
});
const SIZES = opts.sizes.split(',').map(Number);
const member = (i: number): string => `member:${i}`;
const LIMITS = { maxEntries: 128, maxValue: 64 };
const PLAIN = { nx: false, xx: false, gt: false, lt: false, incr: false };

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

/** Ten entries from rank `start`: what ZRANGE key start start+9 walks. */
function rangeOfTen(z: ZSetValue, start: number): number {
  let n: ScoreEntry | null = z.at(start);
  let count = 0;
  for (; n !== null && count < 10; n = n.next0) count++;
  return count;
}

function inProcess(n: number): { zrank: number; zrange: number } {
  const z = new ZSetValue('skiplist');
  // Shuffled scores, so that the skiplist is built by inserts all over it, not appends.
  for (let i = 0; i < n; i++) z.add(member(i), (i * 7919) % n, PLAIN, LIMITS);
  const mid = n >> 1;
  // Vary the member and offset a little so the optimizer cannot hoist the lookup out of the loop.
  const names = Array.from({ length: 8 }, (_, i) => member(mid + i));
  const zrank = nsPerOp(500_000, (i) => z.rank(names[i & 7]!) + 1);
  const far = n - 20;
  const zrange = nsPerOp(500_000, (i) => rangeOfTen(z, far - (i & 7)));
  return { zrank, zrange };
}

// --- over the wire ---

async function fill(c: Redis, n: number): Promise<void> {
  await c.del('z');
  for (let i = 0; i < n; i += 5000) {
    const args: (string | number)[] = [];
    for (let j = i; j < Math.min(n, i + 5000); j++) args.push((j * 7919) % n, member(j));
    await c.zadd('z', ...args);
  }
}

/** Microseconds per command, for batches of 1000 pipelined commands. */
async function usPerCommand(c: Redis, make: (i: number) => (string | number)[]): Promise<number> {
  const warmup = 10;
  const rounds = 50;
  const batch = 1000;
  let total = 0n;
  for (let r = 0; r < warmup + rounds; r++) {
    const p = c.pipeline();
    for (let i = 0; i < batch; i++) {
      const argv = make(i);
      p.call(String(argv[0]), ...argv.slice(1));
    }
    const start = process.hrtime.bigint();
    await p.exec();
    if (r >= warmup) total += process.hrtime.bigint() - start;
  }
  return Number(total) / 1000 / (rounds * batch);
}

async function overTheWire(server: RunningServer, n: number): Promise<{ zrank: number; zrange: number }> {
  const c = new Redis({ port: server.port });
  try {
    await fill(c, n);
    const mid = n >> 1;
    const zrank = await usPerCommand(c, (i) => ['ZRANK', 'z', member(mid + (i & 7))]);
    const zrange = await usPerCommand(c, (i) => ['ZRANGE', 'z', n - 20 - (i & 7), n - 11 - (i & 7)]);
    return { zrank, zrange };
  } finally {
    c.disconnect();
  }
}

// --- the table ---
// Per-call time still creeps up with N in process: past the CPU caches each of the ~log N nodes a
// search visits is a memory miss. An O(N) walk would grow a thousandfold over the same sizes.

const pad = (s: string | number, w: number): string => String(s).padStart(w);
const fmt = (v: number): string => v.toFixed(v < 10 ? 2 : 1);

console.log('In process (ZSetValue), ns per call');
console.log(`${pad('members', 10)} ${pad('ZRANK', 10)} ${pad('ZRANGE 10', 10)}`);
for (const n of SIZES) {
  const r = inProcess(n);
  console.log(`${pad(n, 10)} ${pad(fmt(r.zrank), 10)} ${pad(fmt(r.zrange), 10)}`);
}

if (!opts['no-wire']) {
  const [redoubt, redis] = await Promise.all([startRedoubt(), startRedis()]);
  try {
    console.log('\nOver the wire, 1000 commands pipelined, µs per command');
    console.log(`${pad('members', 10)} ${pad('Redoubt ZRANK', 14)} ${pad('ZRANGE 10', 10)} ${pad('Redis ZRANK', 12)} ${pad('ZRANGE 10', 10)}`);
    for (const n of SIZES) {
      const ours = await overTheWire(redoubt, n);
      const theirs = await overTheWire(redis, n);
      console.log(`${pad(n, 10)} ${pad(fmt(ours.zrank), 14)} ${pad(fmt(ours.zrange), 10)} ${pad(fmt(theirs.zrank), 12)} ${pad(fmt(theirs.zrange), 10)}`);
    }
  } finally {
    await Promise.all([redoubt.stop(), redis.stop()]);
  }
}
