// client-output-buffer-limit 0 0 0 for pub/sub or replica clients: a subscriber or replica that
// stops reading makes the server buffer without bound.

import { configValue, type Check } from './check.js';

export const unlimitedOutputBuffers: Check = {
  id: 'unlimited-output-buffers',
  severity: 'medium',
  title: 'Unlimited output buffers',
  fix: 'Restore limits, e.g. client-output-buffer-limit "replica 256mb 64mb 60 pubsub 32mb 8mb 60"',
  run: (f) => {
    const v = configValue(f, 'client-output-buffer-limit');
    if (v === undefined) return null;
    const words = v.split(' ');
    const unlimited: string[] = [];
    for (let i = 0; i + 3 < words.length; i += 4) {
      const cls = words[i]!;
      if (cls === 'normal') continue; // Redis's own default; normal clients only get what they ask for.
      if (words[i + 1] === '0' && words[i + 2] === '0') unlimited.push(cls === 'slave' ? 'replica' : cls);
    }
    return unlimited.length > 0 ? { evidence: `no hard or soft limit for ${unlimited.join(', ')} clients (client-output-buffer-limit ${v})` } : null;
  },
};
