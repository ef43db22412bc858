// The command universe ACL rules are written against: every command and subcommand of the table
// under its original name (as Redis's orig_commands, so rename-command does not change rules),
// the 21 categories in Redis's order, and which commands each category holds.

import type { AclCategory } from '../../commands/spec.js';
import type { Command } from '../../commands/registry.js';

/** Redis's ACLCommandCategories order: ACL CAT lists them so, and rule rendering tries them so. */
export const CATEGORIES: readonly AclCategory[] = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
];

export interface Universe {
  /** Top-level commands in table order. */
  readonly top: readonly Command[];
  /** Every command then its subcommands, depth first (the order rules are rendered in). */
  readonly all: readonly Command[];
  /** fullName ("get", "config|get") → command. */
  readonly byName: ReadonlyMap<string, Command>;
  /** Category → commands carrying it (containers included). */
  readonly byCategory: ReadonlyMap<string, readonly Command[]>;
}

let universe: Universe | null = null;
let source: (() => readonly Command[]) | null = null;

/**
 * Where the commands come from: the ACL command family registers the whole table. A callback,
 * because the configuration (requirepass) reaches this module before the command table exists.
 */
export function setCommandSource(fn: () => readonly Command[]): void {
  source = fn;
  universe = null;
}

/** Built on first use. */
export function commandUniverse(): Universe {
  if (universe !== null) return universe;
  if (source === null) throw new Error('ACL rules used before the command table was registered');
  const top = source();
  const all: Command[] = [];
  for (const cmd of top) {
    all.push(cmd);
    if (cmd.subcommands !== null) all.push(...cmd.subcommands.values());
  }
  const byName = new Map<string, Command>();
  const byCategory = new Map<string, Command[]>(CATEGORIES.map((c) => [c, []]));
  for (const cmd of all) {
    byName.set(cmd.fullName, cmd);
    for (const cat of cmd.spec.acl) byCategory.get(cat)?.push(cmd);
  }
  universe = { top, all, byName, byCategory };
  return universe;
}

/** Redis's ACLLookupCommand: "name" or "container|sub", case-insensitive. */
export function lookupRuleCommand(name: string): Command | undefined {
  const lower = name.toLowerCase();
  const parts = lower.split('|');
  if (parts.length > 2) return undefined;
  return commandUniverse().byName.get(lower);
}

export function isCategory(name: string): boolean {
  return (CATEGORIES as readonly string[]).includes(name.toLowerCase());
}
