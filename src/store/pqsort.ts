// Redis's pqsort (NetBSD's Bentley-McIlroy quicksort that skips partitions outside the wanted
// range of positions). It is not stable, so the order it leaves equal elements in is part of what
// SORT ... LIMIT and GEOSEARCH ... COUNT reply; following its pivots and swaps reproduces it.

/**
 * Redis's pqsort (Bentley-McIlroy quicksort that skips partitions outside [lrange, rrange]), so
 * that elements with equal keys come out in the same order as Redis returns them.
 */
export function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  sortRange(a, 0, a.length, cmp, lrange, rrange);
}

function sortRange<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  const swap = (i: number, j: number): void => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  const vecswap = (i: number, j: number, k: number): void => {
    for (let x = 0; x < k; x++) swap(i + x, j + x);
  };
  const med3 = (i: number, j: number, k: number): number =>
    cmp(a[i]!, a[j]!) < 0
      ? cmp(a[j]!, a[k]!) < 0 ? j : cmp(a[i]!, a[k]!) < 0 ? k : i
      : cmp(a[j]!, a[k]!) > 0 ? j : cmp(a[i]!, a[k]!) < 0 ? i : k;
  for (;;) {
    if (n < 7) {
      for (let pm = base + 1; pm < base + n; pm++) {
        for (let pl = pm; pl > base && cmp(a[pl - 1]!, a[pl]!) > 0; pl--) swap(pl, pl - 1);
      }
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(pl, pl + d, pl + 2 * d);
        pm = med3(pm - d, pm, pm + d);
        pn = med3(pn - 2 * d, pn - d, pn);
      }
      pm = med3(pl, pm, pn);
    }
    swap(base, pm);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(a[pb]!, a[base]!)) <= 0) {
        if (r === 0) {
          swap(pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc]!, a[base]!)) >= 0) {
        if (r === 0) {
          swap(pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(pb, pc);
      pb++;
      pc--;
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    vecswap(base, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(pb, pn - r, r);
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
