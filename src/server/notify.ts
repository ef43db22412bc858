// Keyspace notifications (notify-keyspace-events), as Redis's notify.c: notify(), which publishes
// `__keyspace@<db>__:<key>` → event and `__keyevent@<db>__:<event>` → key through pub/sub. It sits
// on every write path, so it returns at once when the event's class is switched off. The event
// classes and the directive's syntax are config/keyspace-events.ts.

// Type-only imports: every family imports this module, so it must not pull in the command table.
import type { Client } from './client.js';
import type { Server } from './server.js';

export {
  NOTIFY_GENERIC, NOTIFY_STRING, NOTIFY_LIST, NOTIFY_SET, NOTIFY_HASH, NOTIFY_ZSET, NOTIFY_EXPIRED,
  NOTIFY_STREAM, NOTIFY_KEY_MISS, NOTIFY_NEW, NOTIFY_EVICTED,
} from '../config/keyspace-events.js';
import { NOTIFY_KEYSPACE, NOTIFY_KEYEVENT } from '../config/keyspace-events.js';

/** Publishes one event of class `cls` about `key` in the client's database. */
export function notify(c: Client, cls: number, event: string, key: string): void {
  if ((c.server.notifyFlags & cls) === 0) return;
  publishEvent(c.server, event, key, c.db.id);
}

/** notify() for a database other than the client's (MOVE, COPY ... DB) or with no client (expiry). */
export function notifyDb(server: Server, dbId: number, cls: number, event: string, key: string): void {
  if ((server.notifyFlags & cls) === 0) return;
  publishEvent(server, event, key, dbId);
}

function publishEvent(server: Server, event: string, key: string, dbId: number): void {
  const flags = server.notifyFlags;
  const pubsub = server.pubsub;
  // Nobody listening anywhere: skip building the channel names.
  if (pubsub.channels.size === 0 && pubsub.patterns.size === 0) return;
  if (flags & NOTIFY_KEYSPACE) pubsub.publish(`__keyspace@${dbId}__:${key}`, event, false);
  if (flags & NOTIFY_KEYEVENT) pubsub.publish(`__keyevent@${dbId}__:${event}`, key, false);
}
