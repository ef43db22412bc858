// The command table: every family's rows gathered into runtime Command objects that carry the
// spec plus what the dispatcher keeps per command (statistics). Lookup is by exact name first
// (clients send upper or lower case), falling back to lower-casing.

import type { CommandSpec } from './spec.js';
import { familyTables } from './families.js';
import { commandKeys, legacyRange, type KeyRef } from './key-specs.js';
import { CommandUniverse } from '../security/acl/commands.js';

export interface CommandStats {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

export class Command {
  /** "get", or "config|get" for a subcommand: the name errors, ACL and stats use. */
  readonly fullName: string;
  readonly parent: Command | null;
  readonly subcommands: Map<string, Command> | null;
  readonly stats: CommandStats = { calls: 0, usec: 0, rejected: 0, failed: 0 };
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
