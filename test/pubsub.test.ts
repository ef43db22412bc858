// Pub/Sub across connections: multi-client scenarios run against the real redis-server and
// Redoubt with every client's received bytes compared; real clients (ioredis, node-redis in RESP2
// and RESP3) subscribing and publishing; ACL channel rules and their revocation; fan-out to 100
// subscribers; and a subscriber that stops reading being cut by the pubsub output-buffer limit.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startRedis, startRedoubt, useServerPair, useValkey, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { sameOnBoth, send, sleep } from './helpers/scenario.js';

const targets = [
  { name: 'redis-server', start: startRedis },
  { name: 'redoubt', start: startRedoubt },
] as const;

describe('pub/sub scenarios against redis-server, byte for byte', { timeout: 60000 }, () => {
  const { redis, redoubt } = useServerPair();
  // Redis 7.2's unified NOPERM texts, which valkey-server 8.0 has.
  const valkey = useValkey();

  test('PUBLISH reaches channel and pattern subscribers and counts them', () =>
    sameOnBoth(redis, redoubt, 3, async ([a, b, p], log) => {
      log(0, await a!.call('SUBSCRIBE', 's1.news', 's1.other'));
      log(0, await a!.read());
      log(1, await b!.call('PSUBSCRIBE', 's1.n*'));
      log(2, await p!.call('PUBLISH', 's1.news', 'hello'));
      log(0, await a!.read());
      log(1, await b!.read());
      log(2, await p!.call('PUBLISH', 's1.other', 'only a'));
      log(0, await a!.read());
      log(2, await p!.call('PUBLISH', 's1.nothing', 'only b'));
      log(1, await b!.read());
      log(2, await p!.call('PUBLISH', 's1.zzz', 'nobody'));
      log(0, await a!.call('UNSUBSCRIBE', 's1.news'));
      log(2, await p!.call('PUBLISH', 's1.news', 'only b now'));
      log(1, await b!.read());
    }));

  test('a RESP3 subscriber gets pushes between its own replies', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, p], log) => {
      await a!.call('HELLO', '3');
      log(0, await a!.call('SUBSCRIBE', 's2.ch'));
      log(1, await p!.call('PUBLISH', 's2.ch', 'push one'));
      log(0, await a!.read());
      log(0, await a!.call('SET', 'k', 'v'));
      log(0, await a!.call('GET', 'k'));
      log(1, await p!.call('PUBLISH', 's2.ch', 'push two'));
      log(0, await a!.read());
      log(0, await a!.call('PING'));
    }));

  test('messages from one publisher arrive in order, pipelined or not', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, p], log) => {
      log(0, await a!.call('SUBSCRIBE', 's3.seq'));
      const batch: Buffer[] = [];
      for (let i = 0; i < 200; i++) batch.push(RawClient.encode(['PUBLISH', 's3.seq', `m${i}`]));
      p!.write(Buffer.concat(batch));
      for (let i = 0; i < 200; i++) await p!.read();
      for (let i = 0; i < 200; i++) log(0, await a!.read());
    }));

  test('shard channels are separate from channels; SPUBLISH ignores patterns', () =>
    sameOnBoth(redis, redoubt, 3, async ([a, b, p], log) => {
      log(0, await a!.call('SSUBSCRIBE', 's4.x'));
      log(1, await b!.call('SUBSCRIBE', 's4.x'));
      log(1, await b!.call('PSUBSCRIBE', 's4.*'));
      log(2, await p!.call('SPUBLISH', 's4.x', 'sharded'));
      log(0, await a!.read());
      log(2, await p!.call('PUBLISH', 's4.x', 'plain'));
      log(1, await b!.read());
      log(1, await b!.read());
      log(2, await p!.call('PUBSUB', 'SHARDNUMSUB', 's4.x'));
      log(2, await p!.call('PUBSUB', 'NUMSUB', 's4.x'));
      log(2, await p!.call('PUBSUB', 'SHARDCHANNELS', 's4.*'));
    }));

  test('disconnect and RESET remove subscriptions', () =>
    sameOnBoth(redis, redoubt, 4, async ([a, b, c, p], log) => {
      log(0, await a!.call('SUBSCRIBE', 's5.ch'));
      log(1, await b!.call('SUBSCRIBE', 's5.ch'));
      log(2, await c!.call('PSUBSCRIBE', 's5.*'));
      log(3, await p!.call('PUBSUB', 'NUMSUB', 's5.ch'));
      log(3, await p!.call('PUBLISH', 's5.ch', 'all three'));
      for (const [i, x] of [a!, b!, c!].entries()) log(i, await x.read());
      a!.close();
      log(1, await b!.call('RESET'));
      log(2, await c!.call('RESET'));
      await sleep(50);
      log(3, await p!.call('PUBSUB', 'NUMSUB', 's5.ch'));
      log(3, await p!.call('PUBLISH', 's5.ch', 'nobody'));
      log(1, await b!.call('PING'));
    }));

  test('subscribers are pubsub clients in CLIENT LIST, with their counts', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, p], log) => {
      await a!.call('SUBSCRIBE', 's6.a', 's6.b');
      await a!.read();
      await a!.call('PSUBSCRIBE', 's6.*');
      await a!.call('SSUBSCRIBE', 's6.s');
      const fields = (line: string) => line.split(' ').filter((f) => /^(flags|sub|psub|ssub)=/.test(f)).join(' ');
      const list = await p!.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
      log(1, list.split('\n').filter((l) => l.includes('id=')).map(fields).join(' | '));
      const normal = await p!.call('CLIENT', 'LIST', 'TYPE', 'normal');
      log(1, `normal clients: ${normal.split('\n').filter((l) => l.includes('id=')).length}`);
      const info = await p!.call('INFO', 'stats');
      log(1, info.split('\r\n').filter((l) => l.startsWith('pubsub')).join(' '));
      // Leaving all channels at once lists them in Redis's hash order, which varies: name them.
      log(0, await a!.call('UNSUBSCRIBE', 's6.a', 's6.b'));
      log(0, await a!.read());
      log(0, await a!.call('PUNSUBSCRIBE'));
      const still = await p!.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
      log(1, still.split('\n').filter((l) => l.includes('id=')).map(fields).join(' | '));
      log(0, await a!.call('SUNSUBSCRIBE'));
      const after = await p!.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
      log(1, `pubsub clients: ${after.split('\n').filter((l) => l.includes('id=')).length}`);
      log(0, await a!.call('GET', 'k'));
    }));

  test('CLIENT REPLY OFF silences replies, not messages', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, p], log) => {
      await a!.call('HELLO', '3');
      send(a!, 'CLIENT', 'REPLY', 'OFF');
      send(a!, 'SUBSCRIBE', 's7.ch');
      log(0, await a!.read());
      log(1, await p!.call('PUBLISH', 's7.ch', 'still delivered'));
      log(0, await a!.read());
      log(0, await a!.call('CLIENT', 'REPLY', 'ON'));
    }));

  test('ACL channel rules: &news* allows news.x, refuses others, patterns match literally (as Redis 7.2)', () =>
    sameOnBoth(valkey, redoubt, 2, async ([admin, u], log) => {
      await admin!.call('ACL', 'SETUSER', 'pslimited', 'on', '>pw', '+@all', '~*', 'resetchannels', '&news*');
      log(1, await u!.call('AUTH', 'pslimited', 'pw'));
      log(1, await u!.call('PUBLISH', 'news.x', 'ok'));
      log(1, await u!.call('PUBLISH', 'other', 'no'));
      log(1, await u!.call('SPUBLISH', 'other', 'no'));
      log(1, await u!.call('SUBSCRIBE', 'other'));
      log(1, await u!.call('SUBSCRIBE', 'news.a', 'other'));
      log(1, await u!.call('PSUBSCRIBE', 'new*'));
      log(1, await u!.call('SSUBSCRIBE', 'other'));
      log(1, await u!.call('SUBSCRIBE', 'news.x'));
      log(1, await u!.call('PSUBSCRIBE', 'news*'));
      log(1, await u!.call('SSUBSCRIBE', 'news.s'));
      log(1, await u!.call('UNSUBSCRIBE', 'whatever'));
      log(0, await admin!.call('ACL', 'DELUSER', 'pslimited'));
    }));

  test('ACL SETUSER closes subscribers who lose a channel, and only them', () =>
    sameOnBoth(redis, redoubt, 4, async ([admin, a, b, c], log) => {
      await admin!.call('ACL', 'SETUSER', 'psrev', 'on', '>pw', '+@all', '~*', 'resetchannels', '&news.*', '&sport.*');
      for (const x of [a!, b!, c!]) await x.call('AUTH', 'psrev', 'pw');
      log(1, await a!.call('SUBSCRIBE', 'news.today'));
      log(2, await b!.call('PSUBSCRIBE', 'sport.*'));
      log(3, await c!.call('SSUBSCRIBE', 'sport.f1'));
      // Adding a channel takes nothing away: everyone stays.
      log(0, await admin!.call('ACL', 'SETUSER', 'psrev', '&weather'));
      log(1, await a!.call('PING'));
      // sport.* goes: the pattern subscriber and the shard subscriber lose their channel.
      log(0, await admin!.call('ACL', 'SETUSER', 'psrev', 'resetchannels', '&news.*', '&weather'));
      log(1, await a!.call('PING'));
      log(2, await b!.read(1000));
      log(3, await c!.read(1000));
      log(0, await admin!.call('PUBSUB', 'NUMPAT'));
      log(0, await admin!.call('ACL', 'SETUSER', 'psrev', 'resetchannels'));
      log(1, await a!.read(1000));
      log(0, await admin!.call('ACL', 'DELUSER', 'psrev'));
    }));

  test('a subscriber that stops reading is cut by the pubsub output-buffer limit', () =>
    sameOnBoth(redis, redoubt, 3, async ([admin, slow, p], log) => {
      log(0, await admin!.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 512kb 60'));
      log(1, await slow!.call('SUBSCRIBE', 's8.flood'));
      slow!.socket.pause();
      const payload = 'x'.repeat(256 * 1024);
      // Far more than the kernel's socket buffers hold, so the excess waits in the server.
      for (let i = 0; i < 160; i++) {
        const n = await p!.call('PUBLISH', 's8.flood', payload);
        if (n === ':0\r\n') break;
      }
      await sleep(100);
      log(2, await p!.call('PUBSUB', 'NUMSUB', 's8.flood'));
      const list = await admin!.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
      log(0, `pubsub clients left: ${list.split('\n').filter((l) => l.includes('id=')).length}`);
      log(0, await admin!.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60'));
    }));
});

for (const target of targets) {
  describe(`pub/sub with real clients against ${target.name}`, { timeout: 60000 }, () => {
    let server: RunningServer;
    before(async () => {
      server = await target.start();
    });
    after(() => server.stop());

    function ioredis(): Redis {
      const r = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => {});
      return r;
    }

    test('ioredis: subscribe, psubscribe, publish, unsubscribe', async () => {
      const sub = ioredis();
      const pub = ioredis();
      try {
        const got: string[] = [];
        sub.on('message', (ch: string, msg: string) => got.push(`message ${ch} ${msg}`));
        sub.on('pmessage', (pat: string, ch: string, msg: string) => got.push(`pmessage ${pat} ${ch} ${msg}`));
        assert.equal(await sub.subscribe('io.news', 'io.sport'), 2);
        assert.equal(await sub.psubscribe('io.n*'), 3);
        assert.equal(await pub.publish('io.news', 'hello'), 2);
        assert.equal(await pub.publish('io.sport', 'goal'), 1);
        assert.equal(await pub.publish('io.none', 'x'), 1);
        await sleep(50);
        assert.deepEqual(got, ['message io.news hello', 'pmessage io.n* io.news hello', 'message io.sport goal', 'pmessage io.n* io.none x']);
        assert.deepEqual(await pub.pubsub('NUMSUB', 'io.news', 'io.sport'), ['io.news', 1, 'io.sport', 1]);
        assert.equal(await pub.pubsub('NUMPAT'), 1);
        assert.equal(await sub.unsubscribe('io.news', 'io.sport'), 1);
        assert.equal(await sub.punsubscribe('io.n*'), 0);
        assert.equal(await pub.publish('io.news', 'gone'), 0);
        // Out of subscribed mode, the connection takes ordinary commands again.
        assert.equal(await sub.set('io.k', 'v'), 'OK');
      } finally {
        sub.disconnect();
        pub.disconnect();
      }
    });

    test('ioredis: shard channels with ssubscribe and spublish', async () => {
      const sub = ioredis();
      const pub = ioredis();
      try {
        const got: string[] = [];
        sub.on('smessage', (ch: string, msg: string) => got.push(`${ch} ${msg}`));
        assert.equal(await sub.ssubscribe('io.shard'), 1);
        assert.equal(await pub.spublish('io.shard', 'a'), 1);
        assert.equal(await pub.publish('io.shard', 'not shard'), 0);
        await sleep(50);
        assert.deepEqual(got, ['io.shard a']);
        assert.deepEqual(await pub.pubsub('SHARDCHANNELS', 'io.*'), ['io.shard']);
      } finally {
        sub.disconnect();
        pub.disconnect();
      }
    });

    for (const RESP of [2, 3] as const) {
      test(`node-redis RESP${RESP}: subscribe, pSubscribe, sSubscribe and ordering`, async () => {
        const pub = createClient({ RESP, socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false } });
        const sub = pub.duplicate();
        await Promise.all([pub.connect(), sub.connect()]);
        try {
          const got: string[] = [];
          await sub.subscribe('nr.ch', (msg, ch) => got.push(`${ch}:${msg}`));
          await sub.pSubscribe('nr.p*', (msg, ch) => got.push(`p ${ch}:${msg}`));
          await sub.sSubscribe('nr.s', (msg, ch) => got.push(`s ${ch}:${msg}`));
          for (let i = 0; i < 50; i++) assert.equal(await pub.publish('nr.ch', `m${i}`), 1);
          assert.equal(await pub.publish('nr.pat', 'via pattern'), 1);
          assert.equal(await pub.sPublish('nr.s', 'sharded'), 1);
          await sleep(100);
          assert.deepEqual(got, [...Array.from({ length: 50 }, (_, i) => `nr.ch:m${i}`), 'p nr.pat:via pattern', 's nr.s:sharded']);
          assert.deepEqual(await pub.pubSubNumSub(['nr.ch']), { 'nr.ch': 1 });
          await sub.unsubscribe('nr.ch');
          await sub.pUnsubscribe();
          await sub.sUnsubscribe();
          assert.equal(await pub.publish('nr.ch', 'gone'), 0);
          // Typed as a string, but in RESP2 node-redis hands back a Buffer on a connection that was subscribed.
          const pong: unknown = await sub.ping();
          assert.equal(Buffer.isBuffer(pong) ? pong.toString('latin1') : pong, 'PONG');
        } finally {
          sub.destroy();
          pub.destroy();
        }
      });
    }

    test('100 subscribers all receive every message, in order', async () => {
      const subs = Array.from({ length: 100 }, () => ioredis());
      const pub = ioredis();
      try {
        const got = subs.map(() => [] as string[]);
        subs.forEach((s, i) => s.on('message', (_ch: string, msg: string) => got[i]!.push(msg)));
        await Promise.all(subs.map((s) => s.subscribe('fan.out')));
        const expected: string[] = [];
        for (let i = 0; i < 20; i++) {
          expected.push(`msg-${i}`);
          assert.equal(await pub.publish('fan.out', `msg-${i}`), 100);
        }
        const deadline = Date.now() + 3000;
        while (got.some((g) => g.length < 20) && Date.now() < deadline) await sleep(20);
        for (const g of got) assert.deepEqual(g, expected);
      } finally {
        for (const s of subs) s.disconnect();
        pub.disconnect();
      }
    });

    test('a subscriber that keeps reading is not cut by a low pubsub limit', async () => {
      const admin = ioredis();
      const sub = ioredis();
      try {
        await admin.config('SET', 'client-output-buffer-limit', 'pubsub 1mb 512kb 60');
        let received = 0;
        sub.on('message', () => received++);
        await sub.subscribe('steady');
        const payload = 'y'.repeat(64 * 1024);
        for (let i = 0; i < 100; i++) {
          assert.equal(await admin.publish('steady', payload), 1);
          if (i % 4 === 3) await sleep(5);
        }
        const deadline = Date.now() + 3000;
        while (received < 100 && Date.now() < deadline) await sleep(20);
        assert.equal(received, 100);
      } finally {
        await admin.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
        sub.disconnect();
        admin.disconnect();
      }
    });
  });
}
