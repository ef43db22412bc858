// INFO: the report's sections, with Redis 7.0's field names and order. Values are measured where
// Redoubt has the thing (clients, commands, memory, keyspace, eviction) and reported as "off" or
// zero where it does not have it yet (RDB, AOF, replicas), so a parser reads the truth.

import os from 'node:os';
import type { Database } from '../store/database.js';
import type { ParamName } from '../config/parameters.js';
import type { Server } from '../server/server.js';
import { VERSION, REDIS_VERSION } from '../version.js';
import { activeLockouts } from '../security/auth-throttle.js';
import { processMemory } from '../server/memory.js';
import { ClientMemory } from '../server/client-memory.js';
import { memoryOverview } from './memory.js';

type Section = (server: Server) => string[];

const BUILD_ID = Buffer.from(VERSION).toString('hex').padEnd(15, '0').slice(0, 15);

/** Reads a configuration value, tolerating parameters the table does not (yet) define. */
function cfgNum(server: Server, name: ParamName, fallback: number): number {
  return server.config.lookup(name) ? server.config.num(name) : fallback;
}

function cfgStr(server: Server, name: ParamName, fallback: string): string {
  return server.config.lookup(name) ? server.config.str(name) : fallback;
}

/** Redis's bytesToHuman: B, K, M, G, T, P with two decimals. */
function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  let v = n / 1024;
  for (const u of units) {
    if (v < 1024 || u === 'P') return `${v.toFixed(2)}${u}`;
    v /= 1024;
  }
  return `${n}B`;
}

const ratio = (a: number, b: number): string => (b === 0 ? '0.00' : (a / b).toFixed(2));
const avg = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const seconds = (usec: number): string => (usec / 1e6).toFixed(6);

function machine(): string {
  const m = os.machine();
  return m === 'x64' ? 'x86_64' : m;
}

function server(s: Server): string[] {
  const uptime = Math.floor((Date.now() - s.startTime) / 1000);
  const hz = cfgNum(s, 'hz', 10);
  return [
    // The Redis release whose replies Redoubt matches (clients gate features on it), then the
    // product and its own version, as Valkey's server_name/valkey_version (docs/compatibility.md).
    `redis_version:${REDIS_VERSION}`,
    'server_name:redoubt',
    `redoubt_version:${VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    `redis_build_id:${BUILD_ID}`,
    'redis_mode:standalone',
    `os:${os.type()} ${os.release()} ${machine()}`,
    'arch_bits:64',
    'monotonic_clock:POSIX clock_gettime',
    `multiplexing_api:${process.platform === 'linux' ? 'epoll' : process.platform === 'win32' ? 'iocp' : 'kqueue'}`,
    'atomicvar_api:c11-builtin',
    'gcc_version:0.0.0',
    `process_id:${process.pid}`,
    'process_supervised:no',
    `run_id:${s.runId}`,
    `tcp_port:${cfgNum(s, 'port', 0)}`,
    `server_time_usec:${Date.now() * 1000}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${hz}`,
    `configured_hz:${hz}`,
    `lru_clock:${Math.floor(Date.now() / 1000) & 0xffffff}`,
    `executable:${process.argv[1] ?? process.execPath}`,
    `config_file:${s.configFile}`,
    'io_threads_active:0',
  ];
}

function clients(s: Server): string[] {
  let blocked = 0;
  let replicas = 0;
  let maxIn = 0;
  let maxOut = 0;
  let unauth = 0;
  let waitingOnKeys = 0;
  for (const c of s.clients.values()) {
    // As Redis 7.0, a request held by CLIENT PAUSE is a blocked client (BLOCKED_POSTPONE).
    if (c.blocked || c.pendingArgv !== null) blocked++;
    if (c.blocked) waitingOnKeys++;
    if (c.kind === 'replica') replicas++;
    if (s.authRequired(c)) unauth++;
    const out = c.reply.pending;
    if (out > maxOut) maxOut = out;
    const inBuf = c.parser?.buffered ?? 0;
    if (inBuf > maxIn) maxIn = inBuf;
  }
  return [
    `connected_clients:${s.clients.size - replicas}`,
    'cluster_connections:0',
    `maxclients:${cfgNum(s, 'maxclients', 10000)}`,
    `client_recent_max_input_buffer:${maxIn}`,
    `client_recent_max_output_buffer:${maxOut}`,
    `blocked_clients:${blocked}`,
    `tracking_clients:${s.tracking.clients}`,
    `clients_in_timeout_table:${waitingOnKeys}`,
    `unauthenticated_clients:${unauth}`,
    `unauthenticated_clients_memory:${s.clientMemory.unauthTotal}`,
  ];
}

function memory(s: Server): string[] {
  const m = processMemory();
  // used_memory is the server's one figure (docs/memory.md); the allocator_* fields are V8's heap.
  const o = memoryOverview(s);
  const used = o.total;
  const peak = s.peakMemory;
  let clientsMem = 0;
  for (const c of s.clients.values()) clientsMem += ClientMemory.usage(c);
  const startup = o.startup;
  const dataset = o.dataset;
  const overhead = o.overheadTotal;
  const allocated = m.heapUsed + m.external;
  const active = m.heapTotal + m.external;
  const resident = m.rss;
  const maxmemory = cfgNum(s, 'maxmemory', 0);
  const lua = s.scripts.memory();
  const fns = s.functions.memory();
  return [
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${m.rss}`,
    `used_memory_rss_human:${bytesToHuman(m.rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${bytesToHuman(peak)}`,
    `used_memory_peak_perc:${((used * 100) / peak).toFixed(2)}%`,
    `used_memory_overhead:${overhead}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${o.datasetPerc.toFixed(2)}%`,
    `allocator_allocated:${allocated}`,
    `allocator_active:${active}`,
    `allocator_resident:${resident}`,
    `total_system_memory:${os.totalmem()}`,
    `total_system_memory_human:${bytesToHuman(os.totalmem())}`,
    `used_memory_lua:${lua.lua}`,
    `used_memory_vm_eval:${lua.lua}`,
    `used_memory_lua_human:${bytesToHuman(lua.lua)}`,
    `used_memory_scripts_eval:${lua.bodies}`,
    `number_of_cached_scripts:${lua.count}`,
    `number_of_functions:${fns.functions}`,
    `number_of_libraries:${fns.libraries}`,
    `used_memory_vm_functions:${fns.vm}`,
    `used_memory_vm_total:${lua.lua + fns.vm}`,
    `used_memory_vm_total_human:${bytesToHuman(lua.lua + fns.vm)}`,
    `used_memory_functions:${fns.overhead}`,
    `used_memory_scripts:${lua.bodies + fns.overhead}`,
    `used_memory_scripts_human:${bytesToHuman(lua.bodies + fns.overhead)}`,
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${bytesToHuman(maxmemory)}`,
    `maxmemory_policy:${cfgStr(s, 'maxmemory-policy', 'noeviction')}`,
    // Redoubt's own: the limit eviction holds used_memory to (maxmemory, or the heap's capacity when 0).
    `maxmemory_effective:${s.maxmemoryLimit()}`,
    `maxmemory_effective_human:${bytesToHuman(s.maxmemoryLimit())}`,
    `heap_size_limit:${s.memory.heapLimit}`,
    `heap_used:${s.memory.heapUsed}`,
    `mem_snapshot_retained:${o.held}`,
    `allocator_frag_ratio:${ratio(active, allocated)}`,
    `allocator_frag_bytes:${active - allocated}`,
    `allocator_rss_ratio:${ratio(resident, active)}`,
    `allocator_rss_bytes:${resident - active}`,
    `rss_overhead_ratio:${ratio(m.rss, resident)}`,
    `rss_overhead_bytes:${m.rss - resident}`,
    `mem_fragmentation_ratio:${ratio(m.rss, used)}`,
    `mem_fragmentation_bytes:${m.rss - used}`,
    'mem_not_counted_for_evict:0',
    'mem_replication_backlog:0',
    'mem_total_replication_buffers:0',
    'mem_clients_slaves:0',
    `mem_clients_normal:${clientsMem}`,
    'mem_cluster_links:0',
    'mem_aof_buffer:0',
    'mem_allocator:v8',
    'active_defrag_running:0',
    'lazyfree_pending_objects:0',
    `lazyfreed_objects:${s.store.lazyfree.freed}`,
  ];
}

function persistence(s: Server): string[] {
  const rdb = s.rdb;
  const snap = rdb.snapshot;
  return [
    `loading:${s.loading !== null ? 1 : 0}`,
    'async_loading:0',
    // A forkless snapshot copies nothing on write: its "cow" is the old values it holds.
    `current_cow_peak:${snap?.peakRetainedBytes ?? 0}`,
    `current_cow_size:${snap?.retainedBytes ?? 0}`,
    'current_cow_size_age:0',
    `current_fork_perc:${snap === null || snap.keysTotal === 0 ? '0.00' : ((snap.keysProcessed / snap.keysTotal) * 100).toFixed(2)}`,
    `current_save_keys_processed:${snap?.keysProcessed ?? 0}`,
    `current_save_keys_total:${snap?.keysTotal ?? 0}`,
    `rdb_changes_since_last_save:${s.store.stats.dirty}`,
    `rdb_bgsave_in_progress:${rdb.inProgress ? 1 : 0}`,
    `rdb_last_save_time:${rdb.lastSave}`,
    `rdb_last_bgsave_status:${rdb.lastBgsaveOk ? 'ok' : 'err'}`,
    `rdb_last_bgsave_time_sec:${rdb.lastBgsaveTimeSec}`,
    `rdb_current_bgsave_time_sec:${rdb.currentSeconds()}`,
    `rdb_saves:${rdb.saves}`,
    `rdb_last_cow_size:${rdb.lastRetainedBytes}`,
    `rdb_last_load_keys_expired:${s.lastLoad.keysExpired}`,
    `rdb_last_load_keys_loaded:${s.lastLoad.keysLoaded}`,
    ...s.aof.info(),
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
    ...s.aof.infoWhenOn(),
    ...loadingInfo(s),
  ];
}

/** The loading_* fields, present while a dataset loads (Redis's ETA estimate included). */
function loadingInfo(s: Server): string[] {
  const l = s.loading;
  if (l === null) return [];
  const base = l.totalBytes !== 0 ? l.totalBytes : l.rdbUsedMem;
  const perc = base === 0 ? 0 : Math.min((l.loadedBytes / base) * 100, l.totalBytes !== 0 ? 100 : 99.99);
  const remaining = Math.max(0, base - l.loadedBytes);
  const elapsed = Math.floor(Date.now() / 1000) - l.startTime;
  const eta = elapsed === 0 ? 1 : Math.floor((elapsed * remaining) / (l.loadedBytes + 1));
  return [
    `loading_start_time:${l.startTime}`,
    `loading_total_bytes:${l.totalBytes}`,
    `loading_rdb_used_mem:${l.rdbUsedMem}`,
    `loading_loaded_bytes:${l.loadedBytes}`,
    `loading_loaded_perc:${perc.toFixed(2)}`,
    `loading_eta_seconds:${eta}`,
  ];
}

function stats(s: Server): string[] {
  const st = s.stats;
  const kbps = (samples: readonly number[]): string => (avg(samples) / 1024).toFixed(2);
  return [
    `total_connections_received:${st.connectionsReceived}`,
    `total_commands_processed:${st.commands}`,
    `instantaneous_ops_per_sec:${Math.round(avg(st.opsSamples))}`,
    `total_net_input_bytes:${st.netInput}`,
    `total_net_output_bytes:${st.netOutput}`,
    'total_net_repl_input_bytes:0',
    'total_net_repl_output_bytes:0',
    `instantaneous_input_kbps:${kbps(st.inputSamples)}`,
    `instantaneous_output_kbps:${kbps(st.outputSamples)}`,
    'instantaneous_input_repl_kbps:0.00',
    'instantaneous_output_repl_kbps:0.00',
    `rejected_connections:${st.rejectedConnections}`,
    `rejected_connections_untrusted:${st.rejectedUntrusted}`,
    `sync_full:${s.replication.stats.syncFull}`,
    `sync_partial_ok:${s.replication.stats.syncPartialOk}`,
    `sync_partial_err:${s.replication.stats.syncPartialErr}`,
    `expired_subkeys:${st.expiredSubkeys}`,
    `expired_keys:${st.expiredKeys}`,
    'expired_stale_perc:0.00',
    `expired_time_cap_reached_count:${s.expiry.timeCapReached}`,
    'expire_cycle_cpu_milliseconds:0',
    `evicted_keys:${s.evictor.evictedKeys}`,
    `evicted_clients:${s.clientMemory.evicted}`,
    `total_eviction_exceeded_time:${Math.floor(s.evictor.exceededTotalMs + s.evictor.currentExceededMs())}`,
    `current_eviction_exceeded_time:${Math.floor(s.evictor.currentExceededMs())}`,
    `keyspace_hits:${s.store.stats.hits}`,
    `keyspace_misses:${s.store.stats.misses}`,
    `pubsub_channels:${s.pubsub.channels.size}`,
    `pubsub_patterns:${s.pubsub.patterns.size}`,
    `pubsubshard_channels:${s.pubsub.shardChannels.size}`,
    'latest_fork_usec:0',
    'total_forks:0',
    // Redoubt has no fork; its pauses are the event loop's (server/latency.ts StallMonitor).
    `eventloop_max_stall_ms:${s.stalls.maxMs.toFixed(1)}`,
    `migrate_cached_sockets:${s.migrations.cachedSockets}`,
    'slave_expires_tracked_keys:0',
    'active_defrag_hits:0',
    'active_defrag_misses:0',
    'active_defrag_key_hits:0',
    'active_defrag_key_misses:0',
    'total_active_defrag_time:0',
    'current_active_defrag_time:0',
    `tracking_total_keys:${s.tracking.totalKeys}`,
    `tracking_total_items:${s.tracking.totalItems}`,
    `tracking_total_prefixes:${s.tracking.totalPrefixes}`,
    'unexpected_error_replies:0',
    `total_error_replies:${st.errorReplies}`,
    'dump_payload_sanitizations:0',
    `total_reads_processed:${st.reads}`,
    `total_writes_processed:${st.writes}`,
    'io_threaded_reads_processed:0',
    'io_threaded_writes_processed:0',
    `client_output_buffer_limit_disconnections:${st.outputLimitDisconnections}`,
    `unauthenticated_client_disconnections:${s.clientMemory.unauthDisconnections}`,
    `auth_timeout_disconnections:${s.clientMemory.authTimeouts}`,
    `auth_failures:${st.authFailures}`,
    `auth_throttled:${st.authThrottled}`,
    `auth_lockouts:${st.authLockouts}`,
    `auth_lockouts_active:${activeLockouts(s)}`,
    'reply_buffer_shrinks:0',
    'reply_buffer_expands:0',
    // Redis 7.2's ACL counters: every denial, whether its ACL LOG entry is new or merged.
    `acl_access_denied_auth:${s.acl.log.denied.auth}`,
    `acl_access_denied_cmd:${s.acl.log.denied.command}`,
    `acl_access_denied_key:${s.acl.log.denied.key}`,
    `acl_access_denied_channel:${s.acl.log.denied.channel}`,
  ];
}

function replication(s: Server): string[] {
  return s.replication.info();
}

function cpu(): string[] {
  // Node reports the whole process; the main thread does nearly all of the work.
  const u = process.cpuUsage();
  return [
    `used_cpu_sys:${seconds(u.system)}`,
    `used_cpu_user:${seconds(u.user)}`,
    'used_cpu_sys_children:0.000000',
    'used_cpu_user_children:0.000000',
    `used_cpu_sys_main_thread:${seconds(u.system)}`,
    `used_cpu_user_main_thread:${seconds(u.user)}`,
  ];
}

function commandstats(s: Server): string[] {
  const out: string[] = [];
  for (const cmd of s.commands.walk()) {
    const st = cmd.stats;
    if (st.calls === 0 && st.failed === 0 && st.rejected === 0) continue;
    const perCall = st.calls === 0 ? 0 : st.usec / st.calls;
    out.push(
      `cmdstat_${cmd.fullName}:calls=${st.calls},usec=${st.usec},usec_per_call=${perCall.toFixed(2)},` +
        `rejected_calls=${st.rejected},failed_calls=${st.failed}`,
    );
  }
  return out;
}

/** Each tracked command's latency at the configured percentiles, in µs (Redis's fillPercentileDistributionLatencies). */
function latencystats(s: Server): string[] {
  if (!s.latencyTracking) return [];
  // Stored as Redis prints them (%f, trailing zeros trimmed), which is also the name of each field.
  const percentiles = cfgStr(s, 'latency-tracking-info-percentiles', '').split(' ').filter((w) => w !== '');
  const out: string[] = [];
  for (const cmd of s.commands.walk()) {
    const h = cmd.stats.histogram;
    if (h === null) continue;
    const fields = percentiles.map((p) => `p${p}=${(h.valueAtPercentile(Number(p)) / 1000).toFixed(3)}`);
    out.push(`latency_percentiles_usec_${cmd.fullName}:${fields.join(',')}`);
  }
  return out;
}

function errorstats(s: Server): string[] {
  // Redis keeps error codes in a radix tree, so they come out sorted.
  return [...s.stats.errors.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => `errorstat_${code}:count=${n}`);
}

function keyspace(s: Server): string[] {
  const out: string[] = [];
  for (const db of s.dbs) {
    if (db.size === 0) continue;
    out.push(`db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=${averageTtl(db)}`);
  }
  return out;
}

/** Mean remaining time to live in ms over (up to) the first 10000 volatile keys. */
function averageTtl(db: Database): number {
  if (db.expires.size === 0) return 0;
  const now = Date.now();
  let sum = 0;
  let n = 0;
  for (const at of db.expires.values()) {
    if (at > now) {
      sum += at - now;
      n++;
    }
    if (n >= 10000) break;
  }
  return n === 0 ? 0 : Math.floor(sum / n);
}

/** Sections in Redis's order: [name, title, in "default"?, builder]. */
const SECTIONS: readonly (readonly [string, string, boolean, Section])[] = [
  ['server', 'Server', true, server],
  ['clients', 'Clients', true, clients],
  ['memory', 'Memory', true, memory],
  ['persistence', 'Persistence', true, persistence],
  ['stats', 'Stats', true, stats],
  ['replication', 'Replication', true, replication],
  ['cpu', 'CPU', true, cpu],
  ['modules', 'Modules', true, () => []],
  ['commandstats', 'Commandstats', false, commandstats],
  ['errorstats', 'Errorstats', true, errorstats],
  ['latencystats', 'Latencystats', false, latencystats],
  ['cluster', 'Cluster', true, (server) => [`cluster_enabled:${server.cluster.enabled ? 1 : 0}`]],
  ['keyspace', 'Keyspace', true, keyspace],
];

/** The INFO text for the requested section names (none: "default"), CRLF lines, "# Title" headers. */
export function infoText(s: Server, requested: readonly string[]): string {
  const names = new Set(requested.map((r) => r.toLowerCase()));
  if (names.size === 0) names.add('default');
  const all = names.has('all') || names.has('everything');
  const dflt = names.has('default');
  if (names.has('module_list')) names.add('modules');
  const parts: string[] = [];
  for (const [name, title, inDefault, build] of SECTIONS) {
    if (!all && !(dflt && inDefault) && !names.has(name)) continue;
    const lines = build(s);
    parts.push(`# ${title}\r\n${lines.map((l) => l + '\r\n').join('')}`);
  }
  return parts.join('\r\n');
}
