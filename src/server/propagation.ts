// The one propagation point, as Redis 7.0's call()/alsoPropagate/propagatePendingCommands: after
// a command runs, what it changed in the dataset is queued as its *effects* (the argv it ran, or
// the argv its handler rewrote it to), and at the end of the outermost unit of work (a command,
// an EXEC, a script, an active-expiry pass) the queue goes to every sink, wrapped in MULTI/EXEC
// when it holds more than one operation. The AOF is a sink, replication (replication.ts) another,
// fed the same operations.

import type { Client } from './client.js';
import type { Command } from '../commands/registry.js';

/** Where an operation may go: the AOF, the replication stream, or both (Redis's PROPAGATE_*). */
export const TO_AOF = 1;
export const TO_REPL = 2;
const TO_ALL = TO_AOF | TO_REPL;

/** One operation to propagate: the database it applies to and its arguments. */
export interface PropagatedOp {
  readonly db: number;
  readonly argv: readonly string[];
  readonly target: number;
}

/**
 * A consumer of propagated operations. `feed` gets one atomic batch, in order; the sink emits a
 * SELECT itself whenever an operation's db differs from the one it last selected (each sink keeps
 * its own, as Redis's aof_selected_db and slaveseldb).
 */
export interface PropagationSink {
  /** The targets this sink takes (TO_AOF for the AOF). */
  readonly target: number;
  feed(ops: readonly PropagatedOp[]): void;
}

/** What a handler asked for the command that is running (Redis's client flags and rewritten argv). */
interface Frame {
  cmd: Command;
  argv: readonly string[];
  /** The argv to propagate instead of the one that ran (rewriteClientCommandVector). */
  rewritten: readonly string[] | null;
  /** Propagate nothing of the command itself (preventCommandPropagation); alsoPropagate still works. */
  prevent: boolean;
  /** Propagate even though the dataset did not change (forceCommandPropagation). */
  force: number;
}

const MULTI: readonly string[] = ['MULTI'];
const EXEC: readonly string[] = ['EXEC'];

/** Commands that touch keys of their own choosing: their expiry DELs are never wrapped (Redis's CMD_TOUCHES_ARBITRARY_KEYS). */
const ARBITRARY_KEYS: ReadonlySet<string> = new Set(['scan', 'randomkey']);

export class Propagation {
  readonly sinks: PropagationSink[] = [];
  private pending: PropagatedOp[] = [];
  /** Calls in progress (nested: EXEC and scripts call commands). */
  private readonly frames: Frame[] = [];
  /** Calls in progress: frames[0..depth) are live; the objects are reused, so a call allocates nothing. */
  private depth = 0;
  /**
   * Units of work that span more than one call() and must reach the sinks as one batch: an EXEC
   * or a script suspended past busy-reply-threshold, an active-expiry pass.
   */
  private units = 0;
  /** The command whose call() is outermost, for the arbitrary-keys rule. */
  private outer: Command | null = null;
  /** Nothing is propagated (AOF loading replays what is already on disk). */
  paused = 0;
  /** Batches fed to the sinks, for tests and INFO. */
  batches = 0;

  /** True when some sink would take what is queued: handlers skip building rewrites otherwise. */
  get active(): boolean {
    return this.sinks.length !== 0 && this.paused === 0;
  }

  // --- what call() does ---

  /** call() is about to run `cmd` with `argv`. */
  enter(cmd: Command, argv: readonly string[]): void {
    if (this.depth === 0 && this.units === 0) this.outer = cmd;
    const f = this.frames[this.depth];
    if (f === undefined) {
      this.frames.push({ cmd, argv, rewritten: null, prevent: false, force: 0 });
    } else {
      f.cmd = cmd;
      f.argv = argv;
      f.rewritten = null;
      f.prevent = false;
      f.force = 0;
    }
    this.depth++;
  }

  /** The command running now and its arguments (a blocking command keeps them for when it is served). */
  current(): { readonly cmd: Command; readonly argv: readonly string[] } | null {
    const f = this.top();
    return f === undefined ? null : { cmd: f.cmd, argv: f.argv };
  }

  /**
   * call() ran `argv` on `c`; `dirty` tells whether the dataset changed. Queues the command's
   * effect (its argv, or its rewrite) and, at the outermost level, sends the batch.
   */
  leave(c: Client, cmd: Command, argv: readonly string[], dirty: boolean): void {
    const frame = this.top();
    if (this.depth > 0) this.depth--;
    if (frame !== undefined && !frame.prevent && cmd.fullName !== 'exec') {
      let target = dirty ? TO_ALL : 0;
      target |= frame.force;
      if (target !== 0) this.also(c.db.id, frame.rewritten ?? argv, target);
    }
    this.flushIfOutermost();
  }

  private top(): Frame | undefined {
    return this.depth === 0 ? undefined : this.frames[this.depth - 1];
  }

  // --- what handlers call (the c-level overrides of Redis) ---

  /** The running command propagates as `argv` instead (rewriteClientCommandVector). */
  rewrite(argv: readonly string[]): void {
    const f = this.top();
    if (f !== undefined) f.rewritten = argv;
  }

  /** The running command itself propagates nothing; what it queued with also() still goes. */
  prevent(): void {
    const f = this.top();
    if (f !== undefined) f.prevent = true;
  }

  /** The running command propagates even if the dataset did not change (FLUSHALL on empty dbs). */
  force(target = TO_ALL): void {
    const f = this.top();
    if (f !== undefined) f.force |= target;
  }

  /** Queues one more operation (alsoPropagate); it goes with the current unit of work. */
  also(db: number, argv: readonly string[], target = TO_ALL): void {
    if (!this.active) return;
    this.pending.push({ db, argv, target });
    if (this.depth === 0 && this.units === 0) this.flush();
  }

  // --- units of work beyond one call ---

  /** A unit of work begins that may outlive the call() that started it (see `units`). */
  beginUnit(): void {
    this.units++;
  }

  /** Ends a unit begun with beginUnit; the batch goes out when nothing else holds it. */
  endUnit(): void {
    if (this.units > 0) this.units--;
    this.flushIfOutermost();
  }

  private flushIfOutermost(): void {
    if (this.depth === 0 && this.units === 0) {
      this.flush();
      this.outer = null;
    }
  }

  /** Sends the queued operations to every sink, wrapped in MULTI/EXEC when there are several. */
  private flush(): void {
    const ops = this.pending;
    if (ops.length === 0) return;
    this.pending = [];
    if (!this.active) return;
    const first = ops[0];
    const last = ops.at(-1);
    let batch: readonly PropagatedOp[] = ops;
    const arbitrary = this.outer !== null && ARBITRARY_KEYS.has(this.outer.spec.name);
    if (ops.length > 1 && !arbitrary && first !== undefined && last !== undefined) {
      // MULTI takes the first op's db, so a SELECT goes before it; EXEC the last one's.
      batch = [{ db: first.db, argv: MULTI, target: TO_ALL }, ...ops, { db: last.db, argv: EXEC, target: TO_ALL }];
    }
    this.batches++;
    for (const sink of this.sinks) {
      const mine = batch.filter((op) => (op.target & sink.target) !== 0);
      if (mine.length !== 0) sink.feed(mine);
    }
  }
}

/**
 * The effect of a command that may run now (inside its own call()) or later, serving a client
 * it blocked (BLPOP → LPOP, BLMOVE → LMOVE, BZPOPMIN → ZPOPMIN, LMPOP → LPOP key count): the
 * command itself does not propagate; `argv` does, with this unit of work.
 */
export function propagateEffect(c: Client, argv: readonly string[]): void {
  const p = c.server.propagation;
  if (!p.active) return;
  p.prevent();
  p.also(c.db.id, argv);
}
