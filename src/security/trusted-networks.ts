// trusted-networks: the IPv4/IPv6 ranges TCP and TLS clients may connect from. Checked when a
// connection is accepted, before a byte is read; a peer outside every range is dropped without a
// reply. Empty means no restriction (Redis's behaviour). Unix-socket clients are not filtered.

import net from 'node:net';
import { parseNetworkRange, unmapIPv4 } from '../config/special.js';
import type { Server } from '../server/server.js';
import { auditEvent } from './audit-log.js';

/**
 * The ranges of a stored trusted-networks value, compiled; null when there are none (everyone may
 * connect). The server compiles it once per configuration change (Server.trustedNetworks).
 */
export function compileTrustedNetworks(text: string): net.BlockList | null {
  if (text === '') return null;
  const list = new net.BlockList();
  for (const w of text.split(' ')) {
    if (w === '') continue;
    const r = parseNetworkRange(w);
    if (r instanceof Error) continue; // Validated when set; unreachable.
    list.addSubnet(r.address, r.prefix, r.family);
  }
  return list;
}

/** True when a TCP peer at `ip` may connect under `ranges` (null: no restriction). */
function isTrusted(ranges: net.BlockList | null, ip: string | undefined): boolean {
  if (ranges === null) return true;
  if (ip === undefined) return false;
  const addr = unmapIPv4(ip);
  const version = net.isIP(addr);
  if (version === 0) return false;
  return ranges.check(addr, version === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Accept-time check of a TCP/TLS peer: true lets it in; false means it was outside every range,
 * has been counted and audited, and the caller must drop the socket without a reply.
 */
export function admitPeer(server: Server, socket: net.Socket): boolean {
  if (isTrusted(server.trustedNetworks, socket.remoteAddress)) return true;
  server.stats.rejectedConnections++;
  server.stats.rejectedUntrusted++;
  const addr = hostPort(socket.remoteAddress, socket.remotePort);
  server.log.verbose(`Connection from ${addr} refused: not in trusted-networks`);
  auditEvent(server, 'trusted-networks', { addr, laddr: hostPort(socket.localAddress, socket.localPort) });
  return false;
}

/** ip:port as CLIENT LIST writes it ([v6]:port). */
function hostPort(ip: string | undefined, port: number | undefined): string {
  const a = unmapIPv4(ip ?? '?');
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}
