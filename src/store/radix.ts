// The shape of Redis's radix trees (rax.c), for figures Redis reports from them: XINFO STREAM
// FULL's radix-tree-nodes and the free effort of a stream or of the tracking table.

/**
 * Nodes of the radix tree Redis would hold for `keys` (byte strings in byte order, no duplicates):
 * the root, every key, every prefix where keys branch, and every child of such a prefix.
 */
export function radixTreeNodes(sortedKeys: readonly string[]): number {
  const seen = new Set<string>(['']);
  let prev: string | null = null;
  for (const k of sortedKeys) {
    seen.add(k);
    const p = prev;
    prev = k;
    if (p === null) continue;
    let l = 0;
    while (l < p.length && l < k.length && p.charCodeAt(l) === k.charCodeAt(l)) l++;
    // A key that is a prefix of the next is a node already; the path simply continues past it.
    if (l === p.length) continue;
    seen.add(k.slice(0, l));
    seen.add(k.slice(0, l + 1));
    seen.add(p.slice(0, l + 1));
  }
  return seen.size;
}
