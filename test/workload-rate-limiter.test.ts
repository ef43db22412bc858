// rate-limiter-flexible's RateLimiterRedis, unmodified, on Redoubt through ioredis and node-redis:
// its Lua INCR-with-TTL script, MULTI/EXEC reads, blocking, penalties and rewards, a real 1-second
// window running out, and the in-memory insurance limiter taking over when the server goes away.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RunningServer } from './helpers/servers.js';
import { sleep, startTarget, targetName } from './helpers/workload-target.js';

/** The few store calls the test makes itself, the same for both clients. */
interface Store {
  readonly library: unknown;
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
  close(): Promise<void>;
}

async function ioredisStore(port: number): Promise<Store> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await r.connect();
  return {
    library: r,
    get: (k) => r.get(k),
    pttl: (k) => r.pttl(k),
    close: async () => {
      await r.quit();
    },
  };
}

async function nodeRedisStore(port: number): Promise<Store> {
  const r = createClient({ socket: { port, host: '127.0.0.1' } });
  await r.connect();
  return {
    library: r,
    get: (k) => r.get(k),
    pttl: (k) => r.pTTL(k),
    close: () => {
      r.destroy();
      return Promise.resolve();
    },
  };
}

/** Runs `fn` expecting it to reject with a RateLimiterRes (the library's "limited" answer). */
async function rejected(fn: () => Promise<RateLimiterRes>): Promise<RateLimiterRes> {
  try {
    const res = await fn();
    assert.fail(`expected a rejection, got ${JSON.stringify(res)}`);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    return err;
  }
}

const clients = [
  { name: 'ioredis', open: ioredisStore, useRedisPackage: false },
  { name: 'node-redis', open: nodeRedisStore, useRedisPackage: true },
] as const;

for (const client of clients) {
  describe(`RateLimiterRedis with ${client.name} on ${targetName}`, { timeout: 30000 }, () => {
    let server: RunningServer;
    let store: Store;
    before(async () => {
      server = await startTarget();
      store = await client.open(server.port);
    });
    after(async () => {
      await store.close();
      await server.stop();
    });

    const limiter = (opts: { keyPrefix: string; points: number; duration: number; blockDuration?: number }) =>
      new RateLimiterRedis({ storeClient: store.library, useRedisPackage: client.useRedisPackage, ...opts });

    test('consumes points until the limit, then rejects with the time left', async () => {
      const rl = limiter({ keyPrefix: 'consume', points: 5, duration: 10 });
      for (let i = 1; i <= 5; i++) {
        const res = await rl.consume('user1');
        assert.equal(res.consumedPoints, i);
        assert.equal(res.remainingPoints, 5 - i);
        assert.equal(res.isFirstInDuration, i === 1);
        assert.ok(res.msBeforeNext > 9000 && res.msBeforeNext <= 10000, `msBeforeNext ${res.msBeforeNext}`);
      }
      const over = await rejected(() => rl.consume('user1'));
      assert.equal(over.consumedPoints, 6);
      assert.equal(over.remainingPoints, 0);
      assert.ok(over.msBeforeNext > 9000 && over.msBeforeNext <= 10000);
      // The counter lives in the store under the prefixed key, with the window's TTL.
      assert.equal(await store.get('consume:user1'), '6');
      const pttl = await store.pttl('consume:user1');
      assert.ok(pttl > 9000 && pttl <= 10000, `pttl ${pttl}`);
      // Another key has its own budget; consuming several points at once counts them all.
      const other = await rl.consume('user2', 4);
      assert.equal(other.remainingPoints, 1);
      await rejected(() => rl.consume('user2', 2));
    });

    test('get, penalty, reward, set and delete change the stored counter', async () => {
      const rl = limiter({ keyPrefix: 'adjust', points: 10, duration: 20 });
      assert.equal(await rl.get('k'), null);
      const pen = await rl.penalty('k', 7);
      assert.equal(pen.consumedPoints, 7);
      assert.equal(pen.remainingPoints, 3);
      const rew = await rl.reward('k', 5);
      assert.equal(rew.consumedPoints, 2);
      const got = await rl.get('k');
      assert.ok(got);
      assert.equal(got.consumedPoints, 2);
      assert.equal(got.remainingPoints, 8);
      assert.ok(got.msBeforeNext > 19000 && got.msBeforeNext <= 20000);
      const set = await rl.set('k', 9, 5);
      assert.equal(set.consumedPoints, 9);
      assert.ok(set.msBeforeNext > 4000 && set.msBeforeNext <= 5000, `msBeforeNext ${set.msBeforeNext}`);
      assert.equal(await store.get('adjust:k'), '9');
      assert.equal(await rl.delete('k'), true);
      assert.equal(await rl.delete('k'), false);
      assert.equal(await store.get('adjust:k'), null);
      assert.equal(await rl.get('k'), null);
    });

    test('blockDuration keeps a key blocked past the end of its window', async () => {
      const rl = limiter({ keyPrefix: 'block', points: 2, duration: 1, blockDuration: 3 });
      await rl.consume('ip');
      await rl.consume('ip');
      const over = await rejected(() => rl.consume('ip'));
      assert.equal(over.msBeforeNext, 3000);
      const pttl = await store.pttl('block:ip');
      assert.ok(pttl > 2000 && pttl <= 3000, `blocked key pttl ${pttl}`);
      await sleep(1200);
      // The 1 s window is over, but the block still holds.
      const still = await rejected(() => rl.consume('ip'));
      assert.ok(still.msBeforeNext > 0 && still.msBeforeNext <= 1900, `msBeforeNext ${still.msBeforeNext}`);
      // An explicit block works the same way.
      const blocked = await rl.block('manual', 2);
      assert.equal(blocked.msBeforeNext, 2000);
      await rejected(() => rl.consume('manual'));
    });

    test('a 1-second window runs out and the budget comes back', async () => {
      const rl = limiter({ keyPrefix: 'window', points: 3, duration: 1 });
      for (let i = 0; i < 3; i++) await rl.consume('w');
      const over = await rejected(() => rl.consume('w'));
      assert.ok(over.msBeforeNext > 0 && over.msBeforeNext <= 1000);
      await sleep(over.msBeforeNext + 100);
      assert.equal(await store.get('window:w'), null, 'the counter expired with its window');
      const fresh = await rl.consume('w');
      assert.equal(fresh.isFirstInDuration, true);
      assert.equal(fresh.remainingPoints, 2);
    });

    test('duration 0 counts without expiry (MULTI INCRBY + PTTL)', async () => {
      const rl = limiter({ keyPrefix: 'forever', points: 2, duration: 0 });
      const first = await rl.consume('f');
      assert.equal(first.consumedPoints, 1);
      assert.equal(first.msBeforeNext, -1);
      await rl.consume('f');
      const over = await rejected(() => rl.consume('f'));
      assert.equal(over.consumedPoints, 3);
      assert.equal(await store.pttl('forever:f'), -1);
    });
  });
}

describe(`the clock under the limiter's block path on ${targetName}`, { timeout: 30000 }, () => {
  // The block path writes SET EX inside MULTI/EXEC and then reads PTTL; a clock that stepped back
  // between EXEC and the next command made PTTL exceed the TTL just set.
  test('PTTL right after SET EX in EXEC never exceeds the TTL', async () => {
    const server = await startTarget();
    const r = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      for (let i = 0; i < 200; i++) {
        await r.multi().set('clock', 'v', 'EX', 3).exec();
        const pttl = await r.pttl('clock');
        assert.ok(pttl <= 3000 && pttl > 2000, `pttl ${pttl} after SET EX 3`);
      }
    } finally {
      r.disconnect();
      await server.stop();
    }
  });
});

describe(`RateLimiterRedis insurance on ${targetName}`, { timeout: 30000 }, () => {
  test('the in-memory insurance limiter answers once the server is gone', async () => {
    const server = await startTarget();
    const r = new Redis({ port: server.port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await new Promise<void>((resolve) => r.once('ready', () => resolve()));
      const insurance = new RateLimiterMemory({ points: 2, duration: 5 });
      const rl = new RateLimiterRedis({ storeClient: r, keyPrefix: 'insured', points: 5, duration: 5, insuranceLimiter: insurance });
      const viaStore = await rl.consume('u');
      assert.equal(viaStore.remainingPoints, 4, 'served by the store, with its 5 points');
      await server.stop();
      // The store is unreachable now: the insurance limiter's own budget (2 points) applies.
      const a = await rl.consume('u');
      assert.equal(a.remainingPoints, 1);
      const b = await rl.consume('u');
      assert.equal(b.remainingPoints, 0);
      await rejected(() => rl.consume('u'));
    } finally {
      r.disconnect();
      await server.stop();
    }
  });
});
