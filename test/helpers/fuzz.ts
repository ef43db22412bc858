// What the fuzzers share: their sizes (a bounded run in `npm test`, a long one with `npm run fuzz`,
// either overridden by FUZZ_* environment variables), the seed (fixed in `npm test` so a failure
// reproduces, random in a long run unless FUZZ_SEED is given, and printed either way), and the
// health checks on the server under attack: alive, answering PING on its own connection, and its
// resident memory within a bound.

import { readFileSync } from 'node:fs';
import type { RunningServer } from './servers.js';
import { RawClient } from './raw-client.js';

/** Set by `npm run fuzz`: the long defaults apply. */
export const LONG_RUN = process.env['FUZZ_LONG'] === '1';

/** A size from FUZZ_<NAME>, or the short or long default. */
export function fuzzSize(name: string, short: number, long: number): number {
  const v = process.env[`FUZZ_${name}`];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`FUZZ_${name} must be a whole number, not ${v}`);
    return n;
  }
  return LONG_RUN ? long : short;
}

/** FUZZ_SEED, else a fixed seed for the bounded run and a fresh one for a long run. */
export function fuzzSeed(fixed: number): number {
  const v = process.env['FUZZ_SEED'];
  if (v !== undefined && v !== '') return Number(v) >>> 0;
  return LONG_RUN ? (Date.now() ^ (process.pid << 16)) >>> 0 : fixed;
}

/** A small seeded generator (mulberry32): the fuzzers' only source of randomness. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const v = items[this.int(items.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Resident and peak resident memory of a process, from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * The server under attack is healthy: its process runs, a PING on a fresh connection (after AUTH
 * with `password`, when given) is answered within `timeoutMs`, and its RSS is under `maxRss`
 * bytes. Throws with the reason otherwise.
 */
export async function assertHealthy(server: RunningServer, maxRss: number, timeoutMs = 10000, password?: string): Promise<number> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) {
    throw new Error(`server exited (${server.process.exitCode ?? server.process.signalCode}):\n${server.output().slice(-4000)}`);
  }
  const c = await RawClient.connect(server.port);
  try {
    if (password !== undefined) {
      c.write(RawClient.encode(['AUTH', password]));
      const ok = await c.read(timeoutMs);
      if (ok?.toString('latin1') !== '+OK\r\n') throw new Error(`AUTH answered ${JSON.stringify(ok?.toString('latin1'))}`);
    }
    c.write(RawClient.encode(['PING']));
    const r = await c.read(timeoutMs);
    if (r?.toString('latin1') !== '+PONG\r\n') throw new Error(`PING answered ${JSON.stringify(r?.toString('latin1'))}`);
  } finally {
    c.close();
  }
  const pid = server.process.pid;
  if (pid === undefined) throw new Error('no pid');
  const { rss } = memoryOf(pid);
  if (rss > maxRss) throw new Error(`RSS ${Math.round(rss / 2 ** 20)} MB is over the ${Math.round(maxRss / 2 ** 20)} MB bound`);
  return rss;
}

/** One line for the test log: what ran, how much, with which seed, how long. */
export function report(name: string, seed: number, counts: Record<string, number>, startedAt: number, peakRss: number): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k}=${v}`);
  const secs = ((Date.now() - startedAt) / 1000).toFixed(1);
  return `${name}: ${parts.join(' ')} seed=${seed} seconds=${secs} peak_rss_mb=${Math.round(peakRss / 2 ** 20)}`;
}
