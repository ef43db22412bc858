// Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats), with the buckets of the
// HDR histogram Redis 7.0 keeps per command: values in nanoseconds from 1 to 10^9, two significant
// digits (256 sub-buckets, each bucket twice the range of the one before), so a value lands in
// the bucket where Redis's would and reads back as that bucket's highest equivalent value.
// Hand-rolled rather than a dependency: recording sits on every command's path and must cost a
// few nanoseconds and no allocation; the counts are one fixed array, made on a command's first call.

/** Redis's LATENCY_HISTOGRAM_MIN_VALUE and LATENCY_HISTOGRAM_MAX_VALUE, in ns. */
const MIN_VALUE = 1;
const MAX_VALUE = 1_000_000_000;
/** hdr_init(1, 10^9, 2): 256 sub-buckets (half of them per bucket after the first), 23 buckets. */
const SUB_BUCKET_HALF_MAGNITUDE = 7;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1;
const BUCKET_COUNT = 23;
const COUNTS_LEN = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;
/** LATENCY HISTOGRAM reports from 1024 ns, each step doubling (hdr_iter_log_init(h, 1024, 2)). */
const FIRST_REPORT_LEVEL = 1024;

/** The bucket of a value below 2^32 (Redis's get_bucket_index, unit magnitude 0). */
function bucketOf(v: number): number {
  return 32 - Math.clz32((v | SUB_BUCKET_MASK) >>> 0) - (SUB_BUCKET_HALF_MAGNITUDE + 1);
}

/** The lowest value that shares `v`'s bucket slot. */
function lowestEquivalent(v: number): number {
  const b = bucketOf(v);
  return (v >>> b) * 2 ** b;
}

/** The highest value that shares `v`'s bucket slot: what Redis reports for it. */
function highestEquivalent(v: number): number {
  return lowestEquivalent(v) + 2 ** bucketOf(v) - 1;
}

/** The lowest value counted at `index` (hdr_value_at_index). */
function valueAt(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS_LEN);
  /** Values recorded (LATENCY HISTOGRAM `calls`). */
  total = 0;

  /** Counts one duration in ns; clamped to 1 ns … 1 s as Redis's updateCommandLatencyHistogram. */
  record(ns: number): void {
    const v = ns < MIN_VALUE ? MIN_VALUE : ns > MAX_VALUE ? MAX_VALUE : ns >>> 0;
    const b = 24 - Math.clz32(v | SUB_BUCKET_MASK);
    // (b + 1) * half + (sub - half), sub = v >> b: Redis's counts_index.
    const i = ((b + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (v >>> b) - SUB_BUCKET_HALF_COUNT;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
  }

  /** hdr_value_at_percentile, in ns: the highest equivalent of the value at `p` percent (the lowest at 0). */
  valueAtPercentile(p: number): number {
    const wanted = Math.max(1, Math.floor((Math.min(p, 100) / 100) * this.total + 0.5));
    let seen = 0;
    let value = 0;
    for (let i = 0; i < COUNTS_LEN; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= wanted) {
        value = valueAt(i);
        break;
      }
    }
    return p === 0 ? lowestEquivalent(value) : highestEquivalent(value);
  }

  /**
   * The cumulative distribution LATENCY HISTOGRAM replies: [µs, calls so far] per reporting
   * level (1024 ns doubling) whose count grew, as Redis's fillCommandCDF walks hdr's log iterator.
   */
  cdf(): [number, number][] {
    const out: [number, number][] = [];
    let index = -1;
    let cumulative = 0;
    let value = 0;
    let highest = 0;
    let level = FIRST_REPORT_LEVEL;
    let levelLowest = lowestEquivalent(level);
    let previous = 0;
    for (;;) {
      if (!(cumulative < this.total || (index < COUNTS_LEN && valueAt(index + 1) > levelLowest))) break;
      // One step of log_iter_next: move along the counts until the value reaches the level.
      for (;;) {
        if (value >= levelLowest) {
          level *= 2;
          levelLowest = lowestEquivalent(level);
          break;
        }
        index++;
        if (index >= COUNTS_LEN) break;
        cumulative += this.counts[index] ?? 0;
        value = valueAt(index);
        highest = value + 2 ** bucketOf(value) - 1;
      }
      if (cumulative > previous) out.push([Math.floor(highest / 1000), cumulative]);
      previous = cumulative;
    }
    return out;
  }
}

/** Records a command's duration (µs, as Redis measures it) in its histogram, made on first use. */
export function trackLatency(stats: { histogram: LatencyHistogram | null }, usec: number): void {
  let h = stats.histogram;
  if (h === null) {
    h = new LatencyHistogram();
    stats.histogram = h;
  }
  h.record(usec * 1000);
}
