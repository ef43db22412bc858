// LATENCY monitor: per-event samples of operations slower than latency-monitor-threshold ms,
// kept as Redis keeps them (160 samples an event, one per second, with the all-time maximum).
// And the event loop's longest stall (INFO stats eventloop_max_stall_ms), whatever caused it:
// a command, a cron task, a snapshot slice or the garbage collector.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const SAMPLES = 160;

interface LatencySample {
  readonly time: number;
  readonly latency: number;
}

export interface LatencyEvent {
  samples: LatencySample[];
  max: number;
}

export class LatencyMonitor {
  readonly events = new Map<string, LatencyEvent>();
  /** latency-monitor-threshold in ms; 0 disables. */
  threshold = 0;

  /** Records `ms` (whole milliseconds) for `event` when monitoring is on and it crosses the threshold. */
  add(event: string, ms: number): void {
    if (this.threshold === 0 || ms < this.threshold) return;
    const now = Math.floor(Date.now() / 1000);
    let e = this.events.get(event);
    if (!e) {
      e = { samples: [], max: 0 };
      this.events.set(event, e);
    }
    if (ms > e.max) e.max = ms;
    const last = e.samples[e.samples.length - 1];
    if (last && last.time === now) {
      if (ms > last.latency) e.samples[e.samples.length - 1] = { time: now, latency: ms };
      return;
    }
    e.samples.push({ time: now, latency: ms });
    if (e.samples.length > SAMPLES) e.samples.shift();
  }

  /** Removes the named events (all when none given); returns how many were removed. */
  reset(names: readonly string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }
}

/**
 * The longest time the event loop went without turning, measured by Node's event-loop delay
 * histogram: a libuv timer every RESOLUTION_MS, in C++, that records how long each interval really
 * took. Nothing runs on the command path. An interval of RESOLUTION_MS + d means the loop was
 * held for between d and d + RESOLUTION_MS; d is reported, so the true stall is at most
 * RESOLUTION_MS longer than the figure, never shorter.
 */
export class StallMonitor {
  static readonly RESOLUTION_MS = 5;
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: StallMonitor.RESOLUTION_MS });

  start(): void {
    this.histogram.enable();
  }

  stop(): void {
    this.histogram.disable();
  }

  /**
   * CONFIG RESETSTAT. The histogram measures from its next tick: a stall that begins within
   * RESOLUTION_MS of the reset is not counted.
   */
  reset(): void {
    this.histogram.reset();
  }

  /** The longest stall since the start or the last reset, in ms (0 before the first interval). */
  get maxMs(): number {
    const count = this.histogram.count;
    if (count === 0) return 0;
    return Math.max(0, this.histogram.max / 1e6 - StallMonitor.RESOLUTION_MS);
  }
}
