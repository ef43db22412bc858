// `redoubt audit`: option parsing, credentials (environment or a hidden prompt, never a flag),
// target expansion, the scan, and the outputs (table, --json, --html) with --fail-on's exit code.

import { readFileSync, writeFileSync } from 'node:fs';
import { isSeverity, severityRank, SEVERITIES, type Severity } from './findings.js';
import { formatReport, Progress } from './report.js';
import { toJson } from './json.js';
import { renderHtml } from './html.js';
import { scan, type Credentials, type ScanOptions } from './scanner.js';
import { DEFAULT_PORT, expandRange, MAX_RANGE_ADDRESSES, parsePorts, parseTarget, parseTargetFile, TargetError, uniqueTargets, type Target } from './targets.js';

export const PASSWORD_ENV = 'REDOUBT_AUDIT_PASSWORD';

export const AUDIT_USAGE = `Usage: redoubt audit [options] host[:port] ...

Probes Redis-protocol endpoints with read-only commands, sorts each into an exposure state,
fingerprints it, and reports known CVEs and hardening findings.

Targets:
  host[:port] ...          IPv4, [IPv6]:port or a host name (port defaults to --ports)
  -i, --input FILE         read targets from FILE, one per line (# comments)
  --range CIDR             every address of CIDR (at most ${MAX_RANGE_ADDRESSES}); repeatable
  --ports LIST             ports for targets without one (default ${DEFAULT_PORT}), e.g. 6379,7000-7005
Probing:
  --concurrency N          endpoints probed at once (default 32, at most 1024)
  --rate N                 new endpoints per second (default 200, at most 10000)
  --timeout MS             per connection and per reply (default 3000)
  --source ADDR            local address to probe from
  --tls                    connect with TLS; --cacert FILE to verify, --insecure to skip verification
  --user NAME              authenticate as NAME where the endpoint asks for credentials
  --ask-pass               prompt for the password (also implied by --user)
                           the password comes from ${PASSWORD_ENV} or a prompt, never the command line
  --allow-plaintext-auth   also send credentials without TLS certificate verification (plaintext,
                           or --insecure), to targets named on the command line
  --auth-all-targets       also send credentials to targets from --range and --input
                           (credentials go by default only over verified TLS, to named targets)
  --expect-master H:P      a replication master that is not a finding; repeatable
Output:
  --json                   print the JSON report (schema redoubt-audit/1) instead of the table
  --html FILE              also write a self-contained HTML report
  --fail-on SEVERITY       exit 1 if any finding is at least SEVERITY (${SEVERITIES.join(', ')})
  -v, --verbose            evidence and fix for every finding, and notes
  --no-progress            never draw the progress bar
`;

class UsageError extends Error {}

interface Parsed {
  targets: Target[];
  scan: Omit<ScanOptions, 'credentials'>;
  /** Credentials would cross no connection the operator allowed (a warning at start). */
  authNowhere: boolean;
  wantCredentials: boolean;
  user: string | null;
  json: boolean;
  html: string | null;
  failOn: Severity | null;
  verbose: boolean;
  progress: boolean;
}

function intOption(name: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return Number(v);
}

export function parseAuditArgs(argv: readonly string[]): Parsed | 'help' {
  const words: string[] = [];
  const files: string[] = [];
  const ranges: string[] = [];
  const masters: string[] = [];
  let ports = [DEFAULT_PORT];
  let concurrency = 32;
  let rate = 200;
  let timeoutMs = 3000;
  let source: string | undefined;
  let tls = false;
  let cacert: string | undefined;
  let insecure = false;
  let user: string | null = null;
  let askPass = false;
  let allowPlaintextAuth = false;
  let authAllTargets = false;
  let json = false;
  let html: string | null = null;
  let failOn: Severity | null = null;
  let verbose = false;
  let progress = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '-i':
      case '--input':
        files.push(value());
        break;
      case '--range':
        ranges.push(value());
        break;
      case '--ports':
        ports = parsePorts(value());
        break;
      case '--concurrency':
        concurrency = intOption(a, value(), 1, 1024);
        break;
      case '--rate':
        rate = intOption(a, value(), 1, 10000);
        break;
      case '--timeout':
        timeoutMs = intOption(a, value(), 10, 120000);
        break;
      case '--source':
        source = value();
        break;
      case '--tls':
        tls = true;
        break;
      case '--cacert':
        cacert = value();
        tls = true;
        break;
      case '--insecure':
        insecure = true;
        break;
      case '--user':
        user = value();
        break;
      case '--ask-pass':
        askPass = true;
        break;
      case '--allow-plaintext-auth':
        allowPlaintextAuth = true;
        break;
      case '--auth-all-targets':
        authAllTargets = true;
        break;
      case '--password':
      case '-a':
        throw new UsageError(`${a} is not accepted: a password on the command line lands in shell history and process lists; set ${PASSWORD_ENV} or answer the prompt`);
      case '--expect-master':
        masters.push(value());
        break;
      case '--json':
        json = true;
        break;
      case '--html':
        html = value();
        break;
      case '--fail-on': {
        const s = value();
        if (!isSeverity(s)) throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}`);
        failOn = s;
        break;
      }
      case '-v':
      case '--verbose':
        verbose = true;
        break;
      case '--no-progress':
        progress = false;
        break;
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`Unknown option ${a}`);
        words.push(a);
    }
  }
  const targets: Target[] = [];
  for (const w of words) targets.push(...parseTarget(w, ports));
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f === '-' ? 0 : f, 'utf8');
    } catch (e) {
      throw new UsageError(`Cannot read ${f}: ${(e as Error).message}`);
    }
    targets.push(...parseTargetFile(text, ports));
  }
  let rangeCount = 0;
  for (const r of ranges) {
    const addrs = expandRange(r);
    rangeCount += addrs.length;
    if (rangeCount > MAX_RANGE_ADDRESSES) throw new UsageError(`--range: at most ${MAX_RANGE_ADDRESSES} addresses in one audit`);
    for (const a of addrs) for (const p of ports) targets.push({ host: a, port: p, origin: 'range' });
  }
  if (targets.length === 0) throw new UsageError('No targets: give host[:port], -i FILE or --range CIDR');
  let ca: Buffer | undefined;
  if (cacert !== undefined) {
    try {
      ca = readFileSync(cacert);
    } catch (e) {
      throw new UsageError(`Cannot read --cacert ${cacert}: ${(e as Error).message}`);
    }
  }
  const unique = uniqueTargets(targets);
  const verifiedTls = tls && !insecure;
  return {
    targets: unique,
    authNowhere: !verifiedTls && !allowPlaintextAuth,
    scan: {
      timeoutMs,
      concurrency,
      rate,
      allowPlaintextAuth,
      authAllTargets,
      expectedMasters: masters,
      ...(source !== undefined ? { source } : {}),
      ...(tls ? { tls: { insecure, ...(ca ? { ca } : {}) } } : {}),
    },
    wantCredentials: askPass || user !== null,
    user,
    json,
    html,
    failOn,
    verbose,
    progress,
  };
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let text = '';
    const onData = (d: Buffer): void => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(text);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new UsageError('Interrupted'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    const finish = (): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

async function credentials(p: Parsed): Promise<Credentials | undefined> {
  const env = process.env[PASSWORD_ENV];
  if (env !== undefined && env !== '') return { user: p.user, password: env };
  if (!p.wantCredentials) return undefined;
  if (!process.stdin.isTTY) throw new UsageError(`No password: set ${PASSWORD_ENV} (standard input is not a terminal to prompt on)`);
  const password = await promptHidden(`Password${p.user !== null ? ` for ${p.user}` : ''}: `);
  return { user: p.user, password };
}

/** Runs `redoubt audit <argv>`; resolves to the exit status. */
export async function runAudit(argv: readonly string[]): Promise<number> {
  let p: Parsed | 'help';
  let creds: Credentials | undefined;
  try {
    p = parseAuditArgs(argv);
    if (p === 'help') {
      process.stdout.write(AUDIT_USAGE);
      return 0;
    }
    creds = await credentials(p);
  } catch (e) {
    if (e instanceof UsageError || e instanceof TargetError) {
      process.stderr.write(`redoubt audit: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const opts: ScanOptions = { ...p.scan, ...(creds ? { credentials: creds } : {}) };
  if (creds !== undefined && p.authNowhere) {
    process.stderr.write('redoubt audit: credentials go only over TLS with a verified certificate (--tls, --cacert); none will be sent. Add --allow-plaintext-auth to send them in clear to the targets named on the command line.\n');
  }
  const bar = p.progress && p.targets.length > 1 && process.stderr.isTTY ? new Progress(p.targets.length, process.stderr) : null;
  const results = await scan(p.targets, opts, (_r, done) => bar?.update(done));
  const now = new Date();
  // Waits until the report is handed to the kernel: the caller exits right after, and a pipe that
  // is read more slowly than it is written would otherwise lose everything past its buffer.
  await writeAll(process.stdout, p.json ? `${JSON.stringify(toJson(results, now), null, 2)}\n` : formatReport(results, { verbose: p.verbose }));
  if (p.html !== null) {
    writeFileSync(p.html, renderHtml(results, now));
    process.stderr.write(`HTML report written to ${p.html}\n`);
  }
  const threshold = p.failOn;
  if (threshold !== null && results.some((r) => r.findings.some((f) => severityRank(f.severity) >= severityRank(threshold)))) return 1;
  return 0;
}

/**
 * Writes `text` and resolves once the stream has flushed it (or failed: a reader that went away,
 * as `| head` does, is not an error of the audit).
 */
function writeAll(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    // An EPIPE is reported to the callback and then as an 'error' event, which must not go unheard.
    stream.on('error', () => {
      resolve();
    });
    stream.write(text, () => {
      resolve();
    });
  });
}
