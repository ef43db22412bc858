// Whole RDB files for tests: a builder for hand-made files (legacy encodings, module data, the
// opcodes reference servers no longer write), and reading a server's keys back through each
// type's own commands, so files loaded by two servers can be compared key by key.

import { Redis } from 'ioredis';
import { ByteWriter } from '../../src/persistence/rdb/bytes.js';
import { crc64, crc64Bytes } from '../../src/persistence/rdb/crc64.js';
import { writeLen, writeString } from '../../src/persistence/rdb/strings.js';

const RAW = { compress: false };

export interface KeyOptions {
  readonly expireMs?: bigint;
  readonly expireSeconds?: number;
  readonly idle?: number;
  readonly freq?: number;
}

/** Redis's moduleTypeEncodeId: nine name characters of 6 bits each, then a 10-bit version. */
export function moduleId(name: string, version: number): bigint {
  const cset = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let id = 0n;
  for (const ch of name) id = (id << 6n) | BigInt(cset.indexOf(ch));
  return (id << 10n) | BigInt(version);
}

/** Writes an RDB file record by record. */
export class RdbBuilder {
  readonly w = new ByteWriter();

  constructor(version: number) {
    this.w.latin1(`REDIS${String(version).padStart(4, '0')}`);
  }

  aux(key: string, value: string): this {
    this.w.u8(0xfa);
    writeString(this.w, key, RAW);
    writeString(this.w, value, RAW);
    return this;
  }

  select(db: number): this {
    this.w.u8(0xfe);
    writeLen(this.w, db);
    return this;
  }

  resize(keys: number, expires: number): this {
    this.w.u8(0xfb);
    writeLen(this.w, keys);
    writeLen(this.w, expires);
    return this;
  }

  key(value: { type: number; body: Buffer }, key: string, opts: KeyOptions = {}): this {
    const w = this.w;
    if (opts.expireMs !== undefined) {
      w.u8(0xfc);
      w.i64le(opts.expireMs);
    }
    if (opts.expireSeconds !== undefined) {
      w.u8(0xfd);
      const b = Buffer.alloc(4);
      b.writeInt32LE(opts.expireSeconds);
      w.bytes(b);
    }
    if (opts.idle !== undefined) {
      w.u8(0xf8);
      writeLen(w, opts.idle);
    }
    if (opts.freq !== undefined) {
      w.u8(0xf9);
      w.u8(opts.freq);
    }
    w.u8(value.type);
    writeString(w, key, RAW);
    w.bytes(value.body);
    return this;
  }

  functionLibrary(code: string): this {
    this.w.u8(245);
    writeString(this.w, code, RAW);
    return this;
  }

  /** The 7.0 release candidates' library record. */
  functionPreGa(name: string, engine: string, description: string | null, body: string): this {
    this.w.u8(246);
    writeString(this.w, name, RAW);
    writeString(this.w, engine, RAW);
    writeLen(this.w, description === null ? 0 : 1);
    if (description !== null) writeString(this.w, description, RAW);
    writeString(this.w, body, RAW);
    return this;
  }

  /** Module aux data: id, when-opcode (UINT), when, then one annotated UINT and EOF. */
  moduleAux(name: string): this {
    const w = this.w;
    w.u8(247);
    writeLen64(w, moduleId(name, 1));
    writeLen(w, 2);
    writeLen(w, 2);
    writeLen(w, 2);
    writeLen(w, 42);
    writeLen(w, 0);
    return this;
  }

  /** A key holding a module value (RDB_TYPE_MODULE_2), with a few annotated fields. */
  moduleKey(key: string, module: string): this {
    const w = this.w;
    w.u8(7);
    writeString(w, key, RAW);
    writeLen64(w, moduleId(module, 3));
    writeLen(w, 2); // UINT
    writeLen(w, 7);
    writeLen(w, 5); // STRING
    writeString(w, 'payload', RAW);
    writeLen(w, 4); // DOUBLE
    w.f64le(1.5);
    writeLen(w, 0); // EOF
    return this;
  }

  raw(bytes: Buffer | number[]): this {
    this.w.bytes(Buffer.from(bytes));
    return this;
  }

  /** EOF and the CRC64 of everything before it (eight zero bytes when `checksum` is false). */
  finish(checksum = true): Buffer {
    this.w.u8(0xff);
    const body = this.w.take();
    return Buffer.concat([body, checksum ? crc64Bytes(crc64(body)) : Buffer.alloc(8)]);
  }
}

function writeLen64(w: ByteWriter, v: bigint): void {
  w.u8(0x81);
  w.u64be(v);
}

/** A file with its CRC64 recomputed (after the test changed its bytes on purpose). */
export function withChecksum(file: Buffer): Buffer {
  const body = file.subarray(0, file.length - 8);
  return Buffer.concat([body, crc64Bytes(crc64(body))]);
}

/** What a key holds, read through its type's commands (binary strings, scores as numbers). */
export async function contents(c: Redis, key: Buffer, encodings: boolean): Promise<unknown> {
  const type = await c.type(key);
  const pttl = await c.pttl(key);
  const ttl = pttl < 0 ? pttl : Math.round(pttl / 10000);
  const enc = encodings ? await c.object('ENCODING', key) : null;
  const latin = (b: Buffer[]): string[] => b.map((x) => x.latin1Slice());
  switch (type) {
    case 'string':
      return { type, ttl, enc, value: (await c.getBuffer(key))?.latin1Slice() };
    case 'list':
      return { type, ttl, enc, items: latin(await c.lrangeBuffer(key, 0, -1)) };
    case 'set':
      return { type, ttl, enc, members: latin(await c.smembersBuffer(key)).sort() };
    case 'zset': {
      // Scores as numbers: Valkey 8 prints the shortest form of a double, Redis 7.0 "%.17g".
      const flat = latin(await c.zrangeBuffer(key, '0', '-1', 'WITHSCORES'));
      return { type, ttl, enc, entries: flat.map((x, i) => (i % 2 === 1 ? Number(x) : x)) };
    }
    case 'hash':
      return { type, ttl, enc, pairs: Object.entries(await c.hgetall(key)).sort() };
    case 'stream': {
      const info = (await c.xinfo('STREAM', key)) as unknown[];
      const pick = (name: string): unknown => info[info.indexOf(name) + 1];
      const groups = (await c.xinfo('GROUPS', key)) as unknown[][];
      const detail = [];
      for (const g of groups) {
        const name = String(g[1]);
        const pending = (await c.xpending(key, name, '-', '+', 1000)) as [string, string, number, number][];
        const consumers = ((await c.xinfo('CONSUMERS', key, name)) as unknown[][]).map((x) => [x[1], x[3]]);
        detail.push({ g, pending: pending.map(([id, who, , count]) => [id, who, count]), consumers });
      }
      return {
        type,
        ttl,
        entries: await c.xrange(key, '-', '+'),
        fields: ['length', 'last-generated-id', 'max-deleted-entry-id', 'entries-added', 'recorded-first-entry-id'].map(pick),
        detail,
      };
    }
    default:
      return { type };
  }
}

/** Every key of `db`, sorted. */
export async function keysOf(c: Redis, db: number): Promise<Buffer[]> {
  await c.select(db);
  const keys = await c.keysBuffer('*');
  return keys.sort((a, b) => Buffer.compare(a, b));
}

/** Waits until the server answers commands (not -LOADING); returns how many -LOADING replies came. */
export async function untilLoaded(c: Redis): Promise<number> {
  let loading = 0;
  for (const deadline = Date.now() + 60000; Date.now() < deadline; ) {
    try {
      await c.get('__probe__');
      return loading;
    } catch (err) {
      if (!String(err).includes('LOADING')) throw err;
      loading++;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error('still loading after 60 s');
}
