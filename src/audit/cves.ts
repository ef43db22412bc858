// Known vulnerabilities of Redis, as data: for each CVE the branches it reached and the release
// that fixed it on each maintained branch, whether it needs an authenticated session (or an open
// server), a severity, and where the facts come from. Sources: Redis's 00-RELEASENOTES of each
// branch and the GitHub security advisories of redis/redis (https://github.com/redis/redis/security/advisories),
// Debian's redis changelog (for CVE-2022-0543 and backports), and the NVD entries linked.

import { branchOf, type Fingerprint } from './fingerprint.js';
import type { Finding, Severity } from './findings.js';

export interface CveEntry {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** false: reachable by a client that never authenticated. */
  readonly needsAuth: boolean;
  /** The first affected release. */
  readonly introduced: string;
  /** The fixing release on each branch that got one; branches older than the newest fix without an entry never got one. */
  readonly fixed: readonly string[];
  /** Only builds matching this (a 32-bit build, a Debian/Ubuntu package). */
  readonly only?: 'arch32' | 'debian-package';
  readonly source: string;
}

const nvd = (id: string): string => `https://nvd.nist.gov/vuln/detail/${id}`;

/** Fix set shared by the October 2025 Lua releases. */
const LUA_2025 = ['6.2.20', '7.2.11', '7.4.6', '8.0.4', '8.2.2'];
/** Fix set of the October 2021 releases. */
const OCT_2021 = ['5.0.14', '6.0.16', '6.2.6'];

export const CVES: readonly CveEntry[] = [
  { id: 'CVE-2025-49844', title: 'Lua use-after-free in the parser ("RediShell"): a script can escape the sandbox and run code', severity: 'critical', needsAuth: true, introduced: '2.6.0', fixed: LUA_2025, source: 'redis/redis security advisory and 8.2.2 release notes' },
  { id: 'CVE-2025-46817', title: 'Lua unpack() integer overflow, possible code execution', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: LUA_2025, source: 'redis/redis 8.2.2 release notes' },
  { id: 'CVE-2025-46818', title: 'Lua metatables of basic types can be changed to run code as another user', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: LUA_2025, source: 'redis/redis 8.2.2 release notes' },
  { id: 'CVE-2025-46819', title: 'Lua lexer out-of-bounds read, crash', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: LUA_2025, source: 'redis/redis 8.2.2 release notes' },
  { id: 'CVE-2025-32023', title: 'HyperLogLog out-of-bounds write from a crafted string, possible code execution', severity: 'high', needsAuth: true, introduced: '2.8.9', fixed: ['6.2.19', '7.2.10', '7.4.5', '8.0.3'], source: 'redis/redis 8.0.3 release notes' },
  { id: 'CVE-2025-48367', title: 'Unauthenticated connections causing repeated accept errors starve other clients (DoS)', severity: 'medium', needsAuth: false, introduced: '2.6.0', fixed: ['6.2.19', '7.2.10', '7.4.5', '8.0.3'], source: 'redis/redis 8.0.3 release notes' },
  { id: 'CVE-2025-21605', title: 'Unauthenticated client makes its output buffer grow without limit (memory exhaustion)', severity: 'high', needsAuth: false, introduced: '2.6.0', fixed: ['6.2.18', '7.2.8', '7.4.3'], source: 'redis/redis security advisory and 7.4.3 release notes' },
  { id: 'CVE-2024-46981', title: 'Lua garbage collector use-after-free via a crafted script, possible code execution', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: ['6.2.17', '7.2.7', '7.4.2'], source: 'redis/redis 7.4.2 release notes' },
  { id: 'CVE-2024-51741', title: 'Malformed ACL selector crashes the server', severity: 'medium', needsAuth: true, introduced: '7.0.0', fixed: ['7.2.7', '7.4.2'], source: 'redis/redis 7.4.2 release notes' },
  { id: 'CVE-2024-31449', title: 'Lua bit library stack overflow, possible code execution', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: ['6.2.16', '7.2.6', '7.4.1'], source: 'redis/redis 7.4.1 release notes' },
  { id: 'CVE-2024-31228', title: 'Unbounded pattern matching (KEYS, SCAN, ACL patterns) DoS', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: ['6.2.16', '7.2.6', '7.4.1'], source: 'redis/redis 7.4.1 release notes' },
  { id: 'CVE-2024-31227', title: 'Malformed ACL selector DoS', severity: 'medium', needsAuth: true, introduced: '7.0.0', fixed: ['7.2.6', '7.4.1'], source: 'redis/redis 7.4.1 release notes' },
  { id: 'CVE-2023-41056', title: 'Heap overflow when resizing memory buffers, possible code execution', severity: 'high', needsAuth: true, introduced: '7.0.9', fixed: ['7.0.15', '7.2.4'], source: 'redis/redis 7.0.15 and 7.2.4 release notes' },
  { id: 'CVE-2023-45145', title: 'Unix socket briefly world-accessible at startup (permission race)', severity: 'low', needsAuth: true, introduced: '2.6.0', fixed: ['6.2.14', '7.0.14', '7.2.2'], source: 'redis/redis 7.0.14 release notes' },
  { id: 'CVE-2023-41053', title: 'SORT_RO ignores ACL key permissions', severity: 'low', needsAuth: true, introduced: '7.0.0', fixed: ['7.0.13', '7.2.1'], source: 'redis/redis 7.0.13 release notes' },
  { id: 'CVE-2023-36824', title: 'Heap overflow extracting key names from a crafted command (COMMAND GETKEYS, ACL)', severity: 'high', needsAuth: true, introduced: '7.0.0', fixed: ['7.0.12'], source: 'redis/redis 7.0.12 release notes' },
  { id: 'CVE-2022-24834', title: 'Lua cjson/cmsgpack heap overflow, possible code execution', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: ['6.0.20', '6.2.13', '7.0.12'], source: 'redis/redis 7.0.12 release notes' },
  { id: 'CVE-2023-28856', title: 'HINCRBYFLOAT creates an invalid hash field that crashes the server', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: ['6.0.19', '6.2.12', '7.0.11'], source: 'redis/redis 7.0.11 release notes' },
  { id: 'CVE-2023-28425', title: 'MSETNX assertion crash', severity: 'medium', needsAuth: true, introduced: '7.0.8', fixed: ['7.0.10'], source: 'redis/redis 7.0.10 release notes' },
  { id: 'CVE-2023-25155', title: 'SRANDMEMBER/ZRANDMEMBER/HRANDFIELD assertion crash', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: ['6.0.18', '6.2.11', '7.0.9'], source: 'redis/redis 7.0.9 release notes' },
  { id: 'CVE-2022-36021', title: 'String-matching patterns (KEYS, SCAN) hang the server', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: ['6.0.18', '6.2.11', '7.0.9'], source: 'redis/redis 7.0.9 release notes' },
  { id: 'CVE-2022-35977', title: 'SETRANGE and SORT integer overflow, crash', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: ['6.0.17', '6.2.9', '7.0.8'], source: 'redis/redis 7.0.8 release notes' },
  { id: 'CVE-2023-22458', title: 'HRANDFIELD/ZRANDMEMBER integer overflow, crash', severity: 'medium', needsAuth: true, introduced: '6.2.0', fixed: ['6.2.9', '7.0.8'], source: 'redis/redis 7.0.8 release notes' },
  { id: 'CVE-2022-35951', title: 'XAUTOCLAIM COUNT integer overflow, heap overflow, possible code execution', severity: 'high', needsAuth: true, introduced: '7.0.0', fixed: ['7.0.5'], source: 'redis/redis 7.0.5 release notes' },
  { id: 'CVE-2022-31144', title: 'XAUTOCLAIM heap overflow, possible code execution', severity: 'high', needsAuth: true, introduced: '7.0.0', fixed: ['7.0.4'], source: 'redis/redis 7.0.4 release notes' },
  { id: 'CVE-2022-24735', title: 'Lua code injection runs with another user\'s privileges', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: ['6.2.7', '7.0.0'], source: 'redis/redis 7.0.0 and 6.2.7 release notes' },
  { id: 'CVE-2022-24736', title: 'Crafted Lua script crashes the server (NULL dereference)', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: ['6.2.7', '7.0.0'], source: 'redis/redis 7.0.0 and 6.2.7 release notes' },
  { id: 'CVE-2022-0543', title: 'Debian/Ubuntu packages expose Lua\'s package library: sandbox escape, remote code execution', severity: 'critical', needsAuth: true, introduced: '2.6.0', fixed: ['7.0.0'], only: 'debian-package', source: 'Debian DSA-5081-1 (fixed in 5:5.0.14-1+deb10u2 and 5:6.0.16-1+deb11u2) and redis 5:7.0~rc2-2 changelog; Ubuntu USN-5316-1' },
  { id: 'CVE-2021-32675', title: 'Unauthenticated client sends huge multibulk headers, memory exhaustion (DoS)', severity: 'high', needsAuth: false, introduced: '2.6.0', fixed: OCT_2021, source: 'redis/redis 6.2.6 release notes' },
  { id: 'CVE-2021-32626', title: 'Lua stack overflow via crafted script, heap corruption, possible code execution', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: OCT_2021, source: 'redis/redis 6.2.6 release notes' },
  { id: 'CVE-2021-32627', title: 'Integer to heap overflow with streams when proto-max-bulk-len is raised', severity: 'medium', needsAuth: true, introduced: '5.0.0', fixed: OCT_2021, source: 'redis/redis 6.2.6 release notes' },
  { id: 'CVE-2021-32628', title: 'Integer to heap overflow in ziplist-encoded types when limits are raised', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: OCT_2021, source: 'redis/redis 6.2.6 release notes' },
  { id: 'CVE-2021-32672', title: 'Lua debugger reads random heap memory', severity: 'medium', needsAuth: true, introduced: '3.2.0', fixed: OCT_2021, source: 'redis/redis 6.2.6 release notes' },
  { id: 'CVE-2021-32687', title: 'Integer to heap overflow with intsets when set-max-intset-entries is raised', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: OCT_2021, source: 'redis/redis 6.2.6 release notes' },
  { id: 'CVE-2021-41099', title: 'Integer to heap overflow in string handling when proto-max-bulk-len is raised', severity: 'medium', needsAuth: true, introduced: '2.6.0', fixed: OCT_2021, source: 'redis/redis 6.2.6 release notes' },
  { id: 'CVE-2021-32761', title: 'BITFIELD integer overflow on 32-bit builds, possible code execution', severity: 'high', needsAuth: true, introduced: '2.6.0', fixed: ['5.0.13', '6.0.15', '6.2.5'], only: 'arch32', source: 'redis/redis 6.2.5 release notes' },
  { id: 'CVE-2021-32625', title: 'STRALGO LCS integer overflow (incomplete fix of CVE-2021-29477)', severity: 'high', needsAuth: true, introduced: '6.0.0', fixed: ['6.0.14', '6.2.4'], source: 'redis/redis 6.2.4 release notes' },
  { id: 'CVE-2021-29477', title: 'STRALGO LCS integer overflow, possible code execution', severity: 'high', needsAuth: true, introduced: '6.0.0', fixed: ['6.0.13', '6.2.3'], source: 'redis/redis 6.2.3 release notes' },
  { id: 'CVE-2021-29478', title: 'COPY of a large intset overflows the heap', severity: 'high', needsAuth: true, introduced: '6.2.0', fixed: ['6.2.3'], source: 'redis/redis 6.2.3 release notes' },
];

/** Redis branches that no longer get security fixes, and since when (from the Redis release history). */
export const EOL_BRANCHES: Readonly<Record<string, string>> = {
  '7.0': 'last release 7.0.15 (January 2024); the 2024 and 2025 security fixes were not released for 7.0',
  '6.0': 'last release 6.0.20 (July 2023)',
  '5.0': 'last release 5.0.14 (October 2021)',
  '4.0': 'last release 4.0.14 (March 2019)',
  '3.2': 'last release 3.2.13 (March 2019)',
};

type Version = readonly [number, number, number];

export function parseVersion(v: string): Version | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether `version` carries the bug: at or after `introduced`, and either before the fix on its
 * own branch, or on a branch that never got one while a newer branch did.
 */
export function isAffected(entry: CveEntry, version: string): boolean {
  const v = parseVersion(version);
  const intro = parseVersion(entry.introduced);
  if (!v || !intro || compareVersions(v, intro) < 0) return false;
  const fixes = entry.fixed.map((f) => parseVersion(f)!);
  const same = fixes.find((f) => f[0] === v[0] && f[1] === v[1]);
  if (same) return compareVersions(v, same) < 0;
  // A branch newer than every fixed branch was cut after the fix.
  return fixes.some((f) => f[0] > v[0] || (f[0] === v[0] && f[1] > v[1]));
}

/** Whether the endpoint is an unauthenticated attacker's reach (open, or default user without a password). */
export interface Exposure {
  readonly unauthenticatedCommands: boolean;
}

/** CVE and end-of-life findings for a fingerprinted Redis (other products: none, see docs/audit.md). */
export function cveFindings(fp: Fingerprint, exposure: Exposure): Finding[] {
  if (fp.product !== 'redis' || fp.version === null) return [];
  const out: Finding[] = [];
  const debian = fp.packaging.distribution === 'debian';
  for (const c of CVES) {
    if (c.only === 'arch32' && fp.archBits !== 32) continue;
    if (c.only === 'debian-package' && !debian) continue;
    if (!isAffected(c, fp.version)) continue;
    const reach = c.needsAuth ? (exposure.unauthenticatedCommands ? 'reachable without credentials here (the server runs commands for anyone)' : 'needs an authenticated client') : 'reachable without authentication';
    let evidence = `version ${fp.version} is affected (fixed in ${c.fixed.join(', ')}); ${reach}`;
    let confidence: Finding['confidence'] = 'version';
    if (c.only === 'debian-package') {
      evidence = `Debian/Ubuntu build (${fp.packaging.evidence.join('; ')}) of ${fp.version}; affected unless the package has the fix; ${reach}`;
      confidence = 'possible';
    } else if (debian) {
      evidence += '; this looks like a distribution build, which may carry a backported fix: check the package changelog';
    }
    const severity: Severity = !c.needsAuth || exposure.unauthenticatedCommands ? c.severity : c.severity === 'critical' ? 'high' : c.severity;
    out.push({ id: c.id.toLowerCase(), severity, cve: c.id, title: c.title, evidence, fix: `Upgrade to a fixed release (${c.fixed.join(', ')}) or a maintained branch; source: ${c.source}`, confidence, link: nvd(c.id) });
  }
  const branch = branchOf(fp.version);
  const v = parseVersion(fp.version);
  const eol = EOL_BRANCHES[branch] ?? (v && (v[0] < 3 || (v[0] === 3 && v[1] < 2)) ? 'branch retired before 2019' : undefined);
  if (eol !== undefined) {
    out.push({ id: 'eol-branch', severity: 'high', cve: null, title: `Redis ${branch} is end-of-life`, evidence: `version ${fp.version}: ${eol}`, fix: 'Move to a maintained Redis branch (or Redoubt), which still gets security fixes', confidence: 'version', link: 'https://redis.io/docs/latest/operate/rs/installing-upgrading/product-lifecycle/' });
  }
  return out;
}
