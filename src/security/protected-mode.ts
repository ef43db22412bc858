// Protected mode, as Redis 7.0: while it is on and the default user has no password, only
// loopback clients (127.0.0.1, ::1 — exactly those two, as Redis) and unix-socket clients are
// served; anyone else gets the DENIED line and is disconnected.

import type { Socket } from 'node:net';
import type { Server } from '../server/server.js';

/** Redis compares the peer's text form with exactly these two addresses. */
function isLocalPeer(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

/** True when this connection must be refused with the DENIED message. */
export function protectedModeDenies(server: Server, socket: Socket, unix: boolean): boolean {
  // Redis looks at the nopass flag alone: a disabled nopass default user still triggers it.
  if (unix || !server.config.bool('protected-mode') || !server.acl.defaultUser.nopass) return false;
  const ip = socket.remoteAddress;
  // A peer whose address cannot be read is not known to be local (Redis's connIsLocal() != 1).
  return ip === undefined || !isLocalPeer(ip);
}
