// INFO, TIME, SLOWLOG, LATENCY and SHUTDOWN on live servers: INFO's sections and field names
// against the real redis-server, values that move with what clients do, slow log entries with
// their client details, and SHUTDOWN really stopping the process (or refusing to).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedoubt, useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { waitFor } from './helpers/workload-target.js';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { redis, redoubt, redoubtClient: cli, redisClient: ref } = useServerPair({
  redoubtArgs: ['--slowlog-log-slower-than', '0'],
  redoubtClient: {},
  redisClient: {},
});

/** INFO text as section → field → value; asserts the CRLF framing on the way. */
function parseInfo(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  assert.ok(text === '' || text.endsWith('\r\n'), 'INFO ends with CRLF');
  let current: Map<string, string> | null = null;
  for (const line of text.split('\r\n')) {
    assert.ok(!line.includes('\n'), 'no bare LF');
    if (line === '') continue;
    if (line.startsWith('# ')) {
      current = new Map();
      sections.set(line.slice(2), current);
      continue;
    }
    assert.ok(current, `field before any section: ${line}`);
    const i = line.indexOf(':');
    assert.ok(i > 0, `field line: ${line}`);
    current.set(line.slice(0, i), line.slice(i + 1));
  }
  return sections;
}

async function info(c: Redis, ...sections: string[]): Promise<Map<string, Map<string, string>>> {
  return parseInfo(await c.info(...sections));
}

const field = (m: Map<string, Map<string, string>>, section: string, name: string): string => {
  const v = m.get(section)?.get(name);
  assert.ok(v !== undefined, `${section}.${name} present`);
  return v;
};

const REDOUBT_INFO_FIELDS = new Set([
  // The product and its version, where Valkey has server_name and valkey_version.
  'server_name',
  'redoubt_version',
  // Redis 7.2's ACL counters.
  'acl_access_denied_auth',
  'acl_access_denied_cmd',
  'acl_access_denied_key',
  'acl_access_denied_channel',
  'rejected_connections_untrusted',
  'client_output_buffer_limit_disconnections',
  'auth_failures',
  'auth_throttled',
  'auth_lockouts',
  'auth_lockouts_active',
  'unauthenticated_clients',
  'unauthenticated_clients_memory',
  'unauthenticated_client_disconnections',
  'auth_timeout_disconnections',
  // Redis 7.4's count of expired hash fields (hash-field expiration).
  'expired_subkeys',
  // The limit in force and V8's heap (docs/memory.md).
  'maxmemory_effective',
  'maxmemory_effective_human',
  'heap_size_limit',
  'heap_used',
  'mem_snapshot_retained',
  // The event loop's longest stall since the start or CONFIG RESETSTAT.
  'eventloop_max_stall_ms',
]);

describe('INFO', () => {
  test('sections and field names as redis-server 7.0 has them', async () => {
    const [mine, theirs] = [await info(cli, 'everything'), await info(ref, 'everything')];
    assert.deepEqual([...mine.keys()], [...theirs.keys()]);
    for (const section of ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Cluster']) {
      // Fields only Redoubt reports: its own version and the security counters it adds.
      const ours = [...mine.get(section)!.keys()].filter((k) => !REDOUBT_INFO_FIELDS.has(k));
      assert.deepEqual(ours, [...theirs.get(section)!.keys()], section);
    }
    for (const [args, name] of [[[], 'default'], [['all'], 'all'], [['server', 'CPU'], 'two'], [['default', 'commandstats'], 'mixed']] as const) {
      assert.deepEqual([...(await info(cli, ...args)).keys()], [...(await info(ref, ...args)).keys()], name);
    }
    assert.equal(await cli.info('nosuchsection'), '');
  });

  test('versions and identity', async () => {
    const m = await info(cli, 'server');
    assert.equal(field(m, 'Server', 'redis_version'), '7.0.15');
    assert.equal(field(m, 'Server', 'server_name'), 'redoubt');
    assert.match(field(m, 'Server', 'redoubt_version'), /^\d+\.\d+\.\d+/);
    assert.equal(field(m, 'Server', 'tcp_port'), String(redoubt.port));
    assert.equal(field(m, 'Server', 'process_id'), String(redoubt.process.pid));
    assert.match(field(m, 'Server', 'run_id'), /^[0-9a-f]{40}$/);
    const t = Number(field(m, 'Server', 'server_time_usec')) / 1000;
    assert.ok(Math.abs(t - Date.now()) < 5000);
  });

  test('counters move with what clients do', async () => {
    const before = await info(cli, 'stats', 'clients', 'commandstats', 'errorstats');
    const extra = new Redis({ port: redoubt.port });
    await extra.ping();
    await cli.call('ECHO', 'x');
    await cli.call('NOSUCHCOMMAND').catch(() => undefined);
    const after = await info(cli, 'stats', 'clients', 'commandstats', 'errorstats');
    const n = (m: Map<string, Map<string, string>>, s: string, f: string): number => Number(field(m, s, f));
    assert.ok(n(after, 'Stats', 'total_commands_processed') >= n(before, 'Stats', 'total_commands_processed') + 3);
    assert.ok(n(after, 'Stats', 'total_connections_received') > n(before, 'Stats', 'total_connections_received'));
    assert.ok(n(after, 'Stats', 'total_net_input_bytes') > n(before, 'Stats', 'total_net_input_bytes'));
    assert.ok(n(after, 'Stats', 'total_error_replies') > n(before, 'Stats', 'total_error_replies'));
    assert.ok(n(after, 'Clients', 'connected_clients') >= 2);
    assert.match(field(after, 'Commandstats', 'cmdstat_echo'), /^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
    assert.match(field(after, 'Errorstats', 'errorstat_ERR'), /^count=\d+$/);
    extra.disconnect();
  });

  test('memory and cpu are measured', async () => {
    const m = await info(cli, 'memory', 'cpu', 'persistence');
    assert.ok(Number(field(m, 'Memory', 'used_memory')) > 1024 * 1024);
    assert.ok(Number(field(m, 'Memory', 'used_memory_rss')) > 0);
    assert.ok(Number(field(m, 'Memory', 'used_memory_peak')) >= Number(field(m, 'Memory', 'used_memory')));
    assert.match(field(m, 'Memory', 'used_memory_human'), /^\d+\.\d\d[KMG]$/);
    assert.ok(Number(field(m, 'CPU', 'used_cpu_user')) > 0);
    assert.equal(field(m, 'Persistence', 'aof_enabled'), '0');
  });

  test('keyspace line after writes', async (t) => {
    const hasSet = (await cli.call('COMMAND', 'INFO', 'set')) as unknown[];
    if (!Array.isArray(hasSet) || hasSet[0] === null) {
      t.skip('SET not in the table yet');
      return;
    }
    const db = 7;
    const c = new Redis({ port: redoubt.port, db });
    await c.set('k1', 'v');
    await c.set('k2', 'v', 'EX', 100);
    const m = await info(cli, 'keyspace');
    assert.match(field(m, 'Keyspace', `db${db}`), /^keys=2,expires=1,avg_ttl=\d+$/);
    const ttl = Number(field(m, 'Keyspace', `db${db}`).split('avg_ttl=')[1]);
    assert.ok(ttl > 90000 && ttl <= 100000);
    await c.get('k1');
    await c.get('missing');
    const s = await info(cli, 'stats');
    assert.ok(Number(field(s, 'Stats', 'keyspace_hits')) >= 1);
    assert.ok(Number(field(s, 'Stats', 'keyspace_misses')) >= 1);
    c.disconnect();
  });

  test('RESP3 INFO is a verbatim string', async () => {
    const c = await RawClient.connect(redoubt.port);
    await c.call('HELLO', '3');
    assert.match(await c.call('INFO', 'cluster'), /^=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n$/);
    c.close();
  });
});

describe('TIME', () => {
  test('seconds and microseconds of the wall clock', async () => {
    const [sec, usec] = (await cli.time()).map(Number) as [number, number];
    assert.ok(Math.abs(sec * 1000 + usec / 1000 - Date.now()) < 2000);
    assert.ok(usec >= 0 && usec < 1e6);
  });
});

describe('SLOWLOG', () => {
  test('entries carry id, time, duration, arguments, address and name', async () => {
    const c = await RawClient.connect(redoubt.port);
    try {
      await c.call('SLOWLOG', 'RESET');
      await c.call('CLIENT', 'SETNAME', 'slowpoke');
      await c.call('ECHO', 'x'.repeat(200));
      await c.call('AUTH', 'default', 'secret-password');
      const entries = (await cli.slowlog('GET', 3)) as [number, number, number, string[], string, string][];
      assert.equal(entries.length, 3);
      const [auth, echo, setname] = entries;
      assert.ok(auth![0] > echo![0] && echo![0] > setname![0], 'newest first, ids increase');
      assert.ok(Math.abs(auth![1] - Date.now() / 1000) < 5);
      assert.ok(auth![2] >= 0);
      assert.deepEqual(auth![3], ['AUTH', '(redacted)', '(redacted)']);
      assert.deepEqual(echo![3], ['ECHO', `${'x'.repeat(128)}... (72 more bytes)`]);
      assert.match(echo![4], /^127\.0\.0\.1:\d+$/);
      assert.equal(echo![5], 'slowpoke');
      assert.equal(setname![5], 'slowpoke', 'recorded after the command ran, as Redis does');
      assert.ok(Number(await cli.slowlog('LEN')) >= 3);
      assert.equal(await cli.slowlog('RESET'), 'OK');
      assert.ok(Number(await cli.slowlog('LEN')) <= 1);
    } finally {
      c.close();
    }
  });

  test('a blocking command is logged when its wait ends, with its own arguments, after what woke it', async () => {
    const tops: Record<string, string[][]> = {};
    for (const [name, server, client] of [['redis', redis, ref], ['redoubt', redoubt, cli]] as const) {
      const waiter = await RawClient.connect(server.port);
      try {
        await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
        await client.call('DEL', 'bl');
        waiter.write(RawClient.encode(['BLPOP', 'bl', '0']));
        assert.ok(await waitFor(async () => /\r\nblocked_clients:1\r\n/.test(await client.info('clients'))), 'the BLPOP waits');
        await client.multi().lpush('bl', 'foo').call('SLOWLOG', 'RESET').exec();
        assert.match((await waiter.read())?.toString('latin1') ?? '', /foo/);
        const entries = (await client.call('SLOWLOG', 'GET', '2')) as [number, number, number, string[]][];
        tops[name] = entries.map((e) => e[3]);
      } finally {
        waiter.close();
      }
    }
    assert.deepEqual(tops['redoubt'], tops['redis']);
    assert.deepEqual(tops['redis']?.[0], ['BLPOP', 'bl', '0']);
  });

  test('GET -1 returns everything; the default is 10', async () => {
    for (let i = 0; i < 12; i++) await cli.call('ECHO', String(i));
    assert.equal(((await cli.slowlog('GET')) as unknown[]).length, 10);
    assert.ok(((await cli.slowlog('GET', -1)) as unknown[]).length >= 12);
  });
});

describe('LATENCY', () => {
  test('empty monitor, doctor text and reset', async () => {
    assert.deepEqual(await cli.call('LATENCY', 'LATEST'), []);
    assert.deepEqual(await cli.call('LATENCY', 'HISTORY', 'command'), []);
    assert.equal(await cli.call('LATENCY', 'RESET'), 0);
    assert.equal(await cli.call('LATENCY', 'DOCTOR'), await ref.call('LATENCY', 'DOCTOR'));
  });

  test('samples are whole milliseconds: LATEST and HISTORY reply RESP integers that redis-cli reads', async () => {
    const s = await startRedoubt(['--latency-monitor-threshold', '1']);
    const c = await RawClient.connect(s.port);
    try {
      // A script that runs for a few milliseconds is a slow 'command' event.
      const spin = 'local t = redis.call("TIME") local u = t[1]*1000000+t[2] repeat t = redis.call("TIME") until t[1]*1000000+t[2] - u > 4500 return 1';
      assert.equal(await c.call('EVAL', spin, '0'), ':1\r\n');
      // Other events (a fast command slowed by a loaded machine) may be there too: each is checked.
      const latest = await c.call('LATENCY', 'LATEST');
      assert.match(latest, /\$7\r\ncommand\r\n/);
      assert.doesNotMatch(latest, /^:.*[^\d\r\n]/m, 'every number is a RESP integer');
      assert.equal(latest.split('\r\n').filter((l) => l.startsWith(':')).length % 3, 0, 'three integers an event');
      const history = await c.call('LATENCY', 'HISTORY', 'command');
      assert.match(history, /^\*\d+\r\n(\*2\r\n:\d+\r\n:\d+\r\n)+$/);
      const out = execFileSync('redis-cli', ['-p', String(s.port), 'LATENCY', 'LATEST'], { encoding: 'utf8' });
      assert.match(out, /(^|\n)command\n\d+\n\d+\n\d+\n/);
    } finally {
      c.close();
      await s.stop();
    }
  });
});

/** Directories made for the SHUTDOWN tests, removed when the file is done. */
const shutdownDirs: string[] = [];
after(() => {
  for (const d of shutdownDirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A directory whose dump.rdb is a dangling symlink: there is nothing to load at startup, and every
 * save there is refused (Redoubt never writes through a symlink).
 */
function unwritableTarget(): string {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-shutdown-'));
  shutdownDirs.push(dir);
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dump.rdb'));
  return dir;
}

describe('SHUTDOWN', () => {
  test('SAVE that cannot write the file refuses and keeps serving; NOSAVE stops the process', async () => {
    const s = await startRedoubt(['--dir', unwritableTarget()]);
    const c = await RawClient.connect(s.port);
    try {
      assert.equal(await c.call('SHUTDOWN', 'SAVE'), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
      assert.equal(await c.call('PING'), '+PONG\r\n');
      assert.equal(await c.call('SHUTDOWN', 'ABORT'), '-ERR No shutdown in progress.\r\n');
      const exited = s.exited();
      c.write(RawClient.encode(['SHUTDOWN', 'NOSAVE']));
      assert.equal(await c.read(), null, 'closed without a reply');
      assert.equal(await exited, 0);
    } finally {
      c.close();
      await s.stop();
    }
  });

  test('SAVE FORCE exits anyway', async () => {
    const s = await startRedoubt(['--dir', unwritableTarget()]);
    const c = await RawClient.connect(s.port);
    try {
      const exited = s.exited();
      c.write(RawClient.encode(['SHUTDOWN', 'SAVE', 'FORCE']));
      assert.equal(await c.read(), null);
      assert.equal(await exited, 0);
    } finally {
      c.close();
      await s.stop();
    }
  });
});
