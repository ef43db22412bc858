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

  it('starts every script afresh on the coroutine it reuses, whatever the last one left', () => {
    const e = echo();
    const check = 'return {select("#", ...), tostring(coroutine.running()), KEYS[1] or "none", #ARGV}';
    const fresh = '*4\r\n:0\r\n$3\r\nnil\r\n$4\r\nnone\r\n:0\r\n';
    const yieldReply = evalOn(e, 'coroutine.yield(1)');
    assert.match(yieldReply, /^-ERR .*attempt to yield across metamethod\/C-call boundary/);
    const previous = [
      'return 1, 2, 3',
      'error("boom")',
      'coroutine.yield(1)',
      'local function f(n) if n == 0 then return {} end local t = f(n - 1) t[n] = n return t end return #f(150)',
      'return redis.call("echo", KEYS[1], ARGV[2])',
      'local co = coroutine.create(function() coroutine.yield(1) end) coroutine.resume(co) return 1',
    ];
    for (const src of previous) {
      evalOn(e, src, 2, ['k'], ['a', 'b']);
      assert.equal(evalOn(e, check), fresh, `after ${src}`);
      // still the script's own thread: its body cannot yield, the second time as the first
      assert.equal(evalOn(e, 'coroutine.yield(1)'), yieldReply, `after ${src}`);
    }
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
});

/**
 * The places a loop can hide from a Lua 5.1 yield: inside a C function that called back into
 * Lua. Each form runs `body` (statements ending in a return) there and returns its value; a
 * new line follows the call, so that a killed script's line hook fires outside it, as in Redis.
 */
const FORMS: Record<string, (body: string) => string> = {
  pcall: (b) => `local ok, v = pcall(function() ${b} end)\nreturn v`,
  'xpcall body': (b) => `local ok, v = xpcall(function() ${b} end, function(e) return e end)\nreturn v`,
  'xpcall error handler': (b) => `local ok, v = xpcall(function() error("x") end, function() ${b} end)\nreturn v`,
  'pcall in pcall': (b) => `local ok, ok2, v = pcall(pcall, function() ${b} end)\nreturn v`,
  __index: (b) => `local v = setmetatable({}, {__index = function() ${b} end}).x\nreturn v`,
  __newindex: (b) => `local r\nsetmetatable({}, {__newindex = function() r = (function() ${b} end)() end}).x = 1\nreturn r`,
  __eq: (b) => `local r\nlocal mt = {__eq = function() r = (function() ${b} end)() return true end}\nlocal _ = setmetatable({}, mt) == setmetatable({}, mt)\nreturn r`,
  __lt: (b) => `local r\nlocal mt = {__lt = function() r = (function() ${b} end)() return true end}\nlocal _ = setmetatable({}, mt) < setmetatable({}, mt)\nreturn r`,
  __le: (b) => `local r\nlocal mt = {__le = function() r = (function() ${b} end)() return true end}\nlocal _ = setmetatable({}, mt) <= setmetatable({}, mt)\nreturn r`,
  __concat: (b) => `local v = setmetatable({}, {__concat = function() ${b} end}) .. "x"\nreturn v`,
  __call: (b) => `local v = setmetatable({}, {__call = function() ${b} end})()\nreturn v`,
  __unm: (b) => `local v = -setmetatable({}, {__unm = function() ${b} end})\nreturn v`,
  __add: (b) => `local v = setmetatable({}, {__add = function() ${b} end}) + 1\nreturn v`,
  __tostring: (b) => `local v = tostring(setmetatable({}, {__tostring = function() ${b} end}))\nreturn v`,
  'table.sort comparator': (b) => `local r\nlocal t = {3, 1, 2}\ntable.sort(t, function(a, c) if r == nil then r = (function() ${b} end)() end return a < c end)\nreturn r`,
  'table.sort __lt': (b) => `local r\nlocal mt = {__lt = function(a, c) if r == nil then r = (function() ${b} end)() end return a.v < c.v end}\nlocal t = {setmetatable({v = 2}, mt), setmetatable({v = 1}, mt)}\ntable.sort(t)\nreturn r`,
  'string.gsub callback': (b) => `local r\nstring.gsub("ab", "%w", function() if r == nil then r = (function() ${b} end)() end end)\nreturn r`,
  'table.foreach': (b) => `local r\ntable.foreach({1}, function() r = (function() ${b} end)() end)\nreturn r`,
  'generic for iterator': (b) => `local r\nfor k in function() if r then return nil end r = (function() ${b} end)() return 1 end do end\nreturn r`,
  'coroutine of its own': (b) => `local co = coroutine.create(function() ${b} end)\nlocal ok, v = coroutine.resume(co)\nreturn v`,
  'coroutine.wrap': (b) => `local v = coroutine.wrap(function() ${b} end)()\nreturn v`,
  "load()'s reader": (b) => `local r\nlocal f = load(function() if r then return nil end r = (function() ${b} end)() return "return 1" end)\nreturn r`,
};

/** Statements that run a while (past several hooks) and return a known number. */
const WORK = 'local s = 0 for i = 1, 30000 do s = s + i end return s';
const WORK_RESULT = ':450015000\r\n';

describe('suspending and killing a script wherever it is', () => {
  const engine = (extra: Partial<LuaEngineOptions> = {}): LuaEngine => new LuaEngine({ call: () => '+PONG\r\n', memoryLimit: 64 << 20, ...extra });

  /** Runs `src`, resuming it while it is suspended; returns the reply, the suspensions and the
   *  largest saved stack seen. */
  function runSuspending(e: LuaEngine, src: string): { reply: string; yields: number; saved: number } {
    const w = new RespWriter();
    const c = e.compile(src);
    if (!c.ok) throw new Error(`compile: ${c.error}`);
    let yields = 0;
    let saved = 0;
    let r = e.run(c.ref, ['k1'], ['a1'], w, sha1(src));
    while (r === 'suspended') {
      yields++;
      saved = Math.max(saved, e.suspendedBytes);
      assert.equal(w.pending, 0, 'nothing is written while the script is suspended');
      assert.ok(e.suspended);
      r = e.resume();
    }
    assert.ok(!e.suspended);
    e.release(c.ref);
    return { reply: Buffer.concat(w.take()).toString('latin1'), yields, saved };
  }

  /** An engine whose hook always asks to suspend; after `killAfter` hooks, to kill. */
  function suspending(killAfter = Infinity): LuaEngine {
    let hooks = 0;
    return engine({
      hookInterval: 1000,
      interrupt: (canYield) => {
        assert.ok(canYield, 'a script can always be suspended');
        return ++hooks > killAfter ? true : 'yield';
      },
    });
  }

  const healthy = (e: LuaEngine): void => {
    assert.equal(evalOn(e, 'return redis.call("ping")'), '+PONG\r\n');
    assert.equal(evalOn(e, 'return {1, "two"}'), '*2\r\n:1\r\n$3\r\ntwo\r\n');
  };

  it('suspends at its hook and resumes where it stopped, state intact', () => {
    const e = suspending();
    const src = 'local t = {} local s = 0 for i = 1, 200000 do s = s + i t[#t % 7 + 1] = i end return {s, KEYS[1], ARGV[1], #t}';
    const { reply, yields } = runSuspending(e, src);
    assert.equal(reply, '*4\r\n:20000100000\r\n$2\r\nk1\r\n$2\r\na1\r\n:7\r\n');
    assert.ok(yields > 10, `yields: ${yields}`);
    healthy(e);
  });

  for (const [form, wrap] of Object.entries(FORMS)) {
    it(`suspends inside ${form} and finishes with its result`, () => {
      const e = suspending();
      const { reply, yields } = runSuspending(e, wrap(WORK));
      assert.equal(reply, WORK_RESULT);
      assert.ok(yields >= 20, `yields: ${yields}`);
      healthy(e);
    });

    it(`kills an endless loop inside ${form}, which pcall cannot keep alive`, () => {
      const e = suspending(5);
      const { reply, yields } = runSuspending(e, wrap('while true do end'));
      assert.match(reply, /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:\d+\.\r\n$/);
      assert.equal(yields, 5);
      healthy(e);
    });
  }

  it('kills a loop that catches every error, and one whose error handler loops (where Redis 7.0 hangs)', () => {
    for (const src of [
      'while true do pcall(function() while true do end end) end',
      'while true do\n  pcall(function()\n    while true do end\n  end)\nend',
      'local function f() while true do pcall(f) end end\nf()',
      // Killed in the handler too: it ends with "error in error handling", then the next line.
      'xpcall(function() while true do end end, function() while true do end end)\nreturn 1',
      'while true do xpcall(function() while true do end end, function() while true do end end) end',
    ]) {
      const e = suspending(3);
      assert.match(runSuspending(e, src).reply, /^-ERR Script killed by user with SCRIPT KILL\.\.\. /);
      healthy(e);
    }
  });

  it('suspends at the deepest nesting Lua allows, within the saved-stack budget', () => {
    const nests: Record<string, string> = {
      pcall: 'return select(2, pcall(f, d - 1))',
      'sort comparator': 'local r table.sort({3, 1, 2}, function(a, b) if r == nil then r = f(d - 1) end return a < b end) return r',
      xpcall: 'return select(2, xpcall(function() error("x") end, function() return f(d - 1) end))',
      coroutine: 'return select(2, coroutine.resume(coroutine.create(function() return f(d - 1) end)))',
      mixed: 'if d % 3 == 0 then return select(2, pcall(f, d - 1)) elseif d % 3 == 1 then return setmetatable({}, {__index = function() return f(d - 1) end}).x end local r string.gsub("a", "a", function() r = f(d - 1) end) return r',
    };
    let deepest = 0;
    for (const [name, step] of Object.entries(nests)) {
      // xpcall's handler runs one C level deeper per error, so it nests less far.
      const depth = name === 'xpcall' ? 95 : 190;
      const e = suspending();
      const src = `local function f(d) if d == 0 then ${WORK} end ${step} end return f(${depth})`;
      const { reply, yields, saved } = runSuspending(e, src);
      assert.equal(reply, WORK_RESULT, name);
      assert.ok(yields > 0);
      deepest = Math.max(deepest, saved);
      healthy(e);
    }
    // wasm/bridge.c gives Asyncify 1 MiB; the deepest stacks take a small part of it.
    assert.ok(deepest > 10_000 && deepest < 256 << 10, `saved stack: ${deepest} bytes`);
  });

  it('keeps error handling right across a suspension', () => {
    const e = suspending();
    const src = 'local ok, err = pcall(function()\n local s = 0 for i = 1, 30000 do s = s + i end\n error("boom")\n end)\nreturn {tostring(ok), err}';
    assert.equal(runSuspending(e, src).reply, '*2\r\n$5\r\nfalse\r\n$19\r\nuser_script:3: boom\r\n');
    const src2 = 'local ok, err = xpcall(function() local t = nil return t.x end, function(m) local s = 0 for i = 1, 30000 do s = s + i end return "handled: " .. m end)\nreturn err';
    const handled = "handled: user_script:1: attempt to index local 't' (a nil value)";
    assert.equal(runSuspending(e, src2).reply, `$${handled.length}\r\n${handled}\r\n`);
    const src3 = 'local s = 0\nfor i = 1, 100000 do s = s + i end\n\nlocal x = nil\nreturn x.field';
    assert.equal(runSuspending(e, src3).reply, `-ERR user_script:5: attempt to index local 'x' (a nil value) script: ${sha1(src3)}, on @user_script:5.\r\n`);
    // An error in the handler calls it again, as in Lua, until the C stack limit.
    const src4 = 'return {xpcall(function() error("a") end, function(m) error("again") end)}';
    assert.equal(runSuspending(e, src4).reply, '*2\r\n$-1\r\n$23\r\nerror in error handling\r\n');
    const src5 = 'local n = 0 return {xpcall(function() error("a") end, function(m) n = n + 1 if n < 3 then error("again") end return n end)}';
    assert.equal(runSuspending(e, src5).reply, '*2\r\n$-1\r\n:3\r\n');
    const e3 = new LuaEngine({ call: () => '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n', hookInterval: 1000, interrupt: () => 'yield' });
    const src6 = 'for i = 1, 100000 do end\nreturn redis.call("incr", "k")';
    assert.equal(runSuspending(e3, src6).reply, `-WRONGTYPE Operation against a key holding the wrong kind of value script: ${sha1(src6)}, on @user_script:2.\r\n`);
    // The script's own body is no coroutine, as in Redis.
    assert.match(runSuspending(e, 'coroutine.yield(1)').reply, /^-ERR attempt to yield across metamethod\/C-call boundary script: \w+, on @user_script:1\.\r\n$/);
    assert.equal(runSuspending(e, 'return type(coroutine.running())').reply, '$3\r\nnil\r\n');
    healthy(e);
  });

  it('abandons a suspended script at any depth and gives its stack back', () => {
    const e = engine({ hookInterval: 1000, interrupt: () => 'yield' });
    const c = e.compile('local function f(d) if d == 0 then while true do end end return select(2, pcall(f, d - 1)) end return f(150)');
    assert.ok(c.ok);
    // A C stack not given back would run out (2 MiB) long before this ends.
    for (let i = 0; i < 2000; i++) {
      const w = new RespWriter();
      assert.equal(e.run(c.ref, [], [], w, 'x'), 'suspended');
      assert.throws(() => e.run(c.ref, [], [], w, 'x'), /already running/);
      e.abandon();
      assert.ok(!e.suspended);
      assert.equal(w.pending, 0);
    }
    assert.equal(evalOn(e, 'return redis.call("ping")'), '+PONG\r\n');
  });

});

describe('Lua memory and reply sizes', () => {
  const engine = (extra: Partial<LuaEngineOptions> = {}): LuaEngine => new LuaEngine({ call: () => '+PONG\r\n', ...extra });
  const healthy = (e: LuaEngine): void => {
    assert.equal(evalOn(e, 'return redis.call("ping")'), '+PONG\r\n');
    assert.equal(evalOn(e, 'return {1, "two"}'), '*2\r\n:1\r\n$3\r\ntwo\r\n');
  };
  const isError = (reply: string, pattern: RegExp): void => {
    assert.ok(reply.startsWith('-'), `expected an error, got ${JSON.stringify(reply.slice(0, 200))}`);
    assert.match(reply, pattern);
  };

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

  it('refuses a reply larger than the memory cap instead of building it', () => {
    const e = engine({ memoryLimit: 16 << 20 });
    const t0 = Date.now();
    for (const s of [
      // 40 MB of reply from one 4 MB string
      'local s = string.rep("x", 4e6) local t = {} for i = 1, 10 do t[i] = s end return t',
      // every element the same large table: 10^9 elements of reply
      'local a = {} for i = 1, 1e5 do a[i] = i end local t = {} for i = 1, 1e4 do t[i] = a end return t',
      // a table that holds itself: Redis 7.0 walks it until the server dies
      'local t = {} t[1] = t t[2] = t return t',
    ]) {
      isError(evalOn(e, s), /^-ERR The script's reply is larger than the scripting memory limit\r\n$/);
      healthy(e);
    }
    assert.ok(Date.now() - t0 < 20_000, 'refused without walking the whole reply');
    // A deep but small reply is converted, with Redis's error where Lua's stack ends.
    for (const s of ['local t = {} local c = t for i = 1, 10000 do c[1] = {} c = c[1] end return t', 'local t = {map = {}} t.map.x = t return t']) {
      assert.ok(evalOn(e, s).includes('-ERR reached lua stack limit\r\n'));
    }
    assert.ok(e.memoryReserved() < 96 << 20, `wasm memory: ${e.memoryReserved()}`);
  });

  it('fails a redis.call whose reply or arguments exceed the cap as a refused allocation', () => {
    const big = `$${20 << 20}\r\n${'y'.repeat(20 << 20)}\r\n`;
    const e = new LuaEngine({ call: (argv) => (argv[0] === 'get' ? big : '+OK\r\n'), memoryLimit: 16 << 20 });
    assert.equal(evalOn(e, 'local ok, err = pcall(redis.call, "get", "k") return {tostring(ok), err}'), '*2\r\n$5\r\nfalse\r\n$17\r\nnot enough memory\r\n');
    isError(evalOn(e, 'return redis.call("get", "k")'), /not enough memory/);
    isError(evalOn(e, 'local s = string.rep("z", 6e6) return redis.call("set", s, s, s)'), /not enough memory/);
    // KEYS and ARGV past the cap fail before the script starts, and leave the VM as it was.
    isError(evalOn(e, 'return #ARGV', 2, [], ['a'.repeat(10 << 20), 'b'.repeat(10 << 20)]), /^-ERR Error running script [0-9a-f]{40}, not enough memory\r\n$/);
    assert.equal(evalOn(e, 'return #ARGV', 2, [], ['a'.repeat(1 << 20)]), ':1\r\n');
    // A chunk too large to load is Lua's own "not enough memory".
    const chunk = e.compile(`return "${'q'.repeat(20 << 20)}"`);
    assert.ok(!chunk.ok && /not enough memory/.test(chunk.error));
    assert.equal(evalOn(e, 'return redis.call("ping")'), '+OK\r\n');
  });

  it('never puts CR, LF or NUL inside an error or status line', () => {
    const e = engine();
    for (const [src, expected] of [
      ['return redis.error_reply("a\\r\\nb")', '-ERR a  b\r\n'],
      ['return redis.error_reply("a\\0b")', '-ERR a\r\n'],
      ['return {err = "x\\0\\r\\n-ERR injected"}', '-x\r\n'],
      ['return {ok = "fine\\0\\r\\n+INJECTED"}', '+fine\r\n'],
      ['return redis.status_reply("a\\r\\nb")', '+a  b\r\n'],
      ['return {1, {err = "in\\0ner"}}', '*2\r\n:1\r\n-in\r\n'],
    ] as const) {
      assert.equal(evalOn(e, src), expected, src);
    }
    const src = 'error("x\\0y\\nz")';
    assert.equal(evalOn(e, src), `-ERR user_script:1: x script: ${sha1(src)}, on @user_script:1.\r\n`);
    const src2 = 'error("x\\ny\\r\\n")';
    assert.equal(evalOn(e, src2), `-ERR user_script:1: x y   script: ${sha1(src2)}, on @user_script:1.\r\n`);
  });
});
