// What to scan: host[:port] words (IPv6 in brackets), files of them, and CIDR ranges given with
// --range (capped, so a typo cannot turn an audit into an internet scan), each crossed with --ports.
// Every target remembers where it came from: credentials go only to targets named one by one.

import net from 'node:net';

export const DEFAULT_PORT = 6379;
/** The most addresses one audit expands ranges into. */
export const MAX_RANGE_ADDRESSES = 4096;

/** Named on the command line, read from an --input file, or expanded from a --range. */
export type TargetOrigin = 'named' | 'input' | 'range';

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly origin: TargetOrigin;
}

/** "host:port", with IPv6 hosts in brackets. */
export function targetLabel(t: Target): string {
  return net.isIPv6(t.host) ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

export class TargetError extends Error {}

function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new TargetError(`Invalid port '${text}' in ${what}`);
  return Number(text);
}

/** `--ports 6379,6380,7000-7005`: a sorted, de-duplicated list (at most 1024 ports). */
export function parsePorts(text: string): number[] {
  const ports = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)-(\d+)$/.exec(part.trim());
    if (m) {
      const lo = parsePort(m[1] ?? '', '--ports');
      const hi = parsePort(m[2] ?? '', '--ports');
      if (hi < lo) throw new TargetError(`Invalid port range '${part}'`);
      for (let p = lo; p <= hi && ports.size <= 1024; p++) ports.add(p);
    } else {
      ports.add(parsePort(part.trim(), '--ports'));
    }
    if (ports.size > 1024) throw new TargetError('Too many ports: at most 1024');
  }
  return [...ports].sort((a, b) => a - b);
}

/** host, host:port, [v6], [v6]:port, or a bare IPv6 address (no port). */
export function parseTarget(word: string, ports: readonly number[], origin: TargetOrigin = 'named'): Target[] {
  const w = word.trim();
  if (w === '') throw new TargetError('Empty target');
  let host: string;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(w);
  if (bracket) {
    host = bracket[1] ?? '';
    port = bracket[2];
    if (!net.isIPv6(host)) throw new TargetError(`Invalid IPv6 address in '${word}'`);
  } else if (net.isIPv6(w)) {
    host = w;
  } else {
    const colon = w.lastIndexOf(':');
    host = colon === -1 ? w : w.slice(0, colon);
    port = colon === -1 ? undefined : w.slice(colon + 1);
    if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new TargetError(`Invalid host in '${word}'`);
  }
  if (port !== undefined) return [{ host, port: parsePort(port, `'${word}'`), origin }];
  return ports.map((p) => ({ host, port: p, origin }));
}

/** Lines of a targets file; blank lines and # comments are skipped. */
export function parseTargetFile(text: string, ports: readonly number[]): Target[] {
  const out: Target[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line !== '') out.push(...parseTarget(line, ports, 'input'));
  }
  return out;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Expands 16-bit groups of an IPv6 address (handles ::). */
function ipv6ToBigInt(ip: string): bigint {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function bigIntToIpv6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Every address of `cidr` (network and broadcast included, as nmap does); refuses more than `max`. */
export function expandRange(cidr: string, max = MAX_RANGE_ADDRESSES): string[] {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!m) throw new TargetError(`Invalid range '${cidr}': expected ADDRESS/PREFIX`);
  const addr = m[1] ?? '';
  const prefix = Number(m[2]);
  const version = net.isIP(addr);
  if (version === 0) throw new TargetError(`Invalid address in range '${cidr}'`);
  const bits = version === 4 ? 32 : 128;
  if (prefix > bits) throw new TargetError(`Invalid prefix length in '${cidr}'`);
  const hostBits = bits - prefix;
  if (hostBits > 12 || 2 ** hostBits > max) {
    throw new TargetError(`Range '${cidr}' has ${2 ** hostBits} addresses; at most ${max} may be scanned at once`);
  }
  const count = 2 ** hostBits;
  if (version === 4) {
    const base = ipv4ToInt(addr) - (ipv4ToInt(addr) % count);
    return Array.from({ length: count }, (_, i) => intToIpv4(base + i));
  }
  const size = BigInt(count);
  const base = ipv6ToBigInt(addr) - (ipv6ToBigInt(addr) % size);
  return Array.from({ length: count }, (_, i) => bigIntToIpv6(base + BigInt(i)));
}

/** Drops repeated host:port pairs, keeping the first occurrence's order. */
export function uniqueTargets(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const k = targetLabel(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
