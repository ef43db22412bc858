// notify-keyspace-events: the event class bits of Redis's notify.c and the directive's stored form.
// CONFIG GET prints Redis's form, where 'A' hides an 'n' that is still in force ("KEAn" reads
// back as "AKE"); the stored text therefore lists every class letter on its own.

import { repr } from './values.js';
import { ConfigError, type ParamDef, type ParamValue, type RewriteLine } from './types.js';

export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m
const NOTIFY_MODULE = 1 << 13; // d
export const NOTIFY_NEW = 1 << 14; // n
/** 'A': every class but key misses and new keys. */
const NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

const LETTERS: readonly [string, number][] = [
  ['g', NOTIFY_GENERIC], ['$', NOTIFY_STRING], ['l', NOTIFY_LIST], ['s', NOTIFY_SET], ['h', NOTIFY_HASH],
  ['z', NOTIFY_ZSET], ['x', NOTIFY_EXPIRED], ['e', NOTIFY_EVICTED], ['t', NOTIFY_STREAM], ['d', NOTIFY_MODULE],
  ['n', NOTIFY_NEW], ['K', NOTIFY_KEYSPACE], ['E', NOTIFY_KEYEVENT], ['m', NOTIFY_KEY_MISS],
];

/** Flags of a notify-keyspace-events string, or -1 on an unknown character. */
function flagsOf(s: string): number {
  let flags = 0;
  for (const ch of s) {
    if (ch === 'A') {
      flags |= NOTIFY_ALL;
      continue;
    }
    const letter = LETTERS.find(([c]) => c === ch);
    if (letter === undefined) return -1;
    flags |= letter[1];
  }
  return flags;
}

/** The flags a stored value stands for. */
export function notifyFlagsOf(value: ParamValue): number {
  const flags = flagsOf(String(value));
  return flags === -1 ? 0 : flags;
}

export function parseNotify(words: string[]): ParamValue | Error {
  const flags = flagsOf(words[0] ?? '');
  if (flags === -1) return new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  let out = '';
  for (const [ch, bit] of LETTERS) if (flags & bit) out += ch;
  return out;
}

/** Redis's keyspaceEventsFlagsToString: 'A' when all its classes are on (else each class, n too), then K, E, m. */
export function renderNotify(value: ParamValue): string {
  const flags = notifyFlagsOf(value);
  let out = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out += 'A';
  else for (const [ch, bit] of LETTERS) if (bit & (NOTIFY_ALL | NOTIFY_NEW) & flags) out += ch;
  if (flags & NOTIFY_KEYSPACE) out += 'K';
  if (flags & NOTIFY_KEYEVENT) out += 'E';
  if (flags & NOTIFY_KEY_MISS) out += 'm';
  return out;
}

/** CONFIG REWRITE writes the form CONFIG GET shows, as Redis does. */
export function rewriteNotify(value: ParamValue, def: ParamDef): RewriteLine[] {
  const shown = renderNotify(value);
  return [{ line: `${def.name} ${repr(shown)}`, force: shown !== '' }];
}
