// Running under a service manager or in the background, as redis-server does: `supervised`
// (systemd's sd_notify, upstart's SIGSTOP), `daemonize yes` with its pidfile, and the refusal to
// run as root. Node can neither fork nor open the unix datagram socket sd_notify writes to, so
// daemonizing re-executes the command detached, and systemd messages go through systemd-notify.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from '../server/log.js';

/** Set in the environment of the re-executed, detached server (and removed from it at once). */
const DAEMON_CHILD = 'REDOUBT_DAEMON_CHILD';
/** The explicit permission to run as root. */
const ALLOW_ROOT = 'REDOUBT_ALLOW_ROOT';
/** Redis's CONFIG_DEFAULT_PID_FILE: the pidfile of a daemonized server that names none. */
export const DEFAULT_PIDFILE = '/var/run/redis.pid';

/** Why the server will not start as root, or null when it may. */
export function rootRefusal(): string | null {
  if (process.geteuid?.() !== 0) return null;
  const allow = (process.env[ALLOW_ROOT] ?? '').toLowerCase();
  if (allow === 'yes' || allow === '1') return null;
  return (
    'Redoubt refuses to run as root: a flaw in the server would be a flaw in the whole machine. ' +
    `Run it as a dedicated user (packaging/redoubt.service does), or set ${ALLOW_ROOT}=yes in its environment to run as root anyway.\n`
  );
}

/**
 * The supervision mode in force, as Redis's redisIsSupervised: `auto` picks upstart when
 * UPSTART_JOB is set, systemd when NOTIFY_SOCKET is; a mode whose environment is missing is none.
 */
export function supervision(mode: string, log: Logger): 'systemd' | 'upstart' | null {
  if (mode === 'auto') {
    if (process.env['UPSTART_JOB'] !== undefined) {
      log.verbose('Upstart supervision detected.');
      mode = 'upstart';
    } else if (process.env['NOTIFY_SOCKET'] !== undefined) {
      log.verbose('Systemd supervision detected.');
      mode = 'systemd';
    }
  }
  if (mode === 'upstart') {
    if (process.env['UPSTART_JOB'] === undefined) {
      log.warning('upstart supervision requested, but UPSTART_JOB not found!');
      return null;
    }
    log.notice('supervised by upstart, will stop to signal readiness.');
    process.kill(process.pid, 'SIGSTOP');
    delete process.env['UPSTART_JOB'];
    return 'upstart';
  }
  if (mode === 'systemd') {
    if (process.env['NOTIFY_SOCKET'] === undefined) {
      log.warning('systemd supervision requested or auto-detected, but NOTIFY_SOCKET not found!');
      return null;
    }
    log.notice('Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.');
    return 'systemd';
  }
  return null;
}

/**
 * sd_notify through systemd-notify. Its messages carry the helper's pid, not the server's, so the
 * unit needs NotifyAccess=all (packaging/redoubt.service has it); systemd-notify waits until the
 * manager has read each message (its barrier), so none is lost to the helper exiting first.
 */
export class SystemdNotifier {
  private pending = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Sends `assignments` (e.g. "READY=1") as one message. */
  notify(...assignments: string[]): void {
    let child: ChildProcess;
    try {
      child = spawn('systemd-notify', assignments, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      this.log.warning(`Cannot notify systemd: ${(err as Error).message}`);
      return;
    }
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        this.log.warning(`Cannot notify systemd (is systemd-notify installed?): ${err.message}`);
        resolve();
      });
      child.once('close', (code) => {
        if (code !== 0) this.log.warning(`systemd-notify ${assignments.join(' ')} failed: ${stderr.trim() || `exit status ${String(code)}`}`);
        resolve();
      });
    });
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  /** Resolves when every message sent so far is delivered or failed (at most `ms` later). */
  async settled(ms = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.all(this.pending), timeout]);
    clearTimeout(timer);
  }
}

/** True in the detached server a `daemonize yes` start re-executed (the variable is consumed). */
export function isDaemonChild(): boolean {
  const set = process.env['REDOUBT_DAEMON_CHILD'] === '1';
  delete process.env['REDOUBT_DAEMON_CHILD'];
  return set && typeof process.send === 'function';
}

/** In the daemon child, once it listens: lets the waiting parent exit. */
export function releaseParent(): void {
  // The parent may be gone already (killed while it waited): then there is no one to tell.
  if (typeof process.send !== 'function' || !process.connected) return;
  process.send('ready', () => {
    if (process.connected) process.disconnect();
  });
}

/**
 * `daemonize yes` (not supervised): runs this same command again detached, in its own session,
 * with its output to `logfile` (or nowhere, as Redis's /dev/null), and resolves to the status
 * this process exits with: 0 once the child listens, the child's own if it exits first.
 */
export function daemonize(logfile: string): Promise<number> {
  let out: number | 'ignore' = 'ignore';
  if (logfile !== '') {
    try {
      out = openSync(logfile, 'a');
    } catch (err) {
      process.stderr.write(`Can't open the log file: ${(err as Error).message}\n`);
      return Promise.resolve(1);
    }
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  });
  if (typeof out === 'number') closeSync(out);
  return new Promise<number>((resolve) => {
    let settled = false;
    child.once('message', (m) => {
      if (m !== 'ready' || settled) return;
      settled = true;
      child.disconnect();
      child.unref();
      resolve(0);
    });
    child.once('error', (err) => {
      if (settled) return;
      settled = true;
      process.stderr.write(`Cannot start the background server: ${err.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      const where = logfile !== '' ? `see ${logfile}` : 'set logfile to see why';
      process.stderr.write(`The background server exited before it was ready (${signal ?? `status ${String(code)}`}); ${where}.\n`);
      resolve(code === null || code === 0 ? 1 : code);
    });
  });
}
