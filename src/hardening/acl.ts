// ACL users as the hardening checks see them, read from ACL LIST lines (`user <name> <rules>`):
// what a running server answers to the audit, and what `--check-config` gets by describing the
// users the server would start with. Passwords are known only as their SHA-256 digests.

import { createHash } from 'node:crypto';
import { printable } from './exposure.js';

export interface AclUser {
  readonly name: string;
  readonly enabled: boolean;
  readonly nopass: boolean;
  /** The user may run every command (`+@all` with nothing taken away). */
  readonly allCommands: boolean;
  readonly allKeys: boolean;
  /** The user may run EVAL. */
  readonly scripting: boolean;
  /** Hex SHA-256 digests of the user's passwords (`#<digest>` rules). */
  readonly passwordDigests: readonly string[];
  /** The rules with password digests and clear passwords replaced, safe to print. */
  readonly rules: string;
}

/** Reads ACL rules in order, as the server applies them; null when the line is not a user line. */
export function parseAclLine(line: string): AclUser | null {
  // Selectors (7.0) are extra permissions in parentheses; the root rules decide these questions.
  const root = line.replace(/\([^)]*\)/g, ' ');
  const words = root.split(/\s+/).filter((w) => w !== '');
  const name = words[1];
  if (words[0] !== 'user' || name === undefined) return null;
  let all = false;
  let denials = 0;
  let evalAllowed = false;
  let allKeys = false;
  const digests: string[] = [];
  for (const w of words.slice(2)) {
    const lw = w.toLowerCase();
    if (/^#[0-9a-f]{64}$/.test(lw)) digests.push(lw.slice(1));
    else if (w.startsWith('>')) digests.push(sha256hex(w.slice(1)));
    else if (lw === '+@all' || lw === 'allcommands') {
      all = true;
      denials = 0;
      evalAllowed = true;
    } else if (lw === '-@all' || lw === 'nocommands') {
      all = false;
      evalAllowed = false;
    } else if (lw.startsWith('-')) {
      if (all) denials++;
      if (lw === '-eval' || lw === '-@scripting' || lw === '-@slow') evalAllowed = false;
    } else if (lw === '+eval' || lw === '+@scripting' || lw === '+@slow') {
      evalAllowed = true;
    } else if (lw === '~*' || lw === 'allkeys' || lw === '%rw~*') {
      allKeys = true;
    } else if (lw === 'resetkeys') {
      allKeys = false;
    }
  }
  const rules = words.map((w) => (/^#[0-9a-f]{64}$/i.test(w) ? '#<hash>' : w.startsWith('>') ? '><redacted>' : w)).join(' ');
  return {
    name: printable(name),
    enabled: words.includes('on'),
    nopass: words.includes('nopass'),
    allCommands: all && denials === 0,
    allKeys,
    scripting: evalAllowed,
    passwordDigests: digests,
    rules: printable(rules),
  };
}

function sha256hex(s: string): string {
  return createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
}

/** Passwords found in leaked-password lists and in Redis examples (foobared is redis.conf's). */
const COMMON_PASSWORDS = [
  'foobared', 'redis', 'redispass', 'redispassword', 'password', 'password1', 'password123', 'passw0rd',
  'p@ssw0rd', 'admin', 'admin123', 'root', 'toor', 'secret', 'changeme', 'default', 'letmein', 'welcome',
  'qwerty', 'qwerty123', 'abc123', 'iloveyou', 'monkey', 'dragon', 'master', 'login', 'test', 'test123',
  '123456', '1234567', '12345678', '123456789', '1234567890', '111111', '000000', '123123',
];

export const MIN_PASSWORD_LENGTH = 16;

const COMMON_DIGESTS = new Set(COMMON_PASSWORDS.map(sha256hex));

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.includes(password.toLowerCase());
}

export function isCommonDigest(digest: string): boolean {
  return COMMON_DIGESTS.has(digest.toLowerCase());
}
