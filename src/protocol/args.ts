// Argument parsing with Redis's exact acceptance rules (string2ll, strtod checks), so that the
// same input is accepted or refused as Redis would. Callers reply with the errors in errors.ts.

import { INT64_MAX, INT64_MIN } from '../int64.js';

/**
 * Redis's string2ll: optional '-', decimal digits, no '+', no spaces, no leading zeros; within
 * int64. Returns a bigint, or null when the text is not such an integer.
 */
export function parseInt64(s: string): bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  if (s.charCodeAt(0) === 45 /* - */) {
    if (n === 1) return null;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) return n === 1 ? 0n : null;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
  }
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/**
 * string2ll returning a JS number, for counts, indexes and offsets. Values beyond 2^53 but within
 * int64 come back as a number just past the safe range: good for range checks, not arithmetic
 * (use parseInt64 where the exact value matters).
 */
export function parseInteger(s: string): number | null {
  const n = s.length;
  if (n === 0) return null;
  if (n < 16) {
    // Fast path: at most 15 digits always fits.
    let i = 0;
    let neg = false;
    if (s.charCodeAt(0) === 45) {
      if (n === 1) return null;
      neg = true;
      i = 1;
    }
    if (s.charCodeAt(i) === 48) return n === 1 ? 0 : null;
    let v = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }
  const big = parseInt64(s);
  if (big === null) return null;
  const v = Number(big);
  return Number.isSafeInteger(v) ? v : clampUnsafe(big);
}

/** int64 values beyond 2^53 keep their sign and magnitude order, which is all range checks need. */
function clampUnsafe(v: bigint): number {
  return v > 0n ? Number.MAX_SAFE_INTEGER + 1 : Number.MIN_SAFE_INTEGER - 1;
}

/**
 * The value of up to 15 decimal digits with an optional '-' (exact in a double, as strtod reads
 * them; "-0" is -0), or null for anything else: the common score needs no regular expression.
 */
function plainInteger(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 16) return null;
  const neg = s.charCodeAt(0) === 45; /* - */
  const start = neg ? 1 : 0;
  if (n - start === 0 || n - start > 15) return null;
  let v = 0;
  for (let i = start; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/**
 * Redis's string-to-double check (getDoubleFromObject): strtod over the whole string, no
 * leading space, not NaN. Accepts inf/infinity in any case with a sign.
 */
export function parseDouble(s: string): number | null {
  const n = s.length;
  const plain = plainInteger(s);
  if (plain !== null) return plain;
  if (n === 0 || n > 5000) return null;
  const c0 = s.charCodeAt(0);
  if (c0 <= 32 || s.charCodeAt(n - 1) <= 32) return null;
  const lower = s.toLowerCase();
  const body = lower[0] === '+' || lower[0] === '-' ? lower.slice(1) : lower;
  if (body === 'inf' || body === 'infinity') return lower[0] === '-' ? -Infinity : Infinity;
  // JS Number() also reads 0b/0o literals, "Infinity" and "_"-free forms strtod would refuse.
  if (/^[+-]?0[bo]/i.test(s) || /^[+-]?infinity$/i.test(body) || /[^0-9a-fA-FxXpP.eE+-]/.test(s)) return null;
  let v: number;
  if (/^[+-]?0x/i.test(s)) v = parseHexFloat(s);
  else v = Number(s);
  if (Number.isNaN(v)) return null;
  return v;
}

/**
 * Redis's getDoubleFromObject in full: parseDouble's syntax, and also refusing what strtod flags
 * as out of range (an overflow to infinity, or a non-zero literal that underflows to zero). The
 * literal inf/infinity stays accepted.
 */
export function parseDoubleInRange(s: string): number | null {
  const v = parseDouble(s);
  if (v === null) return null;
  if (!Number.isFinite(v)) return /^[+-]?inf(inity)?$/i.test(s) ? v : null;
  if (v === 0) {
    const hex = /^[+-]?0x/i.test(s);
    const mantissa = hex ? upTo(s.replace(/^[+-]?0x/i, ''), /p/i) : upTo(s, /e/i);
    if ((hex ? /[1-9a-f]/i : /[1-9]/).test(mantissa)) return null;
  }
  return v;
}

/** `s` before the first match of `re` (all of it when none): what split(re)[0] gives. */
function upTo(s: string, re: RegExp): string {
  const i = s.search(re);
  return i === -1 ? s : s.slice(0, i);
}

/** strtod's hexadecimal form: 0x1.8p3. */
function parseHexFloat(s: string): number {
  const m = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i.exec(s);
  const intDigits = m?.[2];
  const fracDigits = m?.[3] ?? '';
  if (m === null || intDigits === undefined || (intDigits === '' && fracDigits === '')) return NaN;
  const int = intDigits === '' ? 0 : parseInt(intDigits, 16);
  const frac = fracDigits === '' ? 0 : parseInt(fracDigits, 16) / 16 ** fracDigits.length;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  const v = (int + frac) * 2 ** exp;
  return m[1] === '-' ? -v : v;
}

/** Case-insensitive comparison of an argument with an option name given in lower case. */
export function is(arg: string, option: string): boolean {
  return arg.length === option.length && arg.toLowerCase() === option;
}

/**
 * argv[i], which the gate's arity check guarantees for every index below a command's minimum
 * arity. Reading past it is a bug: the RangeError reaches the dispatcher, which answers that one
 * request with an internal error instead of hiding the mistake.
 */
export function arg(argv: readonly string[], i: number): string {
  const a = argv[i];
  if (a === undefined) throw new RangeError(`argument ${i} is missing`);
  return a;
}
