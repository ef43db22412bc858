// The blocking sorted-set pops: BZPOPMIN, BZPOPMAX, BZMPOP. With entries present they act as
// ZPOPMIN/ZPOPMAX/ZMPOP; otherwise the client waits (src/server/blocking.ts) until a write fills
// one of its keys. Inside EXEC they never block.

import * as E from '../errors.js';
import { arg } from '../protocol/args.js';
import { keyNum, keyRange, withDocs, type CommandSpec } from './spec.js';
import { zsetBlockingDocs } from './docs/zset-blocking.js';
import type { Client } from '../server/client.js';
import { blockOnKeys, blockTimeoutArg } from '../server/blocking.js';
import { parseZMPopArgs, zpopGeneric, type ZPopShape } from './zset.js';

/** The first key holding a non-empty sorted set; null after replying WRONGTYPE; undefined if none. */
function firstNonEmpty(c: Client, keys: readonly string[]): string | null | undefined {
  for (const k of keys) {
    const v = c.db.get(k);
    if (v === undefined) continue;
    if (typeof v === 'string' || v.type !== 'zset') {
      c.reply.error(E.WRONGTYPE);
      return null;
    }
    if (v.size > 0) return k;
  }
  return undefined;
}

/** A waiting client is served only by a sorted set with entries (other types leave it waiting). */
function hasEntries(c: Client, k: string): boolean {
  const v = c.db.get(k);
  return v !== undefined && typeof v !== 'string' && v.type === 'zset' && v.size > 0;
}

function blockingPop(c: Client, timeout: number, keys: string[], max: boolean, count: number, shape: ZPopShape): void {
  const found = firstNonEmpty(c, keys);
  if (found === null) return;
  if (found !== undefined) {
    zpopGeneric(c, [found], max, count, shape);
    return;
  }
  blockOnKeys(c, keys, (k) => hasEntries(c, k) && zpopGeneric(c, [k], max, count, shape), () => c.reply.nilArray(), timeout);
}

const SINGLE: ZPopShape = { emitKey: true, nested: false, nilWhenEmpty: false };

function bzpop(c: Client, argv: string[], max: boolean): void {
  const timeout = blockTimeoutArg(c, arg(argv, argv.length - 1));
  if (timeout === null) return;
  blockingPop(c, timeout, argv.slice(1, -1), max, -1, SINGLE);
}

function bzmpop(c: Client, argv: string[]): void {
  const timeout = blockTimeoutArg(c, arg(argv, 1));
  if (timeout === null) return;
  const args = parseZMPopArgs(c, argv, 2);
  if (args === null) return;
  blockingPop(c, timeout, args.keys, args.max, args.count, { emitKey: true, nested: true, nilWhenEmpty: true });
}

const acl = ['write', 'sortedset', 'fast', 'blocking'] as const;
const popKeys = [keyRange(1, -2, 1, 'RW', 'ACCESS', 'DELETE')];

export const zsetBlockingCommands: readonly CommandSpec[] = withDocs(zsetBlockingDocs, [
  { name: 'bzpopmin', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], acl, keys: popKeys, run: (c, argv) => bzpop(c, argv, false) },
  { name: 'bzpopmax', arity: -3, flags: ['write', 'noscript', 'blocking', 'fast'], acl, keys: popKeys, run: (c, argv) => bzpop(c, argv, true) },
  {
    name: 'bzmpop', arity: -5, flags: ['write', 'blocking'], acl: ['write', 'sortedset', 'slow', 'blocking'],
    keys: [keyNum(2, 0, 1, 1, 'RW', 'ACCESS', 'DELETE')], run: bzmpop,
  },
]);
