// The store's state belongs to one server: its command clock, its keyspace counters (dirty, hits,
// misses), its SCAN cursors. Two servers built in one process share none of it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessServer } from './helpers/in-process.js';

test('two servers in one process keep their own counters, clocks and SCAN cursors', () => {
  const a = new InProcessServer();
  const b = new InProcessServer();
  try {
    for (let i = 0; i < 20; i++) a.ok(['SET', `k${i}`, 'v']);
    a.ok(['GET', 'k1']);
    a.ok(['GET', 'missing']);
    b.ok(['GET', 'missing']);
    b.ok(['GET', 'missing']);
    assert.equal(a.info('rdb_changes_since_last_save'), 20);
    assert.equal(b.info('rdb_changes_since_last_save'), 0);
    assert.deepEqual([a.info('keyspace_hits'), a.info('keyspace_misses')], [1, 1]);
    assert.deepEqual([b.info('keyspace_hits'), b.info('keyspace_misses')], [0, 2]);
    a.ok(['CONFIG', 'RESETSTAT']);
    assert.equal(a.info('keyspace_misses'), 0);
    assert.equal(b.info('keyspace_misses'), 2);

    // A clock held still on one server (as EXEC and scripts hold it) does not hold the other's.
    let other = 0;
    const held = a.server.store.clock.frozenAt(1000, () => {
      other = b.server.store.clock.tick();
      return a.server.store.clock.tick();
    });
    assert.equal(held, 1000);
    assert.ok(other > 1_000_000_000_000, `the other server read the held time: ${other}`);
    assert.ok(a.server.store.clock.now() > 1_000_000_000_000, 'the held time outlived frozenAt');

    // SCAN walks park in their own server's table.
    const reply = a.ok(['SCAN', '0', 'COUNT', '5']);
    const cursor = /^\*2\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
    assert.ok(cursor !== null && cursor[1] !== '0', reply);
    assert.equal(a.server.store.scanCursors.parked, 1);
    assert.equal(b.server.store.scanCursors.parked, 0);
    assert.notEqual(a.server.store, b.server.store);
  } finally {
    a.close();
    b.close();
  }
});

test('a key with an expiry past 2^53 ms keeps its exact time through SWAPDB and MOVE', () => {
  const s = new InProcessServer();
  try {
    const at = '9223372036854775000';
    s.ok(['SET', 'k', 'v']);
    s.ok(['PEXPIREAT', 'k', at]);
    assert.equal(s.send(['PEXPIRETIME', 'k']), `:${at}\r\n`);
    s.ok(['SWAPDB', '0', '1']);
    s.ok(['SELECT', '1']);
    assert.equal(s.send(['PEXPIRETIME', 'k']), `:${at}\r\n`);
    s.ok(['MOVE', 'k', '2']);
    s.ok(['SELECT', '2']);
    assert.equal(s.send(['PEXPIRETIME', 'k']), `:${at}\r\n`);
  } finally {
    s.close();
  }
});

test('the dataset part of used_memory is a running total that matches the sum over the databases', () => {
  const s = new InProcessServer();
  // Before every command the memory gate reads this total: it must never drift from the keys'
  // own estimates, whatever changed them.
  const sum = (): number => s.server.dbs.reduce((bytes, db) => bytes + db.usedBytes, 0);
  const total = (): number => s.server.store.dataset.bytes;
  const check = (argv: readonly string[]): void => {
    s.send(argv);
    assert.equal(total(), sum(), `after ${argv.join(' ')}`);
  };
  try {
    assert.equal(total(), 0);
    const script: string[][] = [
      ['SET', 'a', 'x'.repeat(100)],
      ['SET', 'a', 'short', 'EX', '100'],
      ['SET', 'a', 'again'],
      ['SET', 'b', 'v', 'PX', '100000'],
      ['EXPIRE', 'b', '200'],
      ['PERSIST', 'b'],
      ['PERSIST', 'b'],
      ['PEXPIRE', 'b', '-1'],
      ['SET', 'gone', 'v', 'PXAT', '1', 'KEEPTTL'],
      ['SET', 'gone', 'v', 'PXAT', '1'],
      ['GET', 'gone'],
      ['APPEND', 'a', 'y'.repeat(50)],
      ['INCR', 'n'],
      ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'],
      ['HDEL', 'h', 'f1'],
      ['LPUSH', 'l', 'a', 'b', 'c'],
      ['LPOP', 'l'],
      ['SADD', 's', '1', '2', 'x'],
      ['ZADD', 'z', '1', 'm1', '2', 'm2'],
      ['ZADD', 'z', '3', 'm1'],
      ['XADD', 'x', '*', 'f', 'v'],
      ['EXPIRE', 'h', '100'],
      ['RENAME', 'h', 'h2'],
      ['COPY', 'h2', 'h3', 'DB', '1'],
      ['MOVE', 'z', '2'],
      ['SWAPDB', '0', '2'],
      ['SELECT', '2'],
      ['DEL', 'a', 'missing'],
      ['UNLINK', 'l'],
      ['FLUSHDB'],
      ['SELECT', '0'],
      ['SET', 'k', 'v', 'EX', '100'],
      ['FLUSHALL', 'ASYNC'],
      ['SET', 'k', 'v', 'EX', '100'],
    ];
    for (const argv of script) check(argv);
    const dump = s.bulk(['DUMP', 'k']);
    check(['RESTORE', 'r', '100000', dump]);
    check(['RESTORE', 'r', '0', dump, 'REPLACE']);
    assert.ok(total() > 0);
    check(['FLUSHALL']);
    assert.equal(total(), 0);
  } finally {
    s.close();
  }
});
