// Protocol fuzzer: random and mutated RESP and inline frames (valid commands on a small keyspace,
// hostile lengths and types, byte flips, truncations, garbage) sent pipelined over several
// connections to a spawned server, each batch cut into chunks at random boundaries. The server
// must stay up, answer PING on a connection of its own between batches, and keep its RSS bounded.
// Sizes: FUZZ_FRAMES, FUZZ_CONNECTIONS, FUZZ_SEED (see helpers/fuzz.ts); `npm run fuzz` runs long.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { Rng, assertHealthy, fuzzSeed, fuzzSize, memoryOf, report } from './helpers/fuzz.js';

const FRAMES = fuzzSize('FRAMES', 4000, 400_000);
const CONNECTIONS = fuzzSize('CONNECTIONS', 4, 16);
const SEED = fuzzSeed(0x5eed_0001);
/**
 * The server's RSS may grow this far above its size at start. The keyspace is flushed often, and
 * the server runs with proto-max-bulk-len 16mb, so that no legitimate value (a SETBIT at a huge
 * offset, an LCS table) comes near the bound: growth past it is a defect, not a big value.
 */
const RSS_HEADROOM = 512 * 2 ** 20;

const PASSWORD = 'fuzz-password-not-guessed';

let server: RunningServer;
/** The same server with a password: every fuzzing connection stays unauthenticated. */
let locked: RunningServer;

before(async () => {
  [server, locked] = await Promise.all([startRedoubt(['--proto-max-bulk-len', '16mb']), startRedoubt(['--requirepass', PASSWORD])]);
});
after(async () => {
  await Promise.all([server.stop(), locked.stop()]);
});

// --- frames ---

/** Commands with argument shapes: k key, v value, i integer, f float, p pattern, literal words as is. */
const COMMANDS: readonly string[] = [
  'PING', 'PING v', 'ECHO v', 'SET k v', 'SET k v EX i', 'SET k v PX i NX GET', 'GET k', 'GETDEL k', 'GETEX k PX i',
  'GETRANGE k i i', 'SETRANGE k i v', 'APPEND k v', 'STRLEN k', 'INCR k', 'INCRBY k i', 'DECRBY k i', 'INCRBYFLOAT k f',
  'MSET k v k v', 'MSETNX k v k v', 'MGET k k k', 'DEL k k', 'UNLINK k', 'EXISTS k k', 'EXPIRE k i', 'PEXPIREAT k i',
  'PERSIST k', 'TTL k', 'PTTL k', 'TYPE k', 'RENAME k k', 'RENAMENX k k', 'COPY k k REPLACE', 'MOVE k i', 'TOUCH k',
  'LPUSH k v v', 'RPUSH k v', 'LPUSHX k v', 'LRANGE k i i', 'LINDEX k i', 'LSET k i v', 'LPOP k i', 'RPOP k',
  'LINSERT k BEFORE v v', 'LPOS k v RANK i COUNT i', 'LREM k i v', 'LTRIM k i i', 'LMOVE k k LEFT RIGHT', 'LLEN k',
  'BLPOP k 0.01', 'BRPOP k k 0.01', 'BLMPOP 0.01 2 k k LEFT COUNT i',
  'HSET k v v v v', 'HGET k v', 'HDEL k v', 'HGETALL k', 'HKEYS k', 'HINCRBY k v i', 'HINCRBYFLOAT k v f',
  'HRANDFIELD k i', 'HRANDFIELD k i WITHVALUES', 'HSCAN k i MATCH p COUNT i', 'HSTRLEN k v',
  'SADD k v v v', 'SREM k v', 'SMEMBERS k', 'SISMEMBER k v', 'SMISMEMBER k v v', 'SCARD k', 'SRANDMEMBER k i',
  'SPOP k i', 'SINTER k k', 'SUNION k k', 'SDIFF k k', 'SINTERSTORE k k k', 'SUNIONSTORE k k k', 'SINTERCARD 2 k k LIMIT i',
  'SMOVE k k v', 'SSCAN k i MATCH p',
  'ZADD k f v f v', 'ZADD k NX CH f v', 'ZADD k GT INCR f v', 'ZINCRBY k f v', 'ZREM k v', 'ZSCORE k v', 'ZMSCORE k v v',
  'ZRANGE k i i WITHSCORES', 'ZRANGE k f f BYSCORE LIMIT i i', 'ZRANGE k [v (v BYLEX REV', 'ZRANGEBYSCORE k f f WITHSCORES',
  'ZRANK k v', 'ZCOUNT k f f', 'ZLEXCOUNT k - +', 'ZPOPMIN k i', 'ZRANDMEMBER k i WITHSCORES', 'ZUNIONSTORE k 2 k k WEIGHTS f f',
  'ZINTER 2 k k WITHSCORES', 'ZDIFF 2 k k', 'ZMPOP 1 k MIN COUNT i', 'BZPOPMIN k 0.01', 'ZSCAN k i',
  'XADD k * v v', 'XADD k MAXLEN ~ i * v v', 'XADD k i-i v v', 'XRANGE k - +', 'XREVRANGE k + - COUNT i', 'XLEN k',
  'XTRIM k MAXLEN i', 'XDEL k i-i', 'XGROUP CREATE k v $ MKSTREAM', 'XREADGROUP GROUP v v COUNT i STREAMS k >',
  'XREAD COUNT i STREAMS k 0', 'XACK k v i-i', 'XPENDING k v', 'XCLAIM k v v i i-i', 'XAUTOCLAIM k v v i 0',
  'XINFO STREAM k', 'XINFO STREAM k FULL', 'XINFO GROUPS k', 'XSETID k i-i',
  'PFADD k v v', 'PFCOUNT k k', 'PFMERGE k k', 'SETBIT k i i', 'GETBIT k i', 'BITCOUNT k i i BIT', 'BITPOS k i',
  'BITOP AND k k k', 'BITFIELD k SET u8 i i GET i16 i INCRBY u4 i i', 'GEOADD k f f v', 'GEODIST k v v',
  'GEOSEARCH k FROMLONLAT f f BYRADIUS f km ASC', 'SORT k LIMIT i i ALPHA', 'SORT_RO k BY v', 'LCS k k', 'LCS k k IDX',
  'SCAN i MATCH p COUNT i TYPE v', 'KEYS p', 'RANDOMKEY', 'DBSIZE', 'SELECT i', 'SWAPDB i i', 'FLUSHDB',
  'MULTI', 'EXEC', 'DISCARD', 'WATCH k', 'UNWATCH', 'SUBSCRIBE v', 'UNSUBSCRIBE', 'PSUBSCRIBE p', 'PUNSUBSCRIBE',
  'PUBLISH v v', 'PUBSUB CHANNELS p', 'PUBSUB NUMSUB v', 'CLIENT SETNAME v', 'CLIENT GETNAME', 'CLIENT INFO',
  'CLIENT NO-EVICT on', 'CLIENT REPLY SKIP', 'HELLO i', 'HELLO i SETNAME v', 'RESET', 'OBJECT ENCODING k', 'OBJECT FREQ k',
  'DUMP k', 'RESTORE k i v REPLACE', 'MEMORY USAGE k', 'COMMAND INFO v', 'COMMAND GETKEYS v k v', 'COMMAND COUNT',
  'INFO', 'INFO v', 'TIME', 'LASTSAVE', 'ROLE', 'LOLWUT', 'ECHO', 'GET', 'SET k', 'NOSUCHCOMMAND v',
  'EVAL v i k v', 'EVALSHA v i', 'SCRIPT EXISTS v', 'FCALL v i', 'FUNCTION LIST', 'WAIT i i',
];

const KEYS = Array.from({ length: 24 }, (_, i) => `k${i}`);
const INTEGERS = ['0', '1', '-1', '2', '10', '100', '-100', '4294967296', '2147483647', '-2147483648', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '18446744073709551616', '1e3', '0x10', '', ' 1', '+5', '-0'];
const FLOATS = ['0', '1.5', '-2.25', 'inf', '-inf', '+inf', 'nan', '1e308', '-1e-308', '4.9e-324', '1e400', '0.1', 'abc', ''];
const PATTERNS = ['*', 'k*', '*1', 'k[0-9]', 'k?', '[^a]*', '\\*', '*a*a*a*a*b', '[', 'k[', '**********', ''];

function value(r: Rng): string {
  const roll = r.next();
  if (roll < 0.3) return r.pick(INTEGERS);
  if (roll < 0.55) return r.pick(['a', 'b', 'hello', '', ' ', '$', '*', '\r\n', 'v'.repeat(r.int(70))]);
  if (roll < 0.9) return r.bytes(r.int(24)).toString('latin1');
  if (roll < 0.99) return r.bytes(256 + r.int(4096)).toString('latin1');
  return 'x'.repeat(65536 + r.int(65536));
}

function argv(r: Rng): string[] {
  const words = r.pick(COMMANDS).split(' ');
  const out: string[] = [];
  for (const w of words) {
    if (w === 'k') out.push(r.pick(KEYS));
    else if (w === 'v') out.push(value(r));
    else if (w === 'i') out.push(r.chance(0.8) ? String(r.int(20) - 5) : r.pick(INTEGERS));
    else if (w === 'f') out.push(r.chance(0.7) ? String((r.next() - 0.5) * 200) : r.pick(FLOATS));
    else if (w === 'p') out.push(r.pick(PATTERNS));
    else if (w === 'i-i') out.push(`${r.int(5)}-${r.int(5)}`);
    else out.push(r.chance(0.05) ? w.toLowerCase() : w);
  }
  return out;
}

function multibulk(args: readonly string[]): Buffer {
  return RawClient.encode(args);
}

function inline(args: readonly string[], r: Rng): Buffer {
  const words = args.map((a) => (r.chance(0.3) ? `"${a.replace(/["\\]/g, '\\$&')}"` : a));
  return Buffer.from(`${words.join(' ')}${r.chance(0.5) ? '\r\n' : '\n'}`, 'latin1');
}

/** Frames a well-meaning parser must survive: impossible lengths, wrong types, half frames. */
const HOSTILE: readonly ((r: Rng) => Buffer)[] = [
  () => Buffer.from('*-1\r\n'),
  () => Buffer.from('*0\r\n'),
  () => Buffer.from('*1\r\n$-1\r\n'),
  () => Buffer.from('*1\r\n$-5\r\n'),
  () => Buffer.from('*2147483648\r\n'),
  () => Buffer.from('*99999999999999999999\r\n'),
  () => Buffer.from('*1\r\n$2147483647\r\nabc'),
  () => Buffer.from('*1\r\n$9223372036854775807\r\n'),
  () => Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\nshort'),
  () => Buffer.from('*1048577\r\n$4\r\nPING\r\n'),
  () => Buffer.from('$5\r\nhello\r\n'),
  () => Buffer.from('*1\r\n:5\r\n'),
  () => Buffer.from('*2\r\n$3\r\nGET\r\n*1\r\n$1\r\nk\r\n'),
  () => Buffer.from('*1\r\n$4\r\nPINGxx'),
  () => Buffer.from('*1\r\n$4\r\nPI'),
  () => Buffer.from('*1x\r\n'),
  () => Buffer.from('*\r\n'),
  () => Buffer.from('*1\r\n$\r\n\r\n'),
  () => Buffer.from('\r\n\r\n\n\n'),
  () => Buffer.from('"unbalanced quote\r\n'),
  () => Buffer.from("'single\\' x\r\n"),
  () => Buffer.from('SET k "a\\x00\\xzz\\"" \r\n'),
  () => Buffer.from('%1\r\n$1\r\na\r\n$1\r\nb\r\n'),
  () => Buffer.from('~2\r\n$1\r\na\r\n$1\r\nb\r\n'),
  () => Buffer.from('>1\r\n$4\r\nPING\r\n'),
  () => Buffer.from('|1\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$4\r\nPING\r\n'),
  () => Buffer.from('_\r\n#t\r\n,1.5\r\n(123\r\n!3\r\nerr\r\n=7\r\ntxt:abc\r\n'),
  (r) => Buffer.concat([Buffer.from('*1\r\n$'), Buffer.from(String(r.int(2 ** 31))), Buffer.from('\r\n')]),
  (r) => r.bytes(1 + r.int(512)),
  (r) => Buffer.from('x'.repeat(1 + r.int(70000))),
  (r) => Buffer.from(`*${2000 + r.int(20000)}\r\n${'$0\r\n\r\n'.repeat(2000)}`),
  (r) => Buffer.concat([Buffer.from('*2\r\n$4\r\nECHO\r\n$'), Buffer.from(String(200000 + r.int(800000))), Buffer.from('\r\n'), Buffer.alloc(1000, 0x61)]),
];

/** A valid frame with a few bytes changed, cut, repeated or inserted. */
function mutate(frame: Buffer, r: Rng): Buffer {
  let b = Buffer.from(frame);
  const edits = 1 + r.int(3);
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = r.int(b.length);
    switch (r.int(6)) {
      case 0:
        b[at] = r.int(256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(8))]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(8)), b.subarray(at)]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4: {
        const end = Math.min(b.length, at + 1 + r.int(32));
        b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
        break;
      }
      default:
        // A length digit turned into a run of nines.
        if ((b[at] ?? 0) >= 0x30 && (b[at] ?? 0) <= 0x39) b = Buffer.concat([b.subarray(0, at), Buffer.from('9'.repeat(1 + r.int(12))), b.subarray(at + 1)]);
        else b[at] = r.pick([0x0d, 0x0a, 0x2a, 0x24, 0x2d, 0x00]);
    }
  }
  return b;
}

/** A well-formed request, mostly RESP, sometimes inline. */
function validFrame(r: Rng): Buffer {
  return r.chance(0.85) ? multibulk(argv(r)) : inline(argv(r), r);
}

/** A hostile or mutated frame: after it, the rest of the batch may be read as part of it. */
function badFrame(r: Rng): Buffer {
  return r.chance(0.4) ? r.pick(HOSTILE)(r) : mutate(validFrame(r), r);
}

/** A batch of `n` frames: clean ones only, or with bad frames mixed in (more often near the end). */
function batchOf(n: number, r: Rng): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) frames.push(validFrame(r));
  if (r.chance(0.45)) {
    const bad = 1 + r.int(3);
    for (let j = 0; j < bad; j++) frames.splice(r.chance(0.5) ? frames.length : r.int(frames.length + 1), 0, badFrame(r));
  }
  return frames;
}

// --- connections ---

/**
 * One fuzzing connection: sends a batch cut at random boundaries, then RESET and an ECHO of a
 * token, and waits for the token. A batch that leaves the parser waiting for bytes that never
 * come (or a server that closes the connection) just ends the connection; a new one follows.
 */
class FuzzConnection {
  private received = '';
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      // Only the tail matters: it is searched for the batch's token.
      this.received = (this.received + d.toString('latin1')).slice(-256);
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static open(port: number): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => resolve(new FuzzConnection(s)));
      s.once('error', reject);
    });
  }

  /** True when the batch was answered through to its token. */
  async send(batch: Buffer, token: string, r: Rng, waitMs = 1500): Promise<boolean> {
    const tail = Buffer.concat([RawClient.encode(['RESET']), RawClient.encode(['ECHO', token])]);
    const bytes = Buffer.concat([batch, tail]);
    let at = 0;
    while (at < bytes.length && !this.closed) {
      const n = r.chance(0.3) ? 1 + r.int(16) : 1 + r.int(8192);
      this.socket.write(bytes.subarray(at, at + n));
      at += n;
      if (r.chance(0.1)) await new Promise((res) => setImmediate(res));
    }
    const deadline = Date.now() + waitMs;
    while (!this.closed && Date.now() < deadline) {
      if (this.received.includes(token)) return true;
      await new Promise((res) => setTimeout(res, 2));
    }
    return false;
  }

  close(): void {
    this.socket.destroy();
  }
}

test(`protocol fuzzing: ${FRAMES} frames over ${CONNECTIONS} connections`, async (t) => {
  const started = Date.now();
  const pid = server.process.pid;
  assert.ok(pid !== undefined);
  const baseline = memoryOf(pid).rss;
  const maxRss = baseline + RSS_HEADROOM;
  let sent = 0;
  let batches = 0;
  let answered = 0;
  let reconnects = 0;
  let peak = baseline;
  const control = await RawClient.connect(server.port);

  const worker = async (w: number): Promise<void> => {
    const r = new Rng(SEED + w * 7919);
    let conn = await FuzzConnection.open(server.port);
    while (sent < FRAMES) {
      const frames = batchOf(Math.min(1 + r.int(40), FRAMES - sent), r);
      sent += frames.length;
      batches++;
      if (await conn.send(Buffer.concat(frames), `tok-${w}-${batches}-${r.int(1e9)}`, r)) {
        answered++;
      } else {
        conn.close();
        reconnects++;
        conn = await FuzzConnection.open(server.port);
      }
    }
    conn.close();
  };

  try {
    const workers = Array.from({ length: CONNECTIONS }, (_, w) => worker(w));
    // Health between batches: PING on a fresh connection, RSS, and the keyspace kept small.
    const watch = (async () => {
      let last = -1;
      while (sent < FRAMES) {
        await new Promise((res) => setTimeout(res, 500));
        if (sent === last) continue;
        last = sent;
        peak = Math.max(peak, await assertHealthy(server, maxRss));
        control.write(RawClient.encode(['FLUSHALL']));
        await control.read(30000);
      }
    })();
    await Promise.all([...workers, watch]);
  } finally {
    control.close();
  }
  peak = Math.max(peak, await assertHealthy(server, maxRss), memoryOf(pid).peak);
  t.diagnostic(report('protocol', SEED, { frames: sent, connections: CONNECTIONS, batches, answered, reconnects }, started, peak));
  assert.ok(answered > batches / 4, `only ${answered} of ${batches} batches answered`);
});

test(`protocol fuzzing before authentication: ${Math.ceil(FRAMES / 4)} frames`, async (t) => {
  const started = Date.now();
  const pid = locked.process.pid;
  assert.ok(pid !== undefined);
  const baseline = memoryOf(pid).rss;
  const maxRss = baseline + RSS_HEADROOM;
  const total = Math.ceil(FRAMES / 4);
  const r = new Rng(SEED ^ 0x9e3779b9);
  let sent = 0;
  let batches = 0;
  let closedByServer = 0;
  let peak = baseline;
  while (sent < total) {
    const frames = batchOf(Math.min(1 + r.int(40), total - sent), r);
    sent += frames.length;
    batches++;
    // Nothing is answered but errors: each batch gets a connection of its own, read until the
    // server closes it or falls silent.
    const conn = await FuzzConnection.open(locked.port);
    await conn.send(Buffer.concat(frames), `never-${batches}`, r, 100);
    if (conn.closed) closedByServer++;
    conn.close();
    if (batches % 20 === 0) peak = Math.max(peak, await assertHealthy(locked, maxRss, 10000, PASSWORD));
  }
  peak = Math.max(peak, await assertHealthy(locked, maxRss, 10000, PASSWORD), memoryOf(pid).peak);
  t.diagnostic(report('protocol-unauthenticated', SEED, { frames: sent, batches, closed_by_server: closedByServer }, started, peak));
});
