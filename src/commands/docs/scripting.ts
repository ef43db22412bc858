// COMMAND DOCS for the commands of ../scripting.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

// --- table ---

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'scripting', complexity });
const DEPENDS = 'Depends on the script that is executed.';
const evalArgs = (first: 'script' | 'sha1') =>
  [
    { name: first, type: 'string' },
    { name: 'numkeys', type: 'integer' },
    { name: 'key', type: 'key', keySpecIndex: 0, optional: true, multiple: true },
    { name: 'arg', type: 'string', optional: true, multiple: true },
  ] as const;

export const scriptingDocs: DocsTable = {
  eval: { ...doc('Runs a Lua script on the server.', '2.6.0', DEPENDS), arguments: evalArgs('script') },
  evalsha: { ...doc('Runs a cached Lua script, named by its SHA1 digest.', '2.6.0', DEPENDS), arguments: evalArgs('sha1') },
  eval_ro: { ...doc('Runs a Lua script that may not write.', '7.0.0', DEPENDS), arguments: evalArgs('script') },
  evalsha_ro: { ...doc('Runs a cached Lua script that may not write, named by its SHA1 digest.', '7.0.0', DEPENDS), arguments: evalArgs('sha1') },
  script: doc('Container for the Lua script cache subcommands.', '2.6.0', 'Depends on subcommand.'),
  'script|help': doc('Lists the SCRIPT subcommands.', '5.0.0', 'O(1)'),
  'script|flush': {
    ...doc('Empties the script cache.', '2.6.0', 'O(N) for N cached scripts.'),
    history: [['6.2.0', 'Takes the `ASYNC` and `SYNC` modifiers.']],
    arguments: [
      {
        name: 'async', type: 'oneof', optional: true, since: '6.2.0',
        arguments: [{ name: 'async', type: 'pure-token', token: 'ASYNC' }, { name: 'sync', type: 'pure-token', token: 'SYNC' }],
      },
    ],
  },
  'script|exists': { ...doc('Tells, for each SHA1 digest, whether the script is cached.', '2.6.0', 'O(N) for N digests.'), arguments: [{ name: 'sha1', type: 'string', multiple: true }] },
  'script|debug': {
    ...doc('Sets the debugging mode of the scripts that follow.', '3.2.0', 'O(1)'),
    arguments: [{ name: 'mode', type: 'oneof', arguments: [{ name: 'yes', type: 'pure-token', token: 'YES' }, { name: 'sync', type: 'pure-token', token: 'SYNC' }, { name: 'no', type: 'pure-token', token: 'NO' }] }],
  },
  'script|kill': doc('Stops the script that is running, if it has not written.', '2.6.0', 'O(1)'),
  'script|load': { ...doc('Caches a Lua script without running it and returns its SHA1 digest.', '2.6.0', 'O(N) with N the length of the script in bytes.'), arguments: [{ name: 'script', type: 'string' }] },
};
