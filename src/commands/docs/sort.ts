// COMMAND DOCS for the commands of ../sort.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const COMPLEXITY =
  'O(N+M*log(M)) for N elements to sort and M returned; O(N) when the elements are not sorted.';
const sortArgs = [
  { name: 'key', type: 'key', keySpecIndex: 0 },
  { name: 'pattern', type: 'pattern', keySpecIndex: 1, token: 'BY', optional: true },
  {
    name: 'offset_count', type: 'block', token: 'LIMIT', optional: true,
    arguments: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
  },
  { name: 'pattern', type: 'pattern', keySpecIndex: 1, token: 'GET', optional: true, multiple: true, multipleToken: true },
  {
    name: 'order', type: 'oneof', optional: true,
    arguments: [{ name: 'asc', type: 'pure-token', token: 'ASC' }, { name: 'desc', type: 'pure-token', token: 'DESC' }],
  },
  { name: 'sorting', type: 'pure-token', token: 'ALPHA', optional: true },
] as const;

export const sortDocs: DocsTable = {
  sort: {
    summary: 'Sorts a list, set or sorted set, optionally storing the result.', since: '1.0.0', group: 'generic', complexity: COMPLEXITY,
    arguments: [...sortArgs, { name: 'destination', type: 'key', keySpecIndex: 2, token: 'STORE', optional: true }],
  },
  sort_ro: { summary: 'Sorts a list, set or sorted set without storing (read-only SORT).', since: '7.0.0', group: 'generic', complexity: COMPLEXITY, arguments: sortArgs },
};
