// Decoding RESP2/RESP3 replies into plain values, for tests that inspect structure (COMMAND INFO,
// HELLO) rather than compare bytes. Byte comparisons use RawClient's raw replies instead.

import { replyLength } from './raw-client.js';

export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespValue[]
  | Map<RespValue, RespValue>;

export class RespError {
  constructor(readonly message: string) {}
}

/** Decodes one complete reply (as RawClient.read returns it); attributes are skipped. */
export function decode(buf: Buffer): RespValue {
  if (replyLength(buf) !== buf.length) throw new Error('not exactly one complete reply');
  return new Decoder(buf).value();
}

class Decoder {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private line(): string {
    const cr = this.buf.indexOf('\r\n', this.pos);
    const s = this.buf.toString('latin1', this.pos, cr);
    this.pos = cr + 2;
    return s;
  }

  value(): RespValue {
    const type = String.fromCharCode(this.buf[this.pos++]!);
    const head = this.line();
    switch (type) {
      case '+':
        return head;
      case '-':
        return new RespError(head);
      case ':': {
        const n = BigInt(head);
        return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
      case '(':
        return BigInt(head);
      case ',':
        return head === 'inf' ? Infinity : head === '-inf' ? -Infinity : Number(head);
      case '#':
        return head === 't';
      case '_':
        return null;
      case '$':
      case '!':
      case '=': {
        const n = Number(head);
        if (n < 0) return null;
        const s = this.buf.toString('latin1', this.pos, this.pos + n);
        this.pos += n + 2;
        return type === '!' ? new RespError(s) : type === '=' ? s.slice(4) : s;
      }
      case '*':
      case '~':
      case '>': {
        const n = Number(head);
        if (n < 0) return null;
        const out: RespValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.value());
        return out;
      }
      case '%': {
        const m = new Map<RespValue, RespValue>();
        for (let i = Number(head); i > 0; i--) {
          const k = this.value();
          m.set(k, this.value());
        }
        return m;
      }
      case '|': {
        for (let i = Number(head) * 2; i > 0; i--) this.value();
        return this.value();
      }
      default:
        throw new Error(`unknown RESP type ${JSON.stringify(type)}`);
    }
  }
}

/**
 * A reply as text for shapes and messages: a string as itself, a number as its digits, nil as
 * `nil`, an error as `(error) ...`, an array as `[a b]`, a map as `{k: v}`, an absent field as `(absent)`.
 */
export function show(v: RespValue | undefined): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'nil';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof RespError) return `(error) ${v.message}`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${show(k)}: ${show(x)}`).join(', ')}}`;
  return `[${v.map(show).join(' ')}]`;
}

/** A map key, which a reply spells as a string (or, in a flat RESP2 list, possibly an integer). */
function key(k: RespValue | undefined): string {
  if (typeof k === 'string' || typeof k === 'number') return String(k);
  throw new Error(`not a map key: ${show(k)}`);
}

/** A RESP2 flat key-value array (or a RESP3 map) as a Map with string keys. */
export function pairs(v: RespValue): Map<string, RespValue> {
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [key(k), x]));
  if (!Array.isArray(v) || v.length % 2 !== 0) throw new Error(`not a key-value list: ${show(v)}`);
  const m = new Map<string, RespValue>();
  for (let i = 0; i < v.length; i += 2) m.set(key(v[i]), v[i + 1]!);
  return m;
}
