// The ACL container: users and their rules (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI),
// categories (CAT), passwords (GENPASS), denials (LOG), what-if checks (DRYRUN) and the aclfile
// (LOAD, SAVE). Rules live in src/security/acl; these handlers only parse and render.

import { randomBytes } from 'node:crypto';
import * as E from '../errors.js';
import { arg, parseInteger } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { aclDocs } from './docs/acl.js';
import { replyHelp } from './server.js';
import type { Client } from '../server/client.js';
import { User, mergeSelectorArgs, ruleErrorText } from '../security/acl/user.js';
import { hasSpaces, type Selector } from '../security/acl/selector.js';
import { CATEGORIES } from '../security/acl/commands.js';
import { ACL_DENIED_CHANNEL, ACL_DENIED_CMD, checkCommand } from '../security/acl/check.js';
import { auditEvent, clientFields } from '../security/audit-log.js';

function setuser(c: Client, argv: string[]): void {
  const acl = c.server.acl;
  const name = arg(argv, 2);
  if (hasSpaces(name)) {
    c.reply.error(E.ACL_USERNAME_SPACES);
    return;
  }
  const words = argv.slice(3);
  const merged = mergeSelectorArgs(words);
  if (typeof merged === 'number') {
    c.reply.error(E.aclUnmatchedParenthesis(arg(words, merged)));
    return;
  }
  const existing = acl.users.get(name);
  const temp = existing !== undefined ? existing.clone() : acl.newUser(name);
  for (const rule of merged) {
    const err = temp.apply(rule);
    if (err !== null) {
      c.reply.error(E.aclSetuserError(rule, ruleErrorText(err)));
      return;
    }
  }
  const revoked = existing !== undefined && revokesLogin(existing, temp);
  if (existing !== undefined) {
    existing.copyFrom(temp);
    acl.userChanged(existing);
  } else acl.users.set(name, temp);
  auditEvent(c.server, 'acl-user-changed', { ...clientFields(c), username: name, created: existing === undefined });
  // Redoubt: a user switched off or stripped of a password loses its other live sessions.
  if (revoked) disconnectOthers(c, name);
  c.reply.ok();
}

/** The change takes away a way to log in that connected clients may have used. */
function revokesLogin(before: User, after: User): boolean {
  if (before.enabled && !after.enabled) return true;
  if (before.nopass && !after.nopass) return true;
  return before.passwords.some((p) => !after.passwords.includes(p));
}

function disconnectOthers(c: Client, name: string): void {
  const wasCaller = c.user === name && c.authenticated;
  c.server.acl.disconnect(name);
  if (wasCaller) {
    // The caller made the change and keeps its session.
    c.closeAfterReply = false;
    c.user = name;
    c.authenticated = true;
  }
}

function getuser(c: Client, argv: string[]): void {
  const u = c.server.acl.users.get(arg(argv, 2));
  if (u === undefined) {
    c.reply.nil();
    return;
  }
  const r = c.reply;
  r.map(6);
  r.bulk('flags');
  const flags = u.flags();
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('passwords');
  r.bulks(u.passwords);
  describeSelector(c, u.root);
  r.bulk('selectors');
  r.array(u.selectors.length);
  for (const s of u.selectors) {
    r.map(3);
    describeSelector(c, s);
  }
}

function describeSelector(c: Client, s: Selector): void {
  const r = c.reply;
  r.bulk('commands');
  r.bulk(s.describeCommands());
  r.bulk('keys');
  r.bulk(s.describeKeys());
  r.bulk('channels');
  r.bulk(s.describeChannels());
}

function deluser(c: Client, argv: string[]): void {
  const names = argv.slice(2);
  if (names.includes('default')) {
    c.reply.error(E.ACL_DELETE_DEFAULT);
    return;
  }
  const acl = c.server.acl;
  let deleted = 0;
  for (const name of names) {
    if (!acl.users.delete(name)) continue;
    deleted++;
    acl.disconnect(name);
    auditEvent(c.server, 'acl-user-deleted', { ...clientFields(c), username: name });
  }
  c.reply.integer(deleted);
}

function list(c: Client): void {
  const users = c.server.acl.sortedUsers();
  c.reply.array(users.length);
  for (const u of users) c.reply.bulk(`user ${u.name} ${u.describe()}`);
}

function users(c: Client): void {
  c.reply.bulks(c.server.acl.sortedUsers().map((u) => u.name));
}

function whoami(c: Client): void {
  c.reply.bulk(c.user);
}

function cat(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), 'acl'));
    return;
  }
  const category = argv[2];
  if (category === undefined) {
    c.reply.bulks(CATEGORIES);
    return;
  }
  const members = c.server.acl.universe.byCategory.get(category.toLowerCase());
  if (members === undefined) {
    c.reply.error(E.aclUnknownCategory(category));
    return;
  }
  c.reply.bulks(members.map((m) => m.fullName));
}

function genpass(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), 'acl'));
    return;
  }
  let bits = 256;
  const bitsText = argv[2];
  if (bitsText !== undefined) {
    const n = parseInteger(bitsText);
    if (n === null) {
      c.reply.error(E.NOT_INTEGER);
      return;
    }
    if (n <= 0 || n > 4096) {
      c.reply.error(E.ACL_GENPASS_BITS);
      return;
    }
    bits = n;
  }
  const chars = Math.floor((bits + 3) / 4);
  c.reply.bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

function log(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), 'acl'));
    return;
  }
  const acl = c.server.acl;
  let count = 10;
  const countText = argv[2];
  if (countText !== undefined) {
    if (countText.toLowerCase() === 'reset') {
      acl.log.reset();
      c.reply.ok();
      return;
    }
    const n = parseInteger(countText);
    if (n === null) {
      c.reply.error(E.NOT_INTEGER);
      return;
    }
    count = Math.max(0, n);
  }
  const entries = acl.log.entries.slice(0, count);
  const now = Date.now();
  const r = c.reply;
  r.array(entries.length);
  for (const e of entries) {
    r.map(10);
    r.bulk('count');
    r.integer(e.count);
    r.bulk('reason');
    r.bulk(e.reason);
    r.bulk('context');
    r.bulk(e.context);
    r.bulk('object');
    r.bulk(e.object);
    r.bulk('username');
    r.bulk(e.username);
    r.bulk('age-seconds');
    r.double((now - e.time) / 1000);
    r.bulk('client-info');
    r.bulk(e.clientInfo);
    r.bulk('entry-id');
    r.integer(e.entryId);
    r.bulk('timestamp-created');
    r.integer(e.created);
    r.bulk('timestamp-last-updated');
    r.integer(e.time);
  }
}

function dryrun(c: Client, argv: string[]): void {
  const name = arg(argv, 2);
  const u = c.server.acl.users.get(name);
  if (u === undefined) {
    c.reply.error(E.aclUserNotFound(name));
    return;
  }
  const args = argv.slice(3);
  const cmd = c.server.commands.resolve(args);
  if (!cmd.resolved) {
    c.reply.error(cmd.reason === 'arity' ? E.wrongArity(cmd.cmd.fullName) : E.aclCommandNotFound(args[0] ?? ''));
    return;
  }
  const v = checkCommand(u, cmd, args);
  if (v.result === 0) c.reply.ok();
  else if (v.result === ACL_DENIED_CMD) c.reply.bulk(E.aclNoCommand(u.name, cmd.fullName));
  // The verdict's position indexes the very arguments it judged.
  else if (v.result === ACL_DENIED_CHANNEL) c.reply.bulk(E.aclNoChannelNamed(u.name, arg(args, v.pos)));
  else c.reply.bulk(E.aclNoKeyNamed(u.name, arg(args, v.pos)));
}

function load(c: Client): void {
  const server = c.server;
  const path = server.config.str('aclfile');
  if (path === '') {
    c.reply.error(E.ACL_NO_FILE);
    return;
  }
  const err = server.acl.load(path);
  if (err !== null) {
    c.reply.error(E.aclLoadFailed(err));
    return;
  }
  auditEvent(server, 'acl-loaded', { ...clientFields(c), path });
  c.reply.ok();
}

function save(c: Client): void {
  const server = c.server;
  const path = server.config.str('aclfile');
  if (path === '') {
    c.reply.error(E.ACL_NO_FILE);
    return;
  }
  const err = server.acl.save(path);
  if (err !== null) {
    server.log.warning(`Opening temp ACL file for ACL SAVE: ${err.message}`);
    c.reply.error(E.ACL_SAVE_FAILED);
    return;
  }
  c.reply.ok();
}

const HELP = [
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
];

function help(c: Client): void {
  replyHelp(c, 'ACL', HELP);
}

/** SETUSER's rules (and the user name) never reach SLOWLOG or MONITOR, as Redis redacts them. */
function setuserSecrets(argv: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 2; i < argv.length; i++) out.push(i);
  return out;
}

const admin = ['admin', 'noscript', 'loading', 'stale'] as const;
const adminAcl = ['admin', 'slow', 'dangerous'] as const;
const plain = ['noscript', 'loading', 'stale'] as const;

export const aclCommands: readonly CommandSpec[] = withDocs(aclDocs, [
  {
    name: 'acl',
    arity: -2,
    flags: [],
    acl: ['slow'],
    keys: NO_KEYS,
    subcommands: [
      { name: 'cat', arity: -2, flags: plain, acl: ['slow'], keys: NO_KEYS, run: cat },
      { name: 'deluser', arity: -3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: deluser },
      { name: 'dryrun', arity: -4, flags: admin, acl: adminAcl, keys: NO_KEYS, run: dryrun },
      { name: 'genpass', arity: -2, flags: plain, acl: ['slow'], keys: NO_KEYS, run: genpass },
      { name: 'getuser', arity: 3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: getuser },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: help },
      { name: 'list', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: list },
      { name: 'load', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: load },
      { name: 'log', arity: -2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: log },
      { name: 'save', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: save },
      { name: 'setuser', arity: -3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: setuser, secretArgs: setuserSecrets },
      { name: 'users', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: users },
      { name: 'whoami', arity: 2, flags: plain, acl: ['slow'], keys: NO_KEYS, run: whoami },
    ],
  },
]);
