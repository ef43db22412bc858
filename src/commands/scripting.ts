// The scripting family: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, as Redis 7.0's eval.c.
// A script runs through scripting/script-run.ts: atomically, with the clock held still, and past
// busy-reply-threshold suspended now and then so other clients get BUSY and SCRIPT KILL works.

import * as E from '../errors.js';
import type { Client } from '../server/client.js';
import { arg, parseInteger } from '../protocol/args.js';
import { keyNum, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { scriptingDocs } from './docs/scripting.js';
import { replyHelp } from './server.js';
import { feedMonitors } from '../server/dispatcher.js';
import type { CachedScript } from '../scripting/scripts.js';
import type { LuaEngine } from '../scripting/lua-engine.js';
import { killScript, runScript as runInvocation } from '../scripting/script-run.js';

/** EVAL, EVALSHA and their _RO forms (Redis's evalGenericCommand). */
function evalGeneric(c: Client, argv: string[], bySha: boolean, readOnly: boolean): void {
  // Shown before the commands the script runs, whatever becomes of it, as Redis's evalCommand.
  feedMonitors(c, null, argv);
  // The script's body, or its SHA1.
  const source = arg(argv, 1);
  // A SHA of the wrong length cannot match: Redis answers before even reading numkeys.
  if (bySha && source.length !== 40) {
    c.reply.error(E.NOSCRIPT);
    return;
  }
  const n = readNumkeys(c, argv, E.NOT_INTEGER);
  if (n === null) return;
  const scripting = c.server.scripts;
  let script: CachedScript | string | undefined;
  if (bySha) {
    script = scripting.get(source);
    if (script === undefined) {
      c.reply.error(E.NOSCRIPT);
      return;
    }
    const err = scripting.compile(script);
    if (err !== null) script = err;
  } else {
    script = scripting.load(source);
  }
  if (typeof script === 'string') {
    c.reply.error(script);
    return;
  }
  const flags = script.flags;
  // A script that declares it may write counts as a write for -MISCONF, as Redis's gate judges it by its flags.
  if (!flags.compat && !flags.noWrites && c.server.rdb.writesDenied()) {
    c.reply.error(E.MISCONF);
    return;
  }
  // And for min-replicas-to-write, as Redis's scriptPrepareForRun.
  if (!flags.compat && !flags.noWrites && c.server.replication.tooFewReplicas(c)) {
    c.reply.error(E.NOREPLICAS);
    return;
  }
  if (!flags.compat && !flags.noWrites && readOnly) {
    c.reply.error(E.SCRIPT_WRITE_FLAG_RO);
    return;
  }
  // A script with flags that may write and did not declare allow-oom is refused whole past maxmemory.
  if (!flags.compat && !flags.noWrites && !flags.allowOom && c.server.evictor.oomAtCommandStart) {
    // Redis's gate refuses it first (the flags make the command denyoom); inside EXEC, which the
    // gate passed as a whole, the script's own check answers.
    c.reply.error(c.inExec ? E.SCRIPT_OOM_NOT_ALLOWED : E.OOM);
    return;
  }
  if (!flags.compat && flags.noCluster && c.server.cluster.enabled) {
    c.reply.error(E.SCRIPT_NO_CLUSTER);
    return;
  }
  const target = {
    engine: scripting.engine, ref: script.ref, name: script.sha, asGlobals: true,
    allowOom: !flags.compat && flags.allowOom, allowCrossSlot: flags.compat || flags.allowCrossSlot,
  };
  runScript(c, target, argv.slice(3, 3 + n), argv.slice(3 + n), readOnly || (!flags.compat && flags.noWrites), argv);
}

/** A compiled chunk to run: EVAL's cached script, or a function FCALL calls. */
/**
 * argv[2] of EVAL/FCALL and friends: how many of the arguments after it are keys. Replies the
 * error (`notInteger` differs: EVAL's generic one, FCALL's own) and returns null when invalid.
 */
export function readNumkeys(c: Client, argv: readonly string[], notInteger: string): number | null {
  // (A number: past 2^53 it is only compared, which parseInteger keeps exact enough for.)
  const numkeys = parseInteger(arg(argv, 2));
  let error: string | null = null;
  if (numkeys === null) error = notInteger;
  else if (numkeys > argv.length - 3) error = E.NUMKEYS_TOO_BIG;
  else if (numkeys < 0) error = E.NUMKEYS_NEGATIVE;
  if (error !== null) {
    c.reply.error(error);
    return null;
  }
  return numkeys;
}

export interface ScriptTarget {
  readonly engine: LuaEngine;
  readonly ref: number;
  /** How errors and the log name it: the SHA1, or the function's name. */
  readonly name: string;
  /** KEYS and ARGV as globals (EVAL), or as the chunk's two arguments (FCALL). */
  readonly asGlobals: boolean;
  /** Declared allow-oom (a shebang flag or a function flag). */
  readonly allowOom: boolean;
  /** May use keys of several slots in cluster mode (allow-cross-slot-keys, or an EVAL without flags). */
  readonly allowCrossSlot: boolean;
}

/**
 * Runs a script for `c` (see scripting/script-run.ts): EVAL when `asGlobals`, else FCALL.
 * `argv` is the caller's command line, which FUNCTION STATS shows while the script is busy.
 */
export function runScript(c: Client, script: ScriptTarget, keys: string[], args: string[], readOnly: boolean, argv: readonly string[] = []): void {
  const scripting = c.server.scripts;
  runInvocation(c, argv, {
    kind: script.asGlobals ? 'eval' : 'function',
    engine: script.engine,
    ref: script.ref,
    keys,
    args,
    name: script.name,
    asGlobals: script.asGlobals,
    readOnly,
    allowOom: script.allowOom,
    allowCrossSlot: script.allowCrossSlot,
    after: scripting.afterRun,
  });
}

function evalCommand(c: Client, argv: string[]): void {
  evalGeneric(c, argv, false, false);
}

function evalsha(c: Client, argv: string[]): void {
  evalGeneric(c, argv, true, false);
}

function evalRo(c: Client, argv: string[]): void {
  evalGeneric(c, argv, false, true);
}

function evalshaRo(c: Client, argv: string[]): void {
  evalGeneric(c, argv, true, true);
}

// --- SCRIPT ---

function scriptLoad(c: Client, argv: string[]): void {
  const script = c.server.scripts.load(arg(argv, 2));
  if (typeof script === 'string') c.reply.error(script);
  else c.reply.bulk(script.sha);
}

function scriptExists(c: Client, argv: string[]): void {
  const scripting = c.server.scripts;
  c.reply.array(argv.length - 2);
  for (const sha of argv.slice(2)) c.reply.integer(scripting.get(sha) !== undefined ? 1 : 0);
}

function scriptFlush(c: Client, argv: string[]): void {
  const mode = argv[2];
  if (argv.length > 3 || (mode !== undefined && !/^(sync|async)$/i.test(mode))) {
    c.reply.error(E.SCRIPT_FLUSH_OPTION);
    return;
  }
  // ASYNC and SYNC alike: dropping the VM is one reference, the GC frees it in the background.
  // An asynchronous flush counts the scripts in lazyfreed_objects as Redis's freeLuaScriptsAsync.
  const n = c.server.scripts.flush();
  if (mode === undefined ? c.server.store.lazyfree.userFlush : /^async$/i.test(mode)) c.server.store.lazyfree.freeTable(n);
  c.reply.ok();
}

function scriptKill(c: Client): void {
  killScript(c, 'eval');
}

function scriptDebug(c: Client, argv: string[]): void {
  const mode = arg(argv, 2).toLowerCase();
  if (mode === 'no') c.reply.ok();
  else if (mode === 'yes' || mode === 'sync') c.reply.error(E.SCRIPT_DEBUG_UNSUPPORTED);
  else c.reply.error(E.SCRIPT_DEBUG_OPTION);
}

function scriptHelp(c: Client): void {
  replyHelp(c, 'SCRIPT', [
    'DEBUG (YES|SYNC|NO)',
    '    Set the debug mode for subsequent scripts executed.',
    'EXISTS <sha1> [<sha1> ...]',
    '    Return information about the existence of the scripts in the script cache.',
    'FLUSH [ASYNC|SYNC]',
    '    Flush the Lua scripts cache. Very dangerous on replicas.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the scripts cache.',
    '    * SYNC: Synchronously flush the scripts cache.',
    'KILL',
    '    Kill the currently executing Lua script.',
    'LOAD <script>',
    '    Load a script into the scripts cache without executing it.',
  ]);
}

const acl = ['slow', 'scripting'] as const;
// may_replicate: CLIENT PAUSE WRITE holds EVAL and EVALSHA, as in Redis 7.0 (COMMAND INFO hides the flag).
const evalFlags = ['noscript', 'stale', 'skip_monitor', 'may_replicate', 'no_mandatory_keys'] as const;
const roFlags = ['readonly', 'noscript', 'stale', 'skip_monitor', 'no_mandatory_keys'] as const;
const rwKeys = { ...keyNum(2, 0, 1, 1, 'RW', 'ACCESS', 'UPDATE'), notes: 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE' };
const roKeys = { ...keyNum(2, 0, 1, 1, 'RO', 'ACCESS'), notes: 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS' };
const rwShaKeys = keyNum(2, 0, 1, 1, 'RW', 'ACCESS', 'UPDATE');
const roShaKeys = keyNum(2, 0, 1, 1, 'RO', 'ACCESS');

export const scriptingCommands: readonly CommandSpec[] = withDocs(scriptingDocs, [
  { name: 'eval', arity: -3, flags: evalFlags, acl, keys: [rwKeys], run: evalCommand },
  { name: 'evalsha', arity: -3, flags: evalFlags, acl, keys: [rwShaKeys], run: evalsha },
  { name: 'eval_ro', arity: -3, flags: roFlags, acl, keys: [roKeys], run: evalRo },
  { name: 'evalsha_ro', arity: -3, flags: roFlags, acl, keys: [roShaKeys], run: evalshaRo },
  {
    name: 'script', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    subcommands: [
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl, keys: NO_KEYS, run: scriptHelp },
      {
        name: 'flush', arity: -2, flags: ['noscript'], acl, keys: NO_KEYS, run: scriptFlush,
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
      },
      {
        name: 'exists', arity: -3, flags: ['noscript'], acl, keys: NO_KEYS, run: scriptExists,
        tips: ['request_policy:all_shards', 'response_policy:agg_logical_and'],
      },
      { name: 'debug', arity: 3, flags: ['noscript'], acl, keys: NO_KEYS, run: scriptDebug },
      {
        name: 'kill', arity: 2, flags: ['noscript', 'allow_busy'], acl, keys: NO_KEYS, run: scriptKill,
        tips: ['request_policy:all_shards', 'response_policy:one_succeeded'],
      },
      {
        name: 'load', arity: 3, flags: ['noscript', 'stale'], acl, keys: NO_KEYS, run: scriptLoad,
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
      },
    ],
  },
]);
