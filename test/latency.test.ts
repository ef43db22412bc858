// LATENCY HISTOGRAM and INFO latencystats against redis-server 7.0, in RESP2 and RESP3: the same
// commands give replies of the same structure, the same commands and call counts, bucket keys
// from Redis's set of reporting levels and cumulative counts (timings differ, so values are not
// compared); latency-tracking and latency-tracking-info-percentiles change what is reported as
// in Redis, garbage values are refused with Redis's errors, and CONFIG RESETSTAT clears it all.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedoubt, useServerPair, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { decode, pairs, show, type RespValue } from './helpers/resp.js';
import { sleep, until } from './helpers/workload-target.js';

const { redis, redoubt } = useServerPair();

/** The keys LATENCY HISTOGRAM can report, in µs: the highest value of the bucket at each level from 1024 ns doubling. */
const LEVELS = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266, 270532, 541065, 1082130];

interface CommandHistogram {
  readonly kind: string;
  readonly fields: string;
  readonly calls: number;
  readonly bucketsKind: string;
}

/** A LATENCY HISTOGRAM reply reduced to what must agree with Redis; checks the buckets on the way. */
function histogramShape(v: RespValue): { kind: string; commands: Record<string, CommandHistogram> } {
  const commands: Record<string, CommandHistogram> = {};
  for (const [name, entry] of pairs(v)) {
    const fields = pairs(entry);
    const calls = fields.get('calls');
    const buckets = fields.get('histogram_usec');
    assert.equal(typeof calls, 'number', `${name}: calls ${show(calls)}`);
    assert.ok(buckets !== undefined, `${name}: histogram_usec`);
    let last = 0;
    let lastKey = 0;
    for (const [k, n] of pairs(buckets)) {
      const key = Number(k);
      assert.ok(LEVELS.includes(key) || key === 1073741, `${name}: bucket ${k} is not one of Redis's`);
      assert.ok(key > lastKey && typeof n === 'number' && n > last, `${name}: buckets grow (${show(buckets)})`);
      lastKey = key;
      last = n;
    }
    assert.equal(last, calls, `${name}: the last bucket counts every call`);
    commands[name] = {
      kind: entry instanceof Map ? 'map' : 'array',
      fields: [...fields.keys()].join(','),
      calls: Number(calls),
      bucketsKind: buckets instanceof Map ? 'map' : 'array',
    };
  }
  return { kind: v instanceof Map ? 'map' : 'array', commands };
}

/** Runs `steps` on a fresh connection speaking `resp`, and returns the decoded replies. */
async function run(server: RunningServer, resp: 2 | 3, steps: readonly (readonly string[])[]): Promise<RespValue[]> {
  const c = await RawClient.connect(server.port);
  try {
    if (resp === 3) await c.call('HELLO', '3');
    const out: RespValue[] = [];
    for (const s of steps) {
      const r = await c.read(0).catch(() => null);
      if (r !== null) throw new Error(`unexpected reply ${r.toString('latin1')}`);
      out.push(decode(Buffer.from(await c.call(...s), 'latin1')));
    }
    return out;
  } finally {
    c.close();
  }
}

/** The same steps on both servers. */
async function both(resp: 2 | 3, steps: readonly (readonly string[])[]): Promise<[RespValue[], RespValue[]]> {
  return [await run(redis, resp, steps), await run(redoubt, resp, steps)];
}

/** INFO latencystats as its commands and the percentile names of each ("set:p50,p99"), sorted (Redis's order is its hash table's). */
function latencystats(v: RespValue): string[] {
  if (typeof v !== 'string') throw new Error(`INFO replied ${show(v)}`);
  const lines = v.split('\r\n').filter((l) => l !== '' && !l.startsWith('#'));
  return lines.map((l) => {
    const m = /^latency_percentiles_usec_([^:]+):(.*)$/.exec(l);
    assert.ok(m?.[1] !== undefined && m[2] !== undefined, l);
    const names = m[2] === '' ? [] : m[2].split(',').map((f) => {
      const fm = /^(p[0-9.]+)=\d+\.\d{3}$/.exec(f);
      assert.ok(fm?.[1] !== undefined, `${l}: field ${f}`);
      return fm[1];
    });
    return `${m[1]}:${names.join(',')}`;
  }).sort();
}

const WORK = [
  ['CONFIG', 'RESETSTAT'],
  ['SET', 'a', 'b'],
  ['SET', 'c', 'd'],
  ['GET', 'a'],
  ['HSET', 'f', 'k', 'v'],
  ['CLIENT', 'ID'],
  ['CLIENT', 'GETNAME'],
  ['LPUSH', 'a', 'wrongtype'],
] as const;

describe('LATENCY HISTOGRAM', () => {
  for (const resp of [2, 3] as const) {
    test(`reply shape, commands and calls as Redis in RESP${resp}`, async () => {
      const queries = [
        ['LATENCY', 'HISTOGRAM'],
        ['LATENCY', 'HISTOGRAM', 'set', 'client', 'nosuch', 'SET'],
        ['LATENCY', 'HISTOGRAM', 'client|id', 'CLIENT|GETNAME', 'client|nosuch', 'a|b|c', 'lpush'],
        ['LATENCY', 'HISTOGRAM', 'nosuch', 'zadd'],
      ];
      const [theirs, ours] = await both(resp, [...WORK, ...queries]);
      for (let i = WORK.length; i < theirs.length; i++) {
        const t = theirs[i];
        const o = ours[i];
        assert.ok(t !== undefined && o !== undefined);
        assert.deepEqual(histogramShape(o), histogramShape(t), `reply to ${show(queries[i - WORK.length] ?? [])}`);
      }
      const all = histogramShape(ours[WORK.length] ?? []);
      // The work itself, and RESETSTAT, which is recorded once it has cleared everything.
      assert.deepEqual(Object.keys(all.commands).sort(), ['client|getname', 'client|id', 'config|resetstat', 'get', 'hset', 'lpush', 'set']);
      assert.equal(all.commands['set']?.calls, 2);
      assert.equal(all.kind, resp === 3 ? 'map' : 'array');
      assert.deepEqual(histogramShape(ours.at(-1) ?? []).commands, {});
    });
  }

  test('a blocking command is counted when served, not when it times out, as Redis 7.0', async () => {
    const steps = [['CONFIG', 'RESETSTAT'], ['DEL', 'list'], ['BLPOP', 'list', '0.05']];
    const results: RespValue[] = [];
    for (const server of [redis, redoubt]) {
      const waiter = await RawClient.connect(server.port);
      const pusher = await RawClient.connect(server.port);
      try {
        for (const s of steps) await waiter.call(...s);
        waiter.write(RawClient.encode(['BLPOP', 'list', '0']));
        await new Promise((r) => setTimeout(r, 100));
        await pusher.call('LPUSH', 'list', 'x');
        assert.match((await waiter.read())?.toString('latin1') ?? '', /^\*2\r\n/);
        results.push(decode(Buffer.from(await pusher.call('LATENCY', 'HISTOGRAM', 'blpop'), 'latin1')));
      } finally {
        waiter.close();
        pusher.close();
      }
    }
    const [theirs, ours] = results;
    assert.ok(theirs !== undefined && ours !== undefined);
    assert.deepEqual(histogramShape(ours), histogramShape(theirs));
    assert.equal(histogramShape(ours).commands['blpop']?.calls, 1);
  });

  test('a script that runs past busy-reply-threshold is counted once', async () => {
    // Redoubt suspends such a script and finishes it in slices; Redis runs it to its end.
    const spin = "local t = redis.call('time'); local s = t[1] * 1000000 + t[2]; " +
      "repeat t = redis.call('time') until t[1] * 1000000 + t[2] - s > 150000; return 1";
    const steps = [
      ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'SET', 'busy-reply-threshold', '50'],
      ['EVAL', spin, '0'],
      ['LATENCY', 'HISTOGRAM', 'eval'],
      ['CONFIG', 'SET', 'busy-reply-threshold', '5000'],
    ];
    const [theirs, ours] = await both(2, steps);
    assert.equal(ours[2], 1);
    assert.deepEqual(histogramShape(ours[3] ?? []), histogramShape(theirs[3] ?? []));
    assert.equal(histogramShape(ours[3] ?? []).commands['eval']?.calls, 1);
  });
});

describe('INFO latencystats', () => {
  test('the same commands and percentile fields as Redis, through percentile changes', async () => {
    const info = ['INFO', 'latencystats'];
    const steps = [
      ...WORK,
      info,
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '0.0 50.0 100.0'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      info,
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '99.99 12.5 33.333333'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      info,
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', ''],
      info,
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9'],
    ];
    for (const resp of [2, 3] as const) {
      const [theirs, ours] = await both(resp, steps);
      for (let i = WORK.length; i < steps.length; i++) {
        const t = theirs[i];
        const o = ours[i];
        assert.ok(t !== undefined && o !== undefined);
        if (steps[i] === info) assert.deepEqual(latencystats(o), latencystats(t), `RESP${resp} step ${i}`);
        else assert.deepEqual(o, t, `RESP${resp}: ${(steps[i] ?? []).join(' ')}`);
      }
      const first = latencystats(ours[WORK.length] ?? '');
      assert.ok(first.includes('set:p50,p99,p99.9'), first.join(' '));
      assert.ok(latencystats(ours[WORK.length + 3] ?? '').includes('set:p0,p50,p100'));
      assert.ok(latencystats(ours[WORK.length + 6] ?? '').includes('set:p99.99,p12.5,p33.333333'));
      assert.ok(latencystats(ours[WORK.length + 8] ?? '').includes('set:'));
    }
  });

  test('percentile values are the histogram’s: one repeated duration reads the same at every percentile', async () => {
    const c = await RawClient.connect(redoubt.port);
    try {
      await c.call('CONFIG', 'RESETSTAT');
      await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 50 100');
      await c.call('ECHO', 'x');
      const line = /latency_percentiles_usec_echo:p0=([\d.]+),p50=([\d.]+),p100=([\d.]+)/.exec(await c.call('INFO', 'latencystats'));
      assert.ok(line?.[1] !== undefined && line[2] !== undefined && line[3] !== undefined);
      // p0 reads the bucket's lowest value, the others its highest: the same bucket.
      assert.ok(Number(line[1]) <= Number(line[2]) && line[2] === line[3], line[0]);
      await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
    } finally {
      c.close();
    }
  });

  test('latency-tracking no stops recording and empties the section; RESETSTAT forgets everything', async () => {
    const steps = [
      ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'SET', 'latency-tracking', 'no'],
      ['SET', 'a', 'b'],
      ['INFO', 'latencystats'],
      ['LATENCY', 'HISTOGRAM', 'set'],
      ['CONFIG', 'SET', 'latency-tracking', 'yes'],
      ['SET', 'a', 'b'],
      ['LATENCY', 'HISTOGRAM', 'set'],
      ['CONFIG', 'RESETSTAT'],
      ['LATENCY', 'HISTOGRAM', 'set'],
      ['INFO', 'latencystats'],
    ];
    const [theirs, ours] = await both(2, steps);
    assert.equal(ours[3], theirs[3]);
    assert.equal(ours[3], '# Latencystats\r\n');
    assert.deepEqual(histogramShape(ours[4] ?? []).commands, {});
    assert.deepEqual(histogramShape(ours[7] ?? []), histogramShape(theirs[7] ?? []));
    assert.equal(histogramShape(ours[7] ?? []).commands['set']?.calls, 1);
    assert.deepEqual(histogramShape(ours[9] ?? []).commands, {});
    assert.deepEqual(latencystats(ours[10] ?? ''), latencystats(theirs[10] ?? ''));
    // RESETSTAT, then the LATENCY HISTOGRAM after it.
    assert.deepEqual(latencystats(ours[10] ?? ''), ['config|resetstat:p50,p99,p99.9', 'latency|histogram:p50,p99,p99.9']);
  });

  test('garbage values are refused with Redis’s errors and change nothing', async () => {
    const get = ['CONFIG', 'GET', 'latency-tracking-info-percentiles'];
    const steps: string[][] = [];
    for (const bad of ['10.0 50.0 a', '101', '-1', '50 100.0001', 'nan', '1e3', '0x10', ' ', '50,99', 'inf']) {
      steps.push(['CONFIG', 'SET', 'latency-tracking-info-percentiles', bad], get);
    }
    for (const bad of ['maybe', '2', '']) steps.push(['CONFIG', 'SET', 'latency-tracking', bad], ['CONFIG', 'GET', 'latency-tracking']);
    for (const resp of [2, 3] as const) {
      const [theirs, ours] = await both(resp, steps);
      assert.deepEqual(ours, theirs);
    }
  });
});

describe('INFO stats eventloop_max_stall_ms', () => {
  const stall = (info: string): number => {
    const m = /\r\neventloop_max_stall_ms:(\d+\.\d)\r\n/.exec(info);
    assert.ok(m?.[1] !== undefined, `eventloop_max_stall_ms in ${JSON.stringify(info.slice(0, 200))}`);
    return Number(m[1]);
  };

  test('a DEBUG SLEEP reads as a stall at least its length; CONFIG RESETSTAT forgets it', async () => {
    const server = await startRedoubt(['--enable-debug-command', 'yes']);
    const c = await RawClient.connect(server.port);
    try {
      // In one write, so both run in the same turn of the loop: no interval measured in between.
      const [reset, fresh] = await c.pipeline([['CONFIG', 'RESETSTAT'], ['INFO', 'stats']]);
      assert.equal(reset, '+OK\r\n');
      assert.equal(stall(fresh ?? ''), 0);
      // After a reset the histogram measures from its next tick (5 ms): a sleep sent back at once
      // would fall before it and go unmeasured.
      await sleep(50);
      assert.equal(await c.call('DEBUG', 'SLEEP', '0.5'), '+OK\r\n');
      // The loop stood still for at least 500 ms; the figure may read up to the timer's 5 ms short
      // of that, and is longer when the machine also kept the process waiting.
      let seen = 0;
      await until('the sleep to be measured', async () => (seen = stall(await c.call('INFO', 'stats'))) >= 495, 5000);
      assert.ok(seen < 60_000, `${seen} ms`);
      const [, after] = await c.pipeline([['CONFIG', 'RESETSTAT'], ['INFO', 'stats']]);
      assert.equal(stall(after ?? ''), 0);
    } finally {
      c.close();
      await server.stop();
    }
  });
});
