// Lua bridge fuzzer: random scripts that mix redis.call / redis.pcall / pcall with arguments of
// every Lua type (integers at the edges, NaN, infinities, binary strings, nested and holed tables,
// functions, nil), the redis.* helpers (status_reply, error_reply with CR/LF/NUL, setresp,
// set_repl, sha1hex, acl_check_cmd, log, breakpoint, debug), cjson, cmsgpack, struct and bit,
// commands a script may not run, and huge or deep return values. Each EVAL is followed on the
// same connection by an ECHO of a token that must come back as the very next reply (a reply that
// smuggles extra RESP would shift it); between scripts the server must answer PING on a
// connection of its own and keep its RSS bounded.
// Sizes: FUZZ_SCRIPTS, FUZZ_SEED (see helpers/fuzz.ts); `npm run fuzz` runs long.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { LONG_RUN, ReplyConnection, Rng, assertHealthy, fuzzSeed, fuzzSize, memoryOf, report } from './helpers/fuzz.js';

const SCRIPTS = fuzzSize('SCRIPTS', 500, 50_000);
const SEED = fuzzSeed(0x5eed_0003);
const RSS_HEADROOM = 1024 * 2 ** 20;
/** The largest table or string a script builds to return (elements or bytes). */
const HUGE = LONG_RUN ? 200_000 : 20_000;

let server: RunningServer;

before(async () => {
  server = await startRedoubt();
});
after(async () => {
  await server.stop();
});

const COMMANDS = [
  'SET', 'GET', 'INCR', 'INCRBYFLOAT', 'DEL', 'EXISTS', 'TYPE', 'APPEND', 'SETRANGE', 'GETRANGE', 'MSET', 'MGET', 'EXPIRE',
  'TTL', 'LPUSH', 'RPUSH', 'LRANGE', 'LPOP', 'HSET', 'HGETALL', 'HINCRBY', 'SADD', 'SMEMBERS', 'SRANDMEMBER', 'ZADD',
  'ZRANGE', 'ZINCRBY', 'ZRANDMEMBER', 'HRANDFIELD', 'XADD', 'XRANGE', 'PFADD', 'PFCOUNT', 'BITFIELD', 'SETBIT', 'SORT',
  'OBJECT', 'DUMP', 'RESTORE', 'TIME', 'DBSIZE', 'SCAN', 'KEYS', 'PING', 'ECHO', 'SELECT', 'INFO', 'COMMAND', 'TYPE',
  // Refused inside scripts: must fail cleanly.
  'EVAL', 'SCRIPT', 'MULTI', 'SUBSCRIBE', 'BLPOP', 'SHUTDOWN', 'CONFIG', 'CLIENT', 'WATCH', 'NOSUCHCOMMAND', '',
];

/** A Lua expression of a random type. */
function expr(r: Rng, depth = 0): string {
  const roll = r.int(depth > 2 ? 8 : 14);
  switch (roll) {
    case 0:
      return 'nil';
    case 1:
      return r.pick(['true', 'false']);
    case 2:
      return r.pick(['0', '-1', '1', '3.5', '-0.0', '2^53', '2^63', '-2^63', '1e308', '1/0', '-1/0', '0/0', '4294967296', '-2147483648']);
    case 3:
      return String(r.int(200) - 100);
    case 4:
      return r.pick(['"a"', '""', '"\\0"', '"a\\r\\nb"', '"\\r\\n+OK\\r\\n"', '"-ERR x\\r\\n"', '"\\255\\128"', '"1e3"', '"  12  "', '"nan"']);
    case 5:
      return `string.char(${Array.from({ length: 1 + r.int(12) }, () => r.int(256)).join(',')})`;
    case 6:
      return r.pick(['KEYS[1]', 'KEYS[2]', 'ARGV[1]', 'ARGV[2]', 'KEYS[9]']);
    case 7:
      return `string.rep(${r.pick(['"x"', '"ab"', '"\\0"'])}, ${r.pick([0, 1, 10, 1000, 100000, HUGE])})`;
    case 8:
      return `{${Array.from({ length: r.int(5) }, () => expr(r, depth + 1)).join(', ')}}`;
    case 9:
      return `{ok=${expr(r, depth + 1)}}`;
    case 10:
      return `{err=${expr(r, depth + 1)}}`;
    case 11:
      return r.pick(['function() return 1 end', 'redis', 'cjson', 'coroutine.create(function() end)', '{1, nil, 3}', '{n=1, [3]=3}']);
    case 12:
      return nested(r.pick([10, 100, 1000]));
    default:
      return `(${call(r, depth + 1)})`;
  }
}

/** A table nested `n` deep. */
function nested(n: number): string {
  return `(function() local t = {} local c = t for i = 1, ${n} do c[1] = {} c = c[1] end return t end)()`;
}

function args(r: Rng, depth: number): string {
  const n = r.int(5);
  return Array.from({ length: n }, () => (r.chance(0.6) ? r.pick(['KEYS[1]', 'KEYS[2]', '"v"', '"1"', '"2.5"', 'ARGV[1]']) : expr(r, depth + 1))).join(', ');
}

/** A call into the bridge or the bundled libraries. */
function call(r: Rng, depth: number): string {
  const cmd = r.chance(0.9) ? `"${r.pick(COMMANDS)}"` : expr(r, depth + 1);
  const a = args(r, depth);
  const sep = a === '' ? '' : ', ';
  switch (r.int(22)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return `redis.call(${cmd}${sep}${a})`;
    case 4:
    case 5:
    case 6:
      return `redis.pcall(${cmd}${sep}${a})`;
    case 7:
      return `pcall(redis.call, ${cmd}${sep}${a})`;
    case 8:
      return `redis.status_reply(${expr(r, depth + 1)})`;
    case 9:
      return `redis.error_reply(${expr(r, depth + 1)})`;
    case 10:
      return `redis.sha1hex(${expr(r, depth + 1)})`;
    case 11:
      return `redis.setresp(${r.pick(['2', '3', '4', '"x"', ''])})`;
    case 12:
      return `redis.set_repl(${r.pick(['redis.REPL_ALL', 'redis.REPL_NONE', 'redis.REPL_AOF', '99', '"x"'])})`;
    case 13:
      return `redis.acl_check_cmd(${cmd}${sep}${a})`;
    case 14:
      return `redis.log(redis.LOG_DEBUG, ${expr(r, depth + 1)})`;
    case 15:
      return r.pick(['redis.breakpoint()', `redis.debug(${expr(r, depth + 1)})`, 'redis.replicate_commands()', 'redis.REDIS_VERSION', 'redis.REDIS_VERSION_NUM']);
    case 16:
      return `cjson.encode(${expr(r, depth + 1)})`;
    case 17:
      return `cjson.decode(${r.pick(['"[1,2,{\\"a\\":null}]"', '"{"', '"1e999"', '"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"', expr(r, depth + 1)])})`;
    case 18:
      return `cmsgpack.unpack(cmsgpack.pack(${expr(r, depth + 1)}))`;
    case 19:
      return r.pick([`cmsgpack.unpack(${expr(r, depth + 1)})`, `struct.pack(${r.pick(['">I2"', '"<d"', '"s"', '"i4"', '"bbbb"'])}, ${expr(r, depth + 1)})`, `struct.unpack(">I4", ${expr(r, depth + 1)})`]);
    case 20:
      return `bit.tohex(${expr(r, depth + 1)}, ${r.pick(['8', '-8', '2147483647', '-2147483648'])})`;
    default:
      return `tostring(${expr(r, depth + 1)}) .. ${r.pick(['"x"', 'string.format("%d", 3)', 'table.concat({"a", "b"}, ",")'])}`;
  }
}

function statement(r: Rng): string {
  const roll = r.int(10);
  if (roll < 5) return `local _ = ${call(r, 0)}`;
  if (roll < 7) return `for i = 1, ${r.pick([1, 10, 100])} do ${call(r, 1)} end`;
  if (roll < 8) return `error(${expr(r)})`;
  if (roll < 9) return `local t = {} for i = 1, ${r.pick([10, 1000, HUGE])} do t[i] = ${r.pick(['i', '"v"', 'i * 0.5', '{i}'])} end redis.call("DEL", KEYS[1]) _G_t = nil`;
  return `local ok, e = pcall(error, ${expr(r)})`;
}

/** A script: statements (each usually inside pcall), then a return of any type or size. */
function script(r: Rng): string {
  const lines: string[] = [];
  const n = 1 + r.int(6);
  for (let i = 0; i < n; i++) {
    const s = statement(r);
    lines.push(r.chance(0.7) ? `pcall(function() ${s} end)` : s);
  }
  const ret = r.int(6);
  if (ret === 0) lines.push(`local t = {} for i = 1, ${r.pick([100, 10000, HUGE])} do t[i] = ${r.pick(['i', 'tostring(i)', '{i, "x"}', 'i + 0.5', 'i % 2 == 0'])} end return t`);
  else if (ret === 1) lines.push(`return ${nested(r.pick([10, 200, 5000]))}`);
  else lines.push(`return ${expr(r)}`);
  return lines.join('\n');
}

test(`Lua bridge fuzzing: ${SCRIPTS} scripts`, async (t) => {
  const started = Date.now();
  const pid = server.process.pid;
  assert.ok(pid !== undefined);
  const baseline = memoryOf(pid).rss;
  const maxRss = baseline + RSS_HEADROOM;
  const r = new Rng(SEED);
  let errors = 0;
  let peak = baseline;
  const c = await ReplyConnection.open(server.port);
  try {
    for (let i = 1; i <= SCRIPTS; i++) {
      const body = script(r);
      const token = `after-${i}-${r.int(1e9)}`;
      const argv = ['EVAL', body, '2', 'lk1', 'lk2', r.pick(['a', '1', '', '2.5']), r.bytes(r.int(8)).toString('latin1')];
      c.write(Buffer.concat([RawClient.encode(argv), RawClient.encode(['ECHO', token])]));
      let evalReply: Buffer;
      let echo: Buffer;
      try {
        evalReply = await c.next(60000);
        echo = await c.next(60000);
      } catch (err) {
        throw new Error(`script ${i} (seed ${SEED}) broke the reply stream: ${String(err)}\n${body}`, { cause: err });
      }
      assert.equal(echo.toString('latin1'), `$${token.length}\r\n${token}\r\n`, `script ${i} desynchronised the connection:\n${body}`);
      if (evalReply[0] === 0x2d) {
        errors++;
        // An error reply is one line: nothing a script raises may break it.
        const line = evalReply.subarray(0, evalReply.length - 2);
        assert.ok(!line.includes(0x0d) && !line.includes(0x0a), `script ${i}: CR or LF inside an error reply:\n${body}`);
      }
      if (i % 50 === 0) {
        peak = Math.max(peak, await assertHealthy(server, maxRss));
        // Unique scripts are cached; the keyspace grows: both are reset now and then.
        c.write(Buffer.concat([RawClient.encode(['SCRIPT', 'FLUSH']), RawClient.encode(['FLUSHALL'])]));
        await c.next(30000);
        await c.next(30000);
      }
    }
  } finally {
    c.close();
  }
  peak = Math.max(peak, await assertHealthy(server, maxRss), memoryOf(pid).peak);
  t.diagnostic(report('lua', SEED, { scripts: SCRIPTS, error_replies: errors }, started, peak));
});
