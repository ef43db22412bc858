// Scripts through real clients: ioredis defineCommand (EVALSHA, NOSCRIPT fallback to EVAL), a rate
// limiter under concurrency, ACL rules inside redis.call, blocked clients woken by a script's
// writes, a runaway script stopped by SCRIPT KILL, and sandbox escapes, each followed
// by a check that the server still serves.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { useServerPair, useValkey } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const { redis, redoubt } = useServerPair();
// Redis 7.2's ACL texts inside scripts, which valkey-server 8.0 has.
const valkey = useValkey();

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

type Limited = Redis & { limit(key: string, max: number, windowSec: number): Promise<number> };

const RATE_LIMITER = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return 0 end
return 1`;

async function healthy(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('EVAL', 'return redis.call("ping")', '0'), '+PONG\r\n');
  } finally {
    c.close();
  }
}

describe('scripting with ioredis', () => {
  for (const which of ['redis', 'redoubt'] as const) {
    test(`defineCommand runs through EVALSHA, falling back to EVAL after SCRIPT FLUSH [${which}]`, async () => {
      const port = which === 'redis' ? redis.port : redoubt.port;
      const r = new Redis({ port, lazyConnect: true });
      await r.connect();
      try {
        await r.flushall();
        await r.script('FLUSH');
        r.defineCommand('limit', { numberOfKeys: 1, lua: RATE_LIMITER });
        const lim = r as Limited;
        assert.equal(await lim.limit('rl:a', 2, 60), 1);
        assert.equal(await r.script('EXISTS', sha1(RATE_LIMITER)).then((x) => (x as number[])[0]), 1);
        await r.script('FLUSH');
        assert.deepEqual(await r.script('EXISTS', sha1(RATE_LIMITER)), [0]);
        // ioredis sees NOSCRIPT and resends the body with EVAL.
        assert.equal(await lim.limit('rl:a', 2, 60), 1);
        assert.equal(await lim.limit('rl:a', 2, 60), 0);
        assert.equal(await r.ttl('rl:a'), 60);
        assert.equal(await r.script('LOAD', 'return 1'), sha1('return 1'));
        assert.equal(await r.evalsha(sha1('return 1'), 0), 1);
        await assert.rejects(r.evalsha(sha1('return 2'), 0), /NOSCRIPT No matching script/);
      } finally {
        r.disconnect();
      }
    });
  }

  test('a rate limiter admits exactly its budget under concurrent clients', async () => {
    const clients = Array.from({ length: 8 }, () => new Redis({ port: redoubt.port }) as Limited);
    try {
      await clients[0]!.del('rl:burst');
      for (const c of clients) c.defineCommand('limit', { numberOfKeys: 1, lua: RATE_LIMITER });
      const results = await Promise.all(
        clients.flatMap((c) => Array.from({ length: 25 }, () => c.limit('rl:burst', 37, 30))),
      );
      assert.equal(results.filter((x) => x === 1).length, 37);
      assert.equal(await clients[0]!.get('rl:burst'), '200');
      assert.equal(await clients[0]!.ttl('rl:burst'), 30);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

describe('scripting rules', () => {
  test('ACL rules apply to redis.call, with the replies Redis 7.2 gives', async () => {
    const outcomes: string[][] = [];
    for (const port of [valkey.port, redoubt.port]) {
      const admin = await RawClient.connect(port);
      const user = await RawClient.connect(port);
      try {
        await admin.call('ACL', 'SETUSER', 'scripter', 'on', 'nopass', 'resetkeys', '~app:*', 'resetchannels', '&ok', '+eval', '+get', '+set', '+publish');
        assert.equal(await user.call('AUTH', 'scripter', 'x'), '+OK\r\n');
        const got: string[] = [];
        for (const script of [
          "return redis.call('set', 'app:1', 'v')",
          "return redis.call('get', 'other')",
          "return redis.pcall('get', 'other')",
          "return redis.call('del', 'app:1')",
          "return redis.pcall('del', 'app:1')",
          "return redis.call('publish', 'nope', 'm')",
          "return redis.call('publish', 'ok', 'm')",
        ]) {
          got.push(await user.call('EVAL', script, '0'));
        }
        got.push(await admin.call('ACL', 'LOG', 'RESET'));
        outcomes.push(got);
        await admin.call('ACL', 'DELUSER', 'scripter');
      } finally {
        admin.close();
        user.close();
      }
    }
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.match(outcomes[1]![1]!, /^-ERR ACL failure in script: No permissions to access a key script: /);
  });

  test('writes made by a script wake a client blocked on the key', async () => {
    const blocked = await RawClient.connect(redoubt.port);
    const writer = await RawClient.connect(redoubt.port);
    try {
      await writer.call('DEL', 'q');
      blocked.write(RawClient.encode(['BLPOP', 'q', '5']));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await writer.call('EVAL', "redis.call('rpush', KEYS[1], 'a', 'b') return redis.call('llen', KEYS[1])", '1', 'q'), ':2\r\n');
      const woken = await blocked.read();
      assert.equal(woken?.toString('latin1'), '*2\r\n$1\r\nq\r\n$1\r\na\r\n');
      assert.equal(await writer.call('LRANGE', 'q', '0', '-1'), '*1\r\n$1\r\nb\r\n');
    } finally {
      blocked.close();
      writer.close();
    }
  });

  test('a script sees one frozen clock: a key does not expire halfway through', async () => {
    const c = await RawClient.connect(redoubt.port);
    try {
      await c.call('SET', 'short', 'v', 'PX', '20');
      const script = "local a = redis.call('pttl', KEYS[1]) local x = 0 for i = 1, 2e7 do x = x + i end return {a, redis.call('pttl', KEYS[1]), redis.call('exists', KEYS[1])}";
      const started = Date.now();
      const reply = await c.call('EVAL', script, '1', 'short');
      assert.ok(Date.now() - started > 20, 'the loop must outlast the key');
      const m = /^\*3\r\n:(\d+)\r\n:(\d+)\r\n:1\r\n$/.exec(reply);
      assert.ok(m !== null, reply);
      assert.equal(m[1], m[2]);
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(await c.call('EXISTS', 'short'), ':0\r\n');
    } finally {
      c.close();
    }
  });

  test('a runaway script is answered BUSY to others, stopped by SCRIPT KILL, and the server stays healthy', async () => {
    const c = await RawClient.connect(redoubt.port);
    const other = await RawClient.connect(redoubt.port);
    try {
      assert.equal(await c.call('CONFIG', 'SET', 'busy-reply-threshold', '100'), '+OK\r\n');
      for (const script of ['while true do end', 'local t = {} while true do t[1] = #t end']) {
        const reply = c.call('EVAL', script, '0');
        let busy = '';
        for (let i = 0; i < 100 && !busy.startsWith('-BUSY'); i++) {
          await new Promise((r) => setTimeout(r, 20));
          busy = await other.call('PING');
        }
        assert.equal(busy, '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n');
        assert.equal(await other.call('SCRIPT', 'KILL'), '+OK\r\n');
        assert.match(await reply, /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.\r\n$/);
        await healthy(redoubt.port);
      }
      assert.equal(await c.call('SCRIPT', 'KILL'), '-NOTBUSY No scripts in execution right now.\r\n');
      assert.equal(await c.call('CONFIG', 'SET', 'busy-reply-threshold', '5000'), '+OK\r\n');
    } finally {
      c.close();
      other.close();
    }
  });

  test('sandbox escapes fail and leave the server healthy', async () => {
    const c = await RawClient.connect(redoubt.port);
    try {
      for (const [script, pattern] of [
        ["local f = package.loadlib('/usr/lib/x86_64-linux-gnu/liblua5.1.so.0', 'luaopen_io') return f().popen('id'):read('*a')", /nonexistent global variable 'package'/],
        ["return require('os').execute('id')", /nonexistent global variable 'require'/],
        ["return os.execute('id')", /nonexistent global variable 'os'/],
        ["return io.popen('id'):read('*a')", /nonexistent global variable 'io'/],
        ["return loadstring(string.dump(function() return 1 end))()", /attempt to call field 'dump'/],
        ["local f = loadstring('\\27LuaQ\\0\\1\\4\\4\\4\\8\\0') return f()", /attempt to call local 'f'/],
        ['setmetatable(_G, {__index = function() return os end})', /Attempt to modify a readonly table/],
        ["getmetatable('').__index = {}", /Attempt to modify a readonly table/],
        ['redis.call = function() return 1 end', /Attempt to modify a readonly table/],
        ["local s = 'x' while true do s = s .. s end", /not enough memory/],
        ['local t = {} for i = 1, 1e9 do t[i] = i end', /not enough memory/],
      ] as const) {
        // The memory bombs take about a second to reach the limit, longer on a loaded machine.
        c.write(RawClient.encode(['EVAL', script, '0']));
        const reply = String((await c.read(30000))?.toString('latin1'));
        assert.ok(reply.startsWith('-'), `${script} → ${reply}`);
        assert.match(reply, pattern, script);
      }
      await healthy(redoubt.port);
      // The memory bombs' garbage is collected once they fail.
      const lua = Number(/used_memory_lua:(\d+)/.exec(await c.call('INFO', 'memory'))?.[1]);
      assert.ok(lua < 16 << 20, `used_memory_lua ${lua}`);
      // Nothing of the attempts stuck in the shared VM.
      assert.equal(await c.call('EVAL', 'return {type(redis.call), type(rawget(_G, "os")), type(string.rep)}', '0'), '*3\r\n$8\r\nfunction\r\n$3\r\nnil\r\n$8\r\nfunction\r\n');
    } finally {
      c.close();
    }
  });

  test('error statistics count each failing script once, as Redis does', async () => {
    const stats: string[] = [];
    for (const port of [redis.port, redoubt.port]) {
      const c = await RawClient.connect(port);
      try {
        await c.call('SET', 's', 'x');
        await c.call('CONFIG', 'RESETSTAT');
        for (const script of [
          "return redis.call('nosuch')",
          "return redis.pcall('nosuch')",
          "return redis.call('incr', 's')",
          "return redis.pcall('incr', 's')",
          "redis.pcall('incr', 's') return 1",
          "error('x')",
          "return redis.call('get')",
        ]) {
          await c.call('EVAL', script, '0');
        }
        const info = await c.call('INFO', 'all');
        const pick = (re: RegExp): string => re.exec(info)?.[0] ?? 'missing';
        stats.push([/errorstat_ERR:count=\d+/, /total_error_replies:\d+/, /cmdstat_incr:calls=\d+/, /cmdstat_eval:calls=\d+/].map(pick).join(' '));
        stats.push([/cmdstat_incr:.*failed_calls=\d+/, /cmdstat_eval:.*failed_calls=\d+/].map((re) => pick(re).replace(/usec.*rejected/, '')).join(' '));
      } finally {
        c.close();
      }
    }
    assert.deepEqual(stats.slice(2), stats.slice(0, 2));
  });

  test('INFO reports the cached scripts and the Lua heap', async () => {
    const c = await RawClient.connect(redoubt.port);
    try {
      await c.call('SCRIPT', 'FLUSH');
      await c.call('SCRIPT', 'LOAD', 'return 1');
      await c.call('SCRIPT', 'LOAD', 'return 2');
      const info = await c.call('INFO', 'memory');
      assert.match(info, /number_of_cached_scripts:2\r\n/);
      const lua = Number(/used_memory_lua:(\d+)/.exec(info)?.[1]);
      assert.ok(lua > 1000, `used_memory_lua ${lua}`);
    } finally {
      c.close();
    }
  });
});

describe('redis.acl_check_cmd', () => {
  test('answers for the calling user: commands, keys, unknown commands, as redis-server', async () => {
    const replies: Record<string, string[]> = {};
    for (const [name, server] of [['redis', redis], ['redoubt', redoubt]] as const) {
      const admin = await RawClient.connect(server.port);
      const c = await RawClient.connect(server.port);
      try {
        assert.equal(await admin.call('ACL', 'SETUSER', 'checker', 'on', 'nopass', '+set', '+eval', '~x*', '&*'), '+OK\r\n');
        assert.equal(await c.call('AUTH', 'checker', 'any'), '+OK\r\n');
        const check = (body: string, ...keys: string[]): Promise<string> => c.call('EVAL', body, String(keys.length), ...keys);
        replies[name] = [
          await check("return redis.acl_check_cmd('set', 'xx', 1)", 'xx'),
          await check("return redis.acl_check_cmd('hset', 'xx', 'f', 1)", 'xx'),
          await check("return redis.acl_check_cmd('set', 'yy', 1)"),
          await check("return redis.acl_check_cmd('invalid-cmd', 'arg')"),
          await check("return redis.acl_check_cmd('config', 'get', 'x')"),
          await check("local ok, err = pcall(redis.acl_check_cmd, 'nosuch') return err"),
        ];
      } finally {
        await admin.call('ACL', 'DELUSER', 'checker');
        admin.close();
        c.close();
      }
    }
    assert.deepEqual(replies['redoubt'], replies['redis']);
    assert.deepEqual(replies['redis']?.slice(0, 3), [':1\r\n', '$-1\r\n', '$-1\r\n']);
  });
});

describe('scripts past maxmemory', () => {
  test('allow-oom lets a script or function write; without it the first write is refused, as redis-server', async () => {
    const replies: Record<string, string[]> = {};
    for (const [name, server] of [['redis', redis], ['redoubt', redoubt]] as const) {
      const c = await RawClient.connect(server.port);
      try {
        await c.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=oomlib\nredis.register_function{function_name='oomok', callback=function() return redis.call('set', 'oomx', '1') end, flags={'allow-oom'}}\nredis.register_function{function_name='oomno', callback=function() return redis.call('set', 'oomy', '1') end}");
        assert.equal(await c.call('CONFIG', 'SET', 'maxmemory', '1'), '+OK\r\n');
        try {
          replies[name] = [
            await c.call('FCALL', 'oomok', '1', 'oomx'),
            await c.call('FCALL', 'oomno', '1', 'oomy'),
            await c.call('EVAL', "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], '1')", '1', 'oomz'),
            await c.call('EVAL', "#!lua\nreturn redis.call('set', KEYS[1], '1')", '1', 'oomz'),
            await c.call('EVAL', "return redis.pcall('set', KEYS[1], '1')", '1', 'oomz'),
            await c.call('EVAL', "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", '1', 'oomz'),
          ];
        } finally {
          await c.call('CONFIG', 'SET', 'maxmemory', '0');
          await c.call('FUNCTION', 'DELETE', 'oomlib');
          await c.call('DEL', 'oomx', 'oomy', 'oomz');
        }
      } finally {
        c.close();
      }
    }
    assert.deepEqual(replies['redoubt'], replies['redis']);
    assert.equal(replies['redis']?.[0], '+OK\r\n');
  });
});

describe('command statistics of calls from scripts', () => {
  test('a command a script may not run counts as a rejected call of it and as an error reply, as on redis-server', async () => {
    const steps: string[][] = [
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['EVAL', "return redis.call('set','x','y')", '1', 'x'],
      ['EVAL', "local t = redis.pcall('set','x','y') return t['err']", '1', 'x'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['EVAL', "return redis.pcall('get')", '0'],
      ['EVAL', "return redis.pcall('select', 99)", '0'],
      ['EVAL', "return redis.pcall('nosuchcommand')", '0'],
      ['EVAL', "return redis.pcall('config', 'set', 'maxmemory', '0')", '0'],
    ];
    const stats = async (port: number): Promise<string> => {
      const c = await RawClient.connect(port);
      try {
        await c.call('CONFIG', 'RESETSTAT');
        for (const argv of steps) await c.call(...argv);
        const info = await c.call('INFO', 'everything');
        // calls, rejected and failed counts per command (the time spent differs), errorstats and
        // the total of error replies.
        const commands = [...info.matchAll(/^cmdstat_(\S+):calls=(\d+),.*rejected_calls=(\d+),failed_calls=(\d+)/gm)]
          .map((m) => `${m[1]} ${m[2]} ${m[3]} ${m[4]}`)
          .filter((line) => !line.startsWith('config') && !line.startsWith('info'));
        const errors = [...info.matchAll(/^(errorstat_\S+|total_error_replies:\d+)/gm)].map((m) => m[1]);
        return [...commands, ...errors].sort().join('\n');
      } finally {
        c.close();
      }
    };
    const expected = await stats(redis.port);
    assert.match(expected, /^set 0 2 0$/m);
    assert.match(expected, /^errorstat_OOM:count=2$/m);
    assert.equal(await stats(redoubt.port), expected);
  });
});
