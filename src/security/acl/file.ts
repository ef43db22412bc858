// The ACL file (aclfile): one `user <name> <rules...>` line per user, words separated by single
// spaces, as Redis's ACLLoadFromFile reads it and ACLSaveToFile writes it. Loading builds a whole
// new set of users and reports every problem with Redis's wording; nothing changes on error.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { strerror } from '../../config/special.js';
import { User, mergeSelectorArgs, ruleErrorText } from './user.js';
import { hasSpaces } from './selector.js';
import type { CommandUniverse } from './commands.js';

/** Reads and parses `path`: the users it defines, or Redis's error text. */
export function loadAclFile(path: string, universe: CommandUniverse, pubsubAll: boolean): Map<string, User> | string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    return `Error loading ACLs, opening file '${path}': ${strerror(err)}`;
  }
  return parseAclFile(text, path, universe, pubsubAll);
}

function parseAclFile(text: string, path: string, universe: CommandUniverse, pubsubAll: boolean): Map<string, User> | string {
  const users = new Map<string, User>();
  let errors = '';
  for (const [i, raw] of text.split('\n').entries()) {
    const linenum = i + 1;
    const line = trim(raw, ' \t\r\n');
    if (line === '') continue;
    const argv = line.split(' ');
    const name = argv[1];
    if (argv[0] !== 'user' || name === undefined) {
      errors += `${path}:${linenum} should start with user keyword followed by the username. `;
      continue;
    }
    if (hasSpaces(name)) {
      errors += `'${path}:${linenum}: username '${name}' contains invalid characters. `;
      continue;
    }
    if (users.has(name)) {
      errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
      continue;
    }
    const u = new User(name, universe, pubsubAll);
    users.set(name, u);
    const merged = mergeSelectorArgs(argv.slice(2));
    if (typeof merged === 'number') {
      errors += `${path}:${linenum}: Unmatched parenthesis in selector definition.`;
      continue;
    }
    let syntaxError = false;
    for (const rule of merged) {
      const err = u.apply(trim(rule, '\t\r\n'));
      if (err === null) continue;
      if (err === 'unknown') errors += `${path}:${linenum}: Error in applying operation '${rule}': ${ruleErrorText(err)}. `;
      else if (!syntaxError) {
        errors += `${path}:${linenum}: ${ruleErrorText(err)}. `;
        syntaxError = true;
      }
    }
  }
  if (errors !== '') return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
  return users;
}

/** ACL SAVE: every user as a rule line, written to a temporary file then renamed over the old one. */
export function saveAclFile(path: string, users: Iterable<User>): Error | null {
  let text = '';
  for (const u of users) text += `user ${u.name} ${u.describe()}\n`;
  const tmp = join(dirname(path), `.${process.pid}-${Date.now()}.acl.tmp`);
  try {
    writeFileSync(tmp, text, { encoding: 'latin1', mode: 0o600 });
    renameSync(tmp, path);
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function trim(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s.charAt(a))) a++;
  while (b > a && chars.includes(s.charAt(b - 1))) b--;
  return s.slice(a, b);
}
