// DEBUG: the safe part of Redis's testing toolbox (SLEEP, SET-ACTIVE-EXPIRE, PAUSE-CRON, OBJECT,
// LOG, ERROR, PROTOCOL, RELOAD, LOADAOF, DIGEST, POPULATE within the memory limit). Subcommands
// that crash or restart the server, or that switch off a safety check, are left out on purpose.
// The command is gated by enable-debug-command in the dispatcher (src/security/gates.ts).

import * as E from '../errors.js';
import { arg, is, parseInteger } from '../protocol/args.js';
import { replyHelp } from './server.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { debugDocs } from './docs/debug.js';
import type { Client } from '../server/client.js';
import { reloadRdb } from '../server/rdb-load.js';
import { datasetDigest, valueDigest } from './debug-digest.js';
import { encodingOf, refcountOf, stringEncoding } from '../store/encoding.js';
import { memtoull } from '../config/values.js';
import { MAX_STRING_LENGTH } from '../store/string-ops.js';
import type { Value } from '../store/types.js';

const HELP = [
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Reply with <string> as an error, to test how clients handle errors.',
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'OBJECT <key>',
  '    Show low level information about <key> and its value.',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  '    it is used instead of the \'key\' prefix. These are not propagated to',
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  '    (Redoubt stops, with an error, once used_memory is over the limit.)',
  'PROTOCOL <type>',
  '    Reply with a sample value of <type>: string, integer, double, bignum, null, array, set,',
  '    map, attrib, push, verbatim, true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Options: MERGE (keys already in memory',
  '    are replaced instead of refused), NOFLUSH (keep the current dataset), NOSAVE (load the',
  '    existing file without saving first).',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  '    (Accepted for compatibility: Redoubt stores list elements of every size the same way.)',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    0 stops removing expired keys in the background (they still expire when accessed); 1 resumes.',
  'SLEEP <seconds>',
  '    Block the server for <seconds> (decimals allowed).',
];

/** Blocks the whole process, as Redis's DEBUG SLEEP stops its event loop. */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** C's atoi/strtod: the longest numeric prefix, 0 when there is none. */
function leadingNumber(s: string): number {
  const n = Number.parseFloat(s);
  return Number.isNaN(n) ? 0 : n;
}

/** Bytes of an RDB length prefix. */
const lenBytes = (n: number): number => (n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9);

/** An estimate of the value's RDB size (Redis's rdbSavedObjectLen, without compression). */
function serializedLength(v: Value): number {
  if (typeof v === 'string') {
    // RDB stores any short canonical integer as one, whatever the in-memory encoding.
    if (stringEncoding(v) === 'int') {
      const n = Number(v);
      if (n >= -128 && n <= 127) return 2;
      if (n >= -32768 && n <= 32767) return 3;
      if (n >= -(2 ** 31) && n < 2 ** 31) return 5;
    }
    return lenBytes(v.length) + v.length;
  }
  // Composite values: each element with its length prefix, after a count.
  let total = 1;
  const add = (s: string): void => {
    total += lenBytes(s.length) + s.length;
  };
  const walk = (x: unknown): void => {
    if (typeof x === 'string') add(x);
    else if (typeof x === 'number') add(String(x));
    else if (x instanceof Map) {
      for (const [k, val] of x) {
        walk(k);
        walk(val);
      }
    } else if (x !== null && typeof x === 'object' && Symbol.iterator in x) for (const e of x as Iterable<unknown>) walk(e);
  };
  walk(v);
  return total;
}

/** A stable pseudo address per key, so repeated DEBUG OBJECT calls agree. */
function fakeAddress(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return `0x7f${(h >>> 0).toString(16).padStart(8, '0')}${(key.length & 0xff).toString(16).padStart(2, '0')}`;
}

function object(c: Client, key: string): void {
  const db = c.db;
  const v = db.get(key, false);
  if (v === undefined) {
    c.reply.error(E.NO_SUCH_KEY);
    return;
  }
  let encoding: string;
  try {
    encoding = encodingOf(db, key, v);
  } catch {
    encoding = 'unknown';
  }
  const idle = db.idleSeconds(key);
  const lru = db.data.field(key) ?? 0;
  c.reply.status(
    `Value at:${fakeAddress(key)} refcount:${refcountOf(db, key, v)} encoding:${encoding} ` +
      `serializedlength:${serializedLength(v)} lru:${lru} lru_seconds_idle:${idle}`,
  );
}

const PROTOCOL_TYPES = 'string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false';
const ATTRIBUTE = Buffer.from('|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n');

function protocol(c: Client, type: string): void {
  const r = c.reply;
  switch (type.toLowerCase()) {
    case 'string':
      r.bulk('Hello World');
      return;
    case 'integer':
      r.integer(12345);
      return;
    case 'double':
      r.double(3.141);
      return;
    case 'bignum':
      r.bigNumber('1234567999999999999999999999999999999');
      return;
    case 'null':
      r.nil();
      return;
    case 'array':
    case 'set':
      if (is(type, 'set')) r.set(3);
      else r.array(3);
      for (let j = 0; j < 3; j++) r.integer(j);
      return;
    case 'map':
      r.map(3);
      for (let j = 0; j < 3; j++) {
        r.integer(j);
        r.bool(j === 1);
      }
      return;
    case 'attrib':
      if (c.resp === 3) r.raw(ATTRIBUTE);
      r.bulk('Some real reply following the attribute');
      return;
    case 'push':
      if (c.resp === 2) {
        r.error(E.DEBUG_PROTOCOL_RESP2);
        return;
      }
      r.push(2);
      r.bulk('server-cpu-usage');
      r.integer(42);
      r.bulk('Some real reply following the push reply');
      return;
    case 'verbatim':
      r.verbatim('This is a verbatim\nstring');
      return;
    case 'true':
      r.bool(true);
      return;
    case 'false':
      r.bool(false);
      return;
    default:
      r.error(E.debugProtocolType(PROTOCOL_TYPES));
      return;
  }
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty, load back. The caller waits for the load
 * (other clients get -LOADING meanwhile) and then gets OK or the error.
 */
function reload(c: Client, argv: string[]): void {
  let save = true;
  let flush = true;
  let merge = false;
  for (const opt of argv.slice(2)) {
    if (is(opt, 'merge')) merge = true;
    else if (is(opt, 'noflush')) flush = false;
    else if (is(opt, 'nosave')) save = false;
    else {
      c.reply.error(E.RELOAD_OPTION);
      return;
    }
  }
  replyWhenDone(c, reloadRdb(c.server, { save, flush, merge }));
}

/** DEBUG LOADAOF: empty the dataset and load the AOF back; the caller waits, others get -LOADING. */
function loadAof(c: Client): void {
  const server = c.server;
  const loaded = server.aof.reloadFromDisk().then(
    () => null,
    (err: unknown) => {
      server.log.warning(`DEBUG LOADAOF failed: ${err instanceof Error ? err.message : String(err)}`);
      return E.LOADAOF_FAILED;
    },
  );
  replyWhenDone(c, loaded);
}

/** getPositiveLongFromObjectOrReply: a whole number >= 0, else null after replying Redis's one error. */
function nonNegative(c: Client, s: string): number | null {
  const n = parseInteger(s);
  if (n !== null && n >= 0) return n;
  c.reply.error(E.COUNT_POSITIVE);
  return null;
}

/**
 * DEBUG POPULATE count [prefix] [size]: string keys `prefix:N` holding `value:N` (cut or padded
 * with zero bytes to `size`), skipping names that exist; no dirty count, no notification, as
 * Redis's. Unlike Redis it stops once used_memory is over the limit, so it cannot take the
 * process down.
 */
function populate(c: Client, argv: string[]): void {
  const keys = nonNegative(c, arg(argv, 2));
  if (keys === null) return;
  let size = 0;
  if (argv.length === 5) {
    const n = nonNegative(c, arg(argv, 4));
    if (n === null) return;
    size = n;
  }
  if (size > c.server.config.num('proto-max-bulk-len') || size > MAX_STRING_LENGTH) {
    c.reply.error(E.POPULATE_VALUE_SIZE);
    return;
  }
  const server = c.server;
  const db = c.db;
  // Redis formats the name into a 128-byte buffer.
  const prefix = argv.length >= 4 ? arg(argv, 3) : 'key';
  const padding = size > 0 ? '\0'.repeat(size) : '';
  let added = 0;
  for (let j = 0; j < keys; j++) {
    if ((size > 65536 || (j & 1023) === 0) && server.usedMemory() > server.maxmemoryLimit()) {
      c.reply.error(E.populateOverMemory(added));
      return;
    }
    const key = `${prefix}:${j}`.slice(0, 127);
    if (db.get(key) !== undefined) continue;
    const text = `value:${j}`;
    const value = size === 0 ? text : size <= text.length ? text.slice(0, size) : text + padding.slice(text.length);
    db.set(key, value, false, 0);
    added++;
  }
  c.reply.ok();
}

/** Holds `c` until `work` settles, then replies OK or the error it resolved to. */
function replyWhenDone(c: Client, work: Promise<string | null>): void {
  let outcome: string | null = null;
  const release = c.server.holdClient(c, 2 ** 31 - 1, () => {
    if (outcome === null) c.reply.ok();
    else c.reply.error(outcome);
  });
  void work.then((error) => {
    outcome = error;
    release();
  });
}

function debug(c: Client, argv: string[]): void {
  const sub = arg(argv, 1);
  const n = argv.length;
  // The one argument of the subcommands below; undefined unless it is exactly one.
  const value = n === 3 ? argv[2] : undefined;
  if (n === 2 && is(sub, 'help')) {
    replyHelp(c, 'DEBUG', HELP);
  } else if (value !== undefined && is(sub, 'sleep')) {
    const ms = leadingNumber(value) * 1000;
    if (ms > 0) sleepMs(ms);
    c.reply.ok();
  } else if (value !== undefined && is(sub, 'set-active-expire')) {
    c.server.expiry.enabled = Math.trunc(leadingNumber(value)) !== 0;
    c.reply.ok();
  } else if (value !== undefined && is(sub, 'pause-cron')) {
    c.server.cronPaused = Math.trunc(leadingNumber(value)) !== 0;
    c.reply.ok();
  } else if (value !== undefined && is(sub, 'quicklist-packed-threshold')) {
    // Redis's quicklistisSetPackedThreshold: up to 4 GB less 1 MB; 0 restores the default.
    const size = memtoull(value);
    if (size === null || size > 2n ** 32n - 2n ** 20n) c.reply.error(E.QUICKLIST_PACKED_THRESHOLD);
    else c.reply.ok();
  } else if (n >= 3 && n <= 5 && is(sub, 'populate')) {
    populate(c, argv);
  } else if (value !== undefined && is(sub, 'object')) {
    object(c, value);
  } else if (value !== undefined && is(sub, 'log')) {
    c.server.log.warning(`DEBUG LOG: ${value}`);
    c.reply.ok();
  } else if (value !== undefined && is(sub, 'error')) {
    c.reply.error(E.sanitize(value));
  } else if (value !== undefined && is(sub, 'protocol')) {
    protocol(c, value);
  } else if (is(sub, 'reload')) {
    reload(c, argv);
  } else if (n === 2 && is(sub, 'loadaof')) {
    loadAof(c);
  } else if (n === 2 && is(sub, 'digest')) {
    c.reply.status(datasetDigest(c.server.dbs));
  } else if (is(sub, 'digest-value')) {
    c.reply.array(n - 2);
    for (const key of argv.slice(2)) c.reply.status(valueDigest(c.db, key));
  } else {
    c.reply.error(E.sanitize(E.debugUnknownSubcommand(sub)));
  }
}

export const debugCommands: readonly CommandSpec[] = withDocs(debugDocs, [
  { name: 'debug', arity: -2, flags: ['admin', 'noscript', 'loading', 'stale', 'protected'], acl: ['admin', 'slow', 'dangerous'], keys: NO_KEYS, run: debug },
]);
