// COMMAND DOCS for the commands of ../pubsub.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'pubsub', complexity });

export const pubsubDocs: DocsTable = {
  subscribe: { ...doc('Starts listening to channels.', '2.0.0', 'O(N) for N channels.'), arguments: [{ name: 'channel', type: 'string', multiple: true }] },
  unsubscribe: {
    ...doc('Stops listening to channels, or to all of them.', '2.0.0', 'O(N) where N is the number of clients already subscribed to a channel.'),
    arguments: [{ name: 'channel', type: 'string', optional: true, multiple: true }],
  },
  psubscribe: {
    ...doc('Starts listening to channels whose names match glob patterns.', '2.0.0', 'O(N) where N is the number of patterns the client already has.'),
    arguments: [{ name: 'pattern', type: 'block', multiple: true, arguments: [{ name: 'pattern', type: 'pattern' }] }],
  },
  punsubscribe: {
    ...doc('Stops listening to patterns, or to all of them.', '2.0.0', 'O(N+M): N patterns of the client, M patterns in the server.'),
    arguments: [{ name: 'pattern', type: 'pattern', optional: true, multiple: true }],
  },
  publish: {
    ...doc('Sends a message to a channel and returns how many subscribers got it.', '2.0.0', 'O(N+M): N subscribers of the channel, M patterns in the server.'),
    arguments: [{ name: 'channel', type: 'string' }, { name: 'message', type: 'string' }],
  },
  ssubscribe: { ...doc('Starts listening to shard channels.', '7.0.0', 'O(N) for N shard channels.'), arguments: [{ name: 'shardchannel', type: 'string', multiple: true }] },
  sunsubscribe: {
    ...doc('Stops listening to shard channels, or to all of them.', '7.0.0', 'O(N) where N is the number of clients already subscribed to a shard channel.'),
    arguments: [{ name: 'shardchannel', type: 'string', optional: true, multiple: true }],
  },
  spublish: {
    ...doc('Sends a message to a shard channel and returns how many subscribers got it.', '7.0.0', 'O(N) for N subscribers of the shard channel.'),
    arguments: [{ name: 'shardchannel', type: 'string' }, { name: 'message', type: 'string' }],
  },
  pubsub: doc('Container for the pub/sub introspection subcommands.', '2.8.0', 'Depends on subcommand.'),
  'pubsub|channels': { ...doc('Lists the channels with subscribers, optionally filtered by a pattern.', '2.8.0', 'O(N) for N active channels.'), arguments: [{ name: 'pattern', type: 'pattern', optional: true }] },
  'pubsub|numsub': { ...doc('Counts the subscribers of channels (pattern subscribers excluded).', '2.8.0', 'O(N) for N requested channels.'), arguments: [{ name: 'channel', type: 'string', optional: true, multiple: true }] },
  'pubsub|numpat': doc('Counts the distinct patterns subscribed to.', '2.8.0', 'O(1)'),
  'pubsub|shardchannels': { ...doc('Lists the shard channels with subscribers, optionally filtered by a pattern.', '7.0.0', 'O(N) for N active shard channels.'), arguments: [{ name: 'pattern', type: 'pattern', optional: true }] },
  'pubsub|shardnumsub': { ...doc('Counts the subscribers of shard channels.', '7.0.0', 'O(N) for N requested shard channels.'), arguments: [{ name: 'shardchannel', type: 'string', optional: true, multiple: true }] },
  'pubsub|help': doc('Lists the PUBSUB subcommands.', '6.2.0', 'O(1)'),
};
