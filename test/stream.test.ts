// Streams across clients: blocking XREAD/XREADGROUP scenarios compared byte for byte with the real
// redis-server, consumer groups driven by ioredis and node-redis (a crashed consumer's entries
// recovered with XAUTOCLAIM), and transactions around stream reads.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startRedoubt, useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { sameOnBoth, send, sleep } from './helpers/scenario.js';

const { redis, redoubt } = useServerPair();

describe('blocking stream reads against redis-server', () => {
  test('XREAD BLOCK $ is woken by an XADD from another client', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await b!.call('XADD', 's', '1-1', 'old', 'entry');
      send(a!, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
      await sleep(50);
      log(0, a!.unread.length === 0 ? '<waiting>' : a!.unread);
      log(1, await b!.call('XADD', 's', '2-1', 'new', 'entry'));
      log(0, await a!.read());
    }));

  test('RESP3: the woken reader gets a map of one stream; a timeout is a null', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await a!.call('HELLO', '3');
      send(a!, 'XREAD', 'BLOCK', '0', 'STREAMS', 'x', 'y', '$', '$');
      await sleep(50);
      log(1, await b!.call('XADD', 'y', '5-5', 'f', 'v'));
      log(0, await a!.read());
      log(0, await a!.call('XREAD', 'BLOCK', '20', 'STREAMS', 'y', '$'));
      log(0, await a!.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '20', 'STREAMS', 'y', '>').catch(String));
    }));

  test('a reader woken by XGROUP DESTROY gets -NOGROUP, counted as a failed call of XREADGROUP', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await b!.call('CONFIG', 'RESETSTAT');
      await b!.call('XGROUP', 'CREATE', 'gs', 'g', '$', 'MKSTREAM');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 'gs', '>');
      await sleep(50);
      log(1, await b!.call('XGROUP', 'DESTROY', 'gs', 'g'));
      log(0, await a!.read());
      const stats = await b!.call('INFO', 'commandstats');
      const line = /cmdstat_xreadgroup:[^\r]*/.exec(stats)?.[0] ?? 'no xreadgroup line';
      log(1, line.replace(/usec=\d+,usec_per_call=[\d.]+,/, ''));
    }));

  test('XREAD on several streams is served by the one that grows', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      send(a!, 'XREAD', 'COUNT', '5', 'BLOCK', '0', 'STREAMS', 's1', 's2', '0', '0');
      await sleep(50);
      log(1, await b!.call('SET', 'other', 'x'));
      log(1, await b!.call('XADD', 's2', '3-1', 'f', 'v'));
      log(0, await a!.read());
    }));

  test('timeouts in milliseconds, and an entry that is not newer keeps the reader waiting', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      const t0 = Date.now();
      log(0, await a!.call('XREAD', 'BLOCK', '60', 'STREAMS', 's', '$'));
      log(0, Date.now() - t0 >= 50 ? 'waited' : 'too quick');
      await b!.call('XADD', 's', '10-1', 'f', 'v');
      send(a!, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '20-0');
      await sleep(30);
      await b!.call('XADD', 's', '15-1', 'f', 'v');
      await sleep(30);
      log(0, a!.unread.length === 0 ? '<still waiting>' : a!.unread);
      await b!.call('XADD', 's', '20-1', 'f', 'v');
      log(0, await a!.read());
    }));

  test('one XADD serves readers of different groups; the second consumer of a group waits', () =>
    sameOnBoth(redis, redoubt, 4, async ([a, b, c, d], log) => {
      await d!.call('XGROUP', 'CREATE', 's', 'g1', '$', 'MKSTREAM');
      await d!.call('XGROUP', 'CREATE', 's', 'g2', '$');
      send(a!, 'XREADGROUP', 'GROUP', 'g1', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      send(b!, 'XREADGROUP', 'GROUP', 'g1', 'bob', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      send(c!, 'XREADGROUP', 'GROUP', 'g2', 'carol', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      log(3, await d!.call('XADD', 's', '1-1', 'job', 'one'));
      log(0, await a!.read());
      log(2, await c!.read());
      await sleep(30);
      log(1, b!.unread.length === 0 ? '<still waiting>' : b!.unread);
      log(3, await d!.call('XADD', 's', '2-1', 'job', 'two'));
      log(1, await b!.read());
      log(3, await d!.call('XPENDING', 's', 'g1'));
      log(3, await d!.call('XINFO', 'GROUPS', 's'));
    }));

  test('a reader waiting for a later ID does not hold back a reader behind it', () =>
    sameOnBoth(redis, redoubt, 3, async ([a, b, c], log) => {
      await c!.call('XADD', 's', '1-1', 'f', 'v');
      send(a!, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '100-0');
      await sleep(30);
      send(b!, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
      await sleep(30);
      log(2, await c!.call('XADD', 's', '50-1', 'f', 'v'));
      log(1, await b!.read());
      await sleep(30);
      log(0, a!.unread.length === 0 ? '<still waiting>' : a!.unread);
      log(2, await c!.call('XADD', 's', '100-1', 'f', 'v'));
      log(0, await a!.read());
    }));

  test('XREADGROUP with NOACK and COUNT while blocked', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await b!.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'NOACK', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      log(1, await b!.call('XADD', 's', '1-1', 'f', 'v'));
      log(0, await a!.read());
      log(1, await b!.call('XPENDING', 's', 'g'));
      log(1, await b!.call('XINFO', 'GROUPS', 's'));
    }));

  test('a blocked group reader learns that its key or group is gone, or holds another type', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await b!.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      log(1, await b!.call('XGROUP', 'DESTROY', 's', 'g'));
      log(0, await a!.read());
      await b!.call('XGROUP', 'CREATE', 's', 'g', '$');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      log(1, await b!.call('DEL', 's'));
      log(0, await a!.read());
      await b!.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      await b!.call('DEL', 's');
      log(1, await b!.call('LPUSH', 's', 'x'));
      log(0, await a!.read());
      // Overwritten by another type: Redis 7.0 says the stream key is gone.
      await b!.call('DEL', 's');
      await b!.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      log(1, await b!.call('SET', 's', 'x'));
      log(0, await a!.read());
    }));

  test('a plain reader keeps waiting when its key is deleted or changes type', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await b!.call('XADD', 's', '5-1', 'f', 'v');
      send(a!, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
      await sleep(30);
      await b!.call('DEL', 's');
      await b!.call('LPUSH', 's', 'x');
      await b!.call('DEL', 's');
      log(1, await b!.call('XADD', 's', '1-1', 'f', 'older'));
      await sleep(30);
      log(0, a!.unread.length === 0 ? '<still waiting>' : a!.unread);
      log(1, await b!.call('XADD', 's', '6-1', 'f', 'newer'));
      log(0, await a!.read());
    }));

  test('CLIENT UNBLOCK ends a stream wait with a null or an error', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      const id = (await a!.call('CLIENT', 'ID')).slice(1).trim();
      send(a!, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
      await sleep(30);
      log(1, await b!.call('CLIENT', 'UNBLOCK', id, 'TIMEOUT'));
      log(0, await a!.read());
      await b!.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      log(1, await b!.call('CLIENT', 'UNBLOCK', id, 'ERROR'));
      log(0, await a!.read());
      // The reader unblocked by error must not be served later.
      log(1, await b!.call('XADD', 's', '1-1', 'f', 'v'));
      log(0, await a!.call('PING'));
      log(1, await b!.call('XPENDING', 's', 'g'));
    }));

  test('a reader that disconnects while blocked leaves nothing behind', () =>
    sameOnBoth(redis, redoubt, 3, async ([a, b, c], log) => {
      await c!.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
      send(a!, 'XREADGROUP', 'GROUP', 'g', 'gone', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      a!.close();
      await sleep(30);
      send(b!, 'XREADGROUP', 'GROUP', 'g', 'here', 'BLOCK', '0', 'STREAMS', 's', '>');
      await sleep(30);
      log(2, await c!.call('XADD', 's', '1-1', 'f', 'v'));
      log(1, await b!.read());
      log(2, await c!.call('XPENDING', 's', 'g'));
    }));
});

describe('stream reads in transactions against redis-server', () => {
  test('XREAD/XREADGROUP BLOCK inside MULTI never block', async () => {
    await sameOnBoth(redis, redoubt, 1, async ([a], log) => {
      await a!.call('XADD', 's', '1-1', 'a', '1');
      await a!.call('XGROUP', 'CREATE', 's', 'g', '$');
      for (const cmd of [
        ['MULTI'],
        ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'],
        ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '0'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'],
        ['XADD', 's', '2-1', 'a', '2'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'],
        ['EXEC'],
      ]) {
        log(0, await a!.call(...cmd));
      }
    });
  });

  test('only XADD, XDEL and XTRIM that change entries touch a WATCHed stream', async () => {
    await sameOnBoth(redis, redoubt, 1, async ([a], log) => {
      await a!.call('XADD', 's', '1-1', 'a', '1');
      await a!.call('XGROUP', 'CREATE', 's', 'g0', '0');
      const ops = [
        ['XGROUP', 'CREATE', 's', 'g', '0'],
        ['XGROUP', 'SETID', 's', 'g0', '0'],
        ['XGROUP', 'CREATECONSUMER', 's', 'g0', 'c'],
        ['XREADGROUP', 'GROUP', 'g0', 'c', 'STREAMS', 's', '>'],
        ['XACK', 's', 'g0', '1-1'],
        ['XCLAIM', 's', 'g0', 'd', '0', '1-1'],
        ['XAUTOCLAIM', 's', 'g0', 'e', '0', '0'],
        ['XGROUP', 'DELCONSUMER', 's', 'g0', 'c'],
        ['XGROUP', 'DESTROY', 's', 'g'],
        ['XSETID', 's', '2-1'],
        ['XDEL', 's', '9-9'],
        ['XTRIM', 's', 'MAXLEN', '5'],
        ['XDEL', 's', '1-1'],
        ['XADD', 's', '3-1', 'a', '1'],
        ['XTRIM', 's', 'MAXLEN', '0'],
      ];
      for (const op of ops) {
        await a!.call('WATCH', 's');
        await a!.call(...op);
        await a!.call('MULTI');
        await a!.call('PING');
        log(0, `${op.join(' ')} -> ${await a!.call('EXEC')}`);
      }
    });
  });
});

describe('consumer groups with real clients', () => {
  test('ioredis: two groups, a consumer that crashes, recovery with XAUTOCLAIM', async () => {
    const producer = new Redis({ port: redoubt.port, lazyConnect: true });
    const crashing = new Redis({ port: redoubt.port, lazyConnect: true });
    const healthy = new Redis({ port: redoubt.port, lazyConnect: true });
    await Promise.all([producer.connect(), crashing.connect(), healthy.connect()]);
    try {
      await producer.flushall();
      await producer.xgroup('CREATE', 'jobs', 'billing', '$', 'MKSTREAM');
      await producer.xgroup('CREATE', 'jobs', 'audit', '0');
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await producer.xadd('jobs', '*', 'n', String(i)))!);
      assert.equal(await producer.xlen('jobs'), 20);

      // w1 takes five jobs and dies before acknowledging any of them.
      const taken = (await crashing.xreadgroup('GROUP', 'billing', 'w1', 'COUNT', '5', 'STREAMS', 'jobs', '>')) as [string, [string, string[]][]][];
      assert.deepEqual(taken[0]![1].map(([id]) => id), ids.slice(0, 5));
      crashing.disconnect();

      // w2 handles the rest and acknowledges them.
      const rest = (await healthy.xreadgroup('GROUP', 'billing', 'w2', 'STREAMS', 'jobs', '>')) as [string, [string, string[]][]][];
      const restIds = rest[0]![1].map(([id]) => id);
      assert.deepEqual(restIds, ids.slice(5));
      assert.equal(await healthy.xack('jobs', 'billing', ...restIds), 15);

      const summary = (await healthy.xpending('jobs', 'billing')) as [number, string, string, [string, string][]];
      assert.deepEqual(summary, [5, ids[0], ids[4], [['w1', '5']]]);

      // Not idle long enough yet: nothing to claim, the cursor wraps to 0-0.
      const early = (await healthy.xautoclaim('jobs', 'billing', 'w2', 10_000, '0-0')) as [string, unknown[], string[]];
      assert.deepEqual(early, ['0-0', [], []]);

      await sleep(120);
      const claimed = (await healthy.xautoclaim('jobs', 'billing', 'w2', 100, '0-0', 'COUNT', 3)) as [string, [string, string[]][], string[]];
      assert.deepEqual(claimed[1].map(([id, fv]) => [id, fv]), ids.slice(0, 3).map((id, i) => [id, ['n', String(i)]]));
      assert.equal(claimed[0], ids[3]);
      const more = (await healthy.xautoclaim('jobs', 'billing', 'w2', 100, claimed[0], 'JUSTID')) as [string, string[], string[]];
      assert.deepEqual(more, ['0-0', ids.slice(3, 5), []]);

      const detail = (await healthy.xpending('jobs', 'billing', '-', '+', 10)) as [string, string, number, number][];
      assert.deepEqual(detail.map(([id, owner, , count]) => [id, owner, count]), [
        [ids[0], 'w2', 2], [ids[1], 'w2', 2], [ids[2], 'w2', 2], [ids[3], 'w2', 1], [ids[4], 'w2', 1],
      ]);
      assert.equal(await healthy.xack('jobs', 'billing', ...ids.slice(0, 5)), 5);
      assert.deepEqual(await healthy.xpending('jobs', 'billing'), [0, null, null, null]);

      // The audit group sees every entry on its own, whatever billing did.
      const audit = (await producer.xreadgroup('GROUP', 'audit', 'a1', 'STREAMS', 'jobs', '>')) as [string, [string, string[]][]][];
      assert.equal(audit[0]![1].length, 20);

      const groups = (await producer.xinfo('GROUPS', 'jobs')) as unknown[][];
      const byName = new Map(groups.map((g) => {
        const m = new Map<string, unknown>();
        for (let i = 0; i < g.length; i += 2) m.set(String(g[i]), g[i + 1]);
        return [String(m.get('name')), m] as const;
      }));
      assert.equal(byName.get('billing')!.get('pending'), 0);
      assert.equal(byName.get('billing')!.get('lag'), 0);
      assert.equal(byName.get('billing')!.get('entries-read'), 20);
      assert.equal(byName.get('audit')!.get('pending'), 20);
      assert.equal(byName.get('audit')!.get('last-delivered-id'), ids[19]);
      const consumers = (await producer.xinfo('CONSUMERS', 'jobs', 'billing')) as unknown[][];
      assert.deepEqual(consumers.map((c) => [c[1], c[3]]), [['w1', 0], ['w2', 0]]);
    } finally {
      producer.disconnect();
      crashing.disconnect();
      healthy.disconnect();
    }
  });

  test('ioredis: XREAD BLOCK woken by XADD from another connection', async () => {
    const reader = new Redis({ port: redoubt.port });
    const writer = new Redis({ port: redoubt.port });
    try {
      await writer.flushall();
      const pending = reader.xread('BLOCK', 0, 'STREAMS', 'feed', '$');
      await sleep(50);
      const id = await writer.xadd('feed', '*', 'event', 'hello');
      const got = (await pending) as [string, [string, string[]][]][];
      assert.deepEqual(got, [['feed', [[id, ['event', 'hello']]]]]);
      assert.equal(await reader.xread('BLOCK', 30, 'STREAMS', 'feed', '$'), null);
    } finally {
      reader.disconnect();
      writer.disconnect();
    }
  });

  test('node-redis: group reads, claims and acknowledgements through the typed API', async () => {
    const client = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } });
    await client.connect();
    const blocking = client.duplicate();
    await blocking.connect();
    try {
      await client.flushAll();
      await client.xGroupCreate('orders', 'shipping', '$', { MKSTREAM: true });
      const waiting = blocking.xReadGroup('shipping', 'packer', { key: 'orders', id: '>' }, { BLOCK: 0, COUNT: 10 });
      await sleep(50);
      const id = await client.xAdd('orders', '*', { sku: 'A-1', qty: '2' });
      const got = await waiting;
      assert.ok(got !== null);
      const streams = Array.isArray(got) ? got : Object.entries(got).map(([name, messages]) => ({ name, messages }));
      const first = streams[0] as { name: string; messages: { id: string; message: Record<string, string> }[] };
      assert.equal(first.name, 'orders');
      assert.deepEqual(first.messages.map((m) => [m.id, { ...m.message }]), [[id, { sku: 'A-1', qty: '2' }]]);

      const claimed = await client.xAutoClaim('orders', 'shipping', 'courier', 0, '0-0');
      assert.equal(claimed.nextId, '0-0');
      assert.deepEqual(claimed.messages.map((m) => m?.id), [id]);
      assert.deepEqual(claimed.deletedMessages, []);
      assert.equal(await client.xAck('orders', 'shipping', id), 1);
      const pending = await client.xPending('orders', 'shipping');
      assert.equal(pending.pending, 0);
      assert.equal(await client.xLen('orders'), 1);
      const info = await client.xInfoStream('orders');
      assert.equal(info.length, 1);
      assert.equal(info.groups, 1);
    } finally {
      await blocking.quit();
      await client.quit();
    }
  });
});

describe('FLUSHALL while readers are blocked', () => {
  test('a blocked group reader is told its key is gone; a plain reader keeps waiting', async () => {
    const s = await startRedoubt();
    const [g, plain, admin] = await Promise.all([RawClient.connect(s.port), RawClient.connect(s.port), RawClient.connect(s.port)]);
    try {
      await admin.call('XGROUP', 'CREATE', 'st', 'grp', '$', 'MKSTREAM');
      g.write(RawClient.encode(['XREADGROUP', 'GROUP', 'grp', 'c1', 'BLOCK', '0', 'STREAMS', 'st', '>']));
      plain.write(RawClient.encode(['XREAD', 'BLOCK', '300', 'STREAMS', 'st', '$']));
      await new Promise((r) => setTimeout(r, 50));
      await admin.call('FLUSHALL');
      assert.equal((await g.read())!.toString('latin1'), '-UNBLOCKED the stream key no longer exists\r\n');
      assert.equal((await plain.read())!.toString('latin1'), '*-1\r\n');
    } finally {
      for (const c of [g, plain, admin]) c.close();
      await s.stop();
    }
  });
});
