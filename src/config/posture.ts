// The security posture of a configuration: the summary lines the server logs at startup, and the
// findings (gaps, each with a severity) that both the startup log and `redoubt --check-config`
// report. Every check is a small function in one table; a check sees the configuration, the
// addresses other hosts could reach, and the ACL users known without a running server.

import { createHash } from 'node:crypto';
import type { Config } from './config.js';

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'tcp' | 'unix';
}

export interface PostureLine {
  readonly level: 'notice' | 'warning';
  readonly text: string;
}

export type Severity = 'high' | 'medium' | 'low';

export interface Finding {
  /** Stable identifier, for scripts and suppressions. */
  readonly id: string;
  readonly severity: Severity;
  readonly text: string;
}

/** What the checks need to know of an ACL user; passwords only as hex SHA-256 digests. */
export interface UserFacts {
  readonly name: string;
  readonly enabled: boolean;
  readonly nopass: boolean;
  readonly passwords: readonly string[];
}

export interface PostureContext {
  readonly config: Config;
  /** Non-unix addresses the server listens (or would listen) on. */
  readonly hosts: readonly string[];
  /** The server's ACL users (default, `user` lines, aclfile); without them, the default user comes from requirepass. */
  readonly users: readonly UserFacts[];
}

export function isLoopback(host: string): boolean {
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return h === '::1' || h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function formatAddress(a: BoundAddress): string {
  if (a.family === 'unix') return `unix:${a.host}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** The hosts a `bind` value would listen on (`-` optional marks dropped, `*` as the wildcards). */
export function bindHosts(bind: string): string[] {
  return bind
    .split(' ')
    .filter((w) => w !== '')
    .map((w) => (w.startsWith('-') ? w.slice(1) : w))
    .map((h) => (h === '*' ? '0.0.0.0' : h === '::*' ? '::' : h));
}

// --- facts the checks share ---

/** Passwords found in leaked-password lists and in Redis examples (foobared is redis.conf's). */
const COMMON_PASSWORDS = [
  'foobared', 'redis', 'redispass', 'redispassword', 'password', 'password1', 'password123', 'passw0rd',
  'p@ssw0rd', 'admin', 'admin123', 'root', 'toor', 'secret', 'changeme', 'default', 'letmein', 'welcome',
  'qwerty', 'qwerty123', 'abc123', 'iloveyou', 'monkey', 'dragon', 'master', 'login', 'test', 'test123',
  '123456', '1234567', '12345678', '123456789', '1234567890', '111111', '000000', '123123',
];
const MIN_PASSWORD_LENGTH = 16;

const sha256hex = (s: string): string => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
const COMMON_DIGESTS = new Set(COMMON_PASSWORDS.map(sha256hex));

const isCommon = (password: string): boolean => COMMON_PASSWORDS.includes(password.toLowerCase());

function remoteHosts(ctx: PostureContext): string[] {
  return ctx.hosts.filter((h) => !isLoopback(h));
}

/** Remote clients reach a plain (non-TLS) port. */
function exposedPlain(ctx: PostureContext): boolean {
  return ctx.config.num('port') !== 0 && remoteHosts(ctx).length > 0;
}

function exposed(ctx: PostureContext): boolean {
  return remoteHosts(ctx).length > 0;
}

function defaultUser(ctx: PostureContext): UserFacts {
  const fromAcl = ctx.users.find((u) => u.name === 'default');
  if (fromAcl !== undefined) return fromAcl;
  const pass = ctx.config.str('requirepass');
  return { name: 'default', enabled: true, nopass: pass === '', passwords: pass === '' ? [] : [sha256hex(pass)] };
}

/** Anyone reaching a remote address can run commands: no password and nothing refusing them. */
function openDoor(ctx: PostureContext): boolean {
  const d = defaultUser(ctx);
  return exposed(ctx) && d.enabled && d.nopass && !ctx.config.bool('protected-mode');
}

const has = (config: Config, name: string): boolean => config.lookup(name) !== undefined;

// --- the checks ---

type Check = (ctx: PostureContext) => Finding | Finding[] | null;

const CHECKS: readonly Check[] = [
  function openDoorCheck(ctx) {
    if (!openDoor(ctx)) return null;
    return {
      id: 'open-door',
      severity: 'high',
      text:
        `anyone who can reach ${remoteHosts(ctx).join(', ')} can run any command without a password: the default user ` +
        'has none and protected mode is off. Set requirepass (or an ACL password for the default user), or bind loopback addresses only.',
    };
  },
  function defaultNopass(ctx) {
    const d = defaultUser(ctx);
    if (!d.enabled || !d.nopass || openDoor(ctx)) return null;
    if (exposed(ctx)) {
      return {
        id: 'default-user-nopass',
        severity: 'medium',
        text:
          'the default user has no password; only protected mode keeps remote clients out, and one ' +
          "'CONFIG SET protected-mode no' from this host removes it. Set requirepass.",
      };
    }
    return {
      id: 'default-user-nopass',
      severity: 'low',
      text: 'the default user has no password: any local process or user can run any command. Set requirepass.',
    };
  },
  function weakRequirepass(ctx) {
    const pass = ctx.config.str('requirepass');
    if (pass === '') return null;
    const common = isCommon(pass);
    if (!common && pass.length >= MIN_PASSWORD_LENGTH) return null;
    const why = common ? 'is a commonly used password' : `is shorter than ${MIN_PASSWORD_LENGTH} characters`;
    return {
      id: 'weak-password',
      severity: exposed(ctx) ? 'high' : 'medium',
      text: `requirepass ${why}; Redis answers AUTH fast enough to try many guesses a second. Use a long random password.`,
    };
  },
  function weakAclPasswords(ctx) {
    const out: Finding[] = [];
    // With requirepass set, the default user's password is requirepass, judged above in clear.
    const skipDefault = ctx.config.str('requirepass') !== '';
    for (const u of ctx.users) {
      if (skipDefault && u.name === 'default') continue;
      if (!u.enabled || !u.passwords.some((p) => COMMON_DIGESTS.has(p))) continue;
      out.push({
        id: 'weak-password',
        severity: exposed(ctx) ? 'high' : 'medium',
        text: `user '${u.name}' has a commonly used password. Use a long random password.`,
      });
    }
    return out;
  },
  function nopassUsers(ctx) {
    const out: Finding[] = [];
    for (const u of ctx.users) {
      if (u.name === 'default' || !u.enabled || !u.nopass) continue;
      out.push({
        id: 'user-nopass',
        severity: exposed(ctx) ? 'high' : 'medium',
        text: `user '${u.name}' is enabled with nopass: anyone can authenticate as it with any password.`,
      });
    }
    return out;
  },
  function plainTextNetwork(ctx) {
    if (!exposedPlain(ctx)) return null;
    return {
      id: 'no-tls',
      severity: 'medium',
      text:
        `the plain-text port ${ctx.config.num('port')} is reachable on ${remoteHosts(ctx).join(', ')}: passwords and data ` +
        'cross the network unencrypted. Use tls-port (and port 0), or bind loopback addresses only.',
    };
  },
  function protectedModeOff(ctx) {
    if (ctx.config.bool('protected-mode') || openDoor(ctx)) return null;
    return {
      id: 'protected-mode-off',
      severity: 'low',
      text: 'protected mode is off: should the default user ever lose its password, remote clients would get in at once.',
    };
  },
  function gates(ctx) {
    const out: Finding[] = [];
    const gate = (name: string, what: string, yes: Severity, local: Severity | null): void => {
      const v = ctx.config.str(name);
      if (v === 'yes') out.push({ id: name, severity: yes, text: `${name} is yes: ${what} from any connection.` });
      else if (v === 'local' && local !== null) {
        out.push({ id: name, severity: local, text: `${name} is local: ${what} from local connections.` });
      }
    };
    gate('enable-debug-command', 'DEBUG (sleep the server, inspect or alter internals) is allowed', 'high', 'low');
    gate('enable-module-command', 'MODULE LOAD (run native code inside the server) is allowed', 'high', 'medium');
    gate('enable-protected-configs', 'CONFIG SET of dir and dbfilename (the file-write attack) is allowed', 'high', 'low');
    return out;
  },
  function idleTimeout(ctx) {
    if (!exposed(ctx) || ctx.config.num('timeout') !== 0) return null;
    return {
      id: 'no-idle-timeout',
      severity: 'low',
      text: 'timeout is 0 on a network-reachable server: idle connections are kept forever and can use up maxclients. Set timeout (e.g. 300).',
    };
  },
  function unboundedOutput(ctx) {
    if (!exposed(ctx)) return null;
    const w = ctx.config.str('client-output-buffer-limit').split(' ');
    const normal = w.indexOf('normal');
    if (normal === -1 || w[normal + 1] !== '0' || w[normal + 2] !== '0') return null;
    return {
      id: 'unbounded-output-buffer',
      severity: 'low',
      text:
        'client-output-buffer-limit normal is 0 0 0: a client that stops reading makes the server buffer replies without bound. ' +
        'Consider e.g. client-output-buffer-limit normal 256mb 64mb 60.',
    };
  },
  function noTrustedNetworks(ctx) {
    if (!exposed(ctx) || !has(ctx.config, 'trusted-networks') || ctx.config.str('trusted-networks') !== '') return null;
    return {
      id: 'no-trusted-networks',
      severity: 'low',
      text: 'trusted-networks is empty: clients from any address may connect. List the networks that need access.',
    };
  },
  function noAuditLog(ctx) {
    if (!exposed(ctx) || ctx.config.str('audit-log') !== '') return null;
    return {
      id: 'no-audit-log',
      severity: 'low',
      text: 'audit-log is off: failed logins, denials and configuration changes leave no record. Set audit-log to a file.',
    };
  },
];

const RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** Every finding for the context, most severe first. */
export function postureFindings(ctx: PostureContext): Finding[] {
  const out: Finding[] = [];
  for (const check of CHECKS) {
    const r = check(ctx);
    if (r === null) continue;
    if (Array.isArray(r)) out.push(...r);
    else out.push(r);
  }
  return out.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
}

/** The `--check-config` report: one line per finding and a count. */
export function formatReport(source: string, findings: readonly Finding[]): string {
  let text = `Redoubt security check of ${source}\n`;
  if (findings.length === 0) return text + 'No security gaps found.\n';
  for (const f of findings) text += `${f.severity.toUpperCase().padEnd(6)} ${f.id}: ${f.text}\n`;
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  text += `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${count('high')} high, ${count('medium')} medium, ${count('low')} low.\n`;
  return text;
}

// --- the startup summary ---

const gate = (value: string, what: string): string =>
  value === 'no' ? `${what} disabled` : value === 'local' ? `${what} allowed from local connections only` : `${what} ENABLED`;

export function securityPosture(config: Config, addresses: readonly BoundAddress[], users: readonly UserFacts[] = []): PostureLine[] {
  const out: PostureLine[] = [];
  const password = config.str('requirepass') !== '';
  const protectedMode = config.bool('protected-mode');
  const remote = addresses.filter((a) => a.family === 'tcp' && !isLoopback(a.host));

  if (remote.length === 0) {
    out.push({ level: 'notice', text: 'Security: listening on loopback addresses only; other hosts cannot connect' });
  } else {
    out.push({
      level: 'notice',
      text: `Security: listening on non-loopback addresses (${remote.map(formatAddress).join(', ')}); other hosts can connect`,
    });
  }
  out.push({
    level: 'notice',
    text: password
      ? 'Security: the default user requires a password (requirepass is set)'
      : 'Security: the default user has no password',
  });
  out.push({
    level: 'notice',
    text: protectedMode
      ? password
        ? 'Security: protected mode is on (it only acts while the default user has no password)'
        : 'Security: protected mode is on: clients from non-loopback addresses are refused while the default user has no password'
      : 'Security: protected mode is off',
  });
  const tlsPort = config.num('tls-port');
  out.push({
    level: 'notice',
    text: tlsPort === 0 ? 'Security: TLS is off (tls-port 0): traffic is not encrypted' : `Security: TLS is on (tls-port ${tlsPort})`,
  });
  out.push({
    level: 'notice',
    text:
      `Security: ${gate(config.str('enable-debug-command'), 'DEBUG')}, ` +
      `${gate(config.str('enable-module-command'), 'MODULE')}, ` +
      `${gate(config.str('enable-protected-configs'), 'CONFIG SET of protected settings (dir, dbfilename)')}`,
  });
  const hosts = addresses.filter((a) => a.family === 'tcp').map((a) => a.host);
  for (const f of postureFindings({ config, hosts, users })) {
    // Only high findings are warnings: the others describe a setup that may well be intended.
    out.push({ level: f.severity === 'high' ? 'warning' : 'notice', text: `Security gap (${f.severity}) ${f.id}: ${f.text}` });
  }
  return out;
}
