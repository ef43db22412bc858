// The ACL decision for one command, as Redis's ACLCheckAllUserCommandPerm: a command passes when
// the root selector or any other selector allows the command, every key it touches (with the
// access the key spec implies) and every channel it publishes or subscribes to.

import type { Command } from '../../commands/registry.js';
import type { ChannelExtractor, KeySpecFlag } from '../../commands/spec.js';
import type { KeyRef } from '../../commands/key-specs.js';
import { globMatch } from '../../store/glob.js';
import type { Selector } from './selector.js';
import type { User } from './user.js';

/** Redis's ACL_* results; when no selector allows, the largest reason (then position) is reported. */
export const ACL_OK = 0;
export const ACL_DENIED_CMD = 1;
export const ACL_DENIED_KEY = 2;
// 3 is Redis's ACL_DENIED_AUTH, which no command check returns.
export const ACL_DENIED_CHANNEL = 4;

export interface Verdict {
  readonly result: number;
  /** argv index of the key or channel refused (0 for a refused command). */
  readonly pos: number;
}

const ALLOWED: Verdict = { result: ACL_OK, pos: 0 };

/**
 * Channels a command publishes or subscribes to (Redis's getChannelsFromCommand, limited to the
 * publish and subscribe flags the ACL checks), by full command name. Read once, when the command
 * table is built (Command.channels).
 */
export const CHANNEL_ARGS: ReadonlyMap<string, ChannelExtractor> = new Map<string, ChannelExtractor>([
  ['publish', () => [{ pos: 1, pattern: false }]],
  ['spublish', () => [{ pos: 1, pattern: false }]],
  ['subscribe', (argv) => argv.slice(1).map((_, i) => ({ pos: i + 1, pattern: false }))],
  ['ssubscribe', (argv) => argv.slice(1).map((_, i) => ({ pos: i + 1, pattern: false }))],
  ['psubscribe', (argv) => argv.slice(1).map((_, i) => ({ pos: i + 1, pattern: true }))],
]);

/** Checks `cmd argv` for `user`. */
export function checkCommand(user: User, cmd: Command, argv: readonly string[]): Verdict {
  if (user.unrestricted && user.selectors.length === 0) return ALLOWED;
  const cache: { keys: KeyRef[] | null } = { keys: null };
  const verdict = checkSelector(user.root, cmd, argv, cache);
  if (verdict.result === ACL_OK) return ALLOWED;
  let relevant = verdict.result;
  let lastPos = verdict.pos;
  for (const s of user.selectors) {
    const v = checkSelector(s, cmd, argv, cache);
    if (v.result === ACL_OK) return ALLOWED;
    if (v.result > relevant || (v.result === relevant && v.pos > lastPos)) {
      relevant = v.result;
      lastPos = v.pos;
    }
  }
  return { result: relevant, pos: lastPos };
}

function checkSelector(s: Selector, cmd: Command, argv: readonly string[], cache: { keys: KeyRef[] | null }): Verdict {
  if (!s.allCommands && !cmd.isNoAuth && !s.allowed.has(cmd.fullName)) {
    const firsts = s.firstArgs.get(cmd.fullName);
    const first = argv[cmd.parent !== null ? 2 : 1]?.toLowerCase();
    if (firsts === undefined || first === undefined) return { result: ACL_DENIED_CMD, pos: 0 };
    if (!firsts.some((a) => a.toLowerCase() === first)) return { result: ACL_DENIED_CMD, pos: 0 };
  }
  if (!s.allKeys && cmd.spec.keys.length > 0) {
    cache.keys ??= keysWithFlags(cmd, argv);
    for (const k of cache.keys) {
      // A key position outside argv would be a key-spec bug: refused, never allowed.
      const key = argv[k.pos];
      if (key === undefined || !keyAllowed(s, key, k.flags)) return { result: ACL_DENIED_KEY, pos: k.pos };
    }
  }
  if (!s.allChannels) {
    const channels = cmd.channels;
    if (channels !== null) {
      for (const ch of channels(argv)) {
        const channel = argv[ch.pos];
        if (channel === undefined || !channelInList(s.channels, channel, ch.pattern)) return { result: ACL_DENIED_CHANNEL, pos: ch.pos };
      }
    }
  }
  return ALLOWED;
}

/** Redis's ACLSelectorCheckKey: only the logical flags (ACCESS, INSERT, DELETE, UPDATE) need rights. */
function keyAllowed(s: Selector, key: string, flags: readonly KeySpecFlag[]): boolean {
  const needRead = flags.includes('ACCESS');
  const needWrite = flags.includes('INSERT') || flags.includes('DELETE') || flags.includes('UPDATE');
  for (const p of s.patterns) {
    if ((needRead && !p.read) || (needWrite && !p.write)) continue;
    if (globMatch(p.pattern, key)) return true;
  }
  return false;
}

/** Key positions with their flags; SET and BITFIELD decide theirs from the arguments, as Redis does. */
function keysWithFlags(cmd: Command, argv: readonly string[]): KeyRef[] {
  const keys = cmd.keyRefs(argv);
  const name = cmd.fullName;
  const only = keys.length === 1 ? keys[0] : undefined;
  if (only === undefined) return keys;
  if (name === 'set') {
    let get = false;
    for (let i = 3; i < argv.length; i++) if (argv[i]?.toLowerCase() === 'get') get = true;
    return [{ pos: only.pos, flags: get ? ['RW', 'ACCESS', 'UPDATE'] : ['OW', 'UPDATE'] }];
  }
  if (name === 'bitfield') {
    return [{ pos: only.pos, flags: bitfieldReadonly(argv) ? ['RO', 'ACCESS'] : ['RW', 'ACCESS', 'UPDATE'] }];
  }
  return keys;
}

function bitfieldReadonly(argv: readonly string[]): boolean {
  for (let i = 2; i < argv.length; i++) {
    const rem = argv.length - i - 1;
    const arg = argv[i]?.toLowerCase();
    if (arg === 'get' && rem >= 2) i += 2;
    else if ((arg === 'set' || arg === 'incrby') && rem >= 3) return false;
    else if (arg === 'overflow' && rem >= 1) i += 1;
    else return false;
  }
  return true;
}

/** Channel patterns are compared literally with the user's patterns; channels are glob-matched. */
function channelInList(list: readonly string[], channel: string, isPattern: boolean): boolean {
  for (const p of list) {
    if (isPattern ? p === channel : globMatch(p, channel)) return true;
  }
  return false;
}

/**
 * For pub/sub code outside a command's arguments (e.g. killing subscribers whose rights were
 * revoked): whether any selector of `user` allows `channel`.
 */
export function channelAllowed(user: User, channel: string, isPattern: boolean): boolean {
  for (const s of [user.root, ...user.selectors]) {
    if (s.allChannels || channelInList(s.channels, channel, isPattern)) return true;
  }
  return false;
}

/**
 * Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess: some selector allows the command and may read
 * every key (allkeys, or a `*` pattern with read rights). SORT's BY and GET patterns reach keys
 * that are not its arguments, so only such users may use them.
 */
export function hasUnrestrictedKeyRead(user: User, cmd: Command, argv: readonly string[]): boolean {
  const cache: { keys: KeyRef[] | null } = { keys: null };
  for (const s of [user.root, ...user.selectors]) {
    if (checkSelector(s, cmd, argv, cache).result !== ACL_OK) continue;
    if (s.allKeys || s.patterns.some((p) => p.read && p.pattern === '*')) return true;
  }
  return false;
}
