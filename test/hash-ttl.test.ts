// Hash-field expiration against the real Redis 8.0.2 (REDIS8_SERVER): what the differential corpus
// (test/corpus/hash-ttl.redis) cannot hold. Lazy expiry with the active cycle held off (DEBUG),
// the keyspace events of every path, what the AOF receives, RDB files both ways, COMMAND INFO,
// expiry on a real clock (active cycle, INFO expired_subkeys, client-side caching), and hostile
// payloads and arguments that must leave the server up and answering.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { redis8Missing, startRedis8, startRedoubt, useServerPair, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { parseCorpus } from './helpers/corpus.js';
import { sameOnBoth, send, sleep, type Log } from './helpers/scenario.js';
import { incrCommands, scratchDir } from './helpers/aof.js';
import { splitArgs } from '../src/protocol/resp-parser.js';
import { crc64, crc64Bytes } from '../src/persistence/rdb/crc64.js';
import { loadDumpPayload } from '../src/persistence/rdb/dump-payload.js';
import { DEFAULT_LOAD_OPTIONS } from '../src/persistence/rdb/value.js';
import { HashValue } from '../src/store/hash.js';

const missing = redis8Missing();

/** A command line in redis-cli quoting, as argv. */
function words(line: string): string[] {
  const argv = splitArgs(line);
  if (argv === null) throw new Error(`cannot split ${line}`);
  return argv;
}
const debug = ['--enable-debug-command', 'yes'];

/** A payload from a type byte and body, with an RDB version and the CRC64 (as DUMP makes them). */
function payload(body: Buffer, version = 12): Buffer {
  const v = Buffer.concat([body, Buffer.from([version & 0xff, version >> 8])]);
  return Buffer.concat([v, crc64Bytes(crc64(v))]);
}

/** Redis 8's DUMP of HSET h a 1 b 2 c 3 with b expiring at 4102444800000 (a listpackex). */
const LISTPACKEX_DUMP = Buffer.from('1900d8c32cbb030000242400000009008162020201f400d8c32cbb030000098161020101000181630203010001ff0c0044f4d01e0175d834', 'hex');

describe('hash-field expiration against Redis 8.0', { skip: missing ?? false }, () => {
  describe('lazy expiry with the active cycle off', () => {
    const { redis, redoubt } = useServerPair({ reference: 'redis8', args: debug });
    const text = `
### every read path meets fields past their time
DEBUG SET-ACTIVE-EXPIRE 0
HSET h a 1 b 2 c 3 d 4
HPEXPIRE h 100 FIELDS 2 a b
@sleep 150
HLEN h
HGETALL h
HKEYS h
HVALS h
HSCAN h 0
HSCAN h 0 NOVALUES
HTTL h FIELDS 3 a b c
HPERSIST h FIELDS 2 a c
EXISTS h
HEXISTS h a
HLEN h
HGET h b
HLEN h
HMGET h a b c
HSTRLEN h c
HSETNX h a 10
HGET h a
DEBUG SET-ACTIVE-EXPIRE 1

### the last field takes the hash with it
DEBUG SET-ACTIVE-EXPIRE 0
HSET h a 1 b 2
HPEXPIRE h 100 FIELDS 2 a b
HSET h2 a 1
HPEXPIRE h2 100 FIELDS 1 a
HSET h3 a 1
HPEXPIRE h3 100 FIELDS 1 a
HSET h4 a 1 b 2
HPEXPIRE h4 100 FIELDS 2 a b
HSET h5 a 5
HPEXPIRE h5 100 FIELDS 1 a
HSET h6 a 1 b 2
HPEXPIRE h6 100 FIELDS 1 a
HSET h7 a 1
HPEXPIRE h7 100 FIELDS 1 a
HSET h8 a 1 b 2
HPEXPIRE h8 100 FIELDS 1 a
@sleep 150
EXISTS h
TYPE h
HGET h a
HLEN h
HGET h b
EXISTS h
HINCRBY h2 a 5
HGETALL h2
HEXPIRETIME h2 FIELDS 1 a
HMGET h4 a b x
EXISTS h4
HRANDFIELD h3
EXISTS h3
HSETNX h5 a 6
HGET h5 a
HGETEX h6 EX 100 FIELDS 2 a b
HGETDEL h7 FIELDS 1 a
EXISTS h7
HSETEX h8 FXX FIELDS 1 a 1
HGETALL h8
DEBUG SET-ACTIVE-EXPIRE 1

### DEBUG DIGEST marks fields with a TTL
HSET h a 1 b 2
DEBUG DIGEST-VALUE h
HEXPIREAT h 4102444800 FIELDS 1 a
DEBUG DIGEST-VALUE h
DEBUG DIGEST
HPERSIST h FIELDS 1 a
DEBUG DIGEST-VALUE h

### hrandfield drops every expired field first
DEBUG SET-ACTIVE-EXPIRE 0
HSET h a 1 b 2 c 3
HPEXPIRE h 100 FIELDS 2 a b
@sleep 150
HLEN h
HRANDFIELD h -5
HLEN h
HRANDFIELD h 5 WITHVALUES
DEBUG SET-ACTIVE-EXPIRE 1
`;
    for (const c of parseCorpus('hash-ttl.test.ts', text)) {
      for (const resp of c.resp) {
        test(`${c.title} [RESP${resp}]`, async () => {
          const [theirs, ours] = await Promise.all([RawClient.connect(redis.port), RawClient.connect(redoubt.port)]);
          const clients = [theirs, ours];
          try {
            for (const cl of clients) {
              await cl.call('FLUSHALL');
              if (resp === 3) await cl.call('HELLO', '3');
            }
            for (const step of c.steps) {
              if (step.kind === 'sleep') {
                await sleep(step.ms);
                continue;
              }
              const [expected, actual] = [await theirs.call(...step.argv), await ours.call(...step.argv)];
              assert.equal(JSON.stringify(actual), JSON.stringify(expected), `line ${step.line}: ${step.text}`);
            }
          } finally {
            for (const cl of clients) cl.close();
          }
        });
      }
    }
  });

  describe('random command sequences', () => {
    const { redisRaw, redoubtRaw } = useServerPair({ reference: 'redis8', raw: true, args: ['--hash-max-listpack-entries', '5'] });

    for (const seed of [20261206, 7, 424242, 99991]) test(`replies match Redis 8 over 1500 random field-expiration commands, seed ${seed} (order, encodings, conversions)`, async () => {
      let state = seed;
      const rand = (n: number): number => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return state % n;
      };
      const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] ?? (xs[0] as T);
      const fields = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
      // Few distinct times, so that ties (and Redis's placement before an equal time) come up often;
      // 1 is in the past and deletes.
      const times = ['4102444800000', '4102444800001', '4102444700000', '4102444900000', '1'];
      const some = (): string[] => {
        const n = 1 + rand(3);
        return ['FIELDS', String(n), ...Array.from({ length: n }, () => pick(fields))];
      };
      const gens: (() => string[])[] = [
        () => ['HSET', pick(['h', 'g']), pick(fields), String(rand(100))],
        () => ['HDEL', pick(['h', 'g']), pick(fields)],
        () => ['HPEXPIREAT', pick(['h', 'g']), pick(times), ...(rand(3) === 0 ? [pick(['NX', 'XX', 'GT', 'LT'])] : []), ...some()],
        () => ['HPERSIST', pick(['h', 'g']), ...some()],
        () => ['HGETEX', pick(['h', 'g']), ...(rand(2) === 0 ? ['PXAT', pick(times)] : ['PERSIST']), ...some()],
        () => ['HSETEX', pick(['h', 'g']), ...(rand(2) === 0 ? ['PXAT', pick(times)] : ['KEEPTTL']), 'FIELDS', '1', pick(fields), 'v'],
        () => ['HGETDEL', pick(['h', 'g']), ...some()],
        () => ['HINCRBY', pick(['h', 'g']), pick(fields), '1'],
        () => ['HGETALL', pick(['h', 'g'])],
        () => ['HPEXPIRETIME', pick(['h', 'g']), ...some()],
        () => ['OBJECT', 'ENCODING', pick(['h', 'g'])],
        () => ['HSCAN', pick(['h', 'g']), '0', 'NOVALUES'],
        () => ['HLEN', pick(['h', 'g'])],
      ];
      for (const c of [redisRaw, redoubtRaw]) await c.call('FLUSHALL');
      for (let i = 0; i < 1500; i++) {
        const gen = gens[rand(gens.length)];
        if (gen === undefined) continue;
        const argv = gen();
        // A hash table's order is its dict's in Redis: those replies compare as sorted lines.
        const unordered = (argv[0] === 'HGETALL' || argv[0] === 'HSCAN') && (await redisRaw.call('OBJECT', 'ENCODING', argv[1] ?? '')).includes('hashtable');
        const [expected, actual] = [await redisRaw.call(...argv), await redoubtRaw.call(...argv)];
        const norm = (r: string): string => (unordered ? r.split('\r\n').sort().join('|') : r);
        assert.equal(JSON.stringify(norm(actual)), JSON.stringify(norm(expected)), `command ${i}: ${argv.join(' ')}`);
      }
    });
  });

  describe('keyspace events', () => {
    const { redis, redoubt } = useServerPair({ reference: 'redis8', args: debug });
    const isMessage = (r: string): boolean => r.startsWith('*4\r\n$8\r\npmessage');

    async function drain(sub: RawClient, log: Log): Promise<void> {
      send(sub, 'PING', 'sync');
      for (;;) {
        const r = (await sub.read())?.toString('latin1') ?? '<closed>';
        if (!isMessage(r)) return;
        log(0, r);
      }
    }

    function script(text: string) {
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      return async ([sub, cli]: RawClient[], log: Log): Promise<void> => {
        if (sub === undefined || cli === undefined) throw new Error('two clients expected');
        await cli.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
        try {
          log(0, await sub.call('PSUBSCRIBE', '__keyevent@*__:*'));
          for (const line of lines) {
            if (line.startsWith('@sleep ')) await sleep(Number(line.slice(7)));
            else log(1, await cli.call(...words(line)));
            await drain(sub, log);
          }
        } finally {
          await cli.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        }
      };
    }

    test('each command announces what it did, as Redis 8', () =>
      sameOnBoth(redis, redoubt, 2, script(`
        HSET h a 1 b 2 c 3 d 4
        HEXPIRE h 100 FIELDS 2 a nosuch
        HEXPIRE h 100 NX FIELDS 1 a
        HPERSIST h FIELDS 1 a
        HPERSIST h FIELDS 1 a
        HPEXPIREAT h 1 FIELDS 1 a
        HGETEX h PX 100000 FIELDS 1 b
        HGETEX h PERSIST FIELDS 1 b
        HGETEX h EXAT 1 FIELDS 1 b
        HGETEX h FIELDS 1 c
        HSETEX h EX 100 FIELDS 1 e 5
        HSETEX h PXAT 1 FIELDS 1 e 6
        HSETEX h KEEPTTL FIELDS 1 c 3
        HSETEX h FNX FIELDS 1 c 3
        HGETDEL h FIELDS 2 c nosuch
        HGETDEL h FIELDS 1 d
        HSETEX g PXAT 1 FIELDS 1 a 1
        HSET k a 1
        HEXPIREAT k 1 FIELDS 1 a
      `)));

    test('lazy expiry announces hexpired, and del for the last field', () =>
      sameOnBoth(redis, redoubt, 2, script(`
        DEBUG SET-ACTIVE-EXPIRE 0
        HSET h a 1 b 2 c 3
        HPEXPIRE h 50 FIELDS 3 a b c
        HSET m a 1 b 2 c 3
        HPEXPIRE m 50 FIELDS 2 a b
        HSET x a 1 b 2 c 3
        HPEXPIRE x 50 FIELDS 2 a b
        HSET y a 1 b 2
        HPEXPIRE y 50 FIELDS 2 a b
        @sleep 100
        HGET h a
        HEXISTS h b
        HSTRLEN h c
        HMGET m a b c
        HGETEX x PERSIST FIELDS 3 a b c
        HGETDEL y FIELDS 2 a b
        DEBUG SET-ACTIVE-EXPIRE 1
      `)));

    test('active expiry announces hexpired, then del', () =>
      sameOnBoth(redis, redoubt, 2, script(`
        HSET h a 1 b 2
        HPEXPIRE h 50 FIELDS 1 a
        HSET g a 1
        HPEXPIRE g 50 FIELDS 1 a
        @sleep 500
        HGETALL h
        EXISTS g
      `)));
  });

  describe('propagation to the AOF', () => {
    const dirs = { redis: scratchDir('hfe-r8'), redoubt: scratchDir('hfe-rd') };
    const { redis, redoubt } = useServerPair({
      reference: 'redis8',
      args: [...debug, '--appendonly', 'yes', '--appendfsync', 'always'],
      redisArgs: ['--dir', dirs.redis],
      redoubtArgs: ['--dir', dirs.redoubt],
    });

    /** Relative times become absolute ones near now: those are replaced by a marker. */
    function normalized(dir: string): string[] {
      const now = Date.now();
      return incrCommands(dir).map((argv) =>
        argv.map((a) => (/^\d{13}$/.test(a) && Math.abs(Number(a) - now) < 3_600_000 ? '<now-ms>' : a)).join(' '),
      );
    }

    test('the AOF gets what Redis 8 writes: HPEXPIREAT with absolute times, HDEL for expired fields', async () => {
      const script = [
        'HSET h a 1 b 2 c 3 d 4 e 5',
        'HEXPIRE h 1000 FIELDS 2 a nosuch',
        'hpexpire h 1000000 NX FIELDS 2 a b',
        'HEXPIREAT h 4102444800 xx FIELDS 3 a b c',
        'hpexpireat h 4102444800000 FIELDS 1 c',
        'HPEXPIREAT h 1 FIELDS 1 e',
        'HPEXPIREAT h 1 FIELDS 1 nosuch',
        'HPERSIST h FIELDS 2 a nosuch',
        'HGETEX h EX 100 FIELDS 2 a nosuch',
        'HGETEX h PXAT 4102444800000 FIELDS 1 a',
        'HGETEX h PERSIST FIELDS 2 a b',
        'HGETEX h EXAT 1 FIELDS 1 a',
        'HGETEX h FIELDS 1 b',
        'HSETEX h EX 100 FIELDS 1 f 6',
        'HSETEX h PXAT 4102444800000 FIELDS 1 g 7',
        'HSETEX h PXAT 1 FIELDS 1 g 8',
        'HSETEX h FXX KEEPTTL FIELDS 1 f 9',
        'HGETDEL h FIELDS 2 b nosuch',
        'HINCRBYFLOAT h d 1.5',
        'DEBUG SET-ACTIVE-EXPIRE 0',
        'HSET lazy a 1 b 2 c 3',
        'HPEXPIRE lazy 50 FIELDS 2 a b',
        '@sleep 100',
        'HGET lazy a',
        'HGETEX lazy PX 100000 FIELDS 2 b c',
        'DEBUG SET-ACTIVE-EXPIRE 1',
        'HSET active a 1 b 2',
        'HPEXPIRE active 50 FIELDS 2 a b',
        '@sleep 500',
        'SET done 1',
      ];
      for (const server of [redis, redoubt]) {
        const c = await RawClient.connect(server.port);
        for (const line of script) {
          if (line.startsWith('@sleep ')) await sleep(Number(line.slice(7)));
          else await c.call(...words(line));
        }
        c.close();
      }
      await sleep(200);
      assert.deepEqual(normalized(dirs.redoubt), normalized(dirs.redis));
    });
  });

  describe('COMMAND INFO', () => {
    const { redisRaw, redoubtRaw } = useServerPair({ reference: 'redis8', raw: true });
    const names = ['hexpire', 'hpexpire', 'hexpireat', 'hpexpireat', 'httl', 'hpttl', 'hexpiretime', 'hpexpiretime', 'hpersist', 'hgetex', 'hsetex', 'hgetdel', 'hscan'];
    for (const resp of ['2', '3']) {
      test(`matches Redis 8 for the field-expiration commands (RESP${resp})`, async () => {
        await redisRaw.call('HELLO', resp);
        await redoubtRaw.call('HELLO', resp);
        for (const name of names) {
          assert.equal(await redoubtRaw.call('COMMAND', 'INFO', name), await redisRaw.call('COMMAND', 'INFO', name), name);
          assert.equal(await redoubtRaw.call('COMMAND', 'GETKEYS', name, 'k', '1', 'FIELDS', '1', 'f'), await redisRaw.call('COMMAND', 'GETKEYS', name, 'k', '1', 'FIELDS', '1', 'f'), name);
        }
      });
    }
  });

  describe('RDB files both ways', () => {
    const setup = [
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '4'],
      ['HSET', 'small', 'a', '1', 'b', '2', 'c', '3'],
      ['HPEXPIREAT', 'small', '4102444800000', 'FIELDS', '2', 'a', 'c'],
      ['HPEXPIREAT', 'small', '4102444700000', 'FIELDS', '1', 'b'],
      ['HSET', 'big', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', '6'],
      ['HPEXPIREAT', 'big', '4102444800000', 'FIELDS', '3', 'a', 'b', 'c'],
      ['HPEXPIREAT', 'big', '4102444799999', 'FIELDS', '1', 'd'],
      ['HSET', 'plain', 'x', '1'],
      ['HSET', 'soon', 'a', '1', 'b', '2'],
      ['HPEXPIRE', 'soon', '100000', 'FIELDS', '1', 'a'],
    ];
    const picture = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      const out: string[] = [];
      for (const k of ['small', 'big', 'plain', 'soon']) {
        out.push(k, await c.call('OBJECT', 'ENCODING', k), await c.call('HLEN', k));
        out.push(await c.call('HPEXPIRETIME', k, 'FIELDS', '6', 'a', 'b', 'c', 'd', 'e', 'f'));
        for (const f of ['a', 'b', 'c', 'd', 'e', 'f', 'x']) out.push(await c.call('HGET', k, f));
      }
      out.push(await c.call('HGETALL', 'small'));
      c.close();
      return out;
    };

    test('Redoubt loads the dump.rdb Redis 8 writes, and Redis 8 loads Redoubt\'s', async () => {
      const dir8 = scratchDir('hfe-rdb8');
      const r8 = await startRedis8(['--dir', dir8]);
      const c8 = await RawClient.connect(r8.port);
      for (const cmd of setup) await c8.call(...cmd);
      assert.equal(await c8.call('SAVE'), '+OK\r\n');
      const expected = await picture(r8.port);
      c8.close();
      await r8.stop();
      const head = fs.readFileSync(path.join(dir8, 'dump.rdb')).subarray(0, 9).toString('latin1');
      assert.equal(head, 'REDIS0012');

      // Redoubt loads Redis 8's file.
      const ours = await startRedoubt(['--dir', dir8, '--hash-max-listpack-entries', '4']);
      assert.deepEqual(await picture(ours.port), expected);
      // And writes its own, which Redis 8 loads back the same.
      const before = fs.readFileSync(path.join(dir8, 'dump.rdb'));
      const c = await RawClient.connect(ours.port);
      assert.equal(await c.call('SAVE'), '+OK\r\n');
      c.close();
      await ours.stop();
      const written = fs.readFileSync(path.join(dir8, 'dump.rdb'));
      assert.ok(!written.equals(before), 'Redoubt wrote its own file');
      assert.equal(written.subarray(0, 9).toString('latin1'), 'REDIS0012');
      const back = await startRedis8(['--dir', dir8, '--hash-max-listpack-entries', '4']);
      try {
        assert.deepEqual(await picture(back.port), expected);
      } finally {
        await back.stop();
      }
    });

    test('Redis 8 restores the DUMP payloads Redoubt writes', async () => {
      const [r8, ours] = await Promise.all([startRedis8([]), startRedoubt([])]);
      const a = await RawClient.connect(r8.port);
      const b = await RawClient.connect(ours.port);
      try {
        for (const cmd of setup) await b.call(...cmd);
        for (const k of ['small', 'big', 'soon']) {
          const dumped = await b.call('DUMP', k);
          const body = Buffer.from(dumped.slice(dumped.indexOf('\r\n') + 2, -2), 'latin1');
          assert.equal(await a.call('RESTORE', k, '0', body.toString('latin1')), '+OK\r\n', k);
          assert.equal(await a.call('HPEXPIRETIME', k, 'FIELDS', '4', 'a', 'b', 'c', 'd'), await b.call('HPEXPIRETIME', k, 'FIELDS', '4', 'a', 'b', 'c', 'd'), k);
          assert.equal(await a.call('HLEN', k), await b.call('HLEN', k), k);
        }
      } finally {
        a.close();
        b.close();
        await Promise.all([r8.stop(), ours.stop()]);
      }
    });
  });
});

describe('hash-field expiration on a real clock', () => {
  test('fields go by themselves, the hash with its last field, and INFO counts them', async () => {
    const s = await startRedoubt([]);
    const c = await RawClient.connect(s.port);
    try {
      await c.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
      await c.call('HSET', 'g', 'a', '1');
      assert.equal(await c.call('HPEXPIRE', 'h', '400', 'FIELDS', '2', 'a', 'b'), '*2\r\n:1\r\n:1\r\n');
      assert.equal(await c.call('HPEXPIRE', 'g', '400', 'FIELDS', '1', 'a'), '*1\r\n:1\r\n');
      const ttl = Number(/:(\d+)/.exec(await c.call('HPTTL', 'h', 'FIELDS', '1', 'a'))?.[1]);
      assert.ok(ttl > 0 && ttl <= 400, `HPTTL ${ttl}`);
      assert.equal(await c.call('HLEN', 'h'), ':3\r\n');
      // No command touches them: the active cycle must remove them.
      await sleep(1000);
      const info = await c.call('INFO', 'stats');
      assert.match(info, /\r\nexpired_subkeys:3\r\n/);
      assert.match(info, /\r\nexpired_keys:0\r\n/);
      assert.equal(await c.call('HLEN', 'h'), ':1\r\n');
      assert.equal(await c.call('EXISTS', 'g'), ':0\r\n');
      assert.equal(await c.call('HGETALL', 'h'), '*2\r\n$1\r\nc\r\n$1\r\n3\r\n');
    } finally {
      c.close();
      await s.stop();
    }
  });

  test('the active cycle removes many fields over several runs, and the server keeps answering', async () => {
    const s = await startRedoubt([]);
    const c = await RawClient.connect(s.port);
    try {
      const fields: string[] = [];
      for (let i = 0; i < 5000; i++) fields.push(`f${i}`, 'v');
      await c.call('HSET', 'big', ...fields);
      const names = fields.filter((_, i) => i % 2 === 0);
      await c.call('HPEXPIRE', 'big', '100', 'FIELDS', String(names.length), ...names);
      await c.call('HSET', 'big', 'keep', '1');
      for (let i = 0; i < 40 && (await c.call('HLEN', 'big')) !== ':1\r\n'; i++) {
        assert.equal(await c.call('PING'), '+PONG\r\n');
        await sleep(100);
      }
      assert.equal(await c.call('HLEN', 'big'), ':1\r\n');
      assert.match(await c.call('INFO', 'stats'), /\r\nexpired_subkeys:5000\r\n/);
    } finally {
      c.close();
      await s.stop();
    }
  });

  test('fields keep expiring after RENAME, COPY, MOVE and RESTORE put the hash under another key', async () => {
    const s = await startRedoubt([]);
    const c = await RawClient.connect(s.port);
    try {
      for (const k of ['r', 'c', 'm', 'd']) {
        await c.call('HSET', k, 'a', '1', 'b', '2');
        await c.call('HPEXPIRE', k, '300', 'FIELDS', '1', 'a');
      }
      await c.call('RENAME', 'r', 'r2');
      await c.call('COPY', 'c', 'c2');
      await c.call('MOVE', 'm', '1');
      const dumped = await c.call('DUMP', 'd');
      await c.call('RESTORE', 'd2', '0', dumped.slice(dumped.indexOf('\r\n') + 2, -2));
      await sleep(900);
      for (const k of ['r2', 'c', 'c2', 'd', 'd2']) assert.equal(await c.call('HGETALL', k), '*2\r\n$1\r\nb\r\n$1\r\n2\r\n', k);
      await c.call('SELECT', '1');
      assert.equal(await c.call('HGETALL', 'm'), '*2\r\n$1\r\nb\r\n$1\r\n2\r\n');
      // Nothing read them: the active cycle removed a from all six.
      assert.match(await c.call('INFO', 'stats'), /\r\nexpired_subkeys:6\r\n/);
    } finally {
      c.close();
      await s.stop();
    }
  });

  for (const preamble of ['yes', 'no']) {
    test(`field TTLs survive an AOF rewrite and a restart (aof-use-rdb-preamble ${preamble})`, async () => {
      const dir = scratchDir('hfe-aof');
      const args = ['--dir', dir, '--appendonly', 'yes', '--aof-use-rdb-preamble', preamble];
      const s = await startRedoubt(args);
      const c = await RawClient.connect(s.port);
      const fields: string[] = [];
      for (let i = 0; i < 6000; i++) fields.push(`f${i}`, `v${i}`);
      await c.call('HSET', 'small', 'a', '1', 'b', '2');
      await c.call('HPEXPIREAT', 'small', '4102444800000', 'FIELDS', '1', 'b');
      await c.call('HSET', 'big', ...fields);
      await c.call('HPEXPIREAT', 'big', '4102444800001', 'FIELDS', '2', 'f1', 'f5999');
      await c.call('BGREWRITEAOF');
      for (let i = 0; i < 100 && /aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(await c.call('INFO', 'persistence')); i++) await sleep(50);
      await c.call('HPEXPIREAT', 'small', '4102444800002', 'FIELDS', '1', 'a');
      c.close();
      await s.stop();
      const again = await startRedoubt(args);
      const d = await RawClient.connect(again.port);
      try {
        for (let i = 0; i < 100 && /loading:1/.test(await d.call('INFO', 'persistence')); i++) await sleep(50);
        assert.equal(await d.call('HPEXPIRETIME', 'small', 'FIELDS', '2', 'a', 'b'), '*2\r\n:4102444800002\r\n:4102444800000\r\n');
        assert.equal(await d.call('HPEXPIRETIME', 'big', 'FIELDS', '3', 'f1', 'f5999', 'f2'), '*3\r\n:4102444800001\r\n:4102444800001\r\n:-1\r\n');
        assert.equal(await d.call('HLEN', 'big'), ':6000\r\n');
      } finally {
        d.close();
        await again.stop();
      }
    });
  }

  test('a replica gets the field TTLs, and the HDELs when fields expire on the primary', async () => {
    const primary = await startRedoubt([]);
    const replica = await startRedoubt(['--replica-allowed-primaries', `127.0.0.1:${primary.port}`]);
    const p = await RawClient.connect(primary.port);
    const r = await RawClient.connect(replica.port);
    try {
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(primary.port)), '+OK\r\n');
      for (let i = 0; i < 100 && !/master_link_status:up/.test(await r.call('INFO', 'replication')); i++) await sleep(50);
      await p.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
      await p.call('HPEXPIRE', 'h', '300', 'FIELDS', '2', 'a', 'b');
      await p.call('HSETEX', 'h', 'PXAT', '4102444800000', 'FIELDS', '1', 'c', '33');
      for (let i = 0; i < 100 && (await r.call('HGET', 'h', 'c')) !== '$2\r\n33\r\n'; i++) await sleep(50);
      assert.equal(await r.call('HPEXPIRETIME', 'h', 'FIELDS', '1', 'c'), '*1\r\n:4102444800000\r\n');
      assert.match(await r.call('HPTTL', 'h', 'FIELDS', '1', 'a'), /^\*1\r\n:[1-3]\d\d\r\n$/);
      // The primary's active cycle removes a and b; the replica only follows its HDELs.
      for (let i = 0; i < 60 && (await r.call('HLEN', 'h')) !== ':1\r\n'; i++) await sleep(50);
      assert.equal(await r.call('HGETALL', 'h'), '*2\r\n$1\r\nc\r\n$2\r\n33\r\n');
      assert.match(await r.call('INFO', 'stats'), /\r\nexpired_subkeys:0\r\n/);
      assert.match(await p.call('INFO', 'stats'), /\r\nexpired_subkeys:2\r\n/);
    } finally {
      p.close();
      r.close();
      await Promise.all([replica.stop(), primary.stop()]);
    }
  });

  test('a client caching a hash hears of it when a field expires', async () => {
    const s = await startRedoubt([]);
    const c = await RawClient.connect(s.port);
    const w = await RawClient.connect(s.port);
    try {
      await c.call('HELLO', '3');
      assert.equal(await c.call('CLIENT', 'TRACKING', 'on'), '+OK\r\n');
      await w.call('HSET', 'h', 'a', '1', 'b', '2');
      await w.call('HPEXPIRE', 'h', '100', 'FIELDS', '1', 'a');
      assert.equal(await c.call('HGET', 'h', 'b'), '$1\r\n2\r\n');
      // Nobody touches the hash: the active cycle's removal of `a` must invalidate it.
      const push = await c.read(2000);
      assert.equal(push?.toString('latin1'), '>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nh\r\n');
    } finally {
      c.close();
      w.close();
      await s.stop();
    }
  });

  test('MEMORY USAGE counts the field TTLs', async () => {
    const s = await startRedoubt([]);
    const c = await RawClient.connect(s.port);
    try {
      const fields: string[] = [];
      for (let i = 0; i < 50; i++) fields.push(`f${i}`, 'v');
      await c.call('HSET', 'h', ...fields);
      const before = Number(/:(\d+)/.exec(await c.call('MEMORY', 'USAGE', 'h'))?.[1]);
      const names = fields.filter((_, i) => i % 2 === 0);
      await c.call('HEXPIRE', 'h', '1000', 'FIELDS', String(names.length), ...names);
      const after = Number(/:(\d+)/.exec(await c.call('MEMORY', 'USAGE', 'h'))?.[1]);
      assert.ok(after > before + 50 * 8, `MEMORY USAGE ${before} → ${after}`);
    } finally {
      c.close();
      await s.stop();
    }
  });
});

describe('the soonest-expiry heap of a hash', () => {
  test('agrees with a walk over every field through churn, and stays bounded', () => {
    const h = new HashValue(new Map(), 'hashtable');
    h.enableTtls();
    const limits = { maxEntries: 0, maxValue: 64 };
    let state = 1;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    for (let i = 0; i < 20000; i++) {
      const f = `f${rand(200)}`;
      const op = rand(10);
      if (op < 5) {
        if (!h.has(f)) h.set(f, 'v', limits);
        h.setTtl(f, 1000 + rand(100000));
      } else if (op < 7) h.persist(f);
      else if (op < 8) h.delete(f);
      else h.set(f, 'w', limits, rand(2) === 0);
      if (i % 97 === 0) {
        let min: number | undefined;
        for (const at of h.ttls?.values() ?? []) if (min === undefined || at < min) min = at;
        assert.equal(h.minTtl(), min, `step ${i}`);
      }
      if (i % 1000 === 999) {
        // Expire everything below a moving line: exactly the fields a walk finds, soonest first.
        const now = 1000 + rand(100000);
        const walk = [...(h.ttls ?? new Map<string, number>())].filter(([, at]) => at < now).sort((a, b) => a[1] - b[1]).map(([f]) => f);
        const got = h.expiredFields(now, Infinity);
        assert.deepEqual([...got].sort(), [...walk].sort(), `expired at step ${i}`);
        for (const f of got) h.delete(f);
      }
    }
    assert.ok(h.heapSize() <= 2 * (h.ttls?.size ?? 0) + 64, `heap of ${h.heapSize()} for ${h.ttls?.size ?? 0} TTLs`);
  });
});

describe('hostile input for hash-field expiration', () => {
  /** The h payload with its body changed by `edit`, re-checksummed. */
  const body = LISTPACKEX_DUMP.subarray(0, LISTPACKEX_DUMP.length - 10);

  /** A RDB_TYPE_HASH_METADATA body: min expiry, count, then [ttl-len, field, value] per entry. */
  function metadata(min: bigint, entries: readonly (readonly [number, string, string])[], count = entries.length): Buffer {
    const parts: Buffer[] = [Buffer.from([24])];
    const m = Buffer.alloc(8);
    m.writeBigInt64LE(min);
    parts.push(m, Buffer.from([count]));
    for (const [ttl, f, v] of entries) {
      if (ttl < 64) parts.push(Buffer.from([ttl]));
      else {
        const b = Buffer.alloc(9);
        b[0] = 0x81;
        b.writeBigUInt64BE(BigInt(ttl), 1);
        parts.push(b);
      }
      parts.push(Buffer.from([f.length]), Buffer.from(f, 'latin1'), Buffer.from([v.length]), Buffer.from(v, 'latin1'));
    }
    return Buffer.concat(parts);
  }

  /** A RDB_TYPE_HASH_LISTPACK_EX body around a listpack of the given string entries. */
  function listpackEx(entries: readonly string[]): Buffer {
    const items = entries.map((e) => Buffer.concat([Buffer.from([0x80 | e.length]), Buffer.from(e, 'latin1'), Buffer.from([1 + e.length])]));
    const total = 6 + items.reduce((n, b) => n + b.length, 0) + 1;
    const lp = Buffer.alloc(total);
    lp.writeUInt32LE(total, 0);
    lp.writeUInt16LE(entries.length, 4);
    let at = 6;
    for (const b of items) at += b.copy(lp, at);
    lp[at] = 0xff;
    return Buffer.concat([Buffer.from([25]), Buffer.alloc(8), Buffer.from([lp.length]), lp]);
  }

  const bad: [string, Buffer][] = [
    ['truncated listpackex', payload(body.subarray(0, body.length - 5))],
    ['truncated minimum expiry', payload(body.subarray(0, 4))],
    ['listpackex of pairs, not triples', payload(listpackEx(['a', '1', '0', 'b']))],
    ['listpackex with a TTL that is not a number', payload(listpackEx(['a', '1', 'x']))],
    ['listpackex with a TTL beyond 2^48', payload(listpackEx(['a', '1', '999999999999999']))],
    ['listpackex with a negative TTL', payload(listpackEx(['a', '1', '-5']))],
    ['listpackex with duplicate fields', payload(listpackEx(['a', '1', '0', 'a', '2', '0']))],
    ['empty listpackex', payload(listpackEx([]))],
    ['metadata with duplicate fields', payload(metadata(1000n, [[0, 'a', '1'], [1, 'a', '2']]))],
    ['metadata with a TTL beyond 2^48', payload(metadata(1000n, [[0, 'a', '1'], [2 ** 49, 'b', '2']]))],
    ['metadata with a negative minimum', payload(metadata(-1n, [[1, 'a', '1']]))],
    ['metadata counting more fields than it has', payload(metadata(1000n, [[1, 'a', '1']], 40))],
    ['metadata of no fields', payload(metadata(1000n, []))],
    ['a version beyond 12', payload(body, 13)],
  ];

  test('RESTORE refuses garbage payloads of the field-TTL types and the server keeps answering', async () => {
    const s = await startRedoubt([]);
    const c = await RawClient.connect(s.port);
    try {
      assert.equal(await c.call('RESTORE', 'good', '0', payload(body).toString('latin1')), '+OK\r\n');
      for (const [what, p] of bad) {
        const r = await c.call('RESTORE', 'k', '0', p.toString('latin1'), 'REPLACE');
        assert.match(r, /^-(ERR Bad data format|ERR DUMP payload version or checksum are wrong)\r\n$/, what);
        assert.equal(await c.call('PING'), '+PONG\r\n', what);
      }
      assert.equal(await c.call('EXISTS', 'k'), ':0\r\n');
      assert.equal(await c.call('HEXPIRETIME', 'good', 'FIELDS', '1', 'b'), '*1\r\n:4102444800\r\n');
    } finally {
      c.close();
      await s.stop();
    }
  });

  test('mutated field-TTL payloads load or are refused as bad data, never anything else', () => {
    const seeds = [
      body,
      metadata(4102444800000n, [[0, 'a', '1'], [1, 'b', '2'], [70, 'c', '3']]),
      listpackEx(['a', '1', '0', 'b', '2', '4102444800000']),
    ];
    let refused = 0;
    let loaded = 0;
    let state = 12345;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    for (let i = 0; i < 3000; i++) {
      const seed = seeds[i % seeds.length] ?? body;
      const bytes = Buffer.from(seed);
      for (let j = 0, n = 1 + rand(3); j < n; j++) bytes[rand(bytes.length)] = rand(256);
      const cut = rand(4) === 0 ? bytes.subarray(0, rand(bytes.length)) : bytes;
      const v = loadDumpPayload(payload(cut), { ...DEFAULT_LOAD_OPTIONS, hashMaxListpackEntries: 128 });
      if (v === null) refused++;
      else loaded++;
    }
    assert.ok(refused > 500 && loaded > 50, `${refused} refused, ${loaded} loaded`);
  });

  test('an RDB file with a garbage field-TTL hash is refused with a message, not a crash', async () => {
    const dir = scratchDir('hfe-badrdb');
    const value = metadata(1000n, [[0, 'a', '1'], [1, 'a', '2']]);
    const parts = [Buffer.from('REDIS0012', 'latin1'), Buffer.from([0xfe, 0]), value.subarray(0, 1), Buffer.from([1, 0x6b]), value.subarray(1), Buffer.from([0xff])];
    const file = Buffer.concat(parts);
    fs.writeFileSync(path.join(dir, 'dump.rdb'), Buffer.concat([file, crc64Bytes(crc64(file))]));
    let s: RunningServer;
    try {
      s = await startRedoubt(['--dir', dir]);
    } catch (err) {
      // Refused before it listened.
      assert.match(String(err), /duplicate hash field/);
      return;
    }
    // Or just after: the load runs once it listens, and a failed one ends the process.
    assert.equal(await s.exited(), 1);
    assert.match(s.output(), /Bad data format: duplicate hash field \(key 'k', type hash-hashtable-md\)/);
  });

  test('huge and mismatched numfields, negative and overflowing times: errors, and the server answers', async () => {
    const s = await startRedoubt([]);
    const c = await RawClient.connect(s.port);
    try {
      await c.call('HSET', 'h', 'a', '1');
      const many = Array.from({ length: 20000 }, (_, i) => `f${i}`);
      assert.match(await c.call('HEXPIRE', 'h', '10', 'FIELDS', '18446744073709551616', ...many), /^-ERR Parameter `numFields`/);
      assert.match(await c.call('HEXPIRE', 'h', '10', 'FIELDS', '20001', ...many), /^-ERR The `numfields` parameter/);
      const r = await c.call('HEXPIRE', 'h', '10', 'FIELDS', '20000', ...many);
      assert.ok(r.startsWith('*20000\r\n:-2\r\n'));
      assert.match(await c.call('HPEXPIREAT', 'h', '-9223372036854775808', 'FIELDS', '1', 'a'), /^-ERR invalid expire time, must be >= 0/);
      assert.match(await c.call('HEXPIRE', 'h', '9223372036854775807', 'FIELDS', '1', 'a'), /^-ERR invalid expire time in 'hexpire' command/);
      assert.match(await c.call('HSETEX', 'h', 'PX', '9223372036854775807', 'FIELDS', '1', 'a', '1'), /^-ERR invalid expire time in 'hsetex' command/);
      assert.match(await c.call('HGETEX', 'h', 'EX', '10', 'FIELDS'), /^-ERR Number of fields must be a positive integer/);
      assert.equal(await c.call('HGETALL', 'h'), '*2\r\n$1\r\na\r\n$1\r\n1\r\n');
      assert.equal(await c.call('PING'), '+PONG\r\n');
    } finally {
      c.close();
      await s.stop();
    }
  });
});
