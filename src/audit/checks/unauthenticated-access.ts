// The endpoint answered INFO to a client that sent no credentials: anyone who reaches it can read
// and write every key, and (unless commands were taken away) rewrite its files.

import type { Check } from './check.js';

export const unauthenticatedAccess: Check = {
  id: 'unauthenticated-access',
  severity: 'critical',
  title: 'Commands run without credentials',
  fix: 'Set a password for the default user (requirepass, or ACL SETUSER default on >secret) or disable it, and bind to private addresses only',
  run: (f) => (f.state === 'open' ? { evidence: 'INFO answered a client that never authenticated' } : null),
};
