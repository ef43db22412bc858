// The ACL step of the dispatcher and the authentication of AUTH and HELLO: each decision that
// refuses something is written to ACL LOG and to the audit log with a reason code, and the client
// gets Redis's NOPERM or WRONGPASS reply.

import * as E from '../../errors.js';
import { arg } from '../../protocol/args.js';
import type { Client } from '../../server/client.js';
import type { Command } from '../../commands/registry.js';
import { auditEvent, clientFields } from '../audit-log.js';
import { authFailed, authLocked, authSucceeded } from '../auth-throttle.js';
import { ACL_DENIED_CMD, ACL_DENIED_KEY, checkCommand } from './check.js';
import type { DenialContext, DenialReason } from './log.js';

/** Where a denial happened, for ACL LOG's `context`: inside a script, a transaction, or neither. */
function contextOf(c: Client): DenialContext {
  return c.inScript ? 'lua' : c.multi !== null ? 'multi' : 'toplevel';
}

/** A refusal of the ACL step: what was refused, and Redis 7.2's message for it (without a code). */
export interface AclDenial {
  readonly reason: Exclude<DenialReason, 'auth'>;
  readonly message: string;
}

/**
 * The dispatcher's ACL step: null when the client's user may run `cmd argv`. On refusal it logs
 * and audits, and returns what was refused; the caller words the reply for its context.
 */
export function aclDenial(c: Client, cmd: Command, argv: readonly string[]): AclDenial | null {
  const acl = c.server.acl;
  const user = acl.users.get(c.user);
  if (user === undefined) return { reason: 'command', message: E.aclNoCommand(c.user, cmd.fullName) };
  if (user.unrestricted && user.selectors.length === 0) return null;
  const v = checkCommand(user, cmd, argv);
  if (v.result === 0) return null;
  const reason = v.result === ACL_DENIED_CMD ? 'command' : v.result === ACL_DENIED_KEY ? 'key' : 'channel';
  const object = v.result === ACL_DENIED_CMD ? cmd.fullName : arg(argv, v.pos);
  // Redis's client-info names the refused command: it is the client's current one by then.
  const before = c.current;
  c.current = cmd;
  recordDenial(c, reason, object, c.user, argv);
  c.current = before;
  if (reason === 'key') return { reason, message: E.ACL_NO_KEY };
  if (reason === 'channel') return { reason, message: E.ACL_NO_CHANNEL };
  return { reason, message: E.aclNoCommand(c.user, cmd.fullName) };
}

/** One ACL LOG entry plus its audit event (`code`: the audit reason code, when not the usual one). */
function recordDenial(
  c: Client,
  reason: DenialReason,
  object: string,
  username: string,
  argv: readonly string[],
  code?: string,
): void {
  const server = c.server;
  const context = contextOf(c);
  server.acl.log.add(
    { reason, context, object, username, time: Date.now(), clientInfo: c.infoLine(argv) },
    server.config.num('acllog-max-len'),
  );
  const fields = { ...clientFields(c), reason: code ?? (reason === 'auth' ? 'auth-failed' : `acl-denied-${reason}`), username, context };
  if (reason === 'auth') auditEvent(server, 'auth-failed', fields);
  else auditEvent(server, 'acl-denied', { ...fields, command: argv[0] ?? '', object });
}

/**
 * AUTH and HELLO AUTH: checks the credentials; on success the client becomes that user. A failure
 * is logged with the attempted user name (never the password) and counted by the brute-force
 * throttle. While the client's source is locked out for that user name every attempt fails
 * unchecked, with the same reply and log entry as a wrong password, so the lockout tells nothing
 * about the password.
 */
export function authenticate(c: Client, username: string, password: string, argv: readonly string[]): boolean {
  const server = c.server;
  const locked = authLocked(c, username);
  const user = locked ? null : server.acl.credentialsMatch(username, password);
  if (user === null) {
    server.stats.authFailures++;
    recordDenial(c, 'auth', arg(argv, 0), username, argv.map((a, i) => (i === 0 ? a : '')), locked ? 'auth-locked-out' : undefined);
    if (!locked) authFailed(c, username);
    return false;
  }
  authSucceeded(c, username);
  c.user = user.name;
  c.authenticated = true;
  auditEvent(server, 'auth-success', { ...clientFields(c), username: user.name });
  return true;
}
