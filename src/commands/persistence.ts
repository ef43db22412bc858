// The persistence family: SAVE, BGSAVE [SCHEDULE] and LASTSAVE. The saving itself (files, the
// forkless snapshot, save points) is the server's RdbSaver (server/rdb-save.ts).

import * as E from '../errors.js';
import { is } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { persistenceDocs } from './docs/persistence.js';
import type { Client } from '../server/client.js';

function save(c: Client): void {
  const rdb = c.server.rdb;
  if (rdb.inProgress) {
    c.reply.error(E.BGSAVE_IN_PROGRESS);
    return;
  }
  rdb.saves++;
  if (rdb.save()) c.reply.ok();
  else c.reply.error(E.SAVE_FAILED);
}

function bgsave(c: Client, argv: string[]): void {
  // SCHEDULE matters only while another background job (an AOF rewrite) runs; with none, the
  // save starts at once, as in Redis.
  const opt = argv[1];
  if (opt !== undefined && (argv.length > 2 || !is(opt, 'schedule'))) {
    c.reply.error(E.SYNTAX);
    return;
  }
  const rdb = c.server.rdb;
  if (rdb.inProgress) {
    c.reply.error(E.BGSAVE_IN_PROGRESS);
    return;
  }
  // As Redis inside EXEC or while an AOF rewrite runs (with SCHEDULE): the save starts from the cron.
  if (c.server.aof.rewriting && !c.inExec && opt === undefined) {
    c.reply.error(E.BGSAVE_AOF_REWRITING);
    return;
  }
  if (c.inExec || c.server.aof.rewriting) {
    rdb.scheduled = true;
    c.reply.status('Background saving scheduled');
    return;
  }
  if (rdb.startBackground()) c.reply.status('Background saving started');
  else c.reply.error(E.SAVE_FAILED);
}

function lastsave(c: Client): void {
  c.reply.integer(c.server.rdb.lastSave);
}

const adminAcl = ['admin', 'slow', 'dangerous'] as const;

export const persistenceCommands: readonly CommandSpec[] = withDocs(persistenceDocs, [
  { name: 'save', arity: 1, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], acl: adminAcl, keys: NO_KEYS, run: save },
  { name: 'bgsave', arity: -1, flags: ['admin', 'noscript', 'no_async_loading'], acl: adminAcl, keys: NO_KEYS, run: bgsave },
  {
    name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['admin', 'fast', 'dangerous'], keys: NO_KEYS,
    tips: ['nondeterministic_output'], run: lastsave,
  },
]);
