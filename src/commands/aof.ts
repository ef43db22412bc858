// BGREWRITEAOF and WAITAOF. The AOF itself is server/aof.ts; these only ask it. WAITAOF follows
// Redis 7.2: `numlocal` (0 or 1) waits for the local fsync of every write propagated before it,
// `numreplicas` counts replicas' AOFs (there is no replication yet, so it waits out its timeout).

import * as E from '../errors.js';
import { arg, parseInteger } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { aofDocs } from './docs/aof.js';
import type { Client } from '../server/client.js';
import { msTimeoutArg } from '../server/blocking.js';

function bgrewriteaof(c: Client): void {
  const aof = c.server.aof;
  if (aof.rewriting) {
    c.reply.error(E.AOF_REWRITE_IN_PROGRESS);
    return;
  }
  // Inside EXEC, or while a BGSAVE runs, Redis schedules it: the cron starts it once it can.
  if (c.inExec || c.server.rdb.inProgress) {
    aof.rewriteScheduled = true;
    c.reply.status('Background append only file rewriting scheduled');
    return;
  }
  if (aof.rewrite() === null) c.reply.status('Background append only file rewriting started');
  else c.reply.error(E.AOF_REWRITE_FAILED);
}

function waitaof(c: Client, argv: string[]): void {
  const numlocal = parseInteger(arg(argv, 1));
  if (numlocal === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (numlocal < 0 || numlocal > 1) {
    c.reply.error(E.WAITAOF_NUMLOCAL_RANGE);
    return;
  }
  const numreplicas = parseInteger(arg(argv, 2));
  if (numreplicas === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (numreplicas < 0) {
    c.reply.error(E.COUNT_POSITIVE);
    return;
  }
  const timeout = msTimeoutArg(c, arg(argv, 3));
  if (timeout === null) return;
  const server = c.server;
  const aof = server.aof;
  const repl = server.replication;
  if (repl.link !== null) {
    c.reply.error(E.WAITAOF_ON_REPLICA);
    return;
  }
  if (numlocal !== 0 && !aof.on) {
    c.reply.error(E.WAITAOF_APPENDONLY_OFF);
    return;
  }
  // Every write this client saw acknowledged was fed (and propagated) before this point.
  const offset = aof.fedOffset;
  const replOffset = repl.dataOffset;
  const local = (): number => (aof.on && aof.fsyncedOffset >= offset ? 1 : 0);
  const replicas = (): number => repl.aofAcked(replOffset);
  const done = (): boolean => local() >= numlocal && replicas() >= numreplicas;
  const answer = (): void => {
    c.reply.array(2);
    c.reply.integer(local());
    c.reply.integer(replicas());
  };
  // A client that may not block (EXEC, scripts) is answered with what is, as Redis.
  if (done() || c.inExec) {
    answer();
    return;
  }
  const cancels: Array<() => void> = [];
  const release = server.holdClient(c, timeout === 0 ? 2 ** 31 - 1 : timeout, () => {
    for (const cancel of cancels) cancel();
    answer();
  });
  const check = (): void => {
    if (done()) release();
  };
  // The local fsync and the replicas' FACKs, whichever comes last answers.
  if (local() < numlocal) cancels.push(aof.waitFsync(c, offset, check));
  if (replicas() < numreplicas) cancels.push(repl.waitAofAcks(c, replOffset, numreplicas, check));
}

export const aofCommands: readonly CommandSpec[] = withDocs(aofDocs, [
  { name: 'bgrewriteaof', arity: 1, flags: ['no_async_loading', 'admin', 'noscript'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: bgrewriteaof },
  { name: 'waitaof', arity: 4, flags: ['noscript'], acl: ['slow', 'connection'], keys: NO_KEYS, tips: ['request_policy:all_shards', 'response_policy:agg_min'], run: waitaof },
]);
