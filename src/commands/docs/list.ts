// COMMAND DOCS for the commands of ../list.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const perElement = 'O(1) per element pushed, so O(N) for N elements.';
const doc = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'list', complexity });

export const listDocs: DocsTable = {
  lpush: { ...doc('Adds elements to the head of a list, creating it when missing.', '1.0.0', perElement), history: [['2.4.0', 'Takes several `element` arguments.']] },
  rpush: { ...doc('Adds elements to the tail of a list, creating it when missing.', '1.0.0', perElement), history: [['2.4.0', 'Takes several `element` arguments.']] },
  lpushx: { ...doc('Adds elements to the head of a list only when the list exists.', '2.2.0', perElement), history: [['4.0.0', 'Takes several `element` arguments.']] },
  rpushx: { ...doc('Adds elements to the tail of a list only when the list exists.', '2.2.0', perElement), history: [['4.0.0', 'Takes several `element` arguments.']] },
  lpop: { ...doc('Removes and returns elements from the head of a list.', '1.0.0', 'O(N) where N is the number of elements popped.'), history: [['6.2.0', 'Takes a `count` argument.']] },
  rpop: { ...doc('Removes and returns elements from the tail of a list.', '1.0.0', 'O(N) where N is the number of elements popped.'), history: [['6.2.0', 'Takes a `count` argument.']] },
  llen: doc('Returns the length of a list.', '1.0.0'),
  lrange: doc('Returns a range of elements of a list.', '1.0.0', 'O(N) where N is the number of elements returned (any offset is reached in O(1)).'),
  lindex: doc('Returns the element of a list at an index.', '1.0.0'),
  lset: doc('Replaces the element of a list at an index.', '1.0.0'),
  linsert: doc('Inserts an element before or after the first occurrence of a pivot element.', '2.2.0', 'O(N) where N is the number of elements before the pivot.'),
  lrem: doc('Removes occurrences of an element from a list.', '1.0.0', 'O(N) where N is the length of the list.'),
  ltrim: doc('Keeps only a range of elements of a list.', '1.0.0', 'O(N) where N is the smaller of the elements removed and kept.'),
  lpos: doc('Returns the indexes of the elements of a list equal to a value.', '6.0.6', 'O(N) where N is the number of elements compared (bounded by MAXLEN).'),
  lmove: doc('Pops an element from one end of a list and pushes it onto an end of another.', '6.2.0'),
  rpoplpush: { ...doc('Pops the tail element of a list and pushes it onto the head of another.', '1.2.0'), docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`LMOVE` with the `RIGHT` and `LEFT` arguments' },
  lmpop: doc('Pops elements from the first non-empty list of several.', '7.0.0', 'O(N+M) where N is the number of keys given and M the number of elements popped.'),
};
