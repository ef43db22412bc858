// Hostile RDB values for tests: decompression bombs (a few MB of LZF that expand to hundreds of MB
// and hundreds of millions of entries) and declared-count bombs, each with a valid CRC64, as a
// DUMP payload for RESTORE or inside a whole RDB file (the same value decoder reads both).

import { ByteWriter } from '../../src/persistence/rdb/bytes.js';
import { crc64, crc64Bytes } from '../../src/persistence/rdb/crc64.js';
import { writeLen } from '../../src/persistence/rdb/strings.js';
import { RDB_TYPE } from '../../src/persistence/rdb/types.js';

/** LZF's longest back-reference (7 + 255 + 2 bytes) and farthest distance. */
const LZF_MAX_REF = 264;
const LZF_MAX_DISTANCE = 8192;

/** One piece of an LZF stream: bytes copied as they are, or `length` bytes repeating the last `distance`. */
export type LzfPart = { readonly literal: Buffer } | { readonly distance: number; readonly length: number };

/** An LZF stream (as liblzf's decompressor reads it) producing `parts` one after the other. */
export function lzfStream(parts: readonly LzfPart[]): Buffer {
  const w = new ByteWriter();
  for (const part of parts) {
    if ('literal' in part) {
      for (let at = 0; at < part.literal.length; at += 32) {
        const run = part.literal.subarray(at, at + 32);
        w.u8(run.length - 1);
        w.bytes(run);
      }
      continue;
    }
    const { distance } = part;
    if (distance < 1 || distance > LZF_MAX_DISTANCE) throw new Error('LZF distance out of range');
    let left = part.length;
    if (left < 3) throw new Error('an LZF back-reference copies at least 3 bytes');
    while (left > 0) {
      let n = Math.min(LZF_MAX_REF, left);
      // Never leave 1 or 2 bytes: no reference is that short.
      if (left - n > 0 && left - n < 3) n = left - 3;
      const l = n - 2;
      const off = distance - 1;
      if (l < 7) {
        w.u8((l << 5) | (off >>> 8));
      } else {
        w.u8((7 << 5) | (off >>> 8));
        w.u8(l - 7);
      }
      w.u8(off & 0xff);
      left -= n;
    }
  }
  return w.take();
}

/** Total bytes `parts` expand to. */
function expandedLength(parts: readonly LzfPart[]): number {
  let n = 0;
  for (const p of parts) n += 'literal' in p ? p.literal.length : p.length;
  return n;
}

/** An RDB string in its LZF form (0xC3, compressed length, expanded length, stream). */
export function writeLzfString(w: ByteWriter, parts: readonly LzfPart[]): void {
  const packed = lzfStream(parts);
  w.u8(0xc3);
  writeLen(w, packed.length);
  writeLen(w, expandedLength(parts));
  w.bytes(packed);
}

/**
 * A listpack of `entries` copies of the 2-byte entry "small integer 1", LZF-packed: 300 MB and
 * 150 million entries fit in 3.4 MB. The count field says "unknown" (65535), as for any big one.
 */
export function listpackBombParts(entries: number): LzfPart[] {
  const total = 6 + 2 * entries + 1;
  if (total > 0xffffffff) throw new Error('a listpack holds at most 4 GB');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(total, 0);
  head.writeUInt16LE(0xffff, 4);
  head[6] = 0x01; // 7-bit unsigned integer 1
  head[7] = 0x01; // its back-length
  const parts: LzfPart[] = [{ literal: head }];
  if (entries > 1) parts.push({ distance: 2, length: 2 * (entries - 1) });
  parts.push({ literal: Buffer.from([0xff]) });
  return parts;
}

/** The ziplist form (RDB_TYPE_LIST_ZIPLIST, quicklist v1 nodes) of the same bomb: 2-byte entries "1". */
export function ziplistBombParts(entries: number): LzfPart[] {
  const total = 10 + 2 * entries + 1;
  if (total > 0xffffffff) throw new Error('a ziplist holds at most 4 GB');
  const head = Buffer.alloc(14);
  head.writeUInt32LE(total, 0);
  head.writeUInt32LE(10 + 2 * (entries - 1), 4); // the last entry's offset
  head.writeUInt16LE(0xffff, 8);
  head[10] = 0x00; // first entry: previous length 0
  head[11] = 0xf2; // immediate integer 1
  head[12] = 0x02; // every later entry: previous length 2
  head[13] = 0xf2;
  const parts: LzfPart[] = [{ literal: head.subarray(0, entries > 1 ? 14 : 12) }];
  if (entries > 2) parts.push({ distance: 2, length: 2 * (entries - 2) });
  parts.push({ literal: Buffer.from([0xff]) });
  return parts;
}

/** A list in the old RDB_TYPE_LIST_ZIPLIST form holding a ziplist bomb. */
export function ziplistBomb(entries: number): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLzfString(w, ziplistBombParts(entries));
  return { type: RDB_TYPE.LIST_ZIPLIST, body: w.take() };
}

/** A DUMP payload: type, body, RDB version 10, CRC64 of all that. */
export function dumpPayload(type: number, body: Buffer): Buffer {
  const head = Buffer.concat([Buffer.from([type]), body, Buffer.from([10, 0])]);
  return Buffer.concat([head, crc64Bytes(crc64(head))]);
}

/** A list (quicklist v2) of one packed node holding a listpack bomb of `entries` entries. */
export function listBomb(entries: number): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLen(w, 1); // one node
  writeLen(w, 2); // packed (listpack) container
  writeLzfString(w, listpackBombParts(entries));
  return { type: RDB_TYPE.LIST_QUICKLIST_2, body: w.take() };
}

/** A list of `nodes` packed nodes, each the same listpack bomb of `entries` entries. */
export function manyNodeListBomb(nodes: number, entries: number): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLen(w, nodes);
  for (let i = 0; i < nodes; i++) {
    writeLen(w, 2);
    writeLzfString(w, listpackBombParts(entries));
  }
  return { type: RDB_TYPE.LIST_QUICKLIST_2, body: w.take() };
}

/** A string value of `length` copies of 'a', LZF-packed (512 MB in about 6 MB). */
export function stringBomb(length: number): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLzfString(w, [{ literal: Buffer.from('a') }, { distance: 1, length: length - 1 }]);
  return { type: RDB_TYPE.STRING, body: w.take() };
}

/**
 * A plain RDB_TYPE_LIST declaring `declared` elements and carrying `present` empty strings (one
 * byte each): no compression, the count alone is the attack.
 */
export function declaredCountBomb(type: number, declared: number, present: number): { type: number; body: Buffer } {
  const w = new ByteWriter();
  writeLen(w, declared);
  const zeros = Buffer.alloc(present);
  w.bytes(zeros);
  return { type, body: w.take() };
}

/** An LZF string whose header claims `claimed` expanded bytes for a tiny stream: no allocation may follow the claim. */
export function lzfClaimBomb(type: number, claimed: number): { type: number; body: Buffer } {
  const w = new ByteWriter();
  if (type === RDB_TYPE.LIST_QUICKLIST_2) {
    writeLen(w, 1);
    writeLen(w, 2);
  }
  const packed = lzfStream([{ literal: Buffer.from('abc') }]);
  w.u8(0xc3);
  writeLen(w, packed.length);
  writeLen(w, claimed);
  w.bytes(packed);
  return { type, body: w.take() };
}

/**
 * A whole RDB file (version 10) holding `key` = the value: header, a few aux fields as Redis 7.0
 * writes them, SELECTDB 0, RESIZEDB, the key, EOF and the file's CRC64.
 */
export function rdbFile(key: string, value: { type: number; body: Buffer }): Buffer {
  const w = new ByteWriter();
  w.latin1('REDIS0010');
  const aux = (k: string, v: string): void => {
    w.u8(0xfa);
    writeLen(w, k.length);
    w.latin1(k);
    writeLen(w, v.length);
    w.latin1(v);
  };
  aux('redis-ver', '7.0.15');
  aux('redis-bits', '64');
  w.u8(0xfe); // SELECTDB
  writeLen(w, 0);
  w.u8(0xfb); // RESIZEDB
  writeLen(w, 1);
  writeLen(w, 0);
  w.u8(value.type);
  writeLen(w, key.length);
  w.latin1(key);
  w.bytes(value.body);
  w.u8(0xff); // EOF
  const body = w.take();
  return Buffer.concat([body, crc64Bytes(crc64(body))]);
}
