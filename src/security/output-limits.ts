// client-output-buffer-limit, as Redis's checkClientOutputBufferLimits: a client whose unsent
// replies reach the hard limit of its class is closed at once; one that stays at or over the soft
// limit for longer than the soft seconds is closed too; an unauthenticated client is closed past
// 1 KB (Redis's fix for CVE-2025-21605). Unsent bytes are the replies not yet handed to the socket
// plus what the socket still holds (a peer that stops reading grows the latter). The reply writer
// stops at the hard limit even inside one command, so no single reply outgrows it.

import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { auditEvent, clientFields } from './audit-log.js';

interface ClassLimit {
  readonly hard: number;
  readonly soft: number;
  readonly softSeconds: number;
}

export interface OutputLimits {
  readonly normal: ClassLimit;
  readonly replica: ClassLimit;
  readonly pubsub: ClassLimit;
}

const NONE: ClassLimit = { hard: 0, soft: 0, softSeconds: 0 };

/** Unsent output an unauthenticated client may have before it is disconnected (Redis's CVE-2025-21605 fix). */
const UNAUTH_MAX_OUTPUT = 1024;

/**
 * Parses the stored directive ("normal H S s slave H S s pubsub H S s"); the server does it once
 * per configuration change (Server.outputLimits), not on every check.
 */
export function parseOutputLimits(stored: string): OutputLimits {
  const w = stored.split(' ');
  const byClass = new Map<string, ClassLimit>();
  for (let j = 0; j + 3 < w.length; j += 4) {
    const cls = w[j];
    if (cls === undefined) break;
    byClass.set(cls, { hard: Number(w[j + 1]), soft: Number(w[j + 2]), softSeconds: Number(w[j + 3]) });
  }
  return {
    normal: byClass.get('normal') ?? NONE,
    replica: byClass.get('slave') ?? NONE,
    pubsub: byClass.get('pubsub') ?? NONE,
  };
}

/** The class whose limits apply (Redis's getClientType: a master's link counts as normal). */
function limitFor(limits: OutputLimits, c: Client): ClassLimit {
  return c.kind === 'replica' ? limits.replica : c.kind === 'pubsub' ? limits.pubsub : limits.normal;
}

/** Bytes produced for the client and not yet accepted by the kernel. */
export function pendingOutput(c: Client): number {
  return c.reply.pending + (c.socket?.writableLength ?? 0) + c.replicaPending;
}

/**
 * Sets how far the client's reply writer may grow within one command: its class's hard limit less
 * what the socket already holds (an unlimited class: no ceiling). Past it the writer drops the
 * reply and the client is closed after the command, as Redis stops adding to the output buffer of
 * a client scheduled to close.
 */
export function setReplyCeiling(c: Client): void {
  const hard = limitFor(c.server.outputLimits, c).hard;
  c.reply.limit = hard === 0 ? Infinity : hard - (c.socket?.writableLength ?? 0);
}

/**
 * Checks the client against its class's limits; closes it and returns true when over.
 * `now` lets the cron pass one clock reading for every client; otherwise the clock is read only
 * when a soft limit is reached (this runs after every command: a clock read costs more than the rest).
 */
export function checkOutputLimits(c: Client, now?: number): boolean {
  if (c.socket === null || c.closed) return false;
  const limit = limitFor(c.server.outputLimits, c);
  if (c.reply.overflowed) {
    closeForOutputLimit(c, Math.max(pendingOutput(c), c.reply.limit), limit);
    return true;
  }
  const used = pendingOutput(c);
  if (used > UNAUTH_MAX_OUTPUT && c.server.authRequired(c)) {
    closeUnauthenticated(c.server, c, 'output', used);
    return true;
  }
  if (limit.hard === 0 && limit.soft === 0) return false;
  let over = limit.hard !== 0 && used >= limit.hard;
  if (!over && limit.soft !== 0 && used >= limit.soft) {
    const t = now ?? Date.now();
    if (c.obufSoftSince === 0) {
      c.obufSoftSince = t;
    } else if (t - c.obufSoftSince > limit.softSeconds * 1000) {
      over = true;
    }
  } else if (!over) {
    c.obufSoftSince = 0;
  }
  if (!over) return false;
  closeForOutputLimit(c, used, limit);
  return true;
}

function closeForOutputLimit(c: Client, used: number, limit: ClassLimit): void {
  const server = c.server;
  server.stats.outputLimitDisconnections++;
  server.log.warning(`Client ${describe(c, used)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
  auditEvent(server, 'output-buffer-limit', {
    ...clientFields(c),
    class: c.kind === 'master' ? 'normal' : c.kind,
    pending: used,
    hard: limit.hard,
    soft: limit.soft,
    soft_seconds: limit.softSeconds,
  });
  // Nothing more is sent: the queued replies are what the limit is protecting memory from.
  c.reply.take();
  server.closeClient(c);
}

/**
 * Closes an unauthenticated client that passed one of its bounds: `output` (1 KB unsent), `query`
 * (its query buffer bound) or `total` (what all unauthenticated clients hold together).
 */
export function closeUnauthenticated(server: Server, c: Client, bound: 'output' | 'query' | 'total', bytes: number): void {
  server.clientMemory.unauthDisconnections++;
  server.log.verbose(`Closing unauthenticated client that passed its ${bound} bound (${bytes} bytes): addr=${c.addr}`);
  auditEvent(server, 'unauthenticated-limit', { ...clientFields(c), bound, bytes });
  // Nothing more is sent: the queued replies are what the bound is protecting memory from.
  c.reply.take();
  server.closeClient(c);
}

/** Cron pass: soft limits expire even when nothing new is queued for the client. */
export function checkAllOutputLimits(server: Server): void {
  const now = Date.now();
  for (const c of [...server.clients.values()]) checkOutputLimits(c, now);
}

/** The client as Redis's log line names it (the leading CLIENT LIST fields and the backlog). */
function describe(c: Client, used: number): string {
  const now = Date.now();
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} name=${c.name} age=${Math.floor((now - c.createdAt) / 1000)} ` +
    `idle=${Math.floor((now - c.lastInteraction) / 1000)} db=${c.dbIndex} omem=${used} ` +
    `cmd=${c.lastCommand ? c.lastCommand.fullName : 'NULL'} user=${c.user}`
  );
}
