// COMMAND DOCS for the commands of ../module.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'server', complexity });

export const moduleDocs: DocsTable = {
  module: doc('Container for the module subcommands.', '4.0.0', 'Depends on subcommand.'),
  'module|unload': { ...doc('Unloads a module.', '4.0.0'), arguments: [{ name: 'name', type: 'string' }] },
  'module|help': doc('Describes the MODULE subcommands.', '5.0.0'),
  'module|load': {
    ...doc('Loads a module from a shared library.', '4.0.0'),
    arguments: [
      { name: 'path', type: 'string' },
      { name: 'arg', type: 'string', optional: true, multiple: true },
    ],
  },
  'module|loadex': {
    ...doc('Loads a module with configuration values and arguments.', '7.0.0'),
    arguments: [
      { name: 'path', type: 'string' },
      {
        name: 'configs', type: 'block', token: 'CONFIG', optional: true, multiple: true, multipleToken: true,
        arguments: [
          { name: 'name', type: 'string' },
          { name: 'value', type: 'string' },
        ],
      },
      { name: 'args', type: 'block', token: 'ARGS', optional: true, multiple: true, arguments: [{ name: 'arg', type: 'string' }] },
    ],
  },
  'module|list': doc('Lists the loaded modules.', '4.0.0', 'O(N) where N is the number of loaded modules.'),
};
