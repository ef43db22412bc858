// Longest common subsequence of two byte strings (LCS command): the classic dynamic-programming
// table, walked back from the end so that the string and the matched ranges come out exactly in
// the order and with the tie-breaking Redis uses.

interface LcsRange {
  readonly aStart: number;
  readonly aEnd: number;
  readonly bStart: number;
  readonly bEnd: number;
  readonly len: number;
}

export interface LcsResult {
  readonly length: number;
  /** The subsequence itself (empty when not asked for). */
  readonly text: string;
  /** Matched ranges from the end of the strings towards the start. */
  readonly ranges: readonly LcsRange[];
}

/** null when the table cannot be allocated. */
export function lcs(a: string, b: string, walk: boolean): LcsResult | null {
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  let table: Uint32Array;
  try {
    table = new Uint32Array((alen + 1) * w);
  } catch {
    return null;
  }
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    // 1 <= j <= blen: every cell read is inside the table.
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) {
        table[row + j] = (table[prev + j - 1] ?? 0) + 1;
      } else {
        const up = table[prev + j] ?? 0;
        const left = table[row + j - 1] ?? 0;
        table[row + j] = up > left ? up : left;
      }
    }
  }
  // The last cell; the table has (alen + 1) * (blen + 1) of them.
  const length = table[alen * w + blen] ?? 0;
  if (!walk) return { length, text: '', ranges: [] };

  const out: number[] = new Array<number>(length);
  const ranges: LcsRange[] = [];
  let idx = length;
  // aStart === alen means "no range open".
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      out[idx - 1] = a.charCodeAt(i - 1);
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      // 0 < i <= alen and 0 < j <= blen: both cells are inside the table.
      const up = table[(i - 1) * w + j] ?? 0;
      const left = table[i * w + j - 1] ?? 0;
      if (up > left) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      ranges.push({ aStart, aEnd, bStart, bEnd, len: aEnd - aStart + 1 });
      aStart = alen;
    }
  }
  let text = '';
  for (let k = 0; k < out.length; k += 8192) text += String.fromCharCode(...out.slice(k, k + 8192));
  return { length, text, ranges };
}
