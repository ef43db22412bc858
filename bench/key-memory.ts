// Where a small key's bytes go inside Redoubt: loads N string keys into a Database in this
// process and reads V8's heap after full collections, then drops the per-key metadata (access
// field, size estimate, sampling slot) to show its share, beside the estimate used_memory counts. Complements the RSS comparison in bench/compare.ts.
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

const before = heap();
const db = new Database(0);
// Keys and values are made the way the parser makes them: fresh one-byte strings from bytes.
const scratch = Buffer.alloc(64);
for (let i = 0; i < N; i++) {
  const k = keyName(i);
  scratch.latin1Write(k, 0);
  scratch.latin1Write('abc', 32);
  db.set(scratch.latin1Slice(0, k.length), scratch.latin1Slice(32, 35));
}
const loaded = heap();
const estimate = db.usedBytes;
db.meta.clear();
const withoutAccess = heap();

const perKey = (bytes: number) => (bytes / N).toFixed(1).padStart(6);
process.stdout.write(
  [
    `${N} keys (13-byte names, 3-byte values), V8 heap after full GC:`,
    `  total                       ${perKey(loaded - before)} B/key`,
    `  key metadata (LRU/LFU, size) ${perKey(loaded - withoutAccess)} B/key`,
    `  data Map + key and value    ${perKey(withoutAccess - before)} B/key`,
    `  estimate (used_memory)      ${perKey(estimate)} B/key`,
    `  (RSS now ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB)`,
    '',
  ].join('\n'),
);
