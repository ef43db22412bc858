// An ACL user: enabled or not, its passwords (only as SHA-256 hex digests), nopass, the payload
// sanitizing flags, and its selectors (the first is the root one). Rules change a user one at a
// time, as Redis's ACLSetUser; ACL SETUSER applies them to a copy and keeps it only if all pass.

import { createHash } from 'node:crypto';
import { ACL_RULE_ERRORS } from '../../errors.js';
import { Selector, type RuleError } from './selector.js';
import type { CommandUniverse } from './commands.js';

export class User {
  enabled = false;
  nopass = false;
  sanitizePayload = false;
  skipSanitizePayload = false;
  /** Hex SHA-256 digests, in the order they were added. */
  passwords: string[] = [];
  root: Selector;
  selectors: Selector[] = [];

  constructor(
    readonly name: string,
    /** The commands its rules may name. */
    readonly universe: CommandUniverse,
    /** acl-pubsub-default: whether new selectors start with every channel allowed. */
    private readonly pubsubAll = false,
  ) {
    this.root = new Selector(universe, pubsubAll);
  }

  clone(name = this.name): User {
    const u = new User(name, this.universe, this.pubsubAll);
    u.copyFrom(this);
    return u;
  }

  /** Redis's ACLCopyUser: takes every setting of `other`, keeping this user's name. */
  copyFrom(other: User): void {
    this.enabled = other.enabled;
    this.nopass = other.nopass;
    this.sanitizePayload = other.sanitizePayload;
    this.skipSanitizePayload = other.skipSanitizePayload;
    this.passwords = [...other.passwords];
    this.root = other.root.clone();
    this.selectors = other.selectors.map((s) => s.clone());
  }

  /** Redis's ACLSetUser: one rule (already merged if it is a parenthesised selector). */
  apply(op: string): RuleError | null {
    const lower = op.toLowerCase();
    if (lower === 'on') this.enabled = true;
    else if (lower === 'off') this.enabled = false;
    else if (lower === 'skip-sanitize-payload') {
      this.skipSanitizePayload = true;
      this.sanitizePayload = false;
    } else if (lower === 'sanitize-payload') {
      this.sanitizePayload = true;
      this.skipSanitizePayload = false;
    } else if (lower === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let digest: string;
      if (op[0] === '>') digest = hashPassword(op.slice(1));
      else {
        digest = op.slice(1);
        if (!isDigest(digest)) return 'bad-hash';
      }
      if (!this.passwords.includes(digest)) this.passwords.push(digest);
      this.nopass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      let digest: string;
      if (op[0] === '<') digest = hashPassword(op.slice(1));
      else {
        digest = op.slice(1);
        if (!isDigest(digest)) return 'bad-hash';
      }
      const i = this.passwords.indexOf(digest);
      if (i === -1) return 'no-such-password';
      this.passwords.splice(i, 1);
      this.nopass = false;
    } else if (op.length >= 2 && op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(this.universe, this.pubsubAll);
      for (const rule of splitSelectorBody(op.slice(1, -1))) {
        const err = s.apply(rule);
        if (err !== null) return err;
      }
      this.selectors.push(s);
    } else if (lower === 'clearselectors') {
      this.selectors = [];
    } else if (lower === 'reset') {
      this.passwords = [];
      this.nopass = false;
      this.root.apply('resetkeys');
      this.root.apply('resetchannels');
      if (this.pubsubAll) this.root.apply('allchannels');
      this.enabled = false;
      this.sanitizePayload = true;
      this.skipSanitizePayload = false;
      this.selectors = [];
      this.root.apply('-@all');
    } else {
      return this.root.apply(op);
    }
    return null;
  }

  /** Flags in Redis's order: on/off, nopass, skip-sanitize-payload, sanitize-payload. */
  flags(): string[] {
    const f = [this.enabled ? 'on' : 'off'];
    if (this.nopass) f.push('nopass');
    if (this.skipSanitizePayload) f.push('skip-sanitize-payload');
    if (this.sanitizePayload) f.push('sanitize-payload');
    return f;
  }

  /** Redis's ACLDescribeUser: the rules that rebuild this user, as ACL LIST and ACL SAVE write them. */
  describe(): string {
    let res = '';
    for (const f of this.flags()) res += `${f} `;
    for (const p of this.passwords) res += `#${p} `;
    res += this.root.describe();
    for (const s of this.selectors) res += ` (${s.describe()})`;
    return res;
  }

  /** True when every selector allows everything (the check can be skipped). */
  get unrestricted(): boolean {
    const r = this.root;
    return r.allCommands && r.allKeys && r.allChannels;
  }
}

export function hashPassword(password: string): string {
  return createHash('sha256').update(Buffer.from(password, 'latin1')).digest('hex');
}

function isDigest(s: string): boolean {
  return s.length === 64 && /^[0-9a-f]{64}$/.test(s);
}

/** Redis splits a selector's body with sdssplitargs: spaces separate, quotes group. */
function splitSelectorBody(body: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = body.length;
  while (i < n) {
    while (i < n && isSpace(body.charCodeAt(i))) i++;
    if (i >= n) break;
    let cur = '';
    let inDq = false;
    let inSq = false;
    for (;;) {
      if (i >= n) {
        // Unbalanced quotes: Redis gets no arguments at all.
        if (inDq || inSq) return [];
        break;
      }
      const ch = body.charAt(i);
      if (inDq) {
        if (ch === '\\' && i + 1 < n) {
          cur += unescape(body.charAt(i + 1));
          i += 2;
          continue;
        }
        if (ch === '"') {
          // The closing quote ends the word.
          i++;
          if (i < n && !isSpace(body.charCodeAt(i))) return [];
          break;
        }
        cur += ch;
      } else if (inSq) {
        if (ch === '\\' && body[i + 1] === "'") {
          cur += "'";
          i += 2;
          continue;
        }
        if (ch === "'") {
          i++;
          if (i < n && !isSpace(body.charCodeAt(i))) return [];
          break;
        }
        cur += ch;
      } else {
        if (isSpace(ch.charCodeAt(0))) break;
        if (ch === '"') inDq = true;
        else if (ch === "'") inSq = true;
        else cur += ch;
      }
      i++;
    }
    out.push(cur);
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function unescape(c: string): string {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\x07';
    default:
      return c;
  }
}

/**
 * Redis's ACLMergeSelectorArguments: words from "(" to the next word ending in ")" form one
 * selector rule. Returns the merged rules, or the index of the word that opened an unclosed one.
 */
export function mergeSelectorArgs(words: readonly string[]): string[] | number {
  const out: string[] = [];
  let open = -1;
  let selector = '';
  for (const [j, op] of words.entries()) {
    if (open === -1 && op[0] === '(' && op[op.length - 1] !== ')') {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${op}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(selector);
      }
      continue;
    }
    out.push(op);
  }
  return open !== -1 ? open : out;
}

/** The text Redis gives each rule error (ACLSetUserStringError). */
export function ruleErrorText(err: RuleError): string {
  return ACL_RULE_ERRORS[err];
}
