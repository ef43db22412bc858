// What the gate answers while a script is busy (past busy-reply-threshold and suspended): gate
// policy, so it sits with the dispatcher; scripting/ reads the BUSY wording from here too.

import * as E from '../errors.js';
import type { Command } from '../commands/registry.js';
import type { ScriptKind } from '../scripting/script-run.js';

/** The BUSY error for the script that runs, worded for SCRIPT KILL or FUNCTION KILL. */
export function busyError(run: { readonly kind: ScriptKind }): string {
  return run.kind === 'eval' ? E.BUSY_SCRIPT : E.BUSY_FUNCTION;
}

/**
 * The gate's question while a script is busy: the error for `cmd`, or null when it may run.
 * Only allow_busy commands run; SHUTDOWN only with NOSAVE, as Redis's shutdownCommand decides
 * once its arguments parsed (a syntax error or ABORT is left to the handler).
 */
export function busyRefusal(run: { readonly kind: ScriptKind }, cmd: Command, argv: readonly string[]): string | null {
  if (!cmd.isAllowBusy) return busyError(run);
  if (cmd.fullName !== 'shutdown') return null;
  let nosave = false;
  let save = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]?.toLowerCase();
    if (a === 'nosave') nosave = true;
    else if (a === 'save') save = true;
    else if (a !== 'now' && a !== 'force') return null;
  }
  if (save && nosave) return null;
  return nosave ? null : busyError(run);
}
