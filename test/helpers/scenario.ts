// Multi-client scenarios compared with redis-server: a scenario drives several raw connections and
// logs what each receives; the same scenario runs on redis-server and on Redoubt and the two
// transcripts must be identical.

import assert from 'node:assert/strict';
import { RawClient } from './raw-client.js';
import type { RunningServer } from './servers.js';

export type Log = (who: number, reply: Buffer | string | null) => void;
export type Scenario = (clients: RawClient[], log: Log) => Promise<void>;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends one command without waiting for its reply. */
export const send = (c: RawClient, ...argv: string[]): void => c.write(RawClient.encode(argv));

/** Runs `scenario` with `n` fresh connections after FLUSHALL; returns the transcript. */
export async function runScenario(port: number, n: number, scenario: Scenario): Promise<string[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => RawClient.connect(port)));
  const transcript: string[] = [];
  try {
    await clients[0]!.call('FLUSHALL');
    await scenario(clients, (who, reply) =>
      transcript.push(`${who}: ${reply === null ? '<closed>' : typeof reply === 'string' ? reply : reply.toString('latin1')}`),
    );
  } finally {
    for (const c of clients) c.close();
  }
  // Let the servers notice the closed connections before a next scenario counts clients.
  await sleep(20);
  return transcript;
}

/** Runs the scenario on redis-server, then on Redoubt: the transcripts must be identical. */
export async function sameOnBoth(redis: RunningServer, redoubt: RunningServer, n: number, scenario: Scenario): Promise<void> {
  const expected = await runScenario(redis.port, n, scenario);
  const actual = await runScenario(redoubt.port, n, scenario);
  assert.deepEqual(actual, expected);
}
