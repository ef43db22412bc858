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
export function formatG(d: number, precision: number): string {
  const exp = d.toExponential(precision - 1); // "-d.ddddde+X"
  const negative = exp[0] === '-';
  const body = negative ? exp.slice(1) : exp;
  const ePos = body.indexOf('e');
  const digits = body[0]! + body.slice(2, ePos);
  const x = Number(body.slice(ePos + 1));
  let out: string;
  if (x < -4 || x >= precision) {
    let mant = digits[0]! + (digits.length > 1 ? '.' + digits.slice(1) : '');
    mant = trimFraction(mant);
    const ax = Math.abs(x);
    out = mant + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' + ax : String(ax));
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

/**
 * Redis's "human" long-double rendering (INCRBYFLOAT, HINCRBYFLOAT): fixed notation, no exponent,
 * trailing zeros removed. JS has no long double; the shortest round-trip digits of the double are
 * what the 80-bit rendering shows for every value a client can type, so we print those in fixed form.
 */
export function formatHumanFloat(d: number): string {
  if (d === 0) return '0';
  const s = String(d);
  if (s.indexOf('e') === -1) return s;
  const negative = d < 0;
  const [mant, e] = (negative ? s.slice(1) : s).split('e') as [string, string];
  const x = Number(e);
  const dot = mant.indexOf('.');
  const digits = dot === -1 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot === -1 ? mant.length : dot) + x;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return negative ? '-' + out : out;
}
