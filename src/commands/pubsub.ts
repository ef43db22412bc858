// The pub/sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, their shard
// variants (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) and PUBSUB introspection. The subscription tables
// and message delivery live in src/server/pubsub.ts; these handlers parse and render.

import * as E from '../errors.js';
import { NO_KEYS, keyRange, key, type CommandSpec } from './spec.js';
import { replyHelp } from './server.js';
import type { Client } from '../server/client.js';
import { pubsubOf, type Kind } from '../server/pubsub.js';
import { globMatch } from '../store/glob.js';

function subscribeTo(kind: Kind, name: string) {
  return (c: Client, argv: string[]): void => {
    // A client that needs one reply per command cannot enter shard subscribed mode (Redis allows
    // SUBSCRIBE and PSUBSCRIBE inside MULTI for backward compatibility, not SSUBSCRIBE).
    if (kind === 'shard' && c.inExec) {
      c.reply.error(E.subscribeDenyBlocking(name));
      return;
    }
    const ps = pubsubOf(c.server);
    for (let i = 1; i < argv.length; i++) ps.subscribe(c, kind, argv[i]!);
  };
}

function unsubscribeFrom(kind: Kind) {
  return (c: Client, argv: string[]): void => {
    const ps = pubsubOf(c.server);
    if (argv.length === 1) ps.unsubscribeAll(c, kind, true);
    else for (let i = 1; i < argv.length; i++) ps.unsubscribe(c, kind, argv[i]!, true);
    ps.settle(c);
  };
}

function publish(c: Client, argv: string[]): void {
  c.reply.integer(pubsubOf(c.server).publish(argv[1]!, argv[2]!, false));
}

function spublish(c: Client, argv: string[]): void {
  c.reply.integer(pubsubOf(c.server).publish(argv[1]!, argv[2]!, true));
}

// --- PUBSUB ---

function listChannels(c: Client, argv: string[], table: Map<string, Set<Client>>, sub: string): void {
  if (argv.length > 3) {
    c.reply.error(E.subcommandSyntax(sub, 'pubsub'));
    return;
  }
  const pattern = argv[2];
  const out: string[] = [];
  for (const name of table.keys()) if (pattern === undefined || globMatch(pattern, name)) out.push(name);
  c.reply.bulks(out);
}

function countSubscribers(c: Client, argv: string[], table: Map<string, Set<Client>>): void {
  c.reply.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.reply.bulk(argv[i]!);
    c.reply.integer(table.get(argv[i]!)?.size ?? 0);
  }
}

function channels(c: Client, argv: string[]): void {
  listChannels(c, argv, pubsubOf(c.server).channels, argv[1]!);
}

function shardchannels(c: Client, argv: string[]): void {
  listChannels(c, argv, pubsubOf(c.server).shardChannels, argv[1]!);
}

function numsub(c: Client, argv: string[]): void {
  countSubscribers(c, argv, pubsubOf(c.server).channels);
}

function shardnumsub(c: Client, argv: string[]): void {
  countSubscribers(c, argv, pubsubOf(c.server).shardChannels);
}

function numpat(c: Client): void {
  c.reply.integer(pubsubOf(c.server).patterns.size);
}

function help(c: Client): void {
  replyHelp(c, 'PUBSUB', [
    'CHANNELS [<pattern>]',
    "    Return the currently active channels matching a <pattern> (default: '*').",
    'NUMPAT',
    '    Return number of subscriptions to patterns.',
    'NUMSUB [<channel> ...]',
    '    Return the number of subscribers for the specified channels, excluding',
    '    pattern subscriptions(default: no channels).',
    'SHARDCHANNELS [<pattern>]',
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    'SHARDNUMSUB [<shardchannel> ...]',
    '    Return the number of subscribers for the specified shard level channel(s)',
  ]);
}

const subFlags = ['pubsub', 'noscript', 'loading', 'stale'] as const;
// may_replicate (hidden by COMMAND INFO, as in Redis): CLIENT PAUSE WRITE holds PUBLISH and a
// read-only script may not publish.
const pubFlags = ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'] as const;
const introFlags = ['pubsub', 'loading', 'stale'] as const;
const slowAcl = ['pubsub', 'slow'] as const;
const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'pubsub', complexity });

export const pubsubCommands: readonly CommandSpec[] = [
  {
    name: 'subscribe', arity: -2, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: subscribeTo('channel', 'SUBSCRIBE'),
    docs: { ...doc('Starts listening to channels.', '2.0.0', 'O(N) for N channels.'), arguments: [{ name: 'channel', type: 'string', multiple: true }] },
  },
  {
    name: 'unsubscribe', arity: -1, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: unsubscribeFrom('channel'),
    docs: {
      ...doc('Stops listening to channels, or to all of them.', '2.0.0', 'O(N) where N is the number of clients already subscribed to a channel.'),
      arguments: [{ name: 'channel', type: 'string', optional: true, multiple: true }],
    },
  },
  {
    name: 'psubscribe', arity: -2, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: subscribeTo('pattern', 'PSUBSCRIBE'),
    docs: {
      ...doc('Starts listening to channels whose names match glob patterns.', '2.0.0', 'O(N) where N is the number of patterns the client already has.'),
      arguments: [{ name: 'pattern', type: 'block', multiple: true, arguments: [{ name: 'pattern', type: 'pattern' }] }],
    },
  },
  {
    name: 'punsubscribe', arity: -1, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: unsubscribeFrom('pattern'),
    docs: {
      ...doc('Stops listening to patterns, or to all of them.', '2.0.0', 'O(N+M): N patterns of the client, M patterns in the server.'),
      arguments: [{ name: 'pattern', type: 'pattern', optional: true, multiple: true }],
    },
  },
  {
    name: 'publish', arity: 3, flags: pubFlags, acl: ['pubsub', 'fast'], keys: NO_KEYS, run: publish,
    docs: {
      ...doc('Sends a message to a channel and returns how many subscribers got it.', '2.0.0', 'O(N+M): N subscribers of the channel, M patterns in the server.'),
      arguments: [{ name: 'channel', type: 'string' }, { name: 'message', type: 'string' }],
    },
  },
  {
    name: 'ssubscribe', arity: -2, flags: subFlags, acl: slowAcl, keys: [keyRange(1, -1, 1, 'NOT_KEY')], run: subscribeTo('shard', 'SSUBSCRIBE'),
    docs: { ...doc('Starts listening to shard channels.', '7.0.0', 'O(N) for N shard channels.'), arguments: [{ name: 'shardchannel', type: 'string', multiple: true }] },
  },
  {
    name: 'sunsubscribe', arity: -1, flags: subFlags, acl: slowAcl, keys: [keyRange(1, -1, 1, 'NOT_KEY')], run: unsubscribeFrom('shard'),
    docs: {
      ...doc('Stops listening to shard channels, or to all of them.', '7.0.0', 'O(N) where N is the number of clients already subscribed to a shard channel.'),
      arguments: [{ name: 'shardchannel', type: 'string', optional: true, multiple: true }],
    },
  },
  {
    name: 'spublish', arity: 3, flags: pubFlags, acl: ['pubsub', 'fast'], keys: [key(1, 'NOT_KEY')], run: spublish,
    docs: {
      ...doc('Sends a message to a shard channel and returns how many subscribers got it.', '7.0.0', 'O(N) for N subscribers of the shard channel.'),
      arguments: [{ name: 'shardchannel', type: 'string' }, { name: 'message', type: 'string' }],
    },
  },
  {
    name: 'pubsub', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    docs: doc('Container for the pub/sub introspection subcommands.', '2.8.0', 'Depends on subcommand.'),
    subcommands: [
      {
        name: 'channels', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: channels,
        docs: { ...doc('Lists the channels with subscribers, optionally filtered by a pattern.', '2.8.0', 'O(N) for N active channels.'), arguments: [{ name: 'pattern', type: 'pattern', optional: true }] },
      },
      {
        name: 'numsub', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: numsub,
        docs: { ...doc('Counts the subscribers of channels (pattern subscribers excluded).', '2.8.0', 'O(N) for N requested channels.'), arguments: [{ name: 'channel', type: 'string', optional: true, multiple: true }] },
      },
      { name: 'numpat', arity: 2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: numpat, docs: doc('Counts the distinct patterns subscribed to.', '2.8.0', 'O(1)') },
      {
        name: 'shardchannels', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: shardchannels,
        docs: { ...doc('Lists the shard channels with subscribers, optionally filtered by a pattern.', '7.0.0', 'O(N) for N active shard channels.'), arguments: [{ name: 'pattern', type: 'pattern', optional: true }] },
      },
      {
        name: 'shardnumsub', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: shardnumsub,
        docs: { ...doc('Counts the subscribers of shard channels.', '7.0.0', 'O(N) for N requested shard channels.'), arguments: [{ name: 'shardchannel', type: 'string', optional: true, multiple: true }] },
      },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: help, docs: doc('Lists the PUBSUB subcommands.', '6.2.0', 'O(1)') },
    ],
  },
];
