// Audits endpoints: one INFO without credentials decides the state; open endpoints (and, with
// credentials, those that asked for them where the operator allowed it) are then read with the
// facts.ts sequence, and the shared hardening table and the CVE table turn the facts into
// findings. Many targets run through a pool bounded by --concurrency and --rate.

import { classifyForeignBytes, classifyInfoReply, looksLikeInfo, printable, type Classified, type State } from './classify.js';
import { Conn, ConnectError, NoReplyError, type ConnectOptions, type TlsOptions } from './connection.js';
import { cveFindings, parseVersion } from './cves.js';
import { evalExists, readAcl, readConfig, scanKeys } from './facts.js';
import { sortFindings, type Finding } from './findings.js';
import { branchOf, fingerprint, type Fingerprint, type Product } from './fingerprint.js';
import { NotRespError, ReplyError, type Reply } from './resp.js';
import { targetLabel, type Target } from './targets.js';
import type { AclUser } from '../hardening/acl.js';
import { runHardeningChecks, type HardeningFacts, type SuspiciousKey } from '../hardening/checks.js';
import { exposureFromBind, isLoopback, type Exposure } from '../hardening/exposure.js';

export interface Credentials {
  readonly user: string | null;
  readonly password: string;
}

export interface ScanOptions {
  readonly timeoutMs: number;
  readonly source?: string;
  readonly tls?: TlsOptions;
  readonly credentials?: Credentials;
  /** --allow-plaintext-auth: credentials may cross a connection that is not TLS with a verified certificate. */
  readonly allowPlaintextAuth: boolean;
  /** --auth-all-targets: credentials may go to targets from --range and --input too. */
  readonly authAllTargets: boolean;
  readonly expectedMasters: readonly string[];
  /** Endpoints probed at once. */
  readonly concurrency: number;
  /** New endpoints started per second. */
  readonly rate: number;
}

/** Where credentials went, or why they were kept back. */
interface Authentication {
  /** Credentials were sent to this endpoint. */
  readonly sent: boolean;
  /** The channel they crossed (when sent). */
  readonly channel: 'tls-verified' | 'tls-unverified' | 'plaintext' | null;
  /** The server accepted them (when sent). */
  readonly accepted: boolean | null;
  /** Why they were not sent to an endpoint that asked for them; null otherwise. */
  readonly withheld: string | null;
}

export interface EndpointResult {
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly state: State;
  readonly reason: string;
  readonly product: Product | null;
  readonly version: string | null;
  readonly fingerprint: Fingerprint | null;
  /** The user the facts were read as: null without credentials, "default" for AUTH <password>. */
  readonly authenticatedAs: string | null;
  readonly authentication: Authentication;
  readonly findings: Finding[];
  /** What could not be read, and why. */
  readonly notes: string[];
  readonly durationMs: number;
}

const NO_AUTH: Authentication = { sent: false, channel: null, accepted: null, withheld: null };

const UNREACHABLE = new Set(['ECONNREFUSED', 'TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EINVAL']);
const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

function connectOptions(t: Target, o: ScanOptions, tls: TlsOptions | undefined): ConnectOptions {
  return { host: t.host, port: t.port, timeoutMs: o.timeoutMs, ...(o.source !== undefined ? { source: o.source } : {}), ...(tls ? { tls } : {}) };
}

/**
 * A connection that ended (or stayed silent) without a byte of reply. An accept-time address
 * filter closes before the client says anything, so a second connection that sends nothing is
 * watched: closed within the window → ip-allowlisted. Otherwise a TLS handshake is tried:
 * it succeeds (or the server answers with a TLS alert) → tls-required. Else `fallback`.
 */
async function explainSilence(t: Target, o: ScanOptions, fallback: string): Promise<Classified> {
  try {
    const quiet = await Conn.open(connectOptions(t, o, undefined));
    const windowMs = Math.min(1000, Math.max(250, quiet.connectMs * 4 + 100), o.timeoutMs);
    const closed = await quiet.waitForClose(windowMs);
    quiet.close();
    if (closed) return { state: 'ip-allowlisted', reason: `accepted the TCP connection, then closed it after ${quiet.closedAfterMs} ms without reading or sending a byte (an accept-time address filter)` };
  } catch (e) {
    if (e instanceof ConnectError && e.closedBeforeBytes) return { state: 'ip-allowlisted', reason: 'closed the connection as soon as it was accepted (an accept-time address filter)' };
  }
  if (!o.tls) {
    try {
      const probe = await Conn.open(connectOptions(t, o, { insecure: true }));
      probe.close();
      return { state: 'tls-required', reason: 'plaintext got no reply, a TLS handshake succeeded' };
    } catch (e) {
      if (e instanceof ConnectError && /alert/i.test(e.message)) return { state: 'tls-required', reason: `plaintext got no reply, a TLS handshake was answered with an alert (${e.message})` };
    }
  }
  return { state: 'error', reason: fallback };
}

function connectFailure(e: unknown, tls: boolean): Classified | 'silence' {
  if (!(e instanceof ConnectError)) return { state: 'error', reason: String(e) };
  if (e.closedBeforeBytes) return 'silence';
  if (UNREACHABLE.has(e.code)) return { state: 'unreachable', reason: `${e.code}: ${e.message}` };
  if (tls && CERT_ERRORS.test(e.code)) return { state: 'error', reason: `TLS certificate not trusted (${e.code}): use --cacert, or --insecure to skip verification` };
  if (tls && /wrong version number|packet length too long|unknown protocol/i.test(e.message)) return { state: 'error', reason: `TLS handshake failed: the port does not speak TLS (${e.message})` };
  return { state: 'error', reason: `${e.code}: ${e.message}` };
}

/** The first exchange: INFO without credentials. Leaves `conn` open only for states that continue. */
async function firstContact(conn: Conn, t: Target, o: ScanOptions): Promise<{ c: Classified; info: string | null }> {
  let r: Reply;
  try {
    r = await conn.call('INFO');
  } catch (e) {
    conn.close();
    if (e instanceof NotRespError) return { c: classifyForeignBytes(e.head), info: null };
    if (e instanceof NoReplyError && e.bytesReceived === 0) {
      const what = e.kind === 'timeout' ? `no reply to INFO within ${o.timeoutMs} ms` : `connection closed without a reply${e.code ? ` (${e.code})` : ''}`;
      return { c: await explainSilence(t, o, what), info: null };
    }
    return { c: { state: 'error', reason: e instanceof Error ? e.message : String(e) }, info: null };
  }
  const c = classifyInfoReply(r);
  if (c !== null) return { c, info: looksLikeInfo(r) ? r : null };
  // INFO renamed or disabled: PING tells whether commands run without credentials.
  try {
    const pong = await conn.call('PING');
    if (pong === 'PONG') return { c: { state: 'open', reason: 'INFO is renamed or disabled; PING answered without credentials' }, info: null };
    return { c: classifyInfoReply(pong) ?? { state: 'error', reason: `INFO and PING refused: ${printable(pong instanceof ReplyError ? pong.message : JSON.stringify(pong))}` }, info: null };
  } catch (e) {
    return { c: { state: 'error', reason: `INFO unknown, PING failed: ${(e as Error).message}` }, info: null };
  }
}

interface Gathered {
  fingerprint: Fingerprint | null;
  config: Map<string, string> | null;
  users: AclUser[] | null;
  evalExists: boolean | null;
  keys: SuspiciousKey[] | null;
}

/** The read-only fact sequence; each step is skipped (with a note) when refused. */
async function gather(conn: Conn, info: string | null, notes: string[]): Promise<Gathered> {
  const g: Gathered = { fingerprint: info !== null ? fingerprint(info) : null, config: null, users: null, evalExists: null, keys: null };
  try {
    g.config = await readConfig(conn);
    if (g.config === null) notes.push('CONFIG GET not permitted: configuration checks skipped');
    g.users = await readAcl(conn);
    if (g.users === null) notes.push('ACL LIST unavailable or not permitted: user checks use what INFO showed');
    g.evalExists = await evalExists(conn);
    const fp = g.fingerprint;
    g.keys = await scanKeys(conn, fp?.keyspace ?? [0], fp?.mode === 'cluster');
    if (g.keys === null) notes.push('SCAN not permitted: attack-key check skipped');
  } catch (e) {
    notes.push(`fact gathering stopped: ${e instanceof Error ? e.message : String(e)}`);
  }
  return g;
}

/**
 * Who can reach the endpoint: the network when the audit itself reached it on a non-loopback
 * address (or protected mode refused the audit's address); otherwise what its bind says.
 */
function auditExposure(t: Target, state: State, config: ReadonlyMap<string, string> | null): Exposure {
  const label = targetLabel(t);
  if (!isLoopback(t.host)) return { level: 'network', addresses: [label], why: `the audit reached it at ${label}` };
  if (state === 'protected-mode') return { level: 'network', addresses: [], why: "protected mode refused the audit's address, which the server does not count as local" };
  const bind = config?.get('bind');
  if (bind === undefined) return { level: 'local', addresses: [], why: `reached at ${label}, a loopback address; bind not readable` };
  const tlsPort = config?.get('tls-port');
  return exposureFromBind(bind, config?.get('port') !== '0' || (tlsPort !== undefined && tlsPort !== '0'));
}

/** The hardening facts of an endpoint, as the shared checks read them. */
function hardeningFacts(t: Target, c: Classified, g: Gathered | null, o: ScanOptions, defaultNopass: boolean | null): HardeningFacts {
  const fp = g?.fingerprint ?? null;
  const config = g?.config ?? null;
  const exposure = auditExposure(t, c.state, config);
  const users = g?.users ?? null;
  const fromAcl = users?.find((u) => u.name === 'default');
  const nopass = fromAcl !== undefined ? fromAcl.enabled && fromAcl.nopass : defaultNopass;
  const nopassWhy =
    c.state === 'open' ? 'INFO answered a client that never authenticated'
    : c.state === 'protected-mode' ? 'protected mode answered DENIED, which it does only while the default user has no password'
    : c.reason.startsWith('NOPERM') ? 'INFO was refused with NOPERM to a client that never authenticated: the default user is logged in without a password'
    : null;
  const v = fp?.product === 'redis' && fp.version !== null ? parseVersion(fp.version) : null;
  return {
    exposure,
    config: (name) => config?.get(name),
    users,
    defaultNopass: nopass,
    defaultNopassEvidence: nopassWhy,
    requirepass: null,
    openFromNetwork: c.state === 'open' && !isLoopback(t.host) ? `INFO answered the audit at ${targetLabel(t)}, a network address, without credentials` : null,
    overTls: o.tls !== undefined,
    modules: fp?.modules ?? [],
    suspiciousKeys: g?.keys ?? null,
    master: fp?.master ? { ...fp.master, role: fp.role ?? 'replica' } : null,
    expectedMasters: o.expectedMasters,
    replicas: fp?.replicas ?? null,
    gatesAbsent: v !== null && v[0] < 7 && fp !== null && fp.version !== null ? `Redis ${branchOf(fp.version)} has no enable-*-command gates` : null,
  };
}

/** Whether credentials may go to this endpoint: the operator's rules of finding 12 (docs/audit.md). */
function credentialPolicy(t: Target, o: ScanOptions): { channel: NonNullable<Authentication['channel']> } | { withheld: string } {
  if (t.origin !== 'named' && !o.authAllTargets) {
    return { withheld: `credentials withheld: the target came from ${t.origin === 'range' ? '--range' : '--input'}, and credentials go only to targets named on the command line (--auth-all-targets lifts this)` };
  }
  if (o.tls !== undefined && !o.tls.insecure) return { channel: 'tls-verified' };
  if (o.allowPlaintextAuth) return { channel: o.tls !== undefined ? 'tls-unverified' : 'plaintext' };
  return { withheld: `credentials withheld: the connection is ${o.tls !== undefined ? 'TLS without certificate verification (--insecure)' : 'plaintext'}; they go only over TLS with a verified certificate, or with --allow-plaintext-auth` };
}

/** Audits one endpoint; never throws. */
async function auditEndpoint(t: Target, o: ScanOptions): Promise<EndpointResult> {
  const started = Date.now();
  const notes: string[] = [];
  const finish = (c: Classified, g: Gathered | null, authenticatedAs: string | null, defaultNopass: boolean | null, authentication: Authentication = NO_AUTH): EndpointResult => {
    const fp = g?.fingerprint ?? null;
    const facts = hardeningFacts(t, c, g, o, defaultNopass);
    const findings: Finding[] = runHardeningChecks(facts).map((f) => ({ ...f, cve: null, confidence: 'confirmed', link: null }));
    if (fp) {
      const config = g?.config ?? null;
      const tlsPort = config?.get('tls-port');
      const rro = config?.get('replica-read-only');
      findings.push(
        ...cveFindings(fp, {
          unauthenticatedCommands: c.state === 'open' || (facts.defaultNopass === true && c.state !== 'protected-mode'),
          evalExists: g?.evalExists ?? null,
          tls: o.tls !== undefined ? true : tlsPort === undefined ? null : tlsPort !== '0',
          replicaReadOnly: rro === undefined ? null : rro === 'yes',
        }),
      );
    }
    return {
      target: targetLabel(t),
      host: t.host,
      port: t.port,
      tls: o.tls !== undefined,
      state: c.state,
      reason: c.reason,
      product: fp?.product ?? null,
      version: fp?.version ?? null,
      fingerprint: fp,
      authenticatedAs,
      authentication,
      findings: sortFindings(findings),
      notes,
      durationMs: Date.now() - started,
    };
  };

  let conn: Conn;
  try {
    conn = await Conn.open(connectOptions(t, o, o.tls));
  } catch (e) {
    const f = connectFailure(e, o.tls !== undefined);
    return finish(f === 'silence' ? await explainSilence(t, o, 'connection closed before any byte') : f, null, null, null);
  }
  const { c, info } = await firstContact(conn, t, o);
  let authentication = NO_AUTH;
  try {
    if (c.state === 'open') return finish(c, await gather(conn, info, notes), null, true);
    const restrictedDefault = c.state === 'auth-required' && c.reason.startsWith('NOPERM');
    if (c.state === 'protected-mode') return finish(c, null, null, true);
    if (c.state !== 'auth-required') return finish(c, null, null, null);
    if (!o.credentials) {
      notes.push('no credentials given: hardening checks need REDOUBT_AUDIT_PASSWORD (and --user) to run');
      return finish(c, null, null, restrictedDefault);
    }
    // Credentials go only to endpoints that asked for them, and only where the operator allowed it.
    const policy = credentialPolicy(t, o);
    if ('withheld' in policy) {
      notes.push(policy.withheld);
      return finish(c, null, null, restrictedDefault, { ...NO_AUTH, withheld: policy.withheld });
    }
    const cred = o.credentials;
    authentication = { sent: true, channel: policy.channel, accepted: null, withheld: null };
    const auth = await conn.call(...(cred.user !== null ? ['AUTH', cred.user, cred.password] : ['AUTH', cred.password]));
    if (auth instanceof ReplyError) {
      notes.push(`credentials refused: ${printable(auth.message)}`);
      return finish(c, null, null, restrictedDefault, { ...authentication, accepted: false });
    }
    const user = cred.user ?? 'default';
    const r = await conn.call('INFO');
    if (r instanceof ReplyError) notes.push(`INFO not permitted for user ${user}: ${printable(r.message)}`);
    authentication = { ...authentication, accepted: true };
    return finish(c, await gather(conn, looksLikeInfo(r) ? r : null, notes), user, restrictedDefault, authentication);
  } catch (e) {
    notes.push(`probe stopped: ${e instanceof Error ? e.message : String(e)}`);
    return finish(c, null, null, null, authentication);
  } finally {
    conn.close();
  }
}
/** Audits every target through the bounded pool; `onResult` sees each as it completes. */
export async function scan(targets: readonly Target[], o: ScanOptions, onResult: (r: EndpointResult, done: number) => void = () => {}): Promise<EndpointResult[]> {
  const results: EndpointResult[] = new Array<EndpointResult>(targets.length);
  const interval = 1000 / Math.max(o.rate, 0.001);
  let next = 0;
  let done = 0;
  let lastSlot = -Infinity;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const now = Date.now();
      const slot = Math.max(now, lastSlot + interval);
      lastSlot = slot;
      if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
      const t = targets[i];
      if (t === undefined) break;
      const r = await auditEndpoint(t, o);
      results[i] = r;
      onResult(r, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, targets.length)) }, worker));
  return results;
}
