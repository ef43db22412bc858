// Replies made of many random picks: SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a negative
// count repeat picks, so the client chooses the reply's length, up to 2^63 - 1 elements (Redis
// 7.0 accepts that and builds the reply until memory runs out). Here such a reply may be at most
// proto-max-bulk-len bytes, the most a client may send in one bulk string: a count whose smallest
// possible reply is longer is refused before anything is built. Picking stops when the reply
// writer passes the client's output limit (the client is then closed after the command), and a
// reply that grows past proto-max-bulk-len with no such limit (large members) is abandoned and
// its client closed the same way.

import * as E from '../errors.js';
import { INT64_MAX } from '../int64.js';
import { is, parseInt64 } from '../protocol/args.js';
import type { Client } from '../server/client.js';

/** The fewest bytes one bulk string adds to a reply: an empty one, `$0\r\n\r\n`. */
const MIN_BULK_BYTES = 6;

function maxReplyBytes(c: Client): number {
  return c.server.store.limits.maxBulkLen;
}

/**
 * True when `count` picks of `bulksPerPick` bulk strings each can fit; otherwise replies "value
 * is out of range" (Redis's words for a count it refuses) and returns false.
 */
export function picksFit(c: Client, count: number, bulksPerPick: number): boolean {
  if (count * bulksPerPick * MIN_BULK_BYTES <= maxReplyBytes(c)) return true;
  c.reply.error(E.VALUE_OUT_OF_RANGE);
  return false;
}

/** Writes `count` picks with `pick`, stopping at either limit. */
export function replyPicks(c: Client, count: number, pick: () => void): void {
  const r = c.reply;
  // Picks change nothing: with replies off (CLIENT REPLY OFF/SKIP) there is nothing to do.
  if (!r.enabled) return;
  const max = maxReplyBytes(c);
  const start = r.pending;
  for (let i = 0; i < count && !r.overflowed; i++) {
    pick();
    if (r.pending - start > max) {
      abandon(c, max);
      return;
    }
  }
}

/** A half-built reply cannot be sent: a connection is closed, a script's client gets an error instead. */
function abandon(c: Client, max: number): void {
  c.reply.take();
  if (c.socket === null) {
    c.reply.error(E.VALUE_OUT_OF_RANGE);
    return;
  }
  c.server.log.warning(`Client id=${c.id} addr=${c.addr} closed: a reply of random picks grew past ${max} bytes (proto-max-bulk-len).`);
  c.server.closeClient(c);
}

/** A pair of bulks per pick must not overflow a long: Redis refuses counts past half of LONG_MAX. */
const HALF_LONG_MAX = INT64_MAX / 2n;

/**
 * The count and the pairing option (WITHVALUES, WITHSCORES) of HRANDFIELD and ZRANDMEMBER, with
 * Redis's refusals in Redis's order; null once an error has been replied.
 */
export function randomCountArgs(c: Client, argv: readonly string[], countText: string, pairing: string): { count: bigint; paired: boolean } | null {
  const count = parseInt64(countText);
  if (count === null) {
    c.reply.error(E.NOT_INTEGER);
    return null;
  }
  if (count < -INT64_MAX) {
    c.reply.error(E.LONG_OUT_OF_RANGE);
    return null;
  }
  const option = argv[3];
  if (argv.length > 4 || (option !== undefined && !is(option, pairing))) {
    c.reply.error(E.SYNTAX);
    return null;
  }
  const paired = argv.length === 4;
  if (paired && (count < -HALF_LONG_MAX || count > HALF_LONG_MAX)) {
    c.reply.error(E.VALUE_OUT_OF_RANGE);
    return null;
  }
  return { count, paired };
}
