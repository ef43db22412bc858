// DUMP payloads: type byte + value body + RDB version (u16 LE) + CRC64 (u64 LE) of all before it,
// as Redis's createDumpPayload and verifyDumpPayload define them.

import { ByteReader, ByteWriter, RdbFormatError } from './bytes.js';
import { crc64, crc64Bytes } from './crc64.js';
import { RDB_VERSION, RDB_VERSION_FIELD_TTLS, isHashWithTtlsType, isObjectType } from './types.js';
import { DecodeBudget } from './budget.js';
import {
  UnsupportedValueError,
  decodeValue,
  valueType,
  writeValue,
  type RdbLoadOptions,
  type RdbWriteOptions,
} from './value.js';
import type { Value } from '../../store/types.js';

const FOOTER = 10;

export function createDumpPayload(v: Value, opts: RdbWriteOptions): Buffer {
  const w = new ByteWriter();
  const type = valueType(v);
  w.u8(type);
  writeValue(w, v, opts);
  // A hash with field TTLs carries Redis 8's version, as its DUMP writes; the rest stay at 7.0's.
  w.u16le(isHashWithTtlsType(type) ? RDB_VERSION_FIELD_TTLS : RDB_VERSION);
  const body = w.view();
  const crc = crc64Bytes(crc64(body));
  return Buffer.concat([body, crc]);
}

/**
 * verifyDumpPayload: the footer's RDB version must be one we read and the CRC must match
 * (unless `skipChecksum`, as DEBUG SET-SKIP-CHECKSUM-VALIDATION allows).
 */
export function verifyDumpPayload(p: Buffer, skipChecksum = false): boolean {
  if (p.length < FOOTER) return false;
  const footer = p.length - FOOTER;
  const version = p.readUInt16LE(footer);
  // Redis 7.0 refuses a newer version; a hash with field TTLs (RDB 12, Redis 7.4/8.0) is loaded.
  if (version > RDB_VERSION && !(version <= RDB_VERSION_FIELD_TTLS && isHashWithTtlsType(p[0] ?? -1))) return false;
  if (skipChecksum) return true;
  const crc = crc64Bytes(crc64(p, 0, p.length - 8));
  return crc.equals(p.subarray(p.length - 8));
}

/**
 * The value in a verified payload, or null when it cannot be loaded ("Bad data format"). Like
 * Redis, bytes left between the value and the footer are ignored.
 */
export function loadDumpPayload(p: Buffer, opts: RdbLoadOptions, budget: DecodeBudget = new DecodeBudget()): Value | null {
  // Redis reads the value from the whole payload: a value may run into the footer bytes.
  const r = new ByteReader(p);
  try {
    const type = r.u8();
    if (!isObjectType(type) && !isHashWithTtlsType(type)) return null;
    return decodeValue(type, r, opts, budget);
  } catch (err) {
    if (err instanceof RdbFormatError || err instanceof UnsupportedValueError) return null;
    // The budget keeps decoding within V8's limits; should one still be reached (a table over
    // its size, a string over its length), the payload is refused as data that cannot load.
    if (err instanceof RangeError) return null;
    throw err;
  }
}
