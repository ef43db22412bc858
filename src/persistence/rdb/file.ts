// Whole RDB files, read one record at a time: the header, aux fields, database selectors and
// size hints, function libraries, keys with their expiry and LRU/LFU opcodes, module data, the
// EOF marker and its CRC64. Versions 1 to 12 (Redis up to 7.4, Valkey 8). Values decode through
// value.ts with one budget for the whole file; any damage is an RdbFileError naming the offset.
// The server's loader (server/rdb-load.ts) and `redoubt check-rdb` both walk files through this.

import { ByteReader, RdbEmptyValueError, RdbFormatError } from './bytes.js';
import { crc64Update, type Crc64 } from './crc64.js';
import { readLen, readString } from './strings.js';
import { RDB_TYPE, isObjectType } from './types.js';
import { DecodeBudget } from './budget.js';
import { DEFAULT_LOAD_OPTIONS, UnsupportedValueError, decodeValue, type RdbLoadOptions } from './value.js';
import type { Value } from '../../store/types.js';

/** The newest RDB version this reader loads (Redis 7.4 writes 12, Redis 7.2 and Valkey 8 write 11). */
const RDB_MAX_VERSION = 12;

const OP = {
  SLOT_INFO: 244,
  FUNCTION2: 245,
  FUNCTION_PRE_GA: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

/** Module value annotations (RDB_MODULE_OPCODE_*), which let a reader step over a module's data. */
const MODULE_OP = { EOF: 0, SINT: 1, UINT: 2, FLOAT: 3, DOUBLE: 4, STRING: 5 } as const;

/** Where a damaged file went wrong, and how. */
export class RdbFileError extends Error {
  constructor(
    /** Offset in the file where reading failed. */
    readonly offset: number,
    readonly reason: string,
    /** 'unsupported': valid data this server cannot hold (module types, hash field TTLs). */
    readonly kind: 'corrupt' | 'truncated' | 'checksum' | 'unsupported',
    /** What was being read: the key, its type, the record's offset. */
    readonly context: string | null = null,
  ) {
    super(context === null ? reason : `${reason} (${context})`);
  }
}

export interface RdbKeyRecord {
  readonly kind: 'key';
  readonly offset: number;
  readonly type: number;
  readonly key: string;
  readonly value: Value;
  /** Absolute expiry in ms, or null. */
  readonly expireAt: bigint | null;
  /** LRU idle seconds (IDLE opcode), or null. */
  readonly idle: number | null;
  /** LFU counter (FREQ opcode), or null. */
  readonly freq: number | null;
}

export type RdbRecord =
  | { readonly kind: 'aux'; readonly offset: number; readonly key: string; readonly value: string }
  | { readonly kind: 'select'; readonly offset: number; readonly db: number }
  | { readonly kind: 'resize'; readonly offset: number; readonly keys: number; readonly expires: number }
  | { readonly kind: 'function'; readonly offset: number; readonly code: string }
  /** Module data, returned (stepped over) only when the reader checks rather than loads. */
  | { readonly kind: 'module'; readonly offset: number; readonly module: string; readonly key: string | null }
  /** A key whose value holds nothing (saved by an old Redis bug): skipped, as Redis does. */
  | { readonly kind: 'empty-key'; readonly offset: number; readonly key: string }
  | RdbKeyRecord
  | { readonly kind: 'eof'; readonly offset: number; readonly checksum: 'ok' | 'disabled' | 'absent' | 'unchecked'; readonly end: number };

export interface RdbReadOptions {
  readonly load?: RdbLoadOptions;
  /** One budget for every value of the file (default: measured from the heap when needed). */
  readonly budget?: DecodeBudget;
  /** rdbchecksum: compare the CRC64 at the end (a stored zero means saved without one). */
  readonly verifyChecksum?: boolean;
  /** Step over module data and name it instead of refusing it (`check-rdb`). */
  readonly checkMode?: boolean;
}

/** Redis's moduleTypeNameByID: the 9-character type name in the top 54 bits of a module id. */
function moduleNameOf(id: bigint): string {
  const cset = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let rest = id >> 10n;
  let name = '';
  for (let j = 0; j < 9; j++) {
    name = (cset[Number(rest & 63n)] ?? '?') + name;
    rest >>= 6n;
  }
  return name;
}

const TYPE_NAMES: Record<number, string> = {
  0: 'string',
  1: 'list',
  2: 'set',
  3: 'zset',
  4: 'hash',
  5: 'zset-v2',
  6: 'module-pre-release',
  7: 'module-value',
  9: 'hash-zipmap',
  10: 'list-ziplist',
  11: 'set-intset',
  12: 'zset-ziplist',
  13: 'hash-ziplist',
  14: 'quicklist',
  15: 'stream',
  16: 'hash-listpack',
  17: 'zset-listpack',
  18: 'quicklist-v2',
  19: 'stream-v2',
  20: 'set-listpack',
  21: 'stream-v3',
  22: 'hash-hashtable-md-pre-ga',
  23: 'hash-listpack-md-pre-ga',
  24: 'hash-hashtable-md',
  25: 'hash-listpack-md',
};

/** A value type's name as redis-check-rdb prints it. */
function rdbTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `unknown type ${type}`;
}

/** Redis's rdbIsObjectType for a file of `version`: 7.2 added types 20-21, 7.4 types 22-25. */
function knownType(type: number, version: number): boolean {
  if (isObjectType(type)) return true;
  if (type === RDB_TYPE.SET_LISTPACK || type === RDB_TYPE.STREAM_LISTPACKS_3) return version >= 11;
  // Hashes with field TTLs load from any version: a snapshot can meet its first field TTL after
  // its header was written.
  return type >= RDB_TYPE.HASH_METADATA_PRE_GA && type <= RDB_TYPE.HASH_LISTPACK_EX && version >= 10;
}

/**
 * Reads an RDB file held in `buf` from `start` (an AOF base file's RDB part starts at 0 and is
 * followed by commands: see `end` of the 'eof' record). Call header() once, then next() until it
 * returns the 'eof' record.
 */
export class RdbFileReader {
  private readonly r: ByteReader;
  private readonly load: RdbLoadOptions;
  private readonly budget: DecodeBudget;
  private readonly verify: boolean;
  private readonly checkMode: boolean;
  private crc: Crc64 = { hi: 0, lo: 0 };
  private crcPos: number;
  version = 0;
  done = false;

  constructor(
    readonly buf: Buffer,
    opts: RdbReadOptions = {},
    start = 0,
  ) {
    this.r = new ByteReader(buf, start);
    this.crcPos = start;
    this.load = opts.load ?? DEFAULT_LOAD_OPTIONS;
    this.budget = opts.budget ?? new DecodeBudget();
    this.verify = opts.verifyChecksum ?? true;
    this.checkMode = opts.checkMode ?? false;
  }

  /** Offset of the next unread byte. */
  get pos(): number {
    return this.r.pos;
  }

  /** "REDIS" and the four-digit version; returns the version. */
  header(): number {
    const r = this.r;
    if (this.buf.length - r.pos < 9) throw new RdbFileError(r.pos, 'Unexpected EOF reading RDB file', 'truncated', 'header');
    const magic = r.latin1(5);
    if (magic !== 'REDIS') throw new RdbFileError(0, 'Wrong signature trying to load DB from file', 'corrupt');
    const digits = r.latin1(4);
    const version = /^\d{4}$/.test(digits) ? Number(digits) : -1;
    if (version < 1 || version > RDB_MAX_VERSION) {
      throw new RdbFileError(5, `Can't handle RDB format version ${digits.replace(/[^\x20-\x7e]/g, '?')}`, 'unsupported');
    }
    this.version = version;
    return version;
  }

  /** The next record; after 'eof', calling again is a bug. */
  next(): RdbRecord {
    if (this.done) throw new Error('RDB file already read to its end');
    const r = this.r;
    const offset = r.pos;
    let context: string | null = null;
    let expireAt: bigint | null = null;
    let idle: number | null = null;
    let freq: number | null = null;
    try {
      for (;;) {
        const at = r.pos;
        const type = r.u8();
        switch (type) {
          case OP.EXPIRETIME_MS:
            expireAt = r.bytes(8).readBigInt64LE(0);
            continue;
          case OP.EXPIRETIME:
            expireAt = BigInt(r.bytes(4).readInt32LE(0)) * 1000n;
            continue;
          case OP.FREQ:
            freq = r.u8();
            continue;
          case OP.IDLE:
            idle = readLen(r);
            continue;
          case OP.EOF:
            return this.finish(at);
          case OP.SELECTDB:
            return this.after({ kind: 'select', offset: at, db: readLen(r) });
          case OP.RESIZEDB: {
            const keys = readLen(r);
            return this.after({ kind: 'resize', offset: at, keys, expires: readLen(r) });
          }
          case OP.SLOT_INFO:
            // Cluster slot sizes (Redis 7.4, Valkey 8): hints only.
            readLen(r);
            readLen(r);
            readLen(r);
            continue;
          case OP.AUX: {
            context = 'aux field';
            const key = readString(r, this.budget);
            return this.after({ kind: 'aux', offset: at, key, value: readString(r, this.budget) });
          }
          case OP.MODULE_AUX: {
            const id = readLen64(r);
            const module = moduleNameOf(id);
            if (!this.checkMode) {
              throw new RdbFileError(at, `The RDB file contains AUX module data I can't load: no matching module '${module}'`, 'unsupported');
            }
            context = `module '${module}' aux data`;
            if (readLen(r) !== MODULE_OP.UINT) throw new RdbFormatError('bad when_opcode');
            readLen(r);
            skipModuleValue(r);
            return this.after({ kind: 'module', offset: at, module, key: null });
          }
          case OP.FUNCTION_PRE_GA:
            context = 'function library (7.0 release candidate format)';
            return this.after({ kind: 'function', offset: at, code: this.readPreGaLibrary() });
          case OP.FUNCTION2:
            context = 'function library';
            return this.after({ kind: 'function', offset: at, code: readString(r, this.budget) });
          default:
            break;
        }
        if (!knownType(type, this.version)) throw new RdbFileError(at, `Unknown RDB value type ${type}`, 'corrupt');
        context = `reading key at offset ${at}`;
        const key = readString(r, this.budget);
        context = `key '${printable(key)}', type ${rdbTypeName(type)}`;
        if (type === RDB_TYPE.MODULE || type === RDB_TYPE.MODULE_2) {
          const module = moduleNameOf(readLen64(r));
          if (!this.checkMode || type === RDB_TYPE.MODULE) {
            throw new RdbFileError(
              at,
              `The RDB file contains module data I can't load: no matching module type '${module}'`,
              'unsupported',
              context,
            );
          }
          skipModuleValue(r);
          return this.after({ kind: 'module', offset: at, module, key });
        }
        try {
          const value = decodeValue(type, r, this.load, this.budget);
          return this.after({ kind: 'key', offset: at, type, key, value, expireAt, idle, freq });
        } catch (err) {
          if (err instanceof RdbEmptyValueError) return this.after({ kind: 'empty-key', offset: at, key });
          throw err;
        }
      }
    } catch (err) {
      throw this.explain(err, offset, context);
    }
  }

  /** Records read so far count into the CRC in blocks, not per record. */
  private after<T extends RdbRecord>(rec: T): T {
    if (this.r.pos - this.crcPos >= 1 << 16) this.feedCrc(this.r.pos);
    return rec;
  }

  private feedCrc(upTo: number): void {
    this.crc = crc64Update(this.crc, this.buf, this.crcPos, upTo);
    this.crcPos = upTo;
  }

  private finish(at: number): RdbRecord {
    const r = this.r;
    this.done = true;
    // The CRC covers every byte up to and including the EOF opcode.
    this.feedCrc(at + 1);
    if (this.version < 5) return { kind: 'eof', offset: at, checksum: 'absent', end: r.pos };
    if (r.end - r.pos < 8) throw new RdbFileError(r.pos, 'Unexpected EOF reading RDB file', 'truncated', 'checksum');
    const lo = r.u32le();
    const hi = r.u32le();
    if (lo === 0 && hi === 0) return { kind: 'eof', offset: at, checksum: 'disabled', end: r.pos };
    if (!this.verify) return { kind: 'eof', offset: at, checksum: 'unchecked', end: r.pos };
    if (lo !== this.crc.lo || hi !== this.crc.hi) {
      throw new RdbFileError(
        at + 1,
        `Wrong RDB checksum expected: (${hex(this.crc)}) but got (${hex({ hi, lo })})`,
        'checksum',
      );
    }
    return { kind: 'eof', offset: at, checksum: 'ok', end: r.pos };
  }

  /** The 7.0 release candidates' library record, as today's code with its shebang (Redis's rdbFunctionLoad). */
  private readPreGaLibrary(): string {
    const r = this.r;
    const name = readString(r, this.budget);
    const engine = readString(r, this.budget);
    if (readLen(r) !== 0) readString(r, this.budget);
    const body = readString(r, this.budget);
    return `#!${engine} name=${name}\n${body}`;
  }

  private explain(err: unknown, offset: number, context: string | null): unknown {
    if (err instanceof RdbFileError) return err;
    const at = Math.min(this.r.pos, this.buf.length);
    if (err instanceof RdbFormatError) {
      if (err.message === 'unexpected end of data') {
        return new RdbFileError(at, 'Unexpected EOF reading RDB file', 'truncated', context);
      }
      return new RdbFileError(at, `Bad data format: ${err.message}`, 'corrupt', context ?? `record at offset ${offset}`);
    }
    if (err instanceof UnsupportedValueError) return new RdbFileError(offset, err.message, 'corrupt', context);
    // The budget keeps decoding within V8's limits; a structure past its size still lands here.
    if (err instanceof RangeError) return new RdbFileError(at, `value too large to load: ${err.message}`, 'corrupt', context);
    return err;
  }
}

/** rdbLoadLen of a full 64-bit value (module ids use all 64 bits). */
function readLen64(r: ByteReader): bigint {
  const b = r.u8();
  if (b >>> 6 === 0) return BigInt(b & 0x3f);
  if (b >>> 6 === 1) return BigInt(((b & 0x3f) << 8) | r.u8());
  if (b === 0x80) return BigInt(r.u32be());
  if (b === 0x81) return r.u64be();
  throw new RdbFormatError('bad length encoding');
}

/** Steps over a module value written with annotations (RDB_TYPE_MODULE_2, module aux data). */
function skipModuleValue(r: ByteReader): void {
  for (;;) {
    const op = readLen(r);
    switch (op) {
      case MODULE_OP.EOF:
        return;
      case MODULE_OP.SINT:
      case MODULE_OP.UINT:
        readLen64(r);
        break;
      case MODULE_OP.FLOAT:
        r.skip(4);
        break;
      case MODULE_OP.DOUBLE:
        r.skip(8);
        break;
      case MODULE_OP.STRING: {
        // A string's bytes are stepped over, never expanded.
        const b = r.u8();
        const kind = b >>> 6;
        if (kind === 3) {
          const enc = b & 0x3f;
          if (enc === 0) r.skip(1);
          else if (enc === 1) r.skip(2);
          else if (enc === 2) r.skip(4);
          else if (enc === 3) {
            const clen = readLen(r);
            readLen(r);
            r.skip(clen);
          } else throw new RdbFormatError('unknown string encoding');
        } else {
          r.pos -= 1;
          r.skip(readLen(r));
        }
        break;
      }
      default:
        throw new RdbFormatError(`unknown module value opcode ${op}`);
    }
  }
}

function hex(c: Crc64): string {
  return (c.hi.toString(16) + c.lo.toString(16).padStart(8, '0')).replace(/^0+(?=.)/, '');
}

/** A key as a log line may show it: printable ASCII kept, other bytes escaped, long ones cut. */
export function printable(s: string): string {
  const cut = s.length > 64 ? s.slice(0, 64) : s;
  let out = '';
  for (const ch of cut) {
    const c = ch.charCodeAt(0);
    out += c >= 0x20 && c < 0x7f && ch !== '\\' && ch !== "'" ? ch : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s.length > 64 ? `${out}...` : out;
}
