// COMMAND DOCS for the commands of ../stream.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string, history?: readonly (readonly [string, string])[]) =>
  history === undefined ? { summary, since, group: 'stream', complexity } : { summary, since, group: 'stream', complexity, history };
const rangeCost = 'O(N), N the number of entries returned; O(log(S)) to find the start in a stream of S entries.';

export const streamDocs: DocsTable = {
  xadd: doc('Appends an entry to a stream, creating the stream if needed and optionally trimming it.', '5.0.0', 'O(1) to add; O(N) when trimming, N the entries removed.', [
    ['6.2.0', 'Added `NOMKSTREAM`, the `MINID` strategy and `LIMIT`.'], ['7.0.0', 'Accepts explicit IDs of the form `<ms>-*`.']]),
  xrange: doc('Returns the entries of a stream within a range of IDs.', '5.0.0', rangeCost, [['6.2.0', 'Exclusive ranges.']]),
  xrevrange: doc('Returns the entries of a stream within a range of IDs, newest first.', '5.0.0', rangeCost, [['6.2.0', 'Exclusive ranges.']]),
  xlen: doc('Counts the entries of a stream.', '5.0.0', 'O(1)'),
  xdel: doc('Deletes entries from a stream by ID; the stream stays even when emptied.', '5.0.0', 'O(log(N)) per entry, N the size of the stream.'),
  xtrim: doc('Removes the oldest entries of a stream, down to a length or up to an ID.', '5.0.0', 'O(N), N the entries removed (whole nodes go at once).', [
    ['6.2.0', 'Added the `MINID` strategy and `LIMIT`.']]),
  xsetid: doc("Sets a stream's last ID (and its entries-added and max-deleted-ID counters).", '5.0.0', 'O(1)', [
    ['7.0.0', 'Added `ENTRIESADDED` and `MAXDELETEDID`.']]),
  xinfo: doc('Container for the stream introspection subcommands.', '5.0.0', 'Depends on subcommand.'),
  'xinfo|stream': doc('Describes a stream, or with FULL its entries, groups and pending lists.', '5.0.0', 'O(1); with FULL, O(N) in the entries and pending entries shown.', [
    ['6.0.0', 'Added `FULL`.'], ['7.0.0', 'Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields.']]),
  'xinfo|groups': doc('Lists the consumer groups of a stream.', '5.0.0', 'O(1) per group', [['7.0.0', 'Added the `entries-read` and `lag` fields.']]),
  'xinfo|consumers': doc('Lists the consumers of a consumer group.', '5.0.0', 'O(1) per consumer'),
  'xinfo|help': doc('Describes the XINFO subcommands.', '5.0.0', 'O(1)'),
};
