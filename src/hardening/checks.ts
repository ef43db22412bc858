// The hardening checks, one table for both judges of a configuration: `redoubt --check-config`
// (and the startup log), which reads the configuration file, and `redoubt audit`, which reads a
// running server over the wire. Each check has one id, one title, one fix and one severity rule;
// the severity takes the exposure into account (a loopback-only server is not exposed to the
// network; one bound to, or reached on, other addresses is). A check that lacks the facts it
// needs (an audit without CONFIG GET, a configuration file that cannot show loaded modules) says
// nothing: every fact is optional, and `undefined`/`null` mean "not known".

import { isCommonDigest, isCommonPassword, MIN_PASSWORD_LENGTH, type AclUser } from './acl.js';
import { bindHosts, isPublicAddress, type Exposure } from './exposure.js';

/** host:port, an IPv6 host in brackets (as Redis writes an address). */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** critical = 4 ... info = 0, for sorting and thresholds. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(s);
}

export interface SuspiciousKey {
  readonly db: number;
  readonly key: string;
  readonly why: string;
}

/** Everything a check may look at. */
export interface HardeningFacts {
  readonly exposure: Exposure;
  /** A configuration value by name, or undefined when it is not known. */
  config(name: string): string | undefined;
  /** The ACL users, or null when they are not known. */
  readonly users: readonly AclUser[] | null;
  /** The default user logs every new connection in without a password; null when not known. */
  readonly defaultNopass: boolean | null;
  /** How defaultNopass was learnt, when not from the users (an open INFO, NOPERM, DENIED). */
  readonly defaultNopassEvidence: string | null;
  /** requirepass in clear: only the configuration file shows it. */
  readonly requirepass: string | null;
  /** Seen on the wire: a client that never authenticated ran a command, reaching the server from the network. */
  readonly openFromNetwork: string | null;
  /** The connection the facts came over was TLS (the audit); false for a configuration. */
  readonly overTls: boolean;
  /** Seen on the wire (the audit only); null/[] when not known. */
  readonly modules: readonly { readonly name: string; readonly version: string }[];
  readonly suspiciousKeys: readonly SuspiciousKey[] | null;
  readonly master: { readonly host: string; readonly port: number; readonly linkStatus: string | null; readonly role: string } | null;
  readonly expectedMasters: readonly string[];
  /** The replicas connected to it (INFO replication), null when not known. */
  readonly replicas: readonly { readonly ip: string; readonly port: number; readonly state: string }[] | null;
  /** The server predates the enable-*-command gates (Redis before 7.0): why, or null. */
  readonly gatesAbsent: string | null;
}

interface CheckResult {
  readonly severity: Severity;
  readonly evidence: string;
}

export interface HardeningCheck {
  readonly id: string;
  readonly title: string;
  readonly fix: string;
  /** The severity rule, in words (documented in docs/audit.md and docs/security-operations.md). */
  readonly rule: string;
  judge(f: HardeningFacts): CheckResult | null;
}

export interface HardeningFinding {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly evidence: string;
  readonly fix: string;
}

const networked = (f: HardeningFacts): boolean => f.exposure.level === 'network';
const bySeverity = (network: Severity, local: Severity) => (f: HardeningFacts): Severity => (networked(f) ? network : local);

function defaultUser(f: HardeningFacts): AclUser | undefined {
  return f.users?.find((u) => u.name === 'default');
}

/** Anyone who reaches a network address runs commands: no password, and protected mode does not refuse them. */
function openDoor(f: HardeningFacts): string | null {
  if (f.openFromNetwork !== null) return f.openFromNetwork;
  if (!networked(f) || f.defaultNopass !== true || f.config('protected-mode') !== 'no') return null;
  const d = defaultUser(f);
  if (d !== undefined && !d.enabled) return null;
  return `the default user has no password and protected mode is off; ${f.exposure.why}`;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Dangerous-command gates: severity of `yes` and of `local`; `redoubt`: a gate only Redoubt has. */
const GATES: readonly { readonly name: string; readonly what: string; readonly local: Severity; readonly redoubt?: true }[] = [
  { name: 'enable-debug-command', what: 'DEBUG (sleep the server, inspect or alter its internals)', local: 'low' },
  { name: 'enable-module-command', what: 'MODULE LOAD (run native code inside the server)', local: 'medium' },
  { name: 'enable-protected-configs', what: 'CONFIG SET of dir and dbfilename (the file-write attack)', local: 'low' },
  { name: 'enable-migrate-command', what: 'MIGRATE (make the server connect to any host and send it data)', local: 'low', redoubt: true },
];

const FILE_TARGETS: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /(^|\/)\.ssh(\/|$)|authorized_keys/, what: 'an SSH key directory' },
  { pattern: /^\/(var\/spool\/cron|etc\/cron)|(^|\/)crontabs?(\/|$)/, what: 'a cron spool' },
  { pattern: /^\/(var\/www|srv\/www|usr\/share\/nginx|var\/lib\/tomcat|usr\/local\/apache)|(^|\/)(public_html|htdocs|wwwroot)(\/|$)/, what: 'a web root' },
  { pattern: /^\/etc\/?$|^\/etc\/(profile\.d|init\.d|systemd)|^\/root\/?$/, what: 'a system directory' },
];
const FILE_NAMES = /^(authorized_keys2?|root|crontab|.*\.(php|jsp|aspx?|sh|py))$/;
const EXPLOIT_MODULES = /^(system|exp|exp_lin|evil|shell|rce|backdoor)$/i;

/** Every hardening check, in report order. */
export const HARDENING_CHECKS: readonly HardeningCheck[] = [
  {
    id: 'attack-keys',
    title: 'Keys left by a known attack',
    fix: 'Treat the server as compromised: check dir/dbfilename, crontabs, authorized_keys and loaded modules, restore from a clean backup, then close the access path',
    rule: 'critical',
    judge: (f) => {
      const keys = f.suspiciousKeys ?? [];
      if (keys.length === 0) return null;
      const shown = keys.slice(0, 10).map((k) => `db${k.db} "${k.key}": ${k.why}`).join('; ');
      return { severity: 'critical', evidence: shown + (keys.length > 10 ? `; and ${keys.length - 10} more` : '') };
    },
  },
  {
    id: 'file-write-target',
    title: 'dir or dbfilename points at an SSH, cron or web location',
    fix: 'Restore dir and dbfilename (e.g. /var/lib/redis and dump.rdb), look for planted files and keys, rotate credentials, and keep enable-protected-configs no',
    rule: 'critical',
    judge: (f) => {
      const dir = f.config('dir');
      const file = f.config('dbfilename');
      const hits: string[] = [];
      if (dir !== undefined) for (const t of FILE_TARGETS) if (t.pattern.test(dir)) hits.push(`dir ${dir} is ${t.what}`);
      if (file !== undefined && FILE_NAMES.test(file)) hits.push(`dbfilename ${file} is a file name the file-write attack uses`);
      return hits.length > 0 ? { severity: 'critical', evidence: hits.join('; ') } : null;
    },
  },
  {
    id: 'open-door',
    title: 'Anyone on the network runs commands without a password',
    fix: 'Set a password for the default user (requirepass, or ACL SETUSER default on >long-random-secret), or bind loopback addresses only; keep protected mode on',
    rule: 'critical',
    judge: (f) => {
      const why = openDoor(f);
      return why === null ? null : { severity: 'critical', evidence: why };
    },
  },
  {
    id: 'default-user-nopass',
    title: 'The default user has no password',
    fix: 'Set requirepass (or ACL SETUSER default on >long-random-secret), or ACL SETUSER default off and give clients named users',
    rule: 'medium when other hosts can connect (only protected mode keeps them out), low on loopback only',
    judge: (f) => {
      if (f.defaultNopass !== true || openDoor(f) !== null) return null;
      const d = defaultUser(f);
      if (d !== undefined && !d.enabled) return null;
      const how = d !== undefined ? `ACL LIST: ${d.rules}` : (f.defaultNopassEvidence ?? 'no requirepass and no password for the default user');
      return networked(f)
        ? { severity: 'medium', evidence: `${how}; other hosts can connect (${f.exposure.why}) and only protected mode refuses them, which one CONFIG SET protected-mode no from this host removes` }
        : { severity: 'low', evidence: `${how}; any local process or user runs any command (${f.exposure.why})` };
    },
  },
  {
    id: 'weak-password',
    title: 'A password is short or commonly used',
    fix: 'Use a long random password (ACL GENPASS); Redis-protocol servers answer AUTH fast enough to try many guesses a second',
    rule: 'high when other hosts can connect, medium on loopback only',
    judge: (f) => {
      const severity = bySeverity('high', 'medium')(f);
      const why: string[] = [];
      const pass = f.requirepass;
      if (pass !== null && pass !== '') {
        if (isCommonPassword(pass)) why.push('requirepass is a commonly used password');
        else if (pass.length < MIN_PASSWORD_LENGTH) why.push(`requirepass is shorter than ${MIN_PASSWORD_LENGTH} characters`);
      }
      // With requirepass known in clear, the default user's password is judged above.
      for (const u of f.users ?? []) {
        if (!u.enabled || (pass !== null && pass !== '' && u.name === 'default')) continue;
        if (u.passwordDigests.some(isCommonDigest)) why.push(`user '${u.name}' has a commonly used password`);
      }
      return why.length > 0 ? { severity, evidence: why.join('; ') } : null;
    },
  },
  {
    id: 'user-nopass',
    title: 'A named user needs no password',
    fix: 'Give the user a password (ACL SETUSER name resetpass >secret) or disable it (ACL SETUSER name off)',
    rule: 'high when other hosts can connect, medium on loopback only',
    judge: (f) => {
      const users = (f.users ?? []).filter((u) => u.name !== 'default' && u.enabled && u.nopass);
      if (users.length === 0) return null;
      return { severity: bySeverity('high', 'medium')(f), evidence: `${users.map((u) => `'${u.name}'`).join(', ')} enabled with nopass: anyone can authenticate as ${users.length === 1 ? 'it' : 'them'} with any password` };
    },
  },
  {
    id: 'unrestricted-users',
    title: 'Named users may run every command on every key',
    fix: 'Give application users only the categories and key patterns they need (e.g. ACL SETUSER app -@all +@read +@write -@dangerous ~app:*)',
    rule: 'medium when other hosts can connect, low on loopback only',
    judge: (f) => {
      const users = (f.users ?? []).filter((u) => u.name !== 'default' && u.enabled && u.allCommands && u.allKeys);
      if (users.length === 0) return null;
      return { severity: bySeverity('medium', 'low')(f), evidence: `enabled users with +@all and ~*: ${users.map((u) => u.name).join(', ')}` };
    },
  },
  {
    id: 'protected-mode-off',
    title: 'Protected mode is off',
    fix: 'protected-mode yes (CONFIG SET, and persist it in the configuration file)',
    rule: 'low (the open door it allows is its own finding)',
    judge: (f) => {
      if (f.config('protected-mode') !== 'no' || openDoor(f) !== null) return null;
      return { severity: 'low', evidence: 'protected-mode no: should the default user ever lose its password, clients from other hosts would get in at once' };
    },
  },
  ...GATES.map(
    (g): HardeningCheck => ({
      id: g.name,
      title: `${g.name} allows ${g.what.split(' (')[0] ?? g.what}`,
      fix: `${g.name} no (the default) in the configuration file`,
      rule: g.redoubt === true ? `high (yes), ${g.local} (local)` : `high (yes, or a server without the gate), ${g.local} (local)`,
      judge: (f) => {
        if (f.gatesAbsent !== null && g.redoubt !== true) return { severity: 'high', evidence: `${f.gatesAbsent}: ${g.what} is allowed to every user permitted to run it` };
        const v = f.config(g.name);
        if (v === 'yes') return { severity: 'high', evidence: `${g.name} yes: ${g.what} is allowed from any connection` };
        if (v === 'local') return { severity: g.local, evidence: `${g.name} local: ${g.what} is allowed from local connections` };
        return null;
      },
    }),
  ),
  {
    id: 'unexpected-master',
    title: 'Replicates from an unexpected master',
    fix: 'If this master is not yours: REPLICAOF NO ONE, then investigate (MODULE LIST, dir/dbfilename, new files). List known masters with --expect-master host:port',
    rule: 'high',
    judge: (f) => {
      const m = f.master;
      if (m === null) return null;
      const addr = hostPort(m.host, m.port);
      if (f.expectedMasters.includes(addr)) return null;
      return { severity: 'high', evidence: `role ${m.role}, master ${addr} (link ${m.linkStatus ?? 'unknown'})` };
    },
  },
  {
    id: 'public-master',
    title: 'Replicates from a primary on a public address',
    fix: 'Replicate over a private network or a VPN; with tls-replication yes and masterauth/masteruser, and the primary firewalled to its replicas',
    rule: 'high',
    judge: (f) => {
      const m = f.master;
      if (m === null || !isPublicAddress(m.host)) return null;
      const addr = hostPort(m.host, m.port);
      return { severity: 'high', evidence: `master ${addr} is a public internet address (link ${m.linkStatus ?? 'unknown'}): the whole dataset crosses the internet, and whoever holds that address feeds this server` };
    },
  },
  {
    id: 'public-replicas',
    title: 'Replicas connect from public addresses',
    fix: 'Keep replicas on a private network or a VPN; firewall the port to them; require authentication (a replication user) and TLS',
    rule: 'high',
    judge: (f) => {
      const pub = (f.replicas ?? []).filter((r) => isPublicAddress(r.ip));
      if (pub.length === 0) return null;
      return { severity: 'high', evidence: `${pub.length} replica(s) on public addresses receive the whole dataset: ${pub.slice(0, 5).map((r) => `${hostPort(r.ip, r.port)} (${r.state})`).join(', ')}` };
    },
  },
  {
    id: 'replicas-without-auth',
    title: 'Replicas attach without authentication',
    fix: 'Set a password (requirepass or an ACL user) and give replicas a replication user with masteruser/masterauth',
    rule: 'high when exposed to the network, else medium',
    judge: (f) => {
      const replicas = f.replicas ?? [];
      if (replicas.length === 0 || f.defaultNopass !== true) return null;
      return {
        severity: bySeverity('high', 'medium')(f),
        evidence: `${replicas.length} replica(s) connected while the default user needs no password: anyone who reaches ${f.exposure.level === 'network' ? f.exposure.addresses.join(', ') || 'the port' : 'the port'} can attach with SYNC and read every key`,
      };
    },
  },
  {
    id: 'loaded-modules',
    title: 'Native modules are loaded',
    fix: 'Check each module is one you installed (MODULE LIST); unload unknown ones and keep enable-module-command no',
    rule: 'low; critical for the names exploit kits use (system, exp...)',
    judge: (f) => {
      if (f.modules.length === 0) return null;
      const list = f.modules.map((m) => `${m.name} (ver ${m.version})`).join(', ');
      const bad = f.modules.filter((m) => EXPLOIT_MODULES.test(m.name));
      if (bad.length > 0) return { severity: 'critical', evidence: `module ${bad.map((m) => m.name).join(', ')} matches a known exploit module name; loaded: ${list}` };
      return { severity: 'low', evidence: `loaded: ${list}` };
    },
  },
  {
    id: 'no-tls',
    title: 'Plaintext port reachable from other hosts',
    fix: 'Enable TLS (tls-port, tls-cert-file, tls-key-file) and turn the plaintext port off (port 0), or bind loopback addresses only',
    rule: 'medium when other hosts can connect to the plaintext port; nothing on loopback only',
    judge: (f) => {
      if (!networked(f)) return null;
      const port = f.config('port');
      if (!f.overTls) return { severity: 'medium', evidence: `plaintext port ${port ?? '?'} is open to other hosts (${f.exposure.why}): passwords and data cross the network unencrypted` };
      if (port !== undefined && port !== '0') return { severity: 'medium', evidence: `TLS is on, but the plaintext port ${port} is open to other hosts too (${f.exposure.why})` };
      return null;
    },
  },
  {
    id: 'bind-all-interfaces',
    title: 'Listens on every network interface',
    fix: 'bind only the loopback and private addresses clients use (e.g. bind 127.0.0.1 10.0.0.5), and firewall the port',
    rule: 'low (interfaces added later are exposed too)',
    judge: (f) => {
      const bind = f.config('bind');
      if (bind === undefined) return null;
      const wild = bindHosts(bind).filter((h) => WILDCARDS.has(h));
      if (wild.length === 0) return null;
      return { severity: 'low', evidence: bind.trim() === '' ? 'bind is empty: the server listens on every interface' : `bind "${bind}" includes the wildcard address ${wild.join(', ')}` };
    },
  },
  {
    id: 'unlimited-output-buffers',
    title: 'Client output buffers without a limit',
    fix: 'Set limits, e.g. client-output-buffer-limit "normal 256mb 64mb 60 replica 256mb 64mb 60 pubsub 32mb 8mb 60"',
    rule: 'medium for replica or pub/sub clients; low for normal clients when other hosts can connect',
    judge: (f) => {
      const v = f.config('client-output-buffer-limit');
      if (v === undefined) return null;
      const words = v.split(' ').filter((w) => w !== '');
      const unlimited: string[] = [];
      for (let i = 0; i + 3 < words.length; i += 4) {
        if (words[i + 1] !== '0' || words[i + 2] !== '0') continue;
        const cls = words[i] === 'slave' ? 'replica' : (words[i] ?? '?');
        if (cls !== 'normal' || networked(f)) unlimited.push(cls);
      }
      if (unlimited.length === 0) return null;
      const severity: Severity = unlimited.some((c) => c !== 'normal') ? 'medium' : 'low';
      return { severity, evidence: `no hard or soft limit for ${unlimited.join(', ')} clients (client-output-buffer-limit ${v}): a client that stops reading makes the server buffer replies without bound` };
    },
  },
  {
    id: 'no-idle-timeout',
    title: 'Idle clients are never disconnected',
    fix: 'Set timeout to a few minutes (e.g. timeout 300) unless clients rely on idle connections',
    rule: 'low when other hosts can connect; nothing on loopback only',
    judge: (f) => (networked(f) && f.config('timeout') === '0' ? { severity: 'low', evidence: 'timeout 0: idle or abandoned connections are kept forever and can use up maxclients' } : null),
  },
  {
    id: 'no-maxmemory',
    title: 'No memory limit',
    fix: 'Set maxmemory below the memory available to the process and pick a maxmemory-policy',
    rule: 'low when other hosts can connect; nothing on loopback only',
    judge: (f) => (networked(f) && f.config('maxmemory') === '0' ? { severity: 'low', evidence: 'maxmemory 0: on Redis, writes grow the dataset until the process runs out of memory; on Redoubt, until half of its heap' } : null),
  },
  {
    id: 'no-trusted-networks',
    title: 'Clients may connect from any address',
    fix: 'List the networks that need access in trusted-networks (a Redoubt directive)',
    rule: 'low when other hosts can connect',
    judge: (f) => (networked(f) && f.config('trusted-networks') === '' ? { severity: 'low', evidence: 'trusted-networks is empty: clients from any address may connect' } : null),
  },
  {
    id: 'no-audit-log',
    title: 'No audit log',
    fix: 'Set audit-log to a file (a Redoubt directive): failed logins, denials and configuration changes are then recorded',
    rule: 'low when other hosts can connect',
    judge: (f) => (networked(f) && f.config('audit-log') === '' ? { severity: 'low', evidence: 'audit-log is off: failed logins, denials and configuration changes leave no record' } : null),
  },
];

/** Every finding for the facts, in table order. */
export function runHardeningChecks(facts: HardeningFacts): HardeningFinding[] {
  const out: HardeningFinding[] = [];
  for (const c of HARDENING_CHECKS) {
    const r = c.judge(facts);
    if (r !== null) out.push({ id: c.id, severity: r.severity, title: c.title, evidence: r.evidence, fix: c.fix });
  }
  return out;
}
