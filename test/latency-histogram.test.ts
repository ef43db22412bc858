// The latency histogram against Redis 7.0.15's own hdr_histogram.c: the same durations recorded,
// the same LATENCY HISTOGRAM distribution (bucket keys and cumulative counts) and the same
// INFO latencystats percentiles. test/fixtures/latency-histogram.json holds what a C program
// linked with Redis's deps/hdr_histogram printed for each case (its "source" field says how).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from '../src/server/latency-histogram.js';

interface Case {
  readonly name: string;
  readonly values: readonly number[];
  readonly total: number;
  readonly cdf: readonly (readonly [number, number])[];
  readonly percentiles: Readonly<Record<string, string>>;
}

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/latency-histogram.json', import.meta.url));
const { cases } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] };

for (const c of cases) {
  test(`as Redis's hdr_histogram: ${c.name}`, () => {
    const h = new LatencyHistogram();
    for (const v of c.values) h.record(v);
    assert.equal(h.total, c.total);
    assert.deepEqual(h.cdf(), c.cdf);
    for (const [p, expected] of Object.entries(c.percentiles)) {
      assert.equal((h.valueAtPercentile(Number(p)) / 1000).toFixed(3), expected, `p${p}`);
    }
  });
}

test('the fixture covers the whole range', () => {
  assert.ok(cases.length >= 5);
  const keys = new Set(cases.flatMap((c) => c.cdf.map(([us]) => us)));
  // From the first reporting level (1 µs) to the last bucket past one second.
  for (const us of [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 1073741]) {
    assert.ok(keys.has(us), `bucket ${us} µs reached`);
  }
});
