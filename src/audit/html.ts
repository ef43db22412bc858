// --html FILE: one self-contained page (inline CSS and SVG, no script, a CSP that forbids any
// external load) with the state distribution, a version histogram, findings by severity and each
// endpoint's detail. Every server-provided string is escaped: an audited host must not be able to
// inject markup into the report.

import { STATES } from './classify.js';
import { SEVERITIES, type Severity } from './findings.js';
import { credentialsSummary, summarize } from './json.js';
import type { EndpointResult } from './scanner.js';
import type { Fingerprint } from './fingerprint.js';
import { VERSION } from '../version.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const SEVERITY_COLOR: Record<Severity, string> = { critical: '#8b0000', high: '#d9480f', medium: '#e0a800', low: '#4682b4', info: '#6c757d' };
const STATE_COLOR: Record<string, string> = {
  open: '#8b0000',
  'auth-required': '#2b8a3e',
  'protected-mode': '#e0a800',
  'ip-allowlisted': '#2b8a3e',
  busy: '#6c757d',
  'tls-required': '#1971c2',
  'not-redis': '#868e96',
  unreachable: '#adb5bd',
  error: '#c92a2a',
};

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

/** A horizontal bar chart as inline SVG. */
function barChart(id: string, title: string, bars: readonly Bar[]): string {
  const rowH = 22;
  const labelW = 170;
  const barW = 320;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const h = Math.max(1, bars.length) * rowH + 8;
  const rows = bars
    .map((b, i) => {
      const y = i * rowH + 4;
      const w = Math.round((b.value / max) * barW);
      return (
        `<g class="bar" data-label="${escapeHtml(b.label)}" data-value="${b.value}">` +
        `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${escapeHtml(b.label)}</text>` +
        `<rect x="${labelW}" y="${y}" width="${Math.max(w, b.value > 0 ? 2 : 0)}" height="${rowH - 6}" fill="${b.color}"></rect>` +
        `<text x="${labelW + w + 6}" y="${y + 14}">${b.value}</text></g>`
      );
    })
    .join('');
  return `<figure id="${id}"><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${labelW + barW + 60}" height="${h}" viewBox="0 0 ${labelW + barW + 60} ${h}">${rows}</svg></figure>`;
}

function fingerprintRows(fp: Fingerprint): string {
  const rows: [string, string][] = [
    ['Product', `${fp.product}${fp.version ? ` ${fp.version}` : ''}`],
    ['redis_version', fp.redisVersion ?? '-'],
    ['OS / arch', `${fp.os ?? '-'} / ${fp.archBits ?? '-'} bits`],
    ['Mode / role', `${fp.mode ?? '-'} / ${fp.role ?? '-'}${fp.master ? ` of ${fp.master.host}:${fp.master.port}` : ''}`],
    ['Uptime', fp.uptimeSeconds !== null ? `${fp.uptimeSeconds} s` : '-'],
    ['Memory used / max', `${fp.usedMemory ?? '-'} / ${fp.maxmemory ?? '-'} bytes`],
    ['Clients', String(fp.connectedClients ?? '-')],
    ['Persistence', `AOF ${fp.persistence.aofEnabled === null ? '?' : fp.persistence.aofEnabled ? 'on' : 'off'}, changes since last save ${fp.persistence.rdbChangesSinceLastSave ?? '?'}`],
    ['Modules', fp.modules.length > 0 ? fp.modules.map((m) => `${m.name} ${m.version}`).join(', ') : 'none'],
    ['Packaging', fp.packaging.distribution ? `${fp.packaging.distribution}: ${fp.packaging.evidence.join('; ')}` : 'no distribution signs'],
  ];
  return rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
}

function endpointDetail(r: EndpointResult): string {
  const findings = r.findings
    .map(
      (f) =>
        `<tr class="finding sev-${f.severity}"><td><span class="sev" style="background:${SEVERITY_COLOR[f.severity]}">${f.severity}</span></td>` +
        `<td>${escapeHtml(f.id)}${f.cve ? `<br><small>${escapeHtml(f.cve)}</small>` : ''}</td><td>${escapeHtml(f.title)}<br><small>${escapeHtml(f.evidence)}</small></td><td>${escapeHtml(f.fix)}</td></tr>`,
    )
    .join('');
  return (
    `<details class="endpoint" data-target="${escapeHtml(r.target)}" data-state="${r.state}"${r.findings.some((f) => f.severity === 'critical' || f.severity === 'high') ? ' open' : ''}>` +
    `<summary><code>${escapeHtml(r.target)}</code> <span class="state" style="background:${STATE_COLOR[r.state] ?? '#666'}">${r.state}</span> ${escapeHtml(r.product ? `${r.product} ${r.version ?? ''}` : '')} — ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}</summary>` +
    `<p>${escapeHtml(r.reason)}</p>` +
    (r.authentication.sent ? `<p class="auth">Credentials sent (${escapeHtml(r.authentication.channel ?? '?')})${r.authentication.accepted === false ? ', refused' : ''}.</p>` : '') +
    (r.authentication.withheld !== null ? `<p class="auth">${escapeHtml(r.authentication.withheld)}</p>` : '') +
    (r.fingerprint ? `<table class="kv">${fingerprintRows(r.fingerprint)}</table>` : '') +
    (findings ? `<table class="findings"><thead><tr><th>Severity</th><th>Id</th><th>Finding</th><th>Fix</th></tr></thead><tbody>${findings}</tbody></table>` : '') +
    (r.notes.length > 0 ? `<ul class="notes">${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '') +
    `</details>`
  );
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#212529;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #dee2e6}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}
svg text{font-size:12px;fill:#212529}
table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{border:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top}
table.kv th{width:200px;background:#f8f9fa}
.sev,.state{color:#fff;border-radius:3px;padding:1px 6px;font-size:.85em;white-space:nowrap}
details.endpoint{border:1px solid #dee2e6;border-radius:4px;margin:.5em 0;padding:.4em .8em}
summary{cursor:pointer}small{color:#495057}.notes{color:#495057}
`;

function credentialsText(results: readonly EndpointResult[]): string {
  const c = credentialsSummary(results);
  const sent = c.sentTo.length > 0 ? `Credentials were sent to ${c.sentTo.map((x) => `${escapeHtml(x.target)} (${escapeHtml(x.channel ?? '?')})`).join(', ')}.` : 'Credentials were sent to no endpoint.';
  return c.withheldFrom > 0 ? `${sent} They were withheld from ${c.withheldFrom} endpoint${c.withheldFrom === 1 ? '' : 's'} that asked for them.` : sent;
}

export function renderHtml(results: readonly EndpointResult[], generatedAt: Date): string {
  const s = summarize(results);
  const states = barChart('chart-states', 'State distribution', STATES.filter((st) => s.states[st] > 0).map((st) => ({ label: st, value: s.states[st], color: STATE_COLOR[st] ?? '#666' })));
  const versions = new Map<string, number>();
  for (const r of results) if (r.product !== null) versions.set(`${r.product} ${r.version ?? '?'}`, (versions.get(`${r.product} ${r.version ?? '?'}`) ?? 0) + 1);
  const versionChart = barChart('chart-versions', 'Versions', [...versions].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([label, value]) => ({ label, value, color: '#495057' })));
  const severity = barChart('chart-severity', 'Findings by severity', SEVERITIES.map((sev) => ({ label: sev, value: s.findings[sev], color: SEVERITY_COLOR[sev] })));
  const rows = results
    .map((r) => `<tr><td><code>${escapeHtml(r.target)}</code></td><td>${r.state}</td><td>${escapeHtml(r.product ? `${r.product} ${r.version ?? ''}` : '-')}</td><td>${r.findings.length}</td></tr>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Redoubt audit report</title><style>${CSS}</style></head>
<body>
<h1>Redoubt audit report</h1>
<p id="summary">${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'} audited on ${escapeHtml(generatedAt.toISOString())} by redoubt ${escapeHtml(VERSION)}; ${SEVERITIES.map((sev) => `${s.findings[sev]} ${sev}`).join(', ')} findings.</p>
<p id="credentials">${credentialsText(results)}</p>
<h2>Overview</h2>
<div class="charts">${states}${versionChart}${severity}</div>
<h2>Endpoints</h2>
<table id="endpoints"><thead><tr><th>Target</th><th>State</th><th>Product</th><th>Findings</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Details</h2>
${results.map(endpointDetail).join('\n')}
</body></html>
`;
}
