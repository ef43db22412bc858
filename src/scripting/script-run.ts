// One script invocation from start to end; EVAL and FCALL both run through runScript. Past
// busy-reply-threshold the script is suspended every few milliseconds, wherever it is (inside
// pcall, a callback, a coroutine, EXEC), so the server can answer other clients (BUSY, or the
// allow_busy commands: SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE...) and signals (SIGTERM)
// while the script stays atomic: its caller is held, the clock and the cron stand still.

import * as E from '../errors.js';
import type { Client } from '../server/client.js';
import type { Command } from '../commands/registry.js';
import type { Server } from '../server/server.js';
import type { LuaEngine, RunResult, ScriptOutcome } from './lua-engine.js';
import { busyError } from '../server/busy.js';

export type ScriptKind = 'eval' | 'function';

/** What EVAL or FCALL hands to runScript. */
export interface ScriptInvocation {
  readonly kind: ScriptKind;
  readonly engine: LuaEngine;
  /** The compiled chunk (EVAL) or the registered function (FCALL) in `engine`. */
  readonly ref: number;
  readonly keys: readonly string[];
  readonly args: readonly string[];
  /** What errors and the log call the script: the SHA1, or the function name. */
  readonly name: string;
  /** EVAL: KEYS and ARGV are globals; FCALL: they are the function's two arguments. */
  readonly asGlobals: boolean;
  readonly readOnly: boolean;
  /** The script declared allow-oom: its writes run past maxmemory (Redis's SCRIPT_ALLOW_OOM). */
  readonly allowOom: boolean;
  /** In cluster mode, its commands may use keys of several slots (allow-cross-slot-keys, or an EVAL without flags). */
  readonly allowCrossSlot?: boolean;
  /** Runs once the script has ended and its reply is written (e.g. to collect the Lua heap). */
  readonly after?: () => void;
}

/** Run time between two suspensions once a script is past the threshold. */
const SLICE_MS = 5;

/** The state of the script that runs (server.script): what SCRIPT KILL, FUNCTION STATS and the gate read. */
export class ScriptRun {
  readonly kind: ScriptKind;
  readonly name: string;
  readonly caller: Client;
  /** The caller's command line (FUNCTION STATS shows it). */
  readonly argv: readonly string[];
  readonly readOnly: boolean;
  readonly allowOom: boolean;
  readonly allowCrossSlot: boolean;
  /** In cluster mode, the slot its keys are in so far (Redis's original_c->slot): -1 for none yet, null until first needed. */
  slot: number | null = null;
  /** performance.now() when the script started. */
  readonly started = performance.now();
  /** A write command was admitted: SCRIPT KILL answers UNKILLABLE (Redis's SCRIPT_WRITE_DIRTY). */
  wrote = false;
  /** SCRIPT KILL or FUNCTION KILL asked it to stop. */
  killed = false;
  /** Past busy-reply-threshold: the server answers BUSY while the script is suspended. */
  timedOut = false;
  /** The script has been suspended at least once, so its reply goes out after its command returned. */
  detached = false;
  /** The clock the script sees from start to end. */
  clock = 0;
  sliceStart = this.started;
  /** What runs once the suspended script has ended, before the caller's further input: the rest
   *  of the EXEC the script was part of (see afterScript). True when it left the caller held
   *  again (another script of that EXEC was suspended). */
  then: (() => boolean) | null = null;
  /** The error the script ended with, once written. */
  failure: string | null = null;
  /** The caller's reply's onError while the script runs: what sets `failure`. */
  readonly recordFailure = (message: string): void => {
    this.failure = message;
  };
  readonly command: Command | null;
  readonly onError: ((message: string) => void) | null;
  readonly replyEnabled: boolean;

  constructor(
    readonly invocation: ScriptInvocation,
    caller: Client,
    argv: readonly string[],
  ) {
    this.kind = invocation.kind;
    this.name = invocation.name;
    this.readOnly = invocation.readOnly;
    this.allowOom = invocation.allowOom;
    this.allowCrossSlot = invocation.allowCrossSlot ?? false;
    this.caller = caller;
    this.argv = argv;
    this.command = caller.current;
    this.onError = caller.reply.onError;
    this.replyEnabled = caller.reply.enabled;
  }

  /** The engine's hook, every 100000 instructions: go on, stop (killed), or yield. */
  interrupt(canYield: boolean): boolean | 'yield' {
    if (this.killed) {
      this.caller.server.log.warning('Lua script killed by user with SCRIPT KILL.');
      return true;
    }
    const t = performance.now();
    if (!this.timedOut) {
      const server = this.caller.server;
      const elapsed = t - this.started;
      if (elapsed < server.config.num('busy-reply-threshold')) return false;
      this.timedOut = true;
      server.log.warning(
        `Slow script detected: still in execution after ${Math.floor(elapsed)} milliseconds. ` +
          `You can try killing the script using the ${this.kind === 'eval' ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${this.name}.`,
      );
      this.sliceStart = -Infinity;
    }
    if (!canYield || t - this.sliceStart < SLICE_MS) return false;
    return 'yield';
  }
}

/** The `interrupt` option of a script engine: asks whichever script is running. */
export function scriptInterrupt(server: Server): (canYield: boolean) => boolean | 'yield' {
  return (canYield) => server.script?.interrupt(canYield) ?? false;
}

/**
 * EXEC's question after each command: if that command was a script that got suspended (past
 * busy-reply-threshold), `rest` runs once it has ended, and this says true; EXEC must stop here.
 */
export function afterScript(c: Client, rest: () => boolean): boolean {
  const run = c.server.script;
  if (run === null || run.caller !== c || !run.detached) return false;
  run.then = rest;
  return true;
}

/** SCRIPT KILL (`eval`) and FUNCTION KILL (`function`), as Redis's scriptKill. */
export function killScript(c: Client, kind: ScriptKind): void {
  const run = c.server.script;
  if (run === null) c.reply.error(E.NOTBUSY);
  else if (run.wrote) c.reply.error(E.UNKILLABLE);
  // Each kill command stops only its own kind; the other gets the running kind's BUSY.
  else if (run.kind !== kind) c.reply.error(busyError(run));
  else {
    run.killed = true;
    c.reply.ok();
  }
}

/**
 * Runs a script for `c` and writes its reply. If the script is still running past
 * busy-reply-threshold it is suspended: this returns with `c` held (its further input waits),
 * and the script goes on from setImmediate until it ends, then the reply goes out.
 */
export function runScript(c: Client, argv: readonly string[], inv: ScriptInvocation): void {
  const server = c.server;
  if (server.script !== null) {
    c.reply.error(busyError(server.script));
    return;
  }
  const run = new ScriptRun(inv, c, argv);
  server.script = run;
  // Scripts propagate as their effects: the commands they ran, one batch (MULTI/EXEC when several).
  server.propagation.prevent();
  server.propagation.beginUnit();
  const sc = server.scripts.client;
  sc.begin(run);
  // The script's error is counted in errorstats unless it is a command's error, counted already;
  // the command still counts as failed then, as Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE does.
  c.reply.onError = run.recordFailure;
  let result: RunResult;
  const clock = server.store.clock;
  const thaw = clock.freeze();
  try {
    run.clock = clock.now();
    result = inv.engine.run(inv.ref, inv.keys, inv.args, c.reply, inv.name, inv.asGlobals);
  } catch (e) {
    end(run);
    throw e;
  } finally {
    if (thaw) clock.thaw();
  }
  if (result === 'suspended') {
    run.detached = true;
    c.blocked = true;
    setImmediate(() => resume(run));
    return;
  }
  finish(run, result);
}

/** One more slice of a suspended script. */
function resume(run: ScriptRun): void {
  const c = run.caller;
  const server = c.server;
  const engine = run.invocation.engine;
  if (server.shuttingDown) {
    engine.abandon();
    end(run);
    return;
  }
  run.sliceStart = performance.now();
  // Whatever CLIENT REPLY state the caller had when it sent the command governs the reply.
  c.reply.enabled = run.replyEnabled;
  let result: RunResult;
  try {
    result = server.store.clock.frozenAt(run.clock, () => engine.resume());
  } catch (e) {
    // A broken VM already wrote its error; anything else is a bug that must not wedge the server.
    server.log.warning(`Script ${run.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    engine.abandon();
    c.reply.error(E.INTERNAL);
    result = { ok: false, error: E.INTERNAL, info: { table: false, message: E.INTERNAL, source: '', line: '', ignoreStats: false } };
  }
  if (result === 'suspended') {
    setImmediate(() => resume(run));
    return;
  }
  finish(run, result);
}

/** The script ended (its reply is written): statistics, then the caller and the server go on. */
function finish(run: ScriptRun, outcome: ScriptOutcome): void {
  const c = run.caller;
  const server = c.server;
  const sc = server.scripts.client;
  const failure = run.failure;
  if (failure !== null) {
    if (sc.commandErrors.has(outcome.ok ? failure : outcome.info.message)) {
      if (run.detached && run.command !== null) run.command.stats.failed++;
      else if (c.current !== null) c.current.stats.failed++;
    } else {
      run.onError?.(failure);
      // call() has long returned: it could not see this error to count the command as failed.
      if (run.detached && run.command !== null) run.command.stats.failed++;
    }
  }
  end(run);
  run.invocation.after?.();
  if (!run.detached) return;
  c.blocked = false;
  // The rest of the caller's EXEC, which may suspend on a script of its own again.
  if (run.then !== null && run.then()) return;
  // Keys the script (and its EXEC) filled serve their blocked clients now, as after any command.
  if (server.blocking.hasReady) server.blocking.serveReady();
  if (!c.closed) server.blocking.resume(c);
}

/** Clears the running-script state (also when the script is dropped at shutdown). */
function end(run: ScriptRun): void {
  const c = run.caller;
  c.reply.onError = run.onError;
  c.server.scripts.client.end();
  if (c.server.script === run) c.server.script = null;
  c.server.propagation.endUnit();
}
