// Rendering of a comparison run: a plain-text table for the terminal and the Markdown page
// docs/benchmarks.md, both showing Redoubt/Redis ratios against the project's targets.

import { fmtRate } from './stats.js';

export interface ThroughputRow {
  /** redis-benchmark's test name: SET, GET, INCR, "MSET (10 keys)". */
  test: string;
  pipeline: number;
  /** Median ops/s. */
  redis: number;
  redoubt: number;
  redisRuns: number[];
  redoubtRuns: number[];
  /** Median CPU time the server process used per request, in µs (all threads, user + system). */
  redisCpu: number;
  redoubtCpu: number;
}

export interface MemoryResult {
  keys: number;
  value: string;
  redis: { before: number; after: number };
  redoubt: { before: number; after: number };
}

export interface Results {
  date: string;
  machine: string;
  command: string;
  reps: number;
  throughput: ThroughputRow[];
  memory: MemoryResult | null;
  benchArgs?: string[];
}

/** docs/benchmarks.md keeps what follows this line when a run rewrites the page. */
export const NOTES_MARKER = '<!-- Notes: everything from this line on is kept when bench/compare.ts rewrites this page. -->';

/** Minimum Redoubt/Redis ops/s ratio by pipeline depth, and the maximum memory ratio. */
export function target(pipeline: number): number {
  return pipeline === 1 ? 0.8 : 0.5;
}
export const MEMORY_TARGET = 2;

const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);

export function bytesPerKey(m: MemoryResult, name: 'redis' | 'redoubt'): number {
  return (m[name].after - m[name].before) / m.keys;
}

function rows(r: Results): string[][] {
  const out: string[][] = [['test', 'pipeline', 'Redis ops/s', 'Redoubt ops/s', 'Redoubt/Redis', 'target', 'status', 'CPU µs/op Redis', 'Redoubt']];
  for (const t of r.throughput) {
    const x = ratio(t.redoubt, t.redis);
    const goal = target(t.pipeline);
    out.push([t.test, `P${t.pipeline}`, fmtRate(t.redis), fmtRate(t.redoubt), x.toFixed(2) + '×', `≥ ${goal}×`, x >= goal ? 'ok' : 'BELOW', t.redisCpu.toFixed(2), t.redoubtCpu.toFixed(2)]);
  }
  if (r.memory) {
    const m = r.memory;
    const redis = bytesPerKey(m, 'redis');
    const redoubt = bytesPerKey(m, 'redoubt');
    const x = ratio(redoubt, redis);
    out.push([`memory/key (${fmtRate(m.keys)} keys)`, '', `${redis.toFixed(1)} B`, `${redoubt.toFixed(1)} B`, x.toFixed(2) + '×', `≤ ${MEMORY_TARGET}×`, x <= MEMORY_TARGET ? 'ok' : 'ABOVE', '', '']);
  }
  return out;
}

export function renderTable(r: Results): string {
  const all = rows(r);
  const widths = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function renderMarkdown(r: Results): string {
  const all = rows(r);
  const table = [
    '| ' + all[0]!.join(' | ') + ' |',
    '|' + all[0]!.map((_, i) => (i === 2 || i === 3 || i === 4 || i >= 7 ? ' ---: |' : ' --- |')).join(''),
    ...all.slice(1).map((row) => '| ' + row.join(' | ') + ' |'),
  ].join('\n');
  const runs = r.throughput
    .map((t) => `| ${t.test} | P${t.pipeline} | ${t.redisRuns.map(fmtRate).join(', ')} | ${t.redoubtRuns.map(fmtRate).join(', ')} |`)
    .join('\n');
  const mem = r.memory;
  const memText = mem
    ? [
        `${fmtRate(mem.keys)} keys \`key:000000000\` … \`key:${String(mem.keys - 1).padStart(9, '0')}\` (13 bytes), each set to the ` +
          `${mem.value.length}-byte value \`${mem.value}\` with pipelined \`SET\`s (10,000 per batch, one connection), into a freshly ` +
          'started server. Before the load, each server gets the same traffic without storing anything ' +
          `(${fmtRate(mem.keys)} pipelined \`GET\`s of the same, not yet existing, keys), so that buffers and V8's young ` +
          'generation are at their working size and do not count as key memory. Memory is the growth of the process RSS ' +
          '(`VmRSS` in `/proc/<pid>/status`), read 0.5 s before and 2 s after the load, divided by the number of keys.',
        '',
        '| server | RSS before | RSS after | bytes/key |',
        '| --- | ---: | ---: | ---: |',
        ...(['redis', 'redoubt'] as const).map(
          (n) => `| ${n === 'redis' ? 'Redis' : 'Redoubt'} | ${(mem[n].before / 1e6).toFixed(1)} MB | ${(mem[n].after / 1e6).toFixed(1)} MB | ${bytesPerKey(mem, n).toFixed(1)} |`,
        ),
      ].join('\n')
    : 'Not measured in this run.';
  return `# Benchmarks: Redoubt against Redis 7.0

Produced by \`bench/compare.ts\` on ${r.date} with:

\`\`\`
${r.command}
\`\`\`

Both servers run at the same time on loopback, started with default settings (Redis with
\`--save '' --appendonly no\`), and are driven by the same \`redis-benchmark\` binary. Each
configuration ran ${r.reps === 1 ? 'once' : `${r.reps} times`}, alternating which server goes first; the figures are medians.

## Machine

\`\`\`
${r.machine}
\`\`\`

Two cores are shared by the server under test, \`redis-benchmark\` and whatever else the host is
running (other builds and test suites, often), so ops/s of a single run can move by tens of
percent; compare ratios, not absolute numbers, and look at CPU µs/op too.

## Results

Targets: at least 0.8× Redis's throughput without pipelining, at least 0.5× with a pipeline of 16,
at most 2× Redis's memory per key.

${table}

## Throughput

${(r.benchArgs ?? []).map((a) => '`' + a + '`').join('  \n')}

One \`redis-benchmark\` run per test, server and repetition: 50 clients, 3-byte values, string keys
drawn at random from 100,000 names. MSET and LRANGE_100 get a fifth of the requests, since an MSET
writes 10 keys and an LRANGE_100 replies with 100 elements. The data-type tests use one key per
type, as \`redis-benchmark\` does (\`mylist\`, \`myset\`, \`myhash\`, \`myzset\`), with members
drawn from 100,000 names; LPOP runs after LPUSH with as many requests, so it always pops an element,
and \`-t lrange_100\` first pushes as many elements as it will send LRANGEs (its CPU µs/op includes
those LPUSHes). *CPU µs/op* is the CPU time the server process used during the run
(user + system, all threads, from \`/proc/<pid>/stat\`) divided by the number of requests: it moves much
less than ops/s with the machine's load, so it is the better figure for comparing two versions of
Redoubt (\`bench/ab.ts\` does that). Every run, in ops/s:

| test | pipeline | Redis | Redoubt |
| --- | --- | --- | --- |
${runs}

## Memory per key

${memText}

Redis's RSS growth includes jemalloc's rounding and its hash table's power-of-two bucket array;
Redoubt's includes V8's heap growth (the key strings, Map entries, and heap headroom not yet
returned to the OS).
`;
}
