// COMMAND DOCS for the commands of ../bitmap.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity = 'O(N)') => ({ summary, since, group: 'bitmap', complexity });

export const bitmapDocs: DocsTable = {
  setbit: doc('Sets or clears one bit of a string value, growing it as needed.', '2.2.0', 'O(1)'),
  getbit: doc('Returns one bit of a string value.', '2.2.0', 'O(1)'),
  bitcount: doc('Counts the set bits of a string value, optionally in a range.', '2.6.0'),
  bitpos: doc('Finds the first set or clear bit of a string value.', '2.8.7'),
  bitop: doc('Combines string values bit by bit (AND, OR, XOR, NOT) into a destination key.', '2.6.0'),
  bitfield: doc('Reads, writes and increments integer fields of arbitrary width inside a string value.', '3.2.0', 'O(1) per operation.'),
  bitfield_ro: doc('Reads integer fields of a string value (BITFIELD GET only).', '6.0.0', 'O(1) per operation.'),
};
