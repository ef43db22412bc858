// The configuration table: every Redis 7.0 directive with its kind, default, bounds and flags
// (names, defaults and flags as redis-server 7.0.15 reports them). A directive whose feature
// Redoubt lacks lists `onlyOff`: the value meaning "off" is accepted, any other is refused by
// name, never silently ignored. Documented default differences: bind (loopback only) and
// client-output-buffer-limit (normal clients bounded).

import * as S from './special.js';
import type { ConfigTarget, ParamDef, ParamValue, PortKind } from './types.js';
import { parseNotify, renderNotify, rewriteNotify } from './keyspace-events.js';
import { maxclientsApply } from './file-limit.js';
import { INT64_MAX as LONG_MAX } from '../int64.js';

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const UINT_MAX = 2n ** 32n - 1n;
const ULLONG_MAX = 2n ** 64n - 1n;

/** What a row adds to its kind's fields (its name, kind and default come from the helper). */
type Extra = Partial<Omit<ParamDef, 'name' | 'kind' | 'default'>>;
/** A row that keeps its name's literal type, so the table's names make a type (ParamName). */
type Row<N extends string> = ParamDef & { readonly name: N };

const bool = <N extends string>(name: N, dflt: boolean, extra: Extra = {}): Row<N> => ({
  name,
  kind: 'bool',
  default: dflt ? 'yes' : 'no',
  ...extra,
});
const int = <N extends string>(name: N, min: bigint, max: bigint, dflt: number, extra: Extra = {}): Row<N> => ({
  name,
  kind: 'int',
  min,
  max,
  default: String(dflt),
  ...extra,
});
const mem = <N extends string>(name: N, min: bigint, max: bigint, dflt: number, extra: Extra = {}): Row<N> => ({
  name,
  kind: 'memory',
  min,
  max,
  default: String(dflt),
  ...extra,
});
/** Text; `null` default means "not set" (Redis's EMPTY_STRING_IS_NULL). */
const str = <N extends string>(name: N, dflt: string | null, extra: Extra = {}): Row<N> => ({
  name,
  kind: 'string',
  default: dflt ?? '',
  ...(dflt === null ? { nullIfEmpty: true } : {}),
  ...extra,
});
const enm = <N extends string>(name: N, values: readonly string[], dflt: string, extra: Extra = {}): Row<N> => ({
  name,
  kind: 'enum',
  values,
  default: dflt,
  ...extra,
});

const IMMUTABLE: Extra = { immutable: true };
const PROTECTED_ACTION = ['no', 'yes', 'local'] as const;
const SHUTDOWN_FLAGS = ['default', 'save', 'nosave', 'now', 'force'] as const;

const off = (feature: string, value: string, extra: Extra = {}): Extra => ({ onlyOff: [value], feature, ...extra });

/** Refuses a runtime change of a listening address: Redoubt binds its sockets once, at startup. */
const notAtRuntime =
  (what: string) =>
  (_server: unknown, value: unknown, old: unknown): Error | undefined =>
    value !== old ? new Error(`changing ${what} at runtime is not supported yet; set it in the config file and restart`) : undefined;

/**
 * port and tls-port change at runtime as in Redis: the new port is bound first (CONFIG SET waits),
 * and a port that cannot be bound, or one the no-open-door rule refuses, rolls the change back
 * while the old listeners go on serving. Established connections stay, as in Redis.
 */
const portChange = (kind: PortKind): Extra => ({
  prepare: (target, value) => target.bindPort(kind, Number(value)),
  apply: (target, value) => target.refuseOpenDoor() ?? target.switchPort(kind, Number(value)),
});

/** A tls-* directive: a runtime change rebuilds the TLS context (and is refused if it cannot). */
const TLS: Extra = { apply: (target) => target.reloadTls() };

/** The directives that take part in the no-open-door rule: a change that opens the door is refused. */
const refuseOpenDoor = (target: ConfigTarget): Error | undefined => target.refuseOpenDoor();

/** requirepass: the default user's password follows it; a change the no-open-door rule refuses is undone. */
function requirepassApply(target: ConfigTarget, value: ParamValue, old: ParamValue): Error | undefined {
  target.setDefaultPassword(String(value));
  const err = target.refuseOpenDoor();
  if (err instanceof Error) {
    target.setDefaultPassword(String(old));
    return err;
  }
  return undefined;
}

const table = [
  // --- network ---
  int('port', 0n, 65535n, 6379, portChange('tcp')),
  {
    name: 'bind',
    kind: 'special',
    multi: true,
    default: '127.0.0.1 -::1',
    parse: S.parseBind,
    rewrite: S.rewriteBind,
    apply: notAtRuntime('the bind addresses'),
  },
  str('bind-source-addr', null),
  int('tcp-backlog', 0n, INT_MAX, 511, IMMUTABLE),
  str('unixsocket', null, IMMUTABLE),
  int('unixsocketperm', 0n, 0o777n, 0, { immutable: true, octal: true, unsigned: true }),
  int('socket-mark-id', 0n, UINT_MAX, 0, { immutable: true, unsigned: true, ...off('socket marks (SO_MARK)', '0') }),
  int('timeout', 0n, INT_MAX, 0),
  int('tcp-keepalive', 0n, INT_MAX, 300),
  bool('protected-mode', true, { apply: refuseOpenDoor }),
  // Lowered at startup to what the descriptor limit allows; CONFIG SET past it is refused.
  int('maxclients', 1n, UINT_MAX, 10000, { unsigned: true, apply: maxclientsApply }),
  // Redis's value; a bulk is also never longer than V8's longest string (536,870,888 bytes).
  mem('proto-max-bulk-len', 1024n * 1024n, LONG_MAX, 512 * 1024 * 1024),
  // Counts the arguments of the request being read too (they are on the V8 heap).
  mem('client-query-buffer-limit', 1024n * 1024n, LONG_MAX, 1024 * 1024 * 1024, { unsigned: true }),
  {
    // Normal clients are bounded (Redis: normal 0 0 0): one reply or backlog past 1 GB closes the client.
    name: 'client-output-buffer-limit',
    kind: 'special',
    multi: true,
    default: 'normal 1073741824 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    parse: S.parseClientOutputBufferLimit,
    rewrite: S.rewriteClientOutputBufferLimit,
  },
  int('io-threads', 1n, 128n, 1, { immutable: true, ...off('I/O threads', '1') }),
  bool('io-threads-do-reads', false, IMMUTABLE),

  // --- TLS (a change reloads the running TLS listeners' context; see security/tls.ts) ---
  int('tls-port', 0n, 65535n, 0, portChange('tls')),
  str('tls-cert-file', null, TLS),
  str('tls-key-file', null, TLS),
  str('tls-key-file-pass', null, { sensitive: true, ...TLS }),
  str('tls-client-cert-file', null, TLS),
  str('tls-client-key-file', null, TLS),
  str('tls-client-key-file-pass', null, { sensitive: true, ...TLS }),
  str('tls-dh-params-file', null, TLS),
  str('tls-ca-cert-file', null, TLS),
  str('tls-ca-cert-dir', null, TLS),
  // Without a client certificate requirement the TLS port takes part in the no-open-door rule.
  enm('tls-auth-clients', ['no', 'yes', 'optional'], 'yes', { apply: (target) => target.reloadTls() ?? target.refuseOpenDoor() }),
  bool('tls-replication', false),
  bool('tls-cluster', false, { apply: (target) => target.setTlsCluster() }),
  str('tls-protocols', null, { parse: S.parseTlsProtocols, ...TLS }),
  str('tls-ciphers', null, TLS),
  str('tls-ciphersuites', null, TLS),
  bool('tls-prefer-server-ciphers', false, TLS),
  bool('tls-session-caching', true, TLS),
  int('tls-session-cache-size', 0n, INT_MAX, 20480, TLS),
  int('tls-session-cache-timeout', 0n, INT_MAX, 300, TLS),

  // --- general ---
  bool('daemonize', false, IMMUTABLE),
  enm('supervised', ['upstart', 'systemd', 'auto', 'no'], 'no', IMMUTABLE),
  str('pidfile', null, IMMUTABLE),
  enm('loglevel', ['debug', 'verbose', 'notice', 'warning'], 'notice'),
  str('logfile', '', IMMUTABLE),
  bool('syslog-enabled', false, IMMUTABLE),
  str('syslog-ident', 'redis', IMMUTABLE),
  enm('syslog-facility', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'local0', IMMUTABLE),
  bool('crash-log-enabled', true),
  bool('crash-memcheck-enabled', true),
  int('databases', 1n, INT_MAX, 16, IMMUTABLE),
  bool('always-show-logo', false, IMMUTABLE),
  bool('set-proc-title', true, IMMUTABLE),
  str('proc-title-template', '{title} {listen-addr} {server-mode}', { parse: S.validProcTitleTemplate }),
  str('ignore-warnings', ''),
  enm('shutdown-on-sigint', SHUTDOWN_FLAGS, 'default', { multi: true, parse: S.validShutdownFlags }),
  enm('shutdown-on-sigterm', SHUTDOWN_FLAGS, 'default', { multi: true, parse: S.validShutdownFlags }),
  int('shutdown-timeout', 0n, INT_MAX, 10),
  str('server_cpulist', null, IMMUTABLE),
  str('bio_cpulist', null, IMMUTABLE),
  str('aof_rewrite_cpulist', null, IMMUTABLE),
  str('bgsave_cpulist', null, IMMUTABLE),
  enm('oom-score-adj', ['no', 'yes', 'relative', 'absolute'], 'no', off('OOM score adjustment', 'no')),
  { name: 'oom-score-adj-values', kind: 'special', multi: true, default: '0 200 800', parse: S.parseOomScoreAdjValues },
  bool('disable-thp', true, IMMUTABLE),
  bool('jemalloc-bg-thread', true),

  // --- security ---
  str('requirepass', null, { sensitive: true, apply: requirepassApply }),
  str('aclfile', '', IMMUTABLE),
  int('acllog-max-len', 0n, LONG_MAX, 128),
  enm('acl-pubsub-default', ['allchannels', 'resetchannels'], 'resetchannels'),
  enm('enable-protected-configs', PROTECTED_ACTION, 'no', IMMUTABLE),
  enm('enable-debug-command', PROTECTED_ACTION, 'no', IMMUTABLE),
  enm('enable-module-command', PROTECTED_ACTION, 'no', IMMUTABLE),
  enm('enable-migrate-command', PROTECTED_ACTION, 'no', { protected: true }),
  enm('sanitize-dump-payload', ['no', 'yes', 'clients'], 'no'),

  // --- snapshotting (RDB) and AOF (AOF not implemented yet: only "off") ---
  {
    name: 'save',
    kind: 'special',
    multi: true,
    accumulate: true,
    default: '3600 1 300 100 60 10000',
    parse: S.parseSave,
    rewrite: S.rewriteSave,
  },
  {
    name: 'dir',
    kind: 'special',
    default: '',
    protected: true,
    parse: S.oneWord,
    render: () => process.cwd(),
    effect: S.chdirEffect,
    rewrite: S.rewriteDir,
  },
  str('dbfilename', 'dump.rdb', { protected: true, parse: S.validDbFilename }),
  bool('stop-writes-on-bgsave-error', true),
  bool('rdbcompression', true),
  bool('rdbchecksum', true, IMMUTABLE),
  bool('rdb-del-sync-files', false),
  bool('rdb-save-incremental-fsync', true),
  int('rdb-key-save-delay', INT_MIN, INT_MAX, 0, { hidden: true }),
  bool('appendonly', false, { apply: (server, value) => server.setAppendOnly(value === true) }),
  str('appendfilename', 'appendonly.aof', { immutable: true, parse: S.validAofFilename }),
  str('appenddirname', 'appendonlydir', { immutable: true, parse: S.validAofDirname }),
  enm('appendfsync', ['everysec', 'always', 'no'], 'everysec'),
  bool('no-appendfsync-on-rewrite', false),
  int('auto-aof-rewrite-percentage', 0n, INT_MAX, 100),
  mem('auto-aof-rewrite-min-size', 0n, LONG_MAX, 64 * 1024 * 1024),
  bool('aof-load-truncated', true),
  bool('aof-use-rdb-preamble', true),
  bool('aof-timestamp-enabled', false),
  bool('aof-rewrite-incremental-fsync', true),
  bool('aof-disable-auto-gc', false),
  int('key-load-delay', INT_MIN, INT_MAX, 0, { hidden: true }),
  int('loading-process-events-interval-bytes', 1024n, INT_MAX, 2 * 1024 * 1024, { hidden: true }),

  // --- replication (docs/replication.md) ---
  {
    name: 'replicaof',
    alias: 'slaveof',
    kind: 'special',
    multi: true,
    immutable: true,
    default: '',
    parse: S.parseReplicaOf,
    rewrite: S.rewriteReplicaOf,
  },
  // Redoubt's own: the primaries REPLICAOF may name (host, host:port, or a CIDR range); empty refuses every one.
  str('replica-allowed-primaries', '', { protected: true }),
  str('masterauth', null, { sensitive: true }),
  str('masteruser', null, { sensitive: true }),
  bool('replica-serve-stale-data', true, { alias: 'slave-serve-stale-data' }),
  bool('replica-read-only', true, { alias: 'slave-read-only' }),
  bool('repl-diskless-sync', true),
  int('repl-diskless-sync-delay', 0n, INT_MAX, 5),
  int('repl-diskless-sync-max-replicas', 0n, INT_MAX, 0),
  enm('repl-diskless-load', ['disabled', 'on-empty-db', 'swapdb'], 'disabled'),
  int('repl-ping-replica-period', 1n, INT_MAX, 10, { alias: 'repl-ping-slave-period' }),
  int('repl-timeout', 1n, INT_MAX, 60),
  bool('repl-disable-tcp-nodelay', false),
  mem('repl-backlog-size', 1n, LONG_MAX, 1024 * 1024),
  int('repl-backlog-ttl', 0n, LONG_MAX, 3600),
  int('replica-priority', 0n, INT_MAX, 100, { alias: 'slave-priority' }),
  bool('replica-announced', true),
  int('min-replicas-to-write', 0n, INT_MAX, 0, { alias: 'min-slaves-to-write' }),
  int('min-replicas-max-lag', 0n, INT_MAX, 10, { alias: 'min-slaves-max-lag' }),
  str('replica-announce-ip', null, { alias: 'slave-announce-ip' }),
  int('replica-announce-port', 0n, 65535n, 0, { alias: 'slave-announce-port' }),
  bool('replica-lazy-flush', false, { alias: 'slave-lazy-flush' }),
  bool('replica-ignore-maxmemory', true, { alias: 'slave-ignore-maxmemory' }),
  bool('replica-ignore-disk-write-errors', false),
  enm('propagation-error-behavior', ['ignore', 'panic', 'panic-on-replicas'], 'ignore'),

  // --- memory management (docs/memory.md) ---
  // At most what the heap can hold: V8's heap is sized when the process starts.
  mem('maxmemory', 0n, ULLONG_MAX, 0, { unsigned: true, apply: (target, value) => target.fitMaxmemory(BigInt(value)) }),
  enm('maxmemory-policy', ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'], 'noeviction'),
  int('maxmemory-samples', 1n, INT_MAX, 5),
  int('maxmemory-eviction-tenacity', 0n, 100n, 10),
  // Client eviction, as Redis 7.0 (a percentage is of maxmemory, so off while maxmemory is 0).
  mem('maxmemory-clients', -100n, LONG_MAX, 0, { percent: true }),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-server-del', false),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  int('lfu-log-factor', 0n, INT_MAX, 10),
  int('lfu-decay-time', 0n, INT_MAX, 1),
  bool('activedefrag', false, off('active defragmentation', 'no')),
  mem('active-defrag-ignore-bytes', 1n, LONG_MAX, 100 * 1024 * 1024, { unsigned: true }),
  int('active-defrag-threshold-lower', 0n, 1000n, 10),
  int('active-defrag-threshold-upper', 0n, 1000n, 100),
  int('active-defrag-cycle-min', 1n, 99n, 1),
  int('active-defrag-cycle-max', 1n, 99n, 25),
  int('active-defrag-max-scan-fields', 1n, LONG_MAX, 1000),
  int('active-expire-effort', 1n, 10n, 1),
  bool('activerehashing', true),

  // --- cluster (cluster-enabled: a node of a real cluster; cluster-emulated: one node owning every slot) ---
  bool('cluster-enabled', false, IMMUTABLE),
  // Who may talk to the cluster bus (and whom it dials): loopback only unless the operator says more.
  str('cluster-allowed-peers', '127.0.0.0/8 ::1', { parse: S.allowedPeers, apply: (t) => t.setClusterAllowedPeers() }),
  bool('cluster-emulated', false),
  str('cluster-config-file', 'nodes.conf', IMMUTABLE),
  int('cluster-port', 0n, 65535n, 0, IMMUTABLE),
  int('cluster-node-timeout', 0n, LONG_MAX, 15000),
  int('cluster-replica-validity-factor', 0n, INT_MAX, 10, { alias: 'cluster-slave-validity-factor' }),
  int('cluster-migration-barrier', 0n, INT_MAX, 1),
  bool('cluster-allow-replica-migration', true),
  bool('cluster-require-full-coverage', true),
  bool('cluster-replica-no-failover', false, { alias: 'cluster-slave-no-failover' }),
  bool('cluster-allow-reads-when-down', false),
  bool('cluster-allow-pubsubshard-when-down', true),
  mem('cluster-link-sendbuf-limit', 0n, ULLONG_MAX, 0, { unsigned: true }),
  str('cluster-announce-ip', null),
  str('cluster-announce-hostname', null, { parse: S.validHostname }),
  int('cluster-announce-port', 0n, 65535n, 0),
  int('cluster-announce-bus-port', 0n, 65535n, 0),
  int('cluster-announce-tls-port', 0n, 65535n, 0),
  enm('cluster-preferred-endpoint-type', ['ip', 'hostname', 'unknown-endpoint'], 'ip'),

  // --- scripting, diagnostics, events ---
  int('busy-reply-threshold', 0n, LONG_MAX, 5000, { alias: 'lua-time-limit' }),
  int('slowlog-log-slower-than', -1n, LONG_MAX, 10000),
  int('slowlog-max-len', 0n, LONG_MAX, 128),
  int('latency-monitor-threshold', 0n, LONG_MAX, 0),
  bool('latency-tracking', true),
  {
    name: 'latency-tracking-info-percentiles',
    kind: 'special',
    multi: true,
    default: '50 99 99.9',
    parse: S.parsePercentiles,
    rewrite: S.rewritePercentiles,
  },
  {
    name: 'notify-keyspace-events',
    kind: 'special',
    default: '',
    parse: parseNotify,
    render: renderNotify,
    rewrite: rewriteNotify,
  },
  int('hz', 0n, INT_MAX, 10, { clamp: [1n, 500n] }),
  bool('dynamic-hz', true),
  int('watchdog-period', 0n, INT_MAX, 0, { hidden: true }),
  bool('use-exit-on-panic', false, { hidden: true }),

  // --- encodings (stored; they shape memory layouts only) ---
  int('hash-max-listpack-entries', 0n, LONG_MAX, 512, { alias: 'hash-max-ziplist-entries', unsigned: true }),
  mem('hash-max-listpack-value', 0n, LONG_MAX, 64, { alias: 'hash-max-ziplist-value', unsigned: true }),
  int('list-max-listpack-size', INT_MIN, INT_MAX, -2, { alias: 'list-max-ziplist-size' }),
  int('list-compress-depth', 0n, INT_MAX, 0),
  int('set-max-intset-entries', 0n, LONG_MAX, 512, { unsigned: true }),
  int('zset-max-listpack-entries', 0n, LONG_MAX, 128, { alias: 'zset-max-ziplist-entries', unsigned: true }),
  mem('zset-max-listpack-value', 0n, LONG_MAX, 64, { alias: 'zset-max-ziplist-value', unsigned: true }),
  mem('hll-sparse-max-bytes', 0n, LONG_MAX, 3000, { unsigned: true }),
  mem('stream-node-max-bytes', 0n, LONG_MAX, 4096, { unsigned: true }),
  int('stream-node-max-entries', 0n, LONG_MAX, 100),
  int('tracking-table-max-keys', 0n, LONG_MAX, 1000000, { unsigned: true }),

  // --- Redoubt additions ---
  // The local syslog socket syslog-enabled writes to (Redis's syslog(3) always uses /dev/log). Fixed
  // at start as Redis's syslog directives, and out of `CONFIG GET *` (it answers to its own name):
  // tools that set every listed parameter back (Redis's CONFIG sanity test) know only Redis's.
  str('syslog-socket', '/dev/log', { immutable: true, hidden: true }),
  // The server log's format: Redis's lines, or one JSON object per line (fields as the audit log's).
  enm('log-format', ['redis', 'json'], 'redis'),
  // --- Redoubt security additions ---
  // Security events as JSON lines: a file path, "stdout", or "" (off). Protected: it writes files.
  str('audit-log', '', { protected: true }),
  // TCP/TLS clients must come from one of these IPv4/IPv6 CIDR ranges; empty = anyone.
  {
    name: 'trusted-networks',
    kind: 'special',
    multi: true,
    default: '',
    parse: S.parseTrustedNetworks,
    rewrite: (v) => [{ line: `trusted-networks ${v === '' ? '""' : String(v)}`, force: v !== '' }],
  },
  // Lifts the no-open-door rule (non-loopback bind + no password + protected mode off). Dangerous.
  bool('allow-unauthenticated-network', false, { apply: refuseOpenDoor }),
  // Brute-force throttling of AUTH / HELLO AUTH (auth-throttle.ts); "no" also lifts lockouts in force.
  bool('auth-failure-throttling', true, {
    apply: (target, value) => {
      if (value === false) target.forgetAuthFailures();
      return undefined;
    },
  }),
  int('auth-failure-window', 1n, 86400n, 60),
  int('auth-failure-delay-after', 0n, 1000n, 3),
  int('auth-failure-delay-base-ms', 0n, 60000n, 100),
  int('auth-failure-delay-max-ms', 0n, 600000n, 5000),
  // 0: never lock a (source, user name) pair out (delays only).
  int('auth-failure-lockout-threshold', 0n, 100000n, 10),
  int('auth-failure-lockout-seconds', 1n, 86400n, 300),
  // Guesses per second per user name in each of its three budgets, and how many come at once.
  int('auth-failure-user-rate', 1n, 100000n, 5),
  int('auth-failure-user-burst', 1n, 100000n, 10),
  // Seconds a connection may stay unauthenticated while a password is required; 0: no limit.
  int('auth-timeout', 0n, 86400n, 10),
] as const satisfies readonly ParamDef[];

/** The name of a parameter of the table (not an alias): `config.num('databses')` does not compile. */
export type ParamName = (typeof table)[number]['name'];

export const parameters: readonly ParamDef[] = table;

/** Names (and aliases) of the secret parameters, whose values never reach SLOWLOG or MONITOR. */
export const SENSITIVE_NAMES: ReadonlySet<string> = new Set(
  parameters.filter((d) => d.sensitive).flatMap((d) => (d.alias ? [d.name, d.alias] : [d.name])),
);
