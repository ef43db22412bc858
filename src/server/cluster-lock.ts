// The lock on a cluster node's nodes.conf (Redis's clusterLockConfig): two nodes must never share
// one cluster config file. Redis holds flock() on the file for the life of the process; Node has
// no flock, so the lock is a file beside it (`<nodes.conf>.lock`), put in place atomically and
// naming the process that holds it. A lock whose process is gone (kill -9, a crash) is stale and
// is taken over at the next start.

import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** The lock is held by another live process, or cannot be taken: the server must not start. */
class ClusterLockError extends Error {}

/** When a process started, from Linux's /proc (field 22 of its stat line); null where unknown. */
function startTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

/** True while a process with this pid runs (EPERM: one runs, as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the lock text names a process that is alive now and is the one that wrote it: a pid
 * alone may have been reused (after a crash, or in a new container where this server has the
 * same pid as its previous life), so the start time recorded beside it must match too.
 */
function holderAlive(text: string): boolean {
  const m = /^(\d+) (\d*)\n$/.exec(text);
  if (m === null) return false;
  const pid = Number(m[1]);
  if (pid === process.pid || !processAlive(pid)) return false;
  const recorded = m[2] ?? '';
  const now = startTime(pid);
  return recorded === '' || now === null || now === recorded;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** A lock this process holds on one nodes.conf. */
export class ClusterConfigLock {
  private held = true;

  private constructor(
    private readonly path: string,
    private readonly text: string,
    /** A stale lock this one replaced, for the log. */
    readonly replaced: string | null,
  ) {}

  /**
   * Takes the lock on `configFile`, taking over a stale one. Throws ClusterLockError with Redis's
   * message (naming the file as configured, `name`) when a live node holds it.
   */
  static acquire(configFile: string, name: string): ClusterConfigLock {
    const path = `${configFile}.lock`;
    const text = `${process.pid} ${startTime(process.pid) ?? ''}\n`;
    const busy = (): ClusterLockError =>
      new ClusterLockError(
        `Sorry, the cluster configuration file ${name} is already used by a different Redis Cluster node. ` +
          'Please make sure that different nodes use different cluster configuration files.',
      );
    const impossible = (err: unknown): ClusterLockError => new ClusterLockError(`Impossible to lock ${name}: ${(err as Error).message}`);
    // Written whole first, then linked into place: whoever reads the lock reads all of it.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(tmp, text, { mode: 0o644 });
    } catch (err) {
      throw new ClusterLockError(`Can't open ${name} in order to acquire a lock: ${(err as Error).message}`);
    }
    let replaced: string | null = null;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(tmp, path);
          return new ClusterConfigLock(path, text, replaced);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw impossible(err);
        }
        const holder = readOrNull(path);
        if (holder === null) continue;
        if (holderAlive(holder)) throw busy();
        // Stale: moved aside and removed only if it is still the lock judged stale. Another node
        // starting at the same moment may have replaced it already; that one is put back.
        const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
        try {
          renameSync(path, aside);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw impossible(err);
        }
        const moved = readOrNull(aside);
        if (moved !== holder) {
          try {
            linkSync(aside, path);
          } catch {
            // A third node holds it now.
          }
          removeQuietly(aside);
          throw busy();
        }
        removeQuietly(aside);
        replaced = holder.trim();
      }
      throw busy();
    } finally {
      removeQuietly(tmp);
    }
  }

  /** Gives the lock up (at exit), unless another process holds it by now. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      if (readFileSync(this.path, 'latin1') === this.text) unlinkSync(this.path);
    } catch {
      // Gone already.
    }
  }
}
