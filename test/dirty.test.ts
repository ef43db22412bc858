// The dirty counter (INFO rdb_changes_since_last_save, what save points count and what monitoring
// such as prometheus-redis-exporter graphs) against redis-server 7.0: after each command of a
// sequence across the types, both servers report the same number of changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const { redis, redoubt } = useServerPair();

const SEQUENCE: string[][] = [
  ['FLUSHALL'],
  ['SET', 'a', '1'],
  ['SET', 'b', '2', 'EX', '100'],
  ['SET', 'c', '3', 'PX', '100000', 'NX'],
  ['SET', 'c', '4', 'NX'],
  ['MSET', 'x', '1', 'y', '2', 'z', '3'],
  ['INCR', 'counter'],
  ['APPEND', 'counter', '5'],
  ['SETRANGE', 'counter', '0', '9'],
  ['RPUSH', 'list', 'a', 'b', 'c'],
  ['LPUSH', 'list', 'd'],
  ['LPUSHX', 'nolist', 'a'],
  ['LPOP', 'list', '2'],
  // A move is one change, as Redis's lmoveGenericCommand counts it, even when it empties the source.
  ['RPUSH', 'from', 'a', 'b'],
  ['LMOVE', 'from', 'to', 'LEFT', 'RIGHT'],
  ['RPOPLPUSH', 'from', 'to'],
  ['BLMOVE', 'to', 'to', 'LEFT', 'LEFT', '0'],
  ['BRPOPLPUSH', 'nolist', 'to', '0.01'],
  ['SADD', 'set', 'a', 'b', 'c'],
  ['SADD', 'set', 'a', 'd'],
  ['SREM', 'set', 'a', 'b', 'zz'],
  ['ZADD', 'zset', '1', 'a', '2', 'b'],
  ['ZADD', 'zset', '1', 'a', '3', 'b', '4', 'c'],
  ['ZINCRBY', 'zset', '1', 'a'],
  ['HSET', 'hash', 'a', '1', 'b', '2'],
  ['HSET', 'hash', 'a', '3'],
  ['HSETNX', 'hash', 'c', '1'],
  ['HINCRBY', 'hash', 'n', '1'],
  ['HDEL', 'hash', 'a', 'b', 'zz'],
  ['PFADD', 'hll', 'a', 'b', 'c'],
  ['PFADD', 'hll', 'a'],
  ['PFADD', 'hll', 'd', 'e'],
  ['XADD', 'stream', '1-1', 'f', 'v'],
  ['XADD', 'stream', '2-1', 'f', 'v'],
  ['XGROUP', 'CREATE', 'stream', 'g', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 'stream', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'stream', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'dave', 'STREAMS', 'stream', '>'],
  ['XCLAIM', 'stream', 'g', 'bob', '0', '1-1'],
  ['XAUTOCLAIM', 'stream', 'g', 'carol', '0', '0'],
  ['XACK', 'stream', 'g', '1-1'],
  ['XGROUP', 'CREATECONSUMER', 'stream', 'g', 'erin'],
  ['EXPIRE', 'a', '100'],
  ['PERSIST', 'a'],
  ['DEL', 'a', 'b', 'nothing'],
  ['RENAME', 'x', 'x2'],
  ['SELECT', '1'],
  ['SET', 'k', 'v'],
  ['FLUSHDB'],
  ['SELECT', '0'],
  ['FLUSHALL'],
  ['FLUSHALL'],
];

async function changesAfterEach(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    for (const cmd of SEQUENCE) {
      const reply = await c.call(...cmd);
      const changes = /rdb_changes_since_last_save:(\d+)/.exec(await c.call('INFO', 'persistence'))?.[1];
      out.push(`${cmd.join(' ')} -> ${reply.split('\r\n')[0] ?? ''} dirty=${changes ?? '?'}`);
    }
    return out;
  } finally {
    c.close();
  }
}

test('rdb_changes_since_last_save moves as in Redis after each command', async () => {
  const theirs = await changesAfterEach(redis.port);
  const ours = await changesAfterEach(redoubt.port);
  assert.deepEqual(ours, theirs);
});
