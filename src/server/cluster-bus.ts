// The cluster bus's sockets (docs/cluster.md): a listener on cluster-port on each address the
// main port binds, links to and from other nodes, and the limits an unauthenticated peer meets.
// Only peers in cluster-allowed-peers are accepted or dialled; with tls-cluster every link is TLS
// and both ends must show a certificate of the cluster's CA before a byte of the bus is read.
// Bytes are framed by the codec's BusFramer, and whole messages go to the owner (cluster-mode.ts).

import net, { BlockList } from 'node:net';
import tls from 'node:tls';
import { BusFramer } from './cluster-bus-codec.js';

/** Inbound bus connections at once; more are closed on accept. */
const MAX_INBOUND_LINKS = 1024;
/** The largest message a link whose sender is not a known node may send (a MEET with a large gossip section fits). */
const MAX_UNKNOWN_MESSAGE = 256 * 1024;
/** The largest message from a known node (a PUBLISH carries a whole message). */
const MAX_KNOWN_MESSAGE = 64 * 1024 * 1024;
/** An inbound link must deliver a well-formed message within this time, or it is closed. */
const FIRST_MESSAGE_MS = 10_000;
/** A TLS handshake on the bus (either way) must end within this time, or the connection is closed. */
const TLS_HANDSHAKE_MS = 5_000;
/** TLS handshakes under way on the listener at once (as many as handshake nodes); more are closed on accept. */
const MAX_TLS_HANDSHAKES = 256;

/**
 * The bus's TLS (tls-cluster yes), from the tls-* directives (security/tls.ts): the listener's
 * options (this node's certificate and the cluster CA; a peer certificate the CA signed is
 * required) and the context outgoing links present (the client certificate) and verify with.
 */
export interface BusTls {
  readonly server: tls.SecureContextOptions;
  readonly client: tls.SecureContext;
}

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

/** One connection of the bus (TCP, or TLS once its handshake is done), inbound or outbound. `node` is the owner's, opaque here. */
export class BusLink<N = unknown> {
  readonly ctime = Date.now();
  node: N | null = null;
  closed = false;
  /** The peer is reached: at once for TCP (as Redis counts a link), after a verified handshake for TLS. */
  established: boolean;
  private readonly framer: BusFramer;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: net.Socket,
    readonly inbound: boolean,
    private readonly events: BusEvents,
    private readonly sendLimit: () => number,
  ) {
    this.established = !(socket instanceof tls.TLSSocket) || socket.authorized;
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
  /** Inbound TLS connections whose handshake is not done, by remote address and port. */
  private readonly handshaking = new Map<string, net.Socket>();
  /** Connections refused for their address, for the connection cap, or in the TLS handshake (INFO-style counters). */
  refusedPeers = 0;
  refusedCap = 0;
  refusedTls = 0;

  /** `secure`: the bus's TLS with tls-cluster yes, null for plain TCP; fixed for the bus's life (setTls swaps its certificates). */
  constructor(
    private readonly events: BusEvents,
    private readonly allowed: () => PeerAllowlist,
    private readonly sendLimit: () => number,
    private secure: BusTls | null = null,
  ) {}

  get tls(): boolean {
    return this.secure !== null;
  }

  /** New certificates (CONFIG SET of a tls-* directive): new links use them, established ones keep theirs. */
  setTls(secure: BusTls): void {
    if (this.secure === null) return;
    this.secure = secure;
    for (const srv of this.servers) if (srv instanceof tls.Server) srv.setSecureContext(secure.server);
  }

  /** Listens on `port` at each of `hosts` (the main port's addresses). */
  async listen(hosts: readonly string[], port: number): Promise<void> {
    for (const host of hosts) {
      await new Promise<void>((resolve, reject) => {
        const srv = this.createServer();
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

  private createServer(): net.Server {
    const secure = this.secure;
    if (secure === null) return net.createServer({ noDelay: true }, (socket) => {
        if (this.admit(socket)) this.accept(socket);
      });
    // As Redis's bus with tls-cluster (TLS_CLIENT_AUTH_YES): no certificate, or one the CA did not
    // sign, fails the handshake, whatever tls-auth-clients says for clients.
    const srv = tls.createServer({
      ...secure.server,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: TLS_HANDSHAKE_MS,
      noDelay: true,
    });
    // Node hands over the raw socket before its handshake: the allowlist and the caps come first.
    srv.prependListener('connection', (raw: net.Socket) => {
      if (!this.admit(raw)) return;
      if (this.handshaking.size >= MAX_TLS_HANDSHAKES) {
        this.refusedCap++;
        this.events.log('warning', `Cluster bus connection from ${raw.remoteAddress ?? ''} refused: ${MAX_TLS_HANDSHAKES} TLS handshakes under way already`);
        raw.destroy();
        return;
      }
      const key = `${raw.remoteAddress ?? ''}:${raw.remotePort ?? ''}`;
      this.handshaking.set(key, raw);
      raw.once('close', () => {
        if (this.handshaking.get(key) === raw) this.handshaking.delete(key);
      });
    });
    srv.on('secureConnection', (socket: tls.TLSSocket) => {
      this.handshaking.delete(`${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`);
      // rejectUnauthorized already failed any other handshake; checked again, as this is the bus's one door.
      if (!socket.authorized) {
        this.refused(socket.remoteAddress, String(socket.authorizationError));
        socket.destroy();
        return;
      }
      this.accept(socket);
    });
    // A refused certificate, garbage, or a handshake past its time: closed, counted, logged.
    srv.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      this.refused(socket.remoteAddress, err.message);
      socket.destroy();
    });
    return srv;
  }

  private refused(peer: string | undefined, why: string): void {
    this.refusedTls++;
    this.events.log('warning', `Cluster bus connection from ${peer ?? '?'} refused in the TLS handshake: ${why}`);
  }

  /** The allowlist and the cap on links, before anything is read (or, with TLS, handshaken). */
  private admit(socket: net.Socket): boolean {
    const peer = socket.remoteAddress ?? '';
    if (!this.allowed().allows(peer)) {
      this.refusedPeers++;
      this.events.log('warning', `Cluster bus connection from ${peer} refused: not in cluster-allowed-peers`);
      socket.destroy();
      return false;
    }
    if (this.inbound.size + this.handshaking.size >= MAX_INBOUND_LINKS) {
      this.refusedCap++;
      this.events.log('warning', `Cluster bus connection from ${peer} refused: ${MAX_INBOUND_LINKS} inbound links already`);
      socket.destroy();
      return false;
    }
    return true;
  }

  private accept(socket: net.Socket): void {
    const link = new BusLink(socket, true, this.events, this.sendLimit);
    this.inbound.add(link);
    socket.once('close', () => this.inbound.delete(link));
  }

  /**
   * Dials a node's bus; null when its address is not allowed. With TLS the link is connected once
   * the handshake is done: the peer's certificate verified against the cluster CA (not its name,
   * as Redis: nodes are met by address), ours presented.
   */
  connect(ip: string, port: number): BusLink | null {
    if (!this.allowed().allows(ip)) return null;
    const secure = this.secure;
    if (secure === null) {
      const socket = net.connect({ host: ip, port });
      const link = new BusLink(socket, false, this.events, this.sendLimit);
      socket.once('connect', () => {
        if (!link.closed) this.events.connected(link);
      });
      return link;
    }
    const socket = tls.connect({ host: ip, port, secureContext: secure.client, rejectUnauthorized: true, checkServerIdentity: () => undefined });
    // Before the link's own handler closes it: why the handshake failed (a certificate refused either way).
    socket.once('error', (err: Error) => this.events.log('verbose', `Cluster bus link to ${ip}:${port} failed: ${err.message}`));
    const link = new BusLink(socket, false, this.events, this.sendLimit);
    const timer = setTimeout(() => link.fail('TLS handshake timed out'), TLS_HANDSHAKE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      if (link.closed) return;
      if (!socket.authorized) {
        link.fail(`TLS: ${String(socket.authorizationError)}`);
        return;
      }
      link.established = true;
      this.events.connected(link);
    });
    return link;
  }

  async close(): Promise<void> {
    for (const l of [...this.inbound]) l.close();
    for (const s of [...this.handshaking.values()]) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
  }
}
