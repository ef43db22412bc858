// Protocol hardening: the request parser against hostile, malformed, split, huge and pipelined
// input. Every case runs on the real redis-server 7.0 and on Redoubt side by side; the bytes the
// client receives and whether the connection is closed afterwards must be the same.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerPair, type ServerPair } from './helpers/servers.js';
import { RawClient, exchange, type Exchange } from './helpers/raw-client.js';
import { MAX_MULTIBULK, REFUSED, RespParser } from '../src/protocol/resp-parser.js';

const short = (s: string): string => (s.length > 300 ? `${JSON.stringify(s.slice(0, 300))}...(${s.length} bytes)` : JSON.stringify(s));

/** Runs the same exchange on both servers and requires the same bytes and the same close. */
async function same(
  p: ServerPair,
  chunks: readonly (string | Buffer)[],
  opts: Parameters<typeof exchange>[2],
): Promise<Exchange> {
  const [expected, actual] = await Promise.all([exchange(p.redis.port, chunks, opts), exchange(p.redoubt.port, chunks, opts)]);
  assert.equal(short(actual.bytes), short(expected.bytes), 'reply bytes differ from redis-server');
  assert.equal(actual.closed, expected.closed, `redis-server ${expected.closed ? 'closed' : 'kept'} the connection`);
  if (actual.bytes.length > 300) assert.ok(actual.bytes === expected.bytes, 'long replies differ');
  return actual;
}

const bulk = (s: string): string => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
const req = (...argv: string[]): string => RawClient.encode(argv).toString('latin1');
/** A latin1 request as one chunk per byte. */
const byteByByte = (s: string): Buffer[] => Array.from(Buffer.from(s, 'latin1'), (b) => Buffer.of(b));

/** A seeded PRNG (mulberry32), so every fuzz run can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const main = useServerPair();

describe('protocol errors close the connection with Redis\'s exact reply', () => {
  const cases: [string, string, string][] = [
    ['invalid multibulk length: letters', '*abc\r\n', 'invalid multibulk length'],
    ['invalid multibulk length: above INT_MAX', '*3000000000\r\n', 'invalid multibulk length'],
    ['invalid multibulk length: plus sign', '*+1\r\n', 'invalid multibulk length'],
    ['invalid multibulk length: leading zero', '*01\r\n', 'invalid multibulk length'],
    ['invalid multibulk length: minus zero', '*-0\r\n', 'invalid multibulk length'],
    ['invalid multibulk length: 21 digits', `*${'1'.repeat(21)}\r\n`, 'invalid multibulk length'],
    ['invalid multibulk length: empty', '*\r\n', 'invalid multibulk length'],
    ["expected '$': bare word", '*1\r\nfoo\r\n', "expected '$', got 'f'"],
    ["expected '$': integer frame", '*2\r\n$4\r\nECHO\r\n:1\r\n', "expected '$', got ':'"],
    ["expected '$': second argument", '*2\r\n$4\r\nECHO\r\n*1\r\n', "expected '$', got '*'"],
    ['invalid bulk length: letters', '*1\r\n$abc\r\n', 'invalid bulk length'],
    ['invalid bulk length: negative', '*1\r\n$-1\r\n', 'invalid bulk length'],
    ['invalid bulk length: minus zero', '*2\r\n$4\r\nECHO\r\n$-0\r\n', 'invalid bulk length'],
    ['invalid bulk length: above proto-max-bulk-len', '*2\r\n$4\r\nECHO\r\n$600000000\r\n', 'invalid bulk length'],
    ['invalid bulk length: empty', '*1\r\n$\r\n', 'invalid bulk length'],
    ['too big mbulk count string', `*${'1'.repeat(70000)}`, 'too big mbulk count string'],
    ['too big bulk count string', `*1\r\n$${'1'.repeat(70000)}`, 'too big bulk count string'],
    ['too big inline request', 'A'.repeat(70000), 'too big inline request'],
    ['too big inline request after a NUL byte hid the newline', `PING a\0b\r\n${'x'.repeat(70000)}`, 'too big inline request'],
    ['unbalanced double quote', 'SET "a b\r\n', 'unbalanced quotes in request'],
    ['unbalanced single quote', "ECHO 'abc\r\n", 'unbalanced quotes in request'],
    ['closing quote followed by a letter', 'PING "a"b\r\n', 'unbalanced quotes in request'],
    ['trailing backslash inside quotes', 'ECHO "abc\\\r\n', 'unbalanced quotes in request'],
  ];
  for (const [title, input, error] of cases) {
    test(title, async () => {
      const r = await same(main, [input], { until: 'close' });
      assert.equal(r.bytes, `-ERR Protocol error: ${error}\r\n`);
      assert.ok(r.closed);
    });
  }

  test('replies before the bad request are sent; requests after it are not run', async () => {
    const r = await same(main, [`PING\r\n${req('ECHO', 'x')}*abc\r\nPING\r\n${req('ECHO', 'never')}`], { until: 'close' });
    assert.equal(r.bytes, '+PONG\r\n$1\r\nx\r\n-ERR Protocol error: invalid multibulk length\r\n');
  });

  test('a bad request that arrives byte by byte', async () => {
    const r = await same(main, byteByByte('*2\r\n$4\r\nECHO\r\n$x\r\n'), { until: 'close', gapMs: 2 });
    assert.equal(r.bytes, '-ERR Protocol error: invalid bulk length\r\n');
  });
});

describe('NUL bytes in request lines (Redis finds line ends with strchr)', () => {
  test('an inline request containing NUL waits for more input', async () => {
    const r = await same(main, ['PING a\0b\r\n'], { until: 'close', timeoutMs: 400 });
    assert.deepEqual(r, { bytes: '', closed: false });
  });

  test('a NUL before a bulk header waits for more input', async () => {
    const r = await same(main, ['*1\r\n\0$4\r\nPING\r\n'], { until: 'close', timeoutMs: 400 });
    assert.deepEqual(r, { bytes: '', closed: false });
  });

  test('error text shows an argument only up to its first NUL, as C formatting does', async () => {
    const r = await same(main, [req('NOSUCH', 'a\0b', 'c') + req('NO\0X', 'c')], { until: 'echo' });
    assert.equal(r.bytes, "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'c' \r\n-ERR unknown command 'NO', with args beginning with: 'c' \r\n");
  });

  test('NUL inside a bulk payload is ordinary data', async () => {
    const r = await same(main, [req('ECHO', 'a\0b\r\nc')], { until: 'echo' });
    assert.equal(r.bytes, '$6\r\na\0b\r\nc\r\n');
  });
});

describe('inline commands', () => {
  const lines: [string, string][] = [
    ['plain words and extra spaces', '  ECHO    hello   \r\n'],
    ['LF only', 'ECHO lf\n'],
    ['tabs and vertical whitespace between words', 'ECHO\t\x0bword\x0c\r\n'],
    ['double-quoted escapes', 'ECHO "a\\x41\\n\\r\\t\\b\\a\\\\\\"z"\r\n'],
    ['invalid \\x escape stays literal', 'ECHO "\\xZZ\\x4"\r\n'],
    ['unknown escape keeps the character', 'ECHO "\\q\\0"\r\n'],
    ['single quotes only unescape \\\'', "ECHO 'it\\'s \\n raw'\r\n"],
    ['empty quoted argument', 'ECHO ""\r\n'],
    ['quoted words keep spaces', 'ECHO "a  b"\r\n'],
    ['too many arguments by quoting', 'ECHO "a" "b"\r\n'],
    ['lower-case command', 'echo lower\r\n'],
    ['unknown command with quoted args', 'NOSUCH "a b" \'c\'\r\n'],
    ['CR in the middle of a line', 'ECHO a\rb\r\n'],
    ['high bytes', 'ECHO \xff\xfe\x80\r\n'],
    ['quote right after a word', 'ECHO ab"cd"\r\n'],
  ];
  for (const [title, line] of lines) {
    test(title, async () => {
      await same(main, [line], { until: 'echo' });
    });
  }

  test('inline and multibulk requests mixed in one write', async () => {
    const r = await same(main, [`PING\r\n${req('ECHO', 'm')}ECHO i\r\n${req('PING')}`], { until: 'echo' });
    assert.equal(r.bytes, '+PONG\r\n$1\r\nm\r\n$1\r\ni\r\n+PONG\r\n');
  });
});

describe('QUIT', () => {
  test('replies +OK and closes; pipelined requests after it are not run', async () => {
    const r = await same(main, [`PING\r\n${req('QUIT')}${req('ECHO', 'never')}PING\r\n`], { until: 'close' });
    assert.deepEqual(r, { bytes: '+PONG\r\n+OK\r\n', closed: true });
  });

  test('QUIT with arguments is accepted too', async () => {
    const r = await same(main, [req('QUIT', 'now')], { until: 'close' });
    assert.deepEqual(r, { bytes: '+OK\r\n', closed: true });
  });
});

describe('empty requests are ignored', () => {
  test('blank lines, *0 and negative counts', async () => {
    const r = await same(main, ['\r\n\r\n\n*0\r\n*-1\r\n*-100\r\n   \r\nPING\r\n*0\r\n'], { until: 'echo' });
    assert.equal(r.bytes, '+PONG\r\n');
  });
});

describe('pipelining', () => {
  test('10,000 PINGs and ECHOs in one write: replies in order', async () => {
    let input = '';
    let expected = '';
    for (let i = 0; i < 5000; i++) {
      input += req('PING') + req('ECHO', `m${i}`);
      expected += `+PONG\r\n${bulk(`m${i}`)}`;
    }
    const r = await same(main, [input], { until: 'echo' });
    assert.ok(r.bytes === expected, 'replies out of order or missing');
  });

  test('10,000 inline requests in one write', async () => {
    let input = '';
    let expected = '';
    for (let i = 0; i < 10000; i++) {
      input += `ECHO "v ${i}"\r\n`;
      expected += bulk(`v ${i}`);
    }
    const r = await exchange(main.redoubt.port, [input], { until: 'echo' });
    assert.ok(r.bytes === expected, 'replies out of order or missing');
  });
});

describe('requests split at every byte boundary', () => {
  const stream =
    req('PING') +
    req('ECHO', 'a\r\nb') +
    'ECHO "in\\x41line" \'q\'\r\n' +
    '\r\n*0\r\n' +
    req('ECHO', '') +
    req('ECHO', 'x'.repeat(40000)) +
    'PING\n' +
    req('SELECT', '0');
  const input = Buffer.from(stream, 'latin1');

  function parseAll(chunks: Buffer[]): string[][] {
    const p = new RespParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024, unauthenticated: false });
    const out: string[][] = [];
    for (const chunk of chunks) {
      p.feed(chunk);
      for (let argv = p.next(); argv !== null; argv = p.next()) if (argv.length > 0) out.push(argv);
      assert.equal(p.error, null);
    }
    return out;
  }

  test('the parser gives the same commands for every two-way split', () => {
    const whole = parseAll([input]);
    assert.equal(whole.length, 7);
    assert.deepEqual(whole[2], ['ECHO', 'inAline', 'q']);
    // Every boundary of the small requests, then a sample across the 40 KB bulk.
    const bigStart = stream.indexOf('x'.repeat(100));
    for (let i = 1; i < input.length; i += i < bigStart || i > bigStart + 39990 ? 1 : 997) {
      assert.deepEqual(parseAll([input.subarray(0, i), input.subarray(i)]), whole, `split at byte ${i}`);
    }
  });

  test('the parser gives the same commands fed one byte at a time', () => {
    const small = Buffer.from(stream.replace('x'.repeat(40000), 'x'.repeat(40)).replace('$40000', '$40'), 'latin1');
    const expected = parseAll([small]);
    const bytes: Buffer[] = [];
    for (let i = 0; i < small.length; i++) bytes.push(small.subarray(i, i + 1));
    assert.deepEqual(parseAll(bytes), expected);
  });

  test('over the socket, one byte per write', async () => {
    const small = stream.replace('x'.repeat(40000), 'big').replace('$40000', '$3');
    const r = await same(main, byteByByte(small), { until: 'echo', gapMs: 1 });
    assert.ok(r.bytes.startsWith(`+PONG\r\n${bulk('a\r\nb')}-ERR wrong number of arguments for 'echo' command\r\n`), short(r.bytes));
    assert.ok(r.bytes.endsWith('+PONG\r\n+OK\r\n'), short(r.bytes));
  });
});

describe('requests the heap cannot take are read to their end and refused', () => {
  // A refused request (the heap guard said no) is skipped argument by argument without keeping
  // any, answered once, and the requests around it are untouched, wherever the input is split.
  const big = 'b'.repeat(40000);
  const stream = req('SET', 'k1', 'v') + req('SET', 'k2', big) + req('GET', 'k3') + req('SET', big, 'v', big) + req('PING');
  const input = Buffer.from(stream, 'latin1');

  function parseAll(chunks: Buffer[]): (string[] | 'refused')[] {
    // Large arguments are offered one by one: refuse those, allow batches of small ones.
    const p = new RespParser({
      maxBulkLen: 512 * 1024 * 1024,
      maxQueryBuffer: 1024 * 1024 * 1024,
      unauthenticated: false,
      admit: (bytes) => bytes < 32 * 1024,
    });
    const out: (string[] | 'refused')[] = [];
    for (const chunk of chunks) {
      p.feed(chunk);
      for (let argv = p.next(); argv !== null; argv = p.next()) out.push(argv === REFUSED ? 'refused' : argv.map((a) => (a.length > 20 ? `<${a.length}>` : a)));
      assert.equal(p.error, null);
      assert.equal(p.overflow, false);
    }
    return out;
  }

  test('every two-way split gives the same requests, the big ones refused', () => {
    const whole = parseAll([input]);
    assert.deepEqual(whole, [['SET', 'k1', 'v'], 'refused', ['GET', 'k3'], 'refused', ['PING']]);
    for (let i = 1; i < input.length; i += i % 1000 === 0 || i < 100 || input.length - i < 100 ? 1 : 7) {
      assert.deepEqual(parseAll([input.subarray(0, i), input.subarray(i)]), whole, `split at byte ${i}`);
    }
  });

  test('fed in small pieces', () => {
    const pieces: Buffer[] = [];
    for (let i = 0; i < input.length; i += 333) pieces.push(input.subarray(i, i + 333));
    assert.deepEqual(parseAll(pieces), [['SET', 'k1', 'v'], 'refused', ['GET', 'k3'], 'refused', ['PING']]);
  });

  test("the argument count is bounded below what a V8 array holds, with Redis's error", () => {
    const p = new RespParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024, unauthenticated: false });
    p.feed(Buffer.from(`*${MAX_MULTIBULK + 1}\r\n`));
    assert.equal(p.next(), null);
    assert.equal(p.error, 'ERR Protocol error: invalid multibulk length');
    const q = new RespParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024, unauthenticated: false });
    q.feed(Buffer.from(`*${MAX_MULTIBULK}\r\n$0\r\n\r\n`));
    assert.equal(q.next(), null);
    assert.equal(q.error, null);
  });

  test('the arguments of a request in progress count toward the query buffer limit', () => {
    const p = new RespParser({ maxBulkLen: 1024 * 1024, maxQueryBuffer: 1024 * 1024, unauthenticated: false });
    // 40,000 arguments of 30 bytes each: 1.5 MB of arguments, never more than a few bytes unparsed.
    p.feed(Buffer.from('*40000\r\n'));
    const arg = Buffer.from(`$30\r\n${'a'.repeat(30)}\r\n`);
    for (let i = 0; i < 40000 && !p.overflow; i++) {
      p.feed(arg);
      assert.equal(p.next(), null);
    }
    assert.equal(p.overflow, true);
  });
});

describe('binary safety', () => {
  const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

  test('ECHO of all 256 byte values', async () => {
    const r = await same(main, [req('ECHO', all)], { until: 'echo' });
    assert.ok(r.bytes === bulk(all));
  });

  test('each byte value alone as an argument', async () => {
    let input = '';
    let expected = '';
    for (let i = 0; i < 256; i++) {
      input += req('ECHO', String.fromCharCode(i));
      expected += bulk(String.fromCharCode(i));
    }
    const r = await same(main, [input], { until: 'echo' });
    assert.ok(r.bytes === expected);
  });

  test('SET and GET a key and value holding every byte value', async () => {
    await same(main, [req('SET', all, all.split('').reverse().join('')) + req('GET', all) + req('DEL', all)], { until: 'echo' });
  });
});

describe('large bulks', () => {
  test('a 20 MB ECHO arriving in 16 KB chunks', async () => {
    const payload = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const request = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
    const c = await RawClient.connect(main.redoubt.port);
    try {
      for (let i = 0; i < request.length; i += 16384) {
        c.write(request.subarray(i, i + 16384));
        if (i % (1024 * 1024) === 0) await new Promise((r) => setImmediate(r));
      }
      const reply = await c.read(30000);
      assert.ok(reply !== null);
      const header = Buffer.from(`$${payload.length}\r\n`);
      assert.equal(reply.length, header.length + payload.length + 2);
      assert.ok(reply.subarray(0, header.length).equals(header));
      assert.ok(reply.subarray(header.length, header.length + payload.length).equals(payload), 'payload corrupted');
      assert.equal(await c.call('PING'), '+PONG\r\n');
    } finally {
      c.close();
    }
  });

  test('a 1 MB argument split across many writes, then a pipelined PING', async () => {
    const big = 'z'.repeat(1024 * 1024);
    const input = req('ECHO', big) + req('PING');
    const chunks: string[] = [];
    for (let i = 0; i < input.length; i += 50000) chunks.push(input.slice(i, i + 50000));
    const r = await same(main, chunks, { until: 'echo', gapMs: 1 });
    assert.ok(r.bytes === `${bulk(big)}+PONG\r\n`);
  });
});

describe('proto-max-bulk-len and client-query-buffer-limit', () => {
  const small = useServerPair({ args: ['--proto-max-bulk-len', '1mb', '--client-query-buffer-limit', '1mb'] });

  test('a bulk one byte over proto-max-bulk-len is refused at its header', async () => {
    const r = await same(small, [`*2\r\n$4\r\nECHO\r\n$${1024 * 1024 + 1}\r\n`], { until: 'close' });
    assert.equal(r.bytes, '-ERR Protocol error: invalid bulk length\r\n');
  });

  test('a bulk just under the limits is accepted', async () => {
    const big = 'y'.repeat(1000000);
    const r = await same(small, [req('ECHO', big)], { until: 'echo' });
    assert.ok(r.bytes === bulk(big));
  });

  test('a bulk of exactly proto-max-bulk-len', async () => {
    await same(small, [req('ECHO', 'w'.repeat(1024 * 1024))], { until: 'close', timeoutMs: 1500 });
  });

  test('unparsed input beyond the query buffer limit closes the connection without a reply', async () => {
    // A bulk count line that never ends is bounded at 64 KB; a pipeline of requests whose last
    // one is huge and incomplete is what fills the query buffer.
    const input = `*2\r\n$4\r\nECHO\r\n$${1024 * 1024}\r\n${'q'.repeat(1024 * 1024 - 10)}`;
    const r = await same(small, [input, 'q'.repeat(100)], { until: 'close', gapMs: 20, timeoutMs: 1500 });
    assert.equal(r.bytes, '');
  });

  test('the server still answers after those clients were dropped', async () => {
    const r = await same(small, [req('PING')], { until: 'echo' });
    assert.equal(r.bytes, '+PONG\r\n');
  });
});

describe('unauthenticated clients are held to small requests (CVE-2021-32675)', () => {
  const auth = useServerPair({ args: ['--requirepass', 'secret'] });

  test('more than 10 arguments before AUTH', async () => {
    const r = await same(auth, [`*11\r\n`], { until: 'close' });
    assert.equal(r.bytes, '-ERR Protocol error: unauthenticated multibulk length\r\n');
  });

  test('a bulk over 16 KB before AUTH', async () => {
    const r = await same(auth, [`*2\r\n$4\r\nAUTH\r\n$16385\r\n`], { until: 'close' });
    assert.equal(r.bytes, '-ERR Protocol error: unauthenticated bulk length\r\n');
  });

  test('10 arguments of 16 KB before AUTH are still parsed (and refused by NOAUTH)', async () => {
    const r = await same(auth, [req('ECHO', 'a'.repeat(16384)) + req('PING', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i')], { until: 'close', timeoutMs: 500 });
    assert.equal(r.closed, false);
  });

  test('an inline request with many words before AUTH', async () => {
    await same(auth, ['PING a b c d e f g h i j k l\r\n'], { until: 'close', timeoutMs: 500 });
  });

  test('after AUTH the limits are lifted', async () => {
    const r = await same(auth, [req('AUTH', 'secret') + req('ECHO', 'b'.repeat(20000)) + req('PING', ...'abcdefghijkl'.split(''))], {
      until: 'echo',
    });
    assert.ok(r.bytes.startsWith('+OK\r\n$20000\r\n'));
  });
});

describe('cross-protocol guard (CVE-2016-10517)', () => {
  const inputs: [string, string][] = [
    ['an HTTP POST', 'POST / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\nContent-Type: text/plain\r\n\r\nFLUSHALL\r\n'],
    ['an HTTP GET with a Host: line', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
    ['a Host: line alone', 'Host: example.com\r\n'],
    ['POST as a multibulk command', req('POST', 'x')],
    ['lower-case post', 'post /\r\n'],
    ['a PING before the POST gets no reply either', 'PING\r\nPOST / HTTP/1.1\r\n'],
  ];
  for (const [title, input] of inputs) {
    test(title, async () => {
      const r = await same(main, [input], { until: 'close' });
      assert.deepEqual(r, { bytes: '', closed: true });
    });
  }

  test('"Host:" as an argument is harmless', async () => {
    const r = await same(main, [req('ECHO', 'Host:')], { until: 'echo' });
    assert.equal(r.bytes, bulk('Host:'));
  });
});

describe('the server survives hostile clients', () => {
  test('a half-sent command does not block other clients, and completes later', async () => {
    const slow = await RawClient.connect(main.redoubt.port);
    const slowInline = await RawClient.connect(main.redoubt.port);
    try {
      slow.write('*2\r\n$4\r\nECHO\r\n$10\r\nabc');
      slowInline.write('ECH');
      const others = await Promise.all(Array.from({ length: 5 }, () => exchange(main.redoubt.port, [req('PING')], { until: 'echo', timeoutMs: 2000 })));
      for (const o of others) assert.deepEqual(o, { bytes: '+PONG\r\n', closed: false });
      slow.write('defghij\r\n');
      slowInline.write('O hi\r\n');
      assert.equal((await slow.read())?.toString('latin1'), bulk('abcdefghij'));
      assert.equal((await slowInline.read())?.toString('latin1'), bulk('hi'));
    } finally {
      slow.close();
      slowInline.close();
    }
  });

  test('a client that never reads its replies does not block others', async () => {
    const greedy = await RawClient.connect(main.redoubt.port);
    try {
      greedy.socket.pause();
      greedy.write(req('ECHO', 'r'.repeat(1024 * 1024)).repeat(8));
      const r = await exchange(main.redoubt.port, [req('PING')], { until: 'echo', timeoutMs: 3000 });
      assert.deepEqual(r, { bytes: '+PONG\r\n', closed: false });
    } finally {
      greedy.close();
    }
  });

  test('random garbage on 300 connections (seeded), then PING from another client', async () => {
    const seed = Number(process.env['PROTOCOL_FUZZ_SEED'] ?? 20240611);
    const rand = rng(seed);
    const valid = [req('PING'), req('ECHO', 'abc'), 'PING\r\n', 'ECHO "a\\x00b"\r\n', req('SELECT', '1'), req('ECHO', 'x'.repeat(100))];
    const garbage = (): Buffer => {
      const kind = rand();
      if (kind < 0.4) {
        const b = Buffer.alloc(1 + Math.floor(rand() * 200));
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
        return b;
      }
      // Mutated valid requests reach deeper parser states than pure noise.
      const b = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => valid[Math.floor(rand() * valid.length)]!).join(''), 'latin1');
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * b.length);
        const tokens = [0x2a, 0x24, 0x0d, 0x0a, 0x2d, 0x30, 0x39, 0x22, 0x27, 0x5c, 0x00, 0x20];
        b[at] = rand() < 0.5 ? tokens[Math.floor(rand() * tokens.length)]! : Math.floor(rand() * 256);
      }
      return b;
    };
    const inputs = Array.from({ length: 300 }, garbage);
    for (let i = 0; i < inputs.length; i += 25) {
      await Promise.all(
        inputs.slice(i, i + 25).map(async (input, j) => {
          const r = await exchange(main.redoubt.port, [input], { until: 'eof', timeoutMs: 3000 });
          assert.ok(r.closed, `seed ${seed}, input ${i + j} ${JSON.stringify(input.toString('latin1'))}: connection not closed after EOF`);
        }),
      );
    }
    const c = await RawClient.connect(main.redoubt.port);
    try {
      assert.equal(await c.call('PING'), '+PONG\r\n', `seed ${seed}`);
      assert.equal(await c.call('ECHO', 'still here'), bulk('still here'));
    } finally {
      c.close();
    }
    assert.equal(main.redoubt.process.exitCode, null, `seed ${seed}: the server exited`);
  });

  test('mutated requests get the same replies from both servers (seeded)', async () => {
    const seed = Number(process.env['PROTOCOL_FUZZ_SEED'] ?? 7);
    const rand = rng(seed);
    const valid = [req('PING'), req('ECHO', 'abc'), 'PING\r\n', 'ECHO "a b"\r\n', req('ECHO', 'hello world'), 'ECHO \'x\'\r\n'];
    const tokens = [0x2a, 0x24, 0x0d, 0x0a, 0x2d, 0x30, 0x31, 0x39, 0x22, 0x27, 0x5c, 0x20, 0x78];
    for (let n = 0; n < 150; n++) {
      const b = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => valid[Math.floor(rand() * valid.length)]!).join(''), 'latin1');
      const edits = 1 + Math.floor(rand() * 3);
      for (let e = 0; e < edits; e++) b[Math.floor(rand() * b.length)] = tokens[Math.floor(rand() * tokens.length)]!;
      const [expected, actual] = await Promise.all([
        exchange(main.redis.port, [b], { until: 'eof', timeoutMs: 3000 }),
        exchange(main.redoubt.port, [b], { until: 'eof', timeoutMs: 3000 }),
      ]);
      assert.equal(short(actual.bytes), short(expected.bytes), `seed ${seed}, case ${n}: ${JSON.stringify(b.toString('latin1'))}`);
    }
  });
});
