// The cluster bus's sockets (docs/cluster.md): a listener on cluster-port on each address the
// main port binds, links to and from other nodes, and the limits an unauthenticated peer meets.
// Only peers in cluster-allowed-peers are accepted or dialled; bytes are framed by the codec's
// BusFramer, and whole messages go to the owner (cluster-mode.ts), which decodes and acts on them.

import net, { BlockList } from 'node:net';
import { BusFramer } from './cluster-bus-codec.js';

/** Inbound bus connections at once; more are closed on accept. */
const MAX_INBOUND_LINKS = 1024;
/** The largest message a link whose sender is not a known node may send (a MEET with a large gossip section fits). */
const MAX_UNKNOWN_MESSAGE = 256 * 1024;
/** The largest message from a known node (a PUBLISH carries a whole message). */
const MAX_KNOWN_MESSAGE = 64 * 1024 * 1024;
/** An inbound link must deliver a well-formed message within this time, or it is closed. */
const FIRST_MESSAGE_MS = 10_000;

/** A parsed cluster-allowed-peers value. */
export class PeerAllowlist {
  private readonly list = new BlockList();

  constructor(readonly text: string) {
    for (const word of text.split(/[\s,]+/)) {
      if (word === '') continue;
      const entry = parsePeer(word);
      if (typeof entry === 'string') throw new Error(entry);
      if (entry.prefix === null) this.list.addAddress(entry.ip, entry.family);
      else this.list.addSubnet(entry.ip, entry.prefix, entry.family);
    }
  }

  allows(address: string): boolean {
    const ip = plainAddress(address);
    const family = net.isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** An IPv4-mapped IPv6 address as its IPv4 form (what the socket says for an IPv4 peer on a dual-stack listener). */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** One word of cluster-allowed-peers: an address, or an address/prefix. */
function parsePeer(word: string): { ip: string; prefix: number | null; family: 'ipv4' | 'ipv6' } | string {
  const slash = word.indexOf('/');
  const ip = slash === -1 ? word : word.slice(0, slash);
  const fam = net.isIP(ip);
  if (fam === 0) return `'${word}' is not an IP address or CIDR range`;
  const family = fam === 6 ? 'ipv6' : 'ipv4';
  if (slash === -1) return { ip, prefix: null, family };
  const text = word.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(prefix >= 0 && prefix <= (fam === 6 ? 128 : 32))) return `'${word}' has a bad prefix length`;
  return { ip, prefix, family };
}

/** What the bus tells its owner. */
export interface BusEvents {
  /** A whole, framed message arrived on `link` (not yet decoded). */
  message(link: BusLink, frame: Buffer): void;
  /** An outbound link connected. */
  connected(link: BusLink): void;
  /** A link closed (by either side, or for a protocol error). */
  closed(link: BusLink): void;
  /** Something worth a log line. */
  log(level: 'verbose' | 'notice' | 'warning', text: string): void;
}

/** One TCP connection of the bus, inbound or outbound. `node` is the owner's, opaque here. */
export class BusLink<N = unknown> {
  readonly ctime = Date.now();
  node: N | null = null;
  closed = false;
  private readonly framer: BusFramer;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: net.Socket,
    readonly inbound: boolean,
    private readonly events: BusEvents,
    private readonly sendLimit: () => number,
  ) {
    this.framer = new BusFramer(() => (this.node === null ? MAX_UNKNOWN_MESSAGE : MAX_KNOWN_MESSAGE));
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    if (inbound) {
      this.timer = setTimeout(() => {
        if (this.node === null) this.fail('no well-formed message in time');
      }, FIRST_MESSAGE_MS);
      this.timer.unref();
    }
  }

  /** Bytes received on this link so far and not yet a whole message are bounded by the framer. */
  private receive(data: Buffer): void {
    if (this.closed) return;
    const frames = this.framer.push(data);
    if (typeof frames === 'string') {
      this.fail(frames);
      return;
    }
    for (const f of frames) {
      // Acting on a message may close the link (a mismatched sender, a protocol error).
      if (this.isClosed()) return;
      this.events.message(this, f);
    }
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** A message was accepted from this link's peer: the first-message deadline no longer applies. */
  accepted(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  send(buf: Buffer): void {
    if (this.closed) return;
    const limit = this.sendLimit();
    if (limit > 0 && this.socket.writableLength + buf.length > limit) {
      this.fail('send buffer limit reached (cluster-link-sendbuf-limit)');
      return;
    }
    this.socket.write(buf);
  }

  /** Closes the link after logging why. */
  fail(why: string): void {
    if (this.closed) return;
    this.events.log('verbose', `Cluster bus link ${this.inbound ? 'from' : 'to'} ${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'} closed: ${why}`);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket.destroy();
    this.events.closed(this);
  }
}

/** The listeners and the inbound links. Outbound links are made with connect(). */
export class ClusterBus {
  private readonly servers: net.Server[] = [];
  readonly inbound = new Set<BusLink>();
  /** Connections refused for their address, or for the connection cap (INFO-style counters). */
  refusedPeers = 0;
  refusedCap = 0;

  constructor(
    private readonly events: BusEvents,
    private readonly allowed: () => PeerAllowlist,
    private readonly sendLimit: () => number,
  ) {}

  /** Listens on `port` at each of `hosts` (the main port's addresses). */
  async listen(hosts: readonly string[], port: number): Promise<void> {
    for (const host of hosts) {
      await new Promise<void>((resolve, reject) => {
        const srv = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
        srv.once('error', reject);
        srv.listen({ host, port, ipv6Only: host.includes(':') }, () => {
          srv.off('error', reject);
          srv.on('error', (err: Error) => this.events.log('warning', `Cluster bus listener error: ${err.message}`));
          this.servers.push(srv);
          resolve();
        });
      }).catch((err: unknown) => {
        throw new Error(`Could not create the cluster bus listening socket ${host}:${port}: ${(err as Error).message}`, { cause: err });
      });
    }
  }

  private accept(socket: net.Socket): void {
    const peer = socket.remoteAddress ?? '';
    if (!this.allowed().allows(peer)) {
      this.refusedPeers++;
      this.events.log('warning', `Cluster bus connection from ${peer} refused: not in cluster-allowed-peers`);
      socket.destroy();
      return;
    }
    if (this.inbound.size >= MAX_INBOUND_LINKS) {
      this.refusedCap++;
      this.events.log('warning', `Cluster bus connection from ${peer} refused: ${MAX_INBOUND_LINKS} inbound links already`);
      socket.destroy();
      return;
    }
    const link = new BusLink(socket, true, this.events, this.sendLimit);
    this.inbound.add(link);
    socket.once('close', () => this.inbound.delete(link));
  }

  /** Dials a node's bus; null when its address is not allowed. */
  connect(ip: string, port: number): BusLink | null {
    if (!this.allowed().allows(ip)) return null;
    const socket = net.connect({ host: ip, port });
    const link = new BusLink(socket, false, this.events, this.sendLimit);
    socket.once('connect', () => {
      if (!link.closed) this.events.connected(link);
    });
    return link;
  }

  async close(): Promise<void> {
    for (const l of [...this.inbound]) l.close();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
  }
}
