// COMMAND DOCS for the field-expiration commands of ../hash-ttl.ts (Redis 7.4 and 8.0).

import type { DocsTable } from '../spec.js';

const perField = 'O(N) where N is the number of fields named.';
const doc = (summary: string, since: string, complexity = perField) => ({ summary, since, group: 'hash', complexity });

export const hashTtlDocs: DocsTable = {
  hexpire: doc('Gives fields of a hash a time to live in seconds.', '7.4.0'),
  hpexpire: doc('Gives fields of a hash a time to live in milliseconds.', '7.4.0'),
  hexpireat: doc('Makes fields of a hash expire at a Unix time in seconds.', '7.4.0'),
  hpexpireat: doc('Makes fields of a hash expire at a Unix time in milliseconds.', '7.4.0'),
  httl: doc('Returns the time to live of fields of a hash, in seconds.', '7.4.0'),
  hpttl: doc('Returns the time to live of fields of a hash, in milliseconds.', '7.4.0'),
  hexpiretime: doc('Returns the Unix time in seconds at which fields of a hash expire.', '7.4.0'),
  hpexpiretime: doc('Returns the Unix time in milliseconds at which fields of a hash expire.', '7.4.0'),
  hpersist: doc('Removes the time to live of fields of a hash.', '7.4.0'),
  hgetex: doc('Returns the values of fields of a hash and sets or removes their time to live.', '8.0.0'),
  hsetex: doc('Sets fields of a hash, optionally with a time to live, optionally only if all or none exist.', '8.0.0', 'O(N) where N is the number of fields set.'),
  hgetdel: doc('Returns the values of fields of a hash and removes them.', '8.0.0'),
};
