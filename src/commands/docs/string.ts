// COMMAND DOCS for the commands of ../string.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'string', complexity });
const rangeComplexity = 'O(N) where N is the length of the returned string.';

export const stringDocs: DocsTable = {
  get: doc('Returns the string value of a key.', '1.0.0'),
  set: doc('Sets the string value of a key, with optional conditions and expiry.', '1.0.0'),
  setnx: doc('Sets a key only if it does not exist.', '1.0.0'),
  setex: doc('Sets a key and its time to live in seconds.', '2.0.0'),
  psetex: doc('Sets a key and its time to live in milliseconds.', '2.6.0'),
  getset: { ...doc('Sets a key and returns its previous value.', '1.0.0'), docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`SET` with the `!GET` argument' },
  getdel: doc('Returns the value of a key and deletes it.', '6.2.0'),
  getex: doc('Returns the value of a key and optionally changes its expiry.', '6.2.0'),
  mget: doc('Returns the values of several keys.', '1.0.0', 'O(N) for N keys.'),
  mset: doc('Sets several keys at once.', '1.0.1', 'O(N) for N keys.'),
  msetnx: doc('Sets several keys only if none of them exists.', '1.0.1', 'O(N) for N keys.'),
  append: doc('Appends to the string value of a key, creating it if needed.', '2.0.0', 'O(1) amortized.'),
  strlen: doc('Returns the length of a string value.', '2.2.0'),
  getrange: doc('Returns a substring of a string value.', '2.4.0', rangeComplexity),
  substr: { ...doc('Returns a substring of a string value.', '1.0.0', rangeComplexity), docFlags: ['deprecated'], deprecatedSince: '2.0.0', replacedBy: '`GETRANGE`' },
  setrange: doc('Overwrites part of a string value from an offset.', '2.2.0', 'O(1), plus O(M) to copy M bytes.'),
  incr: doc('Adds one to the integer value of a key.', '1.0.0'),
  decr: doc('Subtracts one from the integer value of a key.', '1.0.0'),
  incrby: doc('Adds an integer to the value of a key.', '1.0.0'),
  decrby: doc('Subtracts an integer from the value of a key.', '1.0.0'),
  incrbyfloat: doc('Adds a floating point number to the value of a key.', '2.6.0'),
  lcs: doc('Finds the longest common subsequence of two string values.', '7.0.0', 'O(N*M) for strings of lengths N and M.'),
};
