// The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP. With data present they
// act as their non-blocking twins; otherwise the client waits in src/server/blocking.ts and is
// served, in arrival order, from the key a later write filled. Inside EXEC they never block.

import { arg } from '../protocol/args.js';
import { key, keyNum, keyRange, withDocs, type CommandSpec } from './spec.js';
import { listBlockingDocs } from './docs/list-blocking.js';
import type { Client } from '../server/client.js';
import { propagateEffect } from '../server/propagation.js';
import { blockOnKeys, blockTimeoutArg } from '../server/blocking.js';
import { ListValue, type End } from '../store/list.js';
import { moveGeneric, mpopFirst, parseEnd, parseMpop, popEvent, popOne, removedFrom, writeList } from './list.js';

/**
 * The list under `k` if it holds one with elements (a blocked client ignores other types), about
 * to be popped: a write lookup.
 */
function readyList(c: Client, k: string): ListValue | null {
  const v = c.db.getWrite(k);
  return v !== undefined && typeof v !== 'string' && v.type === 'list' && v.length > 0 ? v : null;
}

/** Timeout replies of blocked list commands are null arrays, as Redis 7.0. */
function nullArray(c: Client): () => void {
  return () => c.reply.nilArray();
}

function bpop(c: Client, argv: string[], end: End): void {
  const timeout = blockTimeoutArg(c, arg(argv, argv.length - 1));
  if (timeout === null) return;
  const keys = argv.slice(1, -1);
  for (const k of keys) {
    const list = writeList(c, k);
    if (list === null) return;
    if (list === undefined) continue;
    const element = popOne(list, end);
    c.reply.array(2);
    c.reply.bulk(k);
    c.reply.bulk(element);
    removedFrom(c, k, list, 1, popEvent(end));
    propagateEffect(c, [end === 'left' ? 'LPOP' : 'RPOP', k]);
    return;
  }
  blockOnKeys(
    c,
    keys,
    (k) => {
      const list = readyList(c, k);
      if (list === null) return false;
      const element = popOne(list, end);
      c.reply.array(2);
      c.reply.bulk(k);
      c.reply.bulk(element);
      removedFrom(c, k, list, 1, popEvent(end));
      propagateEffect(c, [end === 'left' ? 'LPOP' : 'RPOP', k]);
      return true;
    },
    nullArray(c),
    timeout,
  );
}

const blpop = (c: Client, argv: string[]): void => bpop(c, argv, 'left');
const brpop = (c: Client, argv: string[]): void => bpop(c, argv, 'right');

/**
 * BLMOVE and BRPOPLPUSH. What replays them, as Redis 7.0: served at once, the command rewritten
 * with the client's own words (`LMOVE src dst <from> <to>`, `RPOPLPUSH src dst`); served later,
 * `LMOVE src dst left right` in lower case (Redis's shared.left/right) or `RPOPLPUSH src dst`.
 */
function bmove(c: Client, src: string, dst: string, from: End, to: End, timeoutArgText: string, words: readonly [string, string] | null): void {
  const timeout = blockTimeoutArg(c, timeoutArgText);
  if (timeout === null) return;
  const source = writeList(c, src);
  if (source === null) return;
  const replay = (served: boolean): string[] =>
    words === null ? ['RPOPLPUSH', src, dst] : ['LMOVE', src, dst, ...(served ? [from, to] : words)];
  if (source !== undefined) {
    moveEffect(c, src, dst, from, to, replay(false));
    return;
  }
  blockOnKeys(
    c,
    [src],
    (k) => {
      if (readyList(c, k) === null) return false;
      // A destination of the wrong type ends the wait with WRONGTYPE, the element untouched.
      moveEffect(c, src, dst, from, to, replay(true));
      return true;
    },
    nullArray(c),
    timeout,
    // Inside EXEC Redis answers BLMOVE with a null bulk, though its timeout reply is a null array.
    () => c.reply.nil(),
  );
}

/** LMOVE's work for BLMOVE and BRPOPLPUSH, which replay as `replay` when something moved. */
function moveEffect(c: Client, src: string, dst: string, from: End, to: End, replay: string[]): void {
  const dirty = c.db.stats.dirty;
  moveGeneric(c, src, dst, from, to);
  if (c.db.stats.dirty !== dirty) propagateEffect(c, replay);
}

function blmove(c: Client, argv: string[]): void {
  const from = parseEnd(c, arg(argv, 3));
  if (from === null) return;
  const to = parseEnd(c, arg(argv, 4));
  if (to === null) return;
  bmove(c, arg(argv, 1), arg(argv, 2), from, to, arg(argv, 5), [arg(argv, 3), arg(argv, 4)]);
}

function brpoplpush(c: Client, argv: string[]): void {
  bmove(c, arg(argv, 1), arg(argv, 2), 'right', 'left', arg(argv, 3), null);
}

function blmpop(c: Client, argv: string[]): void {
  const timeout = blockTimeoutArg(c, arg(argv, 1));
  if (timeout === null) return;
  const args = parseMpop(c, argv, 2);
  if (args === null) return;
  const served = mpopFirst(c, args.keys, args.end, args.count);
  if (served !== false) return;
  blockOnKeys(c, args.keys, (k) => readyList(c, k) !== null && mpopFirst(c, [k], args.end, args.count) === true, nullArray(c), timeout);
}

// --- the table ---

const flags = ['write', 'noscript', 'blocking'] as const;
const moveFlags = ['write', 'denyoom', 'noscript', 'blocking'] as const;
const acl = ['write', 'list', 'slow', 'blocking'] as const;
const popKeys = [keyRange(1, -2, 1, 'RW', 'ACCESS', 'DELETE')];
const moveKeys = [key(1, 'RW', 'ACCESS', 'DELETE'), key(2, 'RW', 'INSERT')];

export const listBlockingCommands: readonly CommandSpec[] = withDocs(listBlockingDocs, [
  { name: 'blpop', arity: -3, flags, acl, keys: popKeys, run: blpop },
  { name: 'brpop', arity: -3, flags, acl, keys: popKeys, run: brpop },
  { name: 'blmove', arity: 6, flags: moveFlags, acl, keys: moveKeys, run: blmove },
  { name: 'brpoplpush', arity: 4, flags: moveFlags, acl, keys: moveKeys, run: brpoplpush },
  { name: 'blmpop', arity: -5, flags: ['write', 'blocking'], acl, keys: [keyNum(2, 0, 1, 1, 'RW', 'ACCESS', 'DELETE')], run: blmpop },
]);
