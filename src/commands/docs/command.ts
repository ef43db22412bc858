// COMMAND DOCS for the commands of ../command.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'server', complexity });

export const commandDocs: DocsTable = {
  command: doc('Describes every command the server has.', '2.8.13', 'O(N) where N is the total number of Redis commands'),
  'command|count': doc('Returns how many commands the server has.', '2.8.13', 'O(1)'),
  'command|info': { ...doc('Describes the given commands, or all of them.', '2.8.13', 'O(N) where N is the number of commands to look up'),
    history: [['7.0.0', 'Without arguments, describes every command.']],
    arguments: [{ name: 'command-name', type: 'string', optional: true, multiple: true }] },
  'command|docs': { ...doc('Returns the documentation of the given commands, or of all.', '7.0.0', 'O(N) where N is the number of commands to look up'),
    arguments: [{ name: 'command-name', type: 'string', optional: true, multiple: true }] },
  'command|list': { ...doc('Lists command names, optionally filtered.', '7.0.0', 'O(N) where N is the total number of Redis commands'),
    arguments: [
      { name: 'filterby', type: 'oneof', token: 'FILTERBY', optional: true, arguments: [
        { name: 'module-name', type: 'string', token: 'MODULE' },
        { name: 'category', type: 'string', token: 'ACLCAT' },
        { name: 'pattern', type: 'pattern', token: 'PATTERN' },
      ] },
    ] },
  'command|getkeys': { ...doc('Finds the key arguments of a full command line.', '2.8.13', 'O(N) where N is the number of arguments to the command')
  },
  'command|getkeysandflags': { ...doc('Finds the key arguments of a full command line with their access flags.', '7.0.0', 'O(N) where N is the number of arguments to the command')
  },
  'command|help': doc('Lists the COMMAND subcommands.', '5.0.0', 'O(1)'),
};
