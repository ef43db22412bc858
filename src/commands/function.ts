// The functions family: FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/KILL/HELP, FCALL and
// FCALL_RO, as Redis 7.0's functions.c. Libraries live in src/scripting/functions.ts; a call runs
// through the same path as EVAL (runScript), with the keys and arguments as the function's two
// parameters.

import * as E from '../errors.js';
import { arg } from '../protocol/args.js';
import type { Client } from '../server/client.js';
import { keyNum, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { functionDocs } from './docs/function.js';
import { replyHelp } from './server.js';
import { feedMonitors } from '../server/dispatcher.js';
import { readNumkeys, runScript } from './scripting.js';
import { globMatch } from '../store/glob.js';
import { killScript } from '../scripting/script-run.js';
import { FLAG_ALLOW_CROSS_SLOT, FLAG_ALLOW_OOM, FLAG_NO_CLUSTER, FLAG_NO_WRITES, flagNames } from '../scripting/functions.js';
import { dumpFunctions, readFunctions } from '../scripting/function-dump.js';

// --- FCALL, FCALL_RO ---

/** Redis's fcallCommandGeneric: find the function, check numkeys and flags, run it. */
function fcallGeneric(c: Client, argv: string[], readOnly: boolean): void {
  // Shown before the commands the function runs, as Redis's fcallCommandGeneric.
  feedMonitors(c, null, argv);
  const functions = c.server.functions;
  const fn = functions.live.findFunction(arg(argv, 1));
  if (fn === undefined) {
    c.reply.error(E.FUNCTION_NOT_FOUND);
    return;
  }
  // A function without no-writes counts as a write for -MISCONF, judged before its arguments as Redis's gate does.
  if ((fn.flags & FLAG_NO_WRITES) === 0 && c.server.rdb.writesDenied()) {
    c.reply.error(E.MISCONF);
    return;
  }
  if ((fn.flags & FLAG_NO_WRITES) === 0 && c.server.replication.tooFewReplicas(c)) {
    c.reply.error(E.NOREPLICAS);
    return;
  }
  const n = readNumkeys(c, argv, E.FUNCTION_BAD_NUMKEYS);
  if (n === null) return;
  const noWrites = (fn.flags & FLAG_NO_WRITES) !== 0;
  if (readOnly && !noWrites) {
    c.reply.error(E.SCRIPT_WRITE_FLAG_RO);
    return;
  }
  const allowOom = (fn.flags & FLAG_ALLOW_OOM) !== 0;
  if (!noWrites && !allowOom && c.server.evictor.oomAtCommandStart) {
    // Redis's gate refuses it first (the flags make the command denyoom); inside EXEC, which the
    // gate passed as a whole, the script's own check answers.
    c.reply.error(c.inExec ? E.SCRIPT_OOM_NOT_ALLOWED : E.OOM);
    return;
  }
  if ((fn.flags & FLAG_NO_CLUSTER) !== 0 && c.server.cluster.enabled) {
    c.reply.error(E.SCRIPT_NO_CLUSTER);
    return;
  }
  const allowCrossSlot = (fn.flags & FLAG_ALLOW_CROSS_SLOT) !== 0;
  const target = { engine: functions.engine, ref: fn.ref, name: fn.name, asGlobals: false, allowOom, allowCrossSlot };
  runScript(c, target, argv.slice(3, 3 + n), argv.slice(3 + n), readOnly || noWrites, argv);
}

function fcall(c: Client, argv: string[]): void {
  fcallGeneric(c, argv, false);
}

function fcallRo(c: Client, argv: string[]): void {
  fcallGeneric(c, argv, true);
}

// --- FUNCTION ---

function functionLoad(c: Client, argv: string[]): void {
  let replace = false;
  // Options come before the code, which is always the last argument.
  for (const opt of argv.slice(2, -1)) {
    if (opt.toLowerCase() !== 'replace') {
      c.reply.error(E.functionLoadOption(opt));
      return;
    }
    replace = true;
  }
  const functions = c.server.functions;
  const made = functions.create(arg(argv, argv.length - 1), replace, functions.live);
  if ('error' in made) {
    c.reply.error(made.error);
    return;
  }
  // A change of libraries counts as a change of the dataset (saved, propagated), as in Redis.
  c.db.stats.dirty++;
  c.reply.bulk(made.name);
}

function functionDelete(c: Client, argv: string[]): void {
  if (c.server.functions.delete(arg(argv, 2))) {
    c.db.stats.dirty++;
    c.reply.ok();
  } else c.reply.error(E.LIBRARY_NOT_FOUND);
}

function functionFlush(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), arg(argv, 0)));
    return;
  }
  const mode = argv[2];
  if (mode !== undefined && !/^(sync|async)$/i.test(mode)) {
    c.reply.error(E.FUNCTION_FLUSH_OPTION);
    return;
  }
  // ASYNC and SYNC alike: dropping the VM is one reference, the GC frees it in the background.
  // An asynchronous flush counts the functions in lazyfreed_objects as Redis's freeFunctionsAsync.
  const n = c.server.functions.flush();
  if (mode === undefined ? c.server.store.lazyfree.userFlush : /^async$/i.test(mode)) c.server.store.lazyfree.freeTable(n);
  c.db.stats.dirty++;
  c.reply.ok();
}

function functionList(c: Client, argv: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i];
    if (word === undefined) break;
    const opt = word.toLowerCase();
    if (!withCode && opt === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === null && opt === 'libraryname') {
      const name = argv[i + 1];
      if (name === undefined) {
        c.reply.error(E.FUNCTION_LIST_NO_NAME);
        return;
      }
      pattern = name;
      i++;
      continue;
    }
    c.reply.error(E.functionListArgument(word));
    return;
  }
  const p = pattern;
  const libs = [...c.server.functions.live.libraries.values()].filter((lib) => p === null || globMatch(p, lib.name, true));
  c.reply.array(libs.length);
  for (const lib of libs) {
    c.reply.map(withCode ? 4 : 3);
    c.reply.bulk('library_name');
    c.reply.bulk(lib.name);
    c.reply.bulk('engine');
    c.reply.bulk('LUA');
    c.reply.bulk('functions');
    c.reply.array(lib.functions.size);
    for (const fn of lib.functions.values()) {
      c.reply.map(3);
      c.reply.bulk('name');
      c.reply.bulk(fn.name);
      c.reply.bulk('description');
      if (fn.description === null) c.reply.nil();
      else c.reply.bulk(fn.description);
      c.reply.bulk('flags');
      const flags = flagNames(fn.flags);
      c.reply.set(flags.length);
      for (const f of flags) c.reply.status(f);
    }
    if (withCode) {
      c.reply.bulk('library_code');
      c.reply.bulk(lib.code);
    }
  }
}

function functionDump(c: Client): void {
  const payload = dumpFunctions(c.server.functions, c.server.config.bool('rdbcompression'));
  c.reply.bulk(payload.latin1Slice());
}

function functionRestore(c: Client, argv: string[]): void {
  if (argv.length > 4) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), arg(argv, 0)));
    return;
  }
  const policy = argv[3]?.toLowerCase() ?? 'append';
  if (policy !== 'append' && policy !== 'replace' && policy !== 'flush') {
    c.reply.error(E.FUNCTION_RESTORE_POLICY);
    return;
  }
  const functions = c.server.functions;
  const set = readFunctions(functions, Buffer.from(arg(argv, 2), 'latin1'));
  if (typeof set === 'string') {
    c.reply.error(set);
    return;
  }
  if (policy === 'flush') {
    functions.swap(set);
  } else {
    const err = functions.join(set, policy === 'replace');
    if (err !== null) {
      functions.releaseSet(set);
      c.reply.error(err);
      return;
    }
  }
  c.db.stats.dirty++;
  c.reply.ok();
}

function functionStats(c: Client): void {
  const run = c.server.script;
  // As Redis, a busy EVAL script makes FUNCTION STATS answer BUSY (only a function is described).
  if (run !== null && run.kind === 'eval') {
    c.reply.error(E.BUSY_SCRIPT);
    return;
  }
  const live = c.server.functions.live;
  c.reply.map(2);
  c.reply.bulk('running_script');
  if (run === null) {
    c.reply.nil();
  } else {
    c.reply.map(3);
    c.reply.bulk('name');
    c.reply.bulk(run.name);
    c.reply.bulk('command');
    c.reply.bulks(run.argv);
    c.reply.bulk('duration_ms');
    c.reply.integer(Math.floor(performance.now() - run.started));
  }
  c.reply.bulk('engines');
  c.reply.map(1);
  c.reply.bulk('LUA');
  c.reply.map(2);
  c.reply.bulk('libraries_count');
  c.reply.integer(live.libraries.size);
  c.reply.bulk('functions_count');
  c.reply.integer(live.functionCount);
}

function functionKill(c: Client): void {
  killScript(c, 'function');
}

function functionHelp(c: Client): void {
  replyHelp(c, 'FUNCTION', [
    'LOAD [REPLACE] <FUNCTION CODE>',
    '    Create a new library with the given library name and code.',
    'DELETE <LIBRARY NAME>',
    '    Delete the given library.',
    'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
    '    Return general information on all the libraries:',
    '    * Library name',
    '    * The engine used to run the Library',
    '    * Library description',
    '    * Functions list',
    '    * Library code (if WITHCODE is given)',
    '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
    'STATS',
    '    Return information about the current function running:',
    '    * Function name',
    '    * Command used to run the function',
    '    * Duration in MS that the function is running',
    '    If no function is running, return nil',
    '    In addition, returns a list of available engines.',
    'KILL',
    '    Kill the current running function.',
    'FLUSH [ASYNC|SYNC]',
    '    Delete all the libraries.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the libraries.',
    '    * SYNC: Synchronously flush the libraries.',
    'DUMP',
    '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
    'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
    '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
    '    control how to handle existing libraries (default APPEND):',
    '    * FLUSH: delete all existing libraries.',
    '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
    '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
    '      libraries with the new libraries (notice that even on this option there is a chance of failure',
    '      in case of functions name collision with another library).',
  ]);
}

const acl = ['slow', 'scripting'] as const;
const writeAcl = ['write', 'slow', 'scripting'] as const;
const allShards = ['request_policy:all_shards', 'response_policy:all_succeeded'];

export const functionCommands: readonly CommandSpec[] = withDocs(functionDocs, [
  {
    // may_replicate: CLIENT PAUSE WRITE holds FCALL, as in Redis 7.0 (COMMAND INFO hides the flag).
    name: 'fcall', arity: -3, flags: ['noscript', 'stale', 'skip_monitor', 'may_replicate', 'no_mandatory_keys'], acl,
    keys: [{ ...keyNum(2, 0, 1, 1, 'RW', 'ACCESS', 'UPDATE'), notes: 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE' }],
    run: fcall,
  },
  {
    name: 'fcall_ro', arity: -3, flags: ['readonly', 'noscript', 'stale', 'skip_monitor', 'no_mandatory_keys'], acl,
    keys: [{ ...keyNum(2, 0, 1, 1, 'RO', 'ACCESS'), notes: 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS' }],
    run: fcallRo,
  },
  {
    name: 'function', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    subcommands: [
      { name: 'load', arity: -3, flags: ['write', 'denyoom', 'noscript'], acl: writeAcl, keys: NO_KEYS, run: functionLoad, tips: allShards },
      { name: 'delete', arity: 3, flags: ['write', 'noscript'], acl: writeAcl, keys: NO_KEYS, run: functionDelete, tips: allShards },
      { name: 'flush', arity: -2, flags: ['write', 'noscript'], acl: writeAcl, keys: NO_KEYS, run: functionFlush, tips: allShards },
      { name: 'list', arity: -2, flags: ['noscript'], acl, keys: NO_KEYS, run: functionList, tips: ['nondeterministic_output_order'] },
      { name: 'dump', arity: 2, flags: ['noscript'], acl, keys: NO_KEYS, run: functionDump },
      { name: 'restore', arity: -3, flags: ['write', 'denyoom', 'noscript'], acl: writeAcl, keys: NO_KEYS, run: functionRestore, tips: allShards },
      {
        name: 'stats', arity: 2, flags: ['noscript', 'allow_busy'], acl, keys: NO_KEYS, run: functionStats,
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
      },
      {
        name: 'kill', arity: 2, flags: ['noscript', 'allow_busy'], acl, keys: NO_KEYS, run: functionKill,
        tips: ['request_policy:all_shards', 'response_policy:one_succeeded'],
      },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl, keys: NO_KEYS, run: functionHelp },
    ],
  },
]);
