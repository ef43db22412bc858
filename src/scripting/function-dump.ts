// FUNCTION DUMP and FUNCTION RESTORE payloads in Redis 7.0's format: for each library the RDB
// opcode FUNCTION2 and its whole code as an RDB string (LZF when rdbcompression says so), then
// the RDB version and CRC64 footer that DUMP payloads carry, so payloads move both ways.

import * as E from '../errors.js';
import { ByteReader, ByteWriter, RdbFormatError } from '../persistence/rdb/bytes.js';
import { crc64, crc64Bytes } from '../persistence/rdb/crc64.js';
import { verifyDumpPayload } from '../persistence/rdb/dump-payload.js';
import { readLen, readString, writeString } from '../persistence/rdb/strings.js';
import { RDB_VERSION } from '../persistence/rdb/types.js';
import { LibrarySet, type Functions } from './functions.js';

const RDB_OPCODE_FUNCTION2 = 245;
/** Functions as Redis 7.0's release candidates saved them: name, engine, description, body. */
const RDB_OPCODE_FUNCTION_PRE_GA = 246;
const FOOTER = 10;

export function dumpFunctions(f: Functions, compress: boolean): Buffer {
  const w = new ByteWriter();
  for (const lib of f.live.libraries.values()) {
    w.u8(RDB_OPCODE_FUNCTION2);
    writeString(w, lib.code, { compress });
  }
  w.u16le(RDB_VERSION);
  const body = w.view();
  return Buffer.concat([body, crc64Bytes(crc64(body))]);
}

/**
 * Reads the libraries of a payload into a new set (Redis's functionRestoreCommand before it
 * applies the policy); a string is the error reply, and nothing was kept.
 */
export function readFunctions(f: Functions, payload: Buffer): LibrarySet | string {
  if (!verifyDumpPayload(payload)) return E.FUNCTION_PAYLOAD_INVALID;
  const set = new LibrarySet();
  const r = new ByteReader(payload);
  const fail = (error: string): string => {
    f.releaseSet(set);
    return error;
  };
  while (payload.length - r.pos > FOOTER) {
    const type = r.u8();
    let code: string;
    if (type === RDB_OPCODE_FUNCTION_PRE_GA) {
      const old = readPreGa(r);
      if (old.error !== null) return fail(old.error);
      code = old.code;
    } else if (type === RDB_OPCODE_FUNCTION2) {
      // As in Redis, a string may run into the footer: the whole payload is readable.
      const read = attempt(() => readString(r));
      if (read === null) return fail(E.FUNCTION_PAYLOAD_LIBRARY);
      code = read;
    } else {
      return fail(E.FUNCTION_PAYLOAD_NOT_FUNCTION);
    }
    const made = f.create(code, false, set);
    if ('error' in made) return fail(made.error);
  }
  return set;
}

/** What `read` returns, or null when the payload ends or is malformed there. */
function attempt<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof RdbFormatError) return null;
    throw err;
  }
}

/** The 7.0 release candidates' library record, turned into today's code with a shebang, as Redis does. */
function readPreGa(r: ByteReader): { code: string; error: null } | { code: ''; error: string } {
  const name = attempt(() => readString(r));
  if (name === null) return { code: '', error: E.FUNCTION_PRE_GA_NAME };
  const engine = attempt(() => readString(r));
  if (engine === null) return { code: '', error: E.FUNCTION_PRE_GA_ENGINE };
  const hasDesc = attempt(() => readLen(r));
  if (hasDesc === null) return { code: '', error: E.FUNCTION_PRE_GA_DESC_FLAG };
  if (hasDesc !== 0 && attempt(() => readString(r)) === null) return { code: '', error: E.FUNCTION_PRE_GA_DESC };
  const body = attempt(() => readString(r));
  if (body === null) return { code: '', error: E.FUNCTION_PRE_GA_BODY };
  return { code: `#!${engine} name=${name}\n${body}`, error: null };
}
