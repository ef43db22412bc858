// Redis's long long limits: they bound integer arguments, counters, expiry times and config
// values everywhere. Defined here once, beside errors.ts, so that every layer may import them.

export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

/** True when `v` fits in a signed 64-bit integer. */
export function isInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}
