// What the replication tests share: a fleet of servers, ioredis clients and temporary directories
// that one `after` hook tears down (clients disconnected, servers stopped, directories removed),
// one INFO field, the wait until a replica has applied everything its primary produced, and the
// comparison of two servers' data.

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RunningServer } from './servers.js';
import { until as waitUntil } from './workload-target.js';

export interface FleetOptions {
  /** false: a client does not reconnect (retryStrategy returns null), so a stopped server's client fails at once. */
  readonly reconnect?: boolean;
  /** Connection errors are ignored: a killed server's clients try again until the test disconnects them. */
  readonly quiet?: boolean;
  /** The prefix of tempDir()'s directories. */
  readonly dirPrefix?: string;
  /** Runs first in the teardown, before the clients are disconnected. */
  readonly first?: () => Promise<void> | void;
  /** Runs after the clients are disconnected, before the servers stop. */
  readonly beforeStop?: () => Promise<void> | void;
}

export interface Fleet {
  /** Stopped at the end of the file. */
  readonly servers: RunningServer[];
  /** Disconnected at the end of the file. */
  readonly clients: Redis[];
  /** Removed at the end of the file, after the servers stop. */
  readonly dirs: string[];
  /** Waits for a server to start and keeps it for the teardown. */
  readonly track: (p: Promise<RunningServer>) => Promise<RunningServer>;
  /** An ioredis client of `s` (no retries of a failed command), disconnected at the end. */
  readonly client: (s: Pick<RunningServer, 'host' | 'port'>) => Redis;
  /** A new temporary directory, removed at the end. */
  readonly tempDir: () => string;
}

/** Called at a test file's top level: registers the file's `after` hook. */
export function fleet(options: FleetOptions = {}): Fleet {
  const servers: RunningServer[] = [];
  const clients: Redis[] = [];
  const dirs: string[] = [];
  after(async () => {
    await options.first?.();
    for (const c of clients) c.disconnect();
    await options.beforeStop?.();
    await Promise.all(servers.map((s) => s.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    servers,
    clients,
    dirs,
    track: async (p) => {
      const s = await p;
      servers.push(s);
      return s;
    },
    client: (s) => {
      const c = new Redis({ port: s.port, host: s.host, maxRetriesPerRequest: 0, ...(options.reconnect === false ? { retryStrategy: () => null } : {}) });
      if (options.quiet === true) c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    tempDir: () => {
      const d = mkdtempSync(join(tmpdir(), options.dirPrefix ?? 'redoubt-test-'));
      dirs.push(d);
      return d;
    },
  };
}

/** Polls `check` until it returns true (or fails with `what` after `ms`, 20 s unless told). */
export const until = (what: string, check: () => Promise<boolean> | boolean, ms = 20000): Promise<void> => waitUntil(what, check, ms);

/** One field of an INFO reply, '' when it is absent. */
export function field(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
}

/** Waits until `replica` (any hop down a chain) has its link up and has applied everything `primary` produced. */
export async function caughtUp(primary: Redis, replica: Redis, ms = 20000): Promise<void> {
  await until('the replica to catch up', async () => {
    const p = field(await primary.info('replication'), 'master_repl_offset');
    const r = await replica.info('replication');
    return field(r, 'master_link_status') === 'up' && field(r, 'slave_repl_offset') === p;
  }, ms);
}

/** The same data on both: DBSIZE of databases 0 and 3, and DEBUG DIGEST of the whole dataset. */
export async function sameData(a: Redis, b: Redis): Promise<void> {
  for (const db of [0, 3]) {
    await a.select(db);
    await b.select(db);
    assert.equal(await a.dbsize(), await b.dbsize(), `db${db} sizes`);
  }
  await a.select(0);
  await b.select(0);
  assert.equal(String(await a.call('DEBUG', 'DIGEST')), String(await b.call('DEBUG', 'DIGEST')));
}
