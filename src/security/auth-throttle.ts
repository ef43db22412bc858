// Brute-force throttling of AUTH and HELLO AUTH: failed attempts are counted per source address
// and per attempted user name in a sliding window; further attempts wait progressively longer
// before they are checked, and a source past the lockout threshold fails every attempt for a while.
// Per-user counts only ever add delay, so no one can lock a user out for everybody.

import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { ParamValue } from '../config/types.js';
import { auditEvent, clientFields } from './audit-log.js';

/** The auth-failure-* directives, read once per attempt. */
export interface ThrottleSettings {
  readonly windowMs: number;
  /** Failures allowed before attempts start to wait. */
  readonly delayAfter: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Failures in the window that lock the source out; 0: never. */
  readonly lockoutThreshold: number;
  readonly lockoutMs: number;
}

/** Entries kept per table: an attacker rotating addresses or user names cannot grow memory past this. */
export const MAX_TRACKED = 10000;
/** Longer user names are tracked by a fixed-size stand-in, so the table's memory stays bounded. */
const MAX_NAME_KEY = 128;

/**
 * Failures in the last window, estimated from the count of the window in progress plus the
 * previous window's count weighted by how much of it still overlaps: O(1) memory per entry.
 */
class Tally {
  start = 0;
  cur = 0;
  prev = 0;
  /** Attempts waiting out their delay: they count as failures-to-be, so parallel connections gain nothing. */
  pending = 0;

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

  idle(now: number, windowMs: number): boolean {
    return this.pending === 0 && this.count(now, windowMs) === 0;
  }
}

class Source extends Tally {
  lockedUntil = 0;
  /** When the last scheduled attempt from this source runs: attempts from one source go one at a time. */
  busyUntil = 0;
  /** Ends the waits of this source's held attempts early (they fail at once when it is locked out). */
  readonly held = new Set<() => void>();
}

/** How one attempt proceeds. */
export type Plan =
  | { readonly kind: 'now' }
  | { readonly kind: 'locked' }
  | { readonly kind: 'wait'; readonly ms: number; readonly failures: number; readonly source: Source; readonly user: Tally };

/** The two tables and their bookkeeping; no I/O, so it can be exercised on its own. */
export class AuthThrottle {
  readonly sources = new Map<string, Source>();
  readonly users = new Map<string, Tally>();
  private lastPrune = 0;

  constructor(readonly maxEntries = MAX_TRACKED) {}

  locked(source: string, now: number): boolean {
    const s = this.sources.get(source);
    return s !== undefined && s.lockedUntil > now;
  }

  /** Decides whether an attempt runs now, waits, or (locked source) fails at once. */
  plan(source: string, user: string, now: number, cfg: ThrottleSettings): Plan {
    this.maybePrune(now, cfg.windowMs);
    const s = this.sources.get(source);
    if (s !== undefined && s.lockedUntil > now) return { kind: 'locked' };
    const u = this.users.get(userKey(user));
    const bySource = s === undefined ? 0 : s.count(now, cfg.windowMs) + s.pending;
    const byUser = u === undefined ? 0 : u.count(now, cfg.windowMs) + u.pending;
    const ms = Math.max(delayFor(bySource, cfg), delayFor(byUser, cfg));
    if (ms === 0) return { kind: 'now' };
    const src = this.touch(this.sources, source, () => new Source(), now, cfg.windowMs);
    const usr = this.touch(this.users, userKey(user), () => new Tally(), now, cfg.windowMs);
    // The user's delay is per attempt; the source's attempts also queue behind each other.
    const at = Math.max(now + ms, src.busyUntil + delayFor(bySource, cfg));
    src.busyUntil = at;
    return { kind: 'wait', ms: at - now, failures: Math.max(bySource, byUser), source: src, user: usr };
  }

  /** Counts a failure; returns the source's failures in the window and whether this one locked it out. */
  failed(source: string, user: string, now: number, cfg: ThrottleSettings): { failures: number; lockedOut: boolean } {
    this.maybePrune(now, cfg.windowMs);
    this.touch(this.users, userKey(user), () => new Tally(), now, cfg.windowMs).add(now, cfg.windowMs);
    const s = this.touch(this.sources, source, () => new Source(), now, cfg.windowMs);
    const failures = s.add(now, cfg.windowMs);
    if (cfg.lockoutThreshold === 0 || failures < cfg.lockoutThreshold) return { failures, lockedOut: false };
    // A fresh start once the lockout ends: the source gets its free attempts again.
    s.lockedUntil = now + cfg.lockoutMs;
    s.reset();
    return { failures, lockedOut: true };
  }

  /** A success forgets the source's and that user's failures. */
  succeeded(source: string, user: string): void {
    this.sources.get(source)?.reset();
    this.users.get(userKey(user))?.reset();
  }

  lockedCount(now: number): number {
    let n = 0;
    for (const s of this.sources.values()) if (s.lockedUntil > now) n++;
    return n;
  }

  clear(): void {
    for (const s of this.sources.values()) for (const release of s.held) release();
    this.sources.clear();
    this.users.clear();
  }

  /** The entry for `key`, created if needed, moved to the young end (the table evicts from the old end). */
  private touch<T extends Tally>(table: Map<string, T>, key: string, create: () => T, now: number, windowMs: number): T {
    let e = table.get(key);
    if (e !== undefined) {
      table.delete(key);
    } else {
      if (table.size >= this.maxEntries) this.prune(table, now, windowMs);
      // Still full: the least recently used entry goes, whatever it holds.
      while (table.size >= this.maxEntries) table.delete(table.keys().next().value!);
      e = create();
    }
    table.set(key, e);
    return e;
  }

  private maybePrune(now: number, windowMs: number): void {
    if (now - this.lastPrune < 1000) return;
    this.lastPrune = now;
    this.prune(this.sources, now, windowMs);
    this.prune(this.users, now, windowMs);
  }

  private prune(table: Map<string, Tally>, now: number, windowMs: number): void {
    for (const [k, e] of table) {
      if (e instanceof Source && (e.lockedUntil > now || e.busyUntil > now)) continue;
      if (e.idle(now, windowMs)) table.delete(k);
    }
  }
}

/** min(base * 2^(n - after), max) once `n` failures reach `after`. */
export function delayFor(n: number, cfg: ThrottleSettings): number {
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

/**
 * The source an attempt is counted under: the IPv4 address, the /64 prefix of an IPv6 address
 * (one host usually owns a whole /64), or 'unix' for every unix-socket client.
 */
export function sourceOf(c: Client): string {
  return c.socket === null ? '' : sourceKey(c.socket.remoteAddress);
}

/** sourceOf for a peer address as Node reports it (undefined for a unix socket). */
export function sourceKey(ip: string | undefined): string {
  if (ip === undefined || ip === '') return 'unix';
  if (ip.startsWith('::ffff:') && ip.includes('.')) ip = ip.slice(7);
  if (!ip.includes(':')) return ip;
  return ipv6Prefix64(ip);
}

function ipv6Prefix64(ip: string): string {
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const left = head === '' ? [] : head!.split(':');
  const right = tail === null || tail === '' || tail === undefined ? [] : tail.split(':');
  const groups = tail === null ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

// --- the server side: settings, statistics, audit events, holding clients ---

const throttles = new WeakMap<Server, AuthThrottle>();

export function throttleOf(server: Server): AuthThrottle {
  let t = throttles.get(server);
  if (t === undefined) {
    t = new AuthThrottle();
    throttles.set(server, t);
  }
  return t;
}

function settings(server: Server): ThrottleSettings {
  const c = server.config;
  return {
    windowMs: c.num('auth-failure-window') * 1000,
    delayAfter: c.num('auth-failure-delay-after'),
    baseMs: c.num('auth-failure-delay-base-ms'),
    maxMs: c.num('auth-failure-delay-max-ms'),
    lockoutThreshold: c.num('auth-failure-lockout-threshold'),
    lockoutMs: c.num('auth-failure-lockout-seconds') * 1000,
  };
}

/** Clients with no socket (scripts, loading) never authenticate over the network. */
function throttled(c: Client): boolean {
  return c.socket !== null && c.server.config.bool('auth-failure-throttling');
}

/**
 * Runs `attempt` (which checks the credentials and writes the reply) now, or holds the client
 * for the delay its source and user name have earned and runs it then. Other clients go on
 * meanwhile; this client's later input waits. A locked-out source runs it at once: the check
 * itself fails it (authLocked).
 */
export function throttleAttempt(c: Client, username: string, attempt: () => void): void {
  // Inside EXEC nothing can wait; the lockout still applies there.
  if (!throttled(c) || c.inExec) {
    attempt();
    return;
  }
  const server = c.server;
  const source = sourceOf(c);
  const plan = throttleOf(server).plan(source, username, Date.now(), settings(server));
  if (plan.kind !== 'wait') {
    attempt();
    return;
  }
  server.stats.authThrottled++;
  auditEvent(server, 'auth-throttled', { ...clientFields(c), reason: 'auth-throttled', username, source, delay_ms: plan.ms, failures: plan.failures });
  const { source: src, user } = plan;
  src.pending++;
  user.pending++;
  const release = server.holdClient(c, plan.ms, () => {
    src.held.delete(release);
    src.pending--;
    user.pending--;
    // A client gone meanwhile has its attempt dropped unchecked: nothing learned, nothing counted.
    if (!c.closed) attempt();
  });
  src.held.add(release);
}

/** True while the client's source is locked out: its attempts fail without being checked. */
export function authLocked(c: Client): boolean {
  return throttled(c) && throttleOf(c.server).locked(sourceOf(c), Date.now());
}

/** A failed attempt: counted, and the source locked out when it reaches the threshold. */
export function authFailed(c: Client, username: string): void {
  if (!throttled(c)) return;
  const server = c.server;
  const source = sourceOf(c);
  const cfg = settings(server);
  const t = throttleOf(server);
  const { failures, lockedOut } = t.failed(source, username, Date.now(), cfg);
  if (!lockedOut) return;
  server.stats.authLockouts++;
  server.log.warning(`Authentication from ${source} locked out for ${cfg.lockoutMs / 1000} seconds after ${failures} failures`);
  auditEvent(server, 'auth-lockout', {
    ...clientFields(c),
    reason: 'auth-locked-out',
    username,
    source,
    failures,
    lockout_seconds: cfg.lockoutMs / 1000,
  });
  // Attempts from the source still waiting fail now rather than after their delay.
  const held = t.sources.get(source)?.held;
  if (held !== undefined && held.size > 0) {
    const waiting = [...held];
    setImmediate(() => {
      for (const release of waiting) release();
    });
  }
}

export function authSucceeded(c: Client, username: string): void {
  if (throttled(c)) throttleOf(c.server).succeeded(sourceOf(c), username);
}

/** INFO auth_locked_addresses. */
export function lockedSources(server: Server): number {
  return throttles.get(server)?.lockedCount(Date.now()) ?? 0;
}

/** auth-failure-throttling's apply hook: turning it off forgets every count and lockout. */
export function throttlingApply(server: Server, value: ParamValue): void {
  if (value === false) throttleOf(server).clear();
}
