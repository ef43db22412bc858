// The security posture of a configuration: the summary lines the server logs at startup, and the
// findings that both the startup log and `redoubt --check-config` report. The findings come from
// the hardening table that `redoubt audit` uses too (src/hardening/checks.ts): one id, one
// severity rule and one text per finding, whichever of the two judges the configuration.

import type { Config } from './config.js';
import { parseAclLine, type AclUser } from '../hardening/acl.js';
import { isLoopback, type Exposure } from '../hardening/exposure.js';
import { runHardeningChecks, severityRank, SEVERITIES, type HardeningFacts, type HardeningFinding } from '../hardening/checks.js';

export { bindHosts } from '../hardening/exposure.js';

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'tcp' | 'unix';
}

export interface PostureLine {
  readonly level: 'notice' | 'warning';
  readonly text: string;
}

export interface PostureContext {
  readonly config: Config;
  /** Non-unix addresses the server listens (or would listen) on. */
  readonly hosts: readonly string[];
  /** The server's ACL users as ACL LIST lines (`user <name> <rules>`); passwords appear only as digests. */
  readonly users: readonly string[];
}

export function formatAddress(a: BoundAddress): string {
  if (a.family === 'unix') return `unix:${a.host}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

// --- the facts the shared checks see ---

/** The configuration, the addresses other hosts could reach, and the ACL users, as hardening facts. */
function postureFacts(ctx: PostureContext): HardeningFacts {
  const { config } = ctx;
  const remote = ctx.hosts.filter((h) => !isLoopback(h));
  const exposure: Exposure =
    remote.length > 0
      ? { level: 'network', addresses: remote, why: `listening on ${remote.join(', ')}` }
      : { level: 'local', addresses: [], why: ctx.hosts.length > 0 ? 'listening on loopback addresses only' : 'no TCP port is open' };
  const users = ctx.users.map(parseAclLine).filter((u): u is AclUser => u !== null);
  const requirepass = config.str('requirepass');
  const fromAcl = users.find((u) => u.name === 'default');
  return {
    exposure,
    config: (name) => {
      const def = config.lookup(name);
      return def === undefined ? undefined : config.render(def);
    },
    users,
    defaultNopass: fromAcl !== undefined ? fromAcl.enabled && fromAcl.nopass : requirepass === '',
    defaultNopassEvidence: 'no requirepass and no password for the default user',
    requirepass,
    openFromNetwork: null,
    overTls: false,
    modules: [],
    suspiciousKeys: null,
    master: null,
    expectedMasters: [],
    replicas: null,
    gatesAbsent: null,
  };
}

/** Every finding for the context, most severe first. */
export function postureFindings(ctx: PostureContext): HardeningFinding[] {
  return runHardeningChecks(postureFacts(ctx)).sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

/** The findings that make `--check-config` exit 1. */
export function isBlocking(f: HardeningFinding): boolean {
  return severityRank(f.severity) >= severityRank('high');
}

/** The `--check-config` report: one paragraph per finding and a count. */
export function formatReport(source: string, findings: readonly HardeningFinding[]): string {
  let text = `Redoubt security check of ${source}\n`;
  if (findings.length === 0) return text + 'No security gaps found.\n';
  for (const f of findings) text += `${f.severity.toUpperCase().padEnd(8)} ${f.id}: ${f.title}: ${f.evidence}.\n         fix: ${f.fix}\n`;
  const counts = SEVERITIES.filter((s) => s !== 'info').map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`);
  text += `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${counts.join(', ')}.\n`;
  return text;
}

// --- the startup summary ---

const gate = (value: string, what: string): string =>
  value === 'no' ? `${what} disabled` : value === 'local' ? `${what} allowed from local connections only` : `${what} ENABLED`;

export function securityPosture(config: Config, addresses: readonly BoundAddress[], users: readonly string[] = []): PostureLine[] {
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
      `${gate(config.str('enable-migrate-command'), 'MIGRATE')}, ` +
      gate(config.str('enable-protected-configs'), 'CONFIG SET of protected settings (dir, dbfilename)'),
  });
  const hosts = addresses.filter((a) => a.family === 'tcp').map((a) => a.host);
  for (const f of postureFindings({ config, hosts, users })) {
    // Only critical and high findings are warnings: the others describe a setup that may well be intended.
    out.push({ level: isBlocking(f) ? 'warning' : 'notice', text: `Security gap (${f.severity}) ${f.id}: ${f.title}: ${f.evidence}` });
  }
  return out;
}
