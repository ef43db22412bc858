// The one gate every command passes, in Redis's processCommand order:
// lookup → arity → authentication → ACL → state checks (subscribed context, busy script) →
// MULTI queueing → execute → statistics.
// Handlers never re-check policy; whatever reaches them is allowed.

import * as E from '../errors.js';
import type { Command } from '../commands/registry.js';
import type { Client } from './client.js';
import { protectedCommandAllowed } from '../security/gates.js';
import { aclDenial } from '../security/acl/gate.js';
import { HANDLED, subscribedContext } from './pubsub.js';
import { discardTransaction, execAbort, flagTransaction, queueCommand, queues } from './multi.js';
import { busyRefusal } from './busy.js';

/** Resolves argv to a command or subcommand, replying with the error if there is none. */
export function resolve(c: Client, argv: string[]): Command | null {
  const server = c.server;
  const name = argv[0]!;
  let cmd = server.commands.lookup(name);
  if (cmd === undefined) {
    if (isCrossProtocolAttack(name)) {
      server.securityAttack(c);
      return null;
    }
    reject(c, null, E.unknownCommand(name, argv.slice(1)));
    return null;
  }
  if (cmd.subcommands !== null && argv.length >= 2) {
    const sub = cmd.subcommands.get(argv[1]!.toLowerCase());
    if (sub === undefined) {
      reject(c, null, E.unknownSubcommand(argv[1]!, cmd.spec.name));
      return null;
    }
    cmd = sub;
  }
  const arity = cmd.spec.arity;
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
    reject(c, cmd, E.wrongArity(cmd.fullName));
    return null;
  }
  return cmd;
}

/** Runs one request from a client through the gate. */
export function dispatch(c: Client, argv: string[]): void {
  const server = c.server;
  const cmd = resolve(c, argv);
  if (cmd === null) return;
  if (!protectedCommandAllowed(c, cmd)) {
    flagTransaction(c);
    return;
  }
  if (!c.authenticated && !cmd.isNoAuth && server.authRequired(c)) {
    reject(c, cmd, E.NOAUTH);
    return;
  }
  if (c.multi !== null && cmd.isNoMulti) {
    reject(c, cmd, E.NOT_ALLOWED_IN_MULTI);
    return;
  }
  const denied = aclDenial(c, cmd, argv);
  if (denied !== null) {
    reject(c, cmd, denied);
    return;
  }
  if (c.subs !== null) {
    const refusal = subscribedContext(c, cmd, argv);
    if (refusal !== null) {
      if (refusal !== HANDLED) reject(c, cmd, refusal);
      return;
    }
  }
  // A script past busy-reply-threshold is suspended: only allow_busy commands run meanwhile.
  // Before MULTI queueing, as Redis: a queued command would otherwise run at an EXEC later.
  if (server.script !== null && server.script.timedOut) {
    const refusal = busyRefusal(server.script, cmd, argv);
    if (refusal !== null) {
      reject(c, cmd, refusal);
      return;
    }
  }
  if (c.multi !== null || c.watched !== null || c.dirtyCas) {
    if (queues(c, cmd)) {
      queueCommand(c, cmd, argv);
      return;
    }
    // RESET leaves no transaction and no watched key behind.
    if (cmd.fullName === 'reset') discardTransaction(c);
  }
  call(c, cmd, argv);
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
  store.clock.tickAt(start);
  c.current = cmd;
  // As Redis, TOUCH still touches for a NO-TOUCH client: touching is what it is for.
  store.noTouch = c.noTouch && cmd.spec.name !== 'touch';
  try {
    cmd.spec.run!(c, argv);
  } catch (err) {
    // A handler bug must cost one reply, not the server and every other client's data.
    server.log.warning(`Command '${cmd.fullName}' failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    c.reply.error(E.INTERNAL);
  }
  c.current = null;
  // Keys this command filled serve their blocked clients now, before the next command runs;
  // for a suspended script, once it has ended.
  if (server.blocking.hasReady && !c.inExec && server.script === null) server.blocking.serveReady();
  const usec = Math.round((performance.now() - start) * 1000);
  const stats = cmd.stats;
  stats.calls++;
  stats.usec += usec;
  if (server.stats.errorReplies > server.errorsSeen) stats.failed++;
  server.errorsSeen = server.stats.errorReplies;
  server.stats.commands++;
  c.lastCommand = cmd;
  c.commands++;
  // Commands a script runs are part of its EVAL's entry, as in Redis.
  if (!cmd.isSkipSlowlog && !c.inScript) server.slowlog.record(c, cmd, argv, usec);
  server.latency.add(cmd.isFast ? 'fast-command' : 'command', usec / 1000);
}

/** Replies with a rejection and counts it as Redis does (rejected_calls, errorstats). */
export function reject(c: Client, cmd: Command | null, message: string): void {
  if (cmd !== null) cmd.stats.rejected++;
  flagTransaction(c);
  // A refused EXEC still ends the transaction, so the client knows where it stands.
  if (cmd !== null && cmd.fullName === 'exec') execAbort(c, message);
  else c.reply.error(message);
}

/** HTTP spoken to the Redis port (CVE-2016-10517): a browser tricked into sending commands. */
function isCrossProtocolAttack(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'post' || n === 'host:';
}
