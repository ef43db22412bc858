// Password checks. Passwords are kept only as SHA-256 digests and compared in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from '../server/server.js';

export function sha256(password: string): Buffer {
  return createHash('sha256').update(Buffer.from(password, 'latin1')).digest();
}

/** Constant-time comparison of a candidate password with a stored digest. */
export function passwordMatches(candidate: string, digest: Buffer): boolean {
  return timingSafeEqual(sha256(candidate), digest);
}

/**
 * Checks credentials for `user`. Until ACL users exist, the only user is `default`, whose
 * password is requirepass (nopass when requirepass is empty).
 */
export function checkCredentials(server: Server, user: string, password: string): boolean {
  if (user !== 'default') return false;
  const required = server.config.str('requirepass');
  if (required === '') return true;
  return passwordMatches(password, sha256(required));
}

/** True when the default user needs no password (AUTH <password> is then an error). */
export function defaultUserIsNopass(server: Server): boolean {
  return server.config.str('requirepass') === '';
}
