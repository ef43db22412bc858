// Redis's pqsort (NetBSD's Bentley-McIlroy quicksort that skips partitions outside the wanted
// range of positions). It is not stable, so the order it leaves equal elements in is part of what
// SORT ... LIMIT and GEOSEARCH ... COUNT reply; following its pivots and swaps reproduces it.

/**
 * Redis's pqsort (Bentley-McIlroy quicksort that skips partitions outside [lrange, rrange]), so
 * that elements with equal keys come out in the same order as Redis returns them. The elements
 * are never undefined.
 */
export function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  sortRange(a, 0, a.length, cmp, lrange, rrange);
}

/** Element i, which the sort keeps inside the partition it works on. */
function at<T>(a: readonly T[], i: number): T {
  const v = a[i];
  if (v === undefined) throw new RangeError(`pqsort read position ${i} of ${a.length}`);
  return v;
}

/** Swaps only move elements already in the array, so they need no element type. */
function swap(a: unknown[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function vecswap(a: unknown[], i: number, j: number, k: number): void {
  for (let x = 0; x < k; x++) swap(a, i + x, j + x);
}

function med3<T>(a: readonly T[], cmp: (x: T, y: T) => number, i: number, j: number, k: number): number {
  const x = at(a, i);
  const y = at(a, j);
  const z = at(a, k);
  return cmp(x, y) < 0
    ? cmp(y, z) < 0 ? j : cmp(x, z) < 0 ? k : i
    : cmp(y, z) > 0 ? j : cmp(x, z) < 0 ? i : k;
}

function sortRange<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let pm = base + 1; pm < base + n; pm++) {
        for (let pl = pm; pl > base && cmp(at(a, pl - 1), at(a, pl)) > 0; pl--) swap(a, pl, pl - 1);
      }
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(a, cmp, pl, pl + d, pl + 2 * d);
        pm = med3(a, cmp, pm - d, pm, pm + d);
        pn = med3(a, cmp, pn - 2 * d, pn - d, pn);
      }
      pm = med3(a, cmp, pl, pm, pn);
    }
    swap(a, base, pm);
    // The pivot stays at `base` while the partition swaps only inside (base, base + n).
    const pivot = at(a, base);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(at(a, pb), pivot)) <= 0) {
        if (r === 0) {
          swap(a, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(at(a, pc), pivot)) >= 0) {
        if (r === 0) {
          swap(a, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb, pc);
      pb++;
      pc--;
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    vecswap(a, base, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(a, pb, pn - r, r);
    // Recurse (or loop) only into partitions that overlap the wanted range of positions.
    const left = pb - pa;
    if (left > 1 && !(lrange < base && rrange < base) && !(lrange > base + left - 1 && rrange > base + left - 1)) {
      sortRange(a, base, left, cmp, lrange, rrange);
    }
    const right = pd - pc;
    if (right <= 1) return;
    base = pn - right;
    n = right;
    if ((lrange < base && rrange < base) || (lrange > base + right - 1 && rrange > base + right - 1)) return;
  }
}
