// What an INFO text says about the server: product and version (Redis, Valkey, KeyDB, Dragonfly,
// Redoubt), platform, mode, role and master, uptime, memory, clients, persistence, modules, and
// signs of a distribution's package build (which may carry backported fixes its version does not
// show), Debian/Ubuntu's in particular (the CVE-2022-0543 fingerprint).

import { printable } from './classify.js';

export type Product = 'redis' | 'valkey' | 'keydb' | 'dragonfly' | 'redoubt' | 'unknown';

interface Module {
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
  /** The replicas INFO replication lists (slaveN: ip, port, state), at most 64. */
  readonly replicas: readonly { readonly ip: string; readonly port: number; readonly state: string }[];
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
  /** redis_git_sha1 and redis_build_id as reported. */
  readonly gitSha1: string | null;
  readonly buildId: string | null;
  /** Databases with keys (from the Keyspace section). */
  readonly keyspace: readonly number[];
  readonly packaging: Packaging;
}

/**
 * Whether the binary looks like a distribution's package. `suspected` follows the rule in
 * docs/audit.md; `distribution` names the distribution when the signs are specific (Debian/Ubuntu).
 */
interface Packaging {
  readonly distribution: 'debian' | null;
  readonly suspected: boolean;
  readonly evidence: readonly string[];
}

/** INFO's `field:value` lines (values sanitized; server text is untrusted). */
function parseInfo(text: string): Map<string, string> {
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
function debianSigns(f: Map<string, string>, version: string | null): string[] {
  const signs: string[] = [];
  const exe = f.get('executable') ?? '';
  const conf = f.get('config_file') ?? '';
  if (exe === '/usr/bin/redis-server' && conf.startsWith('/etc/redis/')) signs.push(`executable ${exe} with config_file ${conf} (the Debian package layout)`);
  const alloc = /^jemalloc-(\d+\.\d+\.\d+)/.exec(f.get('mem_allocator') ?? '');
  const branch = version !== null ? branchOf(version) : null;
  const bundled = branch !== null ? BUNDLED_JEMALLOC[branch] : undefined;
  if (alloc && bundled !== undefined && alloc[1] !== bundled && zeroSha(f)) {
    signs.push(`mem_allocator jemalloc-${alloc[1] ?? '?'} where upstream ${branch ?? '?'} bundles ${bundled}, built from a release tarball (a system jemalloc, as Debian links)`);
  }
  return signs;
}

const zeroSha = (f: Map<string, string>): boolean => /^0+$/.test(f.get('redis_git_sha1') ?? '');

/** Kernel names of distributions (the host's kernel: in a container it says nothing of the package). */
const DISTRO_KERNEL = /\.el\d|\.fc\d\d|amzn|[-+](deb|ubuntu)|-generic\b|\.suse|-azure\b|-aws\b|-gcp\b/i;

/**
 * The distribution-build rule (docs/audit.md): a release-tarball build (redis_git_sha1 all zeros)
 * installed the way packages are (executable under /usr/bin or /usr/sbin, or config_file under
 * /etc/), or linked against an allocator other than the one upstream bundles; Debian's own signs
 * count on their own. The kernel in `os` is shown as supporting evidence only, and redis_build_id
 * (a hash of the build environment) is recorded but identifies no packager.
 */
function packagingOf(f: Map<string, string>, version: string | null): Packaging {
  const debian = debianSigns(f, version);
  const hints: string[] = [];
  if (zeroSha(f)) {
    const exe = f.get('executable') ?? '';
    const conf = f.get('config_file') ?? '';
    if (/^\/usr\/s?bin\//.test(exe)) hints.push(`executable ${exe} (a package manager's prefix; source installs and the official images use /usr/local/bin)`);
    if (conf.startsWith('/etc/')) hints.push(`config_file ${conf} under /etc/`);
    const alloc = f.get('mem_allocator') ?? '';
    const bundled = version !== null ? BUNDLED_JEMALLOC[branchOf(version)] : undefined;
    const otherJemalloc = bundled !== undefined && /^jemalloc-/.test(alloc) && !alloc.startsWith(`jemalloc-${bundled}`);
    // Debian's jemalloc sign already says this, more precisely.
    if (alloc.startsWith('libc') || (otherJemalloc && debian.length === 0)) hints.push(`mem_allocator ${alloc}, not the jemalloc upstream bundles`);
  }
  if (debian.length === 0 && hints.length === 0) return { distribution: null, suspected: false, evidence: [] };
  const evidence = [...debian, ...hints];
  if (zeroSha(f)) evidence.unshift('redis_git_sha1 all zeros (built from a release tarball, as packagers do)');
  const os = f.get('os') ?? '';
  if (DISTRO_KERNEL.test(os)) evidence.push(`os ${os} is a distribution kernel (the host's; supporting evidence only)`);
  return { distribution: debian.length > 0 ? 'debian' : null, suspected: true, evidence };
}

function productOf(f: Map<string, string>): { product: Product; version: string | null } {
  // server_name (Valkey; Redoubt later) names the product outright; redis_version is then only a compatibility level.
  const name = (f.get('server_name') ?? '').toLowerCase();
  const redoubt = f.get('redoubt_version');
  if (name === 'redoubt' || redoubt !== undefined) return { product: 'redoubt', version: redoubt ?? null };
  const valkey = f.get('valkey_version');
  if (name === 'valkey' || valkey !== undefined) return { product: 'valkey', version: valkey ?? null };
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
  const replicas: { ip: string; port: number; state: string }[] = [];
  for (const [k, v] of f) {
    if (!/^slave\d+$/.test(k) || replicas.length >= 64) continue;
    const a = attributes(v);
    const ip = a.get('ip');
    if (ip !== undefined) replicas.push({ ip: ip.slice(0, 64), port: num(a.get('port')) ?? 0, state: (a.get('state') ?? '?').slice(0, 32) });
  }
  const keyspace: number[] = [];
  for (const k of f.keys()) {
    const m = /^db(\d+)$/.exec(k);
    if (m) keyspace.push(Number(m[1]));
  }
  const aof = f.get('aof_enabled');
  const loading = f.get('loading');
  const packaging: Packaging = product === 'redis' || product === 'valkey' ? packagingOf(f, product === 'redis' ? redisVersion : null) : { distribution: null, suspected: false, evidence: [] };
  return {
    product,
    version,
    redisVersion,
    os: f.get('os') ?? null,
    archBits: num(f.get('arch_bits')),
    mode: f.get('redis_mode') ?? f.get('server_mode') ?? null,
    role,
    master: masterHost !== undefined && (role === 'slave' || role === 'replica') ? { host: masterHost, port: num(f.get('master_port')) ?? 0, linkStatus: f.get('master_link_status') ?? null } : null,
    replicas,
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
    gitSha1: f.get('redis_git_sha1') ?? null,
    buildId: f.get('redis_build_id') ?? null,
    keyspace: keyspace.sort((a, b) => a - b),
    packaging,
  };
}
