// Lists as Redis 7.0 stores them: a quicklist of listpack nodes. Node boundaries are not part of
// the list's contents, so we rebuild them the way Redis's quicklistPushTail would have placed the
// elements pushed one by one at the tail (list-max-listpack-size), and compress interior nodes as
// list-compress-depth asks. Lists Redis built by pushing at the head or inserting in the middle
// can have other boundaries; the elements are the same either way.

import { ListpackBuilder } from './listpack.js';
import { lzfCompress } from './lzf.js';
import { allowInsert, clampFill, PACKED_THRESHOLD } from '../../store/quicklist.js';

/** Nodes shorter than this are never compressed; compression must save at least MIN_COMPRESS_IMPROVE. */
const MIN_COMPRESS_BYTES = 48;
const MIN_COMPRESS_IMPROVE = 8;

export type QuicklistNode =
  | { readonly kind: 'plain'; readonly data: Buffer }
  | { readonly kind: 'packed'; readonly listpack: Buffer; readonly compressed: Buffer | null };

/** The nodes RPUSH-ing `items` one by one would build, with interior nodes compressed per `depth`. */
export function buildQuicklist(items: Iterable<string>, fillOption: number, depth: number): QuicklistNode[] {
  const fill = clampFill(fillOption);
  const nodes: QuicklistNode[] = [];
  let lp: ListpackBuilder | null = null;
  const close = (): void => {
    if (lp !== null) nodes.push({ kind: 'packed', listpack: lp.finish(), compressed: null });
    lp = null;
  };
  for (const item of items) {
    if (item.length >= PACKED_THRESHOLD) {
      close();
      nodes.push({ kind: 'plain', data: Buffer.from(item, 'latin1') });
      continue;
    }
    if (lp !== null && !allowInsert(lp.bytes, lp.count, fill, item.length)) close();
    if (lp === null) lp = new ListpackBuilder();
    lp.append(item);
  }
  close();
  if (depth > 0 && nodes.length > depth * 2) {
    for (let i = depth; i < nodes.length - depth; i++) {
      const n = nodes[i];
      if (n === undefined || n.kind !== 'packed' || n.listpack.length < MIN_COMPRESS_BYTES) continue;
      const packed = lzfCompress(n.listpack, n.listpack.length);
      if (packed === null || packed.length + MIN_COMPRESS_IMPROVE >= n.listpack.length) continue;
      nodes[i] = { kind: 'packed', listpack: n.listpack, compressed: Buffer.from(packed) };
    }
  }
  return nodes;
}
