// Reads the RESP command files of an AOF (BASE in RESP form, INCR files) command by command, as
// an explicit state machine over a buffer: `*<argc>\r\n` then argc `$<len>\r\n<bytes>\r\n`, and
// `#...\n` annotation lines (aof-timestamp-enabled) between commands. Where the bytes stop making
// sense it says so with the offset: a format error, or an end of file inside a command (what
// aof-load-truncated and `check-aof --fix` may cut away). Arguments come out as binary strings.

/** How a scan ended. `offset` is where the bad or incomplete command starts. */
export type AofScan =
  | { readonly ok: true; readonly end: number }
  | { readonly ok: false; readonly truncated: boolean; readonly offset: number; readonly message: string };

/** Called for each command read: its arguments and the offsets of its first and past-last byte. */
type OnCommand = (argv: string[], start: number, end: number) => void;

/** Called for each annotation line (without the `#` and the line end). */
type OnAnnotation = (text: string, start: number) => void;

const CR = 0x0d;
const LF = 0x0a;

/** Most arguments one command may declare (a guard against a corrupt count that would allocate). */
const MAX_ARGC = 1024 * 1024 * 1024;

/** Scans `buf` from `from` to its end. */
export function scanAof(buf: Buffer, from: number, onCommand: OnCommand, onAnnotation?: OnAnnotation): AofScan {
  let pos = from;
  const n = buf.length;
  while (pos < n) {
    const start = pos;
    const first = buf[pos];
    if (first === 0x23) {
      const nl = buf.indexOf(LF, pos);
      if (nl === -1) return { ok: false, truncated: true, offset: start, message: 'Unexpected end of file inside an annotation' };
      onAnnotation?.(buf.latin1Slice(pos + 1, nl > pos + 1 && buf[nl - 1] === CR ? nl - 1 : nl), start);
      pos = nl + 1;
      continue;
    }
    if (first !== 0x2a) return { ok: false, truncated: false, offset: start, message: `Expected prefix '*', got: '${String.fromCharCode(first ?? 0)}'` };
    const head = readNumberLine(buf, pos + 1);
    if (head === null) return { ok: false, truncated: true, offset: start, message: 'Unexpected end of file reading the argument count' };
    if (head === 'bad' || head.value < 1 || head.value > MAX_ARGC) return { ok: false, truncated: false, offset: start, message: 'Invalid argument count' };
    pos = head.next;
    const argc = head.value;
    const argv: string[] = [];
    for (let i = 0; i < argc; i++) {
      if (pos >= n) return { ok: false, truncated: true, offset: start, message: `Unexpected end of file reading argument ${i} of ${argc}` };
      if (buf[pos] !== 0x24) {
        return { ok: false, truncated: false, offset: start, message: `Expected prefix '$', got: '${String.fromCharCode(buf[pos] ?? 0)}' at offset ${pos}` };
      }
      const len = readNumberLine(buf, pos + 1);
      if (len === null) return { ok: false, truncated: true, offset: start, message: `Unexpected end of file reading the length of argument ${i}` };
      if (len === 'bad' || len.value < 0) return { ok: false, truncated: false, offset: start, message: `Invalid bulk length at offset ${pos}` };
      const dataStart = len.next;
      const dataEnd = dataStart + len.value;
      if (dataEnd + 2 > n) {
        return { ok: false, truncated: true, offset: start, message: `Expected to read ${len.value + 2} bytes, got ${Math.max(0, n - dataStart)} bytes` };
      }
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) {
        const got = (buf[dataEnd] ?? 0).toString(16).padStart(2, '0') + (buf[dataEnd + 1] ?? 0).toString(16).padStart(2, '0');
        return { ok: false, truncated: false, offset: start, message: `Expected \\r\\n, got: ${got} at offset ${dataEnd}` };
      }
      argv.push(buf.latin1Slice(dataStart, dataEnd));
      pos = dataEnd + 2;
    }
    onCommand(argv, start, pos);
  }
  return { ok: true, end: pos };
}

/** A decimal number then CRLF at `pos`; null when the buffer ends first, 'bad' when malformed. */
function readNumberLine(buf: Buffer, pos: number): { value: number; next: number } | null | 'bad' {
  const n = buf.length;
  let i = pos;
  let neg = false;
  if (i < n && buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let value = 0;
  let digits = 0;
  for (; i < n; i++) {
    const b = buf[i] ?? 0;
    if (b < 0x30 || b > 0x39) break;
    value = value * 10 + (b - 0x30);
    digits++;
    if (digits > 18) return 'bad';
  }
  if (i >= n) return null;
  if (digits === 0 || buf[i] !== CR) return 'bad';
  if (i + 1 >= n) return null;
  if (buf[i + 1] !== LF) return 'bad';
  return { value: neg ? -value : value, next: i + 2 };
}

/** One command as RESP, as Redis's catAppendOnlyGenericCommand writes it. */
export function encodeCommand(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${a.length}\r\n${a}\r\n`;
  return out;
}

/** The file starts as an RDB file does ("REDIS"): a BASE made with aof-use-rdb-preamble. */
export function isRdb(buf: Buffer): boolean {
  return buf.length >= 5 && buf.latin1Slice(0, 5) === 'REDIS';
}
