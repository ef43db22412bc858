// A client's transaction in the making, as Redis's multi.c: what the gate does with a command
// sent inside MULTI (queue it, or doom the EXEC when it is refused) and how a transaction ends.
// The MULTI, EXEC, DISCARD and WATCH commands themselves are commands/transaction.ts.

import * as E from '../errors.js';
import type { Client } from './client.js';
import type { Command } from '../commands/registry.js';

/** One client's transaction in the making (Client.multi). */
export interface MultiState {
  readonly commands: { readonly cmd: Command; readonly argv: string[] }[];
  /** A command was refused while queueing (Redis's CLIENT_DIRTY_EXEC): EXEC replies EXECABORT. */
  failed: boolean;
  /** Some queued command writes or may replicate: EXEC waits out CLIENT PAUSE WRITE, as in Redis. */
  writes: boolean;
  /** Some queued command may not run on a stale replica (lacks the `stale` flag): EXEC is judged by it. */
  notStale: boolean;
  /** What CLIENT LIST shows as multi-mem: the queued arguments plus a pointer per argument. */
  mem: number;
}

const QUEUED = Buffer.from('+QUEUED\r\n');

/**
 * The commands that run at once inside MULTI instead of being queued (Redis's processCommand
 * list). Read once, when the command table is built (Command.runsInMulti).
 */
export const RUN_IN_MULTI: ReadonlySet<string> = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Queues an admitted command into `m`, the client's transaction, and replies +QUEUED. A failed transaction keeps nothing more. */
export function queueCommand(c: Client, m: MultiState, cmd: Command, argv: string[]): void {
  if (!m.failed && !c.dirtyCas) {
    m.commands.push({ cmd, argv });
    let bytes = 8 * argv.length;
    for (const a of argv) bytes += a.length;
    m.mem += bytes;
    if (cmd.mayReplicate) m.writes = true;
    if (!cmd.isStaleOk) m.notStale = true;
  }
  // CLIENT LIST's cmd= names what was last sent, queued or not, as Redis's lastcmd.
  c.lastCommand = cmd;
  c.reply.raw(QUEUED);
}

/** Redis's flagTransaction: a command refused inside MULTI dooms the EXEC. */
export function flagTransaction(c: Client): void {
  if (c.multi !== null) c.multi.failed = true;
}

/** Ends the transaction and forgets every WATCH (EXEC, DISCARD, RESET). */
export function discardTransaction(c: Client): void {
  c.multi = null;
  c.dirtyCas = false;
  if (c.watched !== null) c.watched.table.unwatchAll(c);
}

/** EXEC was itself refused by the gate: the transaction goes, and the reply says why. */
export function execAbort(c: Client, message: string): void {
  discardTransaction(c);
  c.reply.error(E.execAbortBecause(message));
}
