// The emulated single-shard cluster (cluster-emulated yes) against redis-server 7.0 in cluster
// mode with one node owning all 16384 slots: the same replies for the same requests (node ids and
// addresses aside), the per-slot key index, and the cluster clients Redis users run: ioredis
// Cluster, node-redis createCluster, redis-cli -c and redis-cli --cluster check. Standalone
// replies are in test/corpus/cluster.redis.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const run = promisify(execFile);
const started: RunningServer[] = [];
const raws: RawClient[] = [];
let ours: RunningServer;
let theirs: RunningServer;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-cluster-'));
  [ours, theirs] = await Promise.all([
    startRedoubt(['--cluster-emulated', 'yes', '--enable-migrate-command', 'yes']),
    startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')], dir),
  ]);
  started.push(ours, theirs);
  const c = await raw(theirs.port);
  assert.equal(await c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'), '+OK\r\n');
  for (let i = 0; i < 100 && !(await c.call('CLUSTER', 'INFO')).includes('cluster_state:ok'); i++) await new Promise((r) => setTimeout(r, 100));
});

after(async () => {
  for (const c of raws) c.close();
  await Promise.all(started.map((s) => s.stop()));
});

async function raw(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  raws.push(c);
  return c;
}

describe('emulated cluster replies as a one-node Redis Cluster', () => {
  test('errors, CROSSSLOT, SELECT, MULTI and scripts: the same replies', async () => {
    const seq: string[][] = [
      ['CLUSTER', 'COUNTKEYSINSLOT', '-1'], ['CLUSTER', 'COUNTKEYSINSLOT', '16384'], ['CLUSTER', 'COUNTKEYSINSLOT', 'abc'],
      ['CLUSTER', 'GETKEYSINSLOT', '1', '-1'], ['CLUSTER', 'GETKEYSINSLOT', '16384', '1'], ['CLUSTER', 'GETKEYSINSLOT', 'x', '1'],
      ['CLUSTER', 'GETKEYSINSLOT', '1', 'x'], ['CLUSTER', 'KEYSLOT', '{}a'], ['CLUSTER', 'KEYSLOT', 'a{}{b}'], ['CLUSTER', 'KEYSLOT', '{a'],
      ['CLUSTER', 'KEYSLOT', 'user:{1000}:name'], ['CLUSTER', 'KEYSLOT', '\x00\xff'], ['CLUSTER', 'KEYSLOT', ''],
      ['CLUSTER', 'INFO'], ['CLUSTER', 'LINKS'], ['CLUSTER', 'nosuch'], ['CLUSTER', 'MYID', 'x'], ['CLUSTER', 'HELP'],
      ['SELECT', '1'], ['SELECT', '0'], ['SELECT', 'x'], ['SWAPDB', '0', '1'], ['MOVE', 'a', '1'],
      ['COPY', '{a}1', '{a}3', 'DB', '1'], ['COPY', '{a}1', '{a}3', 'DB', '0'],
      ['MSET', 'a', '1', 'b', '2'], ['MGET', 'a', 'b'], ['MSET', '{a}1', '1', '{a}2', '2'], ['MGET', '{a}1', '{a}2', '{a}1'],
      ['DEL', '{a}1', 'b'], ['RENAME', '{a}2', 'other'], ['RENAME', '{a}2', '{a}9'], ['SUNIONSTORE', 'd', 's1', 's2'],
      ['EVAL', 'return 1', '2', 'a', 'b'], ['EVAL', 'return 1', '2', '{x}a', '{x}b'], ['SPUBLISH', 'ch', 'm'],
      ['EVAL', "return redis.pcall('cluster','reset')", '0'],
      ['READONLY'], ['READWRITE'], ['ASKING'], ['GET', '{a}9'],
      ['MULTI'], ['SET', 'a', '1'], ['SET', 'b', '1'], ['EXEC'],
      ['MULTI'], ['SET', '{a}1', '1'], ['MSET', 'a', '1', 'b', '2'], ['EXEC'],
      ['MULTI'], ['SET', '{a}1', '1'], ['GET', '{a}2'], ['EXEC'],
      // Scripts: each command's keys in one slot; a script with flags stays in its declared keys' slot.
      ['EVAL', "return redis.call('mget','a','b')", '0'],
      ['EVAL', "redis.call('set','a','1'); return redis.call('set','b','1')", '0'],
      ['EVAL', "#!lua\nredis.call('set','a','1'); return redis.call('set','b','1')", '0'],
      ['EVAL', "#!lua\nreturn redis.call('set',KEYS[1],'1')", '1', 'a'],
      ['EVAL', "#!lua\nreturn redis.call('set','b','1')", '1', 'a'],
      ['EVAL', "#!lua\nreturn redis.pcall('set','b','1')", '1', 'a'],
      ['EVAL', "#!lua flags=allow-cross-slot-keys\nredis.call('set','a','1'); return redis.call('set','b','1')", '0'],
      ['EVAL', "#!lua flags=no-cluster\nreturn 1", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get','{a}1')", '1', '{a}2'],
      ['FUNCTION', 'LOAD', "#!lua name=cl\nredis.register_function{function_name='nc', callback=function() return 1 end, flags={'no-cluster'}}\n" +
        "redis.register_function('cs', function() redis.call('set','a','1') return redis.call('set','b','1') end)\n" +
        "redis.register_function{function_name='ok', callback=function() redis.call('set','a','1') return redis.call('set','b','1') end, flags={'allow-cross-slot-keys'}}"],
      ['FCALL', 'nc', '0'], ['FCALL', 'cs', '0'], ['FCALL', 'ok', '0'], ['FUNCTION', 'DELETE', 'cl'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '15495'], ['CLUSTER', 'COUNTKEYSINSLOT', '0'],
      ['INFO', 'cluster'],
    ];
    const replies = async (port: number): Promise<string[]> => {
      const c = await raw(port);
      await c.call('FLUSHALL');
      const out: string[] = [];
      for (const argv of seq) out.push(await c.call(...argv));
      return out;
    };
    assert.deepEqual(await replies(ours.port), await replies(theirs.port));
  });

  test('MYID, NODES, SLOTS, SHARDS describe one master owning 0-16383 (RESP2 and RESP3)', async () => {
    const c = await raw(ours.port);
    const id = (await c.call('CLUSTER', 'MYID')).split('\r\n')[1] ?? '';
    assert.match(id, /^[0-9a-f]{40}$/);
    const port = ours.port;
    assert.equal(
      await c.call('CLUSTER', 'NODES'),
      bulk(`${id} 127.0.0.1:${port}@${port + 10000} myself,master - 0 0 0 connected 0-16383\n`),
    );
    assert.equal(await c.call('CLUSTER', 'SLOTS'), `*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n${bulk('127.0.0.1')}:${port}\r\n${bulk(id)}*0\r\n`);
    const shard =
      `*1\r\n*4\r\n${bulk('slots')}*2\r\n:0\r\n:16383\r\n${bulk('nodes')}*1\r\n*14\r\n${bulk('id')}${bulk(id)}${bulk('port')}:${port}\r\n` +
      `${bulk('ip')}${bulk('127.0.0.1')}${bulk('endpoint')}${bulk('127.0.0.1')}${bulk('role')}${bulk('master')}` +
      `${bulk('replication-offset')}:0\r\n${bulk('health')}${bulk('online')}`;
    assert.equal(await c.call('CLUSTER', 'SHARDS'), shard);
    await c.call('HELLO', '3');
    assert.equal(await c.call('CLUSTER', 'SLOTS'), `*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n${bulk('127.0.0.1')}:${port}\r\n${bulk(id)}%0\r\n`);
    assert.match(await c.call('CLUSTER', 'NODES'), /^=\d+\r\ntxt:/);
    // Redis's shape, checked on the real one too.
    const r = await raw(theirs.port);
    assert.match(await r.call('CLUSTER', 'SLOTS'), /^\*1\r\n\*3\r\n:0\r\n:16383\r\n\*4\r\n\$0\r\n\r\n:\d+\r\n\$40\r\n[0-9a-f]{40}\r\n\*0\r\n$/);
    assert.equal(await c.call('CLUSTER', 'REPLICAS', id), '*0\r\n');
    assert.equal(await c.call('CLUSTER', 'COUNT-FAILURE-REPORTS', id), ':0\r\n');
    assert.equal(await c.call('CLUSTER', 'REPLICAS', 'nosuch'), '-ERR Unknown node nosuch\r\n');
    assert.equal(
      await c.call('CLUSTER', 'ADDSLOTS', '1'),
      '-ERR CLUSTER ADDSLOTS is not supported by an emulated cluster node (cluster-emulated yes)\r\n',
    );
  });

  test('COUNTKEYSINSLOT and GETKEYSINSLOT follow writes, deletes, renames, expiry and flushes', async () => {
    const ops: string[][] = [
      ['FLUSHALL'],
      ['MSET', '{s}1', 'a', '{s}2', 'b', '{s}3', 'c', 'other', 'x'],
      ['RPUSH', '{s}list', 'a'], ['DEL', '{s}2'], ['RENAME', '{s}3', '{s}4'], ['PEXPIRE', '{s}1', '50'],
      ['LPOP', '{s}list'],
    ];
    const slot = async (port: number): Promise<[string, string[]]> => {
      const c = await raw(port);
      for (const op of ops) await c.call(...op);
      await new Promise((r) => setTimeout(r, 150));
      await c.call('GET', '{s}1');
      const n = await c.call('CLUSTER', 'COUNTKEYSINSLOT', '3828');
      const keys = (await c.call('CLUSTER', 'GETKEYSINSLOT', '3828', '100')).split('\r\n').filter((l) => l.startsWith('{'));
      await c.call('FLUSHALL');
      const after = await c.call('CLUSTER', 'COUNTKEYSINSLOT', '3828');
      return [n + after, keys.sort()];
    };
    assert.equal((await raw(ours.port).then((c) => c.call('CLUSTER', 'KEYSLOT', '{s}x'))), ':3828\r\n');
    assert.deepEqual(await slot(ours.port), await slot(theirs.port));
    const c = await raw(ours.port);
    const many = Array.from({ length: 300 }, (_, i) => [`{m}${i}`, 'v']).flat();
    await c.call('MSET', ...many);
    assert.equal(await c.call('CLUSTER', 'COUNTKEYSINSLOT', (await c.call('CLUSTER', 'KEYSLOT', '{m}')).slice(1, -2)), ':300\r\n');
    const some = await c.call('CLUSTER', 'GETKEYSINSLOT', (await c.call('CLUSTER', 'KEYSLOT', '{m}')).slice(1, -2), '7');
    assert.equal(some.split('\r\n')[0], '*7');
  });

  test('CONFIG SET cluster-emulated turns the cluster face off and on', async () => {
    const c = await raw(ours.port);
    assert.equal(await c.call('CONFIG', 'SET', 'cluster-emulated', 'no'), '+OK\r\n');
    assert.equal(await c.call('CLUSTER', 'INFO'), '-ERR This instance has cluster support disabled\r\n');
    assert.equal(await c.call('MGET', 'a', 'b'), '*2\r\n$-1\r\n$-1\r\n');
    assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
    assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
    assert.equal(await c.call('CONFIG', 'SET', 'cluster-emulated', 'yes'), '+OK\r\n');
    assert.equal(await c.call('MGET', 'a', 'b'), "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    assert.match(await c.call('INFO', 'cluster'), /cluster_enabled:1\r\n/);
  });

  test('MIGRATE from an emulated node sends RESTORE-ASKING, which a Redis Cluster node takes', async () => {
    const c = await raw(ours.port);
    await c.call('SET', 'moving', 'v');
    assert.equal(await c.call('MIGRATE', '127.0.0.1', String(theirs.port), 'moving', '0', '1000'), '+OK\r\n');
    const r = await raw(theirs.port);
    assert.equal(await r.call('GET', 'moving'), '$1\r\nv\r\n');
    assert.equal((await r.call('INFO', 'commandstats')).includes('cmdstat_restore-asking:calls=1'), true);
  });
});

function bulk(s: string): string {
  return `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
}

describe('cluster clients against one emulated node', () => {
  test('ioredis Cluster: commands, same-slot multi-key commands, pipelines, CROSSSLOT', async () => {
    const c = new Cluster([{ host: '127.0.0.1', port: ours.port }]);
    try {
      await c.set('io:a', '1');
      assert.equal(await c.get('io:a'), '1');
      assert.equal(await c.mset('{io}1', 'x', '{io}2', 'y'), 'OK');
      assert.deepEqual(await c.mget('{io}1', '{io}2'), ['x', 'y']);
      const p = c.pipeline();
      p.set('{io}n', '2');
      p.incr('{io}n');
      p.get('{io}n');
      assert.deepEqual(await p.exec(), [[null, 'OK'], [null, 3], [null, '3']]);
      assert.deepEqual(await c.multi().set('{io}t', '1').incr('{io}t').exec(), [[null, 'OK'], [null, 2]]);
      await assert.rejects(c.mget('io:a', 'io:b'), /CROSSSLOT/);
      assert.equal(c.nodes('master').length, 1);
    } finally {
      await c.quit();
    }
  });

  test('node-redis createCluster: commands, same-slot MGET, MULTI', async () => {
    const c = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${ours.port}` }] });
    c.on('error', () => {});
    await c.connect();
    try {
      await c.set('nr:a', '1');
      assert.equal(await c.get('nr:a'), '1');
      await c.mSet([['{nr}1', 'x'], ['{nr}2', 'y']]);
      assert.deepEqual(await c.mGet(['{nr}1', '{nr}2']), ['x', 'y']);
      assert.deepEqual(await c.multi().set('{nr}t', '1').incr('{nr}t').exec(), ['OK', 2]);
      assert.equal(c.masters.length, 1);
    } finally {
      await c.close();
    }
  });

  test('redis-cli -c and redis-cli --cluster check', async () => {
    const p = String(ours.port);
    assert.equal((await run('redis-cli', ['-c', '-p', p, 'SET', 'cli:k', 'v'])).stdout, 'OK\n');
    assert.equal((await run('redis-cli', ['-c', '-p', p, 'GET', 'cli:k'])).stdout, 'v\n');
    const check = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${p}`]);
    const out = check.stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    assert.match(out, /\[OK\] All nodes agree about slots configuration\./);
    assert.match(out, /\[OK\] All 16384 slots covered\./);
    assert.match(out, /slots:\[0-16383\] \(16384 slots\) master/);
  });
});
