// A replica of a master nobody expected: the rogue-master attack makes a server replicate from an
// attacker's host to receive a malicious module or overwrite the data.

import type { Check } from './check.js';

export const replicationMaster: Check = {
  id: 'unexpected-master',
  severity: 'high',
  title: 'Replicates from an unexpected master',
  fix: 'If this master is not yours: REPLICAOF NO ONE, then investigate (MODULE LIST, dir/dbfilename, new files). List known masters with --expect-master host:port',
  run: (f) => {
    const m = f.fingerprint?.master;
    if (!m) return null;
    const addr = m.host.includes(':') ? `[${m.host}]:${m.port}` : `${m.host}:${m.port}`;
    if (f.expectedMasters.includes(addr)) return null;
    return { evidence: `role ${f.fingerprint?.role ?? 'replica'}, master ${addr} (link ${m.linkStatus ?? 'unknown'})` };
  },
};
