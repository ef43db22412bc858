// Whole RDB files as Redis 7.0's rdbSaveRio writes them: "REDIS0010", the aux fields, the function
// libraries (FUNCTION2), then per database SELECTDB and RESIZEDB followed by its keys (an optional
// EXPIRETIME_MS, the type byte, the key, the value), and EOF with the CRC64 of every byte before it
// (zeros when rdbchecksum is off, which loaders take as "not checked"). The encoder hands out the
// bytes in chunks, so a snapshot can write a file of any size a piece at a time.

import { ByteWriter } from './bytes.js';
import { crc64Bytes, crc64Update, type Crc64 } from './crc64.js';
import { writeLen, writeString } from './strings.js';
import { RDB_TYPE, RDB_VERSION } from './types.js';
import { valueType, writeValue, type RdbWriteOptions } from './value.js';
import type { Value } from '../../store/types.js';
import type { ListValue } from '../../store/list.js';
import type { SetValue } from '../../store/set.js';
import type { HashValue } from '../../store/hash.js';
import type { ZSetValue } from '../../store/zset.js';

/** rdb.h's opcodes that a file carries between values. */
const RDB_OPCODE = {
  FUNCTION2: 245,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  SELECTDB: 254,
  EOF: 255,
} as const;

export interface RdbFileOptions extends RdbWriteOptions {
  /** rdbchecksum: end the file with the CRC64 of its bytes (else eight zero bytes). */
  readonly checksum: boolean;
}

/**
 * Collections with more elements than this are written a slice at a time (see entrySteps), in the
 * plain forms every loader reads (RDB_TYPE_LIST, SET, HASH, ZSET_2), whose length comes first.
 */
const INCREMENTAL_ELEMENTS = 4096;
/** Elements written between two yields of an incremental value. */
const ELEMENTS_PER_STEP = 512;

export class RdbFileEncoder {
  /** The bytes of the current chunk; take() hands them out. */
  readonly w = new ByteWriter(64 * 1024);
  private crc: Crc64 = { hi: 0, lo: 0 };
  /** Bytes handed out so far. */
  written = 0;

  constructor(private readonly opts: RdbFileOptions) {}

  /** Bytes waiting in the current chunk. */
  get pending(): number {
    return this.w.length;
  }

  /** The magic and version, then the aux fields in order (Redis: redis-ver, redis-bits, ctime, used-mem, aof-base). */
  header(aux: readonly (readonly [string, string])[], version = RDB_VERSION): void {
    this.w.latin1(`REDIS${String(version).padStart(4, '0')}`);
    for (const [k, v] of aux) {
      this.w.u8(RDB_OPCODE.AUX);
      writeString(this.w, k, this.opts);
      writeString(this.w, v, this.opts);
    }
  }

  /** rdbSaveFunctions: each library's whole code. */
  functions(codes: Iterable<string>): void {
    for (const code of codes) {
      this.w.u8(RDB_OPCODE.FUNCTION2);
      writeString(this.w, code, this.opts);
    }
  }

  /** SELECTDB and the RESIZEDB hint (keys and keys with a TTL). */
  selectDb(id: number, size: number, expires: number): void {
    this.w.u8(RDB_OPCODE.SELECTDB);
    writeLen(this.w, id);
    this.w.u8(RDB_OPCODE.RESIZEDB);
    writeLen(this.w, size);
    writeLen(this.w, expires);
  }

  /** One key written whole into `w` (the current chunk unless given another). */
  entry(key: string, value: Value, expireAt: bigint | null, w: ByteWriter = this.w): void {
    entryHead(w, key, expireAt, valueType(value), this.opts);
    writeValue(w, value, this.opts);
  }

  /**
   * One key written a slice at a time: each next() writes up to ELEMENTS_PER_STEP elements into
   * `w` (the current chunk unless given another); done when the value is complete. For values too small to need it, the
   * whole entry is written by the first next().
   */
  *entrySteps(key: string, value: Value, expireAt: bigint | null, w: ByteWriter = this.w): Generator<void, void, void> {
    const o = this.opts;
    if (!writtenInSteps(value)) {
      this.entry(key, value, expireAt, w);
      return;
    }
    let n = 0;
    switch (value.type) {
      case 'list': {
        entryHead(w, key, expireAt, RDB_TYPE.LIST, o);
        const items = value.items;
        const len = items.length;
        writeLen(w, len);
        for (let i = 0; i < len; i++) {
          writeString(w, items.at(i) ?? '', o);
          if (++n % ELEMENTS_PER_STEP === 0) yield;
        }
        return;
      }
      case 'set': {
        entryHead(w, key, expireAt, RDB_TYPE.SET, o);
        const members = value.members();
        writeLen(w, members.length);
        for (const m of members) {
          writeString(w, m, o);
          if (++n % ELEMENTS_PER_STEP === 0) yield;
        }
        return;
      }
      case 'hash': {
        // With field TTLs: RDB_TYPE_HASH_METADATA, each field's expiry relative to the soonest.
        const min = value.hasFieldTtls() ? value.minTtl() : undefined;
        entryHead(w, key, expireAt, min === undefined ? RDB_TYPE.HASH : RDB_TYPE.HASH_METADATA, o);
        if (min !== undefined) w.i64le(BigInt(min));
        writeLen(w, value.size);
        for (const [f, v] of value.fields) {
          if (min !== undefined) {
            const at = value.ttlOf(f);
            writeLen(w, at === undefined ? 0 : at - min + 1);
          }
          writeString(w, f, o);
          writeString(w, v, o);
          if (++n % ELEMENTS_PER_STEP === 0) yield;
        }
        return;
      }
      case 'zset': {
        entryHead(w, key, expireAt, RDB_TYPE.ZSET_2, o);
        writeLen(w, value.size);
        // Highest score first, as Redis walks its skiplist from the tail.
        for (let node = value.order.tail; node !== null; node = node.backward) {
          writeString(w, node.member, o);
          w.f64le(node.score);
          if (++n % ELEMENTS_PER_STEP === 0) yield;
        }
        return;
      }
    }
  }

  /** EOF; the CRC is added by the take() that follows. */
  end(): void {
    this.w.u8(RDB_OPCODE.EOF);
  }

  /**
   * The current chunk as a Buffer of its own, folded into the running CRC; after end(), the CRC
   * (or zeros without rdbchecksum) is appended as the file's last eight bytes.
   */
  take(final = false): Buffer {
    const view = this.w.view();
    if (this.opts.checksum) this.crc = crc64Update(this.crc, view);
    let out: Buffer;
    if (final) {
      const tail = this.opts.checksum ? crc64Bytes(this.crc) : Buffer.alloc(8);
      out = Buffer.concat([view, tail]);
    } else {
      out = Buffer.from(view);
    }
    this.w.length = 0;
    this.written += out.length;
    return out;
  }
}

/** True for a collection large enough to be written a slice at a time (entrySteps). */
export function writtenInSteps(v: Value): v is ListValue | SetValue | HashValue | ZSetValue {
  if (typeof v === 'string' || v.type === 'stream') return false;
  return (v.type === 'list' ? v.length : v.size) > INCREMENTAL_ELEMENTS;
}

/** rdbSaveKeyValuePair up to the value: the expiry, the type byte and the key. */
function entryHead(w: ByteWriter, key: string, expireAt: bigint | null, type: number, opts: RdbFileOptions): void {
  if (expireAt !== null) {
    w.u8(RDB_OPCODE.EXPIRETIME_MS);
    w.i64le(expireAt);
  }
  w.u8(type);
  writeString(w, key, opts);
}
