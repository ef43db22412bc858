// Number formatting that must match Redis's C printf output byte for byte.

/** printf("%.17g", d), as Redis 7.0 uses for doubles in replies; inf/-inf/nan spelled as Redis does. */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  return formatG(d, 17);
}

/** printf("%.<precision>g", d) for finite, non-zero d. */
function formatG(d: number, precision: number): string {
  const exp = d.toExponential(precision - 1); // "-d.ddddde+X"
  const negative = exp[0] === '-';
  const body = negative ? exp.slice(1) : exp;
  const ePos = body.indexOf('e');
  const digits = body.charAt(0) + body.slice(2, ePos);
  const x = Number(body.slice(ePos + 1));
  let out: string;
  if (x < -4 || x >= precision) {
    let mant = digits.charAt(0) + (digits.length > 1 ? '.' + digits.slice(1) : '');
    mant = trimFraction(mant);
    const ax = Math.abs(x);
    out = mant + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? `0${ax}` : String(ax));
  } else if (x >= 0) {
    out = trimFraction(digits.slice(0, x + 1) + '.' + digits.slice(x + 1));
  } else {
    out = trimFraction('0.' + '0'.repeat(-x - 1) + digits);
  }
  return negative ? '-' + out : out;
}

function trimFraction(s: string): string {
  if (s.indexOf('.') === -1) return s;
  let end = s.length;
  while (s[end - 1] === '0') end--;
  if (s[end - 1] === '.') end--;
  return s.slice(0, end);
}

// --- long double (INCRBYFLOAT, HINCRBYFLOAT) ---
// Redis computes these in x87 80-bit long double (64-bit mantissa) and prints "%.17Lf" with the
// trailing zeros removed. A JS double would print 0.1 + 0.2 as 0.30000000000000004 where Redis
// prints 0.3, so the arithmetic is emulated exactly with BigInt: parse (strtold), add, print.

/** A finite long double: (-1)^neg * m * 2^e, m either 0 or in [2^63, 2^64). */
export interface LongDouble {
  readonly neg: boolean;
  readonly m: bigint;
  readonly e: number;
}

const LD_MANT_BITS = 64;
/** Largest binary exponent of a normal long double (value < 2^16384). */
const LD_MAX_EXP = 16383;
/** Below the smallest subnormal (2^-16445) a result underflows to zero. */
const LD_MIN_EXP = -16445;
/** Redis refuses longer inputs (MAX_LONG_DOUBLE_CHARS). */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

const ZERO_LD: LongDouble = { neg: false, m: 0n, e: 0 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds (-1)^neg * m * 2^e (m any non-negative integer) to a long double, ties to even.
 * Returns 'inf' on overflow and 'underflow' when a non-zero value rounds to nothing.
 */
function roundLD(neg: boolean, m: bigint, e: number): LongDouble | 'inf' | 'underflow' {
  if (m === 0n) return { neg, m: 0n, e: 0 };
  const bits = bitLength(m);
  if (bits > LD_MANT_BITS) {
    const shift = bits - LD_MANT_BITS;
    const sh = BigInt(shift);
    let q = m >> sh;
    const rem = m - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    e += shift;
    if (q === 1n << 64n) {
      q >>= 1n;
      e += 1;
    }
    m = q;
  } else if (bits < LD_MANT_BITS) {
    m <<= BigInt(LD_MANT_BITS - bits);
    e -= LD_MANT_BITS - bits;
  }
  if (e + LD_MANT_BITS - 1 > LD_MAX_EXP) return 'inf';
  if (e + LD_MANT_BITS - 1 < LD_MIN_EXP) return 'underflow';
  return { neg, m, e };
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan(?:\([0-9a-zA-Z_]*\))?)$/i;

/**
 * Redis's getLongDoubleFromObject: strtold over the whole string, no leading space, not NaN, not
 * out of range. Returns null when refused, 'inf' for an explicit infinity (which Redis accepts).
 */
export function parseLongDouble(s: string): LongDouble | 'inf' | null {
  if (s.length === 0 || s.length > MAX_LONG_DOUBLE_CHARS) return null;
  let m = HEX.exec(s);
  if (m !== null) {
    const int = m[2];
    if (int === undefined) return null;
    const frac = m[3] ?? '';
    if (int === '' && frac === '') return null;
    const p = m[4] === undefined ? 0 : clampExp(m[4]);
    const r = roundLD(m[1] === '-', BigInt('0x' + (int + frac || '0')), p - 4 * frac.length);
    return r === 'inf' || r === 'underflow' ? null : r;
  }
  m = DECIMAL.exec(s);
  if (m !== null) {
    const int = m[2];
    if (int === undefined) return null;
    const frac = m[3] ?? '';
    if (int === '' && frac === '') return null;
    const digits = (int + frac).replace(/^0+/, '');
    const neg = m[1] === '-';
    if (digits === '') return { neg, m: 0n, e: 0 };
    const x = (m[4] === undefined ? 0 : clampExp(m[4])) - frac.length;
    // Decimal magnitude: beyond these bounds the value is out of long double range either way,
    // and computing 10^x exactly would be wasted work.
    const mag = x + digits.length;
    if (mag > 4940 || mag < -4960) return null;
    const r = decimalToLD(neg, BigInt(digits), x);
    return r === 'inf' || r === 'underflow' ? null : r;
  }
  m = SPECIAL.exec(s);
  if (m?.[2]?.toLowerCase().startsWith('inf') === true) return 'inf';
  return null;
}

function clampExp(text: string): number {
  const v = Number(text);
  return v > 1e6 ? 1e6 : v < -1e6 ? -1e6 : v;
}

/** digits * 10^x rounded to a long double. */
function decimalToLD(neg: boolean, digits: bigint, x: number): LongDouble | 'inf' | 'underflow' {
  if (x >= 0) return roundLD(neg, digits * 10n ** BigInt(x), 0);
  const den = 10n ** BigInt(-x);
  // Enough quotient bits that rounding sees the half bit; the remainder becomes a sticky bit.
  const k = Math.max(0, bitLength(den) - bitLength(digits) + LD_MANT_BITS + 2);
  const num = digits << BigInt(k);
  const q = num / den;
  const sticky = num - q * den === 0n ? 0n : 1n;
  return roundLD(neg, (q << 1n) | sticky, -k - 1);
}

/** a + b rounded once, or null when the sum overflows (Redis: "would produce NaN or Infinity"). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (b.m === 0n) return a.m === 0n ? { neg: a.neg && b.neg, m: 0n, e: 0 } : a;
  if (a.m === 0n) return b;
  const e = Math.min(a.e, b.e);
  const av = a.m << BigInt(a.e - e);
  const bv = b.m << BigInt(b.e - e);
  const sum = (a.neg ? -av : av) + (b.neg ? -bv : bv);
  if (sum === 0n) return ZERO_LD;
  const r = roundLD(sum < 0n, sum < 0n ? -sum : sum, e);
  if (r === 'inf') return null;
  return r === 'underflow' ? ZERO_LD : r;
}

/**
 * ceill(x * k) as C computes it: the product rounded to a long double, then rounded up to an
 * integer. Blocking-command timeouts use this (seconds to milliseconds, Redis 7.0's
 * getTimeoutFromObjectOrReply), so 0.0001 s is 1 ms and -0.0001 s is 0.
 */
export function ceilTimes(x: LongDouble, k: bigint): bigint {
  const r = roundLD(x.neg, x.m * k, x.e);
  if (r === 'inf') return x.neg ? -(2n ** 64n) : 2n ** 64n;
  if (r === 'underflow' || r.m === 0n) return 0n;
  if (r.e >= 0) {
    const v = r.m << BigInt(r.e);
    return r.neg ? -v : v;
  }
  const sh = BigInt(-r.e);
  const whole = r.m >> sh;
  const fraction = r.m - (whole << sh) !== 0n;
  // Toward +infinity: a positive value with a fraction goes up, a negative one toward zero.
  return r.neg ? -whole : fraction ? whole + 1n : whole;
}

/** The exact long double holding a double. */
function longDoubleFromDouble(d: number): LongDouble {
  if (d === 0 || !Number.isFinite(d)) return ZERO_LD;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  const r = exp === 0 ? roundLD(d < 0, frac, -1074) : roundLD(d < 0, frac | (1n << 52n), exp - 1075);
  return typeof r === 'string' ? ZERO_LD : r;
}

const TEN17 = 10n ** 17n;

/**
 * printf("%.17Lf") with trailing zeros (and a bare '.') removed, "-0" shown as "0": Redis's
 * LD_STR_HUMAN rendering. glibc prints the exact binary value rounded half to even.
 */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (x.m === 0n) return '0';
  let n: bigint;
  if (x.e >= 0) {
    n = (x.m << BigInt(x.e)) * TEN17;
  } else {
    const sh = BigInt(-x.e);
    const num = x.m * TEN17;
    n = num >> sh;
    const rem = num - (n << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (n & 1n) === 1n)) n += 1n;
  }
  if (n === 0n) return '0';
  let digits = n.toString();
  if (digits.length < 18) digits = '0'.repeat(18 - digits.length) + digits;
  const cut = digits.length - 17;
  let frac = digits.slice(cut);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  const body = frac === '' ? digits.slice(0, cut) : digits.slice(0, cut) + '.' + frac;
  return x.neg ? '-' + body : body;
}

/** A double rendered as Redis renders a long double holding it (the "human" form). */
export function formatHumanFloat(d: number): string {
  return formatLongDoubleHuman(longDoubleFromDouble(d));
}
