// COMMAND DOCS for the commands of ../aof.ts, keyed by command name.

import type { DocsTable } from '../spec.js';

export const aofDocs: DocsTable = {
  bgrewriteaof: {
    summary: 'Asynchronously rewrites the append-only file to disk.',
    since: '1.0.0',
    group: 'server',
    complexity: 'O(1)',
  },
  waitaof: {
    summary: 'Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.',
    since: '7.2.0',
    group: 'generic',
    complexity: 'O(1)',
    arguments: [
      { name: 'numlocal', type: 'integer' },
      { name: 'numreplicas', type: 'integer' },
      { name: 'timeout', type: 'integer' },
    ],
  },
};
