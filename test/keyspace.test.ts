// The keyspace family beyond what the byte-for-byte corpus can hold: SCAN's guarantees under
// concurrent modification (every key present throughout is returned, every scan terminates),
// KEYS and RANDOMKEY on larger databases, OBJECT IDLETIME over time, real clients' scan helpers,
// and the command table rows against the real server's COMMAND INFO.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { rowInfo, serverInfo, type Info } from './helpers/command-info.js';
import { keyspaceCommands } from '../src/commands/keyspace.js';
import { ScanCursors, parseCursor } from '../src/store/scan.js';

const { redis, redoubt, redoubtClient: cli } = useServerPair({ redoubtClient: {} });

async function fill(c: Redis, names: readonly string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 1000) {
    const pipe = c.pipeline();
    for (const n of names.slice(i, i + 1000)) pipe.set(n, '1');
    await pipe.exec();
  }
}

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** One SCAN call. */
async function scanStep(c: Redis, cursor: string, ...opts: string[]): Promise<[string, string[]]> {
  const [next, keys] = (await c.call('SCAN', cursor, ...opts)) as [string, string[]];
  return [next, keys];
}

describe('SCAN guarantees', () => {
  test('a full scan returns every key present throughout, despite inserts, deletes and expiry', async () => {
    await cli.flushall();
    const stable = range('stable:', 3000);
    const doomed = range('doomed:', 1500);
    const expiring = range('exp:', 500);
    await fill(cli, [...stable, ...doomed, ...expiring]);
    const pipe = cli.pipeline();
    for (const k of expiring) pipe.pexpire(k, 30);
    await pipe.exec();
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    let added = 0;
    do {
      const [next, keys] = await scanStep(cli, cursor, 'COUNT', '13');
      for (const k of keys) seen.add(k);
      cursor = next;
      calls++;
      // Between calls: delete some doomed keys, add new ones, rewrite stable ones in place.
      const p = cli.pipeline();
      for (let i = 0; i < 5; i++) {
        const d = doomed.pop();
        if (d !== undefined) p.del(d);
        p.set(`new:${added++}`, '1');
      }
      p.set(stable[calls % stable.length]!, 'rewritten');
      await p.exec();
      if (calls === 50) await new Promise((r) => setTimeout(r, 40));
    } while (cursor !== '0' && calls < 100000);
    assert.equal(cursor, '0', 'scan did not terminate');
    for (const k of stable) assert.ok(seen.has(k), `missing ${k}`);
    for (const k of seen) assert.match(k, /^(stable|doomed|exp|new):\d+$/);
    assert.ok(calls < 1000, `too many calls: ${calls}`);
  });

  test('several interleaved scans each cover the keyspace', async () => {
    await cli.flushall();
    const keys = range('k', 2000);
    await fill(cli, keys);
    const cursors = ['0', '0', '0', '0'];
    const seen = cursors.map(() => new Set<string>());
    const done = cursors.map(() => false);
    const counts = ['1', '7', '50', '333'];
    let round = 0;
    while (done.includes(false) && round < 10000) {
      for (let s = 0; s < cursors.length; s++) {
        if (done[s]) continue;
        const [next, got] = await scanStep(cli, cursors[s]!, 'COUNT', counts[s]!);
        for (const k of got) seen[s]!.add(k);
        cursors[s] = next;
        if (next === '0') done[s] = true;
      }
      await cli.set(`extra${round}`, '1');
      await cli.del(`extra${round - 3}`);
      round++;
    }
    for (let s = 0; s < cursors.length; s++) {
      assert.ok(done[s], `scan ${s} did not finish`);
      for (const k of keys) assert.ok(seen[s]!.has(k), `scan ${s} missed ${k}`);
    }
  });

  test('terminates on a keyspace that churns forever', async () => {
    await cli.flushall();
    await fill(cli, range('gen0:', 200));
    let gen = 0;
    let live = range('gen0:', 200);
    let cursor = '0';
    let calls = 0;
    do {
      const [next] = await scanStep(cli, cursor, 'COUNT', '5');
      cursor = next;
      calls++;
      // Replace 20 keys per call: far faster than the scan advances.
      const p = cli.pipeline();
      const fresh = range(`gen${++gen}:`, 20);
      for (const k of live.slice(0, 20)) p.del(k);
      for (const k of fresh) p.set(k, '1');
      await p.exec();
      live = [...live.slice(20), ...fresh];
    } while (cursor !== '0' && calls < 5000);
    assert.equal(cursor, '0');
    assert.ok(calls <= 41, `took ${calls} calls`);
  });

  test('a cursor evicted from the table resumes and still covers an unchanged keyspace', async () => {
    await cli.flushall();
    const keys = range('e', 500);
    await fill(cli, keys);
    const [first, firstKeys] = await scanStep(cli, '0', 'COUNT', '100');
    const seen = new Set(firstKeys);
    // Park far more walks than the table holds, pushing the first one out.
    const p = cli.pipeline();
    for (let i = 0; i < 1500; i++) p.call('SCAN', '0', 'COUNT', '1');
    await p.exec();
    let cursor = first;
    let calls = 0;
    while (cursor !== '0' && calls++ < 1000) {
      const [next, got] = await scanStep(cli, cursor, 'COUNT', '100');
      for (const k of got) seen.add(k);
      cursor = next;
    }
    assert.equal(cursor, '0');
    assert.equal(seen.size, keys.length);
  });

  test('forged and stale cursors terminate', async () => {
    await cli.flushall();
    await fill(cli, range('f', 50));
    for (const forged of ['1', '123456789', '18446744073709551615', '-1', String(2 ** 40)]) {
      let cursor = forged;
      let calls = 0;
      while (calls++ < 100) {
        [cursor] = await scanStep(cli, cursor);
        if (cursor === '0') break;
      }
      assert.equal(cursor, '0', `forged cursor ${forged}`);
    }
    const [stale] = await scanStep(cli, '0', 'COUNT', '10');
    await cli.flushall();
    await fill(cli, range('g', 30));
    const seen = new Set<string>();
    let cursor = stale;
    let calls = 0;
    while (calls++ < 100) {
      const [next, got] = await scanStep(cli, cursor, 'COUNT', '10');
      for (const k of got) seen.add(k);
      cursor = next;
      if (cursor === '0') break;
    }
    assert.equal(cursor, '0');
    for (const k of seen) assert.match(k, /^g\d+$/);
  });

  test('MATCH, TYPE and expiry filter what a scan returns', async () => {
    await cli.flushall();
    await fill(cli, [...range('user:', 300), ...range('item:', 300)]);
    const p = cli.pipeline();
    for (let i = 0; i < 100; i++) p.pexpire(`user:${i}`, 1);
    await p.exec();
    await new Promise((r) => setTimeout(r, 10));
    const collect = async (...opts: string[]): Promise<Set<string>> => {
      const out = new Set<string>();
      let cursor = '0';
      do {
        const [next, got] = await scanStep(cli, cursor, ...opts);
        for (const k of got) out.add(k);
        cursor = next;
      } while (cursor !== '0');
      return out;
    };
    const users = await collect('MATCH', 'user:*', 'COUNT', '17');
    assert.deepEqual([...users].sort(), range('user:', 300).slice(100).sort());
    assert.equal((await collect('TYPE', 'string', 'COUNT', '50')).size, 500);
    assert.equal((await collect('TYPE', 'STRING', 'MATCH', 'item:1?')).size, 10);
    assert.equal((await collect('TYPE', 'list')).size, 0);
    assert.equal((await collect('MATCH', 'nothing*')).size, 0);
  });

  test('a scan of one database does not see another', async () => {
    await cli.flushall();
    await fill(cli, range('db0:', 20));
    const other = new Redis({ port: redoubt.port, db: 3 });
    try {
      await fill(other, range('db3:', 20));
      let cursor = '0';
      const seen = new Set<string>();
      do {
        const [next, got] = (await other.call('SCAN', cursor, 'COUNT', '3')) as [string, string[]];
        for (const k of got) seen.add(k);
        cursor = next;
      } while (cursor !== '0');
      assert.deepEqual([...seen].sort(), range('db3:', 20).sort());
    } finally {
      other.disconnect();
    }
  });

  test('ioredis scanStream and node-redis scanIterator walk everything', async () => {
    await cli.flushall();
    const keys = range('client:', 1234);
    await fill(cli, keys);
    const fromStream = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const s = cli.scanStream({ match: 'client:*', count: 100 });
      s.on('data', (batch: string[]) => batch.forEach((k) => fromStream.add(k)));
      s.on('end', resolve);
      s.on('error', reject);
    });
    assert.equal(fromStream.size, keys.length);
    const nr = createClient({ socket: { port: redoubt.port } });
    await nr.connect();
    try {
      const fromIterator = new Set<string>();
      for await (const batch of nr.scanIterator({ COUNT: 77 })) {
        // Versions differ: batches of keys (v5+) or single keys (v4).
        const items: unknown[] = Array.isArray(batch) ? batch : [batch];
        for (const k of items) fromIterator.add(String(k));
      }
      assert.equal(fromIterator.size, keys.length);
    } finally {
      await nr.quit();
    }
  });
});

describe('scan machinery (unit)', () => {
  test('cursor parsing follows strtoul and Redis checks', () => {
    assert.equal(parseCursor(''), 0n);
    assert.equal(parseCursor('+7'), 7n);
    assert.equal(parseCursor('-1'), 18446744073709551615n);
    assert.equal(parseCursor('007'), 7n);
    assert.equal(parseCursor('18446744073709551615'), 18446744073709551615n);
    assert.equal(parseCursor('18446744073709551616'), null);
    assert.equal(parseCursor(' 1'), null);
    assert.equal(parseCursor('1 '), null);
    assert.equal(parseCursor('+'), null);
    assert.equal(parseCursor('0x1'), null);
  });

  test('walks over different collections do not mix', () => {
    const table = new ScanCursors(8);
    const a = new Set(range('a', 30));
    const b = new Set(range('b', 30));
    const ca = table.step(a, 0n, 10);
    const cb = table.step(b, 0n, 10);
    assert.ok(ca.cursor !== 0n && cb.cursor !== 0n && ca.cursor !== cb.cursor);
    // A's cursor used against B resumes B approximately and only yields B's keys.
    const mixed = table.step(b, ca.cursor, 100);
    assert.equal(mixed.cursor, 0n);
    for (const k of mixed.keys) assert.ok(k.startsWith('b'));
    assert.equal(table.parked, 1);
  });
});

describe('KEYS, RANDOMKEY, OBJECT over larger data', () => {
  test('KEYS returns every match exactly once', async () => {
    await cli.flushall();
    await fill(cli, [...range('a:', 700), ...range('b:', 300)]);
    const got = await cli.keys('a:*');
    assert.equal(got.length, 700);
    assert.equal(new Set(got).size, 700);
    assert.equal((await cli.keys('*')).length, 1000);
    assert.deepEqual((await cli.keys('b:1[0-1]')).sort(), ['b:10', 'b:11']);
  });

  test('RANDOMKEY returns live keys and reaches many of them', async () => {
    await cli.flushall();
    const keys = range('r', 20);
    await fill(cli, keys);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const k = await cli.randomkey();
      assert.ok(k !== null && keys.includes(k));
      seen.add(k);
    }
    assert.ok(seen.size >= 15, `only ${seen.size} distinct keys`);
    await cli.flushall();
    await cli.set('x', '1');
    await cli.pexpire('x', 1);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await cli.randomkey(), null);
  });

  test('OBJECT IDLETIME grows, and only touching reads reset it', async () => {
    await cli.flushall();
    await cli.set('idle', 'v');
    await cli.set('touched', 'v');
    await new Promise((r) => setTimeout(r, 2100));
    // These do not touch.
    await cli.exists('idle');
    await cli.type('idle');
    await cli.ttl('idle');
    const touchedAt = Date.now();
    await cli.touch('touched');
    const idle = Number(await cli.object('IDLETIME', 'idle'));
    const touched = Number(await cli.object('IDLETIME', 'touched'));
    // The idle time counts whole seconds of the clock, as Redis's LRU clock does: 0, unless a
    // second began between the TOUCH and the OBJECT IDLETIME that read it.
    const secondsCrossed = Math.floor(Date.now() / 1000) - Math.floor(touchedAt / 1000);
    assert.ok(idle >= 2 && idle <= 3, `idle ${idle}`);
    assert.ok(touched <= secondsCrossed, `touched ${touched}, ${secondsCrossed} second boundaries crossed`);
  });

  test('COPY duplicates and RENAME moves the value with its TTL', async () => {
    await cli.flushall();
    await cli.set('src', 'value', 'PX', 100000);
    assert.equal(await cli.copy('src', 'dst'), 1);
    const pttl = await cli.pttl('dst');
    assert.ok(pttl > 99000 && pttl <= 100000);
    await cli.rename('dst', 'moved');
    assert.equal(await cli.get('moved'), 'value');
    assert.ok((await cli.pttl('moved')) > 99000);
    assert.equal(await cli.exists('dst'), 0);
  });

  test('SWAPDB moves keys between databases for clients of both', async () => {
    await cli.flushall();
    const other = new Redis({ port: redoubt.port, db: 1 });
    try {
      await cli.set('in0', 'zero');
      await other.set('in1', 'one');
      await cli.swapdb(0, 1);
      assert.equal(await cli.get('in1'), 'one');
      assert.equal(await cli.get('in0'), null);
      assert.equal(await other.get('in0'), 'zero');
    } finally {
      other.disconnect();
    }
  });
});

// --- the table against the real server's COMMAND INFO ---

describe('command table rows match COMMAND INFO of redis-server', () => {
  test('every keyspace command', async () => {
    const real = new Redis({ port: redis.port });
    try {
      for (const spec of keyspaceCommands) {
        const [info] = (await real.call('COMMAND', 'INFO', spec.name)) as [Info];
        assert.deepEqual(rowInfo(spec), serverInfo(info), spec.name);
        assert.ok(spec.docs !== undefined, `${spec.name} has docs`);
      }
    } finally {
      real.disconnect();
    }
  });
});

describe('raw replies', () => {
  test('SCAN replies with a bulk cursor and an array, in both protocols', async () => {
    const c = await RawClient.connect(redoubt.port);
    try {
      await c.call('FLUSHALL');
      assert.equal(await c.call('SCAN', '0'), '*2\r\n$1\r\n0\r\n*0\r\n');
      await c.call('HELLO', '3');
      await c.call('SET', 'k', 'v');
      assert.equal(await c.call('SCAN', '0'), '*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n');
    } finally {
      c.close();
    }
  });
});
