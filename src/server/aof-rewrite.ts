// The BASE file of an AOF rewrite in RESP form (aof-use-rdb-preamble no), written by the forkless
// snapshot's walk a slice at a time, from the same point-in-time image as the RDB form: the
// function libraries (FUNCTION LOAD, as Redis's rewriteFunctions), then per database a SELECT and
// one `RESTORE key ttl payload [ABSTTL] REPLACE` per key, the payload being the key's DUMP
// serialization (every type and encoding, so Redis 7.0 replays it as well as Redoubt does). A key
// large enough to be written in steps has its payload built in steps too (the plain RDB list, set,
// hash and zset forms, which RESTORE loads everywhere). Keys whose time had passed at the cut are
// left out, as Redis's rewriteAppendOnlyFileRio does.

import { ByteWriter } from '../persistence/rdb/bytes.js';
import { crc64, crc64Bytes, crc64Update, type Crc64 } from '../persistence/rdb/crc64.js';
import { RdbFileEncoder, type RdbFileOptions } from '../persistence/rdb/file-writer.js';
import { writeString } from '../persistence/rdb/strings.js';
import { RDB_VERSION } from '../persistence/rdb/types.js';
import { valueType, writeValue } from '../persistence/rdb/value.js';
import type { SnapshotEncoder } from '../persistence/snapshot.js';
import type { Value } from '../store/types.js';

export class RespBaseEncoder implements SnapshotEncoder {
  readonly w = new ByteWriter(64 * 1024);
  written = 0;
  /** Builds the payloads of large values in steps (RDB entries without expiry, into a scratch writer). */
  private readonly rdb: RdbFileEncoder;

  constructor(
    private readonly opts: RdbFileOptions,
    /** aof-timestamp-enabled: a `#TS:` annotation first. */
    private readonly timestamp: boolean,
    /** The cut's time: keys expiring at or before it are left out. */
    private readonly now: bigint,
  ) {
    this.rdb = new RdbFileEncoder(opts);
  }

  get pending(): number {
    return this.w.length;
  }

  header(): void {
    if (this.timestamp) this.w.latin1(`#TS:${Math.floor(Number(this.now) / 1000)}\r\n`);
  }

  functions(codes: Iterable<string>): void {
    for (const code of codes) command(this.w, ['FUNCTION', 'LOAD', code]);
  }

  selectDb(id: number): void {
    command(this.w, ['SELECT', String(id)]);
  }

  entry(key: string, value: Value, expireAt: bigint | null, w: ByteWriter = this.w): void {
    if (expireAt !== null && expireAt <= this.now) return;
    const body = new ByteWriter(64);
    body.u8(valueType(value));
    writeValue(body, value, this.opts);
    restore(w, key, expireAt, body);
  }

  *entrySteps(key: string, value: Value, expireAt: bigint | null, w: ByteWriter = this.w): Generator<void, void, void> {
    if (expireAt !== null && expireAt <= this.now) return;
    // The RDB entry is type, key, value; the payload is type and value, its CRC taken a step at a time.
    const keyBytes = new ByteWriter(key.length + 8);
    writeString(keyBytes, key, this.opts);
    const skip = 1 + keyBytes.length;
    const body = new ByteWriter(64 * 1024);
    let crc: Crc64 = { hi: 0, lo: 0 };
    let summed = 0;
    const sum = (): void => {
      if (body.length <= skip) return;
      const view = body.view();
      if (summed === 0) {
        crc = crc64Update(crc, view, 0, 1);
        summed = skip;
      }
      crc = crc64Update(crc, view, summed, view.length);
      summed = view.length;
    };
    for (const step = this.rdb.entrySteps(key, value, null, body); step.next().done !== true; ) {
      sum();
      yield;
    }
    body.u16le(RDB_VERSION);
    sum();
    const view = body.view();
    restoreParts(w, key, expireAt, [view.subarray(0, 1), view.subarray(skip)], crc64Bytes(crc));
  }

  end(): void {}

  take(): Buffer {
    const out = this.w.take();
    this.w.length = 0;
    this.written += out.length;
    return out;
  }
}

/** One command as RESP into `w`. */
function command(w: ByteWriter, argv: readonly string[]): void {
  w.latin1(`*${argv.length}\r\n`);
  for (const a of argv) w.latin1(`$${a.length}\r\n${a}\r\n`);
}

/** `RESTORE key <ms> <payload> [ABSTTL] REPLACE`, the payload being `body` with the DUMP footer. */
function restore(w: ByteWriter, key: string, expireAt: bigint | null, body: ByteWriter): void {
  body.u16le(RDB_VERSION);
  const view = body.view();
  restoreParts(w, key, expireAt, [view], crc64Bytes(crc64(view)));
}

/** The RESTORE command of a payload given in parts (type and value, version) and its CRC. */
function restoreParts(w: ByteWriter, key: string, expireAt: bigint | null, parts: readonly Buffer[], crc: Buffer): void {
  const ttl = expireAt === null ? '0' : String(expireAt);
  w.latin1(`*${expireAt === null ? 5 : 6}\r\n$7\r\nRESTORE\r\n$${key.length}\r\n${key}\r\n$${ttl.length}\r\n${ttl}\r\n`);
  w.latin1(`$${parts.reduce((n, p) => n + p.length, 0) + crc.length}\r\n`);
  for (const p of parts) w.bytes(p);
  w.bytes(crc);
  w.latin1(expireAt === null ? '\r\n$7\r\nREPLACE\r\n' : '\r\n$6\r\nABSTTL\r\n$7\r\nREPLACE\r\n');
}
