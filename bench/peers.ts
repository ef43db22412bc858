// The servers a benchmark compares Redoubt with: the servers a user would pick instead of it.
// Redis 7.0 and Valkey 8.0 are Debian packages; Redis 8.0 is built from its Debian source package
// (scripts/reference-servers.sh --redis8 DIR), found through REDIS8_SERVER or at /opt/redis8, and
// left out with a note when this machine has none.

import { existsSync } from 'node:fs';
import { redis8Path, startRedis, startRedis8, startRedoubt, startValkey, type RunningServer } from '../test/helpers/servers.js';

export type ServerName = 'redis' | 'valkey' | 'redis8' | 'redoubt';

export interface ServerKind {
  readonly name: ServerName;
  /** As printed in tables: "Redis 7.0". */
  readonly label: string;
  /** Starts one with `args` (directives as `--name value` words) after the harness's own. */
  readonly start: (args?: string[]) => Promise<RunningServer>;
}

const REDIS8_DEFAULT = '/opt/redis8/src/redis-server';

/** The Redis 8.0 binary, or null (with the reason logged) when there is none. */
function redis8(): string | null {
  const set = redis8Path();
  if (set !== null) return set;
  if (existsSync(REDIS8_DEFAULT)) {
    process.env['REDIS8_SERVER'] = REDIS8_DEFAULT;
    return REDIS8_DEFAULT;
  }
  process.stderr.write(`[bench] Redis 8.0 left out: set REDIS8_SERVER to its redis-server (none at ${REDIS8_DEFAULT})\n`);
  return null;
}

/** Redis 7.0 first (the reference every ratio also reads against), then Valkey 8.0 and Redis 8.0. */
export function peers(): ServerKind[] {
  const out: ServerKind[] = [
    { name: 'redis', label: 'Redis 7.0', start: (args = []) => startRedis(args) },
    { name: 'valkey', label: 'Valkey 8.0', start: (args = []) => startValkey(args) },
  ];
  if (redis8() !== null) out.push({ name: 'redis8', label: 'Redis 8.0', start: (args = []) => startRedis8(args) });
  return out;
}

export const REDOUBT: ServerKind = { name: 'redoubt', label: 'Redoubt', start: (args = []) => startRedoubt(args) };

/** The order servers take their turn in repetition `n`: a rotation, so none always goes first or last. */
export function rotation<T>(items: readonly T[], n: number): T[] {
  const k = n % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
