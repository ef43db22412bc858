// COMMAND DOCS for the commands of ../debug.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

export const debugDocs: DocsTable = {
  debug: {
    summary: 'Testing and diagnostics subcommands.',
    since: '1.0.0',
    group: 'server',
    complexity: 'Depends on subcommand.',
    docFlags: ['syscmd'],
  },
};
