// Terminal output: a progress bar on stderr (only for many targets on a terminal), the endpoint
// table, each endpoint's findings with evidence and fix, and a one-line summary. Server-provided
// text is made printable before it reaches the terminal.

import { printable } from './classify.js';
import { SEVERITIES, type Severity } from './findings.js';
import { credentialsSummary, summarize } from './json.js';
import { BACKPORT_CAVEAT } from './cves.js';
import type { EndpointResult } from './scanner.js';

const SHORT: Record<Severity, string> = { critical: 'C', high: 'H', medium: 'M', low: 'L', info: 'I' };

function findingCounts(r: EndpointResult): string {
  const parts = SEVERITIES.map((s) => {
    const n = r.findings.filter((f) => f.severity === s).length;
    return n > 0 ? `${n}${SHORT[s]}` : '';
  }).filter((p) => p !== '');
  return parts.length > 0 ? parts.join(' ') : '-';
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

function productText(r: EndpointResult): string {
  if (r.product === null) return '-';
  return r.version !== null ? `${r.product} ${printable(r.version)}` : r.product;
}

export function formatReport(results: readonly EndpointResult[], opts: { verbose: boolean }): string {
  const rows = [['TARGET', 'STATE', 'PRODUCT', 'FINDINGS', 'DETAIL']];
  for (const r of results) rows.push([r.target, r.state, productText(r), findingCounts(r), printable(r.reason).slice(0, 90)]);
  let out = table(rows);
  for (const r of results) {
    if (r.findings.length === 0 && !(opts.verbose && r.notes.length > 0)) continue;
    out += `\n${r.target} (${r.state}${r.product ? `, ${productText(r)}` : ''})\n`;
    const distribution = r.fingerprint?.packaging.suspected === true;
    for (const f of r.findings) {
      const caveat = f.cve !== null && distribution ? ` (${BACKPORT_CAVEAT})` : f.cve !== null && f.confidence === 'possible' ? ' (version in an affected range; the fixed release on this branch is not confirmed)' : '';
      out += `  [${f.severity}] ${f.id}${f.cve && f.id !== f.cve.toLowerCase() ? ` (${f.cve})` : ''}: ${f.title}${caveat}\n`;
      if (opts.verbose || f.cve === null) out += `      evidence: ${printable(f.evidence)}\n      fix: ${f.fix}\n`;
    }
    if (opts.verbose) for (const n of r.notes) out += `  note: ${printable(n)}\n`;
  }
  out += credentialsLines(results);
  out += `\n${summaryLine(results)}\n`;
  return out;
}

const CHANNEL: Record<string, string> = { 'tls-verified': 'TLS, verified certificate', 'tls-unverified': 'TLS, certificate not verified', plaintext: 'plaintext' };

/** Where the audit authenticated, said in the report itself. */
function credentialsLines(results: readonly EndpointResult[]): string {
  const c = credentialsSummary(results);
  let out = '';
  if (c.sentTo.length > 0) out += `\nCredentials sent to: ${c.sentTo.map((s) => `${s.target} (${CHANNEL[s.channel ?? ''] ?? '?'}${s.accepted === false ? ', refused' : ''})`).join(', ')}\n`;
  if (c.withheldFrom > 0) out += `${c.sentTo.length > 0 ? '' : '\n'}Credentials withheld from ${c.withheldFrom} endpoint${c.withheldFrom === 1 ? '' : 's'} that asked for them (-v shows why)\n`;
  return out;
}

function summaryLine(results: readonly EndpointResult[]): string {
  const s = summarize(results);
  const states = Object.entries(s.states).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  const findings = Object.entries(s.findings).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  return `${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'}: ${states || 'none'}; findings: ${findings || 'none'}`;
}

/** A one-line bar redrawn in place on stderr. */
export class Progress {
  private last = 0;
  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  update(done: number): void {
    const now = Date.now();
    if (done < this.total && now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total}`);
    if (done === this.total) this.stream.write('\r\x1b[K');
  }
}
