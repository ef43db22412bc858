// Brute-force throttling of AUTH and HELLO AUTH. Failures are counted per (source, user name):
// that pair's attempts wait progressively longer and the pair is locked out past a threshold.
// Each user name also has a budget of guesses per second across all sources, kept apart for
// sources already failing on it, new sources, and new connections from this host, so a guesser
// with many addresses is held to that rate while it never touches a client with no failures.
// The model and its numbers: docs/security-operations.md#brute-force-throttling-redoubt-addition.

import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { auditEvent, clientFields } from './audit-log.js';

/** The auth-failure-* directives, read once per attempt. */
export interface ThrottleSettings {
  readonly windowMs: number;
  /** Failures of a (source, user name) pair allowed before its attempts start to wait. */
  readonly delayAfter: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Failures of a pair in the window that lock it out; 0: never. */
  readonly lockoutThreshold: number;
  readonly lockoutMs: number;
  /** Guesses per second per user name, in each of its budgets. */
  readonly userRate: number;
  /** Guesses a budget allows at once before the rate applies. */
  readonly userBurst: number;
}

/** Who is attempting: the source failures are counted under, and whether it is this host. */
export interface Who {
  readonly source: string;
  /**
   * A connection from this host (unix socket, or a TCP peer at the server's own address): every
   * local process shares that address, so each such connection is its own source.
   */
  readonly sameHost: boolean;
}

/** Entries kept per table: an attacker rotating addresses or user names cannot grow memory past this. */
const MAX_TRACKED = 10000;
/** How long a successful login exempts its (source, user name) pair from the user name's budget. */
const TRUST_MS = 3600_000;
/** Longer user names are tracked by a fixed-size stand-in, so the table's memory stays bounded. */
const MAX_NAME_KEY = 128;
/** Full sweeps of idle entries happen at most this often; a full table in between looks only at its oldest entry. */
const PRUNE_EVERY_MS = 1000;

/**
 * Failures in the last window, estimated from the count of the window in progress plus the
 * previous window's count weighted by how much of it still overlaps: O(1) memory per entry.
 */
class Tally {
  start = 0;
  cur = 0;
  prev = 0;

  private roll(now: number, windowMs: number): void {
    const elapsed = now - this.start;
    if (elapsed >= 2 * windowMs) {
      this.prev = this.cur = 0;
      this.start = now;
    } else if (elapsed >= windowMs) {
      this.prev = this.cur;
      this.cur = 0;
      this.start += windowMs;
    }
  }

  count(now: number, windowMs: number): number {
    this.roll(now, windowMs);
    const overlap = 1 - (now - this.start) / windowMs;
    return Math.floor(this.cur + this.prev * Math.max(0, overlap));
  }

  add(now: number, windowMs: number): number {
    if (this.cur === 0 && this.prev === 0) this.start = now;
    this.roll(now, windowMs);
    this.cur++;
    return this.count(now, windowMs);
  }

  reset(): void {
    this.cur = this.prev = 0;
  }
}

/** One (source, user name) pair's failures, lockout, and attempts waiting. */
class Pair extends Tally {
  /** Attempts waiting out their delay: they count as failures-to-be, so parallel connections gain nothing. */
  pending = 0;
  lockedUntil = 0;
  /** When the last attempt scheduled for this pair runs: the pair's attempts go one at a time. */
  busyUntil = 0;

  idle(now: number, windowMs: number): boolean {
    return this.pending === 0 && this.lockedUntil <= now && this.busyUntil <= now && this.count(now, windowMs) === 0;
  }
}

/**
 * A budget of guesses (failed checks), refilled at `userRate` per second up to `userBurst`
 * (a GCRA: `tat` is when the budget is full again). A success costs nothing. Attempts waiting
 * for the budget are counted as spent, so they come out one per interval, in order.
 */
class Budget {
  tat = 0;
  pending = 0;

  /** When an attempt may be checked, with `extra` more attempts ahead of it in the same command. */
  slot(now: number, cfg: ThrottleSettings, extra: number): number {
    const interval = 1000 / cfg.userRate;
    return Math.max(now, this.tat - (cfg.userBurst - this.pending - extra - 1) * interval);
  }

  spend(now: number, cfg: ThrottleSettings): void {
    this.tat = Math.max(this.tat, now) + 1000 / cfg.userRate;
  }

  idle(now: number): boolean {
    return this.pending === 0 && this.tat <= now;
  }
}

/** Which budget of its user name an attempt draws on. */
const FAILING = 0;
const NEW_SOURCE = 1;
const NEW_LOCAL = 2;

class UserBudgets {
  readonly budgets: readonly [Budget, Budget, Budget] = [new Budget(), new Budget(), new Budget()];

  of(pairFailures: number, who: Who): Budget {
    return this.budgets[pairFailures > 0 ? FAILING : who.sameHost ? NEW_LOCAL : NEW_SOURCE];
  }

  idle(now: number): boolean {
    return this.budgets.every((b) => b.idle(now));
  }
}

/** Attempts registered as waiting; release() undoes that when the wait is over. */
export interface Schedule {
  /** When the attempts may be checked (ms since the epoch); `now` or earlier: at once. */
  readonly at: number;
  /** The user name and pair failures of the attempt that waits longest, for the audit event. */
  readonly username: string;
  readonly failures: number;
  readonly waiting: readonly { readonly pair: Pair; readonly budget: Budget | null }[];
}

/**
 * The throttle's tables and decisions. No I/O and no clock of its own (`now` is passed in), so it
 * can be exercised on its own; the functions after it connect it to the server.
 */
export class AuthThrottle {
  private readonly pairs = new Map<string, Pair>();
  private readonly users = new Map<string, UserBudgets>();
  /** Names that find the user table full of live entries share this one, rather than evicting a live one. */
  private overflow = new UserBudgets();
  /** (source, user name) → until when a successful login exempts it from the user name's budget. */
  private readonly trusted = new Map<string, number>();
  private lastPrune = 0;

  constructor(readonly maxEntries = MAX_TRACKED) {}

  /**
   * Plans the credential checks of one command (AUTH: one, HELLO or EXEC: one per AUTH in it, in
   * order): when they may run, given each pair's failures and delay and each user name's budget.
   * If that is later than `now` the attempts are registered as waiting; call release() when the
   * wait ends. Attempts of a locked-out pair need no wait: they fail unchecked.
   */
  schedule(who: Who, usernames: readonly string[], now: number, cfg: ThrottleSettings): Schedule {
    this.maybePrune(now, cfg.windowMs);
    const plan: { key: string; budget: Budget | null; at: number }[] = [];
    // Attempts of this command ahead of the current one, per pair and per budget.
    const ahead = new Map<string | Budget, number>();
    const busy = new Map<string, number>();
    let at = now;
    let username = usernames[0] ?? '';
    let failures = 0;
    for (const user of usernames) {
      const key = pairKey(who.source, user);
      const pair = this.pairs.get(key);
      if (pair !== undefined && pair.lockedUntil > now) continue;
      const n = (pair === undefined ? 0 : pair.count(now, cfg.windowMs) + pair.pending) + (ahead.get(key) ?? 0);
      const after = Math.max(now, busy.get(key) ?? pair?.busyUntil ?? 0);
      // Past the threshold the pair is locked by the time this runs, if the attempts ahead fail:
      // it only has to come after them (then it fails unchecked, or is checked if one succeeded).
      const delay = cfg.lockoutThreshold > 0 && n >= cfg.lockoutThreshold ? (after > now ? 1 : 0) : delayFor(n, cfg);
      let t = delay === 0 ? now : after + delay;
      let budget: Budget | null = null;
      if (!this.isTrusted(key, now)) {
        budget = this.userBudgets(user, now).of(n, who);
        t = Math.max(t, budget.slot(now, cfg, ahead.get(budget) ?? 0));
        ahead.set(budget, (ahead.get(budget) ?? 0) + 1);
      }
      ahead.set(key, (ahead.get(key) ?? 0) + 1);
      busy.set(key, t);
      plan.push({ key, budget, at: t });
      if (t > at) {
        at = t;
        username = user;
        failures = n;
      }
    }
    if (at <= now) return { at, username, failures, waiting: [] };
    // The command waits: every attempt in it counts as waiting until it runs.
    const waiting = plan.map(({ key, budget, at: t }) => {
      const pair = this.pair(key, now, cfg.windowMs);
      pair.pending++;
      pair.busyUntil = Math.max(pair.busyUntil, t);
      if (budget !== null) budget.pending++;
      return { pair, budget };
    });
    return { at, username, failures, waiting };
  }

  /** The wait of a schedule is over (its attempts are about to be checked, or were dropped). */
  release(s: Schedule): void {
    for (const { pair, budget } of s.waiting) {
      pair.pending = Math.max(0, pair.pending - 1);
      if (budget !== null) budget.pending = Math.max(0, budget.pending - 1);
    }
  }

  /** True while `source` is locked out for `user`: attempts fail without being checked. */
  locked(source: string, user: string, now: number): boolean {
    const p = this.pairs.get(pairKey(source, user));
    return p !== undefined && p.lockedUntil > now;
  }

  /** Counts a failure; returns the pair's failures in the window and whether this one locked it out. */
  failed(who: Who, user: string, now: number, cfg: ThrottleSettings): { failures: number; lockedOut: boolean } {
    this.maybePrune(now, cfg.windowMs);
    const key = pairKey(who.source, user);
    const pair = this.pair(key, now, cfg.windowMs);
    if (!this.isTrusted(key, now)) this.userBudgets(user, now).of(pair.count(now, cfg.windowMs), who).spend(now, cfg);
    const failures = pair.add(now, cfg.windowMs);
    if (cfg.lockoutThreshold === 0 || failures < cfg.lockoutThreshold) return { failures, lockedOut: false };
    // A fresh start once the lockout ends: the pair gets its free attempts again.
    pair.lockedUntil = now + cfg.lockoutMs;
    pair.reset();
    return { failures, lockedOut: true };
  }

  /**
   * A success clears its own pair's failures (no other pair's, no budget) and trusts the pair for
   * a while. A connection from this host is trusted for nothing: its next login is another source.
   */
  succeeded(who: Who, user: string, now: number): void {
    const key = pairKey(who.source, user);
    this.pairs.get(key)?.reset();
    if (who.sameHost) return;
    this.trusted.delete(key);
    this.trusted.set(key, now + TRUST_MS);
    while (this.trusted.size > this.maxEntries) {
      const oldest = this.trusted.keys().next();
      if (oldest.done === true) break;
      this.trusted.delete(oldest.value);
    }
  }

  /** Pairs locked out now. */
  lockedCount(now: number): number {
    let n = 0;
    for (const p of this.pairs.values()) if (p.lockedUntil > now) n++;
    return n;
  }

  /** Entries held, per table (for tests and diagnostics). */
  size(): { pairs: number; users: number; trusted: number } {
    return { pairs: this.pairs.size, users: this.users.size, trusted: this.trusted.size };
  }

  clear(): void {
    this.pairs.clear();
    this.users.clear();
    this.trusted.clear();
    this.overflow = new UserBudgets();
  }

  private isTrusted(key: string, now: number): boolean {
    const until = this.trusted.get(key);
    return until !== undefined && until > now;
  }

  /** The pair's entry, created if needed and moved to the young end; a full table drops its oldest. */
  private pair(key: string, now: number, windowMs: number): Pair {
    const e = this.pairs.get(key);
    if (e !== undefined) {
      this.pairs.delete(key);
      this.pairs.set(key, e);
      return e;
    }
    if (this.pairs.size >= this.maxEntries) this.makeRoom(this.pairs, (p) => p.idle(now, windowMs), now, windowMs);
    // Still full of live pairs: the least recently used goes. The user name budgets still hold.
    while (this.pairs.size >= this.maxEntries) {
      const oldest = this.pairs.keys().next();
      if (oldest.done === true) break;
      this.pairs.delete(oldest.value);
    }
    const p = new Pair();
    this.pairs.set(key, p);
    return p;
  }

  /**
   * The user name's budgets. A full table of live entries is never thinned by evicting one (that
   * would hand a guessed name a fresh budget): new names share the overflow budgets instead.
   */
  private userBudgets(user: string, now: number): UserBudgets {
    const key = userKey(user);
    const e = this.users.get(key);
    if (e !== undefined) {
      this.users.delete(key);
      this.users.set(key, e);
      return e;
    }
    if (this.users.size >= this.maxEntries) this.makeRoom(this.users, (u) => u.idle(now), now, 0);
    if (this.users.size >= this.maxEntries) return this.overflow;
    const u = new UserBudgets();
    this.users.set(key, u);
    return u;
  }

  /** Frees a slot in a full table: the oldest entry if idle, else (at most once a second) every idle one. */
  private makeRoom<T>(table: Map<string, T>, idle: (e: T) => boolean, now: number, windowMs: number): void {
    const oldest = table.entries().next();
    if (oldest.done !== true && idle(oldest.value[1])) {
      table.delete(oldest.value[0]);
      return;
    }
    this.maybePrune(now, windowMs);
  }

  private maybePrune(now: number, windowMs: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    for (const [k, p] of this.pairs) if (p.idle(now, windowMs)) this.pairs.delete(k);
    for (const [k, u] of this.users) if (u.idle(now)) this.users.delete(k);
    for (const [k, until] of this.trusted) if (until <= now) this.trusted.delete(k);
  }
}

/** min(base * 2^(n - after), max) once `n` failures reach `after`. */
export function delayFor(n: number, cfg: Pick<ThrottleSettings, 'delayAfter' | 'baseMs' | 'maxMs'>): number {
  if (n < cfg.delayAfter) return 0;
  return Math.min(cfg.baseMs * 2 ** (n - cfg.delayAfter), cfg.maxMs);
}

function userKey(user: string): string {
  if (user.length <= MAX_NAME_KEY) return user;
  // Cheap and stable; collisions only merge two attackers' made-up names.
  let h = 0x811c9dc5;
  for (let i = 0; i < user.length; i++) h = Math.imul(h ^ user.charCodeAt(i), 0x01000193);
  return `${user.slice(0, 64)}\0${user.length}:${(h >>> 0).toString(16)}`;
}

/** Sources never contain a newline, so the pair key is unambiguous. */
function pairKey(source: string, user: string): string {
  return `${source}\n${userKey(user)}`;
}

/**
 * Who a client is for the throttle. A unix-socket client, or a TCP peer at the very address it
 * connected to (a process on this host), is its own source, `conn:<id>`: every local process
 * shares that address, so counting them together would let one lock out the others. Any other
 * peer is counted by its IPv4 address or the /64 prefix of its IPv6 address.
 */
function whoOf(c: Client): Who {
  const s = c.socket;
  const remote = s?.remoteAddress;
  if (remote === undefined || remote === '' || plain(remote) === plain(s?.localAddress ?? '')) {
    return { source: `conn:${c.id}`, sameHost: true };
  }
  return { source: sourceKey(remote), sameHost: false };
}

/** An IPv4 address without the IPv4-mapped IPv6 prefix Node gives it on a dual-stack socket. */
function plain(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** The source of a peer address as Node reports it: the IPv4 address, or an IPv6 address's /64. */
export function sourceKey(ip: string): string {
  ip = plain(ip);
  if (!ip.includes(':')) return ip;
  return ipv6Prefix64(ip);
}

function ipv6Prefix64(ip: string): string {
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  const gap = ip.indexOf('::');
  const head = gap === -1 ? ip : ip.slice(0, gap);
  const tail = gap === -1 ? '' : ip.slice(gap + 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = gap === -1 ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

// --- the server side: settings, statistics, audit events, holding clients ---

function settings(server: Server): ThrottleSettings {
  const c = server.config;
  return {
    windowMs: c.num('auth-failure-window') * 1000,
    delayAfter: c.num('auth-failure-delay-after'),
    baseMs: c.num('auth-failure-delay-base-ms'),
    maxMs: c.num('auth-failure-delay-max-ms'),
    lockoutThreshold: c.num('auth-failure-lockout-threshold'),
    lockoutMs: c.num('auth-failure-lockout-seconds') * 1000,
    userRate: c.num('auth-failure-user-rate'),
    userBurst: c.num('auth-failure-user-burst'),
  };
}

/** Clients with no socket (scripts, loading) never authenticate over the network. */
function throttled(c: Client): boolean {
  return c.socket !== null && c.server.config.bool('auth-failure-throttling');
}

/**
 * Runs `attempt` (which checks the credentials for `usernames`, in order, and writes the reply)
 * now, or holds the client until the throttle lets those checks happen and runs it then. Other
 * clients go on meanwhile; this client's later input waits. EXEC holds itself this way for every
 * AUTH it queued before it runs, so the attempts inside it run at once.
 */
export function throttleAttempt(c: Client, usernames: readonly string[], attempt: () => void): void {
  if (!throttled(c) || c.inExec || usernames.length === 0) {
    attempt();
    return;
  }
  const server = c.server;
  const who = whoOf(c);
  const t = server.authThrottle;
  const now = Date.now();
  const plan = t.schedule(who, usernames, now, settings(server));
  if (plan.at <= now) {
    attempt();
    return;
  }
  const ms = plan.at - now;
  server.stats.authThrottled++;
  auditEvent(server, 'auth-throttled', {
    ...clientFields(c),
    reason: 'auth-throttled',
    username: plan.username,
    source: who.source,
    delay_ms: ms,
    failures: plan.failures,
  });
  server.holdClient(c, ms, () => {
    t.release(plan);
    // A client gone meanwhile has its attempt dropped unchecked: nothing learned, nothing counted.
    if (!c.closed) attempt();
  });
}

/** True while the client's source is locked out for `username`: its attempts fail without being checked. */
export function authLocked(c: Client, username: string): boolean {
  return throttled(c) && c.server.authThrottle.locked(whoOf(c).source, username, Date.now());
}

/** A failed attempt: counted, and the pair locked out when it reaches the threshold. */
export function authFailed(c: Client, username: string): void {
  if (!throttled(c)) return;
  const server = c.server;
  const who = whoOf(c);
  const cfg = settings(server);
  const { failures, lockedOut } = server.authThrottle.failed(who, username, Date.now(), cfg);
  if (!lockedOut) return;
  server.stats.authLockouts++;
  // The user name is the client's to choose: it goes to the audit log (JSON), not into a log line.
  server.log.warning(`Authentication from ${who.source} locked out for one user name for ${cfg.lockoutMs / 1000} seconds after ${failures} failures`);
  auditEvent(server, 'auth-lockout', {
    ...clientFields(c),
    reason: 'auth-locked-out',
    username,
    source: who.source,
    failures,
    lockout_seconds: cfg.lockoutMs / 1000,
  });
}

export function authSucceeded(c: Client, username: string): void {
  if (throttled(c)) c.server.authThrottle.succeeded(whoOf(c), username, Date.now());
}

/** INFO auth_lockouts_active. */
export function activeLockouts(server: Server): number {
  return server.authThrottle.lockedCount(Date.now());
}
