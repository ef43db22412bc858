// How consumer-group reads and claims propagate, as Redis 7.0's streamPropagateXCLAIM,
// streamPropagateGroupID and streamPropagateConsumerCreation: each entry that became (or stayed)
// pending as an idempotent `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID
// LASTID id`, a group moved without pending entries (NOACK) as `XGROUP SETID ... ENTRIESREAD n`,
// a consumer created by a NOACK read as `XGROUP CREATECONSUMER`. The command itself (whose
// outcome depends on the clock: delivery times, min-idle-time) does not propagate.

import type { Client } from '../server/client.js';
import { formatId, type ConsumerGroup, type StreamId } from '../store/stream.js';

/** Collects a group command's effects; nothing is built when no sink would take them. */
export class GroupEffects {
  private readonly on: boolean;

  constructor(
    private readonly c: Client,
    private readonly key: string,
    private readonly group: string,
    private readonly g: ConsumerGroup,
  ) {
    const p = c.server.propagation;
    this.on = p.active;
    if (this.on) p.prevent();
  }

  /** `id` is pending for `consumer` now (or was removed, its entry deleted: replayed, it goes again). */
  claimed(consumer: string, id: StreamId): void {
    if (!this.on) return;
    const n = this.g.pel.find(id);
    const time = n === undefined ? 0 : n.deliveryTime;
    const count = n === undefined ? 0 : n.deliveryCount;
    this.also(['XCLAIM', this.key, this.group, consumer, '0', formatId(id), 'TIME', String(time), 'RETRYCOUNT', String(count), 'FORCE', 'JUSTID', 'LASTID', formatId(this.g.lastId)]);
  }

  /** The group moved with no XCLAIM to carry its last ID. */
  groupMoved(): void {
    if (!this.on) return;
    this.also(['XGROUP', 'SETID', this.key, this.group, formatId(this.g.lastId), 'ENTRIESREAD', String(this.g.entriesRead)]);
  }

  consumerCreated(consumer: string): void {
    if (!this.on) return;
    this.also(['XGROUP', 'CREATECONSUMER', this.key, this.group, consumer]);
  }

  private also(argv: readonly string[]): void {
    this.c.server.propagation.also(this.c.db.id, argv);
  }
}
