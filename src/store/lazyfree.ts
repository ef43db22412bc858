// Redis hands a big value it deletes to a background thread ("lazy free": UNLINK, FLUSHALL ASYNC,
// the lazyfree-lazy-* settings) and counts it in INFO's lazyfreed_objects. Redoubt frees every
// value at once (dropping the reference is O(1); the garbage collector does the rest), but counts
// what Redis would have sent to that thread, by Redis 7.0's own measure (lazyfree.c), so the
// statistic means the same thing. Nothing is ever pending: lazyfree_pending_objects stays 0.

import type { Value } from './types.js';
import { quicklistNodeCount } from './quicklist.js';
import { radixTreeNodes } from './radix.js';

/** Values whose free effort is at most this are freed synchronously by Redis (LAZYFREE_THRESHOLD). */
const LAZYFREE_THRESHOLD = 64;

/**
 * Redis's lazyfreeGetFreeEffort: the number of allocations freeing `v` takes, roughly. `listFill`
 * is list-max-listpack-size, which decides how many quicklist nodes a list has; the count stops
 * just past `atMost`, which is all the threshold needs.
 */
function freeEffort(v: Value, listFill: number, atMost = Infinity): number {
  if (typeof v === 'string') return 1;
  switch (v.type) {
    case 'list':
      // Every node holds at least one element, so a short list cannot pass the threshold.
      return v.length <= atMost ? v.length : quicklistNodeCount(v.items, listFill, atMost);
    case 'set':
      return v.encoding() === 'hashtable' ? v.size : 1;
    case 'zset':
      return v.encoding() === 'skiplist' ? v.size : 1;
    case 'hash':
      return v.encoding() === 'hashtable' ? v.size : 1;
    case 'stream': {
      // Every node of the radix tree is an allocation; every group too, and each of its pending
      // entries, estimated from the first group's (in name order) for all of them.
      // A tree holds more nodes than keys (the root at least), so a long one needs no walk.
      const keys = v.radixTreeKeys;
      let effort = keys >= atMost ? keys + 1 : v.radixTreeNodes;
      if (v.groups.size > 0) {
        let first: string | undefined;
        for (const name of v.groups.keys()) if (first === undefined || name < first) first = name;
        const pending = first === undefined ? 0 : (v.groups.get(first)?.pel.size ?? 0);
        effort += v.groups.size * (1 + pending);
      }
      return effort;
    }
  }
}

/** INFO's lazyfreed_objects, and the lazyfree-lazy-* settings the databases consult. */
export class LazyFree {
  /** Objects Redis would have freed on its lazy-free thread (lazyfreed_objects). */
  freed = 0;
  /** lazyfree-lazy-expire: keys removed because their time passed. */
  expire = false;
  /** lazyfree-lazy-eviction: keys maxmemory evicts. */
  eviction = false;
  /** lazyfree-lazy-server-del: values the server deletes or overwrites on a command's behalf. */
  serverDel = false;
  /** lazyfree-lazy-user-del: DEL behaves as UNLINK. */
  userDel = false;
  /** lazyfree-lazy-user-flush: FLUSHALL, FLUSHDB, SCRIPT FLUSH and FUNCTION FLUSH without a mode are ASYNC. */
  userFlush = false;
  /** list-max-listpack-size, for a list's node count. */
  listFill = -2;

  /** Redis's freeObjAsync: `v` counts when it is worth a background free. */
  free(v: Value): void {
    if (freeEffort(v, this.listFill, LAZYFREE_THRESHOLD) > LAZYFREE_THRESHOLD) this.freed++;
  }

  /** Redis's emptyDbAsync: every key of a database flushed asynchronously counts, big or small. */
  freeKeys(n: number): void {
    this.freed += n;
  }

  /**
   * Redis's freeTrackingRadixTreeAsync: a radix tree of `size` keys (listed by `keys`) counts its
   * keys when it has more nodes than the threshold; only a small one needs its shape worked out.
   */
  freeRadixTree(keys: () => Iterable<string>, size: number): void {
    const nodes = size > LAZYFREE_THRESHOLD ? size : radixTreeNodes([...keys()].sort());
    if (nodes > LAZYFREE_THRESHOLD) this.freed += size;
  }

  /** A table freed asynchronously (scripts, function libraries): its entries count past the threshold. */
  freeTable(entries: number): void {
    if (entries > LAZYFREE_THRESHOLD) this.freed += entries;
  }
}
