// Users allowed every command on every key: one leaked password gives full control, including
// CONFIG, MODULE, DEBUG and scripting. Applications rarely need more than a few categories.

import type { Check } from './check.js';

export const unrestrictedUsers: Check = {
  id: 'unrestricted-users',
  severity: 'medium',
  title: 'Users with all commands on all keys',
  fix: 'Give application users only the categories and key patterns they need (e.g. ACL SETUSER app -@all +@read +@write -@dangerous ~app:*)',
  run: (f) => {
    const all = f.users?.filter((u) => u.enabled && u.allCommands && u.allKeys) ?? [];
    return all.length > 0 ? { evidence: `enabled users with +@all and ~*: ${all.map((u) => u.name).join(', ')}` } : null;
  },
};
