// COMMAND DOCS for the commands of ../set.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

// --- table ---

const doc = (summary: string, since: string, complexity: string, history?: readonly (readonly [string, string])[]) =>
  history === undefined
    ? { summary, since, group: 'set', complexity }
    : { summary, since, group: 'set', complexity, history };
const interCost = 'O(N*M) worst case, N the size of the smallest set and M the number of sets.';
const unionCost = 'O(N), N the total number of members in all the given sets.';

export const setDocs: DocsTable = {
  sadd: doc('Adds members to a set, creating it if needed.', '1.0.0', 'O(1) per member added.', [['2.4.0', 'Accepts multiple `member` arguments.']]),
  srem: doc('Removes members from a set, deleting it when emptied.', '1.0.0', 'O(N), N the number of members to remove.', [['2.4.0', 'Accepts multiple `member` arguments.']]),
  smembers: doc('Lists every member of a set.', '1.0.0', 'O(N), N the size of the set.'),
  sismember: doc('Tells whether a value is a member of a set.', '1.0.0', 'O(1)'),
  smismember: doc('Tells, for each of several values, whether it is a member of a set.', '6.2.0', 'O(N), N the number of values checked.'),
  scard: doc('Counts the members of a set.', '1.0.0', 'O(1)'),
  spop: doc('Removes and returns random members of a set.', '1.0.0', 'O(1) without a count, else O(N) for a count of N.', [['3.2.0', 'Added the `count` argument.']]),
  srandmember: doc('Returns random members of a set without removing them.', '1.0.0', 'O(1) without a count, else O(N) for a count of N or -N.', [['2.6.0', 'Added the optional `count` argument.']]),
  smove: doc('Moves a member from one set to another.', '1.0.0', 'O(1)'),
  sinter: doc('Returns the intersection of sets.', '1.0.0', interCost),
  sintercard: doc('Counts the members of the intersection of sets, optionally up to a limit.', '7.0.0', interCost),
  sunion: doc('Returns the union of sets.', '1.0.0', unionCost),
  sdiff: doc('Returns the members of the first set that no other given set holds.', '1.0.0', unionCost),
  sinterstore: doc('Stores the intersection of sets in a key.', '1.0.0', interCost),
  sunionstore: doc('Stores the union of sets in a key.', '1.0.0', unionCost),
  sdiffstore: doc('Stores the difference of sets in a key.', '1.0.0', unionCost),
  sscan: doc('Walks the members of a set a few at a time with a cursor.', '2.8.0', 'O(1) per call, O(N) for a full iteration.'),
};
