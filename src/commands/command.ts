// The COMMAND container: the command table rendered the way Redis 7.0 renders its own (COMMAND,
// INFO, DOCS, COUNT, LIST) and key extraction from a full command line (GETKEYS,
// GETKEYSANDFLAGS) using the key specs, falling back to a command's own extractor.

import * as E from '../errors.js';
import { arg, is } from '../protocol/args.js';
import { NO_KEYS, withDocs, type AclCategory, type ArgDoc, type CommandFlag, type CommandSpec, type KeySpec, type KeySpecFlag } from './spec.js';
import { commandDocs } from './docs/command.js';
import type { Command } from './registry.js';
import type { Client } from '../server/client.js';
import type { Reply } from '../protocol/reply-writer.js';
import { replyHelp } from './server.js';
import { legacyRange } from './key-specs.js';
import { globMatch } from '../store/glob.js';

// Output orders are Redis's, whatever order a table row lists them in.
const FLAG_ORDER: readonly CommandFlag[] = [
  'write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale',
  'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys',
  'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy',
];
const ACL_ORDER: readonly AclCategory[] = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo',
  'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
];
const KEY_FLAG_ORDER: readonly (readonly [KeySpecFlag, string])[] = [
  ['RO', 'RO'], ['RW', 'RW'], ['OW', 'OW'], ['RM', 'RM'], ['ACCESS', 'access'], ['UPDATE', 'update'],
  ['INSERT', 'insert'], ['DELETE', 'delete'], ['NOT_KEY', 'not_key'], ['INCOMPLETE', 'incomplete'],
  ['VARIABLE_FLAGS', 'variable_flags'],
];

// --- COMMAND INFO ---

function replyKeySpec(r: Reply, k: KeySpec): void {
  r.map(k.notes !== undefined ? 4 : 3);
  if (k.notes !== undefined) {
    r.bulk('notes');
    r.bulk(k.notes);
  }
  r.bulk('flags');
  const flags = KEY_FLAG_ORDER.filter(([f]) => k.flags.includes(f));
  r.set(flags.length);
  for (const [, name] of flags) r.status(name);
  r.bulk('begin_search');
  r.map(2);
  r.bulk('type');
  const b = k.begin;
  if ('index' in b) {
    r.bulk('index');
    r.bulk('spec');
    r.map(1);
    r.bulk('index');
    r.integer(b.index);
  } else if ('keyword' in b) {
    r.bulk('keyword');
    r.bulk('spec');
    r.map(2);
    r.bulk('keyword');
    r.bulk(b.keyword);
    r.bulk('startfrom');
    r.integer(b.startFrom);
  } else {
    r.bulk('unknown');
    r.bulk('spec');
    r.map(0);
  }
  r.bulk('find_keys');
  r.map(2);
  r.bulk('type');
  const f = k.find;
  if ('range' in f) {
    r.bulk('range');
    r.bulk('spec');
    r.map(3);
    r.bulk('lastkey');
    r.integer(f.range.lastKey);
    r.bulk('keystep');
    r.integer(f.range.keyStep);
    r.bulk('limit');
    r.integer(f.range.limit);
  } else if ('keynum' in f) {
    r.bulk('keynum');
    r.bulk('spec');
    r.map(3);
    r.bulk('keynumidx');
    r.integer(f.keynum.keyNumIdx);
    r.bulk('firstkey');
    r.integer(f.keynum.firstKey);
    r.bulk('keystep');
    r.integer(f.keynum.keyStep);
  } else {
    r.bulk('unknown');
    r.bulk('spec');
    r.map(0);
  }
}

function replyCommandInfo(r: Reply, cmd: Command | undefined): void {
  if (cmd === undefined) {
    r.nil();
    return;
  }
  const spec = cmd.spec;
  const { first, last, step, movable } = legacyRange(spec);
  r.array(10);
  r.bulk(cmd.fullName);
  r.integer(spec.arity);
  const flags = FLAG_ORDER.filter((f) => (f === 'movablekeys' ? movable : spec.flags.includes(f)));
  r.set(flags.length);
  for (const f of flags) r.status(f);
  r.integer(first);
  r.integer(last);
  r.integer(step);
  const acl = ACL_ORDER.filter((a) => spec.acl.includes(a));
  r.set(acl.length);
  for (const a of acl) r.status('@' + a);
  const tips = spec.tips ?? [];
  r.set(tips.length);
  for (const t of tips) r.bulk(t);
  r.set(spec.keys.length);
  for (const k of spec.keys) replyKeySpec(r, k);
  if (cmd.subcommands === null) {
    r.set(0);
  } else {
    r.array(cmd.subcommands.size);
    for (const sub of cmd.subcommands.values()) replyCommandInfo(r, sub);
  }
}

// --- COMMAND DOCS ---

/** Keys always name their key spec; a pattern does when it reaches keys (SORT's BY and GET). */
function hasKeySpec(a: ArgDoc): boolean {
  return a.type === 'key' || a.keySpecIndex !== undefined;
}

function replyArgs(r: Reply, args: readonly ArgDoc[]): void {
  r.array(args.length);
  for (const a of args) {
    const nested = a.type === 'oneof' || a.type === 'block';
    const flags: string[] = [];
    if (a.optional) flags.push('optional');
    if (a.multiple) flags.push('multiple');
    if (a.multipleToken) flags.push('multiple_token');
    r.map(
      2 + (hasKeySpec(a) ? 1 : 0) + (a.token !== undefined ? 1 : 0) + (a.since !== undefined ? 1 : 0) +
        (a.deprecatedSince !== undefined ? 1 : 0) + (flags.length > 0 ? 1 : 0) + (nested ? 1 : 0),
    );
    r.bulk('name');
    r.bulk(a.name);
    r.bulk('type');
    r.bulk(a.type);
    if (hasKeySpec(a)) {
      r.bulk('key_spec_index');
      r.integer(a.keySpecIndex ?? 0);
    }
    if (a.token !== undefined) {
      r.bulk('token');
      r.bulk(a.token);
    }
    if (a.since !== undefined) {
      r.bulk('since');
      r.bulk(a.since);
    }
    if (a.deprecatedSince !== undefined) {
      r.bulk('deprecated_since');
      r.bulk(a.deprecatedSince);
    }
    if (flags.length > 0) {
      r.bulk('flags');
      r.set(flags.length);
      for (const f of flags) r.status(f);
    }
    if (nested) {
      r.bulk('arguments');
      replyArgs(r, a.arguments ?? []);
    }
  }
}

function replyCommandDocs(r: Reply, cmd: Command): void {
  const d = cmd.spec.docs;
  const docFlags = d?.docFlags ?? [];
  const history = d?.history ?? [];
  const args = d?.arguments ?? [];
  r.map(
    3 + (d?.complexity !== undefined ? 1 : 0) + (docFlags.length > 0 ? 1 : 0) + (d?.deprecatedSince !== undefined ? 1 : 0) +
      (d?.replacedBy !== undefined ? 1 : 0) + (history.length > 0 ? 1 : 0) + (args.length > 0 ? 1 : 0) +
      (cmd.subcommands !== null ? 1 : 0),
  );
  r.bulk('summary');
  r.bulk(d?.summary ?? '');
  r.bulk('since');
  r.bulk(d?.since ?? '');
  r.bulk('group');
  r.bulk(d?.group ?? 'generic');
  if (d?.complexity !== undefined) {
    r.bulk('complexity');
    r.bulk(d.complexity);
  }
  if (docFlags.length > 0) {
    r.bulk('doc_flags');
    r.set(docFlags.length);
    for (const f of docFlags) r.status(f);
  }
  if (d?.deprecatedSince !== undefined) {
    r.bulk('deprecated_since');
    r.bulk(d.deprecatedSince);
  }
  if (d?.replacedBy !== undefined) {
    r.bulk('replaced_by');
    r.bulk(d.replacedBy);
  }
  if (history.length > 0) {
    r.bulk('history');
    r.set(history.length);
    for (const [since, change] of history) r.bulks([since, change]);
  }
  if (args.length > 0) {
    r.bulk('arguments');
    replyArgs(r, args);
  }
  if (cmd.subcommands !== null) {
    r.bulk('subcommands');
    r.map(cmd.subcommands.size);
    for (const sub of cmd.subcommands.values()) {
      r.bulk(sub.fullName);
      replyCommandDocs(r, sub);
    }
  }
}

/** Redis's lookupCommandBySds: "name" or "container|sub", nothing deeper. */
function lookupByFullName(c: Client, name: string): Command | undefined {
  const parts = name.split('|');
  const [baseName, subName] = parts;
  if (parts.length > 2 || baseName === undefined) return undefined;
  const base = c.server.commands.lookup(baseName);
  if (base === undefined) return undefined;
  if (subName === undefined) return base;
  return base.subcommands?.get(subName.toLowerCase());
}

function getkeys(withFlags: boolean) {
  return (c: Client, argv: string[]): void => {
    const line = argv.slice(2);
    const found = c.server.commands.resolve(line);
    const cmd = found.resolved ? found : found.cmd;
    // An unknown subcommand is an invalid command here, as in Redis's lookupCommand.
    if (cmd === null || (!found.resolved && found.reason === 'subcommand')) {
      c.reply.error(E.INVALID_COMMAND);
      return;
    }
    const spec = cmd.spec;
    if (spec.getKeys === undefined && !spec.keys.some((k) => !k.flags.includes('NOT_KEY'))) {
      c.reply.error(E.NO_KEY_ARGUMENTS);
      return;
    }
    if (!found.resolved) {
      c.reply.error(E.INVALID_COMMAND_ARGC);
      return;
    }
    const keys = cmd.keyRefs(line);
    if (keys.length === 0) {
      if (spec.flags.includes('no_mandatory_keys')) c.reply.array(0);
      else c.reply.error(E.INVALID_COMMAND_ARGS);
      return;
    }
    const r = c.reply;
    r.array(keys.length);
    // Each key's position indexes the very line its key specs were read from.
    for (const k of keys) {
      if (!withFlags) {
        r.bulk(arg(line, k.pos));
        continue;
      }
      r.array(2);
      r.bulk(arg(line, k.pos));
      const flags = KEY_FLAG_ORDER.filter(([f]) => k.flags.includes(f));
      r.set(flags.length);
      for (const [, name] of flags) r.status(name);
    }
  };
}

// --- handlers ---

function command(c: Client): void {
  const all = c.server.commands.all;
  c.reply.array(all.length);
  for (const cmd of all) replyCommandInfo(c.reply, cmd);
}

function count(c: Client): void {
  c.reply.integer(c.server.commands.all.length);
}

function info(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    command(c);
    return;
  }
  c.reply.array(argv.length - 2);
  for (const name of argv.slice(2)) replyCommandInfo(c.reply, lookupByFullName(c, name));
}

function docs(c: Client, argv: string[]): void {
  const found: Command[] = [];
  if (argv.length === 2) {
    found.push(...c.server.commands.all);
  } else {
    for (const name of argv.slice(2)) {
      const cmd = lookupByFullName(c, name);
      if (cmd !== undefined) found.push(cmd);
    }
  }
  c.reply.map(found.length);
  for (const cmd of found) {
    c.reply.bulk(cmd.fullName);
    replyCommandDocs(c.reply, cmd);
  }
}

function list(c: Client, argv: string[]): void {
  let filter: ((cmd: Command) => boolean) | null = null;
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i];
    const kind = argv[i + 1];
    const value = argv[i + 2];
    // FILTERBY and its two words must end the line.
    if (word !== undefined && kind !== undefined && value !== undefined && i + 3 === argv.length && is(word, 'filterby')) {
      if (is(kind, 'module')) filter = () => false;
      else if (is(kind, 'aclcat')) filter = (cmd) => cmd.spec.acl.includes(value.toLowerCase() as AclCategory);
      else if (is(kind, 'pattern')) filter = (cmd) => globMatch(value, cmd.fullName, true);
      else {
        c.reply.error(E.SYNTAX);
        return;
      }
      i += 2;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const names: string[] = [];
  for (const cmd of c.server.commands.walk()) if (filter === null || filter(cmd)) names.push(cmd.fullName);
  c.reply.bulks(names);
}

function help(c: Client): void {
  replyHelp(c, 'COMMAND', [
    '(no subcommand)',
    '    Return details about all Redis commands.',
    'COUNT',
    '    Return the total number of commands in this Redis server.',
    'LIST',
    '    Return a list of all commands in this Redis server.',
    'INFO [<command-name> ...]',
    '    Return details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'DOCS [<command-name> ...]',
    '    Return documentation details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'GETKEYS <full-command>',
    '    Return the keys from a full Redis command.',
    'GETKEYSANDFLAGS <full-command>',
    '    Return the keys and the access flags from a full Redis command.',
  ]);
}

const flags = ['loading', 'stale'] as const;
const acl = ['slow', 'connection'] as const;
const order = ['nondeterministic_output_order'] as const;

const commandSubcommands: readonly CommandSpec[] = [
  { name: 'count', arity: 2, flags, acl, keys: NO_KEYS, run: count },
  { name: 'info', arity: -2, flags, acl, keys: NO_KEYS, tips: order, run: info },
  { name: 'docs', arity: -2, flags, acl, keys: NO_KEYS, tips: order, run: docs },
  { name: 'list', arity: -2, flags, acl, keys: NO_KEYS, tips: order, run: list },
  { name: 'getkeys', arity: -4, flags, acl, keys: NO_KEYS, run: getkeys(false) },
  { name: 'getkeysandflags', arity: -4, flags, acl, keys: NO_KEYS, run: getkeys(true) },
  { name: 'help', arity: 2, flags, acl, keys: NO_KEYS, run: help },
];

export const commandCommands: readonly CommandSpec[] = withDocs(commandDocs, [
  { name: 'command', arity: -1, flags, acl, keys: NO_KEYS, tips: order, run: command, subcommands: commandSubcommands },
]);
