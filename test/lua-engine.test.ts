// The Lua engine on its own: Redis's Lua <-> RESP conversion compared byte for byte with a real
// redis-server running the same scripts, the redis.* API, and the sandbox (known escapes refused,
// runaway loops interrupted, memory bombs stopped, the VM healthy afterwards).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { LuaEngine, type LuaEngineOptions } from '../src/scripting/lua-engine.js';
import { RespWriter } from '../src/protocol/reply-writer.js';
import { startRedis, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const sha1 = (s: string): string => createHash('sha1').update(Buffer.from(s, 'latin1')).digest('hex');

/** Runs `src` as EVAL would and returns the reply bytes as a latin1 string. */
function evalOn(engine: LuaEngine, src: string, resp: 2 | 3 = 2, keys: string[] = [], args: string[] = []): string {
  const w = new RespWriter();
  w.resp = resp;
  const c = engine.compile(src);
  if (!c.ok) throw new Error(`compile: ${c.error}`);
  engine.run(c.ref, keys, args, w, sha1(src));
  engine.release(c.ref);
  return Buffer.concat(w.take()).toString('latin1');
}

/** An engine whose redis.call answers from replies recorded on the real server. */
function engineWith(replies: Map<string, string>, extra: Partial<LuaEngineOptions> = {}): LuaEngine {
  return new LuaEngine({
    call: (argv, resp) => replies.get(`${resp}|${argv.join(' ')}`) ?? '-ERR Unknown Redis command called from script\r\n',
    ...extra,
  });
}

// Scripts whose replies must be identical, RESP2 and RESP3, on Redis 7.0 and on the engine.
const PURE = [
  'return math.random(1000)',
  'return math.random()',
  'return {math.random(10), math.random(5, 50)}',
  'return 1',
  'return 3.99',
  'return -3.99',
  'return 0/0',
  'return 1e20',
  'return -1e30',
  'return "hello"',
  'return ""',
  'return true',
  'return false',
  'return nil',
  'return {}',
  'return {1, 2.5, "x", false, true}',
  'return {1, 2, nil, 4}',
  'return {1, {2, {3, "deep"}}}',
  'return {ok = "fine"}',
  'return {err = "bad thing"}',
  'return {err = "a\\nb"}',
  'return {1, {err = "inner"}, {ok = "fine"}}',
  'return {double = 1.5}',
  'return {double = 1/0}',
  'return {big_number = "12345678901234567890"}',
  'return {map = {a = 1}}',
  'return {set = {a = true}}',
  'return redis.status_reply("PONG")',
  'return redis.status_reply("a\\r\\nb")',
  'return redis.error_reply("MY err")',
  'return redis.error_reply("-MY")',
  'return redis.error_reply("a\\r\\nb")',
  'return redis.error_reply(1)',
  'return redis.status_reply()',
  'return redis.sha1hex("")',
  'return redis.sha1hex("abc")',
  'return redis.sha1hex()',
  'return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}',
  'return {tostring(10/2), tostring(3), tostring(2^53), tostring(0.1), string.format("%d", 3.7), tostring(1e15)}',
  'return {tostring(-0.0), tostring(1/0), tostring(2^63), _VERSION, tostring(-7 % 3), string.format("%5.2f", 3.14159)}',
  'return {type(unpack), type(loadstring), type(math.pow), type(table.getn), type(string.gfind), type(gcinfo)}',
  'return select("#", unpack({1, 2, 3}))',
  'return loadstring("return 1 + 1")()',
  'local a, b = loadstring("x=") return {tostring(a), b}',
  'return coroutine.wrap(function() coroutine.yield(7) end)()',
  'x = 1',
  'return undefined_thing',
  'error("boom")',
  'error("boom", 0)',
  'error({err = "xyz"})',
  'error()',
  'local a = nil + 1',
  'return 1 .. {}',
  'setmetatable(_G, nil)',
  'string.x = 1',
  'redis.call = nil',
  'getmetatable("").__index = nil',
  'local mt = getmetatable(_G) mt.__index = nil',
  'rawset(_G, "x", 1)',
  'table.insert(_G, 1)',
  'KEYS[1] = "x" return KEYS[1]',
  'return {KEYS[1], ARGV[1], #KEYS, #ARGV}',
  'return type(debug)',
  'return type(print)',
  'return type(getfenv)',
  'return type(newproxy)',
  'return type(os)',
  'return type(io)',
  'return type(require)',
  'return package.loadlib("/usr/lib/x86_64-linux-gnu/liblua5.1.so.0", "luaopen_os")',
  'return redis.call()',
  'return redis.call("get", {})',
  'return redis.pcall("get", {})',
  'return redis.log(1)',
  'return redis.log("x", "x")',
  'return redis.log(9, "x")',
  'redis.setresp(4)',
  'redis.setresp()',
  'redis.set_repl(redis.REPL_ALL) return 1',
  'redis.set_repl(99)',
  'return redis.replicate_commands()',
  'local ok, e = pcall(error, {err = "x"}) return {tostring(ok), e}',
  'local t = setmetatable({}, {__index = function() return 1 end}) return t',
  'redis.setresp(3) return {true, false, {double = 2.5}, {map = {k = "v"}}, {set = {m = true}}}',
];

// Scripts that call commands; their replies come from the real server (recorded first).
const CALLING: { script: string; commands: string[][] }[] = [
  { script: 'return redis.call("get", "str")', commands: [['get', 'str']] },
  { script: 'return redis.call("get", "missing")', commands: [['get', 'missing']] },
  { script: 'return redis.call("lrange", "list", "0", "-1")', commands: [['lrange', 'list', '0', '-1']] },
  { script: 'return redis.call("hgetall", "hash")', commands: [['hgetall', 'hash']] },
  { script: 'return redis.call("incr", "counter")', commands: [['incr', 'counter']] },
  { script: 'return redis.call("incr", "str")', commands: [['incr', 'str']] },
  { script: 'return redis.pcall("incr", "str")', commands: [['incr', 'str']] },
  { script: 'return {pcall(redis.call, "incr", "str")}', commands: [['incr', 'str']] },
  { script: 'local t = redis.pcall("incr", "str") return t.err', commands: [['incr', 'str']] },
  { script: 'return redis.call("set", "str", "v")', commands: [['set', 'str', 'v']] },
  { script: 'return redis.call("ping")', commands: [['ping']] },
  { script: 'redis.setresp(3) return redis.call("hgetall", "hash")', commands: [['hgetall', 'hash']] },
  { script: 'redis.setresp(3) return redis.call("get", "missing")', commands: [['get', 'missing']] },
  { script: 'redis.setresp(3) return redis.call("smembers", "set1")', commands: [['smembers', 'set1']] },
  { script: 'redis.setresp(3) return redis.call("zscore", "zs", "a")', commands: [['zscore', 'zs', 'a']] },
  { script: 'redis.setresp(3) return redis.call("exists", "str") == 1', commands: [['exists', 'str']] },
  { script: 'redis.setresp(3) local r = redis.call("hgetall", "hash") return r.map.f', commands: [['hgetall', 'hash']] },
  { script: 'redis.setresp(3) local r = redis.call("zscore", "zs", "a") return tostring(r.double)', commands: [['zscore', 'zs', 'a']] },
  { script: 'redis.setresp(3) return type(redis.call("get", "missing"))', commands: [['get', 'missing']] },
  { script: 'return type(redis.call("get", "missing"))', commands: [['get', 'missing']] },
];

async function exchangeAll(client: RawClient, argvs: string[][]): Promise<string[]> {
  const out: string[] = [];
  for (const argv of argvs) {
    client.write(RawClient.encode(argv));
    const r = await client.read();
    assert.ok(r, 'server closed');
    out.push(r.toString('latin1'));
  }
  return out;
}

describe('Lua engine against redis-server 7.0', () => {
  let redis: RunningServer;
  const expected = new Map<string, string>(); // `${resp}|${script}` -> reply bytes
  const replies = new Map<string, string>(); // `${resp}|${argv}` -> reply bytes

  before(async () => {
    redis = await startRedis();
    const c2 = await RawClient.connect(redis.port);
    const c3 = await RawClient.connect(redis.port);
    await exchangeAll(c3, [['hello', '3']]);
    // PURE first on a fresh server: math.random's sequence starts where the engine's does.
    const r2 = await exchangeAll(c2, PURE.map((s) => ['eval', s, '1', 'key1', 'arg1', 'arg2']));
    const r3 = await exchangeAll(c3, PURE.map((s) => ['eval', s, '1', 'key1', 'arg1', 'arg2']));
    PURE.forEach((s, i) => {
      expected.set(`2|${s}`, r2[i]!);
      expected.set(`3|${s}`, r3[i]!);
    });
    const setup = [['flushall'], ['set', 'str', 'abc'], ['rpush', 'list', 'a', 'b', ''], ['hset', 'hash', 'f', 'v'], ['sadd', 'set1', 'm'], ['zadd', 'zs', '1.5', 'a']];
    await exchangeAll(c2, setup);
    for (const { script, commands } of CALLING) {
      for (const [resp, client] of [[2, c2], [3, c3]] as const) {
        await exchangeAll(c2, setup);
        const [got] = await exchangeAll(client, [['eval', script, '0']]);
        expected.set(`${resp}|${script}`, got!);
        // The command's own replies, in the protocol the script will ask for.
        for (const argv of commands) {
          await exchangeAll(c2, setup);
          const [raw] = await exchangeAll(client, [argv]);
          replies.set(`${resp}|${argv.join(' ')}`, raw!);
        }
      }
    }
    c2.socket.destroy();
    c3.socket.destroy();
  });

  after(async () => {
    await redis.stop();
  });

  it('converts what scripts return exactly as Redis does (RESP2 and RESP3)', () => {
    // One fresh engine, fed in the server's order, so math.random's sequence lines up.
    const engine = engineWith(replies);
    for (const resp of [2, 3] as const) {
      for (const s of PURE) {
        assert.equal(evalOn(engine, s, resp, ['key1'], ['arg1', 'arg2']), expected.get(`${resp}|${s}`), `RESP${resp}: ${s}`);
      }
    }
  });

  it('converts redis.call replies into Lua values exactly as Redis does', () => {
    const engine = engineWith(replies);
    for (const { script } of CALLING) {
      for (const resp of [2, 3] as const) {
        assert.equal(evalOn(engine, script, resp), expected.get(`${resp}|${script}`), `RESP${resp}: ${script}`);
      }
    }
  });
});

describe('Lua engine', () => {
  const echo = (): LuaEngine =>
    new LuaEngine({ call: (argv) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}` });

  it('passes binary-safe strings both ways', () => {
    const e = echo();
    const bin = 'a\0b\xff\r\n\x80';
    assert.equal(evalOn(e, 'return redis.call("echo", ARGV[1], 12, 0.5, -3)', 2, [], [bin]), `*5\r\n$4\r\necho\r\n$${bin.length}\r\n${bin}\r\n$2\r\n12\r\n$3\r\n0.5\r\n$2\r\n-3\r\n`);
    assert.equal(evalOn(e, 'return KEYS[1] .. "|" .. ARGV[1]', 2, [bin], ['\x00']), `$${bin.length + 2}\r\n${bin}|\x00\r\n`);
  });

  it('passes KEYS and ARGV as arguments for functions, not as globals', () => {
    const e = echo();
    const c = e.compile('local keys, args = ...; return {keys[1], args[1], args[2]}');
    assert.ok(c.ok);
    const w = new RespWriter();
    e.run(c.ref, ['k'], ['a', 'b'], w, 'f', false);
    assert.equal(Buffer.concat(w.take()).toString('latin1'), '*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\nb\r\n');
  });

  it('reports compile errors with Lua\'s message', () => {
    const r = echo().compile('return 1 +');
    assert.deepEqual(r, { ok: false, error: "user_script:1: unexpected symbol near '<eof>'" });
  });

  it('sends redis.log lines to the host, joined as Redis joins them', () => {
    const lines: [number, string][] = [];
    const e = new LuaEngine({ call: () => '+OK\r\n', log: (l, m) => lines.push([l, m]) });
    evalOn(e, 'redis.log(redis.LOG_WARNING, "hello", 3, {}, "x") redis.log(redis.LOG_DEBUG, "d")');
    assert.deepEqual(lines, [[3, 'hello 3 x'], [0, 'd']]);
  });

  it('reports errors raised through redis.call as already counted', () => {
    const e = new LuaEngine({ call: () => '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n' });
    const c = e.compile('return redis.call("incr", "k")');
    assert.ok(c.ok);
    const out = e.run(c.ref, [], [], new RespWriter(), 'sha');
    assert.ok(out !== 'suspended');
    assert.equal(out.ok, false);
    assert.equal(out.info.ignoreStats, true);
    assert.equal(out.error, 'WRONGTYPE Operation against a key holding the wrong kind of value script: sha, on @user_script:1.');
  });
});

describe('Lua sandbox', () => {
  const healthy = (e: LuaEngine): void => {
    assert.equal(evalOn(e, 'return redis.call("ping")'), '+PONG\r\n');
    assert.equal(evalOn(e, 'return {1, "two"}'), '*2\r\n:1\r\n$3\r\ntwo\r\n');
  };
  const engine = (extra: Partial<LuaEngineOptions> = {}): LuaEngine => new LuaEngine({ call: () => '+PONG\r\n', ...extra });
  const isError = (reply: string, pattern: RegExp): void => {
    assert.ok(reply.startsWith('-'), `expected an error, got ${JSON.stringify(reply)}`);
    assert.match(reply, pattern);
  };

  it('refuses CVE-2022-0543: no package, loadlib, require, os, io, debug, dofile', () => {
    const e = engine();
    for (const s of [
      'local f = package.loadlib("/usr/lib/x86_64-linux-gnu/liblua5.1.so.0", "luaopen_io") return f().popen("id"):read("*a")',
      'return require("os").execute("id")',
      'return os.execute("id")',
      'return io.popen("id"):read("*a")',
      'return dofile("/etc/passwd")',
      'return loadfile("/etc/passwd")',
      'return debug.getregistry()',
      'return module("x")',
      'return getfenv(0)',
      'return setfenv(1, {})',
    ]) {
      isError(evalOn(e, s), /Script attempted to access nonexistent global variable/);
    }
    healthy(e);
  });

  it('refuses CVE-2015-4335: no string.dump and no loading of precompiled bytecode', () => {
    const e = engine();
    isError(evalOn(e, 'return loadstring(string.dump(function() return 1 end))()'), /attempt to call field 'dump' \(a nil value\)/);
    // A hand-made Lua 5.1 header: load must reject it as text, never undump it.
    const header = '\\27LuaQ\\0\\1\\4\\4\\4\\8\\0';
    const msg = `[string "\x1bLuaQ"]:1: unexpected symbol near 'char(27)'`;
    assert.equal(evalOn(e, `local f, err = loadstring("${header}") return {tostring(f), err}`), `*2\r\n$3\r\nnil\r\n$${msg.length}\r\n${msg}\r\n`);
    const direct = e.compile('\x1bLuaQ\x00\x01\x04\x04\x04\x08\x00');
    assert.equal(direct.ok, false);
    assert.equal(e.compile('return load(function() return "\\27LuaQ" end)').ok, true);
    isError(evalOn(e, 'return load(function() return "\\27LuaQ" end)()'), /attempt to call a nil value/);
    healthy(e);
  });

  it('keeps globals and libraries read-only, whatever metatable trick is tried', () => {
    const e = engine();
    for (const s of [
      'x = 1',
      'setmetatable(_G, {})',
      'getmetatable(_G).__index = function() return 1 end',
      'getmetatable(_G).__newindex = rawset',
      'rawset(_G, "redis", {})',
      'redis.call = function() end',
      'string.rep = nil',
      'getmetatable("").__index = {}',
      'math.random = function() return 4 end',
      '_G._G = nil',
      'table.insert(_G, 1)',
      'table.insert(string, 1)',
      'local t = getmetatable(_G) setmetatable(t, {})',
    ]) {
      isError(evalOn(e, s), /Attempt to modify a readonly table/);
    }
    isError(evalOn(e, 'return nope'), /Script attempted to access nonexistent global variable 'nope'/);
    assert.equal(evalOn(e, 'return rawget(_G, "nope")'), '$-1\r\n');
    // Nothing of the attempts above stuck.
    assert.equal(evalOn(e, 'return {type(redis.call), type(string.rep), type(getmetatable(_G).__index)}'), '*3\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n');
    healthy(e);
  });

  it('interrupts an endless loop when the host says so, even inside pcall or a coroutine', () => {
    let deadline = 0;
    const e = engine({ interrupt: () => Date.now() > deadline, hookInterval: 10000 });
    for (const s of [
      'while true do end',
      'local i = 0 repeat i = i + 1 until false',
      'while true do pcall(function() while true do end end) end',
      'local co = coroutine.wrap(function() while true do end end) co()',
      'local function f() return f() end return f()',
    ]) {
      deadline = Date.now() + 50;
      const started = Date.now();
      isError(evalOn(e, s), /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: /);
      assert.ok(Date.now() - started < 5000);
    }
    deadline = Infinity;
    healthy(e);
  });

  /** Runs `src` with an interrupt that yields whenever it may; returns the reply and the yields. */
  function runYielding(e: LuaEngine, src: string): { reply: string; yields: number } {
    const w = new RespWriter();
    const c = e.compile(src);
    if (!c.ok) throw new Error(`compile: ${c.error}`);
    let yields = 0;
    let r = e.run(c.ref, ['k1'], ['a1'], w, sha1(src));
    while (r === 'suspended') {
      yields++;
      assert.equal(w.pending, 0, 'nothing is written while the script is suspended');
      assert.ok(e.suspended);
      r = e.resume();
    }
    assert.ok(!e.suspended);
    e.release(c.ref);
    return { reply: Buffer.concat(w.take()).toString('latin1'), yields };
  }

  /** An engine whose hook always asks to yield (and counts where it could and could not). */
  function yieldingEngine(control: { yieldable: number; unyieldable: number; kill?: number }): LuaEngine {
    return engine({
      hookInterval: 1000,
      interrupt: (canYield) => {
        if (canYield) control.yieldable++;
        else control.unyieldable++;
        if (control.kill !== undefined && control.yieldable >= control.kill) return true;
        return 'yield';
      },
    });
  }

  it('suspends a script at its hook and resumes it where it stopped, state intact', () => {
    const control = { yieldable: 0, unyieldable: 0 };
    const e = yieldingEngine(control);
    const src = 'local t = {} local s = 0 for i = 1, 200000 do s = s + i t[#t % 7 + 1] = i end return {s, KEYS[1], ARGV[1], #t}';
    const { reply, yields } = runYielding(e, src);
    assert.equal(reply, '*4\r\n:20000100000\r\n$2\r\nk1\r\n$2\r\na1\r\n:7\r\n');
    assert.ok(yields > 10, `yields: ${yields}`);
    healthy(e);
  });

  it('does not yield inside pcall, metamethods, sort comparators or coroutines, and finishes them', () => {
    const control = { yieldable: 0, unyieldable: 0 };
    const e = yieldingEngine(control);
    const src = [
      'local ok, n = pcall(function() local s = 0 for i = 1, 100000 do s = s + 1 end return s end)',
      'local t = {} for i = 1, 3000 do t[i] = (i * 7919) % 3001 end',
      'table.sort(t, function(a, b) return a > b end)',
      'local co = coroutine.wrap(function() local s = 0 for i = 1, 100000 do s = s + 1 end coroutine.yield(s) end)',
      'local m = setmetatable({}, {__index = function(_, k) local s = 0 for i = 1, 50000 do s = s + 1 end return s end})',
      'return {n, t[1], t[3000], co(), m.x, type(coroutine.running())}',
    ].join(' ');
    const { reply } = runYielding(e, src);
    assert.equal(reply, '*6\r\n:100000\r\n:3000\r\n:1\r\n:100000\r\n:50000\r\n$3\r\nnil\r\n');
    assert.ok(control.unyieldable > 0 && control.yieldable > 0, JSON.stringify(control));
    // The script's own body is no coroutine, as in Redis.
    isError(evalOn(e, 'coroutine.yield(1)'), /^-ERR attempt to yield across metamethod\/C-call boundary script: \w+, on @user_script:1\.\r\n$/);
    healthy(e);
  });

  it('reports the source line of an error raised after the script was resumed', () => {
    const control = { yieldable: 0, unyieldable: 0 };
    const e = yieldingEngine(control);
    const src = 'local s = 0\nfor i = 1, 100000 do s = s + i end\n\nlocal x = nil\nreturn x.field';
    const { reply, yields } = runYielding(e, src);
    assert.ok(yields > 0);
    assert.equal(reply, `-ERR user_script:5: attempt to index local 'x' (a nil value) script: ${sha1(src)}, on @user_script:5.\r\n`);
    const src2 = 'local s = 0\nfor i = 1, 100000 do s = s + i end\nerror("boom")';
    assert.equal(runYielding(e, src2).reply, `-ERR user_script:3: boom script: ${sha1(src2)}, on @user_script:3.\r\n`);
    const src3 = 'for i = 1, 100000 do end\nreturn redis.call("incr", "k")';
    const e3 = new LuaEngine({ call: () => '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n', hookInterval: 1000, interrupt: () => 'yield' });
    assert.equal(runYielding(e3, src3).reply, `-WRONGTYPE Operation against a key holding the wrong kind of value script: ${sha1(src3)}, on @user_script:2.\r\n`);
    healthy(e);
  });

  it('kills a suspended script on resume, and abandon() leaves the VM usable', () => {
    const control = { yieldable: 0, unyieldable: 0, kill: 5 };
    const e = yieldingEngine(control);
    const { reply } = runYielding(e, 'local i = 0\nwhile true do i = i + 1 end');
    assert.match(reply, /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: \w+, on @user_script:2\.\r\n$/);
    const e2 = engine({ hookInterval: 1000, interrupt: () => 'yield' });
    const c = e2.compile('while true do end');
    assert.ok(c.ok);
    const w = new RespWriter();
    assert.equal(e2.run(c.ref, [], [], w, 'x'), 'suspended');
    assert.throws(() => e2.run(c.ref, [], [], w, 'x'), /already running/);
    e2.abandon();
    assert.ok(!e2.suspended);
    assert.equal(w.pending, 0);
    assert.equal(evalOn(e2, 'return redis.call("ping")'), '+PONG\r\n');
  });

  it('stops memory bombs at the cap and recovers the memory', () => {
    const e = engine({ memoryLimit: 16 << 20 });
    for (const s of [
      'local t = {} for i = 1, 1e8 do t[i] = i end',
      'local s = "x" while true do s = s .. s end',
      'return string.rep("x", 1e9)',
      'local t = {} for i = 1, 1e7 do t[i] = {i} end',
    ]) {
      isError(evalOn(e, s), /not enough memory/);
      // Each full cycle halves Lua's concatenation buffer, so a few bring it back down.
      for (let i = 0; i < 4; i++) e.collectGarbage();
      assert.ok(e.memoryUsed() < 1 << 20, `heap back under 1 MiB after ${s}: ${e.memoryUsed()}`);
    }
    assert.ok(e.memoryReserved() < 64 << 20);
    healthy(e);
  });

  it('turns deep recursion and huge nesting into errors, not crashes', () => {
    const e = engine();
    isError(evalOn(e, 'local function f(n) return 1 + f(n + 1) end return f(1)'), /stack overflow/);
    isError(evalOn(e, 'local s = string.rep("(", 300) .. "1" .. string.rep(")", 300) return loadstring("return " .. s)()'), /attempt to call a nil value|chunk has too many syntax levels/);
    const nested = evalOn(e, 'local t = {} local c = t for i = 1, 100 do c[1] = {} c = c[1] end return t');
    assert.ok(nested.startsWith('*1\r\n*1\r\n'));
    healthy(e);
  });
});
