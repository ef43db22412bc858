// The listeners of the two ports (port, tls-port) and how CONFIG SET changes them at runtime, as
// Redis's changeListenPort does, but without a moment where neither port listens: the new port is
// bound first (staged, its connections refused), switched to when the change is applied, and the
// listeners on the losing side closed when the CONFIG SET ends (the old ones on success, the new
// ones on a rollback). Closing a listener leaves its established connections alone, as in Redis.

import type net from 'node:net';
import * as E from '../errors.js';
import type { PortKind } from '../config/types.js';

/** A TCP address the server listens on. */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'tcp';
  /** A TLS port. */
  readonly tls?: boolean;
}

/** One port's listeners, one per bind address. */
export interface PortBinding {
  readonly port: number;
  readonly servers: readonly net.Server[];
  readonly addresses: readonly TcpAddress[];
  /** False while staged: the listeners close what they accept until the change takes effect. */
  readonly gate: { open: boolean };
}

interface Staged {
  readonly port: number;
  readonly result: PortBinding | Error;
}

const KINDS: readonly PortKind[] = ['tcp', 'tls'];

export class PortListeners {
  private readonly live: Record<PortKind, PortBinding | null> = { tcp: null, tls: null };
  private readonly staged: Record<PortKind, Staged | null> = { tcp: null, tls: null };
  /** What the CONFIG SET in progress replaced (undefined: nothing), kept for its rollback. */
  private readonly replaced: Record<PortKind, PortBinding | null | undefined> = { tcp: undefined, tls: undefined };
  /** Bindings a rollback took out of service, closed when the CONFIG SET ends. */
  private retired: PortBinding[] = [];
  /** Port changes run one after another: each binds, then stores and applies, then settles. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly close: (b: PortBinding) => void) {}

  /** At startup: `binding` serves `kind`. */
  adopt(kind: PortKind, binding: PortBinding): void {
    binding.gate.open = true;
    this.live[kind] = binding;
  }

  /** What bindPort made of `port`: listeners waiting for switchTo, or the reason there are none. */
  stage(kind: PortKind, port: number, result: PortBinding | Error): void {
    const before = this.staged[kind];
    if (before !== null && !(before.result instanceof Error)) this.close(before.result);
    this.staged[kind] = { port, result };
  }

  /** The apply step: `kind` serves on `port` (0: on none), from the staged binding or, rolling back, the replaced one. */
  switchTo(kind: PortKind, port: number): Error | undefined {
    const current = this.live[kind];
    if ((current?.port ?? 0) === port) return undefined;
    let next: PortBinding | null;
    const replaced = this.replaced[kind];
    if (replaced !== undefined && (replaced?.port ?? 0) === port) {
      // A rollback: the replaced listeners come back, the ones that took their place go.
      next = replaced;
      this.replaced[kind] = undefined;
      if (current !== null) this.retired.push(current);
    } else {
      if (port === 0) {
        next = null;
      } else {
        const staged = this.staged[kind];
        if (staged === null || staged.port !== port) return new Error(E.PORT_LISTEN_FAILED);
        if (staged.result instanceof Error) return staged.result;
        next = staged.result;
        this.staged[kind] = null;
      }
      if (replaced === undefined) this.replaced[kind] = current;
      else if (current !== null) this.retired.push(current);
    }
    if (next !== null) next.gate.open = true;
    this.live[kind] = next;
    return undefined;
  }

  /** The CONFIG SET is over: whatever does not serve now is closed. */
  settle(): void {
    for (const kind of KINDS) {
      const staged = this.staged[kind];
      if (staged !== null && !(staged.result instanceof Error)) this.close(staged.result);
      this.staged[kind] = null;
      const replaced = this.replaced[kind];
      if (replaced !== undefined && replaced !== null) this.close(replaced);
      this.replaced[kind] = undefined;
    }
    for (const b of this.retired) this.close(b);
    this.retired = [];
  }

  /** Runs `step` after every port change before it (each one binds, applies and settles in turn). */
  serialize(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => {});
    return run;
  }

  /** The addresses served now: the plain port's, then the TLS port's. */
  addresses(): TcpAddress[] {
    return KINDS.flatMap((k) => this.live[k]?.addresses ?? []);
  }

  /** Every listener open now (serving, staged or kept for a rollback), for shutdown. */
  servers(): net.Server[] {
    const out: net.Server[] = [];
    for (const kind of KINDS) {
      out.push(...(this.live[kind]?.servers ?? []));
      const staged = this.staged[kind];
      if (staged !== null && !(staged.result instanceof Error)) out.push(...staged.result.servers);
      out.push(...(this.replaced[kind]?.servers ?? []));
    }
    for (const b of this.retired) out.push(...b.servers);
    return out;
  }
}
