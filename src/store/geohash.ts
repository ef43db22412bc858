// Geohash arithmetic as Redis's geohash.c and geohash_helper.c do it: 26 steps per axis
// interleaved into a 52-bit sorted set score (latitude limited to ±85.05112878, as in Web
// Mercator), decoding to cell centres, the haversine distance, and the 9-cell search around a
// circle or box. Hand-rolled because scores, coordinates and search results must match Redis's.

const STEP_MAX = 26;
export const LONG_MIN = -180;
export const LONG_MAX = 180;
export const LAT_MIN = -85.05112878;
export const LAT_MAX = 85.05112878;
/** Earth's quadratic mean radius for WGS-84, in meters. */
const EARTH_RADIUS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

interface Range {
  readonly min: number;
  readonly max: number;
}

interface Area {
  readonly lon: Range;
  readonly lat: Range;
}

/** A geohash of `step` bits per axis: latitude in the even bits, longitude in the odd ones. */
export interface HashBits {
  readonly bits: bigint;
  readonly step: number;
}

const MERCATOR_LON: Range = { min: LONG_MIN, max: LONG_MAX };
const MERCATOR_LAT: Range = { min: LAT_MIN, max: LAT_MAX };
/** The ranges of the standard geohash (GEOHASH's strings). */
const STANDARD_LON: Range = { min: -180, max: 180 };
const STANDARD_LAT: Range = { min: -90, max: 90 };

const U64 = (1n << 64n) - 1n;

// --- bit interleaving on 32-bit words ---

/** Spreads the 16 low bits of x to the even bit positions of a 32-bit word. */
function spread(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/** Gathers the even bits of a 32-bit word into 16 bits. */
function compact(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** interleave64(lat, lon) as a bigint. */
function interleave(lat: number, lon: number): bigint {
  const lo = (spread(lat) | (spread(lon) << 1)) >>> 0;
  const hi = (spread(lat >>> 16) | (spread(lon >>> 16) << 1)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

// --- encoding and decoding ---

/** geohashEncode: null outside the Mercator limits or the given ranges. */
function encode(lon: number, lat: number, step: number, lonRange: Range = MERCATOR_LON, latRange: Range = MERCATOR_LAT): HashBits | null {
  if (lon > LONG_MAX || lon < LONG_MIN || lat > LAT_MAX || lat < LAT_MIN) return null;
  if (lat < latRange.min || lat > latRange.max || lon < lonRange.min || lon > lonRange.max) return null;
  let latOffset = (lat - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (lon - lonRange.min) / (lonRange.max - lonRange.min);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  // C converts to uint32_t by truncation.
  return { bits: interleave(Math.trunc(latOffset) >>> 0, Math.trunc(lonOffset) >>> 0), step };
}

/** encode for a position already checked against the Mercator limits (GEOADD's, a search centre's). */
function encodeValid(lon: number, lat: number, step: number): HashBits {
  const h = encode(lon, lat, step);
  if (h === null) throw new RangeError(`position ${lon},${lat} is outside the Mercator limits`);
  return h;
}

/** The sorted set score of a position: its 26-step hash aligned to 52 bits. */
export function scoreOf(lon: number, lat: number): number {
  return Number(align52(encodeValid(lon, lat, STEP_MAX)));
}

function align52(h: HashBits): bigint {
  return (h.bits << BigInt(52 - h.step * 2)) & U64;
}

/**
 * The uint64_t a C cast makes of a score, as x86-64 code compiled by GCC does it: truncation
 * within range, 2^63 for what cvttsd2si cannot represent below, 0 above.
 */
function scoreBits(score: number): [number, number] {
  if (score >= 0 && score < 4294967296 * 2097152) {
    // Below 2^53: exact in a double.
    const t = Math.trunc(score);
    return [Math.floor(t / 4294967296), t >>> 0];
  }
  let v: bigint;
  if (score < 9223372036854775808) {
    v = score >= -9223372036854775808 ? BigInt(Math.trunc(score)) & U64 : 1n << 63n;
  } else {
    const shifted = score - 9223372036854775808;
    v = shifted < 9223372036854775808 ? (BigInt(Math.trunc(shifted)) ^ (1n << 63n)) & U64 : 0n;
  }
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

function areaOfWords(hi: number, lo: number, step: number, lonRange: Range, latRange: Range): Area {
  const ilat = (compact(lo) | (compact(hi) << 16)) >>> 0;
  const ilon = (compact(lo >>> 1) | (compact(hi >>> 1) << 16)) >>> 0;
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const div = 2 ** step;
  // ilat + 1 is uint32 arithmetic in C: it wraps.
  return {
    lat: { min: latRange.min + (ilat / div) * latScale, max: latRange.min + (((ilat + 1) >>> 0) / div) * latScale },
    lon: { min: lonRange.min + (ilon / div) * lonScale, max: lonRange.min + (((ilon + 1) >>> 0) / div) * lonScale },
  };
}

/** geohashDecode of a search hash (Mercator ranges). */
function decodeArea(h: HashBits): Area {
  return areaOfWords(Number((h.bits >> 32n) & 0xffffffffn), Number(h.bits & 0xffffffffn), h.step, MERCATOR_LON, MERCATOR_LAT);
}

/** The cell centre a score stands for, clamped to the Mercator limits: [longitude, latitude]. */
export function decodeScore(score: number): [number, number] {
  const [hi, lo] = scoreBits(score);
  const a = areaOfWords(hi, lo, STEP_MAX, MERCATOR_LON, MERCATOR_LAT);
  let lon = (a.lon.min + a.lon.max) / 2;
  if (lon > LONG_MAX) lon = LONG_MAX;
  if (lon < LONG_MIN) lon = LONG_MIN;
  let lat = (a.lat.min + a.lat.max) / 2;
  if (lat > LAT_MAX) lat = LAT_MAX;
  if (lat < LAT_MIN) lat = LAT_MIN;
  return [lon, lat];
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11-character standard geohash of a score (the 11th character is always '0'). */
export function standardGeohash(score: number): string {
  const [lon, lat] = decodeScore(score);
  const h = encode(lon, lat, STEP_MAX, STANDARD_LON, STANDARD_LAT);
  const bits = h === null ? 0n : h.bits;
  let out = '';
  for (let i = 0; i < 10; i++) out += ALPHABET.charAt(Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn));
  return out + '0';
}

// --- neighbours ---

const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

/** geohash_move_x (d = ±1): longitude, the odd bits. */
function moveX(h: HashBits, d: number): HashBits {
  const shift = BigInt(64 - h.step * 2);
  let x = h.bits & ODD;
  const y = h.bits & EVEN;
  const zz = EVEN >> shift;
  if (d > 0) x = (x + (zz + 1n)) & U64;
  else {
    x = x | zz;
    x = (x - (zz + 1n)) & U64;
  }
  x &= ODD >> shift;
  return { bits: x | y, step: h.step };
}

/** geohash_move_y (d = ±1): latitude, the even bits. */
function moveY(h: HashBits, d: number): HashBits {
  const shift = BigInt(64 - h.step * 2);
  const x = h.bits & ODD;
  let y = h.bits & EVEN;
  const zz = ODD >> shift;
  if (d > 0) y = (y + (zz + 1n)) & U64;
  else {
    y = y | zz;
    y = (y - (zz + 1n)) & U64;
  }
  y &= EVEN >> shift;
  return { bits: x | y, step: h.step };
}


// --- correctly rounded sin, cos and asin ---
// glibc's libm rounds these (almost always) correctly, V8's fdlibm ports are often one unit in the
// last place off, which shows in STOREDIST scores. So they are evaluated in double-double
// arithmetic (about 106 bits) and rounded once.

const SPLIT = 134217729; // 2^27 + 1
/** Where twoProd leaves its result, so it allocates nothing; scratch, read straight after each call. */
const prod = { hi: 0, lo: 0 };

/** Exact a*b as prod.hi + prod.lo (Dekker). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  prod.hi = p;
  prod.lo = ah * bh - p + ah * bl + al * bh + al * bl;
}

type DD = [number, number];

function norm(hi: number, lo: number): DD {
  const s = hi + lo;
  return [s, lo - (s - hi)];
}

function ddAdd(a: DD, b: DD): DD {
  let s = a[0] + b[0];
  let v = s - a[0];
  let e = a[0] - (s - v) + (b[0] - v);
  const t = a[1] + b[1];
  v = t - a[1];
  const f = a[1] - (t - v) + (b[1] - v);
  e += t;
  const n = norm(s, e);
  s = n[0];
  e = n[1] + f;
  return norm(s, e);
}

function ddMul(a: DD, b: DD): DD {
  twoProd(a[0], b[0]);
  return norm(prod.hi, prod.lo + (a[0] * b[1] + a[1] * b[0]));
}

function ddDivInt(a: DD, d: number): DD {
  const q1 = a[0] / d;
  twoProd(q1, d);
  const s = a[0] - prod.hi;
  const e = a[1] - prod.lo;
  return norm(q1, (s + e) / d);
}

/** 1/n! for n = 0..30, as double-doubles. */
const INV_FACT: readonly DD[] = (() => {
  const f: DD[] = [[1, 0]];
  let last: DD = [1, 0];
  for (let n = 1; n <= 30; n++) {
    last = ddDivInt(last, n);
    f.push(last);
  }
  return f;
})();

/** +1/k! or -1/k!, the sign alternating every two k as in the sin and cos series. */
function coefficient(k: number): DD {
  const c = INV_FACT[k];
  if (c === undefined) throw new RangeError(`no series coefficient for ${k}`);
  return ((k >> 1) & 1) === 1 ? [-c[0], -c[1]] : c;
}

/** Taylor series of sin (odd) or cos around 0, by Horner's rule in r^2, for |r| <= pi/4. */
function ddSeries(r: DD, odd: boolean): DD {
  const r2 = ddMul(r, r);
  let k = odd ? 29 : 30;
  let sum = coefficient(k);
  for (k -= 2; k >= 0; k -= 2) sum = ddAdd(coefficient(k), ddMul(sum, r2));
  return odd ? ddMul(sum, r) : sum;
}

const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;
const PIO2: DD = [PIO2_1, PIO2_2];

/** sin(x) (which = 0) or cos(x) (which = 1) as a double-double, for |x| < 1e6. */
function ddTrig(x: number, which: 0 | 1): DD {
  const k = Math.round(x / PIO2_1);
  twoProd(k, PIO2_1);
  let r = ddAdd([x, 0], [-prod.hi, -prod.lo]);
  twoProd(k, PIO2_2);
  r = ddAdd(r, [-prod.hi, -prod.lo]);
  r = ddAdd(r, [-k * PIO2_3, 0]);
  const q = (((k + which) % 4) + 4) % 4;
  const v = q === 0 || q === 2 ? ddSeries(r, true) : ddSeries(r, false);
  return q >= 2 ? [-v[0], -v[1]] : v;
}

export function sinCR(x: number): number {
  if (x === 0 || !Number.isFinite(x) || Math.abs(x) > 1e6) return Math.sin(x);
  const v = ddTrig(x, 0);
  return v[0] + v[1];
}

export function cosCR(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > 1e6) return Math.cos(x);
  const v = ddTrig(x, 1);
  return v[0] + v[1];
}

/** asin of a double-double in [0, 0.5] by one Newton step from Math.asin. */
function ddAsinSmall(z: DD): DD {
  const y0 = Math.asin(z[0]);
  if (y0 === 0) return [0, 0];
  const s = ddTrig(y0, 0);
  const corr = (z[0] - s[0] + (z[1] - s[1])) / Math.cos(y0);
  return norm(y0, corr);
}

export function asinCR(x: number): number {
  if (x === 0 || Number.isNaN(x) || x > 1 || x < -1) return Math.asin(x);
  const neg = x < 0;
  const a = Math.abs(x);
  let v: DD;
  if (a <= 0.5) {
    v = ddAsinSmall([a, 0]);
  } else {
    // asin(a) = pi/2 - 2 asin(sqrt((1 - a) / 2)); 1 - a and the halving are exact here.
    const w = (1 - a) / 2;
    const s0 = Math.sqrt(w);
    let z: DD = [s0, 0];
    if (s0 !== 0) {
      twoProd(s0, s0);
      z = norm(s0, (w - prod.hi - prod.lo) / (2 * s0));
    }
    const t = ddAsinSmall(z);
    v = ddAdd(PIO2, [-2 * t[0], -2 * t[1]]);
  }
  const r = v[0] + v[1];
  return neg ? -r : r;
}

// --- distances ---

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** The haversine great-circle distance in meters. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lat1r = degRad(lat1);
  const lon1r = degRad(lon1);
  const lat2r = degRad(lat2);
  const lon2r = degRad(lon2);
  const u = sinCR((lat2r - lat1r) / 2);
  const v = sinCR((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS * asinCR(Math.sqrt(u * u + cosCR(lat1r) * cosCR(lat2r) * v * v));
}

// --- search shapes ---

export type Shape =
  | { readonly kind: 'radius'; readonly lon: number; readonly lat: number; readonly radius: number; readonly conversion: number }
  | { readonly kind: 'box'; readonly lon: number; readonly lat: number; readonly width: number; readonly height: number; readonly conversion: number };

/**
 * The distance from the shape's centre when the point lies inside the shape, else -1. A box
 * checks its east-west and north-south distances separately, as Redis does.
 */
export function distanceIfInside(s: Shape, lon: number, lat: number): number {
  if (s.kind === 'radius') {
    const d = distance(s.lon, s.lat, lon, lat);
    return d > s.radius * s.conversion ? -1 : d;
  }
  const width = s.width * s.conversion;
  const height = s.height * s.conversion;
  const lonDistance = distance(lon, lat, s.lon, lat);
  const latDistance = distance(lon, lat, lon, s.lat);
  if (lonDistance > width / 2 || latDistance > height / 2) return -1;
  return distance(s.lon, s.lat, lon, lat);
}

/** geohashEstimateStepsByRadius: coarse enough that the 3x3 cells around the centre cover the radius. */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat] of the shape. */
function boundingBox(s: Shape): [number, number, number, number] {
  const lon = s.lon;
  const lat = s.lat;
  const height = s.conversion * (s.kind === 'radius' ? s.radius : s.height / 2);
  const width = s.conversion * (s.kind === 'radius' ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS / cosCR(degRad(lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS / cosCR(degRad(lat - latDelta)));
  const south = lat < 0;
  return [
    south ? lon - lonDeltaBottom : lon - lonDeltaTop,
    lat - latDelta,
    south ? lon + lonDeltaBottom : lon + lonDeltaTop,
    lat + latDelta,
  ];
}

/**
 * geohashCalculateAreasByShapeWGS84: the centre cell then north, south, east, west, north-east,
 * north-west, south-east, south-west; null for a neighbour the shape cannot reach.
 */
export function searchCells(s: Shape): (HashBits | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  const radiusMeters =
    (s.kind === 'radius' ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2))) * s.conversion;
  let steps = estimateSteps(radiusMeters, s.lat);
  let hash = encodeValid(s.lon, s.lat, steps);
  let n = neighbours(hash);
  let area = decodeArea(hash);

  // Near a cell's edge the estimated step may be too fine for the neighbours to cover the shape.
  const north = decodeArea(n[0]);
  const south = decodeArea(n[1]);
  const east = decodeArea(n[2]);
  const west = decodeArea(n[3]);
  const decrease = north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = encodeValid(s.lon, s.lat, steps);
    n = neighbours(hash);
    area = decodeArea(hash);
  }
  // north, south, east, west, north_east, north_west, south_east, south_west
  const keep = [true, true, true, true, true, true, true, true];
  if (steps >= 2) {
    if (area.lat.min < minLat) keep[1] = keep[7] = keep[6] = false;
    if (area.lat.max > maxLat) keep[0] = keep[4] = keep[5] = false;
    if (area.lon.min < minLon) keep[3] = keep[7] = keep[5] = false;
    if (area.lon.max > maxLon) keep[2] = keep[6] = keep[4] = false;
  }
  return [hash, ...n.map((h, i) => (keep[i] ? h : null))];
}

/** North, south, east, west, north-east, north-west, south-east, south-west. */
type Neighbours = [HashBits, HashBits, HashBits, HashBits, HashBits, HashBits, HashBits, HashBits];

function neighbours(h: HashBits): Neighbours {
  return [
    moveY(h, 1),
    moveY(h, -1),
    moveX(h, 1),
    moveX(h, -1),
    moveY(moveX(h, 1), 1),
    moveY(moveX(h, -1), 1),
    moveY(moveX(h, 1), -1),
    moveY(moveX(h, -1), -1),
  ];
}

/** The score range [min, max) of the points inside a cell. */
export function cellScores(h: HashBits): [number, number] {
  return [Number(align52(h)), Number(align52({ bits: h.bits + 1n, step: h.step }))];
}
