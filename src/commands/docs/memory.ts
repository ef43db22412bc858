// COMMAND DOCS for the commands of ../memory.ts: summary, first version, complexity and arguments,
// keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

export const memoryDocs: DocsTable = {
  memory: { summary: 'Container for the memory diagnostics subcommands.', since: '4.0.0', group: 'server', complexity: 'Depends on subcommand.' },
  'memory|help': { summary: 'Lists the MEMORY subcommands.', since: '4.0.0', group: 'server', complexity: 'O(1)' },
  'memory|malloc-stats': {
    summary: "Reports the V8 heap's statistics, standing in for the allocator's.", since: '4.0.0', group: 'server',
    complexity: 'Depends on how much memory is allocated, could be slow',
  },
  'memory|doctor': { summary: 'Reports memory problems, if any.', since: '4.0.0', group: 'server', complexity: 'O(1)' },
  'memory|stats': { summary: 'Reports used_memory in its parts.', since: '4.0.0', group: 'server', complexity: 'O(1)' },
  'memory|purge': {
    summary: 'Runs a full garbage collection.', since: '4.0.0', group: 'server',
    complexity: 'Depends on how much memory is allocated, could be slow',
  },
  'memory|usage': {
    summary: 'Estimates the bytes a key and its value take.', since: '4.0.0', group: 'server', complexity: 'O(N) where N is the number of samples.',
    arguments: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer', token: 'SAMPLES', optional: true },
    ],
  },
};
