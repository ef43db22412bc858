// What a key lookup costs in three layouts of a keyspace index, in this one process: the V8 `Map`
// of key strings that the key table uses today (store/key-meta.ts), an open-addressing index over
// typed arrays that still keeps the keys as V8 strings, and the off-heap layout that
// docs/benchmarks.md proposes (key bytes inline in one `ArrayBuffer` slab, found from the request's
// bytes without making a string). Each lookup starts from the bytes of a request, as the server's
// does: the first two make the key string from them first (as the parser does), the third hashes
// and compares the bytes themselves. Also reported: heap and buffer bytes per key, and how long a
// full garbage collection takes with the index alive (what the marker has to trace).
//
// It measures a design, not the server: nothing here is used by Redoubt.
//
// Run: node --expose-gc dist/bench/key-index.js [--keys 1000000] [--lookups 2000000] [--reps 5]

import { parseArgs } from 'node:util';
import { latin1 } from '../src/protocol/resp-parser.js';
import { median } from './stats.js';

const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    lookups: { type: 'string', default: '2000000' },
    reps: { type: 'string', default: '5' },
  },
});
const KEYS = Number(opts.keys);
const LOOKUPS = Number(opts.lookups);
const REPS = Number(opts.reps);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

/** redis-benchmark's key names (`key:__rand_int__`, 12 digits). */
function keyBytes(i: number): Buffer {
  return Buffer.from('key:' + String(i).padStart(12, '0'), 'latin1');
}

/** The key string the parser makes from a request's bytes (its own function). */
function stringOf(buf: Buffer, start: number, end: number): string {
  return latin1(buf, start, end - start);
}

/** FNV-1a over the string's char codes, mixed; never 0 (0 marks an empty bucket). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h | 1;
}

/** The same hash over bytes. */
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (b[i] ?? 0), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h | 1;
}

function capacityFor(n: number): number {
  let cap = 1024;
  while (cap < n * 1.5) cap *= 2;
  return cap;
}

interface Index {
  readonly name: string;
  /** The key's slot, or -1; `buf[start, end)` holds the key's bytes. */
  lookup(buf: Buffer, start: number, end: number): number;
}

/** Today's layout: key string → slot in a Map. */
function mapIndex(): Index {
  const m = new Map<string, number>();
  for (let i = 0; i < KEYS; i++) {
    const b = keyBytes(i);
    m.set(stringOf(b, 0, b.length), i);
  }
  return { name: 'Map of key strings (today)', lookup: (buf, start, end) => m.get(stringOf(buf, start, end)) ?? -1 };
}

/** Open addressing over typed arrays (hash, slot), the keys still V8 strings in an array. */
function stringTableIndex(): Index {
  const cap = capacityFor(KEYS);
  const mask = cap - 1;
  const hashes = new Int32Array(cap);
  const slots = new Int32Array(cap);
  const names: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const b = keyBytes(i);
    const k = stringOf(b, 0, b.length);
    names.push(k);
    const h = hashString(k);
    let at = h & mask;
    while (hashes[at] !== 0) at = (at + 1) & mask;
    hashes[at] = h;
    slots[at] = i;
  }
  return {
    name: 'open addressing, keys as strings',
    lookup: (buf, start, end) => {
      const k = stringOf(buf, start, end);
      const h = hashString(k);
      for (let at = h & mask; ; at = (at + 1) & mask) {
        const x = hashes[at];
        if (x === 0) return -1;
        const slot = slots[at] ?? -1;
        if (x === h && names[slot] === k) return slot;
      }
    },
  };
}

/** Off-heap: key bytes inline in a slab ([length][bytes]), open addressing over (hash, offset). */
function slabIndex(): Index {
  const cap = capacityFor(KEYS);
  const mask = cap - 1;
  const hashes = new Int32Array(cap);
  const offsets = new Int32Array(cap);
  const slab = new Uint8Array(KEYS * 17);
  let used = 0;
  for (let i = 0; i < KEYS; i++) {
    const b = keyBytes(i);
    const off = used;
    slab[used++] = b.length;
    slab.set(b, used);
    used += b.length;
    const h = hashBytes(b, 0, b.length);
    let at = h & mask;
    while (hashes[at] !== 0) at = (at + 1) & mask;
    hashes[at] = h;
    offsets[at] = off;
  }
  return {
    name: 'off-heap slab, keys as bytes',
    lookup: (buf, start, end) => {
      const h = hashBytes(buf, start, end);
      const len = end - start;
      for (let at = h & mask; ; at = (at + 1) & mask) {
        const x = hashes[at];
        if (x === 0) return -1;
        if (x !== h) continue;
        const off = offsets[at] ?? 0;
        if (slab[off] !== len) continue;
        let same = true;
        for (let j = 0; j < len; j++) {
          if (slab[off + 1 + j] !== buf[start + j]) {
            same = false;
            break;
          }
        }
        // Slot numbers are the keys' order of insertion here: the offset says which.
        if (same) return off / 17;
      }
    },
  };
}

/** Requests' key bytes, back to back, for random keys: what lookups start from. */
function requests(n: number): { buf: Buffer; len: number } {
  const len = keyBytes(0).length;
  const buf = Buffer.alloc(n * len);
  for (let i = 0; i < n; i++) keyBytes(Math.floor(Math.random() * KEYS)).copy(buf, i * len);
  return { buf, len };
}

function memory(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function measure(build: () => Index): { name: string; ns: number; bytesPerKey: number; gcMs: number } {
  const before = memory();
  const index = build();
  const bytesPerKey = (memory() - before) / KEYS;
  const batch = Math.min(LOOKUPS, 200_000);
  const { buf, len } = requests(batch);
  const times: number[] = [];
  let found = 0;
  for (let r = 0; r < REPS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) {
      const at = (i % batch) * len;
      if (index.lookup(buf, at, at + len) >= 0) found++;
    }
    times.push(Number(process.hrtime.bigint() - t) / LOOKUPS);
  }
  if (found !== LOOKUPS * REPS) throw new Error(`${index.name}: ${LOOKUPS * REPS - found} keys not found`);
  const gcTimes: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    gc?.();
    gcTimes.push(performance.now() - t);
  }
  return { name: index.name, ns: median(times), bytesPerKey, gcMs: median(gcTimes) };
}

console.log(`${KEYS.toLocaleString('en-US')} keys, ${LOOKUPS.toLocaleString('en-US')} lookups of random keys × ${REPS} (medians), Node ${process.version}\n`);
console.log('| index | ns per lookup (from the request bytes) | heap + buffer bytes per key (index and keys, no values) | full GC with it alive, ms |');
console.log('| --- | ---: | ---: | ---: |');
for (const build of [mapIndex, stringTableIndex, slabIndex]) {
  const r = measure(build);
  console.log(`| ${r.name} | ${r.ns.toFixed(0)} | ${r.bytesPerKey.toFixed(1)} | ${r.gcMs.toFixed(1)} |`);
}
