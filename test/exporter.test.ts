// prometheus-redis-exporter (Debian's package, 1.45) against redis-server 7.0 and Redoubt holding
// the same data: every metric the exporter reports for redis-server (name and label names) it
// reports for Redoubt too, the per-database, per-key, per-stream, key-group, script and config
// metrics carry the same labels and values, and the connection stays healthy over several scrapes
// (no scrape error, per-key metrics still there at the last one: a reply the exporter cannot
// parse makes it drop them silently). Run with a requirepass password and with an ACL user
// restricted to what the exporter's documentation grants it
// (plus EVALSHA and DBSIZE for its --script).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { freePort, terminate, useServerPair, type RunningServer } from './helpers/servers.js';

const EXPORTER = '/usr/bin/prometheus-redis-exporter';
const PASSWORD = 'exporter-test-password';

/**
 * Metric names the exporter reports for redis-server and not for Redoubt, each with its reason.
 * Empty: Redoubt reports every one. A name added here must be named in docs/compatibility.md too.
 */
const MISSING_BY_DESIGN: ReadonlyMap<string, string> = new Map();

const dir = mkdtempSync(join(tmpdir(), 'redoubt-exporter-'));
const SCRIPT = join(dir, 'extra.lua');
// The exporter's --script: EVALed on each scrape, its flat name/value list becomes redis_script_values.
writeFileSync(SCRIPT, "return {'db0_keys', tostring(redis.call('DBSIZE')), 'answer', '42'}\n");
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Exporter {
  scrape(): Promise<string>;
  output(): string;
}

const exporters = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of exporters) child.kill('SIGKILL');
});
after(async () => {
  await Promise.all(
    [...exporters].map(terminate),
  );
});

/** Starts the exporter on a free loopback port for `server`; resolves once /metrics answers. */
async function startExporter(server: RunningServer, args: readonly string[]): Promise<Exporter> {
  const web = await freePort();
  const child = spawn(EXPORTER, ['--redis.addr', `redis://127.0.0.1:${server.port}`, '--web.listen-address', `127.0.0.1:${web}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exporters.add(child);
  child.once('exit', () => exporters.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${web}/metrics`;
  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    return res.text();
  };
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the exporter exited:\n${out}`);
    try {
      await fetch(`http://127.0.0.1:${web}/`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the exporter did not listen in time:\n${out}`);
      await sleep(50);
    }
  }
  return { scrape, output: () => out };
}

/** One sample: `name{a="x",b="y"} value`, labels kept in the exporter's (sorted) order. */
interface Sample {
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `unparsable metrics line: ${line}`);
    const [, name = '', body = '', value = ''] = m;
    const labels = new Map<string, string>();
    for (const l of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels.set(l[1] ?? '', l[2] ?? '');
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

/** name{label names}: what must exist for Redoubt whenever it exists for redis-server. */
const shape = (s: Sample): string => `${s.name}{${[...s.labels.keys()].join(',')}}`;
/** name{every label}: the full identity of a series. */
const series = (s: Sample): string => `${s.name}{${[...s.labels].map(([k, v]) => `${k}=${v}`).join(',')}}`;

/** The value of the one series `name{labels}`; fails when there is none. */
function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v));
  assert.ok(hit !== undefined, `no ${name}${JSON.stringify(labels)}`);
  return hit.value;
}

/** Series of these families must be the same (labels and values) on both servers. */
const SAME_SERIES_AND_VALUES = [
  'redis_db_keys',
  'redis_db_keys_expiring',
  'redis_key_size',
  'redis_key_value',
  'redis_key_value_as_string',
  'redis_keys_count',
  'redis_key_group_count',
  'redis_number_of_distinct_key_groups',
  'redis_stream_length',
  'redis_stream_groups',
  'redis_stream_radix_tree_keys',
  'redis_stream_radix_tree_nodes',
  'redis_stream_group_consumers',
  'redis_stream_group_messages_pending',
  'redis_stream_group_consumer_messages_pending',
  'redis_script_values',
  'redis_rdb_changes_since_last_save',
  'redis_connected_clients',
  'redis_blocked_clients',
  'redis_up',
  'redis_exporter_last_scrape_error',
  'redis_target_scrape_request_errors_total',
];
/**
 * Every series of these families that redis-server has, Redoubt has (same labels); their values
 * vary with timing, and a loaded machine may add a latency event to either.
 */
const SAME_SERIES = ['redis_latency_spike_duration_seconds', 'redis_latency_spike_last', 'redis_slowlog_length'];

/** The same data on either server: keys in db0 and db1, an expiring key, a stream with a group and a consumer, slow-log and latency entries. */
async function fill(c: Redis): Promise<void> {
  await c.flushall();
  await c.config('SET', 'slowlog-log-slower-than', '0');
  await c.config('SET', 'latency-monitor-threshold', '10');
  for (let i = 1; i <= 5; i++) await c.set(`key${i}`, `value${i}`);
  await c.set('counter', '12');
  await c.set('session', 'x', 'EX', 1000);
  await c.rpush('queue', 'a', 'b', 'c');
  await c.sadd('tags', 'x', 'y');
  await c.zadd('board', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
  await c.hset('profile', 'name', 'n', 'age', '3');
  await c.pfadd('visitors', 'a', 'b', 'c');
  await c.xadd('events', '1-1', 'f', 'v');
  await c.xadd('events', '1-2', 'f', 'w');
  await c.xgroup('CREATE', 'events', 'workers', '0');
  await c.xreadgroup('GROUP', 'workers', 'alice', 'COUNT', '1', 'STREAMS', 'events', '>');
  await c.select(1);
  await c.set('other', '1');
  await c.hset('h1', 'a', '1', 'b', '2');
  await c.select(0);
  // A latency event ("command", over the 10 ms threshold) and a slow-log entry that took that long.
  await c.call('DEBUG', 'SLEEP', '0.02');
}

const EXPORTER_ARGS = [
  '--check-keys',
  'key*,queue,tags,board,profile,visitors,nothing*',
  '--check-single-keys',
  'db0=counter,db0=session,db0=missing,db1=h1,db1=other',
  '--check-streams',
  'ev*',
  '--check-single-streams',
  'db0=events',
  '--count-keys',
  'db0=key*,db1=*',
  '--check-key-groups',
  '^(key)%d+$,^(%a+)',
  '--script',
  SCRIPT,
  '--include-system-metrics',
  '--include-config-metrics',
  '--export-client-list',
  '--ping-on-connect',
];

/** The checks both describe blocks run: `auth` holds the exporter's credentials flags. */
function compareWith(pair: { redis: RunningServer; redoubt: RunningServer; redisClient: Redis; redoubtClient: Redis }, auth: readonly string[]): void {
  const { redis, redoubt, redisClient, redoubtClient } = pair;

  test('every metric redis-server has, Redoubt has, with the same labels, over several scrapes', async () => {
    await Promise.all([fill(redisClient), fill(redoubtClient)]);
    const [onRedis, onRedoubt] = await Promise.all([startExporter(redis, [...EXPORTER_ARGS, ...auth]), startExporter(redoubt, [...EXPORTER_ARGS, ...auth])]);
    let theirs: Sample[] = [];
    let ours: Sample[] = [];
    for (let round = 0; round < 4; round++) {
      theirs = parseMetrics(await onRedis.scrape());
      ours = parseMetrics(await onRedoubt.scrape());
      for (const [who, samples] of [
        ['redis-server', theirs],
        ['Redoubt', ours],
      ] as const) {
        const log = who === 'Redoubt' ? onRedoubt.output() : onRedis.output();
        assert.equal(valueOf(samples, 'redis_up'), 1, `${who} round ${round}: redis_up\n${log}`);
        assert.equal(valueOf(samples, 'redis_exporter_last_scrape_error', { err: '' }), 0, `${who} round ${round}: scrape error`);
        assert.ok(valueOf(samples, 'redis_connected_clients') > 0, `${who} round ${round}: connected clients`);
        // The symptom of a corrupted connection: the per-key metrics of the second half of a scrape vanish.
        assert.equal(valueOf(samples, 'redis_key_size', { db: 'db1', key: 'h1' }), 2, `${who} round ${round}: per-key metrics`);
        assert.equal(valueOf(samples, 'redis_script_values', { key: 'answer' }), 42, `${who} round ${round}: script values`);
      }
    }

    const ourShapes = new Set(ours.map(shape));
    const missing = [...new Set(theirs.map(shape))].filter((s) => !ourShapes.has(s) && !MISSING_BY_DESIGN.has(s.slice(0, s.indexOf('{'))));
    assert.deepEqual(missing, [], 'metrics reported for redis-server and not for Redoubt');

    const pick = (samples: readonly Sample[], families: readonly string[], withValues: boolean): string[] =>
      samples
        .filter((s) => families.includes(s.name))
        .map((s) => (withValues ? `${series(s)} ${s.value}` : series(s)))
        .sort();
    assert.deepEqual(pick(ours, SAME_SERIES_AND_VALUES, true), pick(theirs, SAME_SERIES_AND_VALUES, true));
    const ourSeries = new Set(pick(ours, SAME_SERIES, false));
    assert.deepEqual(pick(theirs, SAME_SERIES, false).filter((s) => !ourSeries.has(s)), []);
    // Sanity of the families checked above: they are really there.
    assert.equal(valueOf(ours, 'redis_db_keys', { db: 'db0' }), 13);
    assert.equal(valueOf(ours, 'redis_db_keys', { db: 'db1' }), 2);
    assert.equal(valueOf(ours, 'redis_keys_count', { db: 'db0', key: 'key*' }), 5);
    assert.equal(valueOf(ours, 'redis_key_group_count', { db: 'db0', key_group: 'key' }), 5);
    assert.equal(valueOf(ours, 'redis_stream_length', { db: 'db0', stream: 'events' }), 2);
    // The latest "command" spike: DEBUG SLEEP's, or a later one over the threshold on a loaded machine.
    assert.ok(valueOf(ours, 'redis_latency_spike_duration_seconds', { event_name: 'command' }) >= 0.01);
    assert.ok(valueOf(ours, 'redis_slowlog_length') > 0);
    assert.equal(valueOf(ours, 'redis_config_maxmemory'), 0);

    // Every setting redis-server reports, Redoubt reports (values differ where Redoubt is stricter).
    const configKeys = (samples: readonly Sample[]): Set<string> =>
      new Set(samples.filter((s) => s.name === 'redis_config_key_value').map((s) => s.labels.get('key') ?? ''));
    const ourKeys = configKeys(ours);
    assert.deepEqual([...configKeys(theirs)].filter((k) => !ourKeys.has(k)), []);

    // The exporter's own client is in its client list, named as it names itself.
    const details = ours.filter((s) => s.name === 'redis_connected_clients_details');
    assert.ok(details.some((s) => s.labels.get('name') === 'redis_exporter' && s.labels.get('cmd') === 'client|list'), 'client list details');
    assert.doesNotMatch(onRedoubt.output(), /level=(error|fatal)/);

    // And Redoubt still answers everyone normally afterwards.
    assert.equal(await redoubtClient.get('key1'), 'value1');
    assert.equal(await redoubtClient.call('LATENCY', 'LATEST').then((r) => Array.isArray(r)), true);
  });
}

describe('prometheus-redis-exporter with a requirepass password', () => {
  const args = ['--enable-debug-command', 'yes', '--requirepass', PASSWORD];
  const pair = useServerPair({ args, redisClient: { password: PASSWORD }, redoubtClient: { password: PASSWORD } });
  compareWith(pair, ['--redis.password', PASSWORD]);
});

describe('prometheus-redis-exporter as an ACL user with only what it needs', () => {
  const args = ['--enable-debug-command', 'yes', '--requirepass', PASSWORD];
  const pair = useServerPair({ args, redisClient: { password: PASSWORD }, redoubtClient: { password: PASSWORD } });
  // The rules redis_exporter's README gives its user, less `-wait` (WAIT comes with replication;
  // a standalone scrape never sends it).
  const RULES = [
    'on', '>metrics-password', '~*', '-@all', '+@connection', '+memory', '-readonly', '+strlen', '+config|get', '+xinfo', '+pfcount',
    '-quit', '+zcard', '+type', '+xlen', '-readwrite', '-command', '+client', '+scard', '+llen', '+hlen', '+get', '+eval', '+evalsha',
    '+dbsize', '+slowlog', '+cluster|info', '-hello', '-echo', '+info', '+latency', '+scan', '-reset', '-auth', '-asking',
  ];
  test('the same user is created on both', async () => {
    for (const c of [pair.redisClient, pair.redoubtClient]) assert.equal(await c.call('ACL', 'SETUSER', 'metrics', ...RULES), 'OK');
  });
  compareWith(pair, ['--redis.user', 'metrics', '--redis.password', 'metrics-password']);
});
