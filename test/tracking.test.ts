// Client-side caching against redis-server 7.0 with several connections: invalidations of other
// clients' writes, RESP2 redirection through __redis__:invalidate, BCAST prefixes, NOLOOP, a broken
// redirect, flushes, expiry, a served blocked client, the table's limit, INFO and CLIENT LIST
// (client ids normalized). Then node-redis's client-side cache, and hostile tracking: millions of
// keys under a small tracking-table-max-keys, and a redirect client that never reads.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, BasicClientSideCache } from 'redis';
import { startRedoubt, useServerPair, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { runScenario, send, sleep, type Scenario } from './helpers/scenario.js';

const { redis, redoubt } = useServerPair();

type Trio = readonly [RawClient, RawClient, RawClient];

/**
 * Runs `scenario` with three connections on both servers; the transcripts must match once client
 * ids are replaced by their role.
 */
async function sameOnBoth(scenario: (clients: Trio, log: (who: number, r: Buffer | string | null) => void, ids: number[]) => Promise<void>): Promise<void> {
  const run = async (port: number): Promise<string[]> => {
    let ids: number[] = [];
    const wrapped: Scenario = async (clients, log) => {
      const [x, y, z] = clients;
      if (x === undefined || y === undefined || z === undefined) throw new Error('three clients expected');
      ids = await Promise.all(clients.map(async (c) => Number((await c.call('CLIENT', 'ID')).slice(1, -2))));
      await scenario([x, y, z], log, ids);
    };
    const transcript = await runScenario(port, 3, wrapped);
    return transcript.map((line) => normalizeIds(line, ids));
  };
  const expected = await run(redis.port);
  const actual = await run(redoubt.port);
  assert.deepEqual(actual, expected);
}

function normalizeIds(line: string, ids: readonly number[]): string {
  let out = line;
  ids.forEach((id, i) => {
    out = out
      .replaceAll(`:${id}\r\n`, `:<id${i}>\r\n`)
      .replaceAll(`id=${id} `, `id=<id${i}> `)
      .replaceAll(`redir=${id} `, `redir=<id${i}> `);
  });
  return out;
}

/** The CLIENT LIST fields tracking changes, for the client at `i`. */
function trackingFields(list: string, ids: readonly number[], i: number): string {
  const line = list.split('\n').find((l) => l.includes(`id=${ids[i]} `)) ?? '';
  const flags = /flags=(\S*)/.exec(line)?.[1] ?? '?';
  const redir = /redir=(\S*)/.exec(line)?.[1] ?? '?';
  return `flags=${flags} redir=${redir === String(ids[i - 1]) ? '<prev>' : redir}`;
}

/** What INFO says of tracking. */
async function trackingInfo(c: RawClient): Promise<string> {
  const clients = await c.call('INFO', 'clients');
  const stats = await c.call('INFO', 'stats');
  return [...clients.split('\r\n'), ...stats.split('\r\n')].filter((l) => l.startsWith('tracking_')).join(' ');
}

describe('invalidations, compared with redis-server', () => {
  test('RESP3: another client writes, the reader hears of each key once, after its own reply', async () => {
    await sameOnBoth(async ([a, b], log) => {
      await a.call('HELLO', '3');
      log(0, await a.call('CLIENT', 'TRACKING', 'ON'));
      await b.call('MSET', 'k1', '1', 'k2', '2', 'h', 'x');
      log(0, await a.call('MGET', 'k1', 'k2', 'missing'));
      log(0, await a.call('GET', 'h'));
      await b.call('SET', 'k1', 'changed');
      log(0, await a.read());
      await b.call('SET', 'k1', 'again'); // no longer tracked: nothing
      // Deleting a key that does not exist changes nothing: only k2 is news.
      await b.call('DEL', 'k2', 'missing');
      log(0, await a.read());
      // The reply to its own write comes first, then the invalidation of what it had read.
      log(0, await a.call('APPEND', 'h', 'y'));
      log(0, await a.read());
      log(0, await a.call('PING'));
      log(1, await trackingInfo(b));
    });
  });

  test('RESP2: invalidations reach the redirect client as __redis__:invalidate messages; a flush sends a null', async () => {
    await sameOnBoth(async ([r, a, b], log, ids) => {
      log(0, await r.call('SUBSCRIBE', '__redis__:invalidate'));
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(ids[0])));
      log(1, await a.call('CLIENT', 'GETREDIR'));
      log(1, await a.call('CLIENT', 'TRACKINGINFO'));
      await b.call('SET', 'k', '1');
      log(1, await a.call('GET', 'k'));
      log(1, await a.call('HGETALL', 'nohash'));
      await b.call('INCR', 'k');
      log(0, await r.read());
      await b.call('HSET', 'nohash', 'f', 'v');
      log(0, await r.read());
      // Its own writes go to the redirect client too, after its reply.
      log(1, await a.call('GET', 'k'));
      log(1, await a.call('SET', 'k', 'own'));
      log(0, await r.read());
      log(1, await a.call('GET', 'k'));
      log(1, await a.call('SELECT', '3'));
      log(1, await a.call('GET', 'k'));
      await b.call('FLUSHALL');
      log(0, await r.read());
      await b.call('SELECT', '5');
      await b.call('FLUSHDB');
      log(0, await r.read());
      const list = await b.call('CLIENT', 'LIST');
      log(2, trackingFields(list, ids, 1));
      log(2, await trackingInfo(b));
    });
  });

  test('a RESP2 client redirecting to a RESP3 client: pushes, and its own protocol\'s null on a flush', async () => {
    await sameOnBoth(async ([r, a, b], log, ids) => {
      await r.call('HELLO', '3');
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(ids[0])));
      log(1, await a.call('GET', 'k'));
      await b.call('SET', 'k', '1');
      log(0, await r.read());
      await b.call('FLUSHDB');
      log(0, await r.read());
      // A RESP2 redirect client that subscribed to nothing hears nothing.
      await r.call('HELLO', '2');
      log(1, await a.call('GET', 'k'));
      await b.call('SET', 'k', '2');
      log(0, await r.call('PING'));
    });
  });

  test('NOLOOP, OPTIN and OPTOUT with a redirect', async () => {
    await sameOnBoth(async ([r, a, b], log, ids) => {
      log(0, await r.call('SUBSCRIBE', '__redis__:invalidate'));
      const redir = String(ids[0]);
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', redir, 'NOLOOP'));
      log(1, await a.call('MGET', 'x', 'loop', 'y'));
      await b.call('SET', 'x', '1');
      log(1, await a.call('SET', 'loop', '1'));
      await b.call('SET', 'y', '1');
      log(0, await r.read());
      log(0, await r.read());
      log(1, await a.call('CLIENT', 'TRACKING', 'OFF'));
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'OPTIN', 'REDIRECT', redir));
      log(1, await a.call('GET', 'not-cached'));
      log(1, await a.call('CLIENT', 'CACHING', 'YES'));
      log(1, await a.call('MULTI'));
      log(1, await a.call('GET', 'in-multi-1'));
      log(1, await a.call('GET', 'in-multi-2'));
      log(1, await a.call('EXEC'));
      log(1, await a.call('GET', 'after-multi'));
      await b.call('MSET', 'not-cached', '1', 'in-multi-1', '1', 'in-multi-2', '1', 'after-multi', '1');
      log(0, await r.read());
      log(0, await r.read());
      log(1, await a.call('CLIENT', 'TRACKING', 'OFF'));
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'OPTOUT', 'REDIRECT', redir));
      log(1, await a.call('CLIENT', 'CACHING', 'NO'));
      log(1, await a.call('GET', 'skipped'));
      log(1, await a.call('GET', 'cached'));
      await b.call('MSET', 'skipped', '2', 'cached', '2');
      log(0, await r.read());
      log(1, await a.call('CLIENT', 'TRACKINGINFO'));
    });
  });

  test('BCAST: prefixes, NOLOOP, one message per prefix and turn, and no news of keys read before', async () => {
    await sameOnBoth(async ([r, a, b], log, ids) => {
      log(0, await r.call('SUBSCRIBE', '__redis__:invalidate'));
      const redir = String(ids[0]);
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', redir));
      log(1, await a.call('GET', 'old'));
      log(1, await a.call('CLIENT', 'TRACKING', 'OFF'));
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'REDIRECT', redir, 'PREFIX', 'user:', 'PREFIX', 'cart:', 'NOLOOP'));
      await b.call('SET', 'old', '1');
      // One pipelined batch: the keys of each prefix in one message.
      await b.pipeline([['SET', 'user:2', 'x'], ['SET', 'user:1', 'x'], ['SET', 'other', 'x'], ['SET', 'cart:9', 'x']]);
      log(0, await r.read());
      log(0, await r.read());
      log(1, await a.call('SET', 'user:3', 'own'));
      await b.call('SET', 'user:4', 'x');
      log(0, await r.read());
      log(2, await trackingInfo(b));
      log(2, trackingFields(await b.call('CLIENT', 'LIST'), ids, 1));
      // Adding prefixes to the ones it has.
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'REDIRECT', redir, 'PREFIX', 'stock:'));
      log(1, await a.call('CLIENT', 'TRACKINGINFO'));
      await b.call('SET', 'stock:1', 'x');
      log(0, await r.read());
    });
  });

  test('a redirect client that has gone: R flag, broken_redirect, and a RESP3 tracking-redir-broken push', async () => {
    await sameOnBoth(async ([r, a, b], log, ids) => {
      await a.call('HELLO', '3');
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(ids[0])));
      log(1, await a.call('GET', 'k'));
      r.close();
      await sleep(50);
      await b.call('SET', 'k', '1');
      log(1, await a.read());
      log(1, await a.call('CLIENT', 'TRACKINGINFO'));
      log(2, trackingFields(await b.call('CLIENT', 'LIST'), ids, 1));
      log(1, await a.call('CLIENT', 'GETREDIR'));
    });
  });

  test('keys removed by expiry invalidate, in default and BCAST modes', async () => {
    await sameOnBoth(async ([, a, b], log) => {
      await a.call('HELLO', '3');
      log(1, await a.call('CLIENT', 'TRACKING', 'ON'));
      await b.call('SET', 'active', 'v', 'PX', '30');
      await b.call('SET', 'lazy', 'v', 'PX', '30');
      log(1, await a.call('MGET', 'active', 'lazy'));
      await sleep(40);
      // Whichever removes it first, the active cycle or this read, the reader hears once.
      await b.call('GET', 'lazy');
      await sleep(400);
      const got = [await a.read(), await a.read()].map((x) => x?.toString('latin1') ?? '<none>').sort();
      log(1, got.join(''));
      log(1, await a.call('CLIENT', 'TRACKING', 'OFF'));
      log(1, await a.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'exp:'));
      await b.call('SET', 'exp:1', 'v', 'PX', '20');
      log(1, await a.read());
      await sleep(400);
      log(1, await a.read());
    });
  });

  test('a client served after blocking hears of the key it changed after its reply', async () => {
    await sameOnBoth(async ([a, b], log) => {
      await b.call('RPUSH', 'dst', 'a');
      await a.call('HELLO', '3');
      log(0, await a.call('CLIENT', 'TRACKING', 'ON'));
      log(0, await a.call('LRANGE', 'dst', '0', '-1'));
      send(a, 'BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0');
      await sleep(50);
      await b.call('RPUSH', 'src', 'foo');
      log(0, await a.read());
      log(0, await a.read());
    });
  });

  test('scripts: a read inside the script tracks the keys its caller declared, NOLOOP sees the caller', async () => {
    await sameOnBoth(async ([a, b], log) => {
      await a.call('HELLO', '3');
      log(0, await a.call('CLIENT', 'TRACKING', 'ON', 'NOLOOP'));
      log(0, await a.call('EVAL', "redis.call('get', 'x'); return 1", '2', 'k1', 'k2'));
      log(0, await a.call('EVAL', "return redis.call('set', KEYS[1], 'own')", '1', 'k1'));
      await b.call('SET', 'k2', 'other');
      log(0, await a.read());
      log(0, await a.call('FCALL_RO', 'nosuch', '0'));
    });
  });

  test('a key evicted before a command is invalidated before its reply, one volatile key among many', async () => {
    const run = async (server: RunningServer): Promise<string[]> => {
      const r = await RawClient.connect(server.port);
      const out: string[] = [];
      try {
        await r.call('FLUSHALL');
        // Mostly keys without a TTL: volatile-random must still find the one that has one.
        await r.call('MSET', ...Array.from({ length: 12 }, (_, i) => [`plain:${i}`, 'v']).flat());
        await r.call('HELLO', '3');
        await r.call('CLIENT', 'TRACKING', 'ON');
        const info = await r.call('INFO', 'memory');
        const used = Number(/used_memory:(\d+)/.exec(info)?.[1]) - Number(/mem_not_counted_for_evict:(\d+)/.exec(info)?.[1]);
        await r.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-random');
        await r.call('CONFIG', 'SET', 'maxmemory', String(used + 100 * 1024));
        await r.call('SETEX', 'volatile-key', '10000', 'x');
        out.push(await r.call('GET', 'volatile-key'));
        // 200 KB: the next command finds memory over the limit and evicts first.
        out.push(await r.call('SETBIT', 'big-key', '1600000', '0'));
        out.push(await r.call('GETBIT', 'big-key', '0'));
        out.push((await r.read())?.toString('latin1') ?? '<closed>');
        out.push(await r.call('EXISTS', 'volatile-key', 'plain:0'));
      } finally {
        await r.call('CONFIG', 'SET', 'maxmemory', '0');
        await r.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        r.close();
      }
      return out;
    };
    const expected = await run(redis);
    assert.equal(expected[2], '>2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n');
    for (let i = 0; i < 5; i++) assert.deepEqual(await run(redoubt), expected);
  });

  test('tracking-table-max-keys invalidates keys until the table is back under the limit', async () => {
    const run = async (server: RunningServer): Promise<string> => {
      const [r, a, c] = await Promise.all([RawClient.connect(server.port), RawClient.connect(server.port), RawClient.connect(server.port)]);
      try {
        await c.call('FLUSHALL');
        const id = (await r.call('CLIENT', 'ID')).slice(1, -2);
        await r.call('SUBSCRIBE', '__redis__:invalidate');
        await a.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id);
        const keys = Array.from({ length: 250 }, (_, i) => `key:${i}`);
        await a.call('MGET', ...keys);
        const before = await trackingInfo(c);
        await c.call('CONFIG', 'SET', 'tracking-table-max-keys', '20');
        await a.call('PING');
        await sleep(100);
        const invalidated = new Set<string>();
        for (;;) {
          const m = await r.read(300).catch(() => null);
          if (m === null) break;
          const key = /\$\d+\r\n(key:\d+)\r\n$/.exec(m.toString('latin1'))?.[1];
          if (key !== undefined) invalidated.add(key);
        }
        const after = await trackingInfo(c);
        await c.call('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
        // Which keys go is random in Redis (a random walk) and oldest-first here: compare how many.
        return `${before} | ${invalidated.size} invalidated | ${after}`;
      } finally {
        for (const x of [r, a, c]) x.close();
        await sleep(20);
      }
    };
    assert.equal(await run(redoubt), await run(redis));
  });
});

describe('the tracking table in used_memory', () => {
  test('20,000 tracked key names raise used_memory on both servers, and a flush gives it back', async () => {
    const usedMemory = async (c: RawClient): Promise<number> => Number(/used_memory:(\d+)/.exec(await c.call('INFO', 'memory'))?.[1]);
    const run = async (port: number): Promise<{ grew: number; after: number; info: string }> => {
      const a = await RawClient.connect(port);
      const c = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        assert.equal(await a.call('CLIENT', 'TRACKING', 'ON'), '+OK\r\n');
        const before = await usedMemory(c);
        // Keys that do not exist: only the table holds their names (100 bytes each, scattered
        // from the first byte so Redis's radix tree shares no prefix between them).
        const name = (n: number): string => `${((n * 2654435761) >>> 0).toString(36)}:${'t'.repeat(100)}`.slice(0, 100);
        const batch: string[][] = [];
        for (let j = 0; j < 20; j++) batch.push(['MGET', ...Array.from({ length: 1000 }, (_, i) => name(j * 1000 + i))]);
        await a.pipeline(batch, 60_000);
        const info = await trackingInfo(c);
        const grew = (await usedMemory(c)) - before;
        await c.call('FLUSHALL');
        const after = (await usedMemory(c)) - before;
        assert.equal(await a.call('CLIENT', 'TRACKING', 'OFF'), '+OK\r\n');
        return { grew, after, info };
      } finally {
        a.close();
        c.close();
      }
    };
    const [theirs, ours] = [await run(redis.port), await run(redoubt.port)];
    assert.equal(ours.info, theirs.info);
    assert.match(ours.info, /tracking_total_keys:20000 tracking_total_items:20000/);
    // Redis's rax holds the 2 MB of names and more; so does Redoubt's estimate.
    assert.ok(theirs.grew > 2_000_000, `redis-server grew ${theirs.grew}`);
    assert.ok(ours.grew > 2_000_000 && ours.grew < 6_000_000, `Redoubt grew ${ours.grew}`);
    assert.ok(ours.after < 500_000, `Redoubt kept ${ours.after} after the flush`);
  });
});

describe('node-redis client-side cache', () => {
  test('cached reads are served locally until another client writes, as with redis-server', async () => {
    const run = async (server: RunningServer): Promise<string[]> => {
      const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
      const cached = createClient({ socket: { port: server.port, host: '127.0.0.1' }, RESP: 3, clientSideCache: cache });
      const writer = createClient({ socket: { port: server.port, host: '127.0.0.1' } });
      await Promise.all([cached.connect(), writer.connect()]);
      const out: string[] = [];
      try {
        await writer.flushAll();
        await writer.set('greeting', 'hello');
        await writer.hSet('profile', { name: 'ada' });
        out.push(String(await cached.get('greeting')), String(await cached.get('greeting')));
        out.push(JSON.stringify(await cached.hGetAll('profile')));
        out.push(JSON.stringify(await cached.hGetAll('profile')));
        let s = cache.stats();
        out.push(`hits=${s.hitCount} misses=${s.missCount} size=${cache.size()}`);
        // Another client's write: the next read goes to the server and sees the new value.
        await writer.set('greeting', 'bonjour');
        await sleep(50);
        out.push(String(await cached.get('greeting')));
        await writer.hSet('profile', { name: 'grace' });
        await writer.expire('greeting', 1);
        await sleep(50);
        out.push(JSON.stringify(await cached.hGetAll('profile')));
        out.push(String(await cached.get('greeting')));
        // Expiry on the server is a change too.
        await sleep(1200);
        out.push(String(await cached.get('greeting')));
        await writer.flushAll();
        await sleep(50);
        out.push(JSON.stringify(await cached.hGetAll('profile')));
        s = cache.stats();
        out.push(`hits=${s.hitCount} misses=${s.missCount}`);
      } finally {
        cached.destroy();
        writer.destroy();
      }
      return out;
    };
    const expected = await run(redis);
    assert.deepEqual(expected.slice(0, 4), ['hello', 'hello', '{"name":"ada"}', '{"name":"ada"}']);
    assert.equal(expected[5], 'bonjour');
    assert.deepEqual(await run(redoubt), expected);
  });
});

describe('hostile tracking', () => {
  test('a client reading a million keys under a small tracking-table-max-keys keeps the table bounded', async () => {
    const server = await startRedoubt(['--tracking-table-max-keys', '1000']);
    const a = await RawClient.connect(server.port);
    const c = await RawClient.connect(server.port);
    try {
      // RESP2 without a redirect: the server tracks and invalidates, but has nowhere to send news.
      assert.equal(await a.call('CLIENT', 'TRACKING', 'ON'), '+OK\r\n');
      let maxKeys = 0;
      for (let round = 0; round < 20; round++) {
        const batch: string[][] = [];
        for (let j = 0; j < 50; j++) {
          const base = (round * 50 + j) * 1000;
          batch.push(['MGET', ...Array.from({ length: 1000 }, (_, i) => `k:${base + i}`)]);
        }
        await a.pipeline(batch, 60_000);
        const info = await trackingInfo(c);
        maxKeys = Math.max(maxKeys, Number(/tracking_total_keys:(\d+)/.exec(info)?.[1]));
      }
      // As Redis's trackingLimitUsedSlots, each command trims 100 keys more than the last while the
      // table stays over the limit: 1000 new keys a command peak at 4500 over it, whatever the total.
      assert.ok(maxKeys <= 1000 + 4500 + 1000, `tracking_total_keys reached ${maxKeys}`);
      assert.match(await trackingInfo(c), /tracking_clients:1 tracking_total_keys:\d+ tracking_total_items:\d+ tracking_total_prefixes:0/);
      assert.equal(await a.call('PING'), '+PONG\r\n');
    } finally {
      a.close();
      c.close();
      await server.stop();
    }
  });

  test('a redirect client that never reads is cut at its output limit', async () => {
    const server = await startRedoubt();
    const r = await RawClient.connect(server.port);
    const a = await RawClient.connect(server.port);
    const w = await RawClient.connect(server.port);
    try {
      assert.equal(await w.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0 0'), '+OK\r\n');
      const id = (await r.call('CLIENT', 'ID')).slice(1, -2);
      await r.call('SUBSCRIBE', '__redis__:invalidate');
      r.socket.pause();
      await a.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id);
      const long = 'x'.repeat(2000);
      let closed = false;
      for (let round = 0; round < 40 && !closed; round++) {
        const keys = Array.from({ length: 500 }, (_, i) => `${long}:${round}:${i}`);
        await a.call('MGET', ...keys);
        await w.call('MSET', ...keys.flatMap((k) => [k, '1']));
        closed = !(await w.call('CLIENT', 'LIST')).includes(`id=${id} `);
      }
      assert.ok(closed, 'the redirect client was never disconnected');
      // Later invalidations find the redirect gone.
      await a.call('GET', 'k');
      await w.call('SET', 'k', 'v');
      assert.match(await a.call('CLIENT', 'TRACKINGINFO'), /broken_redirect/);
      assert.match(await w.call('INFO', 'stats'), /client_output_buffer_limit_disconnections:[1-9]/);
    } finally {
      r.close();
      a.close();
      w.close();
      await server.stop();
    }
  });
});
