// COMMAND DOCS for the commands of ../hyperloglog.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, complexity: string) => ({ summary, since: '2.8.9', group: 'hyperloglog', complexity });

export const hyperloglogDocs: DocsTable = {
  pfadd: doc('Adds elements to a HyperLogLog, creating it when missing.', 'O(1) per element added.'),
  pfcount: doc('Estimates the number of distinct elements seen by one HyperLogLog, or by the union of several.', 'O(1) for one key (usually cached); O(N) for N keys, with a large constant.'),
  pfmerge: doc('Merges HyperLogLogs into a destination that estimates their union.', 'O(N) for N HyperLogLogs, with a large constant.'),
  pfdebug: { ...doc('Inspects or converts the encoding of a HyperLogLog (internal).', 'N/A'), docFlags: ['syscmd'] },
  pfselftest: { ...doc('Checks the HyperLogLog register layout (internal).', 'N/A'), docFlags: ['syscmd'] },
};
