// COMMAND DOCS for the commands of ../transaction.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'transactions', complexity });

export const transactionDocs: DocsTable = {
  multi: doc('Starts a transaction: later commands are queued until EXEC.', '1.2.0', 'O(1)'),
  exec: doc('Runs every command queued since MULTI, as one atomic step.', '1.2.0', 'Depends on the queued commands'),
  discard: doc('Drops the commands queued since MULTI and ends the transaction.', '2.0.0', 'O(N), N being the number of queued commands'),
  watch: {
    ...doc('Makes the next EXEC fail if any of these keys changes first.', '2.2.0', 'O(1) for every key.'),
    arguments: [{ name: 'key', type: 'key', keySpecIndex: 0, multiple: true }],
  },
  unwatch: doc('Forgets every key under WATCH.', '2.2.0', 'O(1)'),
};
