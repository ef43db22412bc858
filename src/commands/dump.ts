// DUMP and RESTORE: a value to and from Redis's serialization (RDB value + version + CRC64), so
// keys move between Redoubt and Redis 7.0 in both directions. The format lives in
// persistence/rdb; this file is the command semantics: options, TTLs, idle time, errors.

import * as E from '../errors.js';
import { arg, parseInt64, is } from '../protocol/args.js';
import { key, withDocs, type CommandSpec } from './spec.js';
import { dumpDocs } from './docs/dump.js';
import type { Client } from '../server/client.js';
import { typeOf } from '../store/types.js';
import { setExpireMs } from '../store/ttl.js';
import { notify, NOTIFY_GENERIC } from '../server/notify.js';
import { createDumpPayload, loadDumpPayload, verifyDumpPayload } from '../persistence/rdb/dump-payload.js';
import { UnsupportedValueError, type RdbWriteOptions } from '../persistence/rdb/value.js';
import { rdbLoadOptions } from '../server/rdb-load.js';
import type { Config } from '../config/config.js';

/** Redis's 24-bit LRU clock, in seconds. */
const LRU_CLOCK_MAX = (1 << 24) - 1;

export function rdbWriteOptions(config: Config): RdbWriteOptions {
  return {
    compress: config.bool('rdbcompression'),
    listMaxListpackSize: config.num('list-max-listpack-size'),
    listCompressDepth: config.num('list-compress-depth'),
  };
}

function dump(c: Client, argv: string[]): void {
  const v = c.db.getRead(arg(argv, 1));
  if (v === undefined) {
    c.reply.nil();
    return;
  }
  let payload: Buffer;
  try {
    payload = createDumpPayload(v, rdbWriteOptions(c.server.config));
  } catch (err) {
    if (!(err instanceof UnsupportedValueError)) throw err;
    c.reply.error(E.dumpUnsupported(typeOf(v)));
    return;
  }
  c.reply.bulk(payload.latin1Slice());
}

/** An int64 argument, or null after replying Redis's not-an-integer error. */
function int64Arg(c: Client, arg: string): bigint | null {
  const v = parseInt64(arg);
  if (v === null) c.reply.error(E.NOT_INTEGER);
  return v;
}

/** Wraps to int64 the way Redis's `ttl += mstime()` overflows. */
function wrapInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function restore(c: Client, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idle: bigint | null = null;
  let freq: bigint | null = null;
  for (let j = 4; j < argv.length; j++) {
    const opt = argv[j];
    if (opt === undefined) break;
    const next = argv[j + 1];
    if (is(opt, 'replace')) {
      replace = true;
    } else if (is(opt, 'absttl')) {
      absttl = true;
    } else if (is(opt, 'idletime') && next !== undefined && freq === null) {
      j++;
      const v = int64Arg(c, next);
      if (v === null) return;
      if (v < 0n) {
        c.reply.error(E.INVALID_IDLETIME_VALUE);
        return;
      }
      idle = v;
    } else if (is(opt, 'freq') && next !== undefined && idle === null) {
      j++;
      const v = int64Arg(c, next);
      if (v === null) return;
      if (v < 0n || v > 255n) {
        c.reply.error(E.INVALID_FREQ_VALUE);
        return;
      }
      freq = v;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const db = c.db;
  const k = arg(argv, 1);
  if (!replace && db.has(k)) {
    c.reply.error(E.BUSYKEY);
    return;
  }
  let ttl = int64Arg(c, arg(argv, 2));
  if (ttl === null) return;
  if (ttl < 0n) {
    c.reply.error(E.INVALID_TTL_VALUE);
    return;
  }
  const payload = Buffer.from(arg(argv, 3), 'latin1');
  if (!verifyDumpPayload(payload)) {
    c.reply.error(E.DUMP_PAYLOAD_INVALID);
    return;
  }
  const value = loadDumpPayload(payload, rdbLoadOptions(c.server.config));
  if (value === null) {
    c.reply.error(E.BAD_DATA_FORMAT);
    return;
  }
  const dirty = db.stats.dirty;
  const deleted = replace && db.delete(k);
  const now = db.clock.now();
  if (ttl !== 0n && !absttl) ttl = wrapInt64(ttl + BigInt(now));
  // A time already past: the key is not created (an old one REPLACE removed stays removed).
  const propagation = c.server.propagation;
  if (ttl !== 0n && ttl <= BigInt(now)) {
    db.stats.dirty = dirty + (deleted ? 1 : 0);
    if (deleted && propagation.active) propagation.rewrite([c.server.store.lazyfree.serverDel ? 'UNLINK' : 'DEL', k]);
    c.reply.ok();
    return;
  }
  db.set(k, value);
  if (ttl !== 0n) setExpireMs(db, k, ttl);
  // A relative TTL propagates as the absolute time it came to.
  if (ttl !== 0n && !absttl && propagation.active) propagation.rewrite([...argv.slice(0, 2), String(ttl), ...argv.slice(3), 'ABSTTL']);
  if (idle !== null) db.setIdleSeconds(k, estimatedIdle(idle, now));
  if (freq !== null) db.setFrequency(k, Number(freq));
  db.stats.dirty = dirty + 1;
  notify(c, NOTIFY_GENERIC, 'restore', k);
  c.reply.ok();
}

/**
 * The idle time OBJECT IDLETIME will report for a RESTORE ... IDLETIME `seconds`: Redis scales
 * it to ms and back in int64 (which can wrap), subtracts it from its 24-bit LRU clock and, when
 * that underflows, parks the key half a clock period away (objectSetLRUOrLFU).
 */
function estimatedIdle(seconds: bigint, now: number): number {
  const clock = Math.floor(now / 1000) & LRU_CLOCK_MAX;
  const scaled = BigInt.asIntN(64, seconds * 1000n) / 1000n;
  let lru = BigInt(clock) - scaled;
  if (lru < 0n) lru = BigInt((clock + Math.floor(LRU_CLOCK_MAX / 2)) % LRU_CLOCK_MAX);
  const at = Number(lru);
  return clock >= at ? clock - at : clock + (LRU_CLOCK_MAX - at);
}

export const dumpCommands: readonly CommandSpec[] = withDocs(dumpDocs, [
  {
    name: 'dump', arity: 2, flags: ['readonly'], acl: ['keyspace', 'read', 'slow'], keys: [key(1, 'RO', 'ACCESS')],
    tips: ['nondeterministic_output'], run: dump,
  },
  { name: 'restore', arity: -4, flags: ['write', 'denyoom'], acl: ['keyspace', 'write', 'slow', 'dangerous'], keys: [key(1, 'OW', 'UPDATE')], run: restore },
  // What MIGRATE sends in cluster mode: RESTORE, also for a slot being imported (ASKING).
  {
    name: 'restore-asking', arity: -4, flags: ['write', 'denyoom', 'asking'], acl: ['keyspace', 'write', 'slow', 'dangerous'],
    keys: [key(1, 'OW', 'UPDATE')], run: restore,
  },
]);
