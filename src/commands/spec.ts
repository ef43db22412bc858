// The shape of one row of the command table. A row is data: dispatch, ACL, COMMAND INFO/DOCS,
// MULTI and script rules and key extraction all read it. Field names follow Redis's
// src/commands/*.json so that COMMAND replies can be rendered from the table directly.

import type { Client } from '../server/client.js';

export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'module' | 'admin' | 'pubsub' | 'noscript' | 'blocking'
  | 'loading' | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'asking' | 'fast' | 'no_auth'
  | 'may_replicate' | 'sentinel' | 'only_sentinel' | 'no_mandatory_keys' | 'protected'
  | 'no_async_loading' | 'no_multi' | 'movablekeys' | 'allow_busy';

export type AclCategory =
  | 'keyspace' | 'read' | 'write' | 'set' | 'sortedset' | 'list' | 'hash' | 'string' | 'bitmap'
  | 'hyperloglog' | 'geo' | 'stream' | 'pubsub' | 'admin' | 'fast' | 'slow' | 'blocking'
  | 'dangerous' | 'connection' | 'transaction' | 'scripting';

export type KeySpecFlag =
  | 'RO' | 'RW' | 'OW' | 'RM' | 'ACCESS' | 'UPDATE' | 'INSERT' | 'DELETE' | 'NOT_KEY'
  | 'INCOMPLETE' | 'VARIABLE_FLAGS';

/** Where the key arguments start: a fixed index, or after a keyword searched from `startFrom`. */
type BeginSearch =
  | { readonly index: number }
  | { readonly keyword: string; readonly startFrom: number }
  | { readonly unknown: true };

/** How many keys follow the start: a range, or a count read from an argument. */
export type FindKeys =
  | { readonly range: { readonly lastKey: number; readonly keyStep: number; readonly limit: number } }
  | { readonly keynum: { readonly keyNumIdx: number; readonly firstKey: number; readonly keyStep: number } }
  | { readonly unknown: true };

export interface KeySpec {
  readonly flags: readonly KeySpecFlag[];
  readonly begin: BeginSearch;
  readonly find: FindKeys;
  readonly notes?: string;
}

/** Documentation fields shown by COMMAND DOCS. */
interface CommandDocs {
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  readonly complexity?: string;
  readonly history?: readonly (readonly [string, string])[];
  readonly docFlags?: readonly ('deprecated' | 'syscmd')[];
  readonly deprecatedSince?: string;
  readonly replacedBy?: string;
  readonly arguments?: readonly ArgDoc[];
}

export interface ArgDoc {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';
  readonly token?: string;
  readonly keySpecIndex?: number;
  readonly optional?: boolean;
  readonly multiple?: boolean;
  readonly multipleToken?: boolean;
  readonly since?: string;
  readonly deprecatedSince?: string;
  readonly displayText?: string;
  readonly arguments?: readonly ArgDoc[];
}

/** A family's COMMAND DOCS, keyed by command name ("container|sub" for a subcommand). */
export type DocsTable = Readonly<Record<string, CommandDocs>>;

type Handler = (c: Client, argv: string[]) => void;

/** A channel argument: position, and whether it is a pattern (PSUBSCRIBE) matched literally. */
interface ChannelRef {
  readonly pos: number;
  readonly pattern: boolean;
}

/** The channels a command publishes or subscribes to (Redis's getChannelsFromCommand). */
export type ChannelExtractor = (argv: readonly string[]) => ChannelRef[];

/** Extra key positions for commands whose keys cannot be described by key specs alone. */
type KeyExtractor = (argv: readonly string[]) => number[];

export interface CommandSpec {
  /** Lower-case name; for a subcommand, just the subcommand ("get" under "config"). */
  readonly name: string;
  /** Redis arity: N means exactly N arguments including the name, -N means at least N. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly acl: readonly AclCategory[];
  readonly keys: readonly KeySpec[];
  readonly tips?: readonly string[];
  readonly docs?: CommandDocs;
  /** Present on container commands (CONFIG, CLIENT, OBJECT, ...). */
  readonly subcommands?: readonly CommandSpec[];
  /** Absent only on containers, whose subcommands run instead. */
  readonly run?: Handler;
  /** For movable-keys commands whose key specs are INCOMPLETE or unknown. */
  readonly getKeys?: KeyExtractor;
  /**
   * For a key spec flagged VARIABLE_FLAGS: the flags these arguments really give the key (Redis's
   * setGetKeys, bitfieldGetKeys), read by the ACL and COMMAND GETKEYSANDFLAGS.
   */
  readonly keyFlags?: (argv: readonly string[]) => readonly KeySpecFlag[];
  /** Positions of secrets (passwords) to show as "(redacted)" in SLOWLOG and MONITOR. */
  readonly secretArgs?: (argv: readonly string[]) => readonly number[];
}

// --- key spec builders, so family tables read on one line each ---

/** One key at `index`. */
export function key(index: number, ...flags: KeySpecFlag[]): KeySpec {
  return { flags, begin: { index }, find: { range: { lastKey: 0, keyStep: 1, limit: 0 } } };
}

/** Keys from `index` to `lastKey` (negative counts from the end), every `step`. */
export function keyRange(index: number, lastKey: number, step: number, ...flags: KeySpecFlag[]): KeySpec {
  return { flags, begin: { index }, find: { range: { lastKey, keyStep: step, limit: 0 } } };
}

/** A count at argument `index`, then that many keys starting `firstKey` after it. */
export function keyNum(index: number, keyNumIdx: number, firstKey: number, step: number, ...flags: KeySpecFlag[]): KeySpec {
  return { flags, begin: { index }, find: { keynum: { keyNumIdx, firstKey, keyStep: step } } };
}

/** Keys after `keyword`, searched from `startFrom` (negative: backwards from the end). */
export function keyAfter(
  keyword: string,
  startFrom: number,
  find: FindKeys,
  ...flags: KeySpecFlag[]
): KeySpec {
  return { flags, begin: { keyword, startFrom }, find };
}

export const NO_KEYS: readonly KeySpec[] = [];

/**
 * A family's rows with their COMMAND DOCS attached from its docs file (commands/docs/), so the
 * table itself stays one line per command. test/meta.test.ts checks that every command gets docs
 * and every docs entry names a command.
 */
export function withDocs(docs: DocsTable, rows: readonly CommandSpec[], parent = ''): readonly CommandSpec[] {
  return rows.map((row) => {
    const name = parent === '' ? row.name : `${parent}|${row.name}`;
    const d = docs[name];
    const subcommands = row.subcommands === undefined ? undefined : withDocs(docs, row.subcommands, name);
    return { ...row, ...(d === undefined ? {} : { docs: d }), ...(subcommands === undefined ? {} : { subcommands }) };
  });
}
