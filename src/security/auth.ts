// Authentication policy shared by the connection layer and the commands: whether a client must
// authenticate first, and whether the default user needs a password. Credentials are checked
// against the ACL users (src/security/acl): passwords are kept only as SHA-256 digests and
// compared in constant time.

import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import { aclOf } from './acl/state.js';
import { refuseOpenDoor } from './exposure.js';
import type { ParamValue } from '../config/types.js';

/**
 * True when the default user lets a new connection in without AUTH: it is `nopass` and enabled,
 * as Redis sets a new client's `authenticated`. Protected mode and the exposure check use it as
 * "the server has no password".
 */
export function defaultUserIsNopass(server: Server): boolean {
  const u = aclOf(server).defaultUser;
  return u.nopass && u.enabled;
}

/** Redis's authRequired(): the default user needs a password or is off, and the client has not authenticated. */
export function authRequired(server: Server, c: Client): boolean {
  if (c.authenticated) return false;
  const u = aclOf(server).defaultUser;
  return !u.nopass || !u.enabled;
}

/** CONFIG SET requirepass: the default user's password becomes it (empty: nopass). */
export function applyRequirepass(server: Server, value: string): void {
  aclOf(server).setDefaultPassword(value);
}

/**
 * The requirepass apply hook: the default user's password follows the directive; a change the
 * exposure rule refuses (no password on a network-facing server) is undone.
 */
export function requirepassApply(server: Server, value: ParamValue, old: ParamValue): Error | void {
  applyRequirepass(server, String(value));
  const err = refuseOpenDoor(server);
  if (err instanceof Error) {
    applyRequirepass(server, String(old));
    return err;
  }
}
