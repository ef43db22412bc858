// The client with no socket through which redis.call and redis.pcall run commands, with Redis
// 7.0's script rules (scriptCall): command lookup and arity (the table's resolve), noscript, ACL
// as the calling user, read-only scripts, then the dispatcher's call(). Replies come back as RESP,
// left in the client's writer for the engine to move into the VM.

import * as E from '../errors.js';
import { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { Command } from '../commands/registry.js';
import { call } from '../server/dispatcher.js';
import { aclDenial } from '../security/acl/gate.js';
import { ACL_OK, checkCommand } from '../security/acl/check.js';
import type { ScriptRun } from './script-run.js';
import type { RespWriter } from '../protocol/reply-writer.js';

export class ScriptClient {
  readonly client: Client;
  run: ScriptRun | null = null;
  /** Errors replied by the commands of the running script, already in errorstats. */
  readonly commandErrors = new Set<string>();

  constructor(server: Server) {
    const c = new Client(server, null);
    c.authenticated = true;
    // As Redis's deny-blocking script client: blocking commands reply at once, wake-ups wait for the script.
    c.inExec = true;
    c.inScript = true;
    c.reply.onError = (m) => this.commandError(m);
    this.client = c;
  }

  /** An error reply of the script's client: in errorstats now, and not again if the script fails with it. */
  private commandError(message: string): void {
    this.client.server.countError(message);
    this.commandErrors.add(message);
  }

  /** Takes on the caller's database and user for one script; Redis starts every script so. */
  begin(run: ScriptRun): void {
    const c = this.client;
    c.db = run.caller.db;
    c.user = run.caller.user;
    c.noTouch = run.caller.noTouch;
    // (Each only when there is something to drop: take() and Set.clear() allocate anew.)
    if (c.reply.pending !== 0) c.reply.take();
    this.run = run;
    if (this.commandErrors.size !== 0) this.commandErrors.clear();
  }

  end(): void {
    this.run = null;
    if (this.client.reply.pending !== 0) this.client.reply.take();
  }

  /** Runs one command for the script and returns its whole reply as RESP: the error line of a
   *  refusal, or the client's writer that holds the command's reply (which the engine empties). */
  call(argv: string[], resp: 2 | 3): string | RespWriter {
    const c = this.client;
    const run = this.run;
    c.resp = resp;
    const admitted = run === null ? E.SCRIPT_NOT_ALLOWED : this.admit(c, argv, run);
    // A refusal is an error reply too, counted when it is made, as Redis's scriptCall does; like a
    // command's own error it is accounted for here, so the script does not fail by it alone.
    if (typeof admitted === 'string') {
      this.commandError(admitted);
      c.server.errorsSeen = c.server.stats.errorReplies;
      return `-${admitted}\r\n`;
    }
    // Admitted is enough, whatever the command then answers: SCRIPT KILL can no longer undo it.
    if (admitted.isWrite && run !== null) run.wrote = true;
    call(c, admitted, argv);
    return c.reply;
  }

  /**
   * redis.acl_check_cmd: whether the script's user may run `argv` (command, keys, channels), found
   * as Redis's lookupCommand finds it (no arity check); null when there is no such command.
   */
  aclAllows(argv: readonly string[]): boolean | null {
    const server = this.client.server;
    const base = server.commands.lookup(argv[0] ?? '');
    if (base === undefined) return null;
    const sub = argv[1];
    const cmd = sub === undefined || base.subcommands === null ? base : base.subcommands.get(sub.toLowerCase());
    if (cmd === undefined) return null;
    const user = server.acl.users.get(this.client.user);
    return user !== undefined && checkCommand(user, cmd, argv).result === ACL_OK;
  }

  /**
   * The command to run, or the error the script gets instead. A command found but refused counts
   * as a rejected call of that command, as Redis's scriptCall counts it (ERROR_COMMAND_REJECTED).
   */
  private admit(c: Client, argv: string[], run: ScriptRun): Command | string {
    const cmd = c.server.commands.resolve(argv);
    if (!cmd.resolved) {
      if (cmd.reason !== 'arity') return E.SCRIPT_UNKNOWN_COMMAND;
      cmd.cmd.stats.rejected++;
      return E.SCRIPT_WRONG_ARITY;
    }
    const refusal = this.refusal(c, cmd, argv, run);
    if (refusal === null) return cmd;
    cmd.stats.rejected++;
    return refusal;
  }

  /** Why a script may not run `cmd` now, or null when it may. */
  private refusal(c: Client, cmd: Command, argv: string[], run: ScriptRun): string | null {
    if (cmd.isNoScript) return E.SCRIPT_NOT_ALLOWED;
    const denied = aclDenial(c, cmd, argv);
    if (denied !== null) return E.scriptAclFailure(denied.message);
    // Read-only scripts refuse writes and what may replicate (PUBLISH, PFCOUNT), as Redis 7.0.
    if (run.readOnly && cmd.mayReplicate) return E.SCRIPT_READONLY_WRITE;
    // After a failed save, as the gate's -MISCONF (Redis's scriptVerifyWriteCommandAllow).
    if (cmd.isWrite && c.server.rdb.writesDenied()) return E.MISCONF;
    // min-replicas-to-write, judged before the script's first write only (Redis's SCRIPT_WRITE_DIRTY).
    if (cmd.isWrite && !run.wrote && c.server.replication.tooFewReplicas(c)) return E.NOREPLICAS;
    // A script's writes face the gate's memory check too, as Redis's scriptVerifyOOM: the state
    // found before the script began (no eviction runs inside it) stops its first write unless it
    // declared allow-oom; the heap's own limit stops any write, whatever the script declared.
    if (cmd.isDenyOom) {
      const overMaxmemory = !run.allowOom && !run.wrote && c.server.evictor.oomAtCommandStart;
      if (overMaxmemory || c.server.memory.refuseWrite(argv)) return E.OOM;
    }
    // Cluster mode (Redis's scriptVerifyClusterState): one command's keys in one slot, and all of
    // the script's in the slot of its declared keys unless it may cross slots.
    const caller = run.caller;
    if (c.server.cluster.enabled && caller.socket !== null && caller.kind !== 'master') {
      run.slot ??= c.server.cluster.declaredSlot(run.invocation.keys);
      const slot = c.server.cluster.commandSlot(cmd, argv);
      if (slot === null) return E.SCRIPT_NON_LOCAL_KEY;
      if (slot !== -1 && !run.allowCrossSlot) {
        if (run.slot === -1) run.slot = slot;
        else if (run.slot !== slot) return E.SCRIPT_CROSS_SLOT;
      }
    }
    return null;
  }
}
