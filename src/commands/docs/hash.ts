// COMMAND DOCS for the commands of ../hash.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const whole = 'O(N) where N is the number of fields in the hash.';
const doc = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'hash', complexity });

export const hashDocs: DocsTable = {
  hset: { ...doc('Sets the values of one or more fields of a hash.', '2.0.0', 'O(1) per field/value pair, so O(N) for N pairs.'), history: [['4.0.0', 'Takes several `field` and `value` pairs.']] },
  hsetnx: doc('Sets a field of a hash only when the field is absent.', '2.0.0'),
  hmset: { ...doc('Sets the values of several fields of a hash.', '2.0.0', 'O(N) where N is the number of fields set.'), docFlags: ['deprecated'], deprecatedSince: '4.0.0', replacedBy: '`HSET` with multiple field-value pairs' },
  hget: doc('Returns the value of one field of a hash.', '2.0.0'),
  hmget: doc('Returns the values of several fields of a hash.', '2.0.0', 'O(N) where N is the number of fields asked for.'),
  hdel: { ...doc('Removes fields from a hash; the hash goes when its last field does.', '2.0.0', 'O(N) where N is the number of fields removed.'), history: [['2.4.0', 'Takes several `field` arguments.']] },
  hexists: doc('Tells whether a hash has a field.', '2.0.0'),
  hlen: doc('Returns the number of fields in a hash.', '2.0.0'),
  hstrlen: doc('Returns the length of the value of a field of a hash.', '3.2.0'),
  hkeys: doc('Returns every field of a hash.', '2.0.0', whole),
  hvals: doc('Returns every value of a hash.', '2.0.0', whole),
  hgetall: doc('Returns every field and value of a hash.', '2.0.0', whole),
  hincrby: doc('Adds an integer to the integer value of a field of a hash.', '2.0.0'),
  hincrbyfloat: doc('Adds a floating point number to the value of a field of a hash.', '2.6.0'),
  hrandfield: doc('Returns one or more random fields of a hash, optionally with their values.', '6.2.0', 'O(N) where N is the number of fields returned.'),
  hscan: doc('Iterates over the fields and values of a hash, a batch per call.', '2.8.0', 'O(1) per call; O(N) for a whole iteration over N fields.'),
};
