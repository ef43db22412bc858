// DEBUG, MODULE LOAD and changes to protected configs (dir, dbfilename...) are the building blocks
// of the known takeovers. Redis 7.0 gates them (enable-*-command / enable-protected-configs);
// before 7.0 they are always on.

import { branchOf } from '../fingerprint.js';
import { parseVersion } from '../cves.js';
import { configValue, type Check } from './check.js';

const GATES = ['enable-debug-command', 'enable-module-command', 'enable-protected-configs'] as const;

export const dangerousCommands: Check = {
  id: 'dangerous-commands-enabled',
  severity: 'high',
  title: 'DEBUG, MODULE or protected configs are enabled',
  fix: 'Set enable-debug-command, enable-module-command and enable-protected-configs to no (the default) in the configuration file',
  run: (f) => {
    const fp = f.fingerprint;
    if (fp?.product === 'redis' && fp.version !== null) {
      const v = parseVersion(fp.version);
      if (v && v[0] < 7) return { evidence: `Redis ${branchOf(fp.version)} has no enable-*-command gates: DEBUG, MODULE LOAD and CONFIG SET dir are open to any user allowed to run them` };
    }
    const on = GATES.filter((g) => configValue(f, g) === 'yes');
    if (on.length > 0) return { evidence: on.map((g) => `${g} yes`).join(', ') };
    const local = GATES.filter((g) => configValue(f, g) === 'local');
    return local.length > 0 ? { evidence: `${local.map((g) => `${g} local`).join(', ')} (allowed from local connections only)`, severity: 'low' } : null;
  },
};
