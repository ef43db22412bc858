// Transactions across clients: WATCH invalidated by other clients' writes, expiry, FLUSHALL and
// SWAPDB; optimistic locking under contention; blocked clients served after EXEC; CLIENT PAUSE and
// CLIENT LIST. Multi-client scenarios run against redis-server and Redoubt with replies compared.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { sameOnBoth, send, sleep } from './helpers/scenario.js';

const { redis, redoubt } = useServerPair();

/** One client's line of CLIENT LIST, as field → value. */
function clientFields(list: string, id: string): Map<string, string> {
  const line = list.split('\n').find((l) => l.startsWith(`id=${id} `));
  assert.ok(line, `client ${id} in CLIENT LIST`);
  return new Map(line.split(' ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as [string, string]));
}

describe('transactions against redis-server', () => {
  test("another client's write fails the EXEC; a read does not", () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await a!.call('SET', 'k', '1');
      log(0, await a!.call('WATCH', 'k'));
      log(1, await b!.call('GET', 'k'));
      log(0, await a!.call('MULTI'));
      log(0, await a!.call('INCR', 'k'));
      log(0, await a!.call('EXEC'));
      log(0, await a!.call('WATCH', 'k'));
      log(0, await a!.call('MULTI'));
      log(0, await a!.call('INCR', 'k'));
      // A write after MULTI, before EXEC, counts too.
      log(1, await b!.call('SET', 'k', '10'));
      log(0, await a!.call('EXEC'));
      log(0, await a!.call('GET', 'k'));
    }));

  test('FLUSHALL, FLUSHDB and SWAPDB from another client', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await a!.call('SET', 'k', '1');
      await a!.call('WATCH', 'k', 'missing');
      log(1, await b!.call('FLUSHALL'));
      await a!.call('MULTI');
      await a!.call('PING');
      log(0, await a!.call('EXEC'));
      await a!.call('WATCH', 'missing');
      log(1, await b!.call('FLUSHDB'));
      await a!.call('MULTI');
      await a!.call('PING');
      log(0, await a!.call('EXEC'));
      await b!.call('SELECT', '5');
      await b!.call('SET', 'k', 'in five');
      await a!.call('WATCH', 'k');
      log(1, await b!.call('SWAPDB', '0', '5'));
      await a!.call('MULTI');
      await a!.call('GET', 'k');
      log(0, await a!.call('EXEC'));
      await b!.call('FLUSHALL');
    }));

  test('a key that expires while watched fails the EXEC', () =>
    sameOnBoth(redis, redoubt, 1, async ([a], log) => {
      await a!.call('SET', 'k', 'v', 'PX', '50');
      log(0, await a!.call('WATCH', 'k'));
      await sleep(150);
      await a!.call('MULTI');
      await a!.call('SET', 'k', 'mine');
      log(0, await a!.call('EXEC'));
      log(0, await a!.call('GET', 'k'));
    }));

  test('a BLPOP waiter is served by a push inside MULTI only once EXEC runs', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      send(a!, 'BLPOP', 'q', '0');
      await sleep(50);
      log(1, await b!.call('MULTI'));
      log(1, await b!.call('LPUSH', 'q', 'x'));
      log(1, await b!.call('LPUSH', 'q', 'y'));
      await sleep(50);
      log(0, a!.unread.length === 0 ? '<nothing yet>' : a!.unread);
      log(1, await b!.call('EXEC'));
      log(0, await a!.read());
      log(1, await b!.call('LRANGE', 'q', '0', '-1'));
    }));

  test('a push and a pop in the same EXEC leave nothing for the waiter', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      send(a!, 'BLPOP', 'q', '0.3');
      await sleep(50);
      await b!.call('MULTI');
      await b!.call('RPUSH', 'q', 'x');
      await b!.call('LPOP', 'q');
      log(1, await b!.call('EXEC'));
      log(0, await a!.read());
    }));

  test('EXEC with writes waits out CLIENT PAUSE WRITE; a read-only EXEC does not', () =>
    sameOnBoth(redis, redoubt, 2, async ([a, b], log) => {
      await a!.call('MULTI');
      await a!.call('GET', 'k');
      log(1, await b!.call('CLIENT', 'PAUSE', '300', 'WRITE'));
      log(0, await a!.call('EXEC'));
      await b!.call('CLIENT', 'UNPAUSE');
      await a!.call('MULTI');
      await a!.call('SET', 'k', '1');
      log(1, await b!.call('CLIENT', 'PAUSE', '10000', 'WRITE'));
      send(a!, 'EXEC');
      await sleep(100);
      log(0, a!.unread.length === 0 ? '<held>' : a!.unread);
      log(1, await b!.call('GET', 'k'));
      log(1, await b!.call('CLIENT', 'UNPAUSE'));
      log(0, await a!.read());
      log(1, await b!.call('GET', 'k'));
    }));

  test('CLIENT LIST shows the transaction: flags x and d, multi and multi-mem', async () => {
    for (const server of [redis, redoubt]) {
      const [a, b] = await Promise.all([RawClient.connect(server.port), RawClient.connect(server.port)]);
      try {
        await a.call('FLUSHALL');
        const id = (await a.call('CLIENT', 'ID')).slice(1).trim();
        let f = clientFields(await b.call('CLIENT', 'LIST'), id);
        assert.deepEqual([f.get('flags'), f.get('multi'), f.get('multi-mem')], ['N', '-1', '0']);
        await a.call('WATCH', 'k');
        await a.call('MULTI');
        await a.call('SET', 'foo', 'barbaz');
        await a.call('PING');
        f = clientFields(await b.call('CLIENT', 'LIST'), id);
        assert.deepEqual([f.get('flags'), f.get('multi'), f.get('multi-mem'), f.get('cmd')], ['x', '2', '48', 'ping'], `port ${server.port}`);
        await b.call('SET', 'k', '1');
        await a.call('PING');
        f = clientFields(await b.call('CLIENT', 'LIST'), id);
        // A doomed transaction stores nothing more.
        assert.deepEqual([f.get('flags'), f.get('multi'), f.get('multi-mem')], ['xd', '2', '48'], `port ${server.port}`);
        assert.equal(await a.call('EXEC'), '*-1\r\n');
        f = clientFields(await b.call('CLIENT', 'LIST'), id);
        assert.deepEqual([f.get('flags'), f.get('multi'), f.get('multi-mem')], ['N', '-1', '0']);
      } finally {
        a.close();
        b.close();
      }
    }
  });

  test('EXEC is not counted failed for the errors of the commands it ran; EXECABORT is', async () => {
    const stats = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      try {
        await c.call('CONFIG', 'RESETSTAT');
        await c.call('SET', 'str', 'x');
        await c.call('MULTI');
        await c.call('LPUSH', 'str', 'y');
        await c.call('INCR', 'str');
        await c.call('EXEC');
        await c.call('MULTI');
        await c.call('NOSUCH');
        await c.call('EXEC');
        const info = await c.call('INFO', 'commandstats');
        return info
          .split('\r\n')
          .filter((l) => /^cmdstat_(exec|lpush|incr|multi):/.test(l))
          .map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, ''))
          .sort();
      } finally {
        c.close();
      }
    };
    const expected = await stats(redis.port);
    assert.deepEqual(await stats(redoubt.port), expected);
    assert.ok(expected.some((l) => l.startsWith('cmdstat_exec:calls=2,rejected_calls=0,failed_calls=1')));
  });

  test("ACL LOG records a command refused while queueing in context 'multi'", async () => {
    for (const server of [redis, redoubt]) {
      const c = await RawClient.connect(server.port);
      try {
        await c.call('ACL', 'LOG', 'RESET');
        await c.call('ACL', 'SETUSER', 'txlog', 'on', 'nopass', '+@all', '-get', '~*');
        await c.call('AUTH', 'txlog', 'x');
        await c.call('MULTI');
        assert.match(await c.call('GET', 'k'), /^-NOPERM/);
        assert.match(await c.call('EXEC'), /^-EXECABORT/);
        await c.call('AUTH', 'default', 'x');
        const log = await c.call('ACL', 'LOG');
        assert.match(log, /\$7\r\ncontext\r\n\$5\r\nmulti\r\n\$6\r\nobject\r\n\$3\r\nget\r\n/, `port ${server.port}`);
        await c.call('ACL', 'DELUSER', 'txlog');
      } finally {
        c.close();
      }
    }
  });
});

describe('transactions with real clients', () => {
  test('ioredis: watch / multi / exec, aborted by another client', async () => {
    const a = new Redis({ port: redoubt.port });
    const b = new Redis({ port: redoubt.port });
    try {
      await a.flushall();
      await a.set('balance', '100');
      await a.watch('balance');
      const seen = Number(await a.get('balance'));
      await b.decrby('balance', 30);
      const aborted = await a.multi().set('balance', String(seen - 10)).exec();
      assert.equal(aborted, null);
      assert.equal(await a.get('balance'), '70');
      await a.watch('balance');
      const ok = await a.multi().decrby('balance', 10).get('balance').exec();
      assert.deepEqual(ok, [
        [null, 60],
        [null, '60'],
      ]);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  test('ioredis: WATCH of a key with PX 50 fails the EXEC once it expired', async () => {
    const a = new Redis({ port: redoubt.port });
    try {
      await a.set('lease', 'me', 'PX', 50);
      await a.watch('lease');
      await sleep(120);
      assert.equal(await a.multi().set('lease', 'renewed').exec(), null);
      assert.equal(await a.get('lease'), null);
    } finally {
      a.disconnect();
    }
  });

  test('ioredis: FLUSHALL and SWAPDB by another client fail the watcher', async () => {
    const a = new Redis({ port: redoubt.port });
    const b = new Redis({ port: redoubt.port });
    try {
      await a.flushall();
      await a.set('k', '1');
      await a.watch('k');
      await b.flushall();
      assert.equal(await a.multi().set('k', '2').exec(), null);
      await b.select(3);
      await b.set('k', 'three');
      await a.watch('k');
      await b.swapdb(0, 3);
      assert.equal(await a.multi().get('k').exec(), null);
      assert.equal(await a.get('k'), 'three');
      await a.flushall();
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  test('optimistic locking: 10 clients incrementing with WATCH/MULTI/EXEC retries end exactly right', async () => {
    const setup = new Redis({ port: redoubt.port });
    await setup.flushall();
    await setup.set('counter', '0');
    const perClient = 25;
    const clients = Array.from({ length: 10 }, () => new Redis({ port: redoubt.port }));
    let retries = 0;
    try {
      await Promise.all(
        clients.map(async (r) => {
          for (let i = 0; i < perClient; i++) {
            for (;;) {
              await r.watch('counter');
              const v = Number(await r.get('counter'));
              // Yield so that the others interleave between our read and our EXEC.
              await sleep(Math.random() * 2);
              const res = await r.multi().set('counter', String(v + 1)).exec();
              if (res !== null) break;
              retries++;
            }
          }
        }),
      );
      assert.equal(await setup.get('counter'), String(10 * perClient));
      assert.ok(retries > 0, 'the clients did contend');
    } finally {
      setup.disconnect();
      for (const r of clients) r.disconnect();
    }
  });

  test('node-redis: multi().exec(), and a WatchError when a watched key changed', async () => {
    const a = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } });
    const b = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.flushAll();
      const replies = await a.multi().set('x', '1').incr('x').lPush('l', ['a', 'b']).hSet('h', 'f', 'v').hGetAll('h').exec();
      assert.deepEqual(replies, ['OK', 2, 2, 1, { f: 'v' }]);
      await a.watch('x');
      await b.set('x', 'changed');
      await assert.rejects(a.multi().incr('x').exec(), (err: Error) => err.constructor.name === 'WatchError');
      assert.equal(await a.get('x'), 'changed');
      // A runtime error inside EXEC comes back in its place; the other commands ran.
      await assert.rejects(a.multi().set('s', 'text').incr('s').set('t', '1').exec(), (err: Error) => {
        const { replies, errorIndexes } = err as Error & { replies: unknown[]; errorIndexes: number[] };
        assert.deepEqual(errorIndexes, [1]);
        assert.equal(replies[0], 'OK');
        assert.equal(replies[2], 'OK');
        return true;
      });
      assert.equal(await a.get('t'), '1');
    } finally {
      await Promise.all([a.quit(), b.quit()]);
    }
  });
});
