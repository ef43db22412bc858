// The default user needs no password: every new connection is logged in as it. Protected mode
// only hides this from remote clients while it stays on.

import type { Check } from './check.js';

export const defaultUserNopass: Check = {
  id: 'default-user-nopass',
  severity: 'high',
  title: 'The default user has no password',
  fix: 'ACL SETUSER default on >long-random-secret (or requirepass), or ACL SETUSER default off and give clients named users',
  run: (f) => {
    if (f.defaultNopass !== true) return null;
    const user = f.users?.find((u) => u.name === 'default');
    if (user) return { evidence: `ACL LIST: ${user.rules}` };
    if (f.state === 'protected-mode') return { evidence: 'protected mode answered DENIED, which it does only while the default user has no password', severity: 'medium' };
    if (f.state === 'auth-required') return { evidence: 'INFO was refused with NOPERM to a client that never authenticated: the default user is logged in without a password' };
    return { evidence: 'INFO answered without credentials' };
  },
};
