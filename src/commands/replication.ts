// SYNC, PSYNC, REPLCONF, ROLE, WAIT, FAILOVER and REPLICAOF (SLAVEOF). The work is server/replication.ts
// (the primary's side) and server/replica-link.ts (the replica's); these parse and gate. REPLICAOF
// follows only a primary listed in replica-allowed-primaries (empty by default, so the classic
// takeover, REPLICAOF to an attacker's host, is refused on a default server); the ACL (an
// @admin @dangerous command) and authentication come first, in the dispatcher.

import * as E from '../errors.js';
import { arg, parseInteger } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { replicationDocs } from './docs/replication.js';
import type { Client } from '../server/client.js';
import { msTimeoutArg } from '../server/blocking.js';
import { auditEvent, clientFields } from '../security/audit-log.js';
import { primaryAllowed } from '../server/replication.js';

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

function replicaof(c: Client, argv: string[]): void {
  const server = c.server;
  const repl = server.replication;
  const host = arg(argv, 1);
  const portArg = arg(argv, 2);
  // A cluster node's primary is chosen by CLUSTER REPLICATE and failovers, as in Redis.
  if (server.cluster.mode !== null) {
    c.reply.error(E.REPLICAOF_IN_CLUSTER);
    return;
  }
  if (repl.failover !== null) {
    c.reply.error(E.REPLICAOF_FAILING_OVER);
    return;
  }
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
    auditEvent(server, 'replication', { ...clientFields(c), change: 'primary-refused', primary: `${host}:${port}` });
    c.reply.error(E.NOT_ALLOWED_PRIMARY(`${host}:${port}`));
    return;
  }
  server.log.notice(`REPLICAOF ${host}:${port} enabled (user request from '${c.infoLine()}')`);
  repl.follow(host, port);
  c.reply.ok();
}

/**
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], parsed and checked as Redis 7.0's
 * failoverCommand, with its errors. Since this server becomes a replica of the target, the target
 * must be in replica-allowed-primaries, as for REPLICAOF (without TO: some connected replica must be).
 */
function failover(c: Client, argv: string[]): void {
  const server = c.server;
  const repl = server.replication;
  if (server.cluster.enabled) {
    c.reply.error(E.FAILOVER_CLUSTER);
    return;
  }
  if (argv.length === 2 && arg(argv, 1).toLowerCase() === 'abort') {
    if (repl.failover === null) {
      c.reply.error(E.FAILOVER_NONE);
      return;
    }
    repl.abortFailover('Failover manually aborted');
    c.reply.ok();
    return;
  }
  let timeout = 0;
  let force = false;
  let host: string | null = null;
  let port = 0;
  for (let j = 1; j < argv.length; j++) {
    const word = arg(argv, j).toLowerCase();
    if (word === 'timeout' && j + 1 < argv.length && timeout === 0) {
      const t = parseInteger(arg(argv, j + 1));
      if (t === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      if (t <= 0) {
        c.reply.error(E.FAILOVER_TIMEOUT);
        return;
      }
      timeout = t;
      j++;
    } else if (word === 'to' && j + 2 < argv.length && host === null) {
      const p = parseInteger(arg(argv, j + 2));
      if (p === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      host = arg(argv, j + 1);
      port = p;
      j += 2;
    } else if (word === 'force' && !force) {
      force = true;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  if (repl.failover !== null) {
    c.reply.error(E.FAILOVER_ALREADY);
    return;
  }
  if (repl.link !== null) {
    c.reply.error(E.FAILOVER_ON_REPLICA);
    return;
  }
  if (repl.replicas.size === 0) {
    c.reply.error(E.FAILOVER_NO_REPLICAS);
    return;
  }
  if (force && (timeout === 0 || host === null)) {
    c.reply.error(E.FAILOVER_FORCE);
    return;
  }
  if (host !== null) {
    const target = repl.findReplica(host, port);
    if (target === null) {
      c.reply.error(E.FAILOVER_NOT_REPLICA);
      return;
    }
    if (target.replica?.state !== 'online') {
      c.reply.error(E.FAILOVER_NOT_ONLINE);
      return;
    }
    if (!primaryAllowed(server.config.str('replica-allowed-primaries'), host, port)) {
      auditEvent(server, 'replication', { ...clientFields(c), change: 'primary-refused', primary: `${host}:${port}` });
      c.reply.error(E.FAILOVER_NOT_ALLOWED(`${host}:${port}`));
      return;
    }
  } else if (!repl.anyReplicaMayLead()) {
    auditEvent(server, 'replication', { ...clientFields(c), change: 'primary-refused', primary: 'any replica' });
    c.reply.error(E.FAILOVER_NONE_ALLOWED);
    return;
  }
  repl.startFailover(host, port, timeout, force);
  c.reply.ok();
}

const REPLICAOF_ROW = { arity: 3, flags: ['admin', 'noscript', 'stale', 'no_async_loading'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: replicaof } as const;

export const replicationCommands: readonly CommandSpec[] = withDocs(replicationDocs, [
  { name: 'sync', arity: 1, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: sync },
  { name: 'psync', arity: -3, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: psync },
  { name: 'replconf', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: replconf },
  { name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'], acl: ['admin', 'fast', 'dangerous'], keys: NO_KEYS, run: role },
  { name: 'wait', arity: 3, flags: ['noscript'], acl: ['slow', 'connection'], keys: NO_KEYS, tips: ['request_policy:all_shards', 'response_policy:agg_min'], run: wait },
  { name: 'failover', arity: -1, flags: ['admin', 'noscript', 'stale'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: failover },
  { name: 'replicaof', ...REPLICAOF_ROW },
  { name: 'slaveof', ...REPLICAOF_ROW },
]);
