// What a key costs in this process: estimates of the bytes V8 holds for a key and its value, the
// figures MEMORY USAGE reports and the dataset part of used_memory adds up. They model V8's layout
// on 64-bit Node (no pointer compression), calibrated against heap measurements: a flat one-byte
// string is a 16-byte header plus its bytes rounded up to 8; a Map entry is about 37 bytes (entry,
// chain and bucket at the usual load); an array slot 8; a number that is
// not a small integer 16 more. Collections are sized as Redis's objectComputeSize: a fixed part
// plus the mean of the first `samples` elements times their count (samples 0: every element).
// docs/memory.md gives the formulas.

import type { Value } from './types.js';
import type { StreamValue } from './stream.js';

/** Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES. */
export const DEFAULT_SAMPLES = 5;

const MAP_ENTRY = 37;
const SLOT = 8;
const HEAP_NUMBER = 16;
/** An empty Map or Set with its initial table. */
const MAP_BASE = 160;
/** A small JS object (a value wrapper with a few fields). */
const OBJECT = 48;
/** A sorted set's ordered index: its fixed part (the tree and its first leaf), and per entry. */
const ZSET_INDEX_BASE = 1360;
const ZSET_INDEX_ENTRY = 56;
/** An array's own object and header, besides its slots. */
const ARRAY = 32;
/**
 * What every key costs besides its name and value: its entry in the database's key → slot Map,
 * and four array slots at its slot (name, value, access field, estimate).
 */
export const KEY_OVERHEAD = MAP_ENTRY + 4 * SLOT;
/** A key's time to live: an entry in the expires Map holding a heap number. */
export const EXPIRE_OVERHEAD = MAP_ENTRY + HEAP_NUMBER;

/** A flat one-byte string of `len` bytes. */
function stringBytes(len: number): number {
  return 16 + ((len + 7) & ~7);
}

/**
 * Mean of `size` over the first `samples` items (all when samples is 0), times `count`: Redis's
 * sampling. Deterministic, so a key's estimate only moves when the key does.
 */
function sampled<T>(items: Iterable<T>, count: number, samples: number, size: (item: T) => number): number {
  if (count === 0) return 0;
  const limit = samples <= 0 ? count : Math.min(samples, count);
  let sum = 0;
  let n = 0;
  for (const item of items) {
    sum += size(item);
    if (++n >= limit) break;
  }
  return n === 0 ? 0 : Math.round((sum / n) * count);
}

/** How many elements of `count` a sampled estimate reads (all when samples is 0). */
function sampleLimit(count: number, samples: number): number {
  return samples <= 0 ? count : Math.min(samples, count);
}

/** Mean of the `n` sampled sizes (summing to `sum`) times `count`, as sampled() computes it. */
function scaled(sum: number, n: number, count: number): number {
  return n === 0 ? 0 : Math.round((sum / n) * count);
}

/**
 * Bytes of the value alone. Runs after every write to a collection (the key's estimate is redone),
 * so each type samples its first elements in a loop of its own, without sampled()'s iterator and
 * callback: the same figures, a fraction of the cost (measured in docs/benchmarks.md).
 */
function valueBytes(v: Value, samples = DEFAULT_SAMPLES): number {
  if (typeof v === 'string') return stringBytes(v.length);
  switch (v.type) {
    case 'list': {
      // The ring buffer's capacity is a power of two at least the length.
      const n = v.length;
      const capacity = n <= 8 ? 8 : 2 ** (32 - Math.clz32(n - 1));
      const items = v.items;
      const limit = sampleLimit(n, samples);
      let sum = 0;
      let i = 0;
      for (; i < limit; i++) sum += stringBytes((items.at(i) ?? '').length);
      return OBJECT * 2 + capacity * SLOT + scaled(sum, i, n);
    }
    case 'hash': {
      // Field TTLs: a second Map of field → expiry time (a heap number each) and their min-heap.
      const ttls = v.ttls === null ? 0 : MAP_BASE + v.ttls.size * (MAP_ENTRY + HEAP_NUMBER + 2 * SLOT);
      const count = v.size;
      const limit = sampleLimit(count, samples);
      let sum = 0;
      let n = 0;
      if (limit > 0) {
        for (const [f, x] of v.fields) {
          sum += MAP_ENTRY + stringBytes(f.length) + stringBytes(x.length);
          if (++n >= limit) break;
        }
      }
      return OBJECT + MAP_BASE + ttls + scaled(sum, n, count);
    }
    case 'set': {
      // Members in an array plus a member → index Map.
      const members = v.unordered();
      const count = v.size;
      const limit = Math.min(sampleLimit(count, samples), members.length);
      let sum = 0;
      let n = 0;
      for (; n < limit; n++) sum += SLOT + MAP_ENTRY + stringBytes((members[n] ?? '').length);
      return OBJECT + MAP_BASE + scaled(sum, n, count);
    }
    case 'zset': {
      // member → score Map (scores as heap numbers) and the ordered index: a score and a member
      // slot per entry in leaves a little over half full, their arrays grown by doubling
      // (measured: 93-123 bytes per member for the two, 1,567 for an empty set, with 1 to 10,000
      // members).
      const count = v.size;
      const limit = sampleLimit(count, samples);
      let sum = 0;
      let n = 0;
      if (limit > 0) {
        for (const m of v.scores.keys()) {
          sum += MAP_ENTRY + HEAP_NUMBER + ZSET_INDEX_ENTRY + stringBytes(m.length);
          if (++n >= limit) break;
        }
      }
      return OBJECT + MAP_BASE + ZSET_INDEX_BASE + scaled(sum, n, count);
    }
    case 'stream':
      return streamBytes(v, samples);
  }
}

/** A stream: its nodes' entries (ID parts, offsets, flags, field/value strings) and its groups. */
function streamBytes(s: StreamValue, samples: number): number {
  const nodes = s.nodeList();
  // Live entries: deleted ones still held in their node until it goes are not counted.
  const entries = s.length;
  const perEntry = function* (): Generator<number> {
    for (const node of nodes) {
      for (let i = 0; i < node.size; i++) {
        let bytes = 4 * SLOT + 2 * HEAP_NUMBER;
        for (let j = node.offAt(i); j < node.end(i); j++) bytes += SLOT + stringBytes((node.fv[j] ?? '').length);
        yield bytes;
      }
    }
  };
  let groups = 0;
  for (const g of s.groups.values()) {
    groups += OBJECT + MAP_ENTRY + 2 * MAP_BASE + g.pel.size * (OBJECT + 2 * SLOT + HEAP_NUMBER * 2);
    for (const c of g.consumers.values()) groups += OBJECT + MAP_ENTRY + stringBytes(c.name.length) + c.pel.size * SLOT;
  }
  // A node: its object and six arrays (ID parts, offsets, pairs, flags, master fields).
  return OBJECT * 2 + nodes.length * (OBJECT + 6 * ARRAY) + sampled(perEntry(), entries, samples, (b) => b) + groups;
}

/** Bytes of a key with its value, as MEMORY USAGE reports them (its TTL, when it has one, included). */
export function keyBytes(key: string, v: Value, hasExpire: boolean, samples = DEFAULT_SAMPLES): number {
  return KEY_OVERHEAD + stringBytes(key.length) + valueBytes(v, samples) + (hasExpire ? EXPIRE_OVERHEAD : 0);
}
