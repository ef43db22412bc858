// A TCP proxy for a test to put between a replica and its primary and break the link on demand:
// drop (close every connection), stall (stop forwarding, both ways, without closing: TCP's own
// backpressure holds the bytes) and resume, and partition (as stall, and new connections are
// accepted but get nowhere until heal, as on a network that loses the packets).

import net from 'node:net';

interface Pair {
  readonly down: net.Socket;
  up: net.Socket | null;
}

export class LinkProxy {
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  private cut = false;
  /** Connections accepted while partitioned, connected onwards once healed. */
  private held: net.Socket[] = [];
  /** Connections made through the proxy so far. */
  connections = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: number,
    private readonly host: string,
  ) {}

  /** A proxy on a free loopback port forwarding to host:target. */
  static async start(target: number, host = '127.0.0.1'): Promise<LinkProxy> {
    let proxy: LinkProxy | null = null;
    const server = net.createServer((socket) => proxy?.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    proxy = new LinkProxy(server, addr.port, target, host);
    return proxy;
  }

  private accept(down: net.Socket): void {
    down.on('error', () => {});
    if (this.cut) {
      down.pause();
      this.held.push(down);
      return;
    }
    this.forward(down);
  }

  private forward(down: net.Socket): void {
    this.connections++;
    const pair: Pair = { down, up: null };
    this.pairs.add(pair);
    const up = net.connect({ host: this.host, port: this.target });
    pair.up = up;
    up.on('error', () => {});
    const close = (): void => {
      this.pairs.delete(pair);
      down.destroy();
      up.destroy();
    };
    down.on('close', close);
    up.on('close', close);
    down.pipe(up);
    up.pipe(down);
    if (this.stalled) this.pausePair(pair);
  }

  private pausePair(p: Pair): void {
    p.down.pause();
    p.up?.pause();
    // pipe() resumes a paused source on 'drain'; unpipe so nothing flows until resume().
    p.down.unpipe();
    p.up?.unpipe();
  }

  /** Closes every connection now (both sides see the link break). */
  drop(): void {
    for (const p of [...this.pairs]) {
      p.down.destroy();
      p.up?.destroy();
    }
    this.pairs.clear();
  }

  /** Stops forwarding on the connections that exist, without closing them. */
  stall(): void {
    this.stalled = true;
    for (const p of this.pairs) this.pausePair(p);
  }

  /** Forwards again what the stalled connections hold and whatever comes next. */
  resume(): void {
    this.stalled = false;
    for (const p of this.pairs) {
      const up = p.up;
      if (up === null) continue;
      p.down.pipe(up);
      up.pipe(p.down);
      p.down.resume();
      up.resume();
    }
  }

  /** A partition: nothing flows on existing connections, and new ones get nowhere. */
  partition(): void {
    this.cut = true;
    this.stall();
  }

  /** The partition ends: the stalled connections flow again, the held ones are connected onwards. */
  heal(): void {
    this.cut = false;
    this.resume();
    const held = this.held;
    this.held = [];
    for (const s of held) {
      if (s.destroyed) continue;
      s.resume();
      this.forward(s);
    }
  }

  async close(): Promise<void> {
    this.drop();
    for (const s of this.held) s.destroy();
    this.held = [];
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
