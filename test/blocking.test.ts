// Blocking list commands under concurrent clients, each scenario run against the real
// redis-server and Redoubt with the replies (bytes, in order) compared; plus real-client workloads.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { sameOnBoth, send, sleep } from './helpers/scenario.js';

const { redis, redoubt } = useServerPair();

describe('blocking pops against redis-server', () => {
  test('a push wakes the blocked client with the pushed key', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      send(a!, 'BLPOP', 'q1', 'q2', '0');
      await sleep(50);
      log(1, Buffer.from(await b!.call('RPUSH', 'q2', 'x', 'y')));
      log(0, await a!.read());
      log(1, Buffer.from(await b!.call('LRANGE', 'q2', '0', '-1')));
    }));

  test('waiters are served first come, first served, and one push serves several', () =>
    sameOnBoth(redis, redoubt, 4, async ([a, b, c, d], log) => {
      send(a!, 'BRPOP', 'q', '0');
      await sleep(30);
      send(b!, 'BLPOP', 'q', '0');
      await sleep(30);
      send(c!, 'BLPOP', 'q', '0');
      await sleep(30);
      log(3, Buffer.from(await d!.call('RPUSH', 'q', '1', '2')));
      log(0, await a!.read());
      log(1, await b!.read());
      log(3, Buffer.from(await d!.call('RPUSH', 'q', '3')));
      log(2, await c!.read());
    }));

  test('pipelined commands after a blocking one wait for it', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      a!.write(Buffer.concat([RawClient.encode(['BLPOP', 'q', '0']), RawClient.encode(['PING'])]));
      await sleep(50);
      log(0, Buffer.from(a!.unread.length === 0 ? '<nothing yet>' : a!.unread.toString('latin1')));
      await b!.call('LPUSH', 'q', 'v');
      log(0, await a!.read());
      log(0, await a!.read());
    }));

  test('timeouts and CLIENT UNBLOCK', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      log(0, Buffer.from(await a!.call('BLPOP', 'q', '0.05')));
      log(0, Buffer.from(await a!.call('BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0.05')));
      log(0, Buffer.from(await a!.call('BLMPOP', '0.05', '1', 'q', 'LEFT')));
      const id = (await a!.call('CLIENT', 'ID')).slice(1).trim();
      send(a!, 'BLPOP', 'q', '0');
      await sleep(50);
      log(1, Buffer.from(await b!.call('CLIENT', 'UNBLOCK', id, 'TIMEOUT')));
      log(0, await a!.read());
      send(a!, 'BRPOPLPUSH', 'q', 'd', '0');
      await sleep(50);
      log(1, Buffer.from(await b!.call('CLIENT', 'UNBLOCK', id, 'ERROR')));
      log(0, await a!.read());
      log(1, Buffer.from(await b!.call('CLIENT', 'UNBLOCK', id)));
    }));

  test('sub-millisecond timeouts round up (Redis\'s ceill): every blocking command times out', () =>
    sameOnBoth(redis, redoubt, 1, async ([a], log) => {
      for (const argv of [
        ['BLPOP', 'k', '0.0001'],
        ['BRPOP', 'k', '0.0009'],
        ['BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0.0001'],
        ['BRPOPLPUSH', 'k', 'd', '0.0001'],
        ['BLMPOP', '0.0001', '1', 'k', 'LEFT'],
        ['BZPOPMIN', 'z', '0.0001'],
        ['BZPOPMAX', 'z', '1e-9'],
        ['BZMPOP', '0.0001', '1', 'z', 'MIN'],
        ['BLPOP', 'k', '0.0015'],
      ]) {
        const t0 = Date.now();
        log(0, Buffer.from(await a!.call(...argv)));
        assert.ok(Date.now() - t0 < 1000, argv.join(' '));
      }
      log(0, Buffer.from(await a!.call('BLPOP', 'k', '-0.0011')));
    }));

  test('a timeout that rounds up to 0 blocks forever, as in Redis (-0.0001; -0.001 as a long double)', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      for (const t of ['-0.0001', '-0.001']) {
        send(a!, 'BLPOP', 'k', t);
        await sleep(300);
        log(0, Buffer.from(a!.unread.length === 0 ? '<still blocked>' : a!.unread.toString('latin1')));
        log(1, Buffer.from(await b!.call('RPUSH', 'k', t)));
        log(0, await a!.read());
      }
    }));

  test('a served BLMOVE whose destination has the wrong type gets WRONGTYPE and keeps the element', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await b!.call('SET', 'dst', 'string');
      send(a!, 'BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0');
      await sleep(50);
      log(1, Buffer.from(await b!.call('RPUSH', 'src', 'e')));
      log(0, await a!.read());
      log(1, Buffer.from(await b!.call('LRANGE', 'src', '0', '-1')));
    }));

  test('a key of another type does not serve a list waiter; a later list does', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      send(a!, 'BLPOP', 'k', '0');
      await sleep(50);
      log(1, Buffer.from(await b!.call('SET', 'k', 'x')));
      log(1, Buffer.from(await b!.call('DEL', 'k')));
      log(1, Buffer.from(await b!.call('RPUSH', 'k', 'finally')));
      log(0, await a!.read());
    }));

  test('a client that disconnects while blocked leaves the queue clean', () =>
    sameOnBoth(redis, redoubt, 3, async ([a, b, c], log) => {
      send(a!, 'BLPOP', 'q', '0');
      await sleep(30);
      a!.close();
      await sleep(30);
      send(b!, 'BLPOP', 'q', '0');
      await sleep(30);
      log(2, Buffer.from(await c!.call('RPUSH', 'q', 'only')));
      log(1, await b!.read());
      log(2, Buffer.from(await c!.call('LLEN', 'q')));
    }));

  test('RESP3 null shapes on timeout', () =>
    sameOnBoth(redis, redoubt, 1, async ([a], log) => {
      await a!.call('HELLO', '3');
      log(0, Buffer.from(await a!.call('BLPOP', 'q', '0.01')));
      log(0, Buffer.from(await a!.call('BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0.01')));
    }));
});

describe('blocking with real clients', () => {
  test('a job queue on BLMOVE: every job processed exactly once by three workers', async () => {
    const producer = new Redis({ port: redoubt.port });
    const workers = [0, 1, 2].map(() => new Redis({ port: redoubt.port }));
    try {
      await producer.flushall();
      const done: string[] = [];
      let stop = false;
      const loops = workers.map(async (w) => {
        while (!stop) {
          const job = await w.blmove('jobs', 'processing', 'LEFT', 'RIGHT', 0.2);
          if (job === null) continue;
          done.push(job);
          await w.lrem('processing', 1, job);
        }
      });
      for (let i = 0; i < 300; i++) await producer.rpush('jobs', `job-${i}`);
      for (let t = 0; t < 200 && done.length < 300; t++) await sleep(25);
      stop = true;
      await Promise.all(loops);
      assert.equal(done.length, 300);
      assert.equal(new Set(done).size, 300);
      assert.equal(await producer.llen('processing'), 0);
      assert.equal(await producer.llen('jobs'), 0);
    } finally {
      producer.disconnect();
      for (const w of workers) w.disconnect();
    }
  });

  test('INFO counts blocked clients', async () => {
    const a = new Redis({ port: redoubt.port });
    const b = new Redis({ port: redoubt.port });
    try {
      const pending = a.blpop('nothing-here', 0);
      await sleep(50);
      const info = await b.info('clients');
      assert.match(info, /blocked_clients:1\r\n/);
      await b.rpush('nothing-here', 'x');
      assert.deepEqual(await pending, ['nothing-here', 'x']);
      assert.match(await b.info('clients'), /blocked_clients:0\r\n/);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});

describe('blocking sorted-set pops against redis-server', () => {
  test('BZPOPMIN and BZMPOP wake on ZADD, in arrival order, in RESP2 and RESP3', () =>
    sameOnBoth(redis, redoubt, 3, async ([a, b, c], log) => {
      await b!.call('HELLO', '3');
      send(a!, 'BZPOPMIN', 'z', '0');
      await sleep(30);
      send(b!, 'BZMPOP', '0', '2', 'y', 'z', 'MAX', 'COUNT', '2');
      await sleep(30);
      log(2, Buffer.from(await c!.call('ZADD', 'z', '1', 'one', '2', 'two', '3', 'three')));
      log(0, await a!.read());
      log(1, await b!.read());
      log(2, Buffer.from(await c!.call('ZCARD', 'z')));
    }));
});
