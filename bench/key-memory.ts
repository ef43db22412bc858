// Where a small key's bytes go inside Redoubt: loads N string keys into a Database in this
// process and reads V8's heap after full collections, then the same keys and values into a bare
// Map, to show what the per-key metadata (access field, size estimate, sampling slot) adds, beside
// the estimate used_memory counts. Complements the RSS comparison in bench/compare.ts.
//
// Run: node --expose-gc dist/bench/key-memory.js [--keys 1000000]

import { parseArgs } from 'node:util';
import { Database } from '../src/store/database.js';
import { keyName } from './memory.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '1000000' } } });
const N = Number(values.keys);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

// Keys and values are made the way the parser makes them: fresh one-byte strings from bytes.
const scratch = Buffer.alloc(64);
function fresh(i: number): [string, string] {
  const k = keyName(i);
  scratch.latin1Write(k, 0);
  scratch.latin1Write('abc', 32);
  return [scratch.latin1Slice(0, k.length), scratch.latin1Slice(32, 35)];
}

let before = heap();
const db = new Database(0);
for (let i = 0; i < N; i++) db.set(...fresh(i));
const loaded = heap() - before;
const estimate = db.usedBytes;
db.clear();

// The floor: the same keys and values in a bare Map, no metadata at all.
before = heap();
const bare = new Map<string, string>();
for (let i = 0; i < N; i++) bare.set(...fresh(i));
const plain = heap() - before;

const perKey = (bytes: number) => (bytes / N).toFixed(1).padStart(6);
process.stdout.write(
  [
    `${N} keys (13-byte names, 3-byte values), V8 heap after full GC:`,
    `  Database (value, metadata, key array) ${perKey(loaded)} B/key`,
    `  bare Map of the same strings          ${perKey(plain)} B/key (${bare.size} keys)`,
    `  metadata and sampling array           ${perKey(loaded - plain)} B/key`,
    `  estimate (used_memory)                ${perKey(estimate)} B/key`,
    `  (RSS now ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB)`,
    '',
  ].join('\n'),
);
