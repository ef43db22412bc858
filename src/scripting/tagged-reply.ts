// Renders what a script returned, as the VM's bridge tagged it, through the Reply interface by
// Redis's Lua -> RESP rules (numbers truncated to integers, false as nil in RESP2, ok/err/double/
// map/set/big_number/verbatim_string tables). The tag format is defined in wasm/bridge.c.

import type { Reply } from '../protocol/reply-writer.js';

/** The error object a failed script left: its `err` text and where it was raised. */
export interface ScriptErrorInfo {
  /** False when Lua failed outside the error handler (out of memory): `message` is Lua's text. */
  table: boolean;
  message: string;
  source: string;
  line: string;
  /** The error came from a command run by redis.call, already counted in the error stats. */
  ignoreStats: boolean;
}

/** The text up to the first NUL: Redis 7.0 builds error and status lines from C strings, so
 *  nothing after a NUL in a script's error or status reaches the client (and no NUL does). */
function cString(s: string): string {
  const z = s.indexOf('\0');
  return z === -1 ? s : s.slice(0, z);
}

/** An error or status line as Redis sends it: cut at a NUL, trailing CR/LF trimmed, inner
 *  ones as spaces. */
export function errorLine(line: string): string {
  const s = cString(line);
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 13 || s.charCodeAt(end - 1) === 10)) end--;
  const t = end === s.length ? s : s.slice(0, end);
  return /[\r\n]/.test(t) ? t.replace(/[\r\n]/g, ' ') : t;
}

function statusLine(line: string): string {
  const s = cString(line);
  return /[\r\n]/.test(s) ? s.replace(/[\r\n]/g, ' ') : s;
}

/** A big number's digits: CR/LF as spaces, as Redis 7.0 (which keeps a NUL there). */
function bigNumberLine(s: string): string {
  return /[\r\n]/.test(s) ? s.replace(/[\r\n]/g, ' ') : s;
}

/** The length-prefixed string at `p` (its 4-byte length, then its bytes). */
function strAt(m: Buffer, p: number): string {
  const n = m.readUInt32LE(p);
  return m.latin1Slice(p + 4, p + 4 + n);
}

export function writeTagged(m: Buffer, start: number, end: number, reply: Reply, scriptResp: 2 | 3): void {
  let p = start;
  while (p < end) {
    const tag = m[p++];
    switch (tag) {
      case 0x42: // B
      case 0x53: // S
      case 0x45: // E
      case 0x47: // G
      case 0x56: {
        // V
        const s = strAt(m, p);
        p += 4 + s.length;
        if (tag === 0x42) reply.bulk(s);
        else if (tag === 0x53) reply.status(statusLine(s));
        else if (tag === 0x45) reply.error(errorLine(s));
        else if (tag === 0x47) reply.bigNumber(bigNumberLine(s));
        else reply.verbatim(s.slice(3), s.slice(0, 3));
        break;
      }
      case 0x49: {
        // I: an int64, as a number when it is one exactly (no BigInt for the usual small ones)
        const lo = m.readUInt32LE(p);
        const hi = m.readInt32LE(p + 4);
        if (hi > -0x200000 && hi < 0x200000) reply.integer(hi * 0x100000000 + lo);
        else {
          const v = m.readBigInt64LE(p);
          reply.integer(v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v);
        }
        p += 8;
        break;
      }
      case 0x44: // D
        reply.double(m.readDoubleLE(p));
        p += 8;
        break;
      case 0x54: // T
        if (scriptResp === 2) reply.integer(1);
        else reply.bool(true);
        break;
      case 0x46: // F
        if (scriptResp === 2) reply.nil();
        else reply.bool(false);
        break;
      case 0x41: // A
      case 0x4d: // M
      case 0x55: {
        // U. Only the header: the items follow in the stream, which is written in order, so
        // however deep the reply nests nothing here recurses.
        const n = m.readUInt32LE(p);
        p += 4;
        if (tag === 0x41) reply.array(n);
        else if (tag === 0x4d) reply.map(n);
        else reply.set(n);
        break;
      }
      default: // N
        reply.nil();
    }
  }
}

export function readErrorInfo(m: Buffer, start: number, end: number): ScriptErrorInfo {
  let p = start;
  const str = (): string => {
    p++; // tag
    const n = m.readUInt32LE(p);
    const s = m.latin1Slice(p + 4, p + 4 + n);
    p += 4 + n;
    return s;
  };
  if (m[p] !== 0x45) return { table: false, message: cString(str()), source: '', line: '', ignoreStats: false };
  const message = cString(str());
  const source = str();
  const line = str();
  const ignoreStats = p < end && m[p] === 0x54;
  return { table: true, message, source, line, ignoreStats };
}
