// Long scripts, side by side with redis-server (both at busy-reply-threshold 100): other clients
// get BUSY while the script runs, allow_busy commands still run, SCRIPT KILL stops a script that
// has not written and answers UNKILLABLE for one that has, SHUTDOWN NOSAVE ends the process, and
// the script stays atomic (its caller's pipeline waits, keys do not expire under it). All of it
// also where Lua cannot yield (inside pcall, metamethods, callbacks, coroutines, EXEC, FCALL),
// and SIGTERM ends Redoubt whatever the script does.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt, useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const BUSY = '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n';
const LOOP = 'local i = 0 while true do i = i + 1 end';
const ARGS = ['--busy-reply-threshold', '100'];

const { redis, redoubt } = useServerPair({ args: ARGS });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lua that runs for `ms` by the server's TIME; the inner loop lets the hook fire often. */
const spin = (ms: number): string =>
  "local t0 = redis.call('TIME') local s = t0[1] * 1000000 + t0[2] " +
  `repeat for j = 1, 2000 do end local now = redis.call('TIME') until (now[1] * 1000000 + now[2]) - s > ${ms * 1000} `;

/** Polls with PING until the server answers BUSY (the script is past the threshold). */
async function waitBusy(c: RawClient): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const r = await c.call('PING');
    if (r.startsWith('-BUSY')) return r;
    await sleep(10);
  }
  throw new Error('the server never got busy');
}

/** Runs `fn` against redis-server and Redoubt and returns both results, Redis's first. */
async function both<T>(fn: (port: number) => Promise<T>): Promise<[T, T]> {
  return [await fn(redis.port), await fn(redoubt.port)];
}

describe('busy scripts, compared with redis-server', () => {
  test('BUSY for other clients, allow_busy commands run, SCRIPT KILL stops the script', async () => {
    const [r, d] = await both(async (port) => {
      const caller = await RawClient.connect(port);
      const other = await RawClient.connect(port);
      const seen: string[] = [];
      try {
        caller.write(RawClient.encode(['EVAL', LOOP, '0']));
        seen.push(await waitBusy(other));
        seen.push(await other.call('GET', 'x'));
        seen.push(await other.call('SET', 'x', '1'));
        seen.push(await other.call('HELLO', '2'));
        seen.push(await other.call('SHUTDOWN'));
        seen.push(await other.call('SHUTDOWN', 'SAVE'));
        seen.push(await other.call('SHUTDOWN', 'ABORT'));
        seen.push(await other.call('SHUTDOWN', 'BOGUS'));
        // MULTI is allow_busy; a refused command inside it dooms the transaction, EXEC is refused too.
        seen.push(await other.call('MULTI'));
        seen.push(await other.call('INCR', 'x'));
        seen.push(await other.call('EXEC'));
        seen.push(await other.call('WATCH', 'x'));
        seen.push(await other.call('UNWATCH'));
        seen.push(await other.call('EVAL', 'return 1', '0'));
        seen.push(await other.call('SCRIPT', 'KILL'));
        seen.push((await caller.read())!.toString('latin1'));
        seen.push(await caller.call('PING'));
        seen.push(await other.call('SCRIPT', 'KILL'));
        seen.push(await other.call('GET', 'x'));
        return seen;
      } finally {
        caller.close();
        other.close();
      }
    });
    assert.equal(r[0], BUSY);
    // HELLO's reply names the server; the rest must be byte-identical.
    assert.ok(d[3]!.startsWith('*14\r\n$6\r\nserver\r\n'));
    d[3] = r[3]!;
    assert.deepEqual(d, r);
    assert.match(r[15]!, /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.\r\n$/);
  });

  test('a script that wrote is UNKILLABLE; SHUTDOWN NOSAVE ends the process', async () => {
    const own = await Promise.all([startRedis(ARGS), startRedoubt(ARGS)]);
    try {
      const replies: string[][] = [];
      for (const server of own) {
        const caller = await RawClient.connect(server.port);
        const other = await RawClient.connect(server.port);
        const seen: string[] = [await other.call('SET', 'str', 'v')];
        // A write command that was admitted counts even though it failed.
        caller.write(RawClient.encode(['EVAL', `redis.pcall('LPUSH', 'str', 'x') ${LOOP}`, '0']));
        seen.push(await waitBusy(other));
        seen.push(await other.call('SCRIPT', 'KILL'));
        seen.push(await other.call('SHUTDOWN'));
        const exited = server.exited();
        other.write(RawClient.encode(['SHUTDOWN', 'NOSAVE']));
        assert.equal(await other.read(), null, 'SHUTDOWN NOSAVE closes the connection without a reply');
        assert.equal(await caller.read(), null, "the script's caller gets no reply");
        const code = await Promise.race([exited, sleep(5000).then(() => 'still running')]);
        assert.equal(code, 0);
        replies.push(seen);
        caller.close();
        other.close();
      }
      assert.deepEqual(replies[1], replies[0]);
      assert.match(replies[0]![2]!, /^-UNKILLABLE Sorry the script already executed write commands against the dataset\./);
    } finally {
      await Promise.all(own.map((s) => s.stop()));
    }
  });

  test('NOTBUSY when no script runs; commands refused to a script do not make it unkillable', async () => {
    const [r, d] = await both(async (port) => {
      const c = await RawClient.connect(port);
      const other = await RawClient.connect(port);
      try {
        const seen = [await c.call('SCRIPT', 'KILL')];
        for (const prefix of ["redis.pcall('LPUSH')", "redis.pcall('NOSUCH')", "redis.pcall('GET', 'k')"]) {
          c.write(RawClient.encode(['EVAL', `${prefix} ${LOOP}`, '0']));
          await waitBusy(other);
          seen.push(await other.call('SCRIPT', 'KILL'));
          seen.push((await c.read())!.toString('latin1').replace(/[0-9a-f]{40}/, 'SHA'));
        }
        return seen;
      } finally {
        c.close();
        other.close();
      }
    });
    assert.deepEqual(d, r);
    assert.equal(r[0], '-NOTBUSY No scripts in execution right now.\r\n');
    assert.equal(r.length, 7);
    assert.equal(r[1], '+OK\r\n');
  });

  test("the caller's pipelined commands run after the script, other clients get BUSY until it ends", async () => {
    const [r, d] = await both(async (port) => {
      const caller = await RawClient.connect(port);
      const other = await RawClient.connect(port);
      try {
        await caller.call('DEL', 'n');
        // About 400 ms of work, then it returns on its own.
        const script = `${spin(400)} redis.call('INCR', 'n') return 'done'`;
        caller.write(Buffer.concat([RawClient.encode(['EVAL', script, '0']), RawClient.encode(['INCR', 'n']), RawClient.encode(['GET', 'n'])]));
        const busy = await waitBusy(other);
        const replies = [busy];
        for (let i = 0; i < 3; i++) replies.push((await caller.read())!.toString('latin1'));
        replies.push(await other.call('GET', 'n'));
        return replies;
      } finally {
        caller.close();
        other.close();
      }
    });
    assert.deepEqual(d, r);
    assert.deepEqual(r, [BUSY, '$4\r\ndone\r\n', ':2\r\n', '$1\r\n2\r\n', '$1\r\n2\r\n']);
  });

  test('keys with a TTL do not expire under a suspended script', async () => {
    const [r, d] = await both(async (port) => {
      const caller = await RawClient.connect(port);
      const other = await RawClient.connect(port);
      try {
        await caller.call('SET', 'ttl', 'v', 'PX', '150');
        const script = `${spin(500)} return {redis.call('GET', KEYS[1]), redis.call('EXISTS', KEYS[1])}`;
        caller.write(RawClient.encode(['EVAL', script, '1', 'ttl']));
        await waitBusy(other);
        const out = [(await caller.read())!.toString('latin1')];
        out.push(await other.call('GET', 'ttl'));
        return out;
      } finally {
        caller.close();
        other.close();
      }
    });
    assert.deepEqual(d, r);
    assert.deepEqual(r, ['*2\r\n$1\r\nv\r\n:1\r\n', '$-1\r\n']);
  });
});

describe('busy scripts through ioredis', () => {
  test('ioredis as the caller of a killed script and of a slow one', async () => {
    const client = new Redis({ port: redoubt.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    const other = await RawClient.connect(redoubt.port);
    try {
      await client.connect();
      const killed = client.eval(LOOP, 0);
      await waitBusy(other);
      assert.equal(await other.call('SCRIPT', 'KILL'), '+OK\r\n');
      await assert.rejects(killed, /^ReplyError: ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$/);
      const slow = client.eval(`${spin(400)} return ARGV[1]`, 0, 'result');
      await waitBusy(other);
      const later = client.incr('after-slow');
      assert.equal(await slow, 'result');
      assert.equal(await later, 1);
      assert.equal(await other.call('PING'), '+PONG\r\n');
    } finally {
      client.disconnect();
      other.close();
    }
  });

  test('a caller that disconnects mid-script does not break the server', async () => {
    const caller = await RawClient.connect(redoubt.port);
    const other = await RawClient.connect(redoubt.port);
    try {
      caller.write(RawClient.encode(['EVAL', `redis.call('SET', 'gone', '1') ${spin(400)} return 1`, '0']));
      await waitBusy(other);
      caller.close();
      let reply = BUSY;
      for (let i = 0; i < 200 && reply === BUSY; i++) {
        await sleep(10);
        reply = await other.call('GET', 'gone');
      }
      assert.equal(reply, '$1\r\n1\r\n');
      assert.equal(await other.call('SCRIPT', 'KILL'), '-NOTBUSY No scripts in execution right now.\r\n');
    } finally {
      other.close();
    }
  });
});

/**
 * Endless loops where Lua 5.1 cannot yield (inside a C function that called back into Lua).
 * Each ends with a statement on a later line, where a killed script's line hook fires outside
 * the C call, as in Redis.
 */
const HIDDEN_LOOPS: Record<string, string> = {
  pcall: 'local ok = pcall(function() while true do end end)\nreturn ok',
  'pcall in a loop': 'while true do\n  pcall(function() local i = 0 while true do i = i + 1 end end)\nend',
  xpcall: 'xpcall(function() while true do end end, function(e) return e end)\nreturn 1',
  '__index metamethod': 'local t = setmetatable({}, {__index = function() while true do end end})\nreturn t.x',
  '__eq metamethod': 'local mt = {__eq = function() while true do end end}\nreturn setmetatable({}, mt) == setmetatable({}, mt)',
  '__lt metamethod': 'local mt = {__lt = function() while true do end end}\nreturn setmetatable({}, mt) < setmetatable({}, mt)',
  'table.sort comparator': 'table.sort({3, 2, 1}, function(a, b) while true do end end)\nreturn 1',
  'string.gsub callback': 'string.gsub("abc", "%w", function() while true do end end)\nreturn 1',
  // Redis kills the coroutine, and the script at its own next hook; Redoubt at its next line.
  'coroutine of its own': 'local co = coroutine.create(function() while true do end end)\ncoroutine.resume(co)\nwhile true do end',
};

/** Sends `script` from one client and, once another gets BUSY, kills it; returns what both saw. */
async function busyThenKill(port: number, argv: string[], kill = ['SCRIPT', 'KILL']): Promise<string[]> {
  const caller = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  try {
    caller.write(RawClient.encode(argv));
    const seen = [await waitBusy(other)];
    seen.push(await other.call(...kill));
    seen.push((await caller.read())!.toString('latin1').replace(/[0-9a-f]{40}/, 'SHA'));
    seen.push(await other.call('PING'));
    seen.push(await caller.call('PING'));
    return seen;
  } finally {
    caller.close();
    other.close();
  }
}

describe('scripts that loop where Lua cannot yield, compared with redis-server', () => {
  for (const [form, script] of Object.entries(HIDDEN_LOOPS)) {
    test(`${form}: BUSY for others, SCRIPT KILL stops it, the server goes on`, async () => {
      const [r, d] = await both((port) => busyThenKill(port, ['EVAL', script, '0']));
      assert.deepEqual(d, r);
      assert.deepEqual(r.slice(0, 2), [BUSY, '+OK\r\n']);
      assert.match(r[2]!, /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: SHA, on @user_script:\d\.\r\n$/);
      assert.deepEqual(r.slice(3), ['+PONG\r\n', '+PONG\r\n']);
    });
  }

  test('a looping xpcall error handler: BUSY, and SCRIPT KILL works (Redis 7.0 never answers again)', async () => {
    // Redis raises the kill error from inside its hook, where hooks are off, and runs the
    // handler there: the handler's loop then never sees a hook. Redoubt runs handlers with hooks.
    for (const script of [
      'xpcall(function() while true do end end, function() while true do end end)\nreturn 1',
      'xpcall(function() error("x") end, function() while true do end end)\nreturn 1',
    ]) {
      const seen = await busyThenKill(redoubt.port, ['EVAL', script, '0']);
      assert.deepEqual(seen.slice(0, 2), [BUSY, '+OK\r\n']);
      assert.match(seen[2]!, /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: SHA, on @user_script:2\.\r\n$/);
      assert.deepEqual(seen.slice(3), ['+PONG\r\n', '+PONG\r\n']);
    }
  });

  test('a function (FCALL) looping inside pcall: the function BUSY, FUNCTION KILL', async () => {
    const lib = "#!lua name=busylib\nredis.register_function('spin', function() local ok = pcall(function() while true do end end)\nreturn 1 end)";
    const [r, d] = await both(async (port) => {
      const c = await RawClient.connect(port);
      try {
        const loaded = await c.call('FUNCTION', 'LOAD', 'REPLACE', lib);
        const caller = await RawClient.connect(port);
        const other = await RawClient.connect(port);
        try {
          caller.write(RawClient.encode(['FCALL', 'spin', '0']));
          const seen = [loaded, await waitBusy(other)];
          seen.push(await other.call('SCRIPT', 'KILL'));
          seen.push(await other.call('FUNCTION', 'KILL'));
          seen.push((await caller.read())!.toString('latin1'));
          seen.push(await other.call('PING'));
          return seen;
        } finally {
          caller.close();
          other.close();
        }
      } finally {
        await c.call('FUNCTION', 'FLUSH');
        c.close();
      }
    });
    assert.deepEqual(d, r);
    assert.equal(r[1], '-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n');
    assert.deepEqual(r.slice(3), ['+OK\r\n', '-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:3.\r\n', '+PONG\r\n']);
  });

  test('a script inside MULTI/EXEC: BUSY for others, SCRIPT KILL, and EXEC goes on with the rest', async () => {
    const [r, d] = await both(async (port) => {
      const caller = await RawClient.connect(port);
      const other = await RawClient.connect(port);
      try {
        await caller.call('DEL', 'a');
        caller.write(
          Buffer.concat(
            [
              ['MULTI'],
              ['SET', 'a', '1'],
              ['EVAL', 'local i = 0 while true do i = i + 1 end', '0'],
              ['INCR', 'a'],
              ['EVAL', 'local ok = pcall(function() while true do end end)\nreturn 5', '0'],
              ['GET', 'a'],
              ['EXEC'],
              ['PING'],
            ].map((a) => RawClient.encode(a)),
          ),
        );
        // Redis sends the caller nothing until the script ends; Redoubt may send the replies
        // before EXEC earlier: they are read at the end.
        const seen: string[] = [await waitBusy(other)];
        seen.push(await other.call('GET', 'a'));
        seen.push(await other.call('SCRIPT', 'KILL'));
        // The second script is busy in its turn (Redis may still answer a command sent at once
        // for the first one, which dies when its hook runs next).
        await sleep(50);
        seen.push(await waitBusy(other));
        seen.push(await other.call('SCRIPT', 'KILL'));
        for (let i = 0; i < 8; i++) seen.push((await caller.read())!.toString('latin1').replace(/[0-9a-f]{40}/g, 'SHA'));
        seen.push(await other.call('GET', 'a'));
        return seen;
      } finally {
        caller.close();
        other.close();
      }
    });
    assert.deepEqual(d, r);
    assert.deepEqual(r.slice(0, 5), [BUSY, BUSY, '+OK\r\n', BUSY, '+OK\r\n']);
    assert.deepEqual(r.slice(5, 11), ['+OK\r\n', ...Array<string>(5).fill('+QUEUED\r\n')]);
    assert.equal(
      r[11],
      '*5\r\n+OK\r\n-ERR Script killed by user with SCRIPT KILL... script: SHA, on @user_script:1.\r\n:2\r\n' +
        '-ERR Script killed by user with SCRIPT KILL... script: SHA, on @user_script:2.\r\n$1\r\n2\r\n',
    );
    assert.deepEqual(r.slice(12), ['+PONG\r\n', '$1\r\n2\r\n']);
  });

  test('SHUTDOWN NOSAVE ends the server while a script loops inside pcall', async () => {
    const own = await Promise.all([startRedis(ARGS), startRedoubt(ARGS)]);
    try {
      for (const server of own) {
        const caller = await RawClient.connect(server.port);
        const other = await RawClient.connect(server.port);
        caller.write(RawClient.encode(['EVAL', HIDDEN_LOOPS['pcall']!, '0']));
        assert.equal(await waitBusy(other), BUSY);
        const exited = server.exited();
        other.write(RawClient.encode(['SHUTDOWN', 'NOSAVE']));
        assert.equal(await other.read(), null);
        assert.equal(await Promise.race([exited, sleep(5000).then(() => 'still running')]), 0);
        caller.close();
        other.close();
      }
    } finally {
      await Promise.all(own.map((s) => s.stop()));
    }
  });

  test('SIGTERM ends Redoubt promptly whatever the script does (Redis 7.0 waits for the script)', async () => {
    for (const script of [HIDDEN_LOOPS['pcall']!, 'xpcall(function() error("x") end, function() while true do end end)', 'while true do end']) {
      for (const multi of [false, true]) {
        const server = await startRedoubt(ARGS);
        try {
          const caller = await RawClient.connect(server.port);
          const other = await RawClient.connect(server.port);
          const evalCmd = RawClient.encode(['EVAL', script, '0']);
          caller.write(multi ? Buffer.concat([RawClient.encode(['MULTI']), evalCmd, RawClient.encode(['EXEC'])]) : evalCmd);
          assert.equal(await waitBusy(other), BUSY);
          const exited = server.exited();
          const sent = Date.now();
          server.process.kill('SIGTERM');
          assert.equal(await Promise.race([exited, sleep(3000).then(() => 'still running')]), 0, `${script} (MULTI: ${multi})`);
          assert.ok(Date.now() - sent < 2000);
          assert.match(server.output(), /Received SIGTERM scheduling shutdown/);
          caller.close();
          other.close();
        } finally {
          await server.stop();
        }
      }
    }
  });
});
