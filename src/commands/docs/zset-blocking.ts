// COMMAND DOCS for the commands of ../zset-blocking.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'sorted-set', complexity });

export const zsetBlockingDocs: DocsTable = {
  bzpopmin: {
    ...doc('Pops the lowest-scored member of the first non-empty sorted set, waiting for one if all are empty.', '5.0.0', 'O(log(N)) with N being the number of elements in the sorted set.'),
    history: [['6.0.0', '`timeout` is a decimal number of seconds.']],
  },
  bzpopmax: {
    ...doc('Pops the highest-scored member of the first non-empty sorted set, waiting for one if all are empty.', '5.0.0', 'O(log(N)) with N being the number of elements in the sorted set.'),
    history: [['6.0.0', '`timeout` is a decimal number of seconds.']],
  },
  bzmpop: doc('Pops members from the first non-empty sorted set, waiting for one if all are empty.', '7.0.0', 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.'),
};
