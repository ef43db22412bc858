// Functions through real clients: node-redis's functionLoad/fCall and its `functions` option,
// ioredis's FCALL/FCALL_RO, FUNCTION DUMP payloads restored from redis-server into Redoubt and
// back, ACL rules inside a function's redis.call, and INFO's function counters.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient, type CommandParser } from 'redis';
import { useServerPair, useValkey } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { errorMessage } from './helpers/rejection.js';

const { redis, redoubt } = useServerPair();

const COUNTER = `#!lua name=counter
local function bump(keys, args)
  return redis.call('INCRBY', keys[1], args[1] or 1)
end
local function peek(keys)
  return tonumber(redis.call('GET', keys[1]) or '0')
end
redis.register_function('bump', bump)
redis.register_function{function_name = 'peek', callback = peek, flags = {'no-writes'}, description = 'reads the counter'}
`;

const servers = (): [string, number][] => [
  ['redis', redis.port],
  ['redoubt', redoubt.port],
];

describe('functions with node-redis', () => {
  for (const which of ['redis', 'redoubt'] as const) {
    test(`functionLoad, fCall, fCallRo and the functions option [${which}]`, async () => {
      const p = which === 'redis' ? redis.port : redoubt.port;
      const client = createClient({
        socket: { port: p },
        functions: {
          counter: {
            bump: {
              NUMBER_OF_KEYS: 1,
              parseCommand(parser: CommandParser, key: string, by: number) {
                parser.pushKey(key);
                parser.push(String(by));
              },
              transformReply: (reply: unknown) => reply as number,
            },
          },
        },
      });
      await client.connect();
      try {
        await client.flushAll();
        await client.functionFlush();
        assert.equal(await client.functionLoad(COUNTER), 'counter');
        await assert.rejects(client.functionLoad(COUNTER), /Library 'counter' already exists/);
        assert.equal(await client.functionLoad(COUNTER, { REPLACE: true }), 'counter');
        assert.equal(await client.fCall('bump', { keys: ['n'], arguments: ['5'] }), 5);
        assert.equal(await client.counter.bump('n', 2), 7);
        assert.equal(await client.fCallRo('peek', { keys: ['n'] }), 7);
        await assert.rejects(client.fCallRo('bump', { keys: ['n'] }), /Can not execute a script with write flag using \*_ro command/);
        const list = await client.functionList();
        assert.equal(list.length, 1);
        assert.equal(list[0]!.library_name, 'counter');
        const peek = list[0]!.functions.find((f) => f.name === 'peek');
        assert.equal(peek?.description, 'reads the counter');
        assert.deepEqual([...peek.flags], ['no-writes']);
      } finally {
        await client.functionFlush();
        client.destroy();
      }
    });
  }
});

describe('functions with ioredis', () => {
  test('FCALL and FCALL_RO reply alike on both servers, errors included', async () => {
    const results: unknown[] = [];
    for (const [, port] of servers()) {
      const r = new Redis({ port, lazyConnect: true });
      await r.connect();
      try {
        await r.flushall();
        await r.function('FLUSH');
        await r.function('LOAD', COUNTER);
        const got: unknown[] = [];
        got.push(await r.fcall('bump', 1, 'c', 3));
        got.push(await r.fcall_ro('peek', 1, 'c'));
        got.push(await r.fcall_ro('bump', 1, 'c').catch(errorMessage));
        got.push(await r.fcall('nosuch', 0).catch(errorMessage));
        got.push(await r.fcall('bump', 1, 'c', 'x').catch(errorMessage));
        got.push(await r.function('STATS'));
        results.push(got);
      } finally {
        await r.function('FLUSH');
        r.disconnect();
      }
    }
    assert.deepEqual(results[1], results[0]);
    const ours = results[1] as unknown[];
    assert.equal(ours[0], 3);
    assert.equal(ours[2], 'ERR Can not execute a script with write flag using *_ro command.');
    assert.equal(ours[3], 'ERR Function not found');
    assert.match(String(ours[4]), /^ERR value is not an integer or out of range script: bump, on @user_function:3\.$/);
  });
});

describe('FUNCTION DUMP and RESTORE between redis-server and Redoubt', () => {
  const LONG = `${COUNTER}-- ${'padding '.repeat(40)}\n`;

  async function dumpOf(port: number): Promise<Buffer> {
    const r = new Redis({ port, lazyConnect: true });
    await r.connect();
    try {
      return await r.callBuffer('FUNCTION', 'DUMP') as Buffer;
    } finally {
      r.disconnect();
    }
  }

  async function restoreAndCall(port: number, payload: Buffer): Promise<unknown[]> {
    const r = new Redis({ port, lazyConnect: true });
    await r.connect();
    try {
      await r.flushall();
      assert.equal(await r.call('FUNCTION', 'RESTORE', payload, 'FLUSH'), 'OK');
      const list = (await r.function('LIST', 'WITHCODE')) as unknown[][];
      // Functions inside a library list in Redis's hash order: compare the code, not the order.
      return [await r.fcall('bump', 1, 'k', 4), list.length, list[0]?.[7]];
    } finally {
      r.disconnect();
    }
  }

  for (const code of [COUNTER, LONG]) {
    test(`payloads are byte-identical and load on the other side (${code.length} bytes of code)`, async () => {
      for (const [, port] of servers()) {
        const r = new Redis({ port, lazyConnect: true });
        await r.connect();
        await r.function('FLUSH');
        await r.function('LOAD', code);
        r.disconnect();
      }
      const fromRedis = await dumpOf(redis.port);
      const fromUs = await dumpOf(redoubt.port);
      assert.deepEqual(fromUs, fromRedis);
      // Each side's payload into the other, then dumped again: nothing changes on the way.
      const a = await restoreAndCall(redoubt.port, fromRedis);
      const b = await restoreAndCall(redis.port, fromUs);
      assert.deepEqual(a, b);
      assert.equal(a[0], 4);
      assert.deepEqual(await dumpOf(redoubt.port), fromRedis);
      assert.deepEqual(await dumpOf(redis.port), fromUs);
    });
  }
});

describe('ACL rules inside functions', () => {
  // Redis 7.2's ACL texts, which valkey-server 8.0 has.
  const valkey = useValkey();
  test('a command the caller may not run is refused inside the function, as in Redis 7.2', async () => {
    const replies: string[][] = [];
    for (const port of [valkey.port, redoubt.port]) {
      const admin = await RawClient.connect(port);
      const user = await RawClient.connect(port);
      try {
        await admin.call('FUNCTION', 'FLUSH');
        await admin.call('ACL', 'SETUSER', 'fnuser', 'on', '>pw', '~allowed:*', '+@all', '-set');
        await admin.call('FUNCTION', 'LOAD', "#!lua name=acl\nredis.register_function('setk', function(keys) return redis.call('SET', keys[1], 'v') end)\nredis.register_function('getk', function(keys) return redis.pcall('GET', keys[1]) end)");
        await user.call('AUTH', 'fnuser', 'pw');
        replies.push([
          await user.call('FCALL', 'setk', '1', 'allowed:a'),
          await user.call('FCALL', 'getk', '1', 'other'),
          await user.call('FCALL', 'getk', '1', 'allowed:b'),
          await admin.call('EXISTS', 'allowed:a'),
        ]);
      } finally {
        await admin.call('ACL', 'DELUSER', 'fnuser');
        await admin.call('FUNCTION', 'FLUSH');
        admin.close();
        user.close();
      }
    }
    assert.deepEqual(replies[1], replies[0]);
    assert.match(replies[1]![0]!, /^-ERR ACL failure in script: User fnuser has no permissions to run the 'set' command script: setk, on @user_function:2\.\r\n$/);
    // The key named in FCALL is checked before the function runs, as any command's keys are.
    assert.match(replies[1]![1]!, /^-NOPERM No permissions to access a key/);
    assert.equal(replies[1]![2], '$-1\r\n');
    assert.equal(replies[1]![3], ':0\r\n');
  });
});

describe('INFO and FUNCTION STATS count libraries and functions', () => {
  test('number_of_functions and number_of_libraries follow LOAD, DELETE and FLUSH', async () => {
    const c = await RawClient.connect(redoubt.port);
    try {
      const field = async (name: string): Promise<string> => {
        const info = await c.call('INFO', 'memory');
        return new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 'missing';
      };
      await c.call('FUNCTION', 'FLUSH');
      assert.equal(await field('number_of_functions'), '0');
      await c.call('FUNCTION', 'LOAD', COUNTER);
      await c.call('FUNCTION', 'LOAD', "#!lua name=other\nredis.register_function('o', function() return 1 end)");
      assert.equal(await field('number_of_functions'), '3');
      assert.equal(await field('number_of_libraries'), '2');
      assert.ok(Number(await field('used_memory_vm_functions')) > 0);
      await c.call('FUNCTION', 'DELETE', 'counter');
      assert.equal(await field('number_of_functions'), '1');
      assert.equal(await field('number_of_libraries'), '1');
      await c.call('FUNCTION', 'FLUSH');
      assert.equal(await field('number_of_libraries'), '0');
      assert.equal(await field('used_memory_vm_functions'), '0');
    } finally {
      c.close();
    }
  });
});
