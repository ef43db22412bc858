// Keyspace notifications compared with redis-server: a pattern subscriber hears every event while
// a second client runs a family's write commands (and a third blocks, for the served pops); the
// transcripts of replies and received messages must be byte-identical. Then class filtering,
// expiry (lazy and active), MULTI/EXEC, EVAL, a RESP3 subscriber, and ioredis hearing expiries.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedoubt, useServerPair, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { sameOnBoth, send, sleep, type Log } from './helpers/scenario.js';
import { splitArgs } from '../src/protocol/resp-parser.js';

/** A pushed message, as opposed to the reply of the PING that marks the end of a command's events. */
const isMessage = (r: string): boolean => r.startsWith('>') || r.startsWith('*4\r\n$8\r\npmessage') || r.startsWith('*3\r\n$7\r\nmessage');

/** Logs every message the subscriber got so far: its PING reply comes after them all. */
async function drain(sub: RawClient, log: Log): Promise<void> {
  send(sub, 'PING', 'sync');
  for (;;) {
    const r = (await sub.read())!.toString('latin1');
    if (!isMessage(r)) return;
    log(0, r);
  }
}

interface Options {
  /** notify-keyspace-events for the run. */
  readonly flags?: string;
  readonly pattern?: string;
  readonly resp3?: boolean;
}

/**
 * A transcript script, one command a line in redis-cli quoting; `@sleep N` waits; `@2 CMD` sends
 * CMD on a third connection without waiting (a blocking command); `@read2` logs its reply.
 */
function script(text: string, opts: Options = {}) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return async ([sub, cli, blocker]: RawClient[], log: Log): Promise<void> => {
    await cli!.call('CONFIG', 'SET', 'notify-keyspace-events', opts.flags ?? 'KEA');
    try {
      if (opts.resp3) await sub!.call('HELLO', '3');
      log(0, await sub!.call('PSUBSCRIBE', opts.pattern ?? '__key*__:*'));
      for (const line of lines) {
        if (line.startsWith('@sleep ')) {
          await sleep(Number(line.slice(7)));
        } else if (line.startsWith('@2 ')) {
          send(blocker!, ...splitArgs(line.slice(3))!);
          await sleep(50);
        } else if (line === '@read2') {
          log(2, await blocker!.read());
        } else {
          log(1, await cli!.call(...splitArgs(line)!));
        }
        await drain(sub!, log);
      }
    } finally {
      await cli!.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  };
}

/** DEBUG SET-ACTIVE-EXPIRE, to watch lazy expiry alone. */
const DEBUG = ['--enable-debug-command', 'local'];

describe('keyspace notifications against redis-server, byte for byte', { timeout: 120000 }, () => {
  const { redis, redoubt } = useServerPair({ args: DEBUG });
  const same = (text: string, opts?: Options) => sameOnBoth(redis, redoubt, 3, script(text, opts));

  test('strings: set, expire, del, persist, append, setrange, incrby, incrbyfloat', () =>
    same(`
      SET k v
      SET k v EX 100
      SET k v PX 100000 KEEPTTL
      SET k v KEEPTTL
      SET k v XX
      SET k2 v NX
      SET k2 v NX
      SET k w GET
      SET k v NX GET
      SET k v EX 0
      SETNX k v
      SETNX k3 v
      SETEX k 100 v
      PSETEX k 100000 v
      SETEX k 0 v
      GETSET k v2
      GETSET k9 v2
      GETDEL k9
      GETDEL k9
      GETEX k EX 100
      GETEX k PERSIST
      GETEX k PERSIST
      GETEX k
      GETEX k PXAT 1
      MSET a 1 b 2 a 3
      MSETNX a 1 c 2
      MSETNX c 1 d 2
      APPEND a x
      APPEND e x
      SETRANGE e 0 ""
      SETRANGE f 0 ""
      SETRANGE e 1 yy
      SETRANGE g 3 yy
      INCR n
      INCRBY n 5
      DECR n
      DECRBY n 3
      INCRBYFLOAT n 1.5
      INCR a
      INCRBY n notanumber
      SET p v PXAT 1
      EXISTS p
    `));

  test('generic: del, unlink, rename, move, copy, expire, persist, restore, swapdb, flush', () =>
    same(`
      MSET a 1 b 2 c 3
      DEL a b x
      UNLINK c x
      SET a 1
      RENAME a b
      RENAME b b
      RENAMENX b c
      SET d 1
      RENAMENX c d
      RENAME c d
      RENAME nothing x
      MOVE d 1
      SET d 1
      MOVE d 1
      COPY d e
      COPY d e DB 2
      COPY d e
      COPY d e REPLACE
      COPY nothing e
      EXPIRE e 100
      PEXPIRE e 100000 NX
      EXPIREAT e 1
      EXPIRE nothing 10
      SET f 1
      PEXPIREAT f 99999999999999
      PERSIST f
      PERSIST f
      EXPIRE f -1
      SET g 1
      SWAPDB 0 1
      SWAPDB 0 1
      FLUSHDB
      SET h 1
      FLUSHALL
    `));

  test('RESTORE announces restore (and new), REPLACE included', async () => {
    const c = await RawClient.connect(redis.port);
    await c.call('SET', 'src', 'value');
    const dump = await c.call('DUMP', 'src');
    c.close();
    const bytes = dump.slice(dump.indexOf('\r\n') + 2, -2);
    const payload = '"' + Array.from(Buffer.from(bytes, 'latin1'), (b) => '\\x' + b.toString(16).padStart(2, '0')).join('') + '"';
    await same(
      `
      RESTORE k 0 ${payload}
      RESTORE k 0 ${payload}
      RESTORE k 0 ${payload} REPLACE
      RESTORE k2 100000 ${payload}
      RESTORE k3 1 ${payload} ABSTTL
      RESTORE k4 0 "not a payload"
    `,
      { flags: 'KEAn' },
    );
  });

  test('lists: pushes, pops, insert, set, rem, trim, moves, mpop, and emptied keys', () =>
    same(`
      LPUSH l a b c
      RPUSH l d
      LPUSHX nol a
      RPUSHX l e
      LINSERT l BEFORE a x
      LINSERT l BEFORE zz x
      LSET l 0 y
      LPOP l
      RPOP l 2
      LPOP l 0
      LREM l 0 nothing
      LREM l 1 b
      LTRIM l 0 100
      LMOVE l l2 LEFT RIGHT
      RPOPLPUSH l l2
      LMOVE l2 l2 LEFT LEFT
      LMPOP 2 nol l2 RIGHT COUNT 1
      LMPOP 1 l2 LEFT COUNT 10
      RPUSH l a b c
      LTRIM l 5 10
      RPUSH l a b c
      BLPOP l 0
      BRPOP l 0
      BLMOVE l l3 LEFT LEFT 0
      BLMPOP 0 1 l3 LEFT
      RPUSH single a
      LMOVE single single LEFT RIGHT
      LPOP nol
    `));

  test('blocked clients served later emit their pops after the push', () =>
    same(`
      @2 BLPOP l 0
      LPUSH l a
      @read2
      @2 BRPOP l x 0
      RPUSH x a b
      @read2
      @2 BLMOVE q d LEFT RIGHT 0
      RPUSH q a
      @read2
      @2 BLMPOP 0 1 q2 LEFT COUNT 5
      RPUSH q2 a b
      @read2
      @2 BZPOPMIN z 0
      ZADD z 1 a
      @read2
      @2 BZMPOP 0 1 z MAX COUNT 3
      ZADD z 1 a 2 b
      @read2
      XGROUP CREATE st g $ MKSTREAM
      @2 XREADGROUP GROUP g newc BLOCK 0 STREAMS st >
      XADD st 1-1 a 1
      @read2
    `));

  test('hashes and sets', () =>
    same(`
      HSET h a 1 b 2
      HSET h a 1
      HMSET h c 3
      HSETNX h a 1
      HSETNX h z 1
      HSETNX h2 z 1
      HINCRBY h n 5
      HINCRBYFLOAT h f 1.5
      HDEL h nothing
      HDEL h a b
      HDEL h2 z
      HGET nh a
      SADD s a b c
      SADD s a
      SREM s x
      SREM s a
      SMOVE s s2 b
      SMOVE s s2 b
      SMOVE s s2 c
      SADD s a
      SADD s2 a
      SMOVE s s2 a
      SADD s 1 2 3
      SPOP s 0
      SPOP s 10
      SADD s a
      SPOP s
      SADD s a b
      SADD t b c
      SINTERSTORE i s t
      SINTERSTORE i s nothing
      SINTERSTORE i s nothing
      SUNIONSTORE u s t
      SDIFFSTORE d s t
      SDIFFSTORE d s s
      SDIFFSTORE d s s
      SUNIONSTORE u s nothing
      SINTERCARD 2 s nothing
    `, { flags: 'KEAm' }));

  test('sorted sets', () =>
    same(`
      ZADD z 1 a 2 b 3 c
      ZADD z NX 1 a
      ZADD z XX 5 a
      ZADD z XX 5 a
      ZADD nz XX 1 a
      ZADD z INCR 1 a
      ZINCRBY z 1 b
      ZADD z GT 1 b
      ZREM z nothing
      ZREM z a
      ZADD z 1 a 2 d 3 e 4 f
      ZREMRANGEBYRANK z 0 0
      ZREMRANGEBYRANK z 10 20
      ZREMRANGEBYSCORE z 4 4
      ZREMRANGEBYLEX z [a [b
      ZPOPMIN z
      ZPOPMAX z 2
      ZPOPMIN z 0
      ZADD z 1 a
      ZPOPMAX z 5
      ZADD z 1 a 2 b 3 c
      ZADD y 1 a 5 x
      ZUNIONSTORE u 2 z y
      ZINTERSTORE i 2 z y
      ZDIFFSTORE d 2 z y
      ZINTERSTORE i 2 z nz
      ZINTERSTORE i 2 z nz
      ZRANGESTORE r z 0 1
      ZRANGESTORE r z 5 10
      ZRANGESTORE r z 5 10
      ZMPOP 2 nz z MIN COUNT 2
      ZMPOP 1 z MAX COUNT 2
    `, { flags: 'KEAmn' }));

  test('streams', () =>
    same(`
      XADD s 1-1 a 1
      XADD s MAXLEN 1 3-1 a 1
      XADD s MAXLEN 5 4-1 a 1
      XADD nos NOMKSTREAM * a 1
      XTRIM s MAXLEN 10
      XTRIM s MAXLEN 1
      XDEL s 1-1
      XDEL s 4-1
      XADD s 5-1 a 1
      XGROUP CREATE s g 0
      XGROUP CREATE s g 0
      XGROUP CREATE s2 g $ MKSTREAM
      XGROUP CREATECONSUMER s g c1
      XGROUP CREATECONSUMER s g c1
      XREADGROUP GROUP g c2 COUNT 1 STREAMS s >
      XREADGROUP GROUP g c3 COUNT 1 STREAMS s >
      XREADGROUP GROUP g c4 COUNT 1 STREAMS s 0
      XCLAIM s g c5 0 4-1
      XAUTOCLAIM s g c6 0 0 JUSTID
      XGROUP SETID s g 0
      XSETID s 10-1
      XGROUP DELCONSUMER s g c1
      XGROUP DELCONSUMER s g nobody
      XGROUP DESTROY s g
      XGROUP DESTROY s g
      XDEL s 5-1
    `, { flags: 'KEAn' }));

  test('bitmaps, HyperLogLog, geo, SORT STORE', () =>
    same(`
      SETBIT b 3 1
      SETBIT b 3 1
      SETBIT b 3 0
      SETBIT b 100 0
      SET s1 abc
      BITOP AND d s1 b
      BITOP AND d nothing nothing2
      BITOP AND d nothing nothing2
      BITFIELD bf SET u8 0 200
      BITFIELD bf GET u8 0
      BITFIELD bf INCRBY u8 0 100 OVERFLOW FAIL INCRBY u8 0 200
      BITFIELD bf OVERFLOW FAIL INCRBY u8 0 250
      BITFIELD nob OVERFLOW FAIL INCRBY u2 0 300
      PFADD p a b
      PFADD p a
      PFADD p2
      PFCOUNT p
      PFMERGE m p p2
      GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
      GEOADD g 13.361389 38.115556 Palermo
      GEORADIUS g 15 37 200 km STORE gs
      GEORADIUSBYMEMBER g Palermo 300 km STOREDIST gd
      GEOSEARCHSTORE gs2 g FROMLONLAT 15 37 BYRADIUS 200 km
      GEOSEARCHSTORE gs2 g FROMLONLAT 15 37 BYRADIUS 1 km
      GEOSEARCHSTORE gs2 g FROMLONLAT 15 37 BYRADIUS 1 km
      GEORADIUS nothing 15 37 200 km STORE gs
      RPUSH l 3 1 2
      SORT l STORE sl
      SORT l LIMIT 5 5 STORE sl
      SORT l LIMIT 5 5 STORE sl
    `, { flags: 'KEAmn' }));

  test('key misses (m) on read lookups, new keys (n) on creation only', () =>
    same(`
      GET nokey
      EXISTS a nokey
      TYPE nokey
      TTL nokey
      LRANGE nokey 0 -1
      HGETALL nokey
      SMEMBERS nokey
      ZRANGE nokey 0 -1
      XRANGE nokey - +
      PFCOUNT nokey
      GETBIT nokey 0
      SET a 1
      SET a 2
      RPUSH l a
      RPUSH l b
    `, { flags: 'Emn' }));

  test('class filtering: K or E alone, one class, A versus the explicit letters, none', async () => {
    const text = `
      SET k v
      EXPIRE k 100
      LPUSH l a
      HSET h f v
      SADD s a
      ZADD z 1 a
      XADD x 1-1 f v
      DEL k l
      GET nokey
    `;
    for (const flags of ['Kl', 'Eg', 'K$', 'Eh', 'Ks', 'Ez', 'Kt', 'KA', 'Eg$lshzxetd', 'A', 'g$lshzxe', 'KEAm', 'Km', 'KEn', '']) {
      await same(text, { flags });
    }
  });

  test('channel patterns: one database, one event, one key', async () => {
    const text = `
      SET k v
      DEL k
      SELECT 2
      SET k v
      DEL k
    `;
    await same(text, { pattern: '__keyevent@0__:del' });
    await same(text, { pattern: '__keyspace@2__:k' });
    await same(text, { pattern: '__keyspace@*__:k' });
  });

  // One key per wait: Redis's cycle samples its expires table in no fixed order.
  test('active expiry announces expired without any access', () =>
    same(`
      SET a 1 PX 30
      @sleep 400
      HSET h f v
      PEXPIRE h 40
      @sleep 400
    `));

  test('lazy expiry announces expired, then the lookup misses', async () => {
    await same(`
      DEBUG SET-ACTIVE-EXPIRE 0
      SET a 1 PX 20
      RPUSH l x
      PEXPIRE l 20
      @sleep 100
      GET a
      LPUSH l y
      SET b 1 PX 20
      @sleep 100
      SET b 2 KEEPTTL
      TTL b
      DEBUG SET-ACTIVE-EXPIRE 1
    `, { flags: 'KEAmn' });
  });

  test('MULTI/EXEC and EVAL deliver the events of the commands they run, in order', () =>
    same(`
      MULTI
      SET a 1
      INCR a
      RPUSH l x
      DEL a
      EXEC
      EVAL "redis.call('set', KEYS[1], 'x'); redis.call('expire', KEYS[1], 100); redis.call('del', KEYS[1]); return redis.call('get', KEYS[1])" 1 e
      EVAL "redis.call('lpush', KEYS[1], 'a', 'b'); return redis.call('rpop', KEYS[1], 2)" 1 l
      @2 BLPOP bl 0
      MULTI
      LPUSH bl a
      LPUSH bl b
      EXEC
      @read2
    `, { flags: 'KEAmn' }));

  test('a RESP3 subscriber gets the events as push messages', () =>
    same(`
      SET k v
      LPUSH l a
      LPOP l
      GET nokey
    `, { resp3: true, flags: 'KEAm' }));

  test('CONFIG GET shows the canonical form; bad letters are refused', () =>
    sameOnBoth(redis, redoubt, 1, async ([c], log) => {
      for (const v of ['KEAn', 'n', 'Kn', 'KEAm', '', 'A', 'g$lshzxetdn', 'g$lshzxetd', 'g$lshzxe', 'Kx', 'xE', 'mmm', 'AAA', 'q', 'KEA_', 'kea']) {
        log(0, await c!.call('CONFIG', 'SET', 'notify-keyspace-events', v));
        log(0, await c!.call('CONFIG', 'GET', 'notify-keyspace-events'));
      }
      log(0, await c!.call('CONFIG', 'SET', 'notify-keyspace-events', ''));
    }));
});

describe('a real client hears keys expire', { timeout: 30000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startRedoubt(['--notify-keyspace-events', 'Ex']);
  });
  after(async () => {
    await server.stop();
  });

  test('ioredis subscribed to __keyevent@0__:expired receives each expired key once', async () => {
    const sub = new Redis({ port: server.port, host: server.host, lazyConnect: true });
    const cmd = new Redis({ port: server.port, host: server.host, lazyConnect: true });
    await Promise.all([sub.connect(), cmd.connect()]);
    try {
      assert.equal(await cmd.config('GET', 'notify-keyspace-events').then((r) => r[1]), 'xE');
      const heard: string[] = [];
      const done = new Promise<void>((resolve) => {
        sub.on('message', (channel: string, key: string) => {
          assert.equal(channel, '__keyevent@0__:expired');
          heard.push(key);
          if (heard.length === 2) resolve();
        });
      });
      await sub.subscribe('__keyevent@0__:expired');
      await cmd.set('session:1', 'x', 'PX', 50);
      await cmd.set('session:2', 'y', 'PX', 80);
      await cmd.set('kept', 'z');
      await done;
      await sleep(200);
      assert.deepEqual(heard.sort(), ['session:1', 'session:2']);
      assert.equal(await cmd.exists('session:1', 'session:2', 'kept'), 1);
    } finally {
      sub.disconnect();
      cmd.disconnect();
    }
  });
});
