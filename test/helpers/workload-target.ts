// The server a real-library workload test runs against: Redoubt by default, or the real
// redis-server when WORKLOAD_TARGET=redis, so a failing workload can be told apart from a broken test.

import { startRedis, startRedoubt, type RunningServer } from './servers.js';

export const targetName = process.env['WORKLOAD_TARGET'] === 'redis' ? 'redis-server' : 'redoubt';

export function startTarget(args: string[] = []): Promise<RunningServer> {
  return targetName === 'redis-server' ? startRedis(args) : startRedoubt(args);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `ms` pass; returns its last answer. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000, every = 20): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(every);
  }
}

/** waitFor that fails: throws "timed out waiting for `what`" when `check` never holds within `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms: number, every = 50): Promise<void> {
  if (!(await waitFor(check, ms, every))) throw new Error(`timed out waiting for ${what}`);
}
