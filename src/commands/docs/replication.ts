// COMMAND DOCS for the commands of ../replication.ts, keyed by command name.

import type { ArgDoc, DocsTable } from '../spec.js';

const primaryArgs: readonly ArgDoc[] = [
  {
    name: 'args',
    type: 'oneof',
    arguments: [
      { name: 'host-port', type: 'block', arguments: [{ name: 'host', type: 'string' }, { name: 'port', type: 'integer' }] },
      { name: 'no-one', type: 'block', arguments: [{ name: 'no', type: 'pure-token', token: 'NO' }, { name: 'one', type: 'pure-token', token: 'ONE' }] },
    ],
  },
];

export const replicationDocs: DocsTable = {
  sync: { summary: 'Internal command used for replication', since: '1.0.0', group: 'server' },
  psync: {
    summary: 'Internal command used for replication',
    since: '2.8.0',
    group: 'server',
    arguments: [
      { name: 'replicationid', type: 'string' },
      { name: 'offset', type: 'integer' },
    ],
  },
  replconf: { summary: 'An internal command for configuring the replication stream', since: '3.0.0', group: 'server', complexity: 'O(1)', docFlags: ['syscmd'] },
  role: { summary: 'Return the role of the instance in the context of replication', since: '2.8.12', group: 'server', complexity: 'O(1)' },
  wait: {
    summary: 'Wait for the synchronous replication of all the write commands sent in the context of the current connection',
    since: '3.0.0',
    group: 'generic',
    complexity: 'O(1)',
    arguments: [
      { name: 'numreplicas', type: 'integer' },
      { name: 'timeout', type: 'integer' },
    ],
  },
  failover: {
    summary: 'Start a coordinated failover between this server and one of its replicas.',
    since: '6.2.0',
    group: 'server',
    complexity: 'O(1)',
    arguments: [
      {
        name: 'target',
        type: 'block',
        token: 'TO',
        optional: true,
        arguments: [
          { name: 'host', type: 'string' },
          { name: 'port', type: 'integer' },
          { name: 'force', type: 'pure-token', token: 'FORCE', optional: true },
        ],
      },
      { name: 'abort', type: 'pure-token', token: 'ABORT', optional: true },
      { name: 'milliseconds', type: 'integer', token: 'TIMEOUT', optional: true },
    ],
  },
  replicaof: { summary: 'Make the server a replica of another instance, or promote it as master.', since: '5.0.0', group: 'server', complexity: 'O(1)', arguments: primaryArgs },
  slaveof: {
    summary: 'Make the server a replica of another instance, or promote it as master.',
    since: '1.0.0',
    group: 'server',
    complexity: 'O(1)',
    docFlags: ['deprecated'],
    deprecatedSince: '5.0.0',
    replacedBy: '`REPLICAOF`',
    arguments: primaryArgs,
  },
};
