// COMMAND DOCS for the commands of ../stream-group.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string, history?: readonly (readonly [string, string])[]) =>
  history === undefined ? { summary, since, group: 'stream', complexity } : { summary, since, group: 'stream', complexity, history };

export const streamGroupDocs: DocsTable = {
  xack: doc('Acknowledges entries of a consumer group, removing them from its pending list.', '5.0.0', 'O(1) per ID (O(log(P)) in a pending list of P entries).'),
  xpending: doc("Summarizes or lists the entries pending in a consumer group.", '5.0.0', 'O(N), N the entries returned (or scanned with IDLE); the summary is O(C) in the consumers.', [
    ['6.2.0', 'Added `IDLE` and exclusive ranges.']]),
  xclaim: doc('Transfers pending entries of a consumer group to another consumer.', '5.0.0', 'O(log N) per ID, N the size of the pending list.'),
  xautoclaim: doc('Transfers pending entries idle long enough to another consumer, scanning from a cursor.', '6.2.0', 'O(1) when COUNT is small.', [
    ['7.0.0', 'The reply has a third element: the deleted entries removed from the pending list.']]),
  xgroup: doc('Container for the consumer group subcommands.', '5.0.0', 'Depends on subcommand.'),
  'xgroup|create': doc('Creates a consumer group on a stream.', '5.0.0', 'O(1)', [['7.0.0', 'Added `ENTRIESREAD`.']]),
  'xgroup|setid': doc("Sets a consumer group's last delivered ID.", '5.0.0', 'O(1)', [['7.0.0', 'Added the optional `ENTRIESREAD`.']]),
  'xgroup|destroy': doc('Deletes a consumer group.', '5.0.0', 'O(N), N the entries pending in the group.'),
  'xgroup|createconsumer': doc('Creates a consumer in a consumer group.', '6.2.0', 'O(1)'),
  'xgroup|delconsumer': doc('Deletes a consumer from a consumer group, dropping its pending entries.', '5.0.0', 'O(1)'),
  'xgroup|help': doc('Describes the XGROUP subcommands.', '5.0.0', 'O(1)'),
};
