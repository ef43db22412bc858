// A finding: one thing wrong with one endpoint, with its severity, the evidence seen on the wire,
// and how to fix it. Checks, the CVE table and the state itself all produce findings.

import { SEVERITIES, severityRank, type Severity } from '../hardening/checks.js';

export { SEVERITIES, severityRank, type Severity };

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/**
 * How sure the finding is: `confirmed` from configuration or behaviour, `version` from a version
 * number alone (a distribution may have backported the fix), `possible` from a weaker fingerprint.
 */
type Confidence = 'confirmed' | 'version' | 'possible';

export interface Finding {
  readonly id: string;
  readonly severity: Severity;
  readonly cve: string | null;
  readonly title: string;
  readonly evidence: string;
  readonly fix: string;
  readonly confidence: Confidence;
  readonly link: string | null;
}

export function sortFindings(list: Finding[]): Finding[] {
  return list.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id));
}
