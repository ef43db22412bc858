// MULTI, EXEC, DISCARD, WATCH and UNWATCH, as Redis 7.0's multi.c. The dispatcher queues what a
// client sends inside MULTI (queueCommand) after the gate has checked it; EXEC runs the queue as
// one step with the clock held still. WATCH bookkeeping lives in server/watch.ts.

import * as E from '../errors.js';
import type { Client } from '../server/client.js';
import type { Command } from './registry.js';
import { keyRange, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { transactionDocs } from './docs/transaction.js';
import { call } from '../server/dispatcher.js';
import { aclDenial } from '../security/acl/gate.js';
import { throttleAttempt } from '../security/auth-throttle.js';
import { credentialAttempts } from './connection.js';

/** One client's transaction in the making (Client.multi). */
export interface MultiState {
  readonly commands: { readonly cmd: Command; readonly argv: string[] }[];
  /** A command was refused while queueing (Redis's CLIENT_DIRTY_EXEC): EXEC replies EXECABORT. */
  failed: boolean;
  /** Some queued command writes or may replicate: EXEC waits out CLIENT PAUSE WRITE, as in Redis. */
  writes: boolean;
  /** What CLIENT LIST shows as multi-mem: the queued arguments plus a pointer per argument. */
  mem: number;
}

const QUEUED = Buffer.from('+QUEUED\r\n');

/** The commands that run at once inside MULTI instead of being queued. */
const RUN_IN_MULTI = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** True when the dispatcher must queue `cmd` rather than run it. */
export function queues(c: Client, cmd: Command): boolean {
  return c.multi !== null && !RUN_IN_MULTI.has(cmd.fullName);
}

/** Queues an admitted command and replies +QUEUED. A failed transaction keeps nothing more. */
export function queueCommand(c: Client, cmd: Command, argv: string[]): void {
  const m = c.multi!;
  if (!m.failed && !c.dirtyCas) {
    m.commands.push({ cmd, argv });
    let bytes = 8 * argv.length;
    for (const a of argv) bytes += a.length;
    m.mem += bytes;
    if (cmd.isWrite || cmd.spec.flags.includes('may_replicate')) m.writes = true;
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

// --- commands ---

function multi(c: Client): void {
  if (c.multi !== null) {
    c.reply.error(E.MULTI_NESTED);
    return;
  }
  c.multi = { commands: [], failed: false, writes: false, mem: 0 };
  c.reply.ok();
}

function discard(c: Client): void {
  if (c.multi === null) {
    c.reply.error(E.DISCARD_WITHOUT_MULTI);
    return;
  }
  discardTransaction(c);
  c.reply.ok();
}

function exec(c: Client): void {
  const m = c.multi;
  if (m === null) {
    c.reply.error(E.EXEC_WITHOUT_MULTI);
    return;
  }
  // Nothing can wait inside EXEC, so a transaction with AUTH or HELLO AUTH in it waits first, as
  // long as those attempts would one after another, then runs whole.
  const attempts = m.failed ? [] : m.commands.flatMap(({ cmd, argv }) => credentialAttempts(c, cmd.fullName, argv));
  throttleAttempt(c, attempts, () => {
    execQueued(c, m);
    // Held, EXEC runs after its call() returned: keys it filled serve their blocked clients here.
    const server = c.server;
    if (server.blocking.hasReady && server.script === null) server.blocking.serveReady();
  });
}

function execQueued(c: Client, m: MultiState): void {
  // A watched key that was live at WATCH and has expired since counts as touched (Redis 7.0).
  if (!c.dirtyCas && c.watched !== null && c.watched.table.anyExpired(c)) c.dirtyCas = true;
  if (m.failed || c.dirtyCas) {
    if (m.failed) c.reply.error(E.EXECABORT);
    else c.reply.nilArray();
    discardTransaction(c);
    return;
  }
  if (c.watched !== null) c.watched.table.unwatchAll(c);
  c.reply.array(m.commands.length);
  c.inExec = true;
  try {
    c.server.store.clock.frozenDuring(() => {
      for (const { cmd, argv } of m.commands) {
        // Permissions may have changed since the command was queued.
        const denied = aclDenial(c, cmd, argv);
        if (denied !== null) c.reply.error(E.execAclChanged(aclReason(denied)));
        else call(c, cmd, argv);
      }
    });
  } finally {
    c.inExec = false;
    discardTransaction(c);
  }
}

/** The reason Redis gives at EXEC for each kind of ACL refusal. */
function aclReason(denied: string): string {
  if (denied === E.NOPERM_KEY) return E.EXEC_DENIED_KEYS;
  if (denied === E.NOPERM_CHANNEL) return E.EXEC_DENIED_CHANNELS;
  return E.EXEC_DENIED_COMMAND;
}

function watch(c: Client, argv: string[]): void {
  if (c.multi !== null) {
    c.reply.error(E.WATCH_INSIDE_MULTI);
    return;
  }
  // Once dirty, the next EXEC fails whatever else is watched.
  if (!c.dirtyCas) {
    const table = c.server.watch;
    for (let i = 1; i < argv.length; i++) table.watch(c, argv[i]!);
  }
  c.reply.ok();
}

function unwatch(c: Client): void {
  if (c.watched !== null) c.watched.table.unwatchAll(c);
  c.dirtyCas = false;
  c.reply.ok();
}

const txAcl = ['fast', 'transaction'] as const;
const ALWAYS = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'] as const;

export const transactionCommands: readonly CommandSpec[] = withDocs(transactionDocs, [
  { name: 'multi', arity: 1, flags: ALWAYS, acl: txAcl, keys: NO_KEYS, run: multi },
  { name: 'exec', arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'], acl: ['slow', 'transaction'], keys: NO_KEYS, run: exec },
  { name: 'discard', arity: 1, flags: ALWAYS, acl: txAcl, keys: NO_KEYS, run: discard },
  { name: 'watch', arity: -2, flags: ALWAYS, acl: txAcl, keys: [keyRange(1, -1, 1, 'RO')], run: watch },
  { name: 'unwatch', arity: 1, flags: ALWAYS, acl: txAcl, keys: NO_KEYS, run: unwatch },
]);
