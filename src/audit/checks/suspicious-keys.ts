// Key names that known attacks leave behind (a planted SSH key, cron payloads of cryptominers,
// ransom notes), found by a bounded SCAN of names only; values are never read.

import type { Check } from './check.js';

export const suspiciousKeys: Check = {
  id: 'attack-keys',
  severity: 'critical',
  title: 'Keys left by a known attack',
  fix: 'Treat the server as compromised: check dir/dbfilename, crontabs, authorized_keys and loaded modules, restore from a clean backup, then close the access path',
  run: (f) => {
    const keys = f.suspiciousKeys ?? [];
    if (keys.length === 0) return null;
    return { evidence: keys.slice(0, 10).map((k) => `db${k.db} "${k.key}": ${k.why}`).join('; ') + (keys.length > 10 ? `; and ${keys.length - 10} more` : '') };
  },
};
