// EVAL reachable by the default user: with no password, anyone can run Lua, the entry point of
// CVE-2025-49844 and the other Lua sandbox escapes.

import type { Check } from './check.js';

export const defaultScripting: Check = {
  id: 'default-user-scripting',
  severity: 'high',
  title: 'The default user can run Lua scripts',
  fix: 'Take scripting from the default user (ACL SETUSER default -@scripting) or give it a password; grant +@scripting only to users that need it',
  run: (f) => {
    const def = f.users?.find((u) => u.name === 'default');
    if (def) {
      if (!def.enabled || !def.scripting) return null;
      return def.nopass
        ? { evidence: `the default user has no password and may run EVAL: ${def.rules}` }
        : { evidence: `the default user may run EVAL: ${def.rules}`, severity: 'low' };
    }
    if (f.state === 'open' && f.evalExists === true) return { evidence: 'EVAL exists and the server runs commands without credentials' };
    return null;
  },
};
