// Who can reach a server, the context every hardening check's severity depends on: a server that
// listens only on loopback addresses is a local matter; one bound to other addresses, or one an
// audit reached from the network, is exposed. Both `--check-config` and `redoubt audit` build
// this the same way from what they know (the bind directive, the address the audit connected to).

import { BlockList, isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and localhost (and their IPv4-mapped forms) reach only this host. */
export function isLoopback(host: string): boolean {
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return h === '::1' || h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Addresses no other network routes to this host from the internet: private, shared, link-local, unique-local, unspecified. */
const NOT_PUBLIC = ((): BlockList => {
  const list = new BlockList();
  for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) list.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) list.addSubnet(net, bits, 'ipv6');
  return list;
})();

/**
 * True for an IP address on the public internet: not loopback, not private (RFC 1918, RFC 6598's
 * shared space, IPv6 unique-local), not link-local, not unspecified. A host name is not judged
 * (false): the auditor does not resolve names.
 */
export function isPublicAddress(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const mapped = h.toLowerCase().startsWith('::ffff:') && isIP(h.slice(7)) === 4 ? h.slice(7) : h;
  const family = isIP(mapped);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(mapped, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The hosts a `bind` value listens on: `-` (optional) marks dropped, `*` and `::*` as the wildcard
 * addresses. An empty value is Redis's "no bind directive", which listens on every interface.
 */
export function bindHosts(bind: string): string[] {
  const words = bind.split(' ').filter((w) => w !== '');
  if (words.length === 0) return ['0.0.0.0', '::'];
  return words.map((w) => (w.startsWith('-') ? w.slice(1) : w)).map((h) => (h === '*' ? '0.0.0.0' : h === '::*' ? '::' : h));
}

export interface Exposure {
  /** `local`: only this host's processes can connect; `network`: other hosts can (or did). */
  readonly level: 'local' | 'network';
  /** The non-loopback addresses involved: bound ones, or the one the audit reached. */
  readonly addresses: readonly string[];
  /** How this is known, for the evidence of findings ("bind 0.0.0.0", "the audit reached 10.0.0.5:6379"). */
  readonly why: string;
}

/** From the configuration: the bind addresses, when a TCP port (plain or TLS) is open at all. */
export function exposureFromBind(bind: string, tcpPortOpen: boolean): Exposure {
  if (!tcpPortOpen) return { level: 'local', addresses: [], why: 'no TCP port is open (port 0, tls-port 0)' };
  const remote = bindHosts(bind).filter((h) => !isLoopback(h));
  if (remote.length === 0) return { level: 'local', addresses: [], why: `bind "${bind}" listens on loopback addresses only` };
  return { level: 'network', addresses: remote, why: `bind "${bind}" listens on ${remote.join(', ')}` };
}

/** Keeps printable ASCII; anything else becomes '.', so hostile bytes cannot reach a terminal or a report. */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '.');
}
