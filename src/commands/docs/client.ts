// COMMAND DOCS for the commands of ../client.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { ArgDoc, DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'connection', complexity });
const onOffArg = [{ name: 'enabled', type: 'oneof', arguments: [
  { name: 'on', type: 'pure-token', token: 'ON' },
  { name: 'off', type: 'pure-token', token: 'OFF' },
] }] as const;
const oldKillForm: ArgDoc = { name: 'ip:port', type: 'string', deprecatedSince: '2.8.12' };

export const clientDocs: DocsTable = {
  client: doc('Container for the client connection subcommands.', '2.4.0', 'Depends on subcommand.'),
  'client|id': doc('Returns the unique ID of this connection.', '5.0.0'),
  'client|setname': { ...doc('Names this connection.', '2.6.9'), arguments: [{ name: 'connection-name', type: 'string' }] },
  'client|getname': doc("Returns this connection's name.", '2.6.9'),
  'client|setinfo': { ...doc('Records the client library name or version for this connection.', '7.2.0'), arguments: [
    { name: 'attr', type: 'oneof', arguments: [
      { name: 'libname', type: 'string', token: 'LIB-NAME' },
      { name: 'libver', type: 'string', token: 'LIB-VER' },
    ] },
  ] },
  'client|list': { ...doc('Lists the open client connections.', '2.4.0', 'O(N) where N is the number of client connections'),
    history: [
      ['2.8.12', 'The `id` field.'],
      ['5.0.0', 'The `TYPE` filter.'],
      ['6.0.0', 'The `user` field.'],
      ['6.2.0', 'The `argv-mem`, `tot-mem`, `laddr` and `redir` fields; the `ID` filter.'],
      ['7.0.0', 'The `resp`, `multi-mem`, `rbs` and `rbp` fields.'],
      ['7.0.3', 'The `ssub` field.'],
    ],
    arguments: [
      { name: 'normal_master_replica_pubsub', type: 'oneof', token: 'TYPE', since: '5.0.0', optional: true, arguments: [
        { name: 'normal', type: 'pure-token', token: 'NORMAL' },
        { name: 'master', type: 'pure-token', token: 'MASTER' },
        { name: 'replica', type: 'pure-token', token: 'REPLICA' },
        { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
      ] },
      { name: 'id', type: 'block', token: 'ID', since: '6.2.0', optional: true, arguments: [
        { name: 'client-id', type: 'integer', multiple: true },
      ] },
    ] },
  'client|info': doc('Describes this connection in CLIENT LIST form.', '6.2.0'),
  'client|unblock': {
    ...doc('Ends the wait of a client blocked in a blocking command.', '5.0.0', 'O(log N) where N is the number of client connections'),
    arguments: [
      { name: 'client-id', type: 'integer' },
      {
        name: 'timeout_error', type: 'oneof', optional: true,
        arguments: [{ name: 'timeout', type: 'pure-token', token: 'TIMEOUT' }, { name: 'error', type: 'pure-token', token: 'ERROR' }],
      },
    ],
  },
  'client|kill': { ...doc('Closes client connections chosen by address, id, type or user.', '2.4.0', 'O(N) where N is the number of client connections'),
    history: [
      ['2.8.12', 'Filters given as option and value pairs.'],
      ['2.8.12', 'The `ID` filter.'],
      ['3.2.0', '`TYPE` accepts `master`.'],
      ['5.0.0', '`TYPE replica` replaces `slave`, which is still accepted.'],
      ['6.2.0', 'The `LADDR` filter.'],
    ],
    arguments: [
      { name: 'filter', type: 'oneof', arguments: [
        oldKillForm,
        { name: 'new-format', type: 'oneof', multiple: true, arguments: [
          { name: 'client-id', type: 'integer', token: 'ID', since: '2.8.12', optional: true },
          { name: 'normal_master_slave_pubsub', type: 'oneof', token: 'TYPE', since: '2.8.12', optional: true, arguments: [
            { name: 'normal', type: 'pure-token', token: 'NORMAL' },
            { name: 'master', type: 'pure-token', token: 'MASTER', since: '3.2.0' },
            { name: 'slave', type: 'pure-token', token: 'SLAVE' },
            { name: 'replica', type: 'pure-token', token: 'REPLICA', since: '5.0.0' },
            { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
          ] },
          { name: 'username', type: 'string', token: 'USER', optional: true },
          { name: 'ip:port', type: 'string', token: 'ADDR', optional: true },
          { name: 'ip:port', type: 'string', token: 'LADDR', since: '6.2.0', optional: true },
          { name: 'yes/no', type: 'string', token: 'SKIPME', optional: true },
        ] },
      ] },
    ] },
  'client|pause': { ...doc('Holds the commands of all clients, or only their writes, for a while.', '2.9.50'),
    history: [['6.2.0', 'The `mode` argument, with `WRITE` pausing only writes.']],
    arguments: [
      { name: 'timeout', type: 'integer' },
      { name: 'mode', type: 'oneof', since: '6.2.0', optional: true, arguments: [
        { name: 'write', type: 'pure-token', token: 'WRITE' },
        { name: 'all', type: 'pure-token', token: 'ALL' },
      ] },
    ] },
  'client|unpause': doc('Ends a CLIENT PAUSE early.', '6.2.0', 'O(N) Where N is the number of paused clients'),
  'client|reply': { ...doc('Turns replies to this connection on, off, or off for the next command.', '3.2.0'), arguments: [
    { name: 'on_off_skip', type: 'oneof', arguments: [
      { name: 'on', type: 'pure-token', token: 'ON' },
      { name: 'off', type: 'pure-token', token: 'OFF' },
      { name: 'skip', type: 'pure-token', token: 'SKIP' },
    ] },
  ] },
  'client|no-evict': { ...doc('Exempts this connection from client eviction.', '7.0.0'), arguments: onOffArg },
  'client|no-touch': { ...doc("Keeps this connection's reads from changing keys' last access time.", '7.2.0'), arguments: onOffArg },
  'client|tracking': { ...doc('Turns server-assisted client-side caching on or off for this connection.', '6.0.0', 'O(1). Some options may introduce additional complexity.'), arguments: [
    { name: 'status', type: 'oneof', arguments: [
      { name: 'on', type: 'pure-token', token: 'ON' },
      { name: 'off', type: 'pure-token', token: 'OFF' },
    ] },
    { name: 'client-id', type: 'integer', token: 'REDIRECT', optional: true },
    { name: 'prefix', type: 'string', token: 'PREFIX', optional: true, multiple: true, multipleToken: true },
    { name: 'bcast', type: 'pure-token', token: 'BCAST', optional: true },
    { name: 'optin', type: 'pure-token', token: 'OPTIN', optional: true },
    { name: 'optout', type: 'pure-token', token: 'OPTOUT', optional: true },
    { name: 'noloop', type: 'pure-token', token: 'NOLOOP', optional: true },
  ] },
  'client|caching': { ...doc('Tells the server whether to track the keys of the next request.', '6.0.0'), arguments: [
    { name: 'mode', type: 'oneof', arguments: [
      { name: 'yes', type: 'pure-token', token: 'YES' },
      { name: 'no', type: 'pure-token', token: 'NO' },
    ] },
  ] },
  'client|getredir': doc('Returns the id of the client that receives the invalidations of this one, if any.', '6.0.0'),
  'client|trackinginfo': doc("Returns this connection's client-side caching state.", '6.2.0'),
  'client|help': doc('Lists the CLIENT subcommands.', '5.0.0'),
};
