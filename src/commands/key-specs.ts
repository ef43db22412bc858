// Reading a command's keys from its key specs, as Redis's getKeysUsingKeySpecs and
// populateCommandLegacyRangeSpec do. COMMAND GETKEYS, COMMAND INFO and the ACL key checks all use
// these, so a command's keys are found the same way everywhere.

import { parseInt64 } from '../protocol/args.js';
import type { CommandSpec, KeySpec, KeySpecFlag } from './spec.js';
import type { Command } from './registry.js';

const isRangeSpec = (k: KeySpec): boolean => 'index' in k.begin && 'range' in k.find;

/**
 * COMMAND's legacy (first, last, step) glued from the plain range specs, and whether the command
 * has movable keys, as redis-server 7.0.15 derives them (populateCommandLegacyRangeSpec): any spec
 * that is not a step-1 consecutive index range, or is INCOMPLETE, makes the keys movable.
 */
export function legacyRange(spec: CommandSpec): { first: number; last: number; step: number; movable: boolean } {
  const specs = spec.keys;
  const pos = (k: KeySpec): number => ('index' in k.begin ? k.begin.index : 0);
  const range = (k: KeySpec) => ('range' in k.find ? k.find.range : { lastKey: 0, keyStep: 0, limit: 0 });
  const out = (first: number, rel: number, step: number, movable: boolean) => ({
    first,
    last: rel >= 0 ? rel + first : rel,
    step,
    movable,
  });
  if (specs.length === 0) return out(0, 0, 0, false);
  const only = specs.length === 1 ? specs[0] : undefined;
  if (only !== undefined && isRangeSpec(only)) {
    const k = only;
    return out(pos(k), range(k).lastKey, range(k).keyStep, k.flags.includes('INCOMPLETE'));
  }
  let movable = false;
  let first = Infinity;
  // Compared as C unsigned ints, so a negative (count-from-the-end) last key wins.
  let lastAbs = 0;
  let prevLast = 0;
  for (const k of specs) {
    if (!isRangeSpec(k)) {
      movable = true;
      continue;
    }
    const r = range(k);
    if (r.keyStep !== 1 || (prevLast !== 0 && prevLast !== pos(k) - 1)) {
      movable = true;
      continue;
    }
    if (k.flags.includes('INCOMPLETE')) movable = true;
    first = Math.min(first, pos(k));
    const abs = r.lastKey >= 0 ? r.lastKey + pos(k) : r.lastKey;
    if (abs >>> 0 > lastAbs >>> 0) lastAbs = abs;
    prevLast = lastAbs;
  }
  if (first === Infinity) return out(0, 0, 0, true);
  return out(first, lastAbs < 0 ? lastAbs : lastAbs - first, 1, movable);
}


export interface KeyRef {
  readonly pos: number;
  readonly flags: readonly KeySpecFlag[];
}

/**
 * Redis's getKeysUsingKeySpecs: key positions in argv (argv[0] is the command name). Returns null
 * when a spec cannot be resolved on these arguments; `partial` skips such specs instead.
 */
function keysFromSpecs(cmd: Command, argv: readonly string[], partial = false): KeyRef[] | null {
  const argc = argv.length;
  const out: KeyRef[] = [];
  for (const spec of cmd.spec.keys) {
    if (spec.flags.includes('NOT_KEY')) continue;
    let first = 0;
    const b = spec.begin;
    let valid = true;
    if ('index' in b) {
      first = b.index;
    } else if ('keyword' in b) {
      const start = b.startFrom > 0 ? b.startFrom : argc + b.startFrom;
      const end = b.startFrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        const word = argv[i];
        if (word === undefined || i < 1) break;
        if (word.toLowerCase() === b.keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      valid = false;
    }
    let last = 0;
    let step = 1;
    const f = spec.find;
    if (valid && 'range' in f) {
      step = f.range.keyStep;
      if (f.range.lastKey >= 0) last = first + f.range.lastKey;
      else if (f.range.limit === 0) last = argc + f.range.lastKey;
      else last = first + (Math.floor((argc - first) / f.range.limit) + f.range.lastKey);
    } else if (valid && 'keynum' in f) {
      const idx = first + f.keynum.keyNumIdx;
      const text = argv[idx];
      const n = text === undefined ? null : parseInt64(text);
      if (f.keynum.keyNumIdx >= argc || n === null || n < 0n) valid = false;
      else {
        first += f.keynum.firstKey;
        last = first + Number(n) - 1;
        step = f.keynum.keyStep;
      }
    } else {
      valid = false;
    }
    if (valid && (last >= argc || last < first || first >= argc)) valid = false;
    if (valid) {
      for (let i = first; i <= last; i += step) {
        if (i >= argc || i < first) continue;
        out.push({ pos: i, flags: spec.flags });
      }
      if (!spec.flags.includes('INCOMPLETE')) continue;
    }
    if (partial) continue;
    return null;
  }
  return out;
}

/** Redis's getKeysFromCommandWithSpecs: the specs when they resolve, else the command's extractor. */
export function commandKeys(cmd: Command, argv: readonly string[]): KeyRef[] {
  const specs = cmd.spec.keys;
  const hasKeySpec = specs.some((k) => !k.flags.includes('NOT_KEY'));
  const varFlags = specs.some((k) => k.flags.includes('VARIABLE_FLAGS'));
  const keyFlags = cmd.spec.keyFlags;
  if (varFlags && keyFlags !== undefined) {
    const flags = keyFlags(argv);
    return (keysFromSpecs(cmd, argv) ?? []).map((k) => ({ pos: k.pos, flags }));
  }
  if (hasKeySpec && !varFlags) {
    const keys = keysFromSpecs(cmd, argv);
    if (keys !== null) return keys;
  }
  const extract = cmd.spec.getKeys;
  if (extract === undefined) return hasKeySpec ? keysFromSpecs(cmd, argv) ?? [] : [];
  // Flags for extracted positions come from the spec that covers them, else the last open-ended spec.
  const covered = keysFromSpecs(cmd, argv, true) ?? [];
  const open = [...specs].reverse().find((k) => !isRangeSpec(k));
  return extract(argv).map((pos) => ({
    pos,
    flags: covered.find((k) => k.pos === pos)?.flags ?? open?.flags ?? specs[0]?.flags ?? [],
  }));
}
