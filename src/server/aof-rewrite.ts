// The BASE file of an AOF rewrite in RESP form: the function libraries (FUNCTION LOAD, as Redis's
// rewriteFunctions), then per database a SELECT and one `RESTORE key ttl payload ABSTTL REPLACE`
// per key, the payload being the key's DUMP serialization (every type and encoding, exactly as
// DUMP gives it, so Redis 7.0 replays it as well as Redoubt does). Written in one pass of the
// event loop: the dataset it sees is the one of that instant.

import type { Server } from './server.js';
import { createDumpPayload } from '../persistence/rdb/dump-payload.js';
import { encodeCommand } from '../persistence/aof/reader.js';
import { expireAtMs } from '../store/ttl.js';

/** Write the file in chunks of about this many bytes of RESP. */
const CHUNK = 1 << 20;

export function rewriteBase(server: Server, timestamp: boolean): Buffer {
  const cfg = server.config;
  const opts = {
    compress: cfg.bool('rdbcompression'),
    listMaxListpackSize: cfg.num('list-max-listpack-size'),
    listCompressDepth: cfg.num('list-compress-depth'),
  };
  const parts: Buffer[] = [];
  let pending = '';
  const push = (s: string): void => {
    pending += s;
    if (pending.length >= CHUNK) {
      parts.push(Buffer.from(pending, 'latin1'));
      pending = '';
    }
  };
  if (timestamp) push(`#TS:${Math.floor(Date.now() / 1000)}\r\n`);
  for (const lib of server.functions.live.libraries.values()) push(encodeCommand(['FUNCTION', 'LOAD', lib.code]));
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    push(encodeCommand(['SELECT', String(db.id)]));
    const now = db.clock.now();
    for (const [key, value] of db.data) {
      const at = expireAtMs(db, key);
      // A key whose time has passed is not written (Redis's rewrite skips them too).
      if (at !== undefined && at <= BigInt(now)) continue;
      const payload = createDumpPayload(value, opts).latin1Slice();
      push(encodeCommand(['RESTORE', key, at === undefined ? '0' : String(at), payload, ...(at === undefined ? [] : ['ABSTTL']), 'REPLACE']));
    }
  }
  if (pending.length > 0) parts.push(Buffer.from(pending, 'latin1'));
  return Buffer.concat(parts);
}
