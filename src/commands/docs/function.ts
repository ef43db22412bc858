// COMMAND DOCS for the commands of ../function.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

// --- table ---

const doc = (summary: string, complexity: string) => ({ summary, since: '7.0.0', group: 'scripting', complexity });
const fcallArgs = [
  { name: 'function', type: 'string' },
  { name: 'numkeys', type: 'integer' },
  { name: 'key', type: 'key', keySpecIndex: 0, optional: true, multiple: true },
  { name: 'arg', type: 'string', optional: true, multiple: true },
] as const;
const DEPENDS = 'Depends on the function that is executed.';

export const functionDocs: DocsTable = {
  fcall: { ...doc('Calls a function loaded with FUNCTION LOAD.', DEPENDS), arguments: fcallArgs },
  fcall_ro: { ...doc('Calls a function that declares no-writes.', DEPENDS), arguments: fcallArgs },
  function: doc('Container for the function library subcommands.', 'Depends on subcommand.'),
  'function|load': {
    ...doc('Creates a library from its code, or replaces it with REPLACE.', 'O(1), not counting the time the code takes to load.'),
    arguments: [
      { name: 'replace', type: 'pure-token', token: 'REPLACE', optional: true },
      { name: 'function-code', type: 'string' },
    ],
  },
  'function|delete': { ...doc('Removes a library and its functions.', 'O(1)'), arguments: [{ name: 'library-name', type: 'string' }] },
  'function|flush': {
    ...doc('Removes every library.', 'O(N) for N functions.'),
    arguments: [
      {
        name: 'async', type: 'oneof', optional: true,
        arguments: [{ name: 'async', type: 'pure-token', token: 'ASYNC' }, { name: 'sync', type: 'pure-token', token: 'SYNC' }],
      },
    ],
  },
  'function|list': {
    ...doc('Describes the loaded libraries and their functions.', 'O(N) for N functions.'),
    arguments: [
      { name: 'library-name-pattern', type: 'string', token: 'LIBRARYNAME', optional: true },
      { name: 'withcode', type: 'pure-token', token: 'WITHCODE', optional: true },
    ],
  },
  'function|dump': doc('Serializes every library into one payload for FUNCTION RESTORE.', 'O(N) for N functions.'),
  'function|restore': {
    ...doc('Loads the libraries of a FUNCTION DUMP payload.', 'O(N) for N functions in the payload.'),
    arguments: [
      { name: 'serialized-value', type: 'string' },
      {
        name: 'policy', type: 'oneof', optional: true,
        arguments: [
          { name: 'flush', type: 'pure-token', token: 'FLUSH' },
          { name: 'append', type: 'pure-token', token: 'APPEND' },
          { name: 'replace', type: 'pure-token', token: 'REPLACE' },
        ],
      },
    ],
  },
  'function|stats': doc('Tells which function is running, and how many libraries and functions each engine holds.', 'O(1)'),
  'function|kill': doc('Stops the function that is running, if it has not written.', 'O(1)'),
  'function|help': doc('Lists the FUNCTION subcommands.', 'O(1)'),
};
