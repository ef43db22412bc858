// The command table: every family's rows gathered into runtime Command objects that carry the
// spec, the policy the gate reads (flags, the protected-command gate, channel arguments, the
// subscribed and MULTI allow-lists, all computed once here) and the statistics the dispatcher
// keeps. resolve() is the one lookup-plus-arity everything uses: the gate, scripts, COMMAND
// GETKEYS, ACL DRYRUN. Lookup is by exact name first (clients send upper or lower case), falling
// back to lower-casing.

import type { ChannelExtractor, CommandSpec } from './spec.js';
import { familyTables } from './families.js';
import { commandKeys, legacyRange, type KeyRef } from './key-specs.js';
import { CommandUniverse } from '../security/acl/commands.js';
import { CHANNEL_ARGS } from '../security/acl/check.js';
import { PROTECTED_GATES, type ProtectedGate } from '../security/gates.js';
import { RESP2_SUBSCRIBED_ALLOWED } from '../server/pubsub.js';
import { RUN_IN_MULTI } from '../server/multi.js';
import type { LatencyHistogram } from '../server/latency-histogram.js';

export interface CommandStats {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
  /** Latencies while latency-tracking is on (LATENCY HISTOGRAM, INFO latencystats); null until the first. */
  histogram: LatencyHistogram | null;
}

/**
 * Why argv names nothing that can run (Redis's commandCheckExistence and commandCheckArity): no
 * such command, no such subcommand of the container `cmd`, or the wrong number of arguments for `cmd`.
 */
export type Unresolved =
  | { readonly resolved: false; readonly reason: 'command'; readonly cmd: null }
  | { readonly resolved: false; readonly reason: 'subcommand' | 'arity'; readonly cmd: Command };

const NO_SUCH_COMMAND: Unresolved = { resolved: false, reason: 'command', cmd: null };

export class Command {
  /** Tells a Command from an Unresolved in resolve()'s answer. */
  readonly resolved = true;
  /** "get", or "config|get" for a subcommand: the name errors, ACL and stats use. */
  readonly fullName: string;
  readonly parent: Command | null;
  readonly subcommands: Map<string, Command> | null;
  readonly stats: CommandStats = { calls: 0, usec: 0, rejected: 0, failed: 0, histogram: null };
  readonly isWrite: boolean;
  readonly isReadonly: boolean;
  readonly isAdmin: boolean;
  readonly isNoScript: boolean;
  readonly isLoadingOk: boolean;
  readonly isStaleOk: boolean;
  readonly isNoAuth: boolean;
  readonly isDenyOom: boolean;
  readonly isBlocking: boolean;
  readonly isNoMulti: boolean;
  readonly isPubsub: boolean;
  readonly isSkipSlowlog: boolean;
  readonly isSkipMonitor: boolean;
  readonly isAllowBusy: boolean;
  readonly isFast: boolean;
  readonly movableKeys: boolean;
  /** write or may_replicate (Redis's is_may_replicate_command): CLIENT PAUSE WRITE holds it, read-only scripts refuse it. */
  readonly mayReplicate: boolean;
  /** For a protected command, the directive that allows it (security/gates.ts); null for the rest. */
  readonly gate: ProtectedGate | null;
  /** The channels it publishes or subscribes to, for the ACL (security/acl/check.ts); null when none. */
  readonly channels: ChannelExtractor | null;
  /** May run while a RESP2 client is subscribed (server/pubsub.ts). */
  readonly allowedWhenSubscribed: boolean;
  /** Runs at once inside MULTI rather than being queued (server/multi.ts). */
  readonly runsInMulti: boolean;

  constructor(
    readonly spec: CommandSpec,
    parent: Command | null = null,
  ) {
    this.parent = parent;
    this.fullName = parent ? `${parent.spec.name}|${spec.name}` : spec.name;
    const f = new Set(spec.flags);
    this.isWrite = f.has('write');
    this.isReadonly = f.has('readonly');
    this.isAdmin = f.has('admin');
    this.isNoScript = f.has('noscript');
    this.isLoadingOk = f.has('loading');
    this.isStaleOk = f.has('stale');
    this.isNoAuth = f.has('no_auth');
    this.isDenyOom = f.has('denyoom');
    this.isBlocking = f.has('blocking');
    this.isNoMulti = f.has('no_multi');
    this.isPubsub = f.has('pubsub');
    this.isSkipSlowlog = f.has('skip_slowlog');
    this.isSkipMonitor = f.has('skip_monitor');
    this.isAllowBusy = f.has('allow_busy');
    this.isFast = f.has('fast');
    this.movableKeys = legacyRange(spec).movable;
    this.mayReplicate = this.isWrite || f.has('may_replicate');
    const gate = PROTECTED_GATES.get(parent !== null ? parent.spec.name : spec.name) ?? null;
    this.gate = gate !== null && (f.has('protected') || gate.unflagged === true) ? gate : null;
    this.channels = CHANNEL_ARGS.get(this.fullName) ?? null;
    this.allowedWhenSubscribed = RESP2_SUBSCRIBED_ALLOWED.has(this.fullName);
    this.runsInMulti = RUN_IN_MULTI.has(this.fullName);
    if (spec.subcommands) {
      this.subcommands = new Map();
      for (const sub of spec.subcommands) this.subcommands.set(sub.name, new Command(sub, this));
    } else {
      this.subcommands = null;
    }
  }

  /** The key arguments of `argv` with their key-spec flags (what the ACL checks; COMMAND GETKEYS). */
  keyRefs(argv: readonly string[]): KeyRef[] {
    return commandKeys(this, argv);
  }
}

export class CommandTable {
  private readonly byName = new Map<string, Command>();
  /** Every top-level command, in table order. */
  readonly all: Command[] = [];
  /** The commands as registered, before rename-command: what ACL rules name (Redis's orig_commands). */
  readonly universe: CommandUniverse;

  constructor(specs: readonly CommandSpec[]) {
    for (const spec of specs) this.add(new Command(spec));
    this.universe = new CommandUniverse([...this.all]);
  }

  add(cmd: Command): void {
    const name = cmd.spec.name;
    if (this.byName.has(name)) throw new Error(`duplicate command ${name}`);
    this.all.push(cmd);
    this.byName.set(name, cmd);
    this.byName.set(name.toUpperCase(), cmd);
  }

  /** Removes a command from lookup (rename-command to ""), keeping it out of COMMAND too. */
  remove(name: string): Command | undefined {
    const cmd = this.byName.get(name);
    if (!cmd) return undefined;
    this.byName.delete(name);
    this.byName.delete(name.toUpperCase());
    const i = this.all.indexOf(cmd);
    if (i !== -1) this.all.splice(i, 1);
    return cmd;
  }

  /** Makes `cmd` reachable under `newName` (rename-command). */
  alias(newName: string, cmd: Command): void {
    this.byName.set(newName.toLowerCase(), cmd);
    this.byName.set(newName.toUpperCase(), cmd);
  }

  lookup(name: string): Command | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /**
   * The command or subcommand `argv` names, if its number of arguments fits; else why not. On the
   * path of every request: one lookup, no allocation unless the arity is wrong.
   */
  resolve(argv: readonly string[]): Command | Unresolved {
    const name = argv[0];
    let cmd = name === undefined ? undefined : this.lookup(name);
    if (cmd === undefined) return NO_SUCH_COMMAND;
    const subName = argv[1];
    if (cmd.subcommands !== null && subName !== undefined) {
      const sub = cmd.subcommands.get(subName.toLowerCase());
      if (sub === undefined) return { resolved: false, reason: 'subcommand', cmd };
      cmd = sub;
    }
    const arity = cmd.spec.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) return { resolved: false, reason: 'arity', cmd };
    return cmd;
  }

  /** Every command and subcommand, depth first. */
  *walk(): Generator<Command> {
    for (const cmd of this.all) {
      yield cmd;
      if (cmd.subcommands) yield* cmd.subcommands.values();
    }
  }
}

export function createCommandTable(): CommandTable {
  return new CommandTable(familyTables.flat());
}
