// COMMAND DOCS for the commands of ../keyspace.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const generic = (summary: string, since: string, complexity = 'O(1)') =>
  ({ summary, since, group: 'generic', complexity }) as const;
const serverGroup = (summary: string, since: string, complexity = 'O(1)') =>
  ({ summary, since, group: 'server', complexity }) as const;

export const keyspaceDocs: DocsTable = {
  del: generic('Deletes one or more keys.', '1.0.0', 'O(N) in the number of keys, plus the size of each removed collection.'),
  unlink: generic('Deletes keys, reclaiming their memory without blocking.', '4.0.0', 'O(1) per key removed.'),
  exists: generic('Counts how many of the given keys exist.', '1.0.0', 'O(N) in the number of keys.'),
  type: generic('Names the type of the value at a key.', '1.0.0'),
  rename: generic('Gives a key a new name, replacing any key already there.', '1.0.0'),
  renamenx: generic('Gives a key a new name unless that name is taken.', '1.0.0'),
  keys: generic('Lists every key matching a glob pattern.', '1.0.0', 'O(N) in the number of keys in the database.'),
  scan: generic('Walks the keyspace a few keys per call with a cursor.', '2.8.0', 'O(1) per call, O(N) for a full iteration.'),
  randomkey: generic('Returns a key picked at random.', '1.0.0'),
  touch: generic('Marks keys as just accessed; returns how many exist.', '3.2.1', 'O(N) in the number of keys.'),
  object: generic('Container for commands that inspect stored values.', '2.2.3', 'Depends on subcommand.'),
  'object|help': generic('Lists the OBJECT subcommands.', '6.2.0'),
  'object|idletime': generic('Seconds since a key was last accessed.', '2.2.3'),
  'object|freq': generic('The logarithmic access-frequency counter of a key.', '4.0.0'),
  'object|encoding': generic('The internal representation of the value at a key.', '2.2.3'),
  'object|refcount': generic('How many references the value at a key has.', '2.2.3'),
  expire: generic('Sets a time to live in seconds.', '1.0.0'),
  pexpire: generic('Sets a time to live in milliseconds.', '2.6.0'),
  expireat: generic('Sets the expiry as a Unix time in seconds.', '1.2.0'),
  pexpireat: generic('Sets the expiry as a Unix time in milliseconds.', '2.6.0'),
  ttl: generic('Remaining time to live in seconds.', '1.0.0'),
  pttl: generic('Remaining time to live in milliseconds.', '2.6.0'),
  expiretime: generic('The expiry as a Unix time in seconds.', '7.0.0'),
  pexpiretime: generic('The expiry as a Unix time in milliseconds.', '7.0.0'),
  persist: generic('Removes the time to live of a key.', '2.2.0'),
  dbsize: serverGroup('Number of keys in the selected database.', '1.0.0'),
  flushdb: serverGroup('Deletes every key of the selected database.', '1.0.0', 'O(N) in the number of keys in the database.'),
  flushall: serverGroup('Deletes every key of every database.', '1.0.0', 'O(N) in the number of keys in all databases.'),
  swapdb: serverGroup('Exchanges the contents of two databases.', '4.0.0', 'O(N) in the clients watching or blocked on keys of either database.'),
  move: generic('Moves a key to another database.', '1.0.0'),
  copy: generic('Copies the value of a key to another key.', '6.2.0', 'O(N) in the nested items of a collection, O(1) for a string.'),
};
