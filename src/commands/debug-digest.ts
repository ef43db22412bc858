// DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's order-aware SHA1 digest of the dataset and of single
// values (debug.c's xorDigest/mixDigest). The same algorithm over the same data gives the same
// digest on Redis and on Redoubt, so a test can compare two servers' datasets with one command.

import { createHash } from 'node:crypto';
import { formatDouble } from '../protocol/number-format.js';
import type { Database } from '../store/database.js';
import { MAX_ID, MIN_ID } from '../store/stream.js';
import type { Value } from '../store/types.js';

type Digest = Buffer;

/** digest ^= SHA1(data). */
function xorDigest(digest: Digest, data: Buffer | string): void {
  const h = createHash('sha1').update(typeof data === 'string' ? Buffer.from(data, 'latin1') : data).digest();
  for (let i = 0; i < 20; i++) digest[i] = (digest[i] ?? 0) ^ (h[i] ?? 0);
}

/** digest = SHA1(digest ^ SHA1(data)): order matters. */
function mixDigest(digest: Digest, data: Buffer | string): void {
  xorDigest(digest, data);
  createHash('sha1').update(digest).digest().copy(digest);
}

/** A big-endian 32-bit integer, as htonl() gives it. */
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Redis's OBJ_* type codes. */
function typeCode(v: Value): number {
  if (typeof v === 'string') return 0;
  switch (v.type) {
    case 'list':
      return 1;
    case 'set':
      return 2;
    case 'zset':
      return 3;
    case 'hash':
      return 4;
    case 'stream':
      return 6;
  }
}

/** Mixes one value (and whether its key has a TTL) into `digest`, as Redis's xorObjectDigest. */
function objectDigest(digest: Digest, v: Value, hasExpire: boolean): void {
  mixDigest(digest, u32(typeCode(v)));
  if (typeof v === 'string') {
    mixDigest(digest, v);
  } else if (v.type === 'list') {
    for (const e of v) mixDigest(digest, e);
  } else if (v.type === 'set') {
    for (const m of v.members()) xorDigest(digest, m);
  } else if (v.type === 'zset') {
    for (const [member, score] of v.scores) {
      const e = Buffer.alloc(20);
      mixDigest(e, member);
      mixDigest(e, formatDouble(score));
      xorDigest(digest, e);
    }
  } else if (v.type === 'hash') {
    for (const [field, value] of v.fields) {
      const e = Buffer.alloc(20);
      mixDigest(e, field);
      mixDigest(e, value);
      // A field with a TTL, as Redis 8's xorObjectDigest marks it.
      if (v.ttls !== null && v.ttls.has(field)) xorDigest(e, '!!hexpire!!');
      xorDigest(digest, e);
    }
  } else {
    v.range(MIN_ID, MAX_ID, false, 0, (ms, seq, fv, from, to) => {
      mixDigest(digest, `${ms}.${seq}`);
      for (let i = from; i < to; i++) mixDigest(digest, fv[i] ?? '');
    });
  }
  if (hasExpire) xorDigest(digest, '!!expire!!');
}

const hex = (d: Digest): string => d.toString('hex');

/** DEBUG DIGEST: the whole dataset, database numbers included; forty zeros when it is empty. */
export function datasetDigest(dbs: readonly Database[]): string {
  const final = Buffer.alloc(20);
  for (const db of dbs) {
    if (db.data.size === 0) continue;
    mixDigest(final, u32(db.id));
    for (const [key, v] of db.data) {
      const d = Buffer.alloc(20);
      mixDigest(d, key);
      objectDigest(d, v, db.expires.has(key) || (db.expiresExact?.has(key) ?? false));
      xorDigest(final, d);
    }
  }
  return hex(final);
}

/** DEBUG DIGEST-VALUE: one value, logically expired or not; forty zeros for a missing key. */
export function valueDigest(db: Database, key: string): string {
  const d = Buffer.alloc(20);
  const v = db.data.get(key);
  if (v !== undefined) objectDigest(d, v, db.expires.has(key) || (db.expiresExact?.has(key) ?? false));
  return hex(d);
}
