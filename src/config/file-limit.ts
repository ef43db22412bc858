// maxclients within the process's descriptor limit, as Redis's adjustOpenFilesLimit: each client
// holds a descriptor, and a server that runs out of them can accept no one (and Node's own calls
// start to fail). Node cannot raise the limit (it already raised the soft limit to the hard one at
// startup), so maxclients is lowered to fit, with Redis's log lines, and CONFIG SET maxclients
// beyond it is refused with Redis's error.

import { readFileSync } from 'node:fs';
import * as E from '../errors.js';
import type { Config } from './config.js';
import type { ConfigTarget, ParamValue } from './types.js';

/** Descriptors kept for everything but clients (Node's own, listeners, log and audit files): Redis's CONFIG_MIN_RESERVED_FDS. */
const RESERVED_FDS = 32;

/** The soft limit on open files (RLIMIT_NOFILE), or null where /proc does not tell it. */
function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m === null || m[1] === undefined || m[1] === 'unlimited') return null;
    return Number(m[1]);
  } catch {
    return null;
  }
}

/** The most clients the descriptor limit leaves room for, or null when it is not known. */
function clientsWithin(limit: number | null): number | null {
  return limit === null ? null : limit - RESERVED_FDS;
}

/**
 * At startup: lowers maxclients to what the descriptor limit allows, logging (`warn`) as Redis
 * does. Returns an error when not even one client fits.
 */
export function fitMaxclientsToFileLimit(config: Config, warn: (line: string) => void): Error | null {
  const limit = openFilesLimit();
  const room = clientsWithin(limit);
  const wanted = config.num('maxclients');
  if (room === null || wanted <= room) return null;
  if (room < 1) {
    return new Error(
      `Your current 'ulimit -n' of ${String(limit)} is not enough for the server to start. ` +
        `Please increase your open file limit to at least ${RESERVED_FDS + 1}. Exiting.`,
    );
  }
  warn(`You requested maxclients of ${wanted} requiring at least ${wanted + RESERVED_FDS} max file descriptors.`);
  warn(
    `Current maximum open files is ${String(limit)}. maxclients has been reduced to ${room} to compensate for low ulimit. ` +
      "If you need higher maxclients increase 'ulimit -n'.",
  );
  const def = config.lookup('maxclients');
  const err = def === undefined ? undefined : config.store(def, BigInt(room));
  return err instanceof Error ? err : null;
}

/** CONFIG SET maxclients: refused past the descriptor limit, with Redis's message. */
export function maxclientsApply(_target: ConfigTarget, value: ParamValue): Error | undefined {
  const room = clientsWithin(openFilesLimit());
  if (room !== null && Number(value) > room) return new Error(E.maxclientsOverFileLimit(room));
  return undefined;
}
