// Redis 7's multi-part AOF manifest (aof.c): one line per file, `file <name> seq <n> type <b|h|i>`,
// the BASE first, then HISTORY, then INCR files in sequence order; file names
// `<appendfilename>.<seq>.base.rdb|.base.aof` and `<appendfilename>.<seq>.incr.aof`. Parsing keeps
// Redis's checks and messages; formatting writes what Redis 7.0 writes, byte for byte.

import { splitArgs } from '../../protocol/resp-parser.js';

type AofFileType = 'b' | 'h' | 'i';

export interface AofFileInfo {
  readonly name: string;
  readonly seq: number;
  readonly type: AofFileType;
}

export interface AofManifest {
  base: AofFileInfo | null;
  /** Files a rewrite made obsolete, deleted once the new manifest is on disk. */
  history: AofFileInfo[];
  incr: AofFileInfo[];
  /** The last sequence numbers handed out (Redis's curr_base_file_seq, curr_incr_file_seq). */
  baseSeq: number;
  incrSeq: number;
}

/** A manifest that cannot be read, with Redis's message and, when known, the line at fault. */
export class ManifestError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly text: string,
  ) {
    super(line > 0 ? `${message} (line ${line}: '${text}')` : message);
  }
}

/** Redis's MANIFEST_MAX_LINE. */
const MAX_LINE = 1024;

export function emptyManifest(): AofManifest {
  return { base: null, history: [], incr: [], baseSeq: 0, incrSeq: 0 };
}

export function manifestName(prefix: string): string {
  return `${prefix}.manifest`;
}

export function tempManifestName(prefix: string): string {
  return `temp-${prefix}.manifest`;
}

/** The next BASE file's name; the current base, if any, becomes HISTORY. */
export function newBase(m: AofManifest, prefix: string, rdb: boolean): AofFileInfo {
  if (m.base !== null) m.history.unshift({ ...m.base, type: 'h' });
  m.baseSeq++;
  const info: AofFileInfo = { name: `${prefix}.${m.baseSeq}.base.${rdb ? 'rdb' : 'aof'}`, seq: m.baseSeq, type: 'b' };
  m.base = info;
  return info;
}

/** Adds the next INCR file and returns it. */
export function newIncr(m: AofManifest, prefix: string): AofFileInfo {
  m.incrSeq++;
  const info: AofFileInfo = { name: `${prefix}.${m.incrSeq}.incr.aof`, seq: m.incrSeq, type: 'i' };
  m.incr.push(info);
  return info;
}

/** After a rewrite: every INCR file but the one being written becomes HISTORY. */
export function incrsToHistory(m: AofManifest, keepLast: boolean): void {
  const keep = keepLast ? m.incr.slice(-1) : [];
  const old = keepLast ? m.incr.slice(0, -1) : m.incr;
  for (const f of old.reverse()) m.history.unshift({ ...f, type: 'h' });
  m.incr = keep;
}

export function cloneManifest(m: AofManifest): AofManifest {
  return { base: m.base, history: [...m.history], incr: [...m.incr], baseSeq: m.baseSeq, incrSeq: m.incrSeq };
}

/** The manifest as Redis 7.0 writes it (getAofManifestAsString). */
export function formatManifest(m: AofManifest): string {
  let out = '';
  for (const f of [...(m.base === null ? [] : [m.base]), ...m.history, ...m.incr]) {
    out += `file ${quoteIfNeeded(f.name)} seq ${f.seq} type ${f.type}\n`;
  }
  return out;
}

/** Parses a manifest as aofLoadManifestFromFile does; throws ManifestError with Redis's message. */
export function parseManifest(text: string): AofManifest {
  const m = emptyManifest();
  if (text.length === 0) throw new ManifestError('Found an empty AOF manifest', 0, '');
  let maxSeq = 0;
  const lines = text.split('\n');
  // A final newline leaves an empty last piece: that is the end, not a line.
  if (lines.at(-1) === '') lines.pop();
  let lineNo = 0;
  for (const [i, raw] of lines.entries()) {
    lineNo++;
    if (raw.startsWith('#')) continue;
    const last = i === lines.length - 1 && !text.endsWith('\n');
    if (raw.length + 1 > MAX_LINE || last) throw new ManifestError('The AOF manifest file contains too long line', lineNo, raw.slice(0, 80));
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '') throw new ManifestError('Invalid AOF manifest file format', lineNo, line);
    const argv = splitArgs(line);
    if (argv === null || argv.length < 6 || argv.length % 2 !== 0) throw new ManifestError('Invalid AOF manifest file format', lineNo, line);
    let name: string | null = null;
    let seq = 0;
    let type = '';
    for (let j = 0; j + 1 < argv.length; j += 2) {
      const k = (argv[j] ?? '').toLowerCase();
      const v = argv[j + 1] ?? '';
      if (k === 'file') {
        name = v;
        if (v.includes('/')) throw new ManifestError("File can't be a path, just a filename", lineNo, line);
      } else if (k === 'seq') {
        seq = atoll(v);
      } else if (k === 'type') {
        type = v.charAt(0);
      }
    }
    if (name === null || name === '' || seq === 0 || type === '') throw new ManifestError('Invalid AOF manifest file format', lineNo, line);
    if (type === 'b') {
      if (m.base !== null) throw new ManifestError('Found duplicate base file information', lineNo, line);
      m.base = { name, seq, type };
      m.baseSeq = seq;
    } else if (type === 'h') {
      m.history.push({ name, seq, type });
    } else if (type === 'i') {
      if (seq <= maxSeq) throw new ManifestError('Found a non-monotonic sequence number', lineNo, line);
      m.incr.push({ name, seq, type });
      m.incrSeq = seq;
      maxSeq = seq;
    } else {
      throw new ManifestError('Unknown AOF file type', lineNo, line);
    }
  }
  return m;
}

/** C's atoll: leading digits (with a sign), 0 when there are none. */
function atoll(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  const digits = m?.[1];
  return digits === undefined ? 0 : Number(digits);
}

/** sdsneedsrepr's test for one character: quotes, backslash, spaces, control and non-ASCII bytes. */
function needsQuote(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code <= 0x20 || code >= 0x7f || ch === '"' || ch === '\\';
}

/** sdscatrepr for names that need it (sdsneedsrepr): quoted, with C escapes. */
function quoteIfNeeded(name: string): string {
  let plain = true;
  for (let i = 0; i < name.length && plain; i++) plain = !needsQuote(name.charAt(i));
  if (plain) return name;
  let out = '"';
  for (let i = 0; i < name.length; i++) {
    const ch = name.charAt(i);
    const code = ch.charCodeAt(0);
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (code < 0x20 || code >= 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
