// Command gates: DEBUG and MODULE (the commands Redis flags CMD_PROTECTED), and MIGRATE (which
// makes the server connect out), run only when enable-debug-command / enable-module-command /
// enable-migrate-command allow it — "yes" for everyone, "local" for
// loopback and unix-socket clients, "no" (the default) for nobody. Redis checks this right
// after arity, before authentication, so an unauthenticated client learns nothing more.

import * as E from '../errors.js';
import type { Client } from '../server/client.js';
import type { Config } from '../config/config.js';
import type { Command } from '../commands/registry.js';
import { auditEvent, clientFields } from './audit-log.js';

/** Redis's islocalClient: a unix socket, or a TCP peer at exactly 127.0.0.1 or ::1. */
function isLocalClient(c: Client): boolean {
  const socket = c.socket;
  if (socket === null) return false;
  const ip = socket.remoteAddress;
  // A unix-socket peer has no address.
  if (ip === undefined) return true;
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

/** Redis's allowProtectedAction: `option` is one of the enable-* directives (no|yes|local). */
export function allowProtectedAction(config: Config, option: ProtectedOption, c: Client): boolean {
  const mode = config.str(option);
  return mode === 'yes' || (mode === 'local' && isLocalClient(c));
}

/** The enable-* directives (no|yes|local). */
type ProtectedOption = 'enable-debug-command' | 'enable-module-command' | 'enable-migrate-command' | 'enable-protected-configs';

/** The directive that allows a protected command, and the name its refusal gives. */
export interface ProtectedGate {
  readonly label: 'DEBUG' | 'MODULE' | 'MIGRATE';
  readonly option: Exclude<ProtectedOption, 'enable-protected-configs'>;
  /** Gated although Redis does not flag it `protected` (COMMAND INFO must still show Redis's flags). */
  readonly unflagged?: true;
}

/**
 * The gate of each protected command, by top-level name (subcommands share their container's).
 * Read once, when the command table is built (Command.gate).
 */
export const PROTECTED_GATES: ReadonlyMap<string, ProtectedGate> = new Map<string, ProtectedGate>([
  ['debug', { label: 'DEBUG', option: 'enable-debug-command' }],
  ['module', { label: 'MODULE', option: 'enable-module-command' }],
  // Not flagged protected by Redis, but it connects to any host and port it is given and sends
  // data there: the same rule as DEBUG and MODULE keeps it off until the operator allows it.
  ['migrate', { label: 'MIGRATE', option: 'enable-migrate-command', unflagged: true }],
]);

/**
 * The dispatcher's gate step for a protected command (one whose Command.gate is set). Returns true
 * when the command may go on; otherwise replies with Redis's error, counts the rejection and
 * records an audit event.
 */
export function protectedCommandAllowed(c: Client, cmd: Command, gate: ProtectedGate): boolean {
  const { label, option } = gate;
  if (allowProtectedAction(c.server.config, option, c)) return true;
  cmd.stats.rejected++;
  c.reply.error(E.protectedCommandRefused(label, option));
  auditEvent(c.server, 'command-gate', { ...clientFields(c), command: cmd.fullName, option, setting: c.server.config.str(option) });
  return false;
}
