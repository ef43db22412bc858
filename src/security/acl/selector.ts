// One ACL selector: the commands it allows (a set of full command names plus Redis's "future
// commands" bit), first-argument exceptions, key patterns with read/write flags, and channel
// patterns. A user has a root selector and any number of extra ones. Rule parsing and the
// rendering of rules back to text follow Redis 7.0's acl.c, which clients and tools compare.

import type { Command } from '../../commands/registry.js';
import { CATEGORIES, type CommandUniverse } from './commands.js';

/** Why a rule was refused; the text is Redis's ACLSetUserStringError for that errno. */
export type RuleError =
  | 'unknown' // ENOENT
  | 'syntax' // EINVAL
  | 'keys-after-all' // EEXIST
  | 'channels-after-all' // EISDIR
  | 'no-such-password' // ENODEV
  | 'bad-hash' // EBADMSG
  | 'duplicate-user' // EALREADY
  | 'subcommand-firstarg'; // ECHILD

export interface KeyPattern {
  readonly pattern: string;
  read: boolean;
  write: boolean;
}

export class Selector {
  /** Fast path set by +@all/allcommands, cleared by any removal (SELECTOR_FLAG_ALLCOMMANDS). */
  allCommands = false;
  /** Redis's reserved command bit: +@all was the start, so commands added later are allowed. */
  future = false;
  allKeys = false;
  allChannels = false;
  allowed = new Set<string>();
  /** Command → first arguments allowed although the command is not (+select|0). */
  firstArgs = new Map<string, string[]>();
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(
    /** The commands rules may name. */
    readonly universe: CommandUniverse,
    allChannels = false,
  ) {
    this.allChannels = allChannels;
  }

  clone(): Selector {
    const s = new Selector(this.universe, this.allChannels);
    s.allCommands = this.allCommands;
    s.future = this.future;
    s.allKeys = this.allKeys;
    s.allowed = new Set(this.allowed);
    for (const [k, v] of this.firstArgs) s.firstArgs.set(k, [...v]);
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  // --- rules ---

  /** Redis's ACLSetSelector: applies one rule, or returns why it cannot be applied. */
  apply(op: string): RuleError | null {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.patterns = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.patterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.setAll(true);
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.setAll(false);
    } else if (op[0] === '~' || op[0] === '%') {
      return this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if (this.allChannels) return 'channels-after-all';
      const pat = op.slice(1);
      if (hasSpaces(pat)) return 'syntax';
      if (!this.channels.includes(pat)) this.channels.push(pat);
    } else if (op[0] === '+' && op[1] !== '@') {
      return this.allowCommandRule(op.slice(1));
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = this.universe.lookup(op.slice(1));
      if (cmd === undefined) return 'unknown';
      this.changePerm(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const members = this.universe.byCategory.get(op.slice(2).toLowerCase());
      if (members === undefined) return 'unknown';
      for (const cmd of members) this.changePerm(cmd, op[0] === '+');
    } else {
      return 'syntax';
    }
    return null;
  }

  private setAll(on: boolean): void {
    this.allCommands = on;
    this.future = on;
    this.allowed = on ? new Set(this.universe.all.map((c) => c.fullName)) : new Set();
    this.firstArgs.clear();
  }

  private addKeyPattern(op: string): RuleError | null {
    if (this.allKeys) return 'keys-after-all';
    let read = false;
    let write = false;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const ch = op.charAt(offset).toUpperCase();
        if (ch === 'R' && !read) read = true;
        else if (ch === 'W' && !write) write = true;
        else if (ch === '~') {
          offset++;
          break;
        } else return 'syntax';
      }
      if (!read && !write) return 'syntax';
    } else {
      read = write = true;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) return 'syntax';
    const existing = this.patterns.find((p) => p.pattern === pattern);
    if (existing !== undefined) {
      existing.read ||= read;
      existing.write ||= write;
    } else {
      this.patterns.push({ pattern, read, write });
    }
    return null;
  }

  /** `+name`, `+container|sub`, or `+command|firstarg` (Redis's deprecated first-arg rule). */
  private allowCommandRule(name: string): RuleError | null {
    const bar = name.lastIndexOf('|');
    if (bar === -1) {
      const cmd = this.universe.lookup(name);
      if (cmd === undefined) return 'unknown';
      this.changePerm(cmd, true);
      return null;
    }
    const cmd = this.universe.lookup(name.slice(0, bar));
    if (cmd === undefined) return 'unknown';
    if (cmd.parent !== null) return 'subcommand-firstarg';
    const sub = name.slice(bar + 1);
    if (sub === '') return 'syntax';
    if (cmd.subcommands !== null) {
      const subcmd = this.universe.lookup(name);
      if (subcmd === undefined) return 'unknown';
      this.changePerm(subcmd, true);
    } else {
      const list = this.firstArgs.get(cmd.fullName) ?? [];
      const lower = sub.toLowerCase();
      if (!list.some((a) => a.toLowerCase() === lower)) list.push(sub);
      this.firstArgs.set(cmd.fullName, list);
    }
    return null;
  }

  /** Redis's ACLChangeSelectorPerm: a command and, for a container, all its subcommands. */
  changePerm(cmd: Command, allow: boolean): void {
    this.setBit(cmd.fullName, allow);
    this.firstArgs.delete(cmd.fullName);
    if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) this.setBit(sub.fullName, allow);
  }

  private setBit(name: string, allow: boolean): void {
    if (allow) this.allowed.add(name);
    else {
      this.allowed.delete(name);
      this.allCommands = false;
    }
  }

  // --- rendering ---

  /**
   * Redis 7.0's ACLDescribeSelectorCommandRules: start from +@all or -@all, then greedily pick the
   * category that best fits the remaining differences, then list single commands. Single commands
   * come in table order (Redis walks a hash table, so its order differs from run to run).
   */
  describeCommands(): string {
    const u = this.universe;
    const additive = !this.future;
    const first = additive ? '-@all' : '+@all';
    const out: string[] = [first];
    const fake = new Selector(u);
    fake.apply(first);
    const temp = new Set(this.allowed);
    for (;;) {
      let best = -1;
      let minDiff = Infinity;
      let maxSame = 0;
      for (const [j, category] of CATEGORIES.entries()) {
        let on = 0;
        let off = 0;
        for (const cmd of u.byCategory.get(category) ?? []) {
          if (temp.has(cmd.fullName)) on++;
          else off++;
        }
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      const cat = CATEGORIES[best];
      if (cat === undefined) break;
      const rule = `${additive ? '+' : '-'}@${cat}`;
      out.push(rule);
      fake.apply(rule);
      for (const cmd of u.byCategory.get(cat) ?? []) {
        setWithSubs(temp, cmd, !additive);
      }
    }
    for (const cmd of u.top) {
      const userBit = this.allowed.has(cmd.fullName);
      if (userBit !== fake.allowed.has(cmd.fullName)) {
        out.push(`${userBit ? '+' : '-'}${cmd.fullName}`);
        fake.changePerm(cmd, userBit);
      }
      if (cmd.subcommands !== null) {
        for (const sub of cmd.subcommands.values()) {
          const bit = this.allowed.has(sub.fullName);
          if (bit !== fake.allowed.has(sub.fullName)) {
            out.push(`${bit ? '+' : '-'}${sub.fullName}`);
            fake.changePerm(sub, bit);
          }
        }
      }
      const firsts = this.firstArgs.get(cmd.fullName);
      if (!userBit && firsts !== undefined) for (const a of firsts) out.push(`+${cmd.fullName}|${a}`);
    }
    return out.join(' ');
  }

  /** The key patterns as GETUSER shows them: "~*", or each pattern with its %R~ / %W~ / ~ prefix. */
  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.patterns.map(patternString).join(' ');
  }

  /** The channel patterns as GETUSER shows them: "&*", or "&a &b". */
  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((c) => `&${c}`).join(' ');
  }

  /** Redis's ACLDescribeSelector: keys, channels (with resetchannels), then command rules. */
  describe(): string {
    let res = '';
    if (this.allKeys) res += '~* ';
    else for (const p of this.patterns) res += `${patternString(p)} `;
    if (this.allChannels) res += '&* ';
    else {
      res += 'resetchannels ';
      for (const c of this.channels) res += `&${c} `;
    }
    return res + this.describeCommands();
  }
}

function setWithSubs(set: Set<string>, cmd: Command, on: boolean): void {
  const names = [cmd.fullName, ...(cmd.subcommands !== null ? [...cmd.subcommands.values()].map((s) => s.fullName) : [])];
  for (const n of names) {
    if (on) set.add(n);
    else set.delete(n);
  }
}

function patternString(p: KeyPattern): string {
  if (p.read && p.write) return `~${p.pattern}`;
  return `${p.read ? '%R~' : '%W~'}${p.pattern}`;
}

/** Redis's ACLStringHasSpaces: whitespace and NUL bytes are refused in names and patterns. */
export function hasSpaces(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 32 || ch === 0 || (ch >= 9 && ch <= 13)) return true;
  }
  return false;
}
