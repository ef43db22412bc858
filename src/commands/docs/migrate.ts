// COMMAND DOCS for the commands of ../migrate.ts: summary, first version, complexity, history and
// arguments.

import type { DocsTable } from '../spec.js';

export const migrateDocs: DocsTable = {
  migrate: {
    summary: 'Moves keys to another instance, atomically for the caller.',
    since: '2.6.0',
    group: 'generic',
    complexity: 'A DUMP and DEL here and a RESTORE on the target (see those commands), plus an O(N) transfer between the two instances.',
    history: [['3.0.0', 'Added the `COPY` and `REPLACE` options.'], ['3.0.6', 'Added the `KEYS` option.'], ['4.0.7', 'Added the `AUTH` option.'], ['6.0.0', 'Added the `AUTH2` option.']],
    arguments: [
      { name: 'host', type: 'string' },
      { name: 'port', type: 'integer' },
      { name: 'key_or_empty_string', type: 'oneof', arguments: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'empty_string', type: 'pure-token', token: '' }] },
      { name: 'destination-db', type: 'integer' },
      { name: 'timeout', type: 'integer' },
      { name: 'copy', type: 'pure-token', token: 'COPY', optional: true, since: '3.0.0' },
      { name: 'replace', type: 'pure-token', token: 'REPLACE', optional: true, since: '3.0.0' },
      { name: 'authentication', type: 'oneof', optional: true, arguments: [{ name: 'password', type: 'string', token: 'AUTH', optional: true, since: '4.0.7' }, { name: 'username_password', type: 'block', token: 'AUTH2', optional: true, since: '6.0.0', arguments: [{ name: 'username', type: 'string' }, { name: 'password', type: 'string' }] }] },
      { name: 'key', type: 'key', keySpecIndex: 1, token: 'KEYS', optional: true, multiple: true, since: '3.0.6' },
    ],
  },
};
