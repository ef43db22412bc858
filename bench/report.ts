// Rendering of a comparison run: a plain-text table for the terminal and the Markdown page
// docs/benchmarks.md, both showing Redoubt's ratio to each peer and to the best of them, against
// the targets of the performance goals.

import { fmtRate } from './stats.js';
import type { ServerName } from './peers.js';

/** A server in the run, as its table columns name it. */
export interface Column {
  name: ServerName;
  label: string;
}

export interface ThroughputRow {
  /** redis-benchmark's test name: SET, GET, INCR, "MSET (10 keys)". */
  test: string;
  pipeline: number;
  /** Median ops/s by server. */
  ops: Partial<Record<ServerName, number>>;
  /** Every run's ops/s by server. */
  runs: Partial<Record<ServerName, number[]>>;
  /** Median CPU time the server process used per request, in µs (all threads, user + system). */
  cpu: Partial<Record<ServerName, number>>;
}

export interface MemorySample {
  /** RSS of the freshly started server, before any traffic. */
  idle: number;
  /** RSS after the warm-up traffic, before the keys. */
  before: number;
  after: number;
}

export interface MemoryResult {
  keys: number;
  value: string;
  servers: Partial<Record<ServerName, MemorySample>>;
}

export interface Results {
  date: string;
  machine: string;
  command: string;
  reps: number;
  /** The peers, in column order, then Redoubt. */
  servers: Column[];
  throughput: ThroughputRow[];
  memory: MemoryResult | null;
  benchArgs?: string[];
}

/** docs/benchmarks.md keeps what follows this line when a run rewrites the page. */
export const NOTES_MARKER = '<!-- Notes: everything from this line on is kept when bench/compare.ts rewrites this page. -->';

/** The goals of the performance work: minimum Redoubt/best-peer ops/s ratio for a test. */
export function target(test: string, pipeline: number): number {
  if (pipeline === 1) return 0.9;
  return ['GET', 'SET', 'INCR'].includes(test) ? 0.8 : 0.7;
}
/** Most RSS growth per key, as a multiple of the best peer's; most idle RSS, in bytes. */
export const MEMORY_TARGET = 1.2;
export const IDLE_TARGET = 40e6;

const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);

export function bytesPerKey(m: MemoryResult, name: ServerName): number {
  const s = m.servers[name];
  return s === undefined ? NaN : (s.after - s.before) / m.keys;
}

function peersOf(r: Results): Column[] {
  return r.servers.filter((s) => s.name !== 'redoubt');
}

function rows(r: Results): string[][] {
  const peers = peersOf(r);
  const head = ['test', 'pipeline', ...r.servers.map((s) => `${s.label} ops/s`), ...peers.map((p) => `÷ ${p.label}`), 'target (÷ best)', 'status'];
  head.push(...r.servers.map((s) => `CPU µs/op ${s.label}`));
  const out: string[][] = [head];
  for (const t of r.throughput) {
    const redoubt = t.ops.redoubt ?? NaN;
    const best = Math.max(...peers.map((p) => t.ops[p.name] ?? 0));
    const goal = target(t.test, t.pipeline);
    const x = ratio(redoubt, best);
    out.push([
      t.test,
      `P${t.pipeline}`,
      ...r.servers.map((s) => fmtRate(t.ops[s.name] ?? NaN)),
      ...peers.map((p) => ratio(redoubt, t.ops[p.name] ?? NaN).toFixed(2) + '×'),
      `≥ ${goal}×`,
      x >= goal ? 'ok' : `BELOW (${x.toFixed(2)}×)`,
      ...r.servers.map((s) => (t.cpu[s.name] ?? NaN).toFixed(2)),
    ]);
  }
  return out;
}

function memoryRows(r: Results): string[][] {
  const m = r.memory;
  if (m === null) return [];
  const peers = peersOf(r).filter((p) => m.servers[p.name] !== undefined);
  const best = Math.min(...peers.map((p) => bytesPerKey(m, p.name)));
  const mine = bytesPerKey(m, 'redoubt');
  const idle = m.servers.redoubt?.idle ?? NaN;
  const head = ['memory', ...r.servers.map((s) => s.label), ...peers.map((p) => `÷ ${p.label}`), 'target', 'status'];
  return [
    head,
    [
      `RSS growth per key (${fmtRate(m.keys)} keys)`,
      ...r.servers.map((s) => `${bytesPerKey(m, s.name).toFixed(1)} B`),
      ...peers.map((p) => ratio(mine, bytesPerKey(m, p.name)).toFixed(2) + '×'),
      `≤ ${MEMORY_TARGET}× best`,
      ratio(mine, best) <= MEMORY_TARGET ? 'ok' : `ABOVE (${ratio(mine, best).toFixed(2)}×)`,
    ],
    [
      'idle RSS',
      ...r.servers.map((s) => `${((m.servers[s.name]?.idle ?? NaN) / 1e6).toFixed(1)} MB`),
      ...peers.map((p) => ratio(idle, m.servers[p.name]?.idle ?? NaN).toFixed(2) + '×'),
      `< ${IDLE_TARGET / 1e6} MB`,
      idle < IDLE_TARGET ? 'ok' : 'ABOVE',
    ],
  ];
}

function plain(all: string[][]): string {
  if (all.length === 0) return '';
  const widths = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]?.length ?? 0)));
  return all.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function markdown(all: string[][], numeric: (i: number) => boolean): string {
  if (all.length === 0) return '';
  return [
    '| ' + all[0]!.join(' | ') + ' |',
    '|' + all[0]!.map((_, i) => (numeric(i) ? ' ---: |' : ' --- |')).join(''),
    ...all.slice(1).map((row) => '| ' + row.join(' | ') + ' |'),
  ].join('\n');
}

/** The throughput table alone, in Markdown (a run with other settings, quoted in the notes). */
export function renderThroughputMarkdown(r: Results): string {
  const n = r.servers.length;
  const peers = peersOf(r).length;
  return markdown(rows(r), (i) => i >= 2 && i !== 2 + n + peers && i !== 3 + n + peers);
}

export function renderTable(r: Results): string {
  return [plain(rows(r)), plain(memoryRows(r))].filter((s) => s !== '').join('\n\n');
}

export function renderMarkdown(r: Results): string {
  const n = r.servers.length;
  const peers = peersOf(r);
  const table = renderThroughputMarkdown(r);
  const runs = r.throughput
    .map((t) => `| ${t.test} | P${t.pipeline} | ${r.servers.map((s) => (t.runs[s.name] ?? []).map(fmtRate).join(', ')).join(' | ')} |`)
    .join('\n');
  const mem = r.memory;
  const memText = mem
    ? [
        `${fmtRate(mem.keys)} keys \`key:000000000\` … \`key:${String(mem.keys - 1).padStart(9, '0')}\` (13 bytes), each set to the ` +
          `${mem.value.length}-byte value \`${mem.value}\` with pipelined \`SET\`s (10,000 per batch, one connection), into a freshly ` +
          'started server. *Idle* is the RSS of the fresh server a second after it answers. Before the load, each server gets the ' +
          `same traffic without storing anything (${fmtRate(mem.keys)} pipelined \`GET\`s of the same, not yet existing, keys), so ` +
          "that buffers and V8's young generation are at their working size and do not count as key memory. Memory per key is the " +
          'growth of the process RSS (`VmRSS` in `/proc/<pid>/status`), read 0.5 s before and 2 s after the load, divided by the ' +
          'number of keys.',
        '',
        markdown(memoryRows(r), (i) => i >= 1 && i <= n + peers.length),
        '',
        '| server | idle RSS | RSS before | RSS after | bytes/key |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...r.servers.map((s) => {
          const m = mem.servers[s.name];
          if (m === undefined) return `| ${s.label} | — | — | — | — |`;
          return `| ${s.label} | ${(m.idle / 1e6).toFixed(1)} MB | ${(m.before / 1e6).toFixed(1)} MB | ${(m.after / 1e6).toFixed(1)} MB | ${bytesPerKey(mem, s.name).toFixed(1)} |`;
        }),
      ].join('\n')
    : 'Not measured in this run.';
  return `# Benchmarks: Redoubt against ${peers.map((p) => p.label).join(', ')}

Produced by \`bench/compare.ts\` on ${r.date} with:

\`\`\`
${r.command}
\`\`\`

All servers run at the same time on loopback, started with default settings (the peers with
\`--save '' --appendonly no\`, one I/O thread), and are driven by the same \`redis-benchmark\` binary.
Each configuration ran ${r.reps === 1 ? 'once' : `${r.reps} times`}, the servers taking turns in a rotating order; the figures are medians.

## Machine

\`\`\`
${r.machine}
\`\`\`

Two cores are shared by the server under test, \`redis-benchmark\` and whatever else the host is
running (other builds and test suites, often), so ops/s of a single run can move by tens of
percent; compare ratios, not absolute numbers, and look at CPU µs/op too.

## Results

Targets (issue 16), against the best peer of the same run: with a pipeline of 16, at least 0.8×
on GET, SET and INCR and 0.7× on the other tests; without pipelining, at least 0.9×; RSS growth per
small key at most ${MEMORY_TARGET}× the best peer's, and an idle server under ${IDLE_TARGET / 1e6} MB of RSS.

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

| test | pipeline | ${r.servers.map((s) => s.label).join(' | ')} |
| --- | --- |${r.servers.map(() => ' --- |').join('')}
${runs}

## Memory per key

${memText}

The C servers' RSS growth includes their allocator's rounding (jemalloc for Redis 7.0 and Valkey
8.0; the Redis 8.0 here is built with libc malloc) and the hash table's power-of-two bucket array;
Redoubt's includes V8's heap growth (the key strings, Map entries, and heap headroom not yet
returned to the OS).
`;
}
