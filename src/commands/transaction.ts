// MULTI, EXEC, DISCARD, WATCH and UNWATCH, as Redis 7.0's multi.c. The dispatcher queues what a
// client sends inside MULTI (server/multi.ts) after the gate has checked it; EXEC runs the queue as
// one step with the clock held still (a script in it that runs past busy-reply-threshold holds
// the rest until it ends). WATCH bookkeeping lives in server/watch.ts.

import * as E from '../errors.js';
import type { Client } from '../server/client.js';
import { keyRange, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { transactionDocs } from './docs/transaction.js';
import { call } from '../server/dispatcher.js';
import { discardTransaction, type MultiState } from '../server/multi.js';
import { aclDenial, type AclDenial } from '../security/acl/gate.js';
import { throttleAttempt } from '../security/auth-throttle.js';
import { credentialAttempts } from './connection.js';
import { afterScript } from '../scripting/script-run.js';

// --- commands ---

function multi(c: Client): void {
  if (c.multi !== null) {
    c.reply.error(E.MULTI_NESTED);
    return;
  }
  c.multi = { commands: [], failed: false, writes: false, notStale: false, mem: 0 };
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
  // The transaction's effects reach the AOF as one batch, even if a script in it is suspended.
  c.server.propagation.beginUnit();
  const clock = c.server.store.clock;
  clock.frozenDuring(() => runQueued(c, m, 0, clock.now()));
}

/**
 * Runs the queued commands from `from` on, at the clock EXEC started with. A script among them
 * that gets suspended (past busy-reply-threshold, so that others get BUSY) holds the client:
 * the commands after it run once it has ended, as in Redis, where EXEC waits inside the script.
 * True when it stopped so.
 */
function runQueued(c: Client, m: MultiState, from: number, at: number): boolean {
  let next = from;
  c.inExec = true;
  try {
    for (let queued = m.commands[next]; queued !== undefined; queued = m.commands[next]) {
      next++;
      const { cmd, argv } = queued;
      // Permissions may have changed since the command was queued.
      const denied = aclDenial(c, cmd, argv);
      if (denied !== null) c.reply.error(E.execAclChanged(aclReason(denied.reason)));
      else call(c, cmd, argv);
      if (c.blocked && afterScript(c, () => c.server.store.clock.frozenAt(at, () => runQueued(c, m, next, at)))) return true;
    }
  } finally {
    c.inExec = false;
  }
  discardTransaction(c);
  c.server.propagation.endUnit();
  return false;
}

/** The reason Redis gives at EXEC for each kind of ACL refusal. */
function aclReason(denied: AclDenial['reason']): string {
  if (denied === 'key') return E.EXEC_DENIED_KEYS;
  if (denied === 'channel') return E.EXEC_DENIED_CHANNELS;
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
    for (const k of argv.slice(1)) table.watch(c, k);
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
