// COMMAND DOCS for the commands of ../zset.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const rangeCost = 'O(log(N)+M), N the size of the sorted set and M the number of entries returned.';
const removeCost = 'O(log(N)+M), N the size of the sorted set and M the number of entries removed.';
const unionCost = 'O(N)+O(M*log(M)), N the total size of the inputs and M the size of the result.';
const interCost = 'O(N*K)+O(M*log(M)) worst case, N the smallest input, K the number of inputs, M the size of the result.';
const diffCost = 'O(L+(N-K)log(N)) worst case, L the total size of the inputs, N the size of the first and K the size of the result.';
const popCost = 'O(log(N)*M), N the size of the sorted set and M the number of entries popped.';
const doc = (summary: string, since: string, complexity: string, history?: readonly (readonly [string, string])[]) =>
  history === undefined ? { summary, since, group: 'sorted-set', complexity } : { summary, since, group: 'sorted-set', complexity, history };
const deprecated = (replacedBy: string) => ({ docFlags: ['deprecated'] as const, deprecatedSince: '6.2.0', replacedBy });

export const zsetDocs: DocsTable = {
  zadd: doc('Adds members to a sorted set or updates their scores, creating the set if needed.', '1.2.0', 'O(log(N)) per member added or updated, N the size of the sorted set.', [
    ['2.4.0', 'Accepts multiple elements.'], ['3.0.2', 'Added the `XX`, `NX`, `CH` and `INCR` options.'], ['6.2.0', 'Added the `GT` and `LT` options.']]),
  zincrby: doc('Adds a number to the score of a member of a sorted set.', '1.2.0', 'O(log(N)), N the size of the sorted set.'),
  zrem: doc('Removes members from a sorted set, deleting it when emptied.', '1.2.0', 'O(M*log(N)), N the size of the sorted set and M the number of members removed.', [['2.4.0', 'Accepts multiple elements.']]),
  zcard: doc('Counts the members of a sorted set.', '1.2.0', 'O(1)'),
  zcount: doc('Counts the members of a sorted set whose scores lie in a range.', '2.0.0', 'O(log(N)), N the size of the sorted set.'),
  zlexcount: doc('Counts the members of a sorted set within a lexicographical range.', '2.8.9', 'O(log(N)), N the size of the sorted set.'),
  zscore: doc('Returns the score of a member of a sorted set.', '1.2.0', 'O(1)'),
  zmscore: doc('Returns the scores of several members of a sorted set.', '6.2.0', 'O(N), N the number of members asked for.'),
  zrank: doc('Returns the position of a member in a sorted set, lowest score first.', '2.0.0', 'O(log(N))', [['7.2.0', 'Added the optional `WITHSCORE` argument.']]),
  zrevrank: doc('Returns the position of a member in a sorted set, highest score first.', '2.0.0', 'O(log(N))', [['7.2.0', 'Added the optional `WITHSCORE` argument.']]),
  zrange: doc('Returns the members of a sorted set in a range of ranks, scores or strings.', '1.2.0', rangeCost, [['6.2.0', 'Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.']]),
  zrangestore: doc('Stores a range of a sorted set in another key.', '6.2.0', 'O(log(N)+M), N the size of the source and M the number of entries stored.'),
  zrangebyscore: { ...doc('Returns the members of a sorted set within a range of scores.', '1.0.5', rangeCost, [['2.0.0', 'Added the `WITHSCORES` modifier.']]), ...deprecated('`ZRANGE` with the `BYSCORE` argument') },
  zrevrangebyscore: { ...doc('Returns the members of a sorted set within a range of scores, highest first.', '2.2.0', rangeCost, [['2.1.6', '`min` and `max` can be exclusive.']]), ...deprecated('`ZRANGE` with the `REV` and `BYSCORE` arguments') },
  zrangebylex: { ...doc('Returns the members of a sorted set within a lexicographical range.', '2.8.9', rangeCost), ...deprecated('`ZRANGE` with the `BYLEX` argument') },
  zrevrangebylex: { ...doc('Returns the members of a sorted set within a lexicographical range, in reverse.', '2.8.9', rangeCost), ...deprecated('`ZRANGE` with the `REV` and `BYLEX` arguments') },
  zrevrange: { ...doc('Returns the members of a sorted set in a range of ranks, highest score first.', '1.2.0', rangeCost), ...deprecated('`ZRANGE` with the `REV` argument') },
  zremrangebyrank: doc('Removes the members of a sorted set in a range of ranks.', '2.0.0', removeCost),
  zremrangebyscore: doc('Removes the members of a sorted set within a range of scores.', '1.2.0', removeCost),
  zremrangebylex: doc('Removes the members of a sorted set within a lexicographical range.', '2.8.9', removeCost),
  zpopmin: doc('Removes and returns the members with the lowest scores.', '5.0.0', popCost),
  zpopmax: doc('Removes and returns the members with the highest scores.', '5.0.0', popCost),
  zmpop: doc('Pops the lowest or highest scoring members from the first non-empty of several sorted sets.', '7.0.0', 'O(K)+O(M*log(N)), K the number of keys, N the size of the set popped and M the number of entries popped.'),
  zunion: doc('Returns the union of sorted sets.', '6.2.0', unionCost),
  zinter: doc('Returns the intersection of sorted sets.', '6.2.0', interCost),
  zdiff: doc('Returns the members of the first sorted set that no other input holds.', '6.2.0', diffCost),
  zunionstore: doc('Stores the union of sorted sets in a key.', '2.0.0', unionCost),
  zinterstore: doc('Stores the intersection of sorted sets in a key.', '2.0.0', interCost),
  zdiffstore: doc('Stores the difference of sorted sets in a key.', '6.2.0', diffCost),
  zintercard: doc('Counts the members of the intersection of sorted sets, optionally up to a limit.', '7.0.0', 'O(N*K) worst case, N the smallest input and K the number of inputs.'),
  zrandmember: doc('Returns random members of a sorted set, optionally with their scores.', '6.2.0', 'O(N), N the number of members returned.'),
  zscan: doc('Walks the members and scores of a sorted set a few at a time with a cursor.', '2.8.0', 'O(1) per call, O(N) for a full iteration.'),
};
