// cjson and cmsgpack in realistic scripts through ioredis, compared with the real redis-server:
// a JSON document edited in place, and a BullMQ-style msgpack job-options payload. Then the Lua
// memory cap against library buffers, which live outside the Lua heap, on Redoubt only.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { useServerPair } from './helpers/servers.js';
import { errorMessage } from './helpers/rejection.js';

const clients: Redis[] = [];
// Registered first, so the clients go before the servers stop.
after(() => {
  for (const c of clients) c.disconnect();
});
const { redis, redoubt } = useServerPair();

function connect(port: number): Redis {
  const c = new Redis({ port, lazyConnect: false, maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}

/** Runs `fn` against Redis and Redoubt and returns both results, Redis first. */
async function both<T>(fn: (c: Redis) => Promise<T>): Promise<[T, T]> {
  const [a, b] = [connect(redis.port), connect(redoubt.port)];
  return [await fn(a), await fn(b)];
}

const EDIT_PROFILE = `
local doc = cjson.decode(redis.call('GET', KEYS[1]))
doc.visits = doc.visits + 1
doc.tags[#doc.tags + 1] = ARGV[1]
doc.last = {at = tonumber(ARGV[2]), ok = true, note = cjson.null}
local out = cjson.encode(doc)
redis.call('SET', KEYS[1], out)
return out`;

describe('cjson: a JSON document updated by a script', () => {
  test('decode, change and re-encode give the same bytes as Redis', async () => {
    const [fromRedis, fromRedoubt] = await both(async (c) => {
      await c.set('profile', JSON.stringify({ name: 'Zoë "z" \\ <tag>', visits: 41, tags: ['a'], score: 0.1 }));
      const first = await c.eval(EDIT_PROFILE, 1, 'profile', 'b\n"quoted"', '1700000000123');
      const second = await c.eval(EDIT_PROFILE, 1, 'profile', 'c', '1.5');
      return [first, second, await c.get('profile')];
    });
    assert.deepEqual(fromRedoubt, fromRedis);
    const doc = JSON.parse(String(fromRedoubt[2])) as { visits: number; tags: string[]; last: { at: number; note: null } };
    assert.equal(doc.visits, 43);
    assert.deepEqual(doc.tags, ['a', 'b\n"quoted"', 'c']);
    assert.equal(doc.last.note, null);
  });

  test('malformed JSON fails the script with the same error as Redis', async () => {
    const [fromRedis, fromRedoubt] = await both(async (c) => {
      await c.set('broken', '{"a": [1, 2}');
      return c.eval(EDIT_PROFILE, 1, 'broken', 'x', '1').then(
        () => 'no error',
        errorMessage,
      );
    });
    assert.match(fromRedoubt, /Expected comma or array end but found T_OBJ_END at character 12/);
    assert.equal(fromRedoubt, fromRedis);
  });
});

// BullMQ packs job options with msgpackr and its Lua scripts read them with cmsgpack.unpack.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

const ADD_JOB = `
local opts = cmsgpack.unpack(ARGV[1])
local key = KEYS[1]
redis.call('HSET', key, 'attempts', opts.attempts, 'delay', opts.delay,
  'backoff', opts.backoff.type .. ':' .. opts.backoff.delay, 'lifo', tostring(opts.lifo),
  'ts', string.format('%.17g', opts.timestamp), 'tags', #opts.tags, 'ratio', tostring(opts.ratio))
return cmsgpack.pack({id = key, attempts = opts.attempts, tags = opts.tags, ts = opts.timestamp,
  removeOnComplete = opts.removeOnComplete, neg = opts.neg})`;

describe('cmsgpack: BullMQ-style job options', () => {
  test('a msgpackr payload is unpacked and re-packed as Redis does', async () => {
    const opts = {
      attempts: 3,
      delay: 0,
      backoff: { type: 'exponential', delay: 1000 },
      lifo: false,
      timestamp: 1_700_000_000_123,
      removeOnComplete: true,
      tags: ['email', 'urgent', 'é'],
      ratio: 0.25,
      neg: -70000,
      missing: undefined,
    };
    const payload = packr.pack(opts);
    const [fromRedis, fromRedoubt] = await both(async (c) => {
      const packed = (await c.callBuffer('EVAL', ADD_JOB, '1', 'job:1', payload)) as Buffer;
      return { packed, hash: await c.hgetall('job:1') };
    });
    assert.deepEqual(fromRedoubt.hash, fromRedis.hash);
    assert.ok(fromRedoubt.packed.equals(fromRedis.packed), 'packed replies differ');
    assert.deepEqual(fromRedoubt.hash, {
      attempts: '3',
      delay: '0',
      backoff: 'exponential:1000',
      lifo: 'false',
      ts: '1700000000123',
      tags: '3',
      ratio: '0.25',
    });
    const back = packr.unpack(fromRedoubt.packed) as Record<string, unknown>;
    assert.deepEqual(back, {
      id: 'job:1',
      attempts: 3,
      tags: ['email', 'urgent', 'é'],
      ts: 1_700_000_000_123n, // cmsgpack writes it as uint64, which msgpackr reads as a BigInt
      removeOnComplete: true,
      neg: -70000,
    });
  });
});

describe('memory cap and library buffers', () => {
  // 300 references to one 1 MiB string: little Lua memory, but about 300 MB once encoded.
  const HUGE = `local s = string.rep('x', 1048576) local t = {} for i = 1, 300 do t[i] = s end`;

  test('cjson.encode of a huge table stops at the cap and the server stays healthy', async () => {
    const c = connect(redoubt.port);
    await assert.rejects(c.eval(`${HUGE} return #cjson.encode(t)`, 0), /not enough memory/);
    // pcall sees it as an ordinary error, and a coroutine gets it on its own thread
    assert.deepEqual(await c.eval(`${HUGE} local ok, e = pcall(cjson.encode, t) return {tostring(ok), e}`, 0), [
      'false',
      'not enough memory',
    ]);
    assert.deepEqual(
      await c.eval(
        `${HUGE} local co = coroutine.create(function() return cjson.encode(t) end)
         local ok, e = coroutine.resume(co) return {tostring(ok), e, coroutine.status(co)}`,
        0,
      ),
      ['false', 'not enough memory', 'dead'],
    );
    // the kept encode buffer stayed consistent: later encodes of all sizes are right
    assert.equal(await c.eval(`return cjson.encode({1, 'two', {three = 3}})`, 0), '[1,"two",{"three":3}]');
    assert.equal(await c.eval(`return #cjson.encode({string.rep('y', 5000000)})`, 0), 5000004);
    assert.equal(await c.ping(), 'PONG');
  });

  test('cmsgpack.pack of a huge table stops at the cap without leaking its buffer', async () => {
    const c = connect(redoubt.port);
    const before = await luaMemory(c);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(c.eval(`${HUGE} return #cmsgpack.pack(t)`, 0), /not enough memory/);
    }
    // the abandoned buffers went back: the Lua heap is about where it was
    const afterFailures = await luaMemory(c);
    assert.ok(afterFailures < before + 16 * 1024 * 1024, `Lua heap grew from ${before} to ${afterFailures}`);
    assert.equal(await c.eval(`return #cmsgpack.pack({string.rep('z', 70000), 1, 2})`, 0), 70008);
    assert.equal(await c.ping(), 'PONG');
  });
});

async function luaMemory(c: Redis): Promise<number> {
  await c.eval(`return 1`, 0); // lets a GC step run
  const info = await c.info('memory');
  const m = /used_memory_lua:(\d+)/.exec(info);
  assert.ok(m, 'INFO memory has used_memory_lua');
  return Number(m[1]);
}
