// Authentication policy shared by the connection layer and the commands: whether a client must
// authenticate first, and whether the default user needs a password. Credentials are checked
// against the ACL users (src/security/acl): passwords are kept only as SHA-256 digests and
// compared in constant time.

import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';

/**
 * True when the default user lets a new connection in without AUTH: it is `nopass` and enabled,
 * as Redis sets a new client's `authenticated`. Protected mode and the exposure check use it as
 * "the server has no password".
 */
export function defaultUserIsNopass(server: Server): boolean {
  const u = server.acl.defaultUser;
  return u.nopass && u.enabled;
}

/** Redis's authRequired(): the default user needs a password or is off, and the client has not authenticated. */
export function authRequired(server: Server, c: Client): boolean {
  if (c.authenticated) return false;
  const u = server.acl.defaultUser;
  return !u.nopass || !u.enabled;
}
