// Where Redis 7.0 cuts a list into quicklist nodes (list-max-listpack-size): the rules of
// quicklistPushTail, shared by the RDB writer (which rebuilds the nodes) and the lazy-free count
// (which only needs how many there are). Lists Redis built by pushing at the head or inserting in
// the middle can have other boundaries; these are the boundaries of a list pushed at the tail.

import { LISTPACK_EMPTY_BYTES, listpackEntryBytes } from './listpack-size.js';

/** Node size limits for fill -1..-5 (list-max-listpack-size). */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
/** A node never grows past this by count-based fill (SIZE_SAFETY_LIMIT). */
const SIZE_SAFETY_LIMIT = 8192;
/** Redis's overestimate of what one more entry adds to a listpack (SIZE_ESTIMATE_OVERHEAD). */
const SIZE_ESTIMATE_OVERHEAD = 8;
/** Elements at least this long get a node of their own (packed_threshold, 1 GB). */
export const PACKED_THRESHOLD = 1 << 30;
const FILL_MAX = (1 << 15) - 1;

/** quicklistSetFill's clamping. */
export function clampFill(fill: number): number {
  if (fill > FILL_MAX) return FILL_MAX;
  if (fill < -5) return -5;
  return fill;
}

/** _quicklistNodeAllowInsert for a node of `bytes` bytes and `count` entries (`fill` clamped). */
export function allowInsert(bytes: number, count: number, fill: number, sz: number): boolean {
  if (sz >= PACKED_THRESHOLD) return false;
  const newSz = bytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) {
    // clampFill keeps fill in -5..-1 here.
    const limit = OPTIMIZATION_LEVEL[-fill - 1];
    if (limit !== undefined && newSz <= limit) return true;
  }
  if (newSz > SIZE_SAFETY_LIMIT) return false;
  return count < fill;
}

/**
 * How many nodes RPUSH-ing `items` one by one would build (Redis's ql->len), counting no further
 * than `atMost` + 1 so that a caller asking "more than atMost?" walks a bounded prefix.
 */
export function quicklistNodeCount(items: Iterable<string>, fillOption: number, atMost = Infinity): number {
  const fill = clampFill(fillOption);
  let nodes = 0;
  // The open node's listpack bytes and entries; null when the last node is closed (or none yet).
  let bytes = -1;
  let count = 0;
  for (const item of items) {
    if (item.length >= PACKED_THRESHOLD) {
      nodes++;
      bytes = -1;
    } else if (bytes >= 0 && allowInsert(bytes, count, fill, item.length)) {
      bytes += listpackEntryBytes(item);
      count++;
      continue;
    } else {
      nodes++;
      bytes = LISTPACK_EMPTY_BYTES + listpackEntryBytes(item);
      count = 1;
    }
    if (nodes > atMost) break;
  }
  return nodes;
}
