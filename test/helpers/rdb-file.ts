// A minimal walk over an RDB file for tests that check what a snapshot wrote without a server:
// each key's value bytes become the DUMP payload they would be (type, body, version, CRC), with
// its expiry, keyed "db:key". Files are checked whole: magic, opcodes, EOF and the CRC64.

import assert from 'node:assert/strict';
import { ByteReader } from '../../src/persistence/rdb/bytes.js';
import { crc64, crc64Bytes } from '../../src/persistence/rdb/crc64.js';
import { readLen, readString } from '../../src/persistence/rdb/strings.js';
import { RDB_VERSION, RDB_VERSION_FIELD_TTLS, isHashWithTtlsType } from '../../src/persistence/rdb/types.js';
import { decodeValue } from '../../src/persistence/rdb/value.js';

export interface RdbFileImage {
  /** "db:key" → "<DUMP payload hex> ttl=<ms or ->". */
  readonly entries: Map<string, string>;
  readonly libraries: string[];
  readonly aux: Map<string, string>;
}

export function readRdbFile(file: Buffer): RdbFileImage {
  // Redis 7.0's version, or 7.4's when the snapshot held hashes with field TTLs.
  assert.match(file.subarray(0, 9).latin1Slice(), new RegExp(`^REDIS00(${RDB_VERSION}|${RDB_VERSION_FIELD_TTLS})$`));
  const r = new ByteReader(file, 9);
  const entries = new Map<string, string>();
  const libraries: string[] = [];
  const aux = new Map<string, string>();
  let db = 0;
  let expire: bigint | null = null;
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    if (op === 255) break;
    if (op === 250) aux.set(readString(r), readString(r));
    else if (op === 245) libraries.push(readString(r));
    else if (op === 254) db = readLen(r);
    else if (op === 251) {
      readLen(r);
      readLen(r);
    } else if (op === 252) expire = r.i64le();
    else {
      const key = readString(r);
      const start = r.pos;
      decodeValue(op, r);
      // As createDumpPayload: a hash with field TTLs carries version 12.
      const version = isHashWithTtlsType(op) ? RDB_VERSION_FIELD_TTLS : RDB_VERSION;
      const body = Buffer.concat([file.subarray(at, at + 1), file.subarray(start, r.pos), Buffer.from([version & 0xff, version >> 8])]);
      const payload = Buffer.concat([body, crc64Bytes(crc64(body))]);
      const id = `${db}:${key}`;
      assert.equal(entries.has(id), false, `${id} is in the file twice`);
      entries.set(id, `${payload.toString('hex')} ttl=${expire === null ? '-' : String(Number(expire))}`);
      expire = null;
    }
  }
  assert.equal(r.remaining, 8, 'the CRC64 ends the file');
  assert.deepEqual(file.subarray(r.pos), crc64Bytes(crc64(file, 0, r.pos)), 'the CRC64 matches');
  return { entries, libraries, aux };
}
