// Known vulnerabilities of Redis and Valkey, as data. Each entry names its sources (the GitHub
// security advisory and the release notes that shipped the fix), the product it is matched on
// (Valkey by valkey_version, never by its frozen redis_version:7.2.4), the first affected
// release, the status of every maintained branch (the first fixed release, `unfixed` for a branch
// that never got the fix, `unverified` where no advisory or release note could confirm which
// release fixed it), whether it is reachable before authentication, and what it needs beyond a
// session (Lua, RESTORE, TLS, a writable replica...). The rules that turn a version into a
// verdict are in `verdict` below and in docs/audit.md; test/audit-cves.test.ts checks the table
// against version/CVE pairs written from the advisories.

import { branchOf, type Fingerprint } from './fingerprint.js';
import type { Finding, Severity } from './findings.js';

type CveProduct = 'redis' | 'valkey';

/** What an attacker needs besides reaching the server (and a session, unless preAuth). */
type Precondition =
  | 'lua' // EVAL/EVALSHA/FCALL allowed
  | 'restore' // RESTORE allowed
  | 'tls' // TLS enabled
  | 'writable-replica' // a replica with replica-read-only no (or a user who can set it)
  | 'acl-admin' // a user who may change ACL rules
  | 'hyperloglog' // PF* commands allowed
  | 'streams' // the stream command named in the title allowed
  | 'client-eviction' // maxmemory-clients set, blocking commands in use
  | 'raised-limits' // a limit raised from its default (proto-max-bulk-len, *-max-*-entries...)
  | 'local-tool' // a command-line tool shipped with the server, not the server's network port
  | 'arch32' // a 32-bit build
  | 'debian-package'; // a Debian/Ubuntu package build

/** First fixed release on a branch, or what is known instead. */
type BranchStatus = `${number}.${number}.${number}` | 'unfixed' | 'unverified';

export interface CveEntry {
  readonly id: string;
  readonly product: CveProduct;
  readonly title: string;
  readonly severity: Severity;
  /** Reachable by a client that never authenticated. */
  readonly preAuth: boolean;
  readonly preconditions: readonly Precondition[];
  /** The first affected release. */
  readonly introduced: string;
  /**
   * Branch ("7.2") → status. A branch not listed is clean when it is newer than every listed one
   * (cut after the fix) and affected otherwise (end of life before the fix).
   */
  readonly branches: Readonly<Record<string, BranchStatus>>;
  /** Advisory URLs and release notes, most authoritative first. */
  readonly sources: readonly string[];
}

const GHSA = (id: string): string => `https://github.com/redis/redis/security/advisories/${id}`;
const RN = (...versions: string[]): string => `release notes: ${versions.map((v) => `https://github.com/redis/redis/releases/tag/${v}`).join(' ')}`;
const VRN = (...versions: string[]): string => `Valkey release notes: ${versions.map((v) => `https://github.com/valkey-io/valkey/releases/tag/${v}`).join(' ')}`;

/** The October 2025 Lua releases (Redis 6.2.20, 7.2.11, 7.4.6, 8.0.4, 8.2.2; docker-library/official-images#20011). */
const LUA_2025: Readonly<Record<string, BranchStatus>> = { '6.2': '6.2.20', '7.0': 'unfixed', '7.2': '7.2.11', '7.4': '7.4.6', '8.0': '8.0.4', '8.2': '8.2.2' };
/** The same four in Valkey: 8.1.4 (valkey#2687), 8.0.6 (valkey#2686); the 7.2 release (valkey#2684) was closed unmerged. */
const LUA_2025_VALKEY: Readonly<Record<string, BranchStatus>> = { '7.2': 'unverified', '8.0': '8.0.6', '8.1': '8.1.4' };
/** The May 2026 releases: Redis 7.4.9 and 8.2.6 (redis/docs release notes), 8.6.3 (the CVE records). */
const MAY_2026: Readonly<Record<string, BranchStatus>> = { '7.2': 'unverified', '7.4': '7.4.9', '8.0': 'unverified', '8.2': '8.2.6', '8.4': 'unverified', '8.6': '8.6.3' };
/** Valkey's: release-note entries valkey#3631 (7.2.13), #3632 (8.0.8), #3633 (8.1.7), #3634 (9.0.4). */
const MAY_2026_VALKEY: Readonly<Record<string, BranchStatus>> = { '7.2': '7.2.13', '8.0': '8.0.8', '8.1': '8.1.7', '9.0': '9.0.4' };
const MAY_2026_VALKEY_SOURCE = 'Valkey 00-RELEASENOTES entries https://github.com/valkey-io/valkey/pull/3631 /3632 /3633 /3634';
/** July 2025: Redis 6.2.19, 7.2.10, 7.4.5, 8.0.3 (CVE records, release PRs redis#14172-14174). */
const JUL_2025: Readonly<Record<string, BranchStatus>> = { '6.2': '6.2.19', '7.0': 'unfixed', '7.2': '7.2.10', '7.4': '7.4.5', '8.0': '8.0.3' };
/** Valkey 8.1.3 (valkey#2317, #2314); 8.0.4 and 7.2.10 shipped the same day, their notes not seen. */
const JUL_2025_VALKEY: Readonly<Record<string, BranchStatus>> = { '7.2': 'unverified', '8.0': 'unverified', '8.1': '8.1.3' };
/** October 2024: Valkey 7.2.7 and 8.0.1 (their 00-RELEASENOTES). */
const OCT_2024_VALKEY: Readonly<Record<string, BranchStatus>> = { '7.2': '7.2.7', '8.0': '8.0.1' };
/** Fix set of the October 2021 Redis releases. */
const OCT_2021: Readonly<Record<string, BranchStatus>> = { '5.0': '5.0.14', '6.0': '6.0.16', '6.2': '6.2.6' };

/** Valkey's first release (7.2.4): every Redis bug it inherited is present from there. */
const VALKEY_FIRST = '7.2.4';

export const CVES: readonly CveEntry[] = [
  // --- Redis, 2024-2026 ---
  { id: 'CVE-2026-23479', product: 'redis', title: 'Use-after-free when a blocked client is evicted while its command is re-run, possible code execution', severity: 'high', preAuth: false, preconditions: ['client-eviction'], introduced: '7.2.0', branches: MAY_2026, sources: [GHSA('GHSA-93m2-935m-8rj3'), 'CVE record (>= 7.2.0, < 8.6.3)', 'redis/docs release notes 7.4.9, 8.2.6'] },
  { id: 'CVE-2026-25243', product: 'redis', title: 'RESTORE accepts a crafted payload: invalid memory access, possible code execution', severity: 'high', preAuth: false, preconditions: ['restore'], introduced: '2.6.0', branches: { ...MAY_2026, '6.2': 'unverified' }, sources: [GHSA('GHSA-c8h9-259x-jff4'), 'CVE record (< 8.6.3)', 'redis/docs release notes 7.4.9, 8.2.6'] },
  { id: 'CVE-2026-23631', product: 'redis', title: 'Lua use-after-free when a full sync reaches a writable replica during a script, possible code execution', severity: 'medium', preAuth: false, preconditions: ['lua', 'writable-replica'], introduced: '7.0.0', branches: { ...MAY_2026, '7.0': 'unverified' }, sources: [GHSA('GHSA-8ghh-qpmp-7826'), 'CVE record (< 8.6.3)', 'redis/docs release notes 7.4.9, 8.2.6', 'https://github.com/redis/redis/issues/15233 (6.2 not affected)'] },
  { id: 'CVE-2025-62507', product: 'redis', title: 'XACKDEL with many IDs overflows the stack, possible code execution', severity: 'high', preAuth: false, preconditions: ['streams'], introduced: '8.2.0', branches: { '8.2': '8.2.3' }, sources: [GHSA('GHSA-jhjx-x4cf-4vm8'), 'CVE record (>= 8.2.0, < 8.2.3)', RN('8.2.3')] },
  { id: 'CVE-2025-49844', product: 'redis', title: 'Lua parser use-after-free ("RediShell"): a script can escape the sandbox and run code', severity: 'critical', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: LUA_2025, sources: [GHSA('GHSA-4789-qfc9-5f9q'), RN('6.2.20', '7.2.11', '7.4.6', '8.0.4', '8.2.2')] },
  { id: 'CVE-2025-46817', product: 'redis', title: 'Lua unpack() integer overflow, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: LUA_2025, sources: [GHSA('GHSA-m8fj-85cg-7vhp'), RN('6.2.20', '7.2.11', '7.4.6', '8.0.4', '8.2.2')] },
  { id: 'CVE-2025-46818', product: 'redis', title: 'Lua metatables of basic types can be changed to run code as another user', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: LUA_2025, sources: [GHSA('GHSA-qrv7-wcrx-q5jp'), RN('6.2.20', '7.2.11', '7.4.6', '8.0.4', '8.2.2')] },
  { id: 'CVE-2025-46819', product: 'redis', title: 'Lua lexer out-of-bounds read, crash', severity: 'medium', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: LUA_2025, sources: [GHSA('GHSA-4c68-q8q8-3g4f'), RN('6.2.20', '7.2.11', '7.4.6', '8.0.4', '8.2.2')] },
  { id: 'CVE-2025-32023', product: 'redis', title: 'HyperLogLog out-of-bounds write from a crafted string, possible code execution', severity: 'high', preAuth: false, preconditions: ['hyperloglog'], introduced: '2.8.0', branches: JUL_2025, sources: [GHSA('GHSA-rp2m-q4j6-gr43'), RN('6.2.19', '7.2.10', '7.4.5', '8.0.3')] },
  { id: 'CVE-2025-48367', product: 'redis', title: 'Unauthenticated connections that cause repeated accept errors starve other clients (DoS)', severity: 'medium', preAuth: true, preconditions: [], introduced: '2.6.0', branches: JUL_2025, sources: [GHSA('GHSA-4q32-c38c-pwgq'), RN('6.2.19', '7.2.10', '7.4.5', '8.0.3')] },
  { id: 'CVE-2025-27151', product: 'redis', title: 'redis-check-aof overflows the stack on a long file path, possible code execution', severity: 'low', preAuth: false, preconditions: ['local-tool'], introduced: '7.0.0', branches: { '7.0': 'unfixed', '7.2': 'unverified', '7.4': '7.4.4', '8.0': '8.0.2' }, sources: [GHSA('GHSA-5453-q98w-cmvm'), 'CVE record (>= 7.0.0, < 8.0.2)', 'redis/docs release notes 7.4.4, 8.0.2'] },
  { id: 'CVE-2025-21605', product: 'redis', title: 'An unauthenticated client makes its output buffer grow without limit (memory exhaustion)', severity: 'high', preAuth: true, preconditions: [], introduced: '2.6.0', branches: { '6.2': '6.2.18', '7.0': 'unfixed', '7.2': '7.2.8', '7.4': '7.4.3', '8.0': '8.0.0' }, sources: [GHSA('GHSA-r67f-p999-2gff'), 'https://github.com/redis/redis/pull/13971 (6.2.18)', 'redis/docs release notes 7.4.3, 8.0.0', 'Alpine 3.19 redis 7.2.8-r0 (ALPINE-CVE-2025-21605)'] },
  { id: 'CVE-2024-46981', product: 'redis', title: 'Lua garbage collector use-after-free via a crafted script, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: { '6.2': '6.2.17', '7.0': 'unfixed', '7.2': '7.2.7', '7.4': '7.4.2' }, sources: [GHSA('GHSA-39h2-x6c4-6w4c'), RN('6.2.17', '7.2.7', '7.4.2')] },
  { id: 'CVE-2024-51741', product: 'redis', title: 'A malformed ACL selector crashes the server', severity: 'medium', preAuth: false, preconditions: ['acl-admin'], introduced: '7.0.0', branches: { '7.0': 'unfixed', '7.2': '7.2.7', '7.4': '7.4.2' }, sources: [GHSA('GHSA-prpq-rh5h-46g9'), 'CVE record (>= 7.0.0, < 7.2.7; >= 7.4.0, < 7.4.2)', RN('7.2.7', '7.4.2')] },
  { id: 'CVE-2024-31449', product: 'redis', title: 'Lua bit library stack overflow, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: { '6.2': '6.2.16', '7.0': 'unfixed', '7.2': '7.2.6', '7.4': '7.4.1' }, sources: [GHSA('GHSA-whxg-wx83-85p5'), RN('6.2.16', '7.2.6', '7.4.1')] },
  { id: 'CVE-2024-31228', product: 'redis', title: 'Unbounded pattern matching (KEYS, SCAN, PSUBSCRIBE, ACL patterns) overflows the stack (DoS)', severity: 'medium', preAuth: false, preconditions: [], introduced: '2.2.5', branches: { '6.2': '6.2.16', '7.0': 'unfixed', '7.2': '7.2.6', '7.4': '7.4.1' }, sources: [GHSA('GHSA-66gq-c942-6976'), RN('6.2.16', '7.2.6', '7.4.1')] },
  { id: 'CVE-2024-31227', product: 'redis', title: 'A malformed ACL selector crashes the server (DoS)', severity: 'medium', preAuth: false, preconditions: ['acl-admin'], introduced: '7.0.0', branches: { '7.0': 'unfixed', '7.2': '7.2.6', '7.4': '7.4.1' }, sources: [GHSA('GHSA-38p4-26x2-vqhh'), RN('7.2.6', '7.4.1')] },

  // --- Valkey (matched on valkey_version) ---
  { id: 'CVE-2026-23479', product: 'valkey', title: 'Use-after-free when a blocked client is evicted while its command is re-run, possible code execution', severity: 'high', preAuth: false, preconditions: ['client-eviction'], introduced: VALKEY_FIRST, branches: MAY_2026_VALKEY, sources: [GHSA('GHSA-93m2-935m-8rj3'), MAY_2026_VALKEY_SOURCE] },
  { id: 'CVE-2026-25243', product: 'valkey', title: 'RESTORE accepts a crafted payload: invalid memory access, possible code execution', severity: 'high', preAuth: false, preconditions: ['restore'], introduced: VALKEY_FIRST, branches: MAY_2026_VALKEY, sources: [GHSA('GHSA-c8h9-259x-jff4'), MAY_2026_VALKEY_SOURCE] },
  { id: 'CVE-2026-23631', product: 'valkey', title: 'Lua use-after-free when a full sync reaches a writable replica during a script, possible code execution', severity: 'medium', preAuth: false, preconditions: ['lua', 'writable-replica'], introduced: VALKEY_FIRST, branches: MAY_2026_VALKEY, sources: [GHSA('GHSA-8ghh-qpmp-7826'), MAY_2026_VALKEY_SOURCE] },
  { id: 'CVE-2025-67733', product: 'valkey', title: 'A Lua error reply with CR/LF injects RESP into the connection', severity: 'medium', preAuth: false, preconditions: ['lua'], introduced: VALKEY_FIRST, branches: { '7.2': 'unverified', '8.0': 'unverified', '8.1': 'unverified', '9.0': '9.0.3' }, sources: [VRN('9.0.3'), 'https://github.com/valkey-io/valkey/pull/3249'] },
  { id: 'CVE-2025-49844', product: 'valkey', title: 'Lua parser use-after-free ("RediShell"): a script can escape the sandbox and run code', severity: 'critical', preAuth: false, preconditions: ['lua'], introduced: VALKEY_FIRST, branches: LUA_2025_VALKEY, sources: [GHSA('GHSA-4789-qfc9-5f9q'), VRN('8.1.4', '8.0.6')] },
  { id: 'CVE-2025-46817', product: 'valkey', title: 'Lua unpack() integer overflow, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: VALKEY_FIRST, branches: LUA_2025_VALKEY, sources: [GHSA('GHSA-m8fj-85cg-7vhp'), VRN('8.1.4', '8.0.6')] },
  { id: 'CVE-2025-46818', product: 'valkey', title: 'Lua metatables of basic types can be changed to run code as another user', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: VALKEY_FIRST, branches: LUA_2025_VALKEY, sources: [GHSA('GHSA-qrv7-wcrx-q5jp'), VRN('8.1.4', '8.0.6')] },
  { id: 'CVE-2025-46819', product: 'valkey', title: 'Lua lexer out-of-bounds read, crash', severity: 'medium', preAuth: false, preconditions: ['lua'], introduced: VALKEY_FIRST, branches: LUA_2025_VALKEY, sources: [GHSA('GHSA-4c68-q8q8-3g4f'), VRN('8.1.4', '8.0.6')] },
  { id: 'CVE-2025-32023', product: 'valkey', title: 'HyperLogLog out-of-bounds write from a crafted string, possible code execution', severity: 'high', preAuth: false, preconditions: ['hyperloglog'], introduced: VALKEY_FIRST, branches: JUL_2025_VALKEY, sources: [GHSA('GHSA-rp2m-q4j6-gr43'), VRN('8.1.3'), 'https://github.com/valkey-io/valkey/pull/2314'] },
  { id: 'CVE-2025-48367', product: 'valkey', title: 'Unauthenticated connections that cause repeated accept errors starve other clients (DoS)', severity: 'medium', preAuth: true, preconditions: [], introduced: VALKEY_FIRST, branches: JUL_2025_VALKEY, sources: [GHSA('GHSA-4q32-c38c-pwgq'), VRN('8.1.3')] },
  { id: 'CVE-2025-21605', product: 'valkey', title: 'An unauthenticated client makes its output buffer grow without limit (memory exhaustion)', severity: 'high', preAuth: true, preconditions: [], introduced: VALKEY_FIRST, branches: { '7.2': '7.2.9', '8.0': '8.0.3', '8.1': '8.1.1' }, sources: [GHSA('GHSA-r67f-p999-2gff'), 'https://github.com/valkey-io/valkey/pull/1992 /1993 /1994 /1998', VRN('8.1.1'), 'Alpine valkey 7.2.9-r0 (ALPINE-CVE-2025-21605)'] },
  { id: 'CVE-2024-46981', product: 'valkey', title: 'Lua garbage collector use-after-free via a crafted script, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: VALKEY_FIRST, branches: { '7.2': 'unverified', '8.0': '8.0.2' }, sources: [GHSA('GHSA-39h2-x6c4-6w4c'), VRN('8.0.2')] },
  { id: 'CVE-2024-51741', product: 'valkey', title: 'A malformed ACL selector crashes the server', severity: 'medium', preAuth: false, preconditions: ['acl-admin'], introduced: VALKEY_FIRST, branches: { '7.2': 'unverified', '8.0': '8.0.2' }, sources: [GHSA('GHSA-prpq-rh5h-46g9'), VRN('8.0.2')] },
  { id: 'CVE-2024-31449', product: 'valkey', title: 'Lua bit library stack overflow, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: VALKEY_FIRST, branches: OCT_2024_VALKEY, sources: [GHSA('GHSA-whxg-wx83-85p5'), VRN('7.2.7', '8.0.1')] },
  { id: 'CVE-2024-31228', product: 'valkey', title: 'Unbounded pattern matching (KEYS, SCAN, PSUBSCRIBE, ACL patterns) overflows the stack (DoS)', severity: 'medium', preAuth: false, preconditions: [], introduced: VALKEY_FIRST, branches: OCT_2024_VALKEY, sources: [GHSA('GHSA-66gq-c942-6976'), VRN('7.2.7', '8.0.1')] },
  { id: 'CVE-2024-31227', product: 'valkey', title: 'A malformed ACL selector crashes the server (DoS)', severity: 'medium', preAuth: false, preconditions: ['acl-admin'], introduced: VALKEY_FIRST, branches: OCT_2024_VALKEY, sources: [GHSA('GHSA-38p4-26x2-vqhh'), VRN('7.2.7', '8.0.1')] },

  // --- Redis, before 2024 (from the 00-RELEASENOTES of each branch; not re-verified with the 2024-2026 entries) ---
  { id: 'CVE-2023-41056', product: 'redis', title: 'Heap overflow when resizing memory buffers, possible code execution', severity: 'high', preAuth: false, preconditions: [], introduced: '7.0.9', branches: { '7.0': '7.0.15', '7.2': '7.2.4' }, sources: [RN('7.0.15', '7.2.4')] },
  { id: 'CVE-2023-45145', product: 'redis', title: 'Unix socket briefly world-accessible at startup (permission race)', severity: 'low', preAuth: false, preconditions: [], introduced: '2.6.0', branches: { '6.2': '6.2.14', '7.0': '7.0.14', '7.2': '7.2.2' }, sources: [RN('7.0.14')] },
  { id: 'CVE-2023-41053', product: 'redis', title: 'SORT_RO ignores ACL key permissions', severity: 'low', preAuth: false, preconditions: [], introduced: '7.0.0', branches: { '7.0': '7.0.13', '7.2': '7.2.1' }, sources: [RN('7.0.13')] },
  { id: 'CVE-2023-36824', product: 'redis', title: 'Heap overflow extracting key names from a crafted command (COMMAND GETKEYS, ACL)', severity: 'high', preAuth: false, preconditions: [], introduced: '7.0.0', branches: { '7.0': '7.0.12' }, sources: [RN('7.0.12')] },
  { id: 'CVE-2022-24834', product: 'redis', title: 'Lua cjson/cmsgpack heap overflow, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: { '6.0': '6.0.20', '6.2': '6.2.13', '7.0': '7.0.12' }, sources: [RN('7.0.12')] },
  { id: 'CVE-2023-28856', product: 'redis', title: 'HINCRBYFLOAT creates an invalid hash field that crashes the server', severity: 'medium', preAuth: false, preconditions: [], introduced: '2.6.0', branches: { '6.0': '6.0.19', '6.2': '6.2.12', '7.0': '7.0.11' }, sources: [RN('7.0.11')] },
  { id: 'CVE-2023-28425', product: 'redis', title: 'MSETNX assertion crash', severity: 'medium', preAuth: false, preconditions: [], introduced: '7.0.8', branches: { '7.0': '7.0.10' }, sources: [RN('7.0.10')] },
  { id: 'CVE-2023-25155', product: 'redis', title: 'SRANDMEMBER/ZRANDMEMBER/HRANDFIELD assertion crash', severity: 'medium', preAuth: false, preconditions: [], introduced: '2.6.0', branches: { '6.0': '6.0.18', '6.2': '6.2.11', '7.0': '7.0.9' }, sources: [RN('7.0.9')] },
  { id: 'CVE-2022-36021', product: 'redis', title: 'String-matching patterns (KEYS, SCAN) hang the server', severity: 'medium', preAuth: false, preconditions: [], introduced: '2.6.0', branches: { '6.0': '6.0.18', '6.2': '6.2.11', '7.0': '7.0.9' }, sources: [RN('7.0.9')] },
  { id: 'CVE-2022-35977', product: 'redis', title: 'SETRANGE and SORT integer overflow, crash', severity: 'medium', preAuth: false, preconditions: [], introduced: '2.6.0', branches: { '6.0': '6.0.17', '6.2': '6.2.9', '7.0': '7.0.8' }, sources: [RN('7.0.8')] },
  { id: 'CVE-2023-22458', product: 'redis', title: 'HRANDFIELD/ZRANDMEMBER integer overflow, crash', severity: 'medium', preAuth: false, preconditions: [], introduced: '6.2.0', branches: { '6.2': '6.2.9', '7.0': '7.0.8' }, sources: [RN('7.0.8')] },
  { id: 'CVE-2022-35951', product: 'redis', title: 'XAUTOCLAIM COUNT integer overflow, heap overflow, possible code execution', severity: 'high', preAuth: false, preconditions: ['streams'], introduced: '7.0.0', branches: { '7.0': '7.0.5' }, sources: [RN('7.0.5')] },
  { id: 'CVE-2022-31144', product: 'redis', title: 'XAUTOCLAIM heap overflow, possible code execution', severity: 'high', preAuth: false, preconditions: ['streams'], introduced: '7.0.0', branches: { '7.0': '7.0.4' }, sources: [RN('7.0.4')] },
  { id: 'CVE-2022-24735', product: 'redis', title: "Lua code injection runs with another user's privileges", severity: 'high', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: { '6.2': '6.2.7', '7.0': '7.0.0' }, sources: [RN('7.0.0', '6.2.7')] },
  { id: 'CVE-2022-24736', product: 'redis', title: 'Crafted Lua script crashes the server (NULL dereference)', severity: 'medium', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: { '6.2': '6.2.7', '7.0': '7.0.0' }, sources: [RN('7.0.0', '6.2.7')] },
  { id: 'CVE-2022-0543', product: 'redis', title: "Debian/Ubuntu packages expose Lua's package library: sandbox escape, remote code execution", severity: 'critical', preAuth: false, preconditions: ['lua', 'debian-package'], introduced: '2.6.0', branches: { '7.0': '7.0.0' }, sources: ['Debian DSA-5081-1 (fixed in 5:5.0.14-1+deb10u2 and 5:6.0.16-1+deb11u2)', 'redis 5:7.0~rc2-2 changelog', 'Ubuntu USN-5316-1'] },
  { id: 'CVE-2021-32675', product: 'redis', title: 'Unauthenticated client sends huge multibulk headers, memory exhaustion (DoS)', severity: 'high', preAuth: true, preconditions: [], introduced: '2.6.0', branches: OCT_2021, sources: [RN('6.2.6')] },
  { id: 'CVE-2021-32626', product: 'redis', title: 'Lua stack overflow via crafted script, heap corruption, possible code execution', severity: 'high', preAuth: false, preconditions: ['lua'], introduced: '2.6.0', branches: OCT_2021, sources: [RN('6.2.6')] },
  { id: 'CVE-2021-32627', product: 'redis', title: 'Integer to heap overflow with streams when proto-max-bulk-len is raised', severity: 'medium', preAuth: false, preconditions: ['raised-limits'], introduced: '5.0.0', branches: OCT_2021, sources: [RN('6.2.6')] },
  { id: 'CVE-2021-32628', product: 'redis', title: 'Integer to heap overflow in ziplist-encoded types when limits are raised', severity: 'medium', preAuth: false, preconditions: ['raised-limits'], introduced: '2.6.0', branches: OCT_2021, sources: [RN('6.2.6')] },
  { id: 'CVE-2021-32672', product: 'redis', title: 'Lua debugger reads random heap memory', severity: 'medium', preAuth: false, preconditions: ['lua'], introduced: '3.2.0', branches: OCT_2021, sources: [RN('6.2.6')] },
  { id: 'CVE-2021-32687', product: 'redis', title: 'Integer to heap overflow with intsets when set-max-intset-entries is raised', severity: 'medium', preAuth: false, preconditions: ['raised-limits'], introduced: '2.6.0', branches: OCT_2021, sources: [RN('6.2.6')] },
  { id: 'CVE-2021-41099', product: 'redis', title: 'Integer to heap overflow in string handling when proto-max-bulk-len is raised', severity: 'medium', preAuth: false, preconditions: ['raised-limits'], introduced: '2.6.0', branches: OCT_2021, sources: [RN('6.2.6')] },
  { id: 'CVE-2021-32761', product: 'redis', title: 'BITFIELD integer overflow on 32-bit builds, possible code execution', severity: 'high', preAuth: false, preconditions: ['arch32'], introduced: '2.6.0', branches: { '5.0': '5.0.13', '6.0': '6.0.15', '6.2': '6.2.5' }, sources: [RN('6.2.5')] },
  { id: 'CVE-2021-32625', product: 'redis', title: 'STRALGO LCS integer overflow (incomplete fix of CVE-2021-29477)', severity: 'high', preAuth: false, preconditions: [], introduced: '6.0.0', branches: { '6.0': '6.0.14', '6.2': '6.2.4' }, sources: [RN('6.2.4')] },
  { id: 'CVE-2021-29477', product: 'redis', title: 'STRALGO LCS integer overflow, possible code execution', severity: 'high', preAuth: false, preconditions: [], introduced: '6.0.0', branches: { '6.0': '6.0.13', '6.2': '6.2.3' }, sources: [RN('6.2.3')] },
  { id: 'CVE-2021-29478', product: 'redis', title: 'COPY of a large intset overflows the heap', severity: 'high', preAuth: false, preconditions: [], introduced: '6.2.0', branches: { '6.2': '6.2.3' }, sources: [RN('6.2.3')] },
];

/** Redis branches that no longer get security fixes, and since when (from the Redis release history). */
const EOL_BRANCHES: Readonly<Record<string, string>> = {
  '7.0': 'last release 7.0.15 (January 2024); the 2024-2026 security fixes were not released for 7.0',
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

function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** How a version stands against an entry. */
export type Verdict = 'affected' | 'affected-unverified' | 'not-affected';

/**
 * The verdict for `version` of the entry's product: not affected before `introduced`; on a listed
 * branch, affected before its fix (or always, `unfixed`; `unverified` when the fix release is not
 * known); on an unlisted branch, clean when newer than every listed branch, else affected.
 */
export function verdict(entry: CveEntry, version: string): Verdict {
  const v = parseVersion(version);
  const intro = parseVersion(entry.introduced);
  if (!v || !intro || compareVersions(v, intro) < 0) return 'not-affected';
  const status = entry.branches[`${v[0]}.${v[1]}`];
  if (status === 'unfixed') return 'affected';
  if (status === 'unverified') return 'affected-unverified';
  if (status !== undefined) {
    const fix = parseVersion(status);
    return fix !== null && compareVersions(v, fix) < 0 ? 'affected' : 'not-affected';
  }
  const newer = Object.keys(entry.branches).every((b) => {
    const [major = 0, minor = 0] = b.split('.').map(Number);
    return v[0] > major || (v[0] === major && v[1] > minor);
  });
  return newer ? 'not-affected' : 'affected';
}

export function isAffected(entry: CveEntry, version: string): boolean {
  return verdict(entry, version) !== 'not-affected';
}

/** What the audit knows about the endpoint that bears on reachability and preconditions. */
export interface CveContext {
  /** The server runs commands for clients that never authenticated (open, or a default user without password). */
  readonly unauthenticatedCommands: boolean;
  /** EVAL exists (COMMAND INFO); null when not known. */
  readonly evalExists: boolean | null;
  /** TLS is on (config tls-port, or the audit connected over TLS); null when not known. */
  readonly tls: boolean | null;
  /** replica-read-only as configured; null when not known. */
  readonly replicaReadOnly: boolean | null;
}

const PRECONDITION_TEXT: Record<Precondition, string> = {
  lua: 'needs Lua (EVAL/FCALL) allowed to the attacker',
  restore: 'needs RESTORE allowed to the attacker',
  tls: 'needs TLS on',
  'writable-replica': 'needs a replica with replica-read-only no',
  'acl-admin': 'needs a user who may change ACL rules',
  hyperloglog: 'needs HyperLogLog commands allowed to the attacker',
  streams: 'needs the stream command allowed to the attacker',
  'client-eviction': 'needs client eviction (maxmemory-clients) and blocking commands',
  'raised-limits': 'needs a protocol or encoding limit raised from its default',
  'local-tool': 'a local tool shipped with the server, not reachable over the network',
  arch32: 'only 32-bit builds',
  'debian-package': 'only Debian/Ubuntu package builds',
};

/** false when the audit saw that a precondition does not hold, true when it saw it holds, null when unknown. */
function preconditionHolds(p: Precondition, fp: Fingerprint, ctx: CveContext): boolean | null {
  switch (p) {
    case 'lua':
      return ctx.evalExists === false ? false : null;
    case 'tls':
      return ctx.tls;
    case 'writable-replica':
      return ctx.replicaReadOnly === false ? true : null;
    case 'arch32':
      return fp.archBits === null ? null : fp.archBits === 32;
    case 'debian-package':
      return fp.packaging.distribution === 'debian';
    default:
      return null;
  }
}

/** The phrase terminal, JSON and HTML use for a version match on a suspected distribution build. */
export const BACKPORT_CAVEAT = 'version in an affected range; a distribution may have backported the fix';

/** CVE and end-of-life findings for a fingerprinted Redis or Valkey (other products: none, see docs/audit.md). */
export function cveFindings(fp: Fingerprint, ctx: CveContext): Finding[] {
  if ((fp.product !== 'redis' && fp.product !== 'valkey') || fp.version === null) return [];
  const out: Finding[] = [];
  const branch = branchOf(fp.version);
  for (const c of CVES) {
    if (c.product !== fp.product) continue;
    const v = verdict(c, fp.version);
    if (v === 'not-affected') continue;
    const holds = c.preconditions.map((p) => preconditionHolds(p, fp, ctx));
    // Platform preconditions decide whether the code is there at all: reported only when seen.
    if (c.preconditions.some((p, i) => (p === 'arch32' || p === 'debian-package') && holds[i] !== true)) continue;
    const unmet = c.preconditions.filter((_, i) => holds[i] === false);
    const reach = c.preAuth
      ? 'reachable before authentication'
      : c.preconditions.includes('local-tool')
        ? 'not reachable over the network'
        : ctx.unauthenticatedCommands
          ? 'reachable without credentials here (the server runs commands for anyone)'
          : 'needs an authenticated client';
    const status = c.branches[branch];
    const fixText = status === undefined ? `no ${branch} release fixes it` : status === 'unfixed' ? `${branch} never got the fix` : status === 'unverified' ? `the fixed ${branch} release could not be confirmed` : `fixed in ${status}`;
    const needs = c.preconditions.filter((p) => p !== 'arch32' && p !== 'debian-package').map((p) => PRECONDITION_TEXT[p]);
    let severity: Severity = c.severity;
    if (!c.preAuth && !ctx.unauthenticatedCommands && severity === 'critical') severity = 'high';
    if (c.preconditions.includes('local-tool')) severity = 'low';
    if (unmet.length > 0) severity = 'info';
    let confidence: Finding['confidence'] = 'version';
    let evidence = `${fp.product} ${fp.version}: ${fixText}; ${reach}`;
    if (needs.length > 0) evidence += `; ${needs.join('; ')}`;
    if (unmet.length > 0) evidence += `; precondition not met here: ${unmet.map((p) => PRECONDITION_TEXT[p]).join('; ')}`;
    if (c.preconditions.includes('debian-package')) {
      confidence = 'possible';
      evidence = `Debian/Ubuntu build (${fp.packaging.evidence.join('; ')}) of ${fp.version}; affected unless the package has the fix; ${reach}`;
    } else if (fp.packaging.suspected) {
      confidence = 'possible';
      evidence = `${BACKPORT_CAVEAT} (${fp.packaging.evidence.join('; ')}); ${evidence}`;
    } else if (v === 'affected-unverified') {
      confidence = 'possible';
    }
    const upgrade = Object.values(c.branches).filter((s) => s !== 'unfixed' && s !== 'unverified');
    out.push({ id: c.id.toLowerCase(), severity, cve: c.id, title: c.title, evidence, fix: `Upgrade to a fixed release${upgrade.length > 0 ? ` (${upgrade.join(', ')})` : ''} or a newer branch; sources: ${c.sources.join('; ')}`, confidence, link: `https://nvd.nist.gov/vuln/detail/${c.id}` });
  }
  if (fp.product === 'redis') {
    const v = parseVersion(fp.version);
    const eol = EOL_BRANCHES[branch] ?? (v && (v[0] < 3 || (v[0] === 3 && v[1] < 2)) ? 'branch retired before 2019' : undefined);
    if (eol !== undefined) {
      out.push({ id: 'eol-branch', severity: 'high', cve: null, title: `Redis ${branch} is end-of-life`, evidence: `version ${fp.version}: ${eol}`, fix: 'Move to a maintained Redis branch (or Redoubt), which still gets security fixes', confidence: 'version', link: 'https://redis.io/docs/latest/operate/rs/installing-upgrading/product-lifecycle/' });
    }
  }
  return out;
}
