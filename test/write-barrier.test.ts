// The write barrier (store/database.ts): every change to a key is announced before it is made, so
// a forkless snapshot, client-side caching and propagation can still see the old value. These
// tests install the barrier's own listener on a real server built in this process and use it as
// a snapshot would: the first time a key is announced, its value (DUMP payload and expiry) is
// copied. After a command, the keyspace as it is now, with the copies put back, must equal the
// keyspace before the command. A key changed without being announced first, or announced only
// after it changed, breaks that equality.
//
// Every command the table flags `write` or `may_replicate` must have a case below (the first test
// fails otherwise), and the whole differential corpus replays through the same check, reads
// included.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Server } from '../src/server/server.js';
import { createCommandTable } from '../src/commands/registry.js';
import { createDumpPayload } from '../src/persistence/rdb/dump-payload.js';
import type { RdbWriteOptions } from '../src/persistence/rdb/value.js';
import type { Database, WriteBarrier } from '../src/store/database.js';
import { loadCorpus } from './helpers/corpus.js';
import { InProcessServer } from './helpers/in-process.js';
import { Snapshot } from '../src/persistence/snapshot.js';
import { readRdbFile } from './helpers/rdb-file.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- the snapshot probe ---

/** Fixed, so that a CONFIG SET of rdbcompression or list sizes does not look like a changed value. */
const RDB_OPTIONS: RdbWriteOptions = { compress: false, listMaxListpackSize: -2, listCompressDepth: 0 };

/** A key's whole state as a snapshot stores it: DUMP payload and absolute expiry. */
function entryOf(db: Database, key: string): string | null {
  const v = db.data.get(key);
  if (v === undefined) return null;
  const payload = createDumpPayload(v, RDB_OPTIONS).toString('hex');
  return `${payload} ttl=${db.expires.get(key) ?? '-'}`;
}

/** Every key of a database with its entry. */
function entriesOf(db: Database): [string, string][] {
  const out: [string, string][] = [];
  for (const key of db.data.keys()) {
    const e = entryOf(db, key);
    if (e !== null) out.push([key, e]);
  }
  return out;
}

/** Every key of every database: "db:key" → entry. */
type Image = Map<string, string>;

function imageOf(server: Server): Image {
  const out: Image = new Map();
  for (const db of server.dbs) for (const [key, e] of entriesOf(db)) out.set(`${db.id}:${key}`, e);
  return out;
}

/** Copies what the barrier announces, as a snapshot taken when `start` was called would. */
class SnapshotProbe implements WriteBarrier {
  private active = false;
  private readonly saved = new Map<Database, Map<string, string | null>>();
  /** Databases copied whole (flushed or swapped): their image is what was saved, nothing else. */
  private readonly whole = new Set<Database>();
  /** Every announcement, in order, for messages and the "no key" cases. */
  readonly seen: string[] = [];

  constructor(private readonly server: Server) {
    server.writeBarriers.push(this);
  }

  start(): void {
    this.active = true;
    this.saved.clear();
    this.whole.clear();
    this.seen.length = 0;
  }

  stop(): void {
    this.active = false;
  }

  beforeWrite(db: Database, key: string): void {
    if (!this.active) return;
    this.seen.push(`${db.id}:${key}`);
    if (this.whole.has(db)) return;
    let m = this.saved.get(db);
    if (m === undefined) {
      m = new Map();
      this.saved.set(db, m);
    }
    if (!m.has(key)) m.set(key, entryOf(db, key));
  }

  beforeFlush(db: Database): void {
    if (!this.active) return;
    this.seen.push(`flush ${db.id}`);
    this.copyWhole(db);
  }

  beforeSwap(a: Database, b: Database): void {
    if (!this.active) return;
    this.seen.push(`swap ${a.id} ${b.id}`);
    this.copyWhole(a);
    this.copyWhole(b);
  }

  private copyWhole(db: Database): void {
    if (this.whole.has(db)) return;
    for (const key of db.data.keys()) this.beforeWrite(db, key);
    this.whole.add(db);
  }

  /** The keyspace as of start(): what is there now, with every announced key's copy put back. */
  reconstruct(): Image {
    const out: Image = new Map();
    for (const db of this.server.dbs) {
      const saved = this.saved.get(db);
      if (!this.whole.has(db)) {
        for (const [key, e] of entriesOf(db)) if (saved?.has(key) !== true) out.set(`${db.id}:${key}`, e);
      }
      if (saved !== undefined) for (const [key, e] of saved) if (e !== null) out.set(`${db.id}:${key}`, e);
    }
    return out;
  }
}

/** The keys whose entries differ between two images, for failure messages. */
function differences(a: Image, b: Image): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

// --- a server in this process, with the probe ---

class Harness extends InProcessServer {
  readonly probe = new SnapshotProbe(this.server);

  /**
   * Runs `fn` with the probe recording, then checks that every change it made was announced
   * while the old value was intact. Returns the images before and after.
   */
  checked(what: string, fn: () => void): { before: Image; after: Image } {
    const before = imageOf(this.server);
    this.probe.start();
    const snapshot = this.startSnapshot(what);
    try {
      fn();
    } finally {
      this.probe.stop();
    }
    this.verify(what, before);
    this.verifySnapshot(what, before, snapshot);
    return { before, after: imageOf(this.server) };
  }

  /** checked() for something that ends later: `fn` resolves once it has. */
  async checkedAsync(what: string, fn: () => Promise<void>): Promise<void> {
    const before = imageOf(this.server);
    this.probe.start();
    const snapshot = this.startSnapshot(what);
    try {
      await fn();
    } finally {
      this.probe.stop();
    }
    this.verify(what, before);
    this.verifySnapshot(what, before, snapshot);
  }

  /**
   * The real snapshot (persistence/snapshot.ts) taken at the same moment as the probe's, with
   * part of the keyspace already walked (none, some or most of it, varying by case) before the
   * command runs, so both the barrier's copies and the walk's own reads are exercised.
   */
  private startSnapshot(what: string): { snapshot: Snapshot; chunks: Buffer[] } {
    const snapshot = new Snapshot({ dbs: this.server.dbs, libraries: [], aux: [] }, { ...RDB_OPTIONS, checksum: true });
    this.server.writeBarriers.push(snapshot);
    const chunks: Buffer[] = [];
    // About one key per step with a one-byte chunk limit.
    const walkFirst = (what.length % 4) * 8;
    for (let i = 0; i < walkFirst; i++) {
      const chunk = snapshot.step(Infinity, 1);
      if (chunk !== null) chunks.push(chunk);
    }
    return { snapshot, chunks };
  }

  /** Finishes the walk: the file must hold exactly the keyspace of the start, each key once. */
  private verifySnapshot(what: string, before: Image, s: { snapshot: Snapshot; chunks: Buffer[] }): void {
    for (let chunk = s.snapshot.step(Infinity); chunk !== null; chunk = s.snapshot.step(Infinity)) s.chunks.push(chunk);
    const barriers = this.server.writeBarriers;
    barriers.splice(barriers.indexOf(s.snapshot), 1);
    assert.equal(s.snapshot.retainedBytes, 0, `${what}: the snapshot still holds old values after its walk`);
    const file = readRdbFile(Buffer.concat(s.chunks)).entries;
    const wrong = differences(before, file);
    assert.deepEqual(wrong, [], `${what}: the snapshot's file differs from the keyspace at its start: ${wrong.join(', ')}`);
  }

  private verify(what: string, before: Image): void {
    const wrong = differences(before, this.probe.reconstruct());
    const seen = this.probe.seen.join(', ') || 'nothing';
    assert.deepEqual(wrong, [], `${what}: keys changed before the barrier saw them: ${wrong.join(', ')} (announced: ${seen})`);
  }
}

/** What every case starts from: one key of each type, a consumer group with a pending entry, a volatile key, a key in db 1. */
const POPULATION: readonly (readonly string[])[] = [
  ['SET', 'str', 'hello'],
  ['SET', 'num', '10'],
  ['SET', 'flt', '1.5'],
  ['SET', 'bits', '\xff\x00'],
  ['SET', 'ttlkey', 'v', 'PX', '100000'],
  ['SET', 'dest', 'old'],
  ['PFADD', 'hll', 'a', 'b', 'c'],
  ['PFADD', 'hll2', 'c', 'd', 'e'],
  ['RPUSH', 'list', 'a', 'b', 'c', 'd'],
  ['RPUSH', 'list2', 'x', 'y'],
  ['HSET', 'hash', 'f1', '1', 'f2', 'v2'],
  ['SADD', 'set', 'a', 'b', 'c'],
  ['SADD', 'set2', 'b', 'c', 'd'],
  ['ZADD', 'zset', '1', 'a', '2', 'b', '3', 'c'],
  ['ZADD', 'zset2', '2', 'b', '3', 'c', '4', 'd'],
  ['ZADD', 'lex', '0', 'a', '0', 'b', '0', 'c'],
  ['GEOADD', 'geo', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
  ['XADD', 'stream', '1-1', 'f', 'v'],
  ['XADD', 'stream', '2-1', 'f', 'v'],
  ['XGROUP', 'CREATE', 'stream', 'g', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 'stream', '>'],
  ['SELECT', '1'],
  ['SET', 'other', 'x'],
  ['SELECT', '0'],
];

const LIB = "#!lua name=lib\nredis.register_function('incrkey', function(keys, args) return redis.call('incr', keys[1]) end)";
const INCR_SCRIPT = "return redis.call('incr', KEYS[1])";

interface Case {
  /** The command; a function when it needs something the preparation made (a payload, a SHA). */
  readonly argv: readonly string[] | ((h: Harness) => readonly string[]);
  /** Commands run after the population, outside the check. */
  readonly prepare?: (h: Harness) => void;
  /**
   * Why the command changes no key, for the few write commands that change something else
   * (function libraries, which a snapshot copies whole at its start) or nothing stored.
   */
  readonly noKeys?: string;
}

const inFuture = (ms: number): string => String(Date.now() + ms);
const loadLib = (h: Harness): void => void h.ok(['FUNCTION', 'LOAD', LIB]);

/** Cases by command name (subcommands as "xgroup|create"); each must change the keyspace. */
const CASES: Readonly<Record<string, readonly Case[]>> = {
  // strings
  set: [
    { argv: ['SET', 'str', 'world'] },
    { argv: ['SET', 'str', 'x', 'GET'] },
    { argv: ['SET', 'ttlkey', 'y', 'KEEPTTL'] },
    { argv: ['SET', 'newkey', 'v', 'NX', 'PX', '5000'] },
    { argv: ['SET', 'list', 'now a string'] },
    { argv: ['SET', 'str', 'v', 'PXAT', '1'] },
  ],
  setnx: [{ argv: ['SETNX', 'newkey', 'v'] }],
  setex: [{ argv: ['SETEX', 'str', '100', 'v'] }],
  psetex: [{ argv: ['PSETEX', 'str', '100000', 'v'] }],
  getset: [{ argv: ['GETSET', 'str', 'v'] }],
  getdel: [{ argv: ['GETDEL', 'str'] }],
  getex: [{ argv: ['GETEX', 'str', 'EX', '100'] }, { argv: ['GETEX', 'ttlkey', 'PERSIST'] }],
  mset: [{ argv: ['MSET', 'str', 'a', 'num', '5', 'newkey', 'b'] }],
  msetnx: [{ argv: ['MSETNX', 'newa', '1', 'newb', '2'] }],
  append: [{ argv: ['APPEND', 'str', 'xyz'] }, { argv: ['APPEND', 'newkey', 'xyz'] }],
  setrange: [{ argv: ['SETRANGE', 'str', '1', 'ab'] }],
  incr: [{ argv: ['INCR', 'num'] }],
  decr: [{ argv: ['DECR', 'num'] }],
  incrby: [{ argv: ['INCRBY', 'num', '5'] }],
  decrby: [{ argv: ['DECRBY', 'num', '5'] }],
  incrbyfloat: [{ argv: ['INCRBYFLOAT', 'flt', '0.25'] }],
  setbit: [{ argv: ['SETBIT', 'bits', '3', '0'] }, { argv: ['SETBIT', 'newbits', '100', '1'] }],
  bitop: [{ argv: ['BITOP', 'AND', 'dest', 'bits', 'str'] }, { argv: ['BITOP', 'NOT', 'bits', 'bits'] }],
  bitfield: [{ argv: ['BITFIELD', 'bits', 'SET', 'u8', '8', '7', 'INCRBY', 'u8', '0', '1'] }],
  // keyspace
  del: [{ argv: ['DEL', 'str', 'list', 'nokey'] }],
  unlink: [{ argv: ['UNLINK', 'set', 'zset'] }],
  rename: [{ argv: ['RENAME', 'str', 'dest'] }, { argv: ['RENAME', 'ttlkey', 'newname'] }],
  renamenx: [{ argv: ['RENAMENX', 'list', 'newname'] }],
  expire: [{ argv: ['EXPIRE', 'str', '100'] }, { argv: ['EXPIRE', 'list', '-1'] }],
  pexpire: [{ argv: ['PEXPIRE', 'ttlkey', '5000', 'LT'] }],
  expireat: [{ argv: () => ['EXPIREAT', 'hash', String(Math.floor(Date.now() / 1000) + 1000)] }],
  pexpireat: [{ argv: () => ['PEXPIREAT', 'set', inFuture(100000)] }, { argv: ['PEXPIREAT', 'set', '1'] }],
  persist: [{ argv: ['PERSIST', 'ttlkey'] }],
  flushdb: [{ argv: ['FLUSHDB'] }],
  flushall: [{ argv: ['FLUSHALL'] }, { argv: ['FLUSHALL', 'ASYNC'] }],
  swapdb: [{ argv: ['SWAPDB', '0', '1'] }],
  move: [{ argv: ['MOVE', 'str', '1'] }, { argv: ['MOVE', 'ttlkey', '1'] }],
  copy: [{ argv: ['COPY', 'list', 'dest', 'REPLACE'] }, { argv: ['COPY', 'hash', 'other', 'DB', '1', 'REPLACE'] }],
  'restore-asking': [{ argv: (h) => ['RESTORE-ASKING', 'str', '0', h.bulk(['DUMP', 'list']), 'REPLACE'] }],
  // The keys MIGRATE sends away go once the target has answered: the async test below.
  migrate: [
    {
      prepare: (h) => void h.server.config.store(h.server.config.lookup('enable-migrate-command') ?? assert.fail(), 'yes'),
      argv: ['MIGRATE', '127.0.0.1', '1', 'nokey', '0', '10'],
      noKeys: 'none of its keys exists (NOKEY); keys that do are deleted after the target answers',
    },
  ],
  restore: [
    { prepare: (h) => void h.ok(['DEL', 'newkey']), argv: (h) => ['RESTORE', 'str', '0', h.bulk(['DUMP', 'list']), 'REPLACE'] },
    { argv: (h) => ['RESTORE', 'newkey', '5000', h.bulk(['DUMP', 'zset'])] },
  ],
  sort: [{ argv: ['SORT', 'list', 'ALPHA', 'DESC', 'STORE', 'dest'] }, { argv: ['SORT', 'zset', 'ALPHA', 'STORE', 'list'] }],
  // hashes
  hset: [{ argv: ['HSET', 'hash', 'f1', '9', 'f3', 'x'] }, { argv: ['HSET', 'newhash', 'f', 'v'] }],
  hsetnx: [{ argv: ['HSETNX', 'hash', 'f9', 'v'] }],
  hmset: [{ argv: ['HMSET', 'hash', 'f2', 'q', 'f3', 'r'] }],
  hdel: [{ argv: ['HDEL', 'hash', 'f1'] }, { argv: ['HDEL', 'hash', 'f1', 'f2'] }],
  hincrby: [{ argv: ['HINCRBY', 'hash', 'f1', '5'] }],
  hincrbyfloat: [{ argv: ['HINCRBYFLOAT', 'hash', 'f1', '1.5'] }],
  hexpire: [{ argv: ['HEXPIRE', 'hash', '100', 'FIELDS', '1', 'f1'] }, { argv: ['HEXPIRE', 'hash', '0', 'FIELDS', '2', 'f1', 'f2'] }],
  hpexpire: [{ argv: ['HPEXPIRE', 'hash', '100000', 'FIELDS', '2', 'f1', 'nosuch'] }],
  hexpireat: [{ argv: () => ['HEXPIREAT', 'hash', String(Math.floor(Date.now() / 1000) + 1000), 'FIELDS', '1', 'f2'] }],
  hpexpireat: [{ argv: ['HPEXPIREAT', 'hash', '1', 'FIELDS', '1', 'f1'] }],
  hpersist: [{ prepare: (h) => void h.ok(['HPEXPIRE', 'hash', '100000', 'FIELDS', '1', 'f1']), argv: ['HPERSIST', 'hash', 'FIELDS', '1', 'f1'] }],
  hgetex: [{ argv: ['HGETEX', 'hash', 'EX', '100', 'FIELDS', '1', 'f1'] }, { argv: ['HGETEX', 'hash', 'PXAT', '1', 'FIELDS', '2', 'f1', 'f2'] }],
  hsetex: [{ argv: ['HSETEX', 'hash', 'PX', '100000', 'FIELDS', '1', 'f1', 'x'] }, { argv: ['HSETEX', 'newhash', 'FIELDS', '1', 'f', 'v'] }],
  hgetdel: [{ argv: ['HGETDEL', 'hash', 'FIELDS', '1', 'f1'] }, { argv: ['HGETDEL', 'hash', 'FIELDS', '2', 'f1', 'f2'] }],
  // sets
  sadd: [{ argv: ['SADD', 'set', 'z'] }, { argv: ['SADD', 'newset', 'a'] }],
  srem: [{ argv: ['SREM', 'set', 'a'] }, { argv: ['SREM', 'set', 'a', 'b', 'c'] }],
  spop: [{ argv: ['SPOP', 'set'] }, { argv: ['SPOP', 'set', '2'] }, { argv: ['SPOP', 'set', '10'] }],
  smove: [{ argv: ['SMOVE', 'set', 'set2', 'a'] }, { argv: ['SMOVE', 'set', 'newset', 'b'] }],
  sinterstore: [{ argv: ['SINTERSTORE', 'dest', 'set', 'set2'] }],
  sunionstore: [{ argv: ['SUNIONSTORE', 'set', 'set', 'set2'] }],
  sdiffstore: [{ argv: ['SDIFFSTORE', 'dest', 'set', 'set2'] }],
  // sorted sets
  zadd: [{ argv: ['ZADD', 'zset', '5', 'a', '9', 'z'] }, { argv: ['ZADD', 'zset', 'XX', 'CH', '7', 'b'] }, { argv: ['ZADD', 'newz', '1', 'm'] }],
  zincrby: [{ argv: ['ZINCRBY', 'zset', '2', 'a'] }],
  zrem: [{ argv: ['ZREM', 'zset', 'a'] }, { argv: ['ZREM', 'zset', 'a', 'b', 'c'] }],
  zrangestore: [{ argv: ['ZRANGESTORE', 'dest', 'zset', '0', '-1'] }],
  zremrangebyrank: [{ argv: ['ZREMRANGEBYRANK', 'zset', '0', '0'] }],
  zremrangebyscore: [{ argv: ['ZREMRANGEBYSCORE', 'zset', '1', '2'] }],
  zremrangebylex: [{ argv: ['ZREMRANGEBYLEX', 'lex', '[a', '[b'] }],
  zpopmin: [{ argv: ['ZPOPMIN', 'zset'] }],
  zpopmax: [{ argv: ['ZPOPMAX', 'zset', '5'] }],
  zmpop: [{ argv: ['ZMPOP', '2', 'nozset', 'zset', 'MIN', 'COUNT', '2'] }],
  zunionstore: [{ argv: ['ZUNIONSTORE', 'dest', '2', 'zset', 'zset2', 'WEIGHTS', '1', '2'] }],
  zinterstore: [{ argv: ['ZINTERSTORE', 'zset', '2', 'zset', 'zset2'] }],
  zdiffstore: [{ argv: ['ZDIFFSTORE', 'dest', '2', 'zset', 'zset2'] }],
  bzpopmin: [{ argv: ['BZPOPMIN', 'nozset', 'zset', '0'] }],
  bzpopmax: [{ argv: ['BZPOPMAX', 'zset', '0'] }],
  bzmpop: [{ argv: ['BZMPOP', '0', '1', 'zset', 'MAX', 'COUNT', '2'] }],
  // lists
  lpush: [{ argv: ['LPUSH', 'list', 'z'] }, { argv: ['LPUSH', 'newlist', 'a', 'b'] }],
  rpush: [{ argv: ['RPUSH', 'list', 'z'] }],
  lpushx: [{ argv: ['LPUSHX', 'list', 'z'] }],
  rpushx: [{ argv: ['RPUSHX', 'list', 'z'] }],
  lpop: [{ argv: ['LPOP', 'list'] }, { argv: ['LPOP', 'list', '10'] }],
  rpop: [{ argv: ['RPOP', 'list', '2'] }],
  lset: [{ argv: ['LSET', 'list', '0', 'q'] }],
  linsert: [{ argv: ['LINSERT', 'list', 'BEFORE', 'b', 'q'] }],
  lrem: [{ argv: ['LREM', 'list', '0', 'a'] }],
  ltrim: [{ argv: ['LTRIM', 'list', '1', '2'] }, { argv: ['LTRIM', 'list', '5', '9'] }],
  lmove: [
    { argv: ['LMOVE', 'list', 'list2', 'LEFT', 'RIGHT'] },
    { argv: ['LMOVE', 'list', 'list', 'RIGHT', 'LEFT'] },
    { argv: ['LMOVE', 'list', 'newlist', 'LEFT', 'LEFT'] },
  ],
  rpoplpush: [{ argv: ['RPOPLPUSH', 'list', 'list2'] }],
  lmpop: [{ argv: ['LMPOP', '2', 'nolist', 'list', 'RIGHT', 'COUNT', '2'] }],
  blpop: [{ argv: ['BLPOP', 'nolist', 'list', '0'] }],
  brpop: [{ argv: ['BRPOP', 'list', '0'] }],
  blmove: [{ argv: ['BLMOVE', 'list', 'list2', 'RIGHT', 'LEFT', '0'] }],
  brpoplpush: [{ argv: ['BRPOPLPUSH', 'list', 'list2', '0'] }],
  blmpop: [{ argv: ['BLMPOP', '0', '1', 'list', 'LEFT', 'COUNT', '10'] }],
  // streams and consumer groups
  xadd: [{ argv: ['XADD', 'stream', '*', 'f', 'v'] }, { argv: ['XADD', 'newstream', '1-1', 'a', 'b'] }, { argv: ['XADD', 'stream', 'MAXLEN', '1', '*', 'f', 'v'] }],
  xdel: [{ argv: ['XDEL', 'stream', '1-1'] }],
  xtrim: [{ argv: ['XTRIM', 'stream', 'MAXLEN', '1'] }],
  xreadgroup: [
    { argv: ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 'stream', '>'] },
    { argv: ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'stream', '0'] },
  ],
  xack: [{ argv: ['XACK', 'stream', 'g', '1-1'] }],
  xclaim: [{ argv: ['XCLAIM', 'stream', 'g', 'bob', '0', '1-1'] }],
  xautoclaim: [{ argv: ['XAUTOCLAIM', 'stream', 'g', 'bob', '0', '0-0'] }],
  xsetid: [{ argv: ['XSETID', 'stream', '5-0'] }],
  'xgroup|create': [{ argv: ['XGROUP', 'CREATE', 'stream', 'g2', '$'] }, { argv: ['XGROUP', 'CREATE', 'nostream', 'g', '$', 'MKSTREAM'] }],
  'xgroup|setid': [{ argv: ['XGROUP', 'SETID', 'stream', 'g', '0'] }],
  'xgroup|destroy': [{ argv: ['XGROUP', 'DESTROY', 'stream', 'g'] }],
  'xgroup|createconsumer': [{ argv: ['XGROUP', 'CREATECONSUMER', 'stream', 'g', 'carol'] }],
  'xgroup|delconsumer': [{ argv: ['XGROUP', 'DELCONSUMER', 'stream', 'g', 'alice'] }],
  // HyperLogLog
  pfadd: [{ argv: ['PFADD', 'hll', 'x', 'y', 'z'] }, { argv: ['PFADD', 'newhll', 'a'] }],
  pfmerge: [{ argv: ['PFMERGE', 'hll', 'hll2'] }, { argv: ['PFMERGE', 'newhll', 'hll', 'hll2'] }],
  pfdebug: [{ argv: ['PFDEBUG', 'GETREG', 'hll'] }, { argv: ['PFDEBUG', 'TODENSE', 'hll2'] }],
  // PFCOUNT writes the cardinality it computed back into the value's header.
  pfcount: [{ argv: ['PFCOUNT', 'hll'] }],
  // geo
  geoadd: [{ argv: ['GEOADD', 'geo', '2.35', '48.85', 'Paris'] }, { argv: ['GEOADD', 'newgeo', '2.35', '48.85', 'Paris'] }],
  geosearchstore: [{ argv: ['GEOSEARCHSTORE', 'dest', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '300', 'km', 'ASC'] }],
  georadius: [{ argv: ['GEORADIUS', 'geo', '15', '37', '300', 'km', 'STORE', 'dest'] }],
  georadiusbymember: [{ argv: ['GEORADIUSBYMEMBER', 'geo', 'Palermo', '300', 'km', 'STOREDIST', 'dest'] }],
  // scripts and functions write through the same handlers
  eval: [{ argv: ['EVAL', "redis.call('lpush', KEYS[1], 'z'); redis.call('del', KEYS[3]); return redis.call('hset', KEYS[2], 'f1', 'x')", '3', 'list', 'hash', 'str'] }],
  evalsha: [{ argv: (h) => ['EVALSHA', h.bulk(['SCRIPT', 'LOAD', INCR_SCRIPT]), '1', 'num'] }],
  fcall: [{ prepare: loadLib, argv: ['FCALL', 'incrkey', '1', 'num'] }],
  'function|load': [{ argv: ['FUNCTION', 'LOAD', LIB], noKeys: 'changes the function libraries, which a snapshot copies whole' }],
  'function|delete': [{ prepare: loadLib, argv: ['FUNCTION', 'DELETE', 'lib'], noKeys: 'changes the function libraries' }],
  'function|flush': [{ prepare: loadLib, argv: ['FUNCTION', 'FLUSH'], noKeys: 'changes the function libraries' }],
  'function|restore': [
    {
      prepare: loadLib,
      argv: (h) => {
        const payload = h.bulk(['FUNCTION', 'DUMP']);
        h.ok(['FUNCTION', 'FLUSH']);
        return ['FUNCTION', 'RESTORE', payload];
      },
      noKeys: 'changes the function libraries',
    },
  ],
  publish: [{ argv: ['PUBLISH', 'ch', 'm'], noKeys: 'stores nothing (may_replicate for the message only)' }],
  spublish: [{ argv: ['SPUBLISH', 'ch', 'm'], noKeys: 'stores nothing (may_replicate for the message only)' }],
};

/** Every command that may change the keyspace or be propagated: the table's own flags decide. */
function writeCommands(): string[] {
  const out: string[] = [];
  for (const cmd of createCommandTable().walk()) {
    if (cmd.isWrite || cmd.spec.flags.includes('may_replicate')) out.push(cmd.fullName);
  }
  return out;
}

function runCase(name: string, c: Case): void {
  const h = new Harness();
  try {
    for (const argv of POPULATION) h.ok(argv);
    c.prepare?.(h);
    const argv = typeof c.argv === 'function' ? c.argv(h) : c.argv;
    const what = argv.join(' ').slice(0, 80);
    let reply = '';
    const { before, after } = h.checked(what, () => {
      reply = h.send(argv);
    });
    assert.notEqual(reply[0], '-', `${what} -> ${reply.trim()}`);
    const changed = differences(before, after);
    if (c.noKeys !== undefined) {
      assert.deepEqual(changed, [], `${name} was expected to change no key (${c.noKeys})`);
      assert.deepEqual(h.probe.seen, [], `${name} announced keys it does not change`);
    } else {
      assert.ok(changed.length > 0, `${what} changed nothing: the case does not exercise a write`);
    }
  } finally {
    h.close();
  }
}

describe('the write barrier', () => {
  test('every write or may_replicate command of the table has a case, and every case a command', () => {
    const commands = writeCommands();
    assert.ok(commands.length > 100, `only ${commands.length} write commands found`);
    const missing = commands.filter((n) => CASES[n] === undefined || CASES[n].length === 0);
    assert.deepEqual(missing, [], 'write commands without a barrier case: add one to CASES');
    const known = new Set(commands);
    assert.deepEqual(Object.keys(CASES).filter((n) => !known.has(n)), [], 'cases for commands that are not write commands');
  });

  for (const name of writeCommands()) {
    const cases = CASES[name] ?? [];
    test(`${name} announces every key before it changes it`, () => {
      assert.ok(cases.length > 0, `no case for ${name}`);
      for (const c of cases) runCase(name, c);
    });
  }

  test('a probe that is not told sees the change: the check can fail', () => {
    const h = new Harness();
    try {
      h.ok(['RPUSH', 'list', 'a', 'b']);
      const db = h.server.dbs[0];
      assert.ok(db !== undefined);
      const list = db.data.get('list');
      assert.ok(list !== undefined && typeof list !== 'string' && list.type === 'list');
      assert.throws(
        () => h.checked('silent in-place pop', () => void list.pop('left')),
        /keys changed before the barrier saw them: 0:list/,
      );
      // Announced after the change is as bad as not announced.
      assert.throws(
        () =>
          h.checked('late announcement', () => {
            list.pop('left');
            db.willWrite('list');
          }),
        /0:list/,
      );
    } finally {
      h.close();
    }
  });

  test('blocked clients served by a later write pass the barrier for the keys they pop from', () => {
    const blockers: { block: string[]; write: string[] }[] = [
      { block: ['BLPOP', 'q', '0'], write: ['RPUSH', 'q', 'a', 'b'] },
      { block: ['BRPOP', 'q', '0'], write: ['LPUSH', 'q', 'a'] },
      { block: ['BLMOVE', 'q', 'list2', 'LEFT', 'RIGHT', '0'], write: ['RPUSH', 'q', 'a'] },
      { block: ['BRPOPLPUSH', 'q', 'list2', '0'], write: ['RPUSH', 'q', 'a'] },
      { block: ['BLMPOP', '0', '1', 'q', 'LEFT', 'COUNT', '2'], write: ['RPUSH', 'q', 'a', 'b', 'c'] },
      { block: ['BZPOPMIN', 'zq', '0'], write: ['ZADD', 'zq', '1', 'a', '2', 'b'] },
      { block: ['BZPOPMAX', 'zq', '0'], write: ['ZADD', 'zq', '1', 'a'] },
      { block: ['BZMPOP', '0', '1', 'zq', 'MIN', 'COUNT', '5'], write: ['ZADD', 'zq', '1', 'a', '2', 'b'] },
      { block: ['XREADGROUP', 'GROUP', 'g', 'bob', 'BLOCK', '0', 'STREAMS', 'stream', '>'], write: ['XADD', 'stream', '3-1', 'f', 'v'] },
      { block: ['XREAD', 'BLOCK', '0', 'STREAMS', 'stream', '$'], write: ['XADD', 'stream', '3-1', 'f', 'v'] },
    ];
    for (const { block, write } of blockers) {
      const h = new Harness();
      try {
        for (const argv of POPULATION) h.ok(argv);
        if (block[0] === 'XREADGROUP') h.ok(['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 'stream', '>']);
        const waiter = h.newClient();
        assert.equal(h.send(block, waiter), '', `${block[0]} should block`);
        assert.equal(waiter.blocked, true);
        h.checked(`${write.join(' ')} serving ${block[0]}`, () => void h.ok(write));
        assert.equal(waiter.blocked, false, `${block[0]} was not served`);
        const served = Buffer.concat(waiter.reply.take()).latin1Slice();
        assert.match(served, /^[*%$]/, `${block[0]} got ${served}`);
      } finally {
        h.close();
      }
    }
  });

  test('blocked clients served once a long script has ended pass the barrier on their own', async () => {
    // The script fills the keys, then runs past busy-reply-threshold and is suspended; the
    // waiters are served when it ends, in a later turn of the event loop. Only the pops and
    // moves of serving happen inside the checked span, so each must announce its key itself.
    const h = new Harness();
    try {
      for (const argv of POPULATION) h.ok(argv);
      h.ok(['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 'stream', '>']);
      h.ok(['CONFIG', 'SET', 'busy-reply-threshold', '20']);
      const waits = [
        ['BLPOP', 'q1', '0'],
        ['BLMOVE', 'q2', 'list2', 'LEFT', 'RIGHT', '0'],
        ['BLMPOP', '0', '1', 'q3', 'LEFT', 'COUNT', '2'],
        ['BZPOPMIN', 'zq', '0'],
        ['BZMPOP', '0', '1', 'zq2', 'MAX', 'COUNT', '2'],
        ['XREADGROUP', 'GROUP', 'g', 'bob', 'BLOCK', '0', 'STREAMS', 'stream', '>'],
      ];
      const waiters = waits.map((argv) => {
        const w = h.newClient();
        assert.equal(h.send(argv, w), '', `${argv[0]} should block`);
        return w;
      });
      const script =
        "redis.call('rpush', 'q1', 'a') redis.call('rpush', 'q2', 'a') redis.call('rpush', 'q3', 'a', 'b') " +
        "redis.call('zadd', 'zq', 1, 'a') redis.call('zadd', 'zq2', 1, 'a', 2, 'b') redis.call('xadd', 'stream', '3-1', 'f', 'v') " +
        "local t0 = redis.call('TIME') local s = t0[1] * 1000000 + t0[2] " +
        "repeat for j = 1, 2000 do end local now = redis.call('TIME') until (now[1] * 1000000 + now[2]) - s > 80000";
      assert.equal(h.send(['EVAL', script, '0']), '', 'the script should be suspended');
      assert.ok(h.server.script !== null);
      await h.checkedAsync('serving after the script', async () => {
        for (let i = 0; i < 500 && h.server.script !== null; i++) await sleep(5);
      });
      assert.equal(h.server.script, null, 'the script never ended');
      for (const [i, w] of waiters.entries()) assert.equal(w.blocked, false, `${waits[i]?.[0]} was not served`);
    } finally {
      h.close();
    }
  });

  test('MIGRATE announces the keys it deletes once the target has taken them', async () => {
    // A target that answers +OK to each command it is sent (AUTH, SELECT, RESTORE).
    const target = net.createServer((s) => {
      s.on('error', () => {});
      s.on('data', (d) => s.write('+OK\r\n'.repeat((d.toString('latin1').match(/\*\d+\r\n\$/g) ?? []).length)));
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    const port = String((target.address() as net.AddressInfo).port);
    const h = new Harness();
    try {
      for (const argv of POPULATION) h.ok(argv);
      h.server.config.store(h.server.config.lookup('enable-migrate-command') ?? assert.fail(), 'yes');
      let reply = '';
      await h.checkedAsync('MIGRATE of three keys', async () => {
        assert.equal(h.send(['MIGRATE', '127.0.0.1', port, '', '0', '2000', 'KEYS', 'str', 'list', 'ttlkey']), '');
        for (let i = 0; i < 400 && reply === ''; i++) {
          await sleep(5);
          reply = Buffer.concat(h.client.reply.take()).latin1Slice();
        }
      });
      assert.equal(reply, '+OK\r\n');
      assert.equal(h.send(['EXISTS', 'str', 'list', 'ttlkey']), ':0\r\n');
    } finally {
      h.close();
      target.close();
    }
  });

  test('lazy and active expiry pass the barrier before a key goes', async () => {
    const h = new Harness();
    try {
      h.ok(['SET', 'a', '1', 'PX', '1']);
      h.ok(['RPUSH', 'b', 'x', 'y']);
      h.ok(['PEXPIRE', 'b', '1']);
      h.ok(['SET', 'c', '1', 'PX', '1']);
      h.server.expiry.enabled = false;
      await sleep(10);
      // A read finds the key expired and deletes it.
      let r = h.checked('GET on an expired key', () => void h.ok(['GET', 'a']));
      assert.deepEqual(differences(r.before, r.after), ['0:a']);
      // A write over an expired key removes it first, then stores the new value.
      r = h.checked('LPUSH on an expired key', () => void h.ok(['LPUSH', 'b', 'new']));
      assert.deepEqual(differences(r.before, r.after), ['0:b']);
      h.server.expiry.enabled = true;
      r = h.checked('the active expiry cycle', () => void h.server.expiry.run(h.server.dbs, 100));
      assert.deepEqual(differences(r.before, r.after), ['0:c']);
    } finally {
      h.close();
    }
  });

  test('MULTI/EXEC and functions write through the barrier too', () => {
    const h = new Harness();
    try {
      for (const argv of POPULATION) h.ok(argv);
      loadLib(h);
      h.ok(['MULTI']);
      for (const argv of [['LPUSH', 'list', 'q'], ['SADD', 'set', 'q'], ['DEL', 'hash'], ['FCALL', 'incrkey', '1', 'num'], ['SWAPDB', '0', '1'], ['SET', 'str', 'moved']]) {
        assert.equal(h.send(argv), '+QUEUED\r\n');
      }
      const r = h.checked('EXEC', () => void h.ok(['EXEC']));
      assert.ok(differences(r.before, r.after).length > 10);
    } finally {
      h.close();
    }
  });

  test('the differential corpus, reads included, changes no key behind the barrier', async () => {
    // SHUTDOWN would stop this in-process server rather than answer.
    const skip = new Set(['shutdown']);
    let commands = 0;
    for (const kase of loadCorpus()) {
      const h = new Harness();
      try {
        for (const step of kase.steps) {
          if (step.kind === 'sleep') {
            await sleep(step.ms);
            continue;
          }
          if (skip.has((step.argv[0] ?? '').toLowerCase())) continue;
          h.checked(`${kase.file}:${step.line} ${step.text.slice(0, 60)}`, () => void h.send(step.argv));
          commands++;
          // A suspended script holds the server: the rest of the case would only read BUSY.
          if (h.server.script !== null) break;
          // A client left waiting would hold its later lines; Redis runs them after the wait
          // ends, which here means on a fresh client.
          if (h.client.blocked || h.client.closed) {
            h.server.closeClient(h.client);
            h.client = h.newClient();
          }
        }
      } finally {
        h.close();
      }
    }
    assert.ok(commands > 5000, `only ${commands} corpus commands ran`);
  });
});
