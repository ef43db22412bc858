// Pub/Sub state of one server, as Redis's pubsub.c: channel, pattern and shard-channel tables of
// subscribers, each client's own subscriptions, message delivery into other clients' reply
// buffers (flushed together after the current I/O turn), and the RESP2 subscribed-context rule.

import { globMatch } from '../store/glob.js';
import { channelAllowed } from '../security/acl/check.js';
import type { User } from '../security/acl/user.js';
import { checkOutputLimits } from '../security/output-limits.js';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { flushClient } from './connection.js';
import { keyHashSlot } from './cluster.js';

/** What one client is subscribed to; present only while it has at least one subscription. */
export interface Subscriptions {
  readonly registry: PubSub;
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  readonly shard: Set<string>;
}

export type Kind = 'channel' | 'pattern' | 'shard';

/** The confirmation message names, by kind. */
const SUBSCRIBE: Record<Kind, string> = { channel: 'subscribe', pattern: 'psubscribe', shard: 'ssubscribe' };
const UNSUBSCRIBE: Record<Kind, string> = { channel: 'unsubscribe', pattern: 'punsubscribe', shard: 'sunsubscribe' };

/** Past this many unsent bytes a delivery checks the output limit at once, not only at the flush. */
const CHECK_AT = 64 * 1024;

/** One published message rendered once, shared by every receiver of the same protocol. */
class Frame {
  private resp2: Buffer | null = null;
  private resp3: Buffer | null = null;

  constructor(private readonly body: string) {}

  for(resp: 2 | 3): Buffer {
    if (resp === 2) return (this.resp2 ??= Buffer.from('*' + this.body, 'latin1'));
    return (this.resp3 ??= Buffer.from('>' + this.body, 'latin1'));
  }
}

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;

export class PubSub {
  /** Channel → subscribers, in subscription order. */
  readonly channels = new Map<string, Set<Client>>();
  /** Pattern → subscribers. */
  readonly patterns = new Map<string, Set<Client>>();
  /** Shard channel → subscribers (SSUBSCRIBE). */
  readonly shardChannels = new Map<string, Set<Client>>();
  /** Slot → the shard channels of shardChannels in it (Redis's slots_to_channels). */
  private readonly shardSlots = new Map<number, Set<string>>();
  /** Clients with messages in their reply buffer that no read loop of theirs will flush. */
  private readonly dirty = new Set<Client>();
  private flushScheduled = false;

  constructor(readonly server: Server) {
    server.acl.onUserChanged.push((user) => this.revoke(user));
  }

  private table(kind: Kind): Map<string, Set<Client>> {
    return kind === 'channel' ? this.channels : kind === 'pattern' ? this.patterns : this.shardChannels;
  }

  private own(c: Client, kind: Kind): Set<string> | undefined {
    const s = c.subs;
    if (s === null) return undefined;
    return kind === 'channel' ? s.channels : kind === 'pattern' ? s.patterns : s.shard;
  }

  /** Subscribes `c` to `name` and confirms it, as Redis's pubsubSubscribeChannel/Pattern. */
  subscribe(c: Client, kind: Kind, name: string): void {
    let s = c.subs;
    if (s === null) {
      s = c.subs = { registry: this, channels: new Set(), patterns: new Set(), shard: new Set() };
      if (c.kind === 'normal') c.kind = 'pubsub';
    }
    const mine = kind === 'channel' ? s.channels : kind === 'pattern' ? s.patterns : s.shard;
    if (!mine.has(name)) {
      mine.add(name);
      const table = this.table(kind);
      let clients = table.get(name);
      if (clients === undefined) {
        table.set(name, (clients = new Set()));
        if (kind === 'shard') this.indexShard(name, true);
      }
      clients.add(c);
    }
    confirm(c, SUBSCRIBE[kind], name, count(c, kind));
  }

  /** Removes one subscription; returns whether there was one. `notify` sends the confirmation. */
  unsubscribe(c: Client, kind: Kind, name: string, notify: boolean): boolean {
    const mine = this.own(c, kind);
    const had = mine !== undefined && mine.delete(name);
    if (had) {
      const table = this.table(kind);
      const clients = table.get(name);
      clients?.delete(c);
      // An empty entry is dropped, so creating channels cannot grow the table forever.
      if (clients?.size === 0) {
        table.delete(name);
        if (kind === 'shard') this.indexShard(name, false);
      }
    }
    if (notify) confirm(c, UNSUBSCRIBE[kind], name, count(c, kind));
    return had;
  }

  /** UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE with no arguments: all of one kind. */
  unsubscribeAll(c: Client, kind: Kind, notify: boolean): void {
    const mine = this.own(c, kind);
    let n = 0;
    if (mine !== undefined) for (const name of [...mine]) if (this.unsubscribe(c, kind, name, notify)) n++;
    // Subscribed to nothing: the client still gets one confirmation, with a null name.
    if (notify && n === 0) confirm(c, UNSUBSCRIBE[kind], null, count(c, kind));
  }

  private indexShard(channel: string, add: boolean): void {
    const slot = keyHashSlot(channel);
    let names = this.shardSlots.get(slot);
    if (add) {
      if (names === undefined) this.shardSlots.set(slot, (names = new Set()));
      names.add(channel);
    } else if (names !== undefined) {
      names.delete(channel);
      if (names.size === 0) this.shardSlots.delete(slot);
    }
  }

  /**
   * Redis's removeChannelsInSlot: the shard channels of a slot this shard stops serving lose their
   * subscribers, each told with a `sunsubscribe` push, so that a cluster client subscribes again
   * where the slot went.
   */
  dropShardSlot(slot: number): void {
    const names = this.shardSlots.get(slot);
    if (names === undefined) return;
    for (const name of [...names]) {
      for (const c of [...(this.shardChannels.get(name) ?? [])]) {
        this.unsubscribe(c, 'shard', name, true);
        this.settle(c);
        this.dirty.add(c);
      }
    }
    if (!this.flushScheduled && this.dirty.size > 0) {
      this.flushScheduled = true;
      setImmediate(this.flushDirty);
    }
  }

  /** Leaves subscribed mode once nothing is left (Redis clears CLIENT_PUBSUB the same way). */
  settle(c: Client): void {
    const s = c.subs;
    if (s === null || s.channels.size + s.patterns.size + s.shard.size > 0) return;
    c.subs = null;
    if (c.kind === 'pubsub') c.kind = 'normal';
  }

  /** Drops every subscription without a word (disconnect, RESET, revoked rights). */
  forget(c: Client): void {
    if (c.subs === null) return;
    for (const kind of ['channel', 'pattern', 'shard'] as const) this.unsubscribeAll(c, kind, false);
    this.settle(c);
  }

  /** PUBLISH / SPUBLISH: delivers to channel (and, unless sharded, pattern) subscribers; returns how many. */
  publish(channel: string, message: string, shard: boolean): number {
    let receivers = 0;
    const clients = (shard ? this.shardChannels : this.channels).get(channel);
    if (clients !== undefined) {
      const frame = new Frame(`3\r\n${shard ? '$8\r\nsmessage\r\n' : '$7\r\nmessage\r\n'}${bulk(channel)}${bulk(message)}`);
      for (const c of clients) {
        this.deliver(c, frame.for(c.resp));
        receivers++;
      }
    }
    if (shard || this.patterns.size === 0) return receivers;
    for (const [pattern, subscribers] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      const frame = new Frame(`4\r\n$8\r\npmessage\r\n${bulk(pattern)}${bulk(channel)}${bulk(message)}`);
      for (const c of subscribers) {
        this.deliver(c, frame.for(c.resp));
        receivers++;
      }
    }
    return receivers;
  }

  private deliver(c: Client, bytes: Buffer): void {
    // A message to the client whose command published it follows that command's reply, as Redis
    // 7.2's pending push messages (7.0 wrote it before the reply: inside EXEC, between replies).
    if (c.server.tracking.isCurrent(c)) {
      (c.heldPushes ??= []).push(bytes);
      return;
    }
    const w = c.reply;
    // Messages are pushes: CLIENT REPLY OFF/SKIP does not silence them (Redis's CLIENT_PUSHING).
    const enabled = w.enabled;
    w.enabled = true;
    w.raw(bytes);
    w.enabled = enabled;
    // A subscriber that does not read must not hold a whole burst in memory before the flush.
    if (w.pending >= CHECK_AT && checkOutputLimits(c)) return;
    this.dirty.add(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushDirty);
    }
  }

  /** The messages `c` published to itself, now that its command has replied. */
  release(c: Client): void {
    const held = c.heldPushes;
    c.heldPushes = null;
    if (held !== null && !c.closed) for (const bytes of held) this.deliver(c, bytes);
  }

  /** After the I/O turn: one write per subscriber for everything published to it meanwhile. */
  private readonly flushDirty = (): void => {
    this.flushScheduled = false;
    const clients = [...this.dirty];
    this.dirty.clear();
    for (const c of clients) if (!c.closed) flushClient(c);
  };

  /** Redis's ACLKillPubsubClientsIfNeeded: subscribers of `user` holding a now-forbidden subscription are closed. */
  private revoke(user: User): void {
    if (this.channels.size + this.patterns.size + this.shardChannels.size === 0) return;
    for (const c of [...this.server.clients.values()]) {
      const s = c.subs;
      if (s === null || c.user !== user.name || c.kind !== 'pubsub') continue;
      if (!stillAllowed(user, s)) {
        if (c.current !== null) c.closeAfterReply = true;
        else this.server.closeClient(c);
      }
    }
  }
}

function stillAllowed(user: User, s: Subscriptions): boolean {
  // Patterns are compared literally with the user's channel rules, channels are glob-matched.
  for (const p of s.patterns) if (!channelAllowed(user, p, true)) return false;
  for (const ch of s.channels) if (!channelAllowed(user, ch, false)) return false;
  for (const ch of s.shard) if (!channelAllowed(user, ch, false)) return false;
  return true;
}

/** The count a confirmation carries: channels plus patterns, or shard channels alone. */
function count(c: Client, kind: Kind): number {
  const s = c.subs;
  if (s === null) return 0;
  return kind === 'shard' ? s.shard.size : s.channels.size + s.patterns.size;
}

/** [kind, name or null, count], a push in RESP3; sent even under CLIENT REPLY OFF, as Redis. */
function confirm(c: Client, kind: string, name: string | null, n: number): void {
  const w = c.reply;
  const enabled = w.enabled;
  w.enabled = true;
  w.push(3);
  w.bulk(kind);
  if (name === null) w.nil();
  else w.bulk(name);
  w.integer(n);
  w.enabled = enabled;
}

/**
 * What a RESP2 client may run while subscribed (Redis's processCommand list; PING then answers
 * ["pong", message]). Read once, when the command table is built (Command.allowedWhenSubscribed).
 */
export const RESP2_SUBSCRIBED_ALLOWED: ReadonlySet<string> = new Set([
  'ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset',
]);
