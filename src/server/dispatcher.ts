// The one gate every command passes, in Redis's processCommand order:
// lookup → arity → authentication → ACL → (state checks as they arrive) → execute → statistics.
// Handlers never re-check policy; whatever reaches them is allowed.

import * as E from '../errors.js';
import type { Command } from '../commands/registry.js';
import { tickAt } from '../store/clock.js';
import { Database } from '../store/database.js';
import type { Client } from './client.js';
import { protectedCommandAllowed } from '../security/gates.js';
import { aclDenial } from '../security/acl/gate.js';

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
  if (!protectedCommandAllowed(c, cmd)) return;
  if (!c.authenticated && !cmd.isNoAuth && server.authRequired(c)) {
    reject(c, cmd, E.NOAUTH);
    return;
  }
  const denied = aclDenial(c, cmd, argv);
  if (denied !== null) {
    reject(c, cmd, denied);
    return;
  }
  call(c, cmd, argv);
}

/** Executes an admitted command and records its statistics (Redis's call()). */
export function call(c: Client, cmd: Command, argv: string[]): void {
  const server = c.server;
  const errorsBefore = server.stats.errorReplies;
  const start = performance.now();
  tickAt(start);
  c.current = cmd;
  // As Redis, TOUCH still touches for a NO-TOUCH client: touching is what it is for.
  Database.noTouch = c.noTouch && cmd.spec.name !== 'touch';
  try {
    cmd.spec.run!(c, argv);
  } catch (err) {
    // A handler bug must cost one reply, not the server and every other client's data.
    server.log.warning(`Command '${cmd.fullName}' failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    c.reply.error(E.INTERNAL);
  }
  c.current = null;
  // Keys this command filled serve their blocked clients now, before the next command runs.
  if (server.blocking.hasReady && !c.inExec) server.blocking.serveReady();
  const usec = Math.round((performance.now() - start) * 1000);
  const stats = cmd.stats;
  stats.calls++;
  stats.usec += usec;
  if (server.stats.errorReplies !== errorsBefore) stats.failed++;
  server.stats.commands++;
  c.lastCommand = cmd;
  c.commands++;
  if (!cmd.isSkipSlowlog) server.slowlog.record(c, cmd, argv, usec);
  server.latency.add(cmd.isFast ? 'fast-command' : 'command', usec / 1000);
}

/** Replies with a rejection and counts it as Redis does (rejected_calls, errorstats). */
export function reject(c: Client, cmd: Command | null, message: string): void {
  if (cmd !== null) cmd.stats.rejected++;
  c.reply.error(message);
}

/** HTTP spoken to the Redis port (CVE-2016-10517): a browser tricked into sending commands. */
function isCrossProtocolAttack(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'post' || n === 'host:';
}
