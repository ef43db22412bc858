// The encodings Redis 7.0 still loads but no longer writes (ziplists, zipmaps, quicklist v1), built
// by hand for tests: redis-server 7.0 cannot DUMP them, so RESTORE of these payloads is compared
// between the two servers to check both decoders read them alike.

import { ByteWriter } from '../../src/persistence/rdb/bytes.js';
import { writeLen, writeString } from '../../src/persistence/rdb/strings.js';
import { RDB_TYPE } from '../../src/persistence/rdb/types.js';

/** One ziplist entry's encoding and data, in the smallest form Redis's ziplistPush picks. */
function zipEntryBody(s: string): Buffer {
  if (/^-?[1-9]\d{0,18}$|^0$/.test(s)) {
    const v = BigInt(s);
    if (v >= 0n && v <= 12n) return Buffer.from([0xf1 + Number(v)]);
    if (v >= -128n && v <= 127n) return Buffer.from([0xfe, Number(v) & 0xff]);
    if (v >= -32768n && v <= 32767n) {
      const b = Buffer.alloc(3);
      b[0] = 0xc0;
      b.writeInt16LE(Number(v), 1);
      return b;
    }
    if (v >= -8388608n && v <= 8388607n) {
      const b = Buffer.alloc(4);
      b[0] = 0xf0;
      b.writeIntLE(Number(v), 1, 3);
      return b;
    }
    if (v >= -2147483648n && v <= 2147483647n) {
      const b = Buffer.alloc(5);
      b[0] = 0xd0;
      b.writeInt32LE(Number(v), 1);
      return b;
    }
    if (v >= -(2n ** 63n) && v < 2n ** 63n) {
      const b = Buffer.alloc(9);
      b[0] = 0xe0;
      b.writeBigInt64LE(v, 1);
      return b;
    }
  }
  const data = Buffer.from(s, 'latin1');
  let head: Buffer;
  if (data.length <= 63) head = Buffer.from([data.length]);
  else if (data.length <= 16383) head = Buffer.from([0x40 | (data.length >>> 8), data.length & 0xff]);
  else {
    head = Buffer.alloc(5);
    head[0] = 0x80;
    head.writeUInt32BE(data.length, 1);
  }
  return Buffer.concat([head, data]);
}

/** A ziplist of `entries`: zlbytes, zltail, zllen, entries each after its prevlen, 0xFF. */
export function encodeZiplist(entries: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  let prev = 0;
  let offset = 10;
  let tail = 10;
  for (const e of entries) {
    const body = zipEntryBody(e);
    let prevlen: Buffer;
    if (prev < 254) prevlen = Buffer.from([prev]);
    else {
      prevlen = Buffer.alloc(5);
      prevlen[0] = 0xfe;
      prevlen.writeUInt32LE(prev, 1);
    }
    const entry = Buffer.concat([prevlen, body]);
    tail = offset;
    offset += entry.length;
    prev = entry.length;
    parts.push(entry);
  }
  const head = Buffer.alloc(10);
  head.writeUInt32LE(offset + 1, 0);
  head.writeUInt32LE(tail, 4);
  head.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  return Buffer.concat([head, ...parts, Buffer.from([0xff])]);
}

/** A zipmap of field/value pairs (lengths under 254 take one byte, others 254 + u32). */
export function encodeZipmap(pairs: readonly (readonly [string, string])[]): Buffer {
  const len = (n: number): Buffer => {
    if (n < 254) return Buffer.from([n]);
    const b = Buffer.alloc(5);
    b[0] = 254;
    b.writeUInt32LE(n, 1);
    return b;
  };
  const parts: Buffer[] = [Buffer.from([Math.min(pairs.length, 254)])];
  for (const [f, v] of pairs) {
    parts.push(len(f.length), Buffer.from(f, 'latin1'), len(v.length), Buffer.from([0]), Buffer.from(v, 'latin1'));
  }
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

const NO_COMPRESSION = { compress: false };

/** The value body of each legacy type (type byte apart), from plain contents. */
export const legacy = {
  listZiplist(items: readonly string[]): { type: number; body: Buffer } {
    const w = new ByteWriter();
    writeString(w, encodeZiplist(items), NO_COMPRESSION);
    return { type: RDB_TYPE.LIST_ZIPLIST, body: w.take() };
  },
  /** Quicklist v1: nodes of ziplists, `perNode` entries each. */
  listQuicklist(items: readonly string[], perNode: number): { type: number; body: Buffer } {
    const w = new ByteWriter();
    const nodes: string[][] = [];
    for (let i = 0; i < items.length; i += perNode) nodes.push(items.slice(i, i + perNode));
    writeLen(w, nodes.length);
    for (const n of nodes) writeString(w, encodeZiplist(n), { compress: true });
    return { type: RDB_TYPE.LIST_QUICKLIST, body: w.take() };
  },
  hashZiplist(pairs: readonly (readonly [string, string])[]): { type: number; body: Buffer } {
    const w = new ByteWriter();
    writeString(w, encodeZiplist(pairs.flat()), NO_COMPRESSION);
    return { type: RDB_TYPE.HASH_ZIPLIST, body: w.take() };
  },
  hashZipmap(pairs: readonly (readonly [string, string])[]): { type: number; body: Buffer } {
    const w = new ByteWriter();
    writeString(w, encodeZipmap(pairs), NO_COMPRESSION);
    return { type: RDB_TYPE.HASH_ZIPMAP, body: w.take() };
  },
  /** Scores as Redis's ziplist zsets stored them: integers as integers, others as %.17g text. */
  zsetZiplist(entries: readonly (readonly [string, number])[]): { type: number; body: Buffer } {
    const w = new ByteWriter();
    const flat = entries.flatMap(([m, s]) => [m, Number.isInteger(s) ? String(s) : s.toPrecision(17)]);
    writeString(w, encodeZiplist(flat), NO_COMPRESSION);
    return { type: RDB_TYPE.ZSET_ZIPLIST, body: w.take() };
  },
};
