// trusted-networks: the IPv4/IPv6 ranges TCP and TLS clients may connect from. Checked when a
// connection is accepted, before a byte is read; a peer outside every range is dropped without a
// reply. Empty means no restriction (Redis's behaviour). Unix-socket clients are not filtered.

import net from 'node:net';
import { ConfigError, type ParamValue } from '../config/types.js';
import type { Server } from '../server/server.js';
import { auditEvent } from './audit-log.js';

interface Range {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** An IPv4 address an IPv6 socket reports as ::ffff:a.b.c.d is matched as IPv4. */
function unmap(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** Reads `addr` or `addr/prefix`; a bare address is a single host. */
function parseRange(word: string): Range | Error {
  const slash = word.indexOf('/');
  const address = unmap(slash === -1 ? word : word.slice(0, slash));
  const version = net.isIP(address);
  if (version === 0) return new ConfigError(`Invalid network '${word}': expected an IPv4 or IPv6 address or CIDR range`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = word.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return new ConfigError(`Invalid prefix length in '${word}': must be 0 to ${max}`);
    prefix = Number(p);
  }
  return { address, prefix, family };
}

/** Config parser: validates every range and stores them space-separated ('' = everyone). */
export function parseTrustedNetworks(words: string[]): ParamValue | Error {
  const kept: string[] = [];
  for (const w of words) {
    if (w === '') continue;
    const r = parseRange(w);
    if (r instanceof Error) return r;
    kept.push(w);
  }
  return kept.join(' ');
}

/** Compiled form of one configuration text, rebuilt only when the text changes. */
let compiled: { text: string; list: net.BlockList } | null = null;

function compile(text: string): net.BlockList {
  if (compiled !== null && compiled.text === text) return compiled.list;
  const list = new net.BlockList();
  for (const w of text.split(' ')) {
    if (w === '') continue;
    const r = parseRange(w);
    if (r instanceof Error) continue; // Validated when set; unreachable.
    list.addSubnet(r.address, r.prefix, r.family);
  }
  compiled = { text, list };
  return list;
}

/** True when a TCP peer at `ip` may connect under the ranges in `text`. */
export function isTrusted(text: string, ip: string | undefined): boolean {
  if (text === '') return true;
  if (ip === undefined) return false;
  const addr = unmap(ip);
  const version = net.isIP(addr);
  if (version === 0) return false;
  return compile(text).check(addr, version === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Accept-time check of a TCP/TLS peer: true lets it in; false means it was outside every range,
 * has been counted and audited, and the caller must drop the socket without a reply.
 */
export function admitPeer(server: Server, socket: net.Socket): boolean {
  if (isTrusted(server.config.str('trusted-networks'), socket.remoteAddress)) return true;
  server.stats.rejectedConnections++;
  server.stats.rejectedUntrusted++;
  const addr = hostPort(socket.remoteAddress, socket.remotePort);
  server.log.verbose(`Connection from ${addr} refused: not in trusted-networks`);
  auditEvent(server, 'trusted-networks', { addr, laddr: hostPort(socket.localAddress, socket.localPort) });
  return false;
}

/** ip:port as CLIENT LIST writes it ([v6]:port). */
function hostPort(ip: string | undefined, port: number | undefined): string {
  const a = unmap(ip ?? '?');
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}
