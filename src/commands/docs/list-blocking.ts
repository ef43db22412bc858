// COMMAND DOCS for the commands of ../list-blocking.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'list', complexity });

export const listBlockingDocs: DocsTable = {
  blpop: {
    ...doc('Pops the first element of the first non-empty list, waiting for one if all are empty.', '2.0.0', 'O(N) where N is the number of provided keys.'),
    history: [['6.0.0', '`timeout` is a decimal number of seconds.']],
  },
  brpop: {
    ...doc('Pops the last element of the first non-empty list, waiting for one if all are empty.', '2.0.0', 'O(N) where N is the number of provided keys.'),
    history: [['6.0.0', '`timeout` is a decimal number of seconds.']],
  },
  blmove: doc('Moves an element between lists, waiting for the source to have one.', '6.2.0', 'O(1)'),
  brpoplpush: {
    ...doc('Moves the last element of a list to the head of another, waiting for one.', '2.2.0', 'O(1)'),
    history: [['6.0.0', '`timeout` is a decimal number of seconds.']],
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`BLMOVE` with the `RIGHT` and `LEFT` arguments',
  },
  blmpop: doc('Pops elements from the first non-empty list, waiting for one if all are empty.', '7.0.0', 'O(N+M) where N is the number of provided keys and M is the number of elements returned.'),
};
