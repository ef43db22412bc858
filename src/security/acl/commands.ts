// The command universe ACL rules are written against: every command and subcommand of the table
// under its original name (as Redis's orig_commands, so rename-command does not change rules),
// the 21 categories in Redis's order, and which commands each category holds. The command table
// builds it once and the server hands it to its users; nothing here is shared between servers.

import type { AclCategory } from '../../commands/spec.js';
import type { Command } from '../../commands/registry.js';

/** Redis's ACLCommandCategories order: ACL CAT lists them so, and rule rendering tries them so. */
export const CATEGORIES: readonly AclCategory[] = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
];

export class CommandUniverse {
  /** Every command then its subcommands, depth first (the order rules are rendered in). */
  readonly all: readonly Command[];
  /** fullName ("get", "config|get") → command. */
  readonly byName: ReadonlyMap<string, Command>;
  /** Category → commands carrying it (containers included). */
  readonly byCategory: ReadonlyMap<string, readonly Command[]>;

  /** `top`: the top-level commands in table order, before any rename. */
  constructor(readonly top: readonly Command[]) {
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
    this.all = all;
    this.byName = byName;
    this.byCategory = byCategory;
  }

  /** Redis's ACLLookupCommand: "name" or "container|sub", case-insensitive. */
  lookup(name: string): Command | undefined {
    const lower = name.toLowerCase();
    if (lower.split('|').length > 2) return undefined;
    return this.byName.get(lower);
  }
}
