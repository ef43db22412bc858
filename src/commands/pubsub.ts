// The pub/sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, their shard
// variants (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) and PUBSUB introspection. The subscription tables
// and message delivery live in src/server/pubsub.ts; these handlers parse and render.

import * as E from '../errors.js';
import { arg } from '../protocol/args.js';
import { key, keyRange, NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { pubsubDocs } from './docs/pubsub.js';
import { replyHelp } from './server.js';
import type { Client } from '../server/client.js';
import type { Kind } from '../server/pubsub.js';
import { globMatch } from '../store/glob.js';
import { TO_REPL } from '../server/propagation.js';

function subscribeTo(kind: Kind, name: string) {
  return (c: Client, argv: string[]): void => {
    // A client that needs one reply per command cannot enter shard subscribed mode (Redis allows
    // SUBSCRIBE and PSUBSCRIBE inside MULTI for backward compatibility, not SSUBSCRIBE).
    if (kind === 'shard' && c.inExec) {
      c.reply.error(E.subscribeDenyBlocking(name));
      return;
    }
    const ps = c.server.pubsub;
    for (const channel of argv.slice(1)) ps.subscribe(c, kind, channel);
  };
}

function unsubscribeFrom(kind: Kind) {
  return (c: Client, argv: string[]): void => {
    const ps = c.server.pubsub;
    if (argv.length === 1) ps.unsubscribeAll(c, kind, true);
    else for (const channel of argv.slice(1)) ps.unsubscribe(c, kind, channel, true);
    ps.settle(c);
  };
}

function publish(c: Client, argv: string[]): void {
  c.reply.integer(c.server.pubsub.publish(arg(argv, 1), arg(argv, 2), false));
  // In cluster mode the message reaches every node's subscribers too (Redis's clusterPropagatePublish).
  c.server.cluster.mode?.propagatePublish(arg(argv, 1), arg(argv, 2), false);
  toReplicas(c);
}

/**
 * Replicas publish it to their own subscribers (not the AOF: it changes no data), as Redis; in
 * cluster mode the bus has carried it to them already, and they would deliver it twice (and
 * send it round the bus again), so it is not in the replication stream there, as in Redis.
 */
function toReplicas(c: Client): void {
  if (c.server.cluster.mode === null) c.server.propagation.force(TO_REPL);
}

function spublish(c: Client, argv: string[]): void {
  c.reply.integer(c.server.pubsub.publish(arg(argv, 1), arg(argv, 2), true));
  c.server.cluster.mode?.propagatePublish(arg(argv, 1), arg(argv, 2), true);
  toReplicas(c);
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
  for (const channel of argv.slice(2)) {
    c.reply.bulk(channel);
    c.reply.integer(table.get(channel)?.size ?? 0);
  }
}

function channels(c: Client, argv: string[]): void {
  listChannels(c, argv, c.server.pubsub.channels, arg(argv, 1));
}

function shardchannels(c: Client, argv: string[]): void {
  listChannels(c, argv, c.server.pubsub.shardChannels, arg(argv, 1));
}

function numsub(c: Client, argv: string[]): void {
  countSubscribers(c, argv, c.server.pubsub.channels);
}

function shardnumsub(c: Client, argv: string[]): void {
  countSubscribers(c, argv, c.server.pubsub.shardChannels);
}

function numpat(c: Client): void {
  c.reply.integer(c.server.pubsub.patterns.size);
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

export const pubsubCommands: readonly CommandSpec[] = withDocs(pubsubDocs, [
  { name: 'subscribe', arity: -2, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: subscribeTo('channel', 'SUBSCRIBE') },
  { name: 'unsubscribe', arity: -1, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: unsubscribeFrom('channel') },
  { name: 'psubscribe', arity: -2, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: subscribeTo('pattern', 'PSUBSCRIBE') },
  { name: 'punsubscribe', arity: -1, flags: subFlags, acl: slowAcl, keys: NO_KEYS, run: unsubscribeFrom('pattern') },
  { name: 'publish', arity: 3, flags: pubFlags, acl: ['pubsub', 'fast'], keys: NO_KEYS, run: publish },
  { name: 'ssubscribe', arity: -2, flags: subFlags, acl: slowAcl, keys: [keyRange(1, -1, 1, 'NOT_KEY')], run: subscribeTo('shard', 'SSUBSCRIBE') },
  { name: 'sunsubscribe', arity: -1, flags: subFlags, acl: slowAcl, keys: [keyRange(1, -1, 1, 'NOT_KEY')], run: unsubscribeFrom('shard') },
  { name: 'spublish', arity: 3, flags: pubFlags, acl: ['pubsub', 'fast'], keys: [key(1, 'NOT_KEY')], run: spublish },
  {
    name: 'pubsub', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS,
    subcommands: [
      { name: 'channels', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: channels },
      { name: 'numsub', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: numsub },
      { name: 'numpat', arity: 2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: numpat },
      { name: 'shardchannels', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: shardchannels },
      { name: 'shardnumsub', arity: -2, flags: introFlags, acl: slowAcl, keys: NO_KEYS, run: shardnumsub },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: help },
    ],
  },
]);
