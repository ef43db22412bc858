// Everything the checks look at, gathered from one endpoint with read-only commands: INFO,
// CONFIG GET of named parameters (one each, so secrets such as requirepass are never fetched),
// ACL LIST (password hashes dropped), COMMAND INFO EVAL, and a bounded SCAN of key names.

import type { Conn } from './connection.js';
import { printable } from './classify.js';
import { ReplyError, type Reply } from './resp.js';
import { parseAclLine, type AclUser } from '../hardening/acl.js';
import type { SuspiciousKey } from '../hardening/checks.js';

/** Parameters read with CONFIG GET; none of them holds a secret. */
const CONFIG_PARAMS = [
  'protected-mode',
  'bind',
  'port',
  'tls-port',
  'enable-debug-command',
  'enable-module-command',
  'enable-protected-configs',
  'dir',
  'dbfilename',
  'timeout',
  'maxmemory',
  'client-output-buffer-limit',
  'replica-read-only',
  // Redoubt's own; other servers answer an empty list, and the checks that need them stay silent.
  'trusted-networks',
  'audit-log',
  'enable-migrate-command',
] as const;

/** Key names left by known attacks: the SSH-key file write, cryptominer cron payloads, ransom notes. */
const SUSPICIOUS_KEYS: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /^crackit$/i, why: 'SSH key planted by the CONFIG SET dir/dbfilename file-write attack' },
  { pattern: /^backup[1-4]$/i, why: 'cron payload key used by cryptomining campaigns that write crontabs through Redis' },
  { pattern: /^(x|ssh|cron)_?(key|payload)$/i, why: 'payload key name used by Redis worms' },
  { pattern: /^(readme|read[_.-]me.*|please[_.-]?read.*|warning|how[_.-]to[_.-](restore|recover|decrypt).*|.*ransom.*|.*bitcoin.*|(restore|recover)[_.-].*data.*)$/i, why: 'ransom note left after the data was wiped' },
];

function suspicious(key: string): string | null {
  for (const s of SUSPICIOUS_KEYS) if (s.pattern.test(key)) return s.why;
  return null;
}

export interface ScanLimits {
  readonly count: number;
  readonly maxCalls: number;
  readonly maxKeys: number;
}

const SCAN_LIMITS: ScanLimits = { count: 500, maxCalls: 10, maxKeys: 5000 };

/** CONFIG GET of each parameter; null when the user may not run CONFIG. */
export async function readConfig(conn: Conn): Promise<Map<string, string> | null> {
  const replies = await conn.pipeline(CONFIG_PARAMS.map((p) => ['CONFIG', 'GET', p]));
  const config = new Map<string, string>();
  for (const r of replies) {
    if (r instanceof ReplyError) return null;
    if (Array.isArray(r) && r.length >= 2 && typeof r[0] === 'string' && typeof r[1] === 'string') config.set(r[0], printable(r[1]).slice(0, 512));
  }
  return config;
}

export async function readAcl(conn: Conn): Promise<AclUser[] | null> {
  const r = await conn.call('ACL', 'LIST');
  if (!Array.isArray(r)) return null;
  return r.flatMap((line) => (typeof line === 'string' ? [parseAclLine(line)].filter((u): u is AclUser => u !== null) : []));
}

export async function evalExists(conn: Conn): Promise<boolean | null> {
  const r = await conn.call('COMMAND', 'INFO', 'eval');
  if (!Array.isArray(r)) return null;
  return r.length > 0 && r[0] !== null;
}

/** Key names matching SUSPICIOUS_KEYS in the databases that hold keys, within `limits`. */
export async function scanKeys(conn: Conn, dbs: readonly number[], cluster: boolean, limits: ScanLimits = SCAN_LIMITS): Promise<SuspiciousKey[] | null> {
  const found: SuspiciousKey[] = [];
  let seen = 0;
  for (const db of dbs.length > 0 ? dbs : [0]) {
    if (db !== 0) {
      if (cluster) continue;
      const sel: Reply = await conn.call('SELECT', String(db));
      if (sel instanceof ReplyError) continue;
    }
    let cursor = '0';
    for (let calls = 0; calls < limits.maxCalls && seen < limits.maxKeys; calls++) {
      const r = await conn.call('SCAN', cursor, 'COUNT', String(limits.count));
      if (r instanceof ReplyError) return found.length > 0 ? found : null;
      if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'string' || !Array.isArray(r[1])) return found;
      for (const k of r[1]) {
        if (typeof k !== 'string') continue;
        seen++;
        const why = suspicious(k);
        if (why !== null && found.length < 50) found.push({ db, key: printable(k).slice(0, 80), why });
      }
      cursor = r[0];
      if (cursor === '0') break;
    }
  }
  return found;
}
