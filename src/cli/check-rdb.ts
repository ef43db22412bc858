// `redoubt check-rdb FILE`: walks an RDB file as the server would load it and reports what it
// holds and where it breaks, in redis-check-rdb's format (offsets are where each record ends),
// plus the format version, function libraries and module data it steps over. Exit status 0 when
// the file would load, 1 otherwise.

import { readFileSync } from 'node:fs';
import { RdbFileError, RdbFileReader, printable } from '../persistence/rdb/file.js';

export function checkRdb(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): number {
  const file = argv[0];
  if (file === undefined || argv.length > 1) {
    process.stderr.write('Usage: redoubt check-rdb <rdb-file-name>\n');
    return 1;
  }
  out(`[offset 0] Checking RDB file ${file}`);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    out('--- RDB ERROR DETECTED ---');
    out(`[offset 0] Cannot open RDB file: ${(err as Error).message}`);
    return 1;
  }
  const counts = { keys: 0, expires: 0, expired: 0, empty: 0, functions: 0, modules: 0 };
  const perDb = new Map<number, number>();
  const reader = new RdbFileReader(buf, { checkMode: true, verifyChecksum: true });
  const now = BigInt(Date.now());
  let db = 0;
  let doing = 'start';
  try {
    doing = 'check-header';
    const version = reader.header();
    out(`[offset ${reader.pos}] RDB version ${version}`);
    for (;;) {
      doing = 'read-type';
      const rec = reader.next();
      const at = `[offset ${reader.pos}]`;
      switch (rec.kind) {
        case 'aux':
          out(`${at} AUX FIELD ${printable(rec.key)} = '${printable(rec.value)}'`);
          break;
        case 'select':
          db = rec.db;
          out(`${at} Selecting DB ID ${rec.db}`);
          break;
        case 'resize':
          break;
        case 'function':
          counts.functions++;
          out(`${at} Function library '${printable(libraryName(rec.code))}'`);
          break;
        case 'module':
          counts.modules++;
          out(`${at} Module data of module type '${rec.module}'${rec.key === null ? '' : ` for key '${printable(rec.key)}'`} (not loadable here)`);
          if (rec.key !== null) counts.keys++;
          break;
        case 'empty-key':
          counts.empty++;
          out(`${at} Empty key '${printable(rec.key)}' (skipped when loading)`);
          break;
        case 'key':
          counts.keys++;
          perDb.set(db, (perDb.get(db) ?? 0) + 1);
          if (rec.expireAt !== null) {
            counts.expires++;
            if (rec.expireAt < now) counts.expired++;
          }
          break;
        case 'eof': {
          doing = 'check-sum';
          if (rec.checksum === 'ok') out(`${at} Checksum OK`);
          else if (rec.checksum === 'disabled') out(`${at} RDB file was saved with checksum disabled: no check performed.`);
          else out(`${at} No checksum in RDB version ${reader.version}`);
          if (rec.end !== buf.length) {
            throw new RdbFileError(rec.end, `${buf.length - rec.end} bytes of trailing data after the end of the RDB file`, 'corrupt');
          }
          out(`${at} \\o/ RDB looks OK! \\o/`);
          info(out, counts, perDb);
          return counts.modules > 0 ? 1 : 0;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof RdbFileError)) throw err;
    out('--- RDB ERROR DETECTED ---');
    out(`[offset ${err.offset}] ${err.reason}`);
    const what = err.kind === 'checksum' ? 'check-sum' : err.context?.startsWith('key ') === true ? 'read-object-value' : doing;
    out(`[additional info] While doing: ${what}`);
    if (err.context !== null) out(`[additional info] Reading ${err.context}`);
    info(out, counts, perDb);
    return 1;
  }
}

function info(out: (line: string) => void, c: { keys: number; expires: number; expired: number; empty: number; functions: number; modules: number }, perDb: ReadonlyMap<number, number>): void {
  out(`[info] ${c.keys} keys read`);
  out(`[info] ${c.expires} expires`);
  out(`[info] ${c.expired} already expired`);
  if (c.empty > 0) out(`[info] ${c.empty} empty keys`);
  out(`[info] ${c.functions} function libraries`);
  if (c.modules > 0) out(`[info] ${c.modules} module records this server cannot load`);
  for (const [db, n] of [...perDb].sort((a, b) => a[0] - b[0])) out(`[info] db${db}: ${n} keys`);
}

/** The library name of a library's code (its `#!lua name=...` line), for the report. */
function libraryName(code: string): string {
  const m = /^#!\S+\s+(?:.*\s)?name=(\S+)/.exec(code.slice(0, code.indexOf('\n') === -1 ? code.length : code.indexOf('\n')));
  return m?.[1] ?? '?';
}
