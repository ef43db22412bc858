// The shape of a hardening check: an id, a default severity, what to do about it, and a function
// from the gathered facts to evidence (or null when the endpoint passes or the facts are missing).

import type { Facts } from '../facts.js';
import type { Severity } from '../findings.js';

export interface CheckResult {
  readonly evidence: string;
  /** Overrides the check's default severity for this endpoint. */
  readonly severity?: Severity;
}

export interface Check {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly fix: string;
  run(facts: Facts): CheckResult | null;
}

/** A Redis-or-compatible configuration value, or undefined when it was not read. */
export function configValue(f: Facts, name: string): string | undefined {
  return f.config?.get(name);
}
