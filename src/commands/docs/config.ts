// COMMAND DOCS for the commands of ../config.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

export const configDocs: DocsTable = {
  config: { summary: 'Container for the configuration subcommands.', since: '2.0.0', group: 'server', complexity: 'Depends on subcommand.' },
  'config|get': {
    summary: 'Returns the values of the parameters whose names match the patterns.',
    since: '2.0.0',
    group: 'server',
    complexity: 'O(N) when N is the number of configuration parameters provided',
    history: [['7.0.0', 'Several patterns may be given at once.']],
    arguments: [{ name: 'parameter', type: 'block', multiple: true, arguments: [{ name: 'parameter', type: 'string' }] }],
  },
  'config|set': {
    summary: 'Sets parameters to new values, all or none.',
    since: '2.0.0',
    group: 'server',
    complexity: 'O(N) when N is the number of configuration parameters provided',
    history: [['7.0.0', 'Several parameters may be set at once.']],
    arguments: [
      {
        name: 'parameter_value',
        type: 'block',
        multiple: true,
        arguments: [
          { name: 'parameter', type: 'string' },
          { name: 'value', type: 'string' },
        ],
      },
    ],
  },
  'config|resetstat': { summary: 'Resets the statistics INFO reports.', since: '2.0.0', group: 'server', complexity: 'O(1)' },
  'config|rewrite': { summary: 'Writes the running configuration back to the config file.', since: '2.8.0', group: 'server', complexity: 'O(1)' },
  'config|help': { summary: 'Describes the CONFIG subcommands.', since: '5.0.0', group: 'server', complexity: 'O(1)' },
};
