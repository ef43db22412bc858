// What the process may still allocate. V8 aborts the whole process once its old generation (where
// every stored value ends up) cannot grow past its limit, so the server stops short of it twice.
// maxmemory (used_memory, the estimate defined in docs/memory.md, against the limit, with
// eviction: evict.ts) may be at most half of the old generation, and with maxmemory 0 that half is
// the limit. Underneath, the real heap is watched: past the write ceiling, commands flagged
// denyoom are refused with -OOM (reads keep working), and no single large allocation (a request's
// arguments, a string grown in place) is made unless it fits under the allocation ceiling.
// The heap in use includes garbage V8 has not collected yet (after a FLUSHALL, say), so a refusal
// also starts a background major collection, and the next sample shows what is really live.

import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Client } from './client.js';
import type { Command } from '../commands/registry.js';

/** Share of the old generation's limit past which denyoom commands are refused. */
const WRITE_SHARE = 0.7;
/**
 * Share of the old generation's limit maxmemory may reach: the other half leaves room for garbage
 * not yet collected, requests being read, and error in the estimates.
 */
const MAXMEMORY_SHARE = 0.5;
/** Share of the old generation's limit that no single large allocation may cross. */
const ALLOC_SHARE = 0.85;
/**
 * heap_size_limit counts the young generation too: three semi-spaces of 16 MB on 64-bit (less
 * for heaps V8 sized itself on a small machine, where this estimate errs on the safe side). What
 * is left is the old generation's limit.
 */
const YOUNG_GENERATION = 48 * 1024 * 1024;
/** The heap is sampled again once this many bytes were admitted since the last sample. */
const RESAMPLE_BYTES = 1024 * 1024;
/** ...and at least every this many write checks. */
const RESAMPLE_WRITES = 256;
/** Background collections started by refusals: at most one a second, backing off to one every 30 s while the heap stays full. */
const COLLECT_MIN_MS = 1000;
const COLLECT_MAX_MS = 30_000;

/**
 * The memory the system gives this process: physical memory, or less under a cgroup limit
 * (process.constrainedMemory, which reports "no limit" as a huge number, or as undefined on
 * older Node 20 releases: either fails the comparison below).
 */
function systemMemory(): number {
  const total = os.totalmem();
  const constrained = process.constrainedMemory();
  return constrained > 0 && constrained < total ? constrained : total;
}

/** Old generation below which the launcher does not go: the runtime, command table and scripts need room too. */
const MIN_OLD_GENERATION_MB = 64;

/**
 * The old-generation size (MB, for --max-old-space-size) a process needs so that `maxmemory` fits
 * in its capacity (MAXMEMORY_SHARE of it), with a little room for rounding.
 */
export function heapSizeFor(maxmemory: number): number {
  return Math.max(MIN_OLD_GENERATION_MB, Math.ceil(maxmemory / MAXMEMORY_SHARE / (1024 * 1024)) + 16);
}

/** gc(): with no options a full collection now; with { execution: 'async' } one in the background. */
type Collect = (options?: { type: 'major'; execution: 'async' }) => Promise<void> | undefined;

/** V8's gc(), exposed at runtime (it is what --expose-gc gives), or null where that fails. */
function exposeCollector(): Collect | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    return null;
  }
}

export class MemoryGuard {
  /** V8's heap_size_limit. */
  readonly heapLimit: number;
  /** The old generation's share of it: past this, V8 aborts the process. */
  readonly oldLimit: number;
  readonly writeCeiling: number;
  readonly allocCeiling: number;
  /** The most maxmemory may be in this process, and the limit when maxmemory is 0. */
  readonly capacity: number;
  /** What bounds the capacity: the heap (true) or the system's memory (false). */
  readonly heapBound: boolean;
  /** The memory the system gives this process. */
  readonly systemMemory = systemMemory();
  /**
   * The heap in use at the last sample: live data plus garbage not yet collected, the young
   * generation included (its survivors move to the old generation).
   */
  heapUsed = 0;
  private admittedSinceSample = 0;
  private writesSinceSample = 0;
  private readonly collect = exposeCollector();
  private collecting = false;
  private nextCollect = 0;
  private collectInterval = COLLECT_MIN_MS;

  constructor(heapLimit = v8.getHeapStatistics().heap_size_limit) {
    this.heapLimit = heapLimit;
    this.oldLimit = Math.max(heapLimit - YOUNG_GENERATION, Math.floor(heapLimit / 4));
    this.writeCeiling = Math.floor(this.oldLimit * WRITE_SHARE);
    this.allocCeiling = Math.floor(this.oldLimit * ALLOC_SHARE);
    // Half the old generation, and never more than half of what the system gives the process:
    // a heap sized for more than that would meet the kernel's OOM killer instead of V8's limit.
    const heapShare = Math.floor(this.oldLimit * MAXMEMORY_SHARE);
    const systemShare = Math.floor(this.systemMemory * MAXMEMORY_SHARE);
    this.capacity = Math.min(heapShare, systemShare);
    this.heapBound = heapShare <= systemShare;
    this.sample();
  }

  /** Reads the heap in use (the cron calls it every tick; it costs well under a microsecond). */
  sample(): void {
    this.heapUsed = v8.getHeapStatistics().used_heap_size;
    this.admittedSinceSample = 0;
    this.writesSinceSample = 0;
  }

  /**
   * True when a denyoom command must be refused with -OOM. `argv` (its arguments, which the
   * command will store) counts toward the next sample, so a script writing in a loop, which the
   * cron cannot interrupt, is sampled as often as a client's stream of requests.
   */
  refuseWrite(argv?: readonly string[]): boolean {
    if (argv !== undefined) for (const a of argv) this.admittedSinceSample += a.length;
    if (++this.writesSinceSample >= RESAMPLE_WRITES || this.admittedSinceSample >= RESAMPLE_BYTES) this.sample();
    if (this.heapUsed <= this.writeCeiling) return false;
    this.collectGarbage();
    return true;
  }

  /** Starts a background major collection (rate-limited) so that garbage stops counting as used. */
  private collectGarbage(): void {
    const now = Date.now();
    if (this.collect === null || this.collecting || now < this.nextCollect) return;
    this.collecting = true;
    Promise.resolve(this.collect({ type: 'major', execution: 'async' }))
      .catch(() => {})
      .finally(() => {
        this.collecting = false;
        this.sample();
        // Still full: it was live data, not garbage; ask less often until it goes down.
        this.collectInterval = this.heapUsed > this.writeCeiling ? Math.min(this.collectInterval * 2, COLLECT_MAX_MS) : COLLECT_MIN_MS;
        this.nextCollect = Date.now() + this.collectInterval;
      });
  }

  /** A full collection now (MEMORY PURGE); false when collections cannot be started. */
  collectNow(): boolean {
    if (this.collect === null) return false;
    // No options: { execution: 'sync' } is not honoured by Node 20's V8, the bare call is.
    void this.collect();
    this.sample();
    return true;
  }

  /**
   * Accounts `bytes` about to be allocated on the heap in one go (a large argument, a string grown
   * in place, a batch of arguments) and says whether they fit under the allocation ceiling.
   */
  admit(bytes: number): boolean {
    this.admittedSinceSample += bytes;
    if (this.admittedSinceSample >= RESAMPLE_BYTES || bytes >= RESAMPLE_BYTES) this.sample();
    if (this.heapUsed + bytes <= this.allocCeiling) return true;
    this.collectGarbage();
    return false;
  }
}

/**
 * The gate's memory check, as Redis's processCommand: before any command, keys are evicted while
 * used_memory is over the limit; then a denyoom command is refused if that could not free
 * enough, or if the heap itself is short, and so is anything queued inside MULTI (queueing takes
 * memory too) except EXEC, DISCARD, QUIT and RESET; an EXEC whose queue holds a denyoom command
 * counts as one.
 */
export function refusedForMemory(c: Client, cmd: Command, argv: readonly string[]): boolean {
  const server = c.server;
  // Not while a script is suspended: its writes and the evictions' would interleave.
  let oom = false;
  if (server.script === null || !server.script.timedOut) {
    oom = server.evictor.perform() === 'fail';
    server.evictor.oomAtCommandStart = oom;
  }
  let denyoom = cmd.isDenyOom;
  if (!denyoom && c.multi !== null) {
    const name = cmd.fullName;
    if (name === 'exec') denyoom = c.multi.commands.some((q) => q.cmd.isDenyOom);
    else denyoom = name !== 'discard' && name !== 'quit' && name !== 'reset';
  }
  if (!denyoom) return false;
  const heapShort = server.memory.refuseWrite(argv);
  return oom || heapShort;
}

/**
 * Memory that used_memory counts outside the keyspace, clients and scripts: a snapshot's copies of
 * values overwritten while it walks the keyspace, say. Whoever holds such memory registers one of
 * these in Server.memoryHolders; eviction, INFO and MEMORY then count it.
 */
export interface MemoryHolder {
  /** What holds it, for MEMORY STATS (a short lowercase name, e.g. "snapshot"). */
  readonly name: string;
  /** Bytes held right now. */
  bytes(): number;
}

/**
 * process.memoryUsage(), which reads /proc for the RSS and throws (EMFILE) when descriptors run
 * out; the heap's own figures stand in then, the RSS estimated from them.
 */
export function processMemory(): NodeJS.MemoryUsage {
  try {
    return process.memoryUsage();
  } catch {
    const h = v8.getHeapStatistics();
    return {
      rss: h.total_physical_size + h.external_memory,
      heapTotal: h.total_heap_size,
      heapUsed: h.used_heap_size,
      external: h.external_memory,
      arrayBuffers: 0,
    };
  }
}
