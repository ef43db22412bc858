// COMMAND DOCS for the commands of ../stream-read.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'stream', complexity });

export const streamReadDocs: DocsTable = {
  xread: doc('Reads entries newer than given IDs from one or more streams, optionally waiting for them.', '5.0.0', 'O(N) per stream, N the entries returned; O(M) for XADD to serve M blocked readers.'),
  xreadgroup: doc('Reads entries through a consumer group, recording them as pending for the consumer, optionally waiting.', '5.0.0', 'O(M) per stream, M the entries returned; O(N) for XADD to serve N blocked readers.'),
};
