// Small numeric helpers shared by the benchmark scripts.

/** The median (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A rate as a whole number with thousands separators (12,345). */
export const fmtRate = (n: number): string => Math.round(n).toLocaleString('en-US');

export type Name = 'redis' | 'redoubt';

/** Which server goes first in repetition `n`: they alternate, so neither always runs second. */
export function turnOrder(n: number): Name[] {
  return n % 2 === 0 ? ['redis', 'redoubt'] : ['redoubt', 'redis'];
}
