// Memory held for clients, as Redis 7.0 accounts it for client eviction: each client's query
// buffer (unparsed bytes plus the arguments of the request being read) and its unsent output. The
// sums feed three bounds: maxmemory-clients (the clients using the most are evicted until the
// total is under it), a fixed total for all unauthenticated clients together, and auth-timeout.

import type { Client } from './client.js';
import type { Server } from './server.js';
import { closeUnauthenticated, pendingOutput } from '../security/output-limits.js';
import { auditEvent, clientFields } from '../security/audit-log.js';

/** What all unauthenticated clients together may hold in query buffers and unsent output. */
const UNAUTH_TOTAL = 32 * 1024 * 1024;

export class ClientMemory {
  /** Memory of every normal and pub/sub client (what maxmemory-clients bounds). */
  total = 0;
  /** Memory of the clients that have not authenticated yet. */
  unauthTotal = 0;
  /** INFO stats evicted_clients. */
  evicted = 0;
  /** Unauthenticated clients cut off by their bounds (INFO unauthenticated_client_disconnections). */
  unauthDisconnections = 0;
  /** Clients closed by auth-timeout (INFO auth_timeout_disconnections). */
  authTimeouts = 0;
  /**
   * maxmemory-clients in bytes (0: off), set by Server.applyConfig. A percentage is of maxmemory,
   * as in Redis: off while maxmemory is 0.
   */
  limit = 0;

  /** Takes maxmemory-clients (negative: a percentage) and maxmemory in force. */
  configure(maxmemoryClients: number, maxmemory: number): void {
    this.limit = maxmemoryClients >= 0 ? maxmemoryClients : Math.floor((maxmemory * -maxmemoryClients) / 100);
  }

  /** CONFIG RESETSTAT. */
  resetStats(): void {
    this.evicted = this.unauthDisconnections = this.authTimeouts = 0;
  }

  /** What the client holds now. */
  static usage(c: Client): number {
    const p = c.parser;
    return (p === null ? 0 : p.buffered + p.pendingArgvBytes) + pendingOutput(c);
  }

  /** Updates the client's share of the sums; `unauth`: it has not authenticated. */
  track(c: Client, unauth: boolean): void {
    const used = ClientMemory.usage(c);
    if (c.kind !== 'replica' && c.kind !== 'master') this.total += used - c.memUsage;
    if (c.memUnauth) this.unauthTotal -= c.memUsage;
    if (unauth) this.unauthTotal += used;
    c.memUsage = used;
    c.memUnauth = unauth;
  }

  /** A client went away: its memory leaves the sums. */
  forget(c: Client): void {
    if (c.kind !== 'replica' && c.kind !== 'master') this.total -= c.memUsage;
    if (c.memUnauth) this.unauthTotal -= c.memUsage;
    c.memUsage = 0;
    c.memUnauth = false;
  }
}

/**
 * After a client's input was processed: accounts its memory, cuts it off if it is unauthenticated
 * and the unauthenticated clients together hold too much, and evicts clients past
 * maxmemory-clients. Returns false when `c` was closed.
 */
export function enforceClientMemory(server: Server, c: Client): boolean {
  const mem = server.clientMemory;
  const unauth = server.authRequired(c);
  mem.track(c, unauth);
  if (unauth && mem.unauthTotal > UNAUTH_TOTAL) {
    closeUnauthenticated(server, c, 'total', c.memUsage);
    return false;
  }
  const limit = mem.limit;
  if (limit > 0 && mem.total > limit) evictClients(server, limit);
  return !c.closed;
}

/**
 * Redis 7.0's evictClients: while the clients' memory is over the limit, the normal or pub/sub
 * client using the most is closed (never one marked CLIENT NO-EVICT).
 */
function evictClients(server: Server, limit: number): void {
  const mem = server.clientMemory;
  while (mem.total > limit) {
    let victim: Client | null = null;
    for (const c of server.clients.values()) {
      if (c.noEvict || c.kind === 'replica' || c.kind === 'master' || c.socket === null) continue;
      if (victim === null || c.memUsage > victim.memUsage) victim = c;
    }
    if (victim === null || victim.memUsage === 0) return;
    mem.evicted++;
    server.log.verbose(`Evicting client: id=${victim.id} addr=${victim.addr} tot-mem=${victim.memUsage}`);
    auditEvent(server, 'client-evicted', { ...clientFields(victim), memory: victim.memUsage, limit });
    victim.reply.take();
    server.closeClient(victim);
    mem.forget(victim);
  }
}

/**
 * Once a second: closes clients that have not authenticated within auth-timeout seconds (when a
 * password is set), refreshes every client's memory (a socket drains without an event of ours)
 * and evicts past maxmemory-clients.
 */
export function clientsCron(server: Server, now: number): void {
  const timeout = server.config.num('auth-timeout');
  const mem = server.clientMemory;
  for (const c of [...server.clients.values()]) {
    if (c.socket === null || c.closed) continue;
    const unauth = server.authRequired(c);
    if (unauth && timeout > 0 && now - c.createdAt >= timeout * 1000) {
      mem.authTimeouts++;
      server.log.verbose(`Closing client that did not authenticate within ${timeout} seconds: addr=${c.addr}`);
      auditEvent(server, 'auth-timeout', { ...clientFields(c), seconds: timeout });
      server.closeClient(c);
      continue;
    }
    mem.track(c, unauth);
  }
  const limit = mem.limit;
  if (limit > 0 && mem.total > limit) evictClients(server, limit);
}
