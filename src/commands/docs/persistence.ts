// COMMAND DOCS for the commands of ../persistence.ts.

import type { DocsTable } from '../spec.js';

export const persistenceDocs: DocsTable = {
  save: { summary: 'Writes the dataset to disk now, holding every other client until it is done.', since: '1.0.0', group: 'server',
    complexity: 'O(N) where N is the total number of keys in all databases' },
  bgsave: { summary: 'Writes the dataset to disk in the background, while clients are served.', since: '1.0.0', group: 'server', complexity: 'O(1)',
    history: [['3.2.2', 'Added the `SCHEDULE` option.']],
    arguments: [{ name: 'schedule', type: 'pure-token', token: 'SCHEDULE', since: '3.2.2', optional: true }] },
  lastsave: { summary: 'Returns the Unix time of the last successful save to disk.', since: '1.0.0', group: 'server', complexity: 'O(1)' },
};
