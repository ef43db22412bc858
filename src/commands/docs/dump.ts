// COMMAND DOCS for the commands of ../dump.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'generic', complexity });

export const dumpDocs: DocsTable = {
  dump: {
    ...doc('Serializes the value at a key in the format RESTORE reads.', '2.6.0',
      'O(1) to find the key, plus O(N*M) to serialize N nested values of average size M.'),
    arguments: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  restore: {
    ...doc('Creates a key from a payload DUMP produced.', '2.6.0',
      'O(1) to create the key, plus O(N*M) to rebuild N nested values of average size M; O(N*M*log(N)) for sorted sets.'),
    history: [
      ['3.0.0', 'Added the `REPLACE` modifier.'],
      ['5.0.0', 'Added the `ABSTTL` modifier.'],
      ['5.0.0', 'Added the `IDLETIME` and `FREQ` options.'],
    ],
    arguments: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'ttl', type: 'integer' },
      { name: 'serialized-value', type: 'string' },
      { name: 'replace', type: 'pure-token', token: 'REPLACE', since: '3.0.0', optional: true },
      { name: 'absttl', type: 'pure-token', token: 'ABSTTL', since: '5.0.0', optional: true },
      { name: 'seconds', type: 'integer', token: 'IDLETIME', since: '5.0.0', optional: true },
      { name: 'frequency', type: 'integer', token: 'FREQ', since: '5.0.0', optional: true },
    ],
  },
  'restore-asking': {
    ...doc('Creates a key from a DUMP payload, also in a slot being imported (what MIGRATE sends in cluster mode).', '3.0.0',
      'O(1) to create the key, plus O(N*M) to rebuild N nested values of average size M; O(N*M*log(N)) for sorted sets.'),
    group: 'server',
    docFlags: ['syscmd'],
    history: [
      ['3.0.0', 'Added the `REPLACE` modifier.'],
      ['5.0.0', 'Added the `ABSTTL` modifier.'],
      ['5.0.0', 'Added the `IDLETIME` and `FREQ` options.'],
    ],
    arguments: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'ttl', type: 'integer' },
      { name: 'serialized-value', type: 'string' },
      { name: 'replace', type: 'pure-token', token: 'REPLACE', since: '3.0.0', optional: true },
      { name: 'absttl', type: 'pure-token', token: 'ABSTTL', since: '5.0.0', optional: true },
      { name: 'seconds', type: 'integer', token: 'IDLETIME', since: '5.0.0', optional: true },
      { name: 'frequency', type: 'integer', token: 'FREQ', since: '5.0.0', optional: true },
    ],
  },
};
