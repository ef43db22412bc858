// The --json document: a stable, versioned schema (documented in docs/audit.md). Fields are only
// ever added; `schema` changes if one is removed or changes meaning.

import { STATES, type State } from './classify.js';
import { SEVERITIES, type Severity } from './findings.js';
import type { EndpointResult } from './scanner.js';
import { VERSION } from '../version.js';

const SCHEMA = 'redoubt-audit/1';

export interface Summary {
  readonly endpoints: number;
  readonly states: Record<State, number>;
  readonly findings: Record<Severity, number>;
}

export function summarize(results: readonly EndpointResult[]): Summary {
  const states = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<State, number>;
  const findings = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const r of results) {
    states[r.state]++;
    for (const f of r.findings) findings[f.severity]++;
  }
  return { endpoints: results.length, states, findings };
}

/** Where credentials were sent (and over what), and how many endpoints that asked for them got none. */
export function credentialsSummary(results: readonly EndpointResult[]): { sentTo: { target: string; channel: string | null; accepted: boolean | null }[]; withheldFrom: number } {
  return {
    sentTo: results.filter((r) => r.authentication.sent).map((r) => ({ target: r.target, channel: r.authentication.channel, accepted: r.authentication.accepted })),
    withheldFrom: results.filter((r) => r.authentication.withheld !== null).length,
  };
}

export function toJson(results: readonly EndpointResult[], generatedAt: Date): object {
  return {
    schema: SCHEMA,
    generator: `redoubt ${VERSION}`,
    generatedAt: generatedAt.toISOString(),
    summary: summarize(results),
    credentials: credentialsSummary(results),
    endpoints: results.map((r) => ({
      target: r.target,
      host: r.host,
      port: r.port,
      tls: r.tls,
      state: r.state,
      reason: r.reason,
      product: r.product,
      version: r.version,
      authenticatedAs: r.authenticatedAs,
      authentication: r.authentication,
      fingerprint: r.fingerprint,
      findings: r.findings.map((f) => ({ id: f.id, severity: f.severity, cve: f.cve, title: f.title, evidence: f.evidence, fix: f.fix, confidence: f.confidence, link: f.link })),
      notes: r.notes,
      durationMs: r.durationMs,
    })),
  };
}
