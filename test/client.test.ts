// CLIENT against live connections: LIST/INFO fields in Redis's order with true values, KILL
// really disconnecting its victims, PAUSE holding writes (or everything) from other clients until
// UNPAUSE or the timeout but only once authentication and ACL have let them through, REPLY
// OFF/SKIP checked on the raw bytes, RESET's effects, and the per-connection switches.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startRedoubt, useServerPair, useValkey } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const { redis, redoubt } = useServerPair();

/** CLIENT LIST/INFO text as one record per line. */
function parseClients(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Object.fromEntries(l.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
}

const bulkText = (reply: string): string => reply.slice(reply.indexOf('\r\n') + 2, -2);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function connect(port: number): Promise<RawClient> {
  return RawClient.connect(port);
}

describe('CLIENT LIST and INFO', () => {
  test('fields in the order redis-server uses', async () => {
    const [mine, ref] = [await connect(redoubt.port), await connect(redis.port)];
    try {
      const ours = bulkText(await mine.call('CLIENT', 'INFO')).trim().split(' ').map((kv) => kv.split('=')[0]);
      const theirs = bulkText(await ref.call('CLIENT', 'INFO')).trim().split(' ').map((kv) => kv.split('=')[0]);
      // lib-name and lib-ver come from Redis 7.2, which also appends them last.
      assert.deepEqual(ours, [...theirs, 'lib-name', 'lib-ver']);
    } finally {
      mine.close();
      ref.close();
    }
  });

  test('values describe the connections truly', async () => {
    const a = new Redis({ port: redoubt.port, connectionName: 'alpha' });
    const b = await connect(redoubt.port);
    try {
      await a.ping();
      await b.call('SELECT', '3');
      await b.call('ECHO', 'x');
      const bId = Number((await b.call('CLIENT', 'ID')).slice(1, -2));
      const list = parseClients(String(await a.client('LIST')));
      const meA = list.find((r) => r['name'] === 'alpha');
      const meB = list.find((r) => r['id'] === String(bId));
      assert.ok(meA && meB, 'both connections listed');
      assert.equal(meA['cmd'], 'client|list', 'the caller shows the command it is running');
      assert.equal(meB['cmd'], 'client|id');
      assert.equal(meB['db'], '3');
      assert.equal(meB['flags'], 'N');
      assert.equal(meB['user'], 'default');
      assert.equal(meB['resp'], '2');
      assert.match(meB['addr']!, /^127\.0\.0\.1:\d+$/);
      assert.equal(meB['laddr'], `127.0.0.1:${redoubt.port}`);
      assert.ok(Number(meB['fd']) > 0, 'a real file descriptor');
      assert.ok(Number(meA['argv-mem']) > 0, 'the running request is counted');
      // As Redis: the caller's query buffer still holds its request (*2 $6 client $4 list: 26 bytes).
      assert.equal(meA['qbuf'], '26');
      assert.equal(meB['qbuf'], '0');
      // CLIENT INFO is the caller's own line.
      const info = parseClients(await a.client('INFO'))[0]!;
      assert.equal(info['id'], meA['id']);
      assert.equal(info['cmd'], 'client|info');
      // Filters
      const byId = parseClients(bulkText(await b.call('CLIENT', 'LIST', 'ID', String(bId), '999999')));
      assert.deepEqual(byId.map((r) => r['id']), [String(bId)]);
      const normal = parseClients(bulkText(await b.call('CLIENT', 'LIST', 'TYPE', 'normal')));
      assert.ok(normal.length >= 2);
      assert.equal(bulkText(await b.call('CLIENT', 'LIST', 'TYPE', 'pubsub')), '');
    } finally {
      a.disconnect();
      b.close();
    }
  });

  test('RESP3 replies are verbatim strings', async () => {
    const c = await connect(redoubt.port);
    try {
      await c.call('HELLO', '3');
      const r = await c.call('CLIENT', 'INFO');
      assert.match(r, /^=\d+\r\ntxt:id=\d+ .* resp=3 lib-name= lib-ver=\n\r\n$/);
    } finally {
      c.close();
    }
  });

  test('node-redis sees its name and id', async () => {
    const client = createClient({ socket: { port: redoubt.port }, name: 'nr' });
    await client.connect();
    try {
      const id = await client.clientId();
      assert.equal(await client.clientGetName(), 'nr');
      const reply = await client.sendCommand(['CLIENT', 'INFO']);
      assert.ok(typeof reply === 'string', 'CLIENT INFO is a bulk string in RESP2');
      const line = parseClients(reply)[0]!;
      assert.equal(line['id'], String(id));
      assert.equal(line['name'], 'nr');
    } finally {
      client.destroy();
    }
  });
});

describe('CLIENT KILL', () => {
  test('by ID disconnects the victim and counts it', async () => {
    const killer = await connect(redoubt.port);
    const victim = await connect(redoubt.port);
    try {
      const id = (await victim.call('CLIENT', 'ID')).slice(1, -2);
      assert.equal(await killer.call('CLIENT', 'KILL', 'ID', id), ':1\r\n');
      assert.equal(await victim.waitClosed(), true);
      assert.equal(await killer.call('CLIENT', 'KILL', 'ID', id), ':0\r\n');
      assert.equal(await killer.call('PING'), '+PONG\r\n');
    } finally {
      killer.close();
      victim.close();
    }
  });

  test('old form by address, and filters by LADDR, TYPE and USER', async () => {
    const killer = await connect(redoubt.port);
    const v1 = await connect(redoubt.port);
    const v2 = await connect(redoubt.port);
    try {
      const addr = parseClients(bulkText(await v1.call('CLIENT', 'INFO')))[0]!['addr']!;
      assert.equal(await killer.call('CLIENT', 'KILL', addr), '+OK\r\n');
      assert.equal(await v1.waitClosed(), true);
      assert.equal(await killer.call('CLIENT', 'KILL', addr), '-ERR No such client\r\n');
      // Every other normal client of user default on this port, but not the caller (SKIPME yes).
      const n = Number((await killer.call('CLIENT', 'KILL', 'LADDR', `127.0.0.1:${redoubt.port}`, 'TYPE', 'normal', 'USER', 'default')).slice(1, -2));
      assert.ok(n >= 1);
      assert.equal(await v2.waitClosed(), true);
      assert.equal(await killer.call('PING'), '+PONG\r\n');
    } finally {
      killer.close();
      v1.close();
      v2.close();
    }
  });

  test('SKIPME no kills the caller after its reply', async () => {
    const c = await connect(redoubt.port);
    const id = (await c.call('CLIENT', 'ID')).slice(1, -2);
    assert.equal(await c.call('CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no'), ':1\r\n');
    assert.equal(await c.waitClosed(), true);
  });
});

describe('CLIENT PAUSE', () => {
  test('WRITE holds writes from other clients until UNPAUSE; reads go on', async (t) => {
    const admin = await connect(redoubt.port);
    const writer = await connect(redoubt.port);
    try {
      const hasSet = (await admin.call('COMMAND', 'INFO', 'set')) !== '*1\r\n$-1\r\n';
      if (!hasSet) {
        t.skip('SET not in the table yet');
        return;
      }
      assert.equal(await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE'), '+OK\r\n');
      writer.write(RawClient.encode(['SET', 'paused', '1']));
      await sleep(150);
      assert.equal(writer.unread.length, 0, 'the write is held');
      assert.equal(await admin.call('GET', 'paused'), '$-1\r\n', 'reads still run');
      const held = parseClients(bulkText(await admin.call('CLIENT', 'LIST'))).find((r) => r['cmd'] === 'NULL' || r['flags']!.includes('b'));
      assert.ok(held && held['flags']!.includes('b'), 'the held client shows as blocked');
      // ...and is counted in blocked_clients, as Redis counts a postponed client (what tools wait on).
      assert.match(bulkText(await admin.call('INFO', 'clients')), /\r\nblocked_clients:1\r\n/);
      assert.equal(await admin.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
      assert.equal((await writer.read())!.toString('latin1'), '+OK\r\n');
      assert.equal(await admin.call('GET', 'paused'), '$1\r\n1\r\n');
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.close();
      writer.close();
    }
  });

  test('ALL holds every command, and the timeout releases them in order', async () => {
    const admin = await connect(redoubt.port);
    const other = await connect(redoubt.port);
    try {
      const started = Date.now();
      assert.equal(await admin.call('CLIENT', 'PAUSE', '300'), '+OK\r\n');
      other.write(Buffer.concat([RawClient.encode(['PING']), RawClient.encode(['ECHO', 'after'])]));
      await sleep(100);
      assert.equal(other.unread.length, 0, 'PING is held in ALL mode');
      assert.equal((await other.read())!.toString('latin1'), '+PONG\r\n');
      assert.equal((await other.read())!.toString('latin1'), '$5\r\nafter\r\n');
      assert.ok(Date.now() - started >= 250, 'released by the timeout, not before');
    } finally {
      admin.close();
      other.close();
    }
  });

  test('unknown commands and arity errors are answered during a pause', async () => {
    const admin = await connect(redoubt.port);
    const other = await connect(redoubt.port);
    try {
      await admin.call('CLIENT', 'PAUSE', '300');
      assert.match(await other.call('NOSUCHCMD'), /^-ERR unknown command/);
      assert.equal(await other.call('GET'), "-ERR wrong number of arguments for 'get' command\r\n");
    } finally {
      admin.close();
      other.close();
      await sleep(350);
    }
  });

  test('a held write passes the whole gate again when the pause ends', async () => {
    const admin = await connect(redoubt.port);
    const writer = await connect(redoubt.port);
    try {
      assert.equal(await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE'), '+OK\r\n');
      // Held inside MULTI too (Redis pauses a write before queueing it); then queued once released.
      assert.equal(await writer.call('MULTI'), '+OK\r\n');
      writer.write(RawClient.encode(['SET', 'held', '1']));
      await sleep(100);
      assert.equal(writer.unread.length, 0, 'the write is held, not queued');
      assert.equal(await admin.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
      assert.equal((await writer.read())!.toString('latin1'), '+QUEUED\r\n');
      assert.equal(await writer.call('EXEC'), '*1\r\n+OK\r\n');
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.close();
      writer.close();
    }
  });
});

describe('CLIENT PAUSE WRITE and scripts', () => {
  test('a script or function that declares no-writes runs; one that may write is held, as redis-server', async () => {
    const seen: Record<string, string[]> = {};
    for (const [name, port] of [['redis', redis.port], ['redoubt', redoubt.port]] as const) {
      const admin = await connect(port);
      const other = await connect(port);
      try {
        await admin.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=pauselib\nredis.register_function{function_name='ro', callback=function() return 'ro' end, flags={'no-writes'}}\nredis.register_function{function_name='rw', callback=function() return 'rw' end}");
        assert.equal(await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE'), '+OK\r\n');
        const out = [
          await other.call('EVAL', "#!lua flags=no-writes\nreturn 'unique ' .. ARGV[1]", '0', 'x'),
          await other.call('EVAL', "#!lua flags=no-writes\nreturn 'unique ' .. ARGV[1]", '0', 'x'),
          await other.call('EVALSHA', createHash('sha1').update("#!lua flags=no-writes\nreturn 'unique ' .. ARGV[1]").digest('hex'), '0', 'sha'),
          await other.call('FCALL', 'ro', '0'),
          await other.call('EVAL_RO', "return 'plain ro'", '0'),
        ];
        // A script without flags may write: it waits for the pause to end.
        other.write(RawClient.encode(['EVAL', "return 'compat'", '0']));
        await sleep(150);
        out.push(other.unread.length === 0 ? 'held' : 'ran');
        other.write(RawClient.encode(['FCALL', 'rw', '0']));
        assert.equal(await admin.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
        out.push(((await other.read()) ?? Buffer.alloc(0)).toString('latin1'), ((await other.read()) ?? Buffer.alloc(0)).toString('latin1'));
        seen[name] = out;
      } finally {
        await admin.call('CLIENT', 'UNPAUSE');
        await admin.call('FUNCTION', 'DELETE', 'pauselib');
        admin.close();
        other.close();
      }
    }
    assert.deepEqual(seen['redoubt'], seen['redis']);
    assert.equal(seen['redis']?.[5], 'held');
  });
});

describe('CLIENT PAUSE and expiry', () => {
  test('no key is expired while clients are paused: it reads as missing and goes when the pause ends, as redis-server', async () => {
    const seen: Record<string, string[]> = {};
    for (const [name, port] of [['redis', redis.port], ['redoubt', redoubt.port]] as const) {
      const c = await connect(port);
      const expired = async (): Promise<number> => Number(/expired_keys:(\d+)/.exec(await c.call('INFO', 'stats'))?.[1] ?? 'NaN');
      try {
        // A database of its own, so DBSIZE counts only this test's keys.
        await c.call('SELECT', '9');
        await c.call('FLUSHDB');
        await c.call('CONFIG', 'RESETSTAT');
        await c.call('SET', 'pause-a', '1', 'PX', '50');
        await c.call('SET', 'pause-b', '1', 'PX', '50');
        assert.equal(await c.call('CLIENT', 'PAUSE', '10000', 'WRITE'), '+OK\r\n');
        await sleep(300);
        // Lazy (GET) and active (the cron has had time) expiry both wait.
        const out = [await c.call('GET', 'pause-a'), String(await expired()), await c.call('DBSIZE')];
        assert.equal(await c.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
        await c.call('GET', 'pause-a');
        await c.call('GET', 'pause-b');
        out.push(String(await expired()), await c.call('DBSIZE'));
        seen[name] = out;
      } finally {
        await c.call('CLIENT', 'UNPAUSE');
        c.close();
      }
    }
    assert.deepEqual(seen['redoubt'], seen['redis']);
    assert.deepEqual(seen['redis']?.slice(0, 2), ['$-1\r\n', '0']);
  });
});

describe('CLIENT PAUSE comes after authentication and ACL', () => {
  const args = ['--requirepass', 'secret', '--user', 'reader', 'on', '>pw', '~*', '+@all', '-set'];
  const pair = useServerPair({ args });
  // The NOPERM text is Redis 7.2's, which valkey-server 8.0 has.
  const valkey = useValkey(args);

  /**
   * On each server (started with a password and a user who may not SET): a pause that holds
   * writes for ten seconds, then what a client that must not write gets, and how soon.
   */
  async function refusedDuringPause(port: number): Promise<{ replies: string[]; ms: number }> {
    const admin = await connect(port);
    const anon = await connect(port);
    const limited = await connect(port);
    const sub = await connect(port);
    try {
      assert.equal(await admin.call('AUTH', 'secret'), '+OK\r\n');
      assert.equal(await limited.call('AUTH', 'reader', 'pw'), '+OK\r\n');
      assert.equal(await sub.call('AUTH', 'secret'), '+OK\r\n');
      await sub.call('SUBSCRIBE', 'ch');
      assert.equal(await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE'), '+OK\r\n');
      const started = Date.now();
      const replies = [
        await anon.call('SET', 'k', 'v'),
        await anon.call('PING'),
        await limited.call('SET', 'k', 'v'),
        await sub.call('SET', 'k', 'v'),
      ];
      const ms = Date.now() - started;
      // The pause still holds an allowed write: only the refusals came at once.
      limited.write(RawClient.encode(['ECHO', 'reads run']));
      assert.equal((await limited.read())!.toString('latin1'), '$9\r\nreads run\r\n');
      return { replies, ms };
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      for (const c of [admin, anon, limited, sub]) c.close();
    }
  }

  test('an unauthenticated SET gets NOAUTH at once, a forbidden one NOPERM, as on valkey-server', async () => {
    const ours = await refusedDuringPause(pair.redoubt.port);
    const theirs = await refusedDuringPause(valkey.port);
    assert.deepEqual(ours.replies, theirs.replies);
    assert.deepEqual(ours.replies, [
      '-NOAUTH Authentication required.\r\n',
      '-NOAUTH Authentication required.\r\n',
      "-NOPERM User reader has no permissions to run the 'set' command\r\n",
      "-ERR Can't execute 'set': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    ]);
    // Ten seconds of pause: refusals that waited for it would take that long.
    assert.ok(ours.ms < 2000, `refused after ${ours.ms} ms`);
  });
});

describe('RESET', () => {
  // Redis 7.2 also clears CLIENT NO-EVICT (#11483), which valkey-server 8.0 does.
  const valkey = useValkey();
  /** The connection state RESET leaves behind, on one server. */
  async function afterReset(port: number): Promise<string[]> {
    const c = await connect(port);
    try {
      const out: string[] = [];
      await c.call('CLIENT', 'SETNAME', 'before');
      await c.call('CLIENT', 'NO-EVICT', 'on');
      await c.call('SELECT', '2');
      await c.call('WATCH', 'w');
      await c.call('MULTI');
      await c.call('SET', 'w', '1');
      out.push(await c.call('RESET'));
      out.push(await c.call('CLIENT', 'GETNAME'));
      out.push(await c.call('EXEC'));
      const info = parseClients(bulkText(await c.call('CLIENT', 'INFO')))[0]!;
      out.push(`db=${info['db']} flags=${info['flags']} multi=${info['multi']} name=${info['name']}`);
      // REPLY OFF is cleared before RESET answers, so its reply still comes.
      c.write(Buffer.concat([RawClient.encode(['CLIENT', 'REPLY', 'OFF']), RawClient.encode(['RESET'])]));
      out.push((await c.read())!.toString('latin1'));
      // REPLY SKIP before RESET still drops RESET's reply.
      c.write(Buffer.concat([RawClient.encode(['CLIENT', 'REPLY', 'SKIP']), RawClient.encode(['RESET']), RawClient.encode(['PING'])]));
      out.push((await c.read())!.toString('latin1'));
      return out;
    } finally {
      c.close();
    }
  }

  test('clears what Redis 7.2 clears, as one step', async () => {
    const ours = await afterReset(redoubt.port);
    assert.deepEqual(ours, await afterReset(valkey.port));
    assert.deepEqual(ours, ['+RESET\r\n', '$-1\r\n', '-ERR EXEC without MULTI\r\n', 'db=0 flags=N multi=-1 name=', '+RESET\r\n', '+PONG\r\n']);
  });

  test('a RESP2 subscriber leaves every channel, silently, and may then run anything', async () => {
    const c = await connect(redoubt.port);
    const pub = await connect(redoubt.port);
    try {
      await c.call('SUBSCRIBE', 'a');
      await c.call('PSUBSCRIBE', 'p*');
      assert.equal(await c.call('PING', 'x'), '*2\r\n$4\r\npong\r\n$1\r\nx\r\n');
      assert.equal(await c.call('RESET'), '+RESET\r\n');
      assert.equal(await pub.call('PUBLISH', 'a', 'm'), ':0\r\n');
      assert.equal(await c.call('PING'), '+PONG\r\n');
      assert.equal(await c.call('GET', 'nosuch'), '$-1\r\n');
    } finally {
      c.close();
      pub.close();
    }
  });
});

describe('CLIENT REPLY', () => {
  test('SKIP drops exactly the next reply; OFF drops all until ON', async () => {
    const server = await startRedoubt();
    const c = await connect(server.port);
    try {
      c.write(
        Buffer.concat([
          RawClient.encode(['CLIENT', 'REPLY', 'SKIP']),
          RawClient.encode(['PING']),
          RawClient.encode(['ECHO', 'a']),
          RawClient.encode(['CLIENT', 'REPLY', 'OFF']),
          RawClient.encode(['PING']),
          RawClient.encode(['GET']),
          RawClient.encode(['CLIENT', 'REPLY', 'SKIP']),
          RawClient.encode(['ECHO', 'b']),
          RawClient.encode(['CLIENT', 'REPLY', 'ON']),
          RawClient.encode(['ECHO', 'c']),
        ]),
      );
      await sleep(200);
      assert.equal(c.unread.toString('latin1'), '$1\r\na\r\n+OK\r\n$1\r\nc\r\n');
      for (let i = 0; i < 3; i++) await c.read();
      // Errors while replies are off are still counted.
      const info = await c.call('INFO', 'errorstats');
      assert.match(info, /errorstat_ERR:count=1/);
    } finally {
      c.close();
      await server.stop();
    }
  });
});

describe('per-connection switches', () => {
  test('NO-EVICT, NO-TOUCH and SETINFO show in CLIENT INFO', async () => {
    const c = await connect(redoubt.port);
    try {
      assert.equal(await c.call('CLIENT', 'NO-EVICT', 'on'), '+OK\r\n');
      assert.equal(await c.call('CLIENT', 'NO-TOUCH', 'ON'), '+OK\r\n');
      assert.equal(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'mylib'), '+OK\r\n');
      assert.equal(await c.call('CLIENT', 'SETINFO', 'lib-ver', '1.2.3'), '+OK\r\n');
      let line = parseClients(bulkText(await c.call('CLIENT', 'INFO')))[0]!;
      assert.equal(line['flags'], 'eT');
      assert.equal(line['lib-name'], 'mylib');
      assert.equal(line['lib-ver'], '1.2.3');
      assert.equal(await c.call('CLIENT', 'NO-TOUCH', 'maybe'), '-ERR syntax error\r\n');
      assert.equal(await c.call('CLIENT', 'SETINFO', 'lib-foo', 'x'), "-ERR Unrecognized option 'lib-foo'\r\n");
      assert.equal(await c.call('CLIENT', 'SETINFO', 'lib-name', 'a b'), '-ERR lib-name cannot contain spaces, newlines or special characters.\r\n');
      assert.equal(await c.call('CLIENT', 'SETINFO', 'lib-name'), "-ERR wrong number of arguments for 'client|setinfo' command\r\n");
      await c.call('CLIENT', 'NO-EVICT', 'off');
      await c.call('CLIENT', 'NO-TOUCH', 'off');
      line = parseClients(bulkText(await c.call('CLIENT', 'INFO')))[0]!;
      assert.equal(line['flags'], 'N');
    } finally {
      c.close();
    }
  });
});
