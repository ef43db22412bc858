// Every hardening check, in report order, and the runner that turns their results into findings.

import type { Facts } from '../facts.js';
import type { Finding } from '../findings.js';
import type { Check } from './check.js';
import { unauthenticatedAccess } from './unauthenticated-access.js';
import { protectedModeOff } from './protected-mode-off.js';
import { bindAllInterfaces } from './bind-all-interfaces.js';
import { defaultUserNopass } from './default-user-nopass.js';
import { unrestrictedUsers } from './unrestricted-users.js';
import { dangerousCommands } from './dangerous-commands.js';
import { fileWriteTarget } from './file-write-target.js';
import { replicationMaster } from './replication-master.js';
import { loadedModules } from './loaded-modules.js';
import { defaultScripting } from './default-scripting.js';
import { noTls } from './no-tls.js';
import { timeoutZero } from './timeout-zero.js';
import { noMaxmemory } from './no-maxmemory.js';
import { unlimitedOutputBuffers } from './unlimited-output-buffers.js';
import { suspiciousKeys } from './suspicious-keys.js';

export const CHECKS: readonly Check[] = [
  unauthenticatedAccess,
  suspiciousKeys,
  fileWriteTarget,
  protectedModeOff,
  bindAllInterfaces,
  defaultUserNopass,
  defaultScripting,
  unrestrictedUsers,
  dangerousCommands,
  replicationMaster,
  loadedModules,
  unlimitedOutputBuffers,
  noTls,
  timeoutZero,
  noMaxmemory,
];

export function runChecks(facts: Facts): Finding[] {
  const out: Finding[] = [];
  for (const c of CHECKS) {
    const r = c.run(facts);
    if (r === null) continue;
    out.push({ id: c.id, severity: r.severity ?? c.severity, cve: null, title: c.title, evidence: r.evidence, fix: c.fix, confidence: 'confirmed', link: null });
  }
  return out;
}
