// Reading and writing directive values the way Redis's config.c does: yes/no, string2ll and
// memtoull numbers with their bounds checks, enums and enum flags, and the quoting CONFIG REWRITE
// uses. Each refusal carries Redis's exact reason text.

import { parseInt64 } from '../protocol/args.js';
import { ConfigError, type ParamDef, type ParamValue } from './types.js';
import { INT64_MAX, INT64_MIN } from '../int64.js';

const U64 = 2n ** 64n;
const U64_MAX = U64 - 1n;

const MEMORY_UNITS: Record<string, bigint> = {
  '': 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n * 1000n,
  mb: 1024n * 1024n,
  g: 1000n * 1000n * 1000n,
  gb: 1024n * 1024n * 1024n,
};

/**
 * Redis's memtoull: decimal digits and an optional unit (b, k, kb, m, mb, g, gb, any case).
 * Like Redis, no digits reads as 0 and a number too large for strtoull saturates at 2^64-1.
 */
export function memtoull(raw: string): bigint | null {
  if (raw.startsWith('-')) return null;
  let i = 0;
  while (i < raw.length && raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) i++;
  const mul = MEMORY_UNITS[raw.slice(i).toLowerCase()];
  if (mul === undefined || i >= 128) return null;
  let val = i === 0 ? 0n : BigInt(raw.slice(0, i));
  if (val > U64_MAX) val = U64_MAX;
  if (val > U64_MAX / mul) return null;
  return val * mul;
}

/** strtoll(s, &end, 8) with the whole string consumed: optional spaces and sign, octal digits. */
function strtollOctal(raw: string): bigint | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-7]+)$/.exec(raw);
  const digits = m?.[2];
  if (m === null || digits === undefined) return null;
  const v = BigInt('0o' + digits) * (m[1] === '-' ? -1n : 1n);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** The bytes form CONFIG REWRITE writes: 1gb, 64mb, 16kb or plain bytes. */
export function formatMemory(bytes: bigint): string {
  const gb = 1024n * 1024n * 1024n;
  const mb = 1024n * 1024n;
  if (bytes !== 0n && bytes % gb === 0n) return `${bytes / gb}gb`;
  if (bytes !== 0n && bytes % mb === 0n) return `${bytes / mb}mb`;
  if (bytes !== 0n && bytes % 1024n === 0n) return `${bytes / 1024n}kb`;
  return String(bytes);
}

/** Parses an int or memory value and checks its bounds, as numericConfigSet. */
export function parseNumber(def: ParamDef, raw: string): bigint | ConfigError {
  let ll: bigint | null = null;
  if (def.kind === 'memory') {
    const u = memtoull(raw);
    // Stored in a signed long long, so the top half of the unsigned range reads as negative.
    if (u !== null) ll = u > INT64_MAX ? u - U64 : u;
    if (ll === null && def.percent && raw.length > 1 && raw.endsWith('%')) {
      const p = parseInt64(raw.slice(0, -1));
      if (p !== null && p >= 0n) ll = -p;
    }
    if (ll === null) {
      return new ConfigError(def.percent ? 'argument must be a memory or percent value' : 'argument must be a memory value');
    }
  } else if (def.octal) {
    ll = strtollOctal(raw);
    if (ll === null) return new ConfigError("argument couldn't be parsed as an octal number");
  } else {
    ll = parseInt64(raw);
    if (ll === null) return new ConfigError("argument couldn't be parsed into an integer");
  }
  const min = def.min ?? 0n;
  const max = def.max ?? 0n;
  if (def.unsigned) {
    const u = ll < 0n ? ll + U64 : ll;
    if (u > max || u < min) {
      const show = (n: bigint): string => (def.octal ? n.toString(8) : String(n));
      return new ConfigError(`argument must be between ${show(min)} and ${show(max)} inclusive`);
    }
    ll = u;
  } else if (def.percent && ll < 0n) {
    if (ll < min) return new ConfigError(`percentage argument must be less or equal to ${-min}`);
  } else if (ll > max || ll < min) {
    return new ConfigError(`argument must be between ${min} and ${max} inclusive`);
  }
  if (def.clamp) {
    if (ll < def.clamp[0]) ll = def.clamp[0];
    if (ll > def.clamp[1]) ll = def.clamp[1];
  }
  return ll;
}

/** The text CONFIG GET shows for a number. */
function renderNumber(def: ParamDef, v: bigint): string {
  if (def.percent && v < 0n) return `${-v}%`;
  if (def.octal) return v.toString(8);
  return String(v);
}

/** The value CONFIG REWRITE writes for a number. */
export function rewriteNumber(def: ParamDef, v: bigint): string {
  if (def.percent && v < 0n) return `${-v}%`;
  if (def.kind === 'memory') return formatMemory(v);
  return renderNumber(def, v);
}

/** Enum words to the stored name(s); flags keep the table's order, as configEnumGetName does. */
export function parseEnum(def: ParamDef, words: string[]): string | ConfigError {
  const values = def.values ?? [];
  const err = (): ConfigError => new ConfigError(`argument(s) must be one of the following: ${values.join(', ')}`);
  if (words.length === 0 || (!def.multi && words.length !== 1)) return err();
  const chosen = new Set<string>();
  for (const w of words) {
    const v = values.find((x) => x === w.toLowerCase());
    if (v === undefined) return err();
    if (!def.multi) return v;
    chosen.add(v);
  }
  // The first value of a flags enum is the empty set ("default"): it adds no flag.
  const [none, ...flagValues] = values;
  const flags = flagValues.filter((v) => chosen.has(v));
  return flags.length > 0 ? flags.join(' ') : (none ?? err());
}

/**
 * sdscatrepr: the quoted form CONFIG REWRITE writes for text values, which the config file
 * reader (splitArgs) turns back into the same bytes.
 */
export function repr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    const code = s.charCodeAt(i);
    switch (ch) {
      case '\\':
      case '"':
        out += '\\' + ch;
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      default:
        out += code >= 32 && code < 127 ? ch : '\\x' + code.toString(16).padStart(2, '0');
    }
  }
  return out + '"';
}

/** The CONFIG GET text of a stored value. */
export function renderValue(def: ParamDef, value: ParamValue): string {
  if (def.render) return def.render(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'bigint') return renderNumber(def, value);
  return value;
}
