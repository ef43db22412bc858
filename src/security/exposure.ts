// The no-open-door rule (a Redoubt addition): the server will not listen on a non-loopback
// address while anyone reaching it could run commands without a password — default user
// nopass and protected mode off — unless `allow-unauthenticated-network yes` says so on purpose.
// Checked before listening at startup, and by CONFIG SET of every directive that can reach that state.

import type { Server } from '../server/server.js';
import { defaultUserIsNopass } from './auth.js';
import { openNetworkDoor } from '../errors.js';

/** 127.0.0.0/8, ::1, localhost (and their IPv4-mapped forms) reach only this host. */
function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return h === '::1' || h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The host a bind word listens on: `-` (optional) dropped, `*` and `::*` as the wildcard addresses. */
export function bindHost(word: string): string {
  const host = word.startsWith('-') ? word.slice(1) : word;
  return host === '*' ? '0.0.0.0' : host === '::*' ? '::' : host;
}

/** Configured addresses other hosts could reach, or [] when no TCP port is open to them. */
function exposedAddresses(server: Server): string[] {
  const c = server.config;
  // A TLS port that demands a client certificate is authenticated by the certificate.
  const plain = c.num('port') !== 0;
  const tls = c.num('tls-port') !== 0 && c.str('tls-auth-clients') !== 'yes';
  if (!plain && !tls) return [];
  return c
    .str('bind')
    .split(' ')
    .filter((w) => w !== '')
    .map(bindHost)
    .filter((h) => !isLoopbackHost(h))
    .map((h) => (h.includes(':') ? `[${h}]` : h));
}

/**
 * Why the configuration in force would open the door, or null when it does not. Every hook
 * calls this after the new values are stored, so it judges the state the change would create.
 */
export function openDoorReason(server: Server): string | null {
  const c = server.config;
  if (c.bool('allow-unauthenticated-network') || c.bool('protected-mode')) return null;
  if (!defaultUserIsNopass(server)) return null;
  const exposed = exposedAddresses(server);
  return exposed.length === 0 ? null : openNetworkDoor(exposed);
}
