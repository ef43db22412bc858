// The one gate every request passes, in Redis's processCommand order:
// lookup and arity (CommandTable.resolve) → protected commands → authentication → no_multi →
// ACL → cluster slots (CROSSSLOT, MOVED, ASK, CLUSTERDOWN) → memory (denyoom) → disk errors (MISCONF) → RESP2 subscribed context → loading → busy script →
// CLIENT PAUSE → MULTI queueing → execute → propagate (server/propagation.ts) → statistics. Handlers
// never re-check policy; whatever reaches them is allowed. Every policy the gate reads is a field
// of the Command, computed when the table was built: no lookup per request.

import * as E from '../errors.js';
import type { Command, Unresolved } from '../commands/registry.js';
import type { Client } from './client.js';
import { protectedCommandAllowed } from '../security/gates.js';
import { aclDenial } from '../security/acl/gate.js';
import { discardTransaction, execAbort, flagTransaction, queueCommand } from './multi.js';
import { busyRefusal } from './busy.js';
import { refusedForMemory } from './memory.js';
import { trackLatency } from './latency-histogram.js';

/** Runs one request from a client through the gate. */
export function dispatch(c: Client, argv: string[]): void {
  const server = c.server;
  const cmd = server.commands.resolve(argv);
  if (!cmd.resolved) {
    refuse(c, argv, cmd);
    return;
  }
  const gate = cmd.gate;
  if (gate !== null && !protectedCommandAllowed(c, cmd, gate)) {
    flagTransaction(c);
    return;
  }
  if (!c.authenticated && !cmd.isNoAuth && server.authRequired(c)) {
    reject(c, cmd, E.NOAUTH, argv);
    return;
  }
  const m = c.multi;
  if (m !== null && cmd.isNoMulti) {
    reject(c, cmd, E.NOT_ALLOWED_IN_MULTI, argv);
    return;
  }
  const denied = aclDenial(c, cmd, argv);
  if (denied !== null) {
    reject(c, cmd, E.noperm(denied.message), argv);
    return;
  }
  // Cluster mode: keys in more than one slot are refused, keys of a slot another node serves are
  // redirected (MOVED, ASK); a refused EXEC ends its transaction. ASKING lasts one command (or
  // one transaction), as Redis's CLIENT_ASKING.
  const asking = c.asking;
  if (asking && cmd.fullName !== 'asking' && (m === null || cmd.fullName === 'exec' || cmd.fullName === 'discard')) c.asking = false;
  const crossSlot = server.cluster.enabled ? server.cluster.refusal(c, cmd, argv, asking) : null;
  if (crossSlot !== null) {
    if (cmd.fullName === 'exec') {
      cmd.stats.rejected++;
      discardTransaction(c);
      c.reply.error(crossSlot);
    } else {
      reject(c, cmd, crossSlot, argv);
    }
    return;
  }
  if (refusedForMemory(c, cmd, argv)) {
    reject(c, cmd, E.OOM, argv);
    return;
  }
  // As Redis's processCommand, before MULTI queueing too: a lowered tracking-table-max-keys applies.
  if (server.tracking.clients !== 0) server.tracking.limit();
  // After a failed save, with stop-writes-on-bgsave-error, or while the AOF cannot be written:
  // writes (and PING, as Redis) are refused; the RDB's error is reported first, as Redis.
  const aofError = server.aof.writeError;
  const diskDenied = server.rdb.writesDenied() || aofError !== null;
  if (diskDenied && c.kind !== 'master' && (cmd.isWrite || cmd.fullName === 'ping' || execRunsWrites(c, cmd))) {
    reject(c, cmd, server.rdb.writesDenied() || aofError === null ? E.MISCONF : E.aofMisconf(aofError), argv);
    return;
  }
  // min-replicas-to-write: a primary with too few replicas acknowledging recently refuses writes.
  if ((cmd.isWrite || execRunsWrites(c, cmd)) && server.replication.tooFewReplicas(c)) {
    reject(c, cmd, E.NOREPLICAS, argv);
    return;
  }
  // A RESP2 subscriber may only (un)subscribe, PING, QUIT and RESET.
  if (c.subs !== null && c.resp === 2 && !cmd.allowedWhenSubscribed) {
    reject(c, cmd, E.subscribeContext(cmd.fullName), argv);
    return;
  }
  // While a dataset loads, only commands flagged `loading` run (INFO, CONFIG, ...), as Redis.
  if (server.loading !== null && !cmd.isLoadingOk) {
    reject(c, cmd, E.LOADING, argv);
    return;
  }
  // A replica refuses writes (replica-read-only) and, with its link down, what needs fresh data.
  if (server.replication.isReplica) {
    const refusal = server.replication.refusal(c, cmd);
    if (refusal !== null) {
      reject(c, cmd, refusal, argv);
      return;
    }
  }
  // A script past busy-reply-threshold is suspended: only allow_busy commands run meanwhile.
  // Before MULTI queueing, as Redis: a queued command would otherwise run at an EXEC later.
  if (server.script !== null && server.script.timedOut) {
    const refusal = busyRefusal(server.script, cmd, argv);
    if (refusal !== null) {
      reject(c, cmd, refusal, argv);
      return;
    }
  }
  // Redis marks a monitor as a replica, which may not touch the keyspace.
  if (c.monitor && (cmd.isReadonly || cmd.mayReplicate)) {
    reject(c, cmd, E.REPLICA_KEYSPACE, argv);
    return;
  }
  // CLIENT PAUSE holds the request, not refuses it: it runs (through this gate again) when the
  // pause ends, as Redis's BLOCKED_POSTPONE. Only what passed every check above waits.
  if (server.pause.type !== 'none' && pausedFor(c, cmd, argv)) {
    c.pendingArgv = argv;
    server.pausedClients.add(c);
    return;
  }
  if (m !== null && !cmd.runsInMulti) {
    queueCommand(c, m, cmd, argv);
    return;
  }
  // A write to a large key a background save has not written yet waits for it, not the event loop.
  if (cmd.isWrite && server.rdb.holdWrite(c, cmd, argv)) return;
  // A write to a key MIGRATE is transferring waits until the transfer ends (server/migrate.ts).
  if (server.migrations.holds(c, cmd, argv)) return;
  call(c, cmd, argv);
}

/** The reply to a request that names no runnable command. */
function refuse(c: Client, argv: readonly string[], why: Unresolved): void {
  if (why.reason === 'command') {
    const name = argv[0] ?? '';
    if (isCrossProtocolAttack(name)) {
      c.server.securityAttack(c);
      return;
    }
    reject(c, null, E.unknownCommand(name, argv.slice(1)), argv);
  } else if (why.reason === 'subcommand') {
    reject(c, null, E.unknownSubcommand(argv[1] ?? '', why.cmd.spec.name), argv);
  } else {
    reject(c, why.cmd, E.wrongArity(why.cmd.fullName), argv);
  }
}

/** EXEC of a transaction that queued a write: Redis judges it by the commands it would run. */
function execRunsWrites(c: Client, cmd: Command): boolean {
  return c.multi !== null && c.multi.writes && cmd.fullName === 'exec';
}

/** True when CLIENT PAUSE holds this command: everything in ALL mode, what may replicate in WRITE mode. */
function pausedFor(c: Client, cmd: Command, argv: readonly string[]): boolean {
  if (c.kind === 'replica' || c.kind === 'master' || c.monitor) return false;
  if (c.server.pause.type === 'all') return true;
  if (cmd.mayReplicate) return !declaresNoWrites(c, cmd, argv);
  return execRunsWrites(c, cmd);
}

/**
 * EVAL, EVALSHA or FCALL of a script or function that declared no-writes: its flags take the
 * place of the command's, so it neither writes nor may replicate (Redis's evalGetCommandFlags).
 */
function declaresNoWrites(c: Client, cmd: Command, argv: readonly string[]): boolean {
  const name = cmd.fullName;
  const target = argv[1] ?? '';
  if (name === 'eval' || name === 'evalsha') return c.server.scripts.declaresNoWrites(target, name === 'evalsha');
  if (name === 'fcall') return c.server.functions.declaresNoWrites(target);
  return false;
}

/**
 * Executes an admitted command and records its statistics (Redis's call()). server.errorsSeen is
 * Redis's prev_err_count: shared by nested calls, so EXEC is failed only by errors of its own,
 * not those of the commands it ran.
 */
export function call(c: Client, cmd: Command, argv: string[]): void {
  const server = c.server;
  server.errorsSeen = server.stats.errorReplies;
  const start = performance.now();
  const store = server.store;
  store.clock.tick();
  c.current = cmd;
  // As Redis, TOUCH still touches for a NO-TOUCH client: touching is what it is for.
  store.noTouch = c.noTouch && cmd.spec.name !== 'touch';
  const trackingOuter = server.tracking.enter(c);
  const propagation = server.propagation;
  const dirty = store.stats.dirty;
  propagation.enter(cmd, argv);
  try {
    // Only containers lack a handler, and resolve() never returns one to run.
    if (cmd.spec.run === undefined) throw new Error(`${cmd.fullName} has no handler`);
    cmd.spec.run(c, argv);
  } catch (err) {
    // A handler bug must cost one reply, not the server and every other client's data.
    server.log.warning(`Command '${cmd.fullName}' failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    c.reply.error(E.INTERNAL);
  }
  c.current = null;
  // The effects go out before the clients this command unblocks are served, as in Redis.
  propagation.leave(c, cmd, argv, store.stats.dirty !== dirty);
  const usec = Math.round((performance.now() - start) * 1000);
  const stats = cmd.stats;
  stats.calls++;
  stats.usec += usec;
  if (server.stats.errorReplies > server.errorsSeen) stats.failed++;
  // A command that blocked on keys is tracked when its wait ends (blocking.ts), as Redis's
  // updateStatsOnUnblock; a held AUTH or a suspended script is tracked now (past 1 s, all the same).
  if (server.latencyTracking && !(c.blocked && cmd.isBlocking)) trackLatency(stats, usec);
  server.errorsSeen = server.stats.errorReplies;
  server.stats.commands++;
  c.lastCommand = cmd;
  c.commands++;
  // Commands a script runs are part of its EVAL's entry, as in Redis.
  if (!cmd.isSkipSlowlog && !c.inScript) {
    if (c.blocked) c.blockedEntry = { cmd, argv, usec };
    else server.slowlog.record(c, cmd, argv, usec);
  }
  // Whole milliseconds, as Redis's duration/1000: LATENCY replies them as RESP integers.
  server.latency.add(cmd.isFast ? 'fast-command' : 'command', Math.floor(usec / 1000));
  // Administrative commands are too dangerous to show; scripts show themselves before they run.
  if (server.monitors.size !== 0 && !cmd.isSkipMonitor && !cmd.isAdmin) feedMonitors(c, cmd, argv);
  // Keys it read are tracked for client-side caching; its own invalidations follow its reply.
  server.tracking.leave(c, cmd, argv, trackingOuter);
  if (c.heldPushes !== null && !server.tracking.isCurrent(c)) server.pubsub.release(c);
  // Keys this command filled serve their blocked clients now, before the next command runs (for
  // a suspended script, once it has ended): after the command's own statistics, as Redis's
  // handleClientsBlockedOnKeys runs after call().
  if (server.blocking.hasReady && !c.inExec && server.script === null) server.blocking.serveReady();
}

/** Replies with a rejection and counts it as Redis does (rejected_calls, errorstats). */
function reject(c: Client, cmd: Command | null, message: string, argv: readonly string[]): void {
  if (cmd !== null) cmd.stats.rejected++;
  flagTransaction(c);
  // A refused EXEC still ends the transaction, so the client knows where it stands.
  if (cmd !== null && cmd.fullName === 'exec') {
    execAbort(c, message);
    // Monitors saw MULTI: they see the EXEC that ends it too, as Redis's execCommandAbort.
    feedMonitors(c, cmd, argv);
  } else {
    c.reply.error(message);
  }
}

/**
 * Shows a command to the MONITOR clients (EVAL and FCALL call it before they run). Clients with
 * no connection that are not scripts load data (AOF, RDB): Redis feeds nothing while loading.
 */
export function feedMonitors(c: Client, cmd: Command | null, argv: readonly string[]): void {
  if (c.socket === null && !c.inScript) return;
  c.server.monitors.feed(c, cmd, c.dbIndex, argv);
}

/** HTTP spoken to the Redis port (CVE-2016-10517): a browser tricked into sending commands. */
function isCrossProtocolAttack(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'post' || n === 'host:';
}
