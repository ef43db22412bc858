// What an INFO text says about the server: product and version (Redis, Valkey, KeyDB, Dragonfly,
// Redoubt), platform, mode, role and master, uptime, memory, clients, persistence, modules, and
// signs of a Debian/Ubuntu package build (the CVE-2022-0543 fingerprint).

import { printable } from './classify.js';

export type Product = 'redis' | 'valkey' | 'keydb' | 'dragonfly' | 'redoubt' | 'unknown';

export interface Module {
  readonly name: string;
  readonly version: string;
}

export interface Fingerprint {
  readonly product: Product;
  /** The product's own version (valkey_version for Valkey, redoubt_version for Redoubt...). */
  readonly version: string | null;
  /** redis_version as reported (the compatibility level for non-Redis products). */
  readonly redisVersion: string | null;
  readonly os: string | null;
  readonly archBits: number | null;
  readonly mode: string | null;
  readonly role: string | null;
  readonly master: { readonly host: string; readonly port: number; readonly linkStatus: string | null } | null;
  readonly uptimeSeconds: number | null;
  readonly usedMemory: number | null;
  readonly maxmemory: number | null;
  readonly connectedClients: number | null;
  readonly persistence: { readonly aofEnabled: boolean | null; readonly rdbLastSaveTime: number | null; readonly rdbChangesSinceLastSave: number | null; readonly loading: boolean | null };
  readonly modules: readonly Module[];
  readonly executable: string | null;
  readonly configFile: string | null;
  readonly memAllocator: string | null;
  readonly gccVersion: string | null;
  /** Databases with keys (from the Keyspace section). */
  readonly keyspace: readonly number[];
  readonly packaging: { readonly distribution: 'debian' | null; readonly evidence: readonly string[] };
}

/** INFO's `field:value` lines (values sanitized; server text is untrusted). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    // Module lines repeat the key: keep each one.
    const k = key === 'module' ? `module#${fields.size}` : key;
    fields.set(k, printable(line.slice(colon + 1)).slice(0, 512));
  }
  return fields;
}

function num(v: string | undefined): number | null {
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return null;
  return Number(v);
}

/** Attribute lists such as `name=search,ver=20811,api=1`. */
function attributes(v: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

/** The jemalloc each upstream Redis branch bundles; a different one means a system library (a distribution build). */
const BUNDLED_JEMALLOC: Record<string, string> = {
  '5.0': '5.1.0',
  '6.0': '5.1.0',
  '6.2': '5.1.0',
  '7.0': '5.2.1',
  '7.2': '5.3.0',
  '7.4': '5.3.0',
};

export function branchOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** Signs that a Redis binary comes from a Debian or Ubuntu package (documented in docs/audit.md). */
function debianSigns(f: Map<string, string>, redisVersion: string | null): string[] {
  const signs: string[] = [];
  const exe = f.get('executable') ?? '';
  const conf = f.get('config_file') ?? '';
  if (exe === '/usr/bin/redis-server' && conf.startsWith('/etc/redis/')) signs.push(`executable ${exe} with config_file ${conf} (the Debian package layout)`);
  const alloc = /^jemalloc-(\d+\.\d+\.\d+)/.exec(f.get('mem_allocator') ?? '');
  const bundled = redisVersion ? BUNDLED_JEMALLOC[branchOf(redisVersion)] : undefined;
  if (alloc && bundled && alloc[1] !== bundled && (f.get('redis_git_sha1') ?? '') === '00000000') {
    signs.push(`mem_allocator jemalloc-${alloc[1]} where upstream ${branchOf(redisVersion!)} bundles ${bundled}, built from a release tarball (a system jemalloc, as Debian links)`);
  }
  return signs;
}

function productOf(f: Map<string, string>): { product: Product; version: string | null } {
  const redoubt = f.get('redoubt_version');
  if (redoubt !== undefined) return { product: 'redoubt', version: redoubt };
  const valkey = f.get('valkey_version');
  if (valkey !== undefined || f.get('server_name') === 'valkey') return { product: 'valkey', version: valkey ?? null };
  const df = f.get('dragonfly_version');
  if (df !== undefined) return { product: 'dragonfly', version: df.replace(/^df-v?/, '') };
  if (/keydb/i.test(f.get('executable') ?? '') || f.has('mvcc_depth') || f.has('storage_provider')) return { product: 'keydb', version: f.get('redis_version') ?? null };
  const rv = f.get('redis_version');
  return rv !== undefined ? { product: 'redis', version: rv } : { product: 'unknown', version: null };
}

export function fingerprint(infoText: string): Fingerprint {
  const f = parseInfo(infoText);
  const { product, version } = productOf(f);
  const redisVersion = f.get('redis_version') ?? null;
  const role = f.get('role') ?? null;
  const masterHost = f.get('master_host');
  const modules: Module[] = [];
  for (const [k, v] of f) {
    if (!k.startsWith('module#')) continue;
    const a = attributes(v);
    modules.push({ name: a.get('name') ?? '?', version: a.get('ver') ?? '?' });
  }
  const keyspace: number[] = [];
  for (const k of f.keys()) {
    const m = /^db(\d+)$/.exec(k);
    if (m) keyspace.push(Number(m[1]));
  }
  const aof = f.get('aof_enabled');
  const loading = f.get('loading');
  const signs = product === 'redis' ? debianSigns(f, redisVersion) : [];
  return {
    product,
    version,
    redisVersion,
    os: f.get('os') ?? null,
    archBits: num(f.get('arch_bits')),
    mode: f.get('redis_mode') ?? f.get('server_mode') ?? null,
    role,
    master: masterHost !== undefined && (role === 'slave' || role === 'replica') ? { host: masterHost, port: num(f.get('master_port')) ?? 0, linkStatus: f.get('master_link_status') ?? null } : null,
    uptimeSeconds: num(f.get('uptime_in_seconds')),
    usedMemory: num(f.get('used_memory')),
    maxmemory: num(f.get('maxmemory')),
    connectedClients: num(f.get('connected_clients')),
    persistence: {
      aofEnabled: aof === undefined ? null : aof === '1',
      rdbLastSaveTime: num(f.get('rdb_last_save_time')),
      rdbChangesSinceLastSave: num(f.get('rdb_changes_since_last_save')),
      loading: loading === undefined ? null : loading === '1',
    },
    modules,
    executable: f.get('executable') ?? null,
    configFile: f.get('config_file') ?? null,
    memAllocator: f.get('mem_allocator') ?? null,
    gccVersion: f.get('gcc_version') ?? null,
    keyspace: keyspace.sort((a, b) => a - b),
    packaging: { distribution: signs.length > 0 ? 'debian' : null, evidence: signs },
  };
}
