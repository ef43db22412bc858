// Real clients doing real work: ioredis, node-redis (RESP2 and RESP3) and redis-cli. Every client
// test runs against the real redis-server 7.0 as well as Redoubt, so the expectations written here
// are checked against Redis itself; redis-cli's printed output must be identical on both.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { startRedis, startRedoubt, useServerPair, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const targets = [
  { name: 'redis-server', start: startRedis },
  { name: 'redoubt', start: startRedoubt },
] as const;

/** The message of a rejected promise. */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  assert.fail('expected the command to fail');
}

/** node-redis as an application would configure it, failing fast instead of reconnecting. */
function nodeClient(port: number, db: number, RESP: 2 | 3) {
  return createClient({ url: `redis://127.0.0.1:${port}/${db}`, RESP, name: 'node-tester', socket: { reconnectStrategy: false } });
}
type NodeClient = ReturnType<typeof nodeClient>;

async function flushall(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
  } finally {
    c.close();
  }
}

for (const target of targets) {
  describe(`ioredis against ${target.name}`, () => {
    let server: RunningServer;
    const clients: Redis[] = [];
    before(async () => {
      server = await target.start();
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await server.stop();
    });

    /** A client as an application would configure it, failing fast instead of reconnecting. */
    async function connect(opts: { db?: number; connectionName?: string } = {}): Promise<Redis> {
      const r = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...opts });
      r.on('error', () => {});
      clients.push(r);
      await r.connect();
      return r;
    }

    test('connects (its ready check runs INFO) and runs PING and ECHO', async () => {
      const r = await connect();
      assert.equal(await r.ping(), 'PONG');
      assert.equal(await r.ping('hello'), 'hello');
      assert.equal(await r.echo('héllo wörld'), 'héllo wörld');
    });

    test('strings: SET/GET/INCR/MGET/DEL/EXPIRE/TTL', async () => {
      const r = await connect();
      await r.flushall();
      assert.equal(await r.set('greeting', 'hello'), 'OK');
      assert.equal(await r.get('greeting'), 'hello');
      assert.equal(await r.get('missing'), null);
      assert.equal(await r.set('greeting', 'again', 'NX'), null);
      assert.equal(await r.set('fresh', 'v', 'EX', 100, 'NX'), 'OK');
      assert.equal(await r.incr('counter'), 1);
      assert.equal(await r.incrby('counter', 41), 42);
      assert.equal(await r.decr('counter'), 41);
      assert.deepEqual(await r.mget('greeting', 'missing', 'counter'), ['hello', null, '41']);
      assert.equal(await r.ttl('greeting'), -1);
      assert.equal(await r.ttl('missing'), -2);
      assert.equal(await r.expire('greeting', 1000), 1);
      assert.equal(await r.ttl('greeting'), 1000);
      assert.equal(await r.del('greeting', 'missing', 'counter'), 2);
      assert.equal(await r.exists('greeting', 'fresh'), 1);
      assert.equal(await r.append('fresh', '++'), 3);
      assert.equal(await r.strlen('fresh'), 3);
    });

    test('binary values survive a round trip', async () => {
      const r = await connect();
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      assert.equal(await r.set(bytes, bytes), 'OK');
      const back = await r.getBuffer(bytes);
      assert.ok(back !== null && back.equals(bytes));
    });

    test('errors carry Redis\'s text', async () => {
      const r = await connect();
      await r.set('text', 'abc');
      assert.equal(await rejection(r.incr('text')), 'ERR value is not an integer or out of range');
      assert.equal(await rejection(r.call('NOSUCHCOMMAND', 'x')), "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ");
      assert.equal(await rejection(r.call('GET')), "ERR wrong number of arguments for 'get' command");
    });

    test('a pipeline of 1,000 commands', async () => {
      const r = await connect();
      const p = r.pipeline();
      for (let i = 0; i < 500; i++) p.set(`p:${i}`, String(i)).get(`p:${i}`);
      const results = await p.exec();
      assert.ok(results !== null);
      assert.equal(results.length, 1000);
      for (let i = 0; i < 500; i++) {
        assert.deepEqual(results[2 * i], [null, 'OK']);
        assert.deepEqual(results[2 * i + 1], [null, String(i)]);
      }
    });

    test('the db option selects a database', async () => {
      const r3 = await connect({ db: 3 });
      const r0 = await connect();
      await r0.del('only-in-3');
      await r3.set('only-in-3', 'x');
      assert.equal(await r3.get('only-in-3'), 'x');
      assert.equal(await r0.get('only-in-3'), null);
      await r3.del('only-in-3');
    });

    test('connectionName sets the client name; INFO and CONFIG GET', async () => {
      const r = await connect({ connectionName: 'app-worker-1' });
      assert.equal(await r.client('GETNAME'), 'app-worker-1');
      const list = (await r.client('LIST')) as string;
      assert.match(list, /name=app-worker-1 /);
      const info = await r.info('server');
      assert.match(info, /^# Server\r\n/);
      assert.match(info, /\r\nredis_version:7\.0\.\d+\r\n/);
      assert.deepEqual(await r.config('GET', 'maxclients'), ['maxclients', '10000']);
    });
  });

  for (const RESP of [2, 3] as const) {
    describe(`node-redis RESP${RESP} against ${target.name}`, () => {
      let server: RunningServer;
      before(async () => {
        server = await target.start();
      });
      after(() => server.stop());

      async function withClient(db: number, fn: (c: NodeClient) => Promise<void>): Promise<void> {
        const c = nodeClient(server.port, db, RESP);
        c.on('error', () => {});
        await c.connect();
        try {
          await fn(c);
        } finally {
          c.destroy();
        }
      }

      test('connects with a name and a database, PING, ECHO, HELLO', () =>
        withClient(2, async (c) => {
          assert.equal(await c.ping(), 'PONG');
          assert.equal(await c.echo('node'), 'node');
          const hello = await c.hello();
          assert.equal(hello.proto, RESP);
          assert.equal(hello.server, 'redis');
          assert.match(hello.version, /^7\.0\./);
          assert.equal(hello.mode, 'standalone');
          assert.equal(hello.role, 'master');
          assert.equal(await c.sendCommand(['CLIENT', 'GETNAME']), 'node-tester');
        }));

      test('strings and keyspace', () =>
        withClient(4, async (c) => {
          await c.flushDb();
          assert.equal(await c.set('k', 'v'), 'OK');
          assert.equal(await c.set('k', 'w', { condition: 'NX' }), null);
          assert.equal(await c.set('e', 'x', { expiration: { type: 'EX', value: 500 } }), 'OK');
          assert.equal(await c.get('k'), 'v');
          assert.equal(await c.incr('n'), 1);
          assert.equal(await c.incrBy('n', 9), 10);
          assert.deepEqual(await c.mGet(['k', 'nope', 'n']), ['v', null, '10']);
          assert.equal(await c.ttl('e'), 500);
          assert.equal(await c.expire('k', 60), 1);
          assert.equal(await c.ttl('k'), 60);
          assert.equal(await c.del(['k', 'n', 'nope']), 2);
          assert.equal(await c.exists('k'), 0);
          assert.equal(await c.dbSize(), 1);
        }));

      test('binary values with a Buffer type mapping', () =>
        withClient(0, async (c) => {
          const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
          const b = c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
          assert.equal(await b.echo(bytes).then((x) => Buffer.isBuffer(x) && x.equals(bytes)), true);
          await c.set(bytes, bytes);
          const back = await b.get(bytes);
          assert.ok(Buffer.isBuffer(back) && back.equals(bytes));
          await c.del(bytes);
        }));

      test('errors reject with Redis\'s text', () =>
        withClient(0, async (c) => {
          await c.set('s', 'abc');
          assert.equal(await rejection(c.incr('s')), 'ERR value is not an integer or out of range');
          assert.equal(await rejection(c.sendCommand(['SELECT', '99'])), 'ERR DB index is out of range');
        }));

      test('INFO, CONFIG GET and CLIENT SETNAME', () =>
        withClient(0, async (c) => {
          assert.match(await c.info('server'), /\r\nredis_mode:standalone\r\n/);
          assert.deepEqual(await c.configGet('maxclients'), { maxclients: '10000' });
          assert.equal(await c.clientSetName('renamed'), 'OK');
          assert.equal(await c.clientGetName(), 'renamed');
        }));
    });
  }
}

describe('redis-cli', () => {
  const { redis, redoubt } = useServerPair();

  function cli(port: number, args: readonly string[], stdin?: string | Buffer): Promise<{ stdout: string; code: number }> {
    return new Promise((resolve, reject) => {
      const child = execFile('redis-cli', ['-p', String(port), ...args], { encoding: 'latin1', timeout: 15000, maxBuffer: 16 << 20 }, (err, stdout) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        if (err !== null && typeof err.code !== 'number') reject(new Error(`redis-cli did not run: ${err.message}`, { cause: err }));
        else resolve({ stdout, code });
      });
      // redis-cli given a command may exit before it reads its input: a closed pipe is not a failure.
      child.stdin!.on('error', () => {});
      child.stdin!.end(stdin ?? '');
    });
  }

  /** Runs redis-cli against both servers (each freshly flushed) and requires the same output. */
  async function both(args: readonly string[], stdin?: string | Buffer, setup: readonly string[][] = []): Promise<string> {
    const outputs: { stdout: string; code: number }[] = [];
    for (const s of [redis, redoubt]) {
      await flushall(s.port);
      for (const cmd of setup) await cli(s.port, cmd);
      outputs.push(await cli(s.port, args, stdin));
    }
    assert.deepEqual(outputs[1], outputs[0], `redis-cli ${args.join(' ')}`);
    return outputs[1]!.stdout;
  }

  test('PING', async () => {
    assert.equal(await both(['PING']), 'PONG\n');
  });

  test('raw output by default when not on a terminal, quoted with --no-raw', async () => {
    assert.equal(await both(['ECHO', 'hello world']), 'hello world\n');
    assert.equal(await both(['--no-raw', 'ECHO', 'hello world']), '"hello world"\n');
    assert.equal(await both(['--no-raw', 'ECHO', 'tab\there']), '"tab\\there"\n');
    assert.equal(await both(['--no-raw', 'NOSUCH', 'x']), "(error) ERR unknown command 'NOSUCH', with args beginning with: 'x' \n");
  });

  test('--no-raw shows types: integer, nil, array', async () => {
    assert.equal(await both(['--no-raw', 'INCR', 'n']), '(integer) 1\n');
    assert.equal(await both(['--no-raw', 'GET', 'missing']), '(nil)\n');
    assert.equal(await both(['--no-raw', 'MGET', 'a', 'b'], undefined, [['SET', 'a', '1']]), '1) "1"\n2) (nil)\n');
  });

  test('commands read from stdin', async () => {
    assert.equal(await both([], 'SET a b\n'), 'OK\n');
    assert.equal(await both([], 'SET a b\nGET a\nECHO "x y"\nPING\n'), 'OK\nb\nx y\nPONG\n');
  });

  test('-x takes the last argument from stdin', async () => {
    assert.equal(await both(['-x', 'ECHO'], 'from stdin\n'), 'from stdin\n\n');
  });

  test('-n selects a database', async () => {
    const setup = [['-n', '5', 'SET', 'a', 'in five']];
    assert.equal(await both(['-n', '5', 'GET', 'a'], undefined, setup), 'in five\n');
    assert.equal(await both(['-n', '0', '--no-raw', 'GET', 'a'], undefined, setup), '(nil)\n');
  });

  test('--pipe mass insertion of 10,000 keys', async () => {
    let input = '';
    for (let i = 0; i < 10000; i++) input += RawClient.encode(['SET', `key:${i}`, `value:${i}`]).toString('latin1');
    const out = await both(['--pipe'], Buffer.from(input, 'latin1'));
    assert.match(out, /errors: 0, replies: 10000\n$/);
    const c = await RawClient.connect(redoubt.port);
    try {
      await c.call('SET', 'key:9999', 'value:9999');
      assert.equal(await c.call('GET', 'key:4242'), '$10\r\nvalue:4242\r\n');
    } finally {
      c.close();
    }
  });

  test('--pipe counts error replies', async () => {
    const input = ['PING', 'NOSUCH', 'ECHO x'].map((l) => `${l}\r\n`).join('');
    assert.match(await both(['--pipe'], input), /errors: 1, replies: 3\n$/);
  });

  test('-3 speaks RESP3', async () => {
    assert.equal(await both(['-3', 'PING']), 'PONG\n');
    // The connection id differs between the servers; everything else must not.
    const outputs = await Promise.all([redis, redoubt].map((s) => cli(s.port, ['-3', '--no-raw', 'HELLO', '3', 'SETNAME', 'cli'])));
    const [expected, actual] = outputs.map((o) => o.stdout.replace(/"id" => \(integer\) \d+/, '"id" => (integer) N'));
    assert.equal(actual, expected);
    assert.match(actual!, /^1# "server" => "redis"\n2# "version" => "7\.0\.\d+"\n3# "proto" => \(integer\) 3\n/);
  });

  test('-3 prints maps', async () => {
    assert.equal(await both(['-3', '--no-raw', 'CONFIG', 'GET', 'maxclients']), '1# "maxclients" => "10000"\n');
  });
});
