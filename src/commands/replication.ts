// SYNC, PSYNC, REPLCONF, ROLE, WAIT and REPLICAOF (SLAVEOF). The work is server/replication.ts
// (the primary's side) and server/replica-link.ts (the replica's); these parse and gate. REPLICAOF
// follows only a primary listed in replica-allowed-primaries (empty by default, so the classic
// takeover, REPLICAOF to an attacker's host, is refused on a default server); the ACL (an
// @admin @dangerous command) and authentication come first, in the dispatcher.

import net from 'node:net';
import * as E from '../errors.js';
import { arg, parseInteger } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { replicationDocs } from './docs/replication.js';
import type { Client } from '../server/client.js';
import { msTimeoutArg } from '../server/blocking.js';
import { auditEvent, clientFields } from '../security/audit-log.js';

function sync(c: Client, argv: string[]): void {
  c.server.replication.sync(c, argv, false);
}

function psync(c: Client, argv: string[]): void {
  c.server.replication.sync(c, argv, true);
}

function replconf(c: Client, argv: string[]): void {
  c.server.replication.replconf(c, argv);
}

function role(c: Client): void {
  c.server.replication.role(c);
}

function wait(c: Client, argv: string[]): void {
  const numreplicas = parseInteger(arg(argv, 1));
  if (numreplicas === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  const timeout = msTimeoutArg(c, arg(argv, 2));
  if (timeout === null) return;
  c.server.replication.wait(c, numreplicas, timeout);
}

/** Whether replica-allowed-primaries admits host:port: an entry `host`, `host:port` or a CIDR range. */
function primaryAllowed(list: string, host: string, port: number): boolean {
  const h = host.toLowerCase();
  for (const entry of list.split(/[\s,]+/)) {
    if (entry === '') continue;
    const e = entry.toLowerCase();
    if (e === h || e === `${h}:${port}` || e === `[${h}]:${port}`) return true;
    const slash = e.indexOf('/');
    if (slash === -1) continue;
    const base = e.slice(0, slash);
    const bits = Number(e.slice(slash + 1));
    const family = net.isIP(base);
    if (family === 0 || net.isIP(h) !== family || !Number.isInteger(bits)) continue;
    const list = new net.BlockList();
    try {
      list.addSubnet(base, bits, family === 6 ? 'ipv6' : 'ipv4');
    } catch {
      continue;
    }
    if (list.check(h, family === 6 ? 'ipv6' : 'ipv4')) return true;
  }
  return false;
}

function replicaof(c: Client, argv: string[]): void {
  const server = c.server;
  const repl = server.replication;
  const host = arg(argv, 1);
  const portArg = arg(argv, 2);
  if (host.toLowerCase() === 'no' && portArg.toLowerCase() === 'one') {
    if (repl.link !== null) {
      server.log.notice(`MASTER MODE enabled (user request from '${c.infoLine()}')`);
      repl.promote();
    }
    c.reply.ok();
    return;
  }
  const port = parseInteger(portArg);
  if (port === null || port < 0 || port > 65535) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  const link = repl.link;
  if (link !== null && link.host === host && link.port === port) {
    server.log.notice('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
    c.reply.status('OK Already connected to specified master');
    return;
  }
  if (!primaryAllowed(server.config.str('replica-allowed-primaries'), host, port)) {
    auditEvent(server, 'replication', { ...clientFields(c), event: 'primary-refused', primary: `${host}:${port}` });
    c.reply.error(E.NOT_ALLOWED_PRIMARY(`${host}:${port}`));
    return;
  }
  server.log.notice(`REPLICAOF ${host}:${port} enabled (user request from '${c.infoLine()}')`);
  repl.follow(host, port);
  c.reply.ok();
}

const REPLICAOF_ROW = { arity: 3, flags: ['admin', 'noscript', 'stale', 'no_async_loading'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: replicaof } as const;

export const replicationCommands: readonly CommandSpec[] = withDocs(replicationDocs, [
  { name: 'sync', arity: 1, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: sync },
  { name: 'psync', arity: -3, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: psync },
  { name: 'replconf', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: replconf },
  { name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'], acl: ['admin', 'fast', 'dangerous'], keys: NO_KEYS, run: role },
  { name: 'wait', arity: 3, flags: ['noscript'], acl: ['slow', 'connection'], keys: NO_KEYS, tips: ['request_policy:all_shards', 'response_policy:agg_min'], run: wait },
  { name: 'replicaof', ...REPLICAOF_ROW },
  { name: 'slaveof', ...REPLICAOF_ROW },
]);
