// The MEMORY family: USAGE (a key's estimated bytes, store/memory-usage.ts), STATS (used_memory in
// its parts, as Redis's getMemoryOverheadData), DOCTOR (Redis's report, on the same figures),
// MALLOC-STATS (V8's heap spaces stand in for the allocator's), PURGE (a full collection) and
// HELP. Every figure comes from Server.usedMemory() and its breakdown (docs/memory.md).

import v8 from 'node:v8';
import * as E from '../errors.js';
import { arg, is, parseInt64 } from '../protocol/args.js';
import { key, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { memoryDocs } from './docs/memory.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { processMemory } from '../server/memory.js';
import { DEFAULT_SAMPLES, EXPIRE_OVERHEAD, KEY_OVERHEAD, keyBytes } from '../store/memory-usage.js';
import { replyHelp } from './server.js';

/** Redis's struct redisMemOverhead, on Redoubt's figures; INFO memory reads it too. */
interface MemoryOverview {
  readonly peak: number;
  readonly total: number;
  readonly startup: number;
  readonly clientsNormal: number;
  readonly luaCaches: number;
  readonly functionsCaches: number;
  readonly held: number;
  /** Per database with keys: [id, key entries overhead, expires overhead]. */
  readonly dbs: readonly (readonly [number, number, number])[];
  readonly overheadTotal: number;
  readonly keys: number;
  readonly bytesPerKey: number;
  readonly dataset: number;
  readonly datasetPerc: number;
  readonly peakPerc: number;
  readonly allocated: number;
  readonly active: number;
  readonly resident: number;
  readonly rss: number;
}

export function memoryOverview(s: Server): MemoryOverview {
  const total = s.usedMemory();
  const parts = s.memoryBreakdown();
  const lua = s.scripts.memory();
  const fns = s.functions.memory();
  const dbs: [number, number, number][] = [];
  let keys = 0;
  let tables = 0;
  for (const db of s.dbs) {
    if (db.size === 0) continue;
    keys += db.size;
    const main = db.size * KEY_OVERHEAD;
    const expires = db.expires.size * EXPIRE_OVERHEAD;
    tables += main + expires;
    dbs.push([db.id, main, expires]);
  }
  // Everything but the values and key names: what the server had at start, clients, scripts,
  // retained snapshot copies and the per-key tables.
  const overheadTotal = Math.min(total, parts.startup + parts.clients + parts.scripts + parts.held + tables);
  const dataset = total - overheadTotal;
  const net = total - parts.startup;
  const m = processMemory();
  return {
    peak: s.peakMemory,
    total,
    startup: parts.startup,
    clientsNormal: parts.clients,
    luaCaches: lua.lua + lua.bodies,
    functionsCaches: fns.vm + fns.overhead,
    held: parts.held,
    dbs,
    overheadTotal,
    keys,
    bytesPerKey: keys === 0 ? 0 : Math.floor(net / keys),
    dataset,
    datasetPerc: net <= 0 ? 0 : (dataset * 100) / net,
    peakPerc: s.peakMemory === 0 ? 0 : (total * 100) / s.peakMemory,
    allocated: m.heapUsed + m.external,
    active: m.heapTotal + m.external,
    resident: m.rss,
    rss: m.rss,
  };
}

// --- USAGE ---

function usage(c: Client, argv: string[]): void {
  let samples = DEFAULT_SAMPLES;
  for (let j = 3; j < argv.length; j++) {
    const opt = arg(argv, j);
    const value = argv[j + 1];
    if (is(opt, 'samples') && value !== undefined) {
      const n = parseInt64(value);
      if (n === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      if (n < 0n) {
        c.reply.error(E.SYNTAX);
        return;
      }
      // 0 samples every element; past what any collection holds, the same.
      samples = n === 0n || n > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(n);
      j++;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  // As Redis: the key as stored, without expiring it or touching its access time.
  const k = arg(argv, 2);
  const v = c.db.data.get(k);
  if (v === undefined) {
    c.reply.nil();
    return;
  }
  c.reply.integer(keyBytes(k, v, c.db.expires.has(k), samples));
}

// --- STATS ---

function stats(c: Client): void {
  const o = memoryOverview(c.server);
  const r = c.reply;
  const pair = (name: string, n: number): void => {
    r.bulk(name);
    r.integer(Math.round(n));
  };
  const ratio = (name: string, a: number, b: number): void => {
    r.bulk(name);
    r.double(b === 0 ? 0 : a / b);
  };
  r.map(27 + o.dbs.length);
  pair('peak.allocated', o.peak);
  pair('total.allocated', o.total);
  pair('startup.allocated', o.startup);
  pair('replication.backlog', 0);
  pair('clients.slaves', 0);
  pair('clients.normal', o.clientsNormal);
  pair('cluster.links', 0);
  pair('aof.buffer', 0);
  pair('lua.caches', o.luaCaches);
  pair('functions.caches', o.functionsCaches);
  for (const [id, main, expires] of o.dbs) {
    r.bulk(`db.${id}`);
    r.map(3);
    pair('overhead.hashtable.main', main);
    pair('overhead.hashtable.expires', expires);
    pair('overhead.hashtable.slot-to-keys', 0);
  }
  pair('overhead.total', o.overheadTotal);
  pair('keys.count', o.keys);
  pair('keys.bytes-per-key', o.bytesPerKey);
  pair('dataset.bytes', o.dataset);
  r.bulk('dataset.percentage');
  r.double(o.datasetPerc);
  r.bulk('peak.percentage');
  r.double(o.peakPerc);
  pair('allocator.allocated', o.allocated);
  pair('allocator.active', o.active);
  pair('allocator.resident', o.resident);
  ratio('allocator-fragmentation.ratio', o.active, o.allocated);
  pair('allocator-fragmentation.bytes', o.active - o.allocated);
  ratio('allocator-rss.ratio', o.resident, o.active);
  pair('allocator-rss.bytes', o.resident - o.active);
  ratio('rss-overhead.ratio', o.rss, o.resident);
  pair('rss-overhead.bytes', o.rss - o.resident);
  ratio('fragmentation', o.rss, o.total);
  pair('fragmentation.bytes', o.rss - o.total);
}

// --- DOCTOR ---

/** Redis's getMemoryDoctorReport, on the same thresholds, with used_memory for total.allocated. */
function doctorReport(s: Server): string {
  const o = memoryOverview(s);
  const found: string[] = [];
  const MB = 1024 * 1024;
  let empty = false;
  // Redis judges total.allocated; here the runtime alone is several MB, so what the server added counts.
  if (o.total - o.startup < 5 * MB) empty = true;
  else {
    if (o.peak / o.total > 1.5) found.push(DOCTOR_PEAK);
    if (o.rss / o.total > 1.4 && o.rss - o.total > 10 * MB) found.push(DOCTOR_FRAG);
    if (o.active / o.allocated > 1.1 && o.active - o.allocated > 10 * MB) found.push(DOCTOR_ALLOC_FRAG);
    if (o.resident / o.active > 1.1 && o.resident - o.active > 10 * MB) found.push(DOCTOR_ALLOC_RSS);
    const clients = Math.max(1, s.clients.size);
    if (o.clientsNormal / clients > 200 * 1024) found.push(DOCTOR_CLIENT_BUF);
    if (s.scripts.memory().count > 1000) found.push(DOCTOR_SCRIPTS);
  }
  if (empty) {
    return (
      "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
      'Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n'
    );
  }
  if (found.length === 0) return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  return `Sam, I detected a few issues in this Redis instance memory implants:\n\n${found.map((f) => ` * ${f}\n\n`).join('')}I'm here to keep you safe, Sam. I want to help you.\n`;
}

const DOCTOR_PEAK =
  'Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.';
const DOCTOR_FRAG =
  "High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"v8\".";
const DOCTOR_ALLOC_FRAG =
  "High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.";
const DOCTOR_ALLOC_RSS =
  'High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.';
const DOCTOR_CLIENT_BUF =
  'Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.';
const DOCTOR_SCRIPTS =
  'Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts\' caches may end up consuming most of your memory.';

function doctor(c: Client): void {
  c.reply.verbatim(doctorReport(c.server));
}

// --- MALLOC-STATS, PURGE, HELP ---

/** V8's heap spaces: what jemalloc's stats print for Redis, for the allocator this process has. */
function mallocStats(c: Client): void {
  const h = v8.getHeapStatistics();
  const lines = [
    '___ Begin V8 heap statistics ___',
    `heap_size_limit: ${h.heap_size_limit}`,
    `total_heap_size: ${h.total_heap_size}`,
    `total_physical_size: ${h.total_physical_size}`,
    `used_heap_size: ${h.used_heap_size}`,
    `malloced_memory: ${h.malloced_memory}`,
    `peak_malloced_memory: ${h.peak_malloced_memory}`,
    `external_memory: ${h.external_memory}`,
    'spaces: name size used available physical',
  ];
  for (const sp of v8.getHeapSpaceStatistics()) {
    lines.push(`  ${sp.space_name} ${sp.space_size} ${sp.space_used_size} ${sp.space_available_size} ${sp.physical_space_size}`);
  }
  lines.push('--- End V8 heap statistics ---');
  c.reply.verbatim(lines.join('\n') + '\n');
}

/** A full collection now: garbage stops counting in the heap, as jemalloc's purge returns dirty pages. */
function purge(c: Client): void {
  if (c.server.memory.collectNow()) c.reply.ok();
  else c.reply.error(E.PURGE_FAILED);
}

const MEMORY_HELP = [
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
];

function help(c: Client): void {
  replyHelp(c, 'MEMORY', MEMORY_HELP);
}

// --- the table ---

const shards = ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'] as const;

export const memoryCommands: readonly CommandSpec[] = withDocs(memoryDocs, [
  {
    name: 'memory', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    subcommands: [
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: help },
      { name: 'malloc-stats', arity: 2, flags: [], acl: ['slow'], keys: NO_KEYS, tips: shards, run: mallocStats },
      { name: 'doctor', arity: 2, flags: [], acl: ['slow'], keys: NO_KEYS, tips: shards, run: doctor },
      { name: 'stats', arity: 2, flags: [], acl: ['slow'], keys: NO_KEYS, tips: shards, run: stats },
      {
        name: 'purge', arity: 2, flags: [], acl: ['slow'], keys: NO_KEYS,
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'], run: purge,
      },
      { name: 'usage', arity: -3, flags: ['readonly'], acl: ['read', 'slow'], keys: [key(2, 'RO')], run: usage },
    ],
  },
]);
