// The geo family: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH(STORE) and the GEORADIUS commands.
// A geo index is an ordinary sorted set whose scores are 52-bit geohashes (store/geohash.ts), so
// the sorted set commands work on it too; searches scan the score ranges of 9 geohash cells.

import * as E from '../errors.js';
import { arg, is, parseDoubleInRange, parseInteger } from '../protocol/args.js';
import { key, keyAfter, withDocs, type CommandSpec, type KeySpec } from './spec.js';
import { geoDocs } from './docs/geo.js';
import { lookupTyped } from './lookup.js';
import type { Client } from '../server/client.js';
import { ZSetValue, type ZSetLimits } from '../store/zset.js';
import {
  LAT_MAX,
  LAT_MIN,
  LONG_MAX,
  LONG_MIN,
  cellScores,
  decodeScore,
  distance,
  distanceIfInside,
  scoreOf,
  searchCells,
  standardGeohash,
  type Shape,
} from '../store/geohash.js';
import { pqsort } from '../store/pqsort.js';
import { formatHumanFloat } from '../protocol/number-format.js';
import { notify, NOTIFY_GENERIC, NOTIFY_ZSET } from '../server/notify.js';
import { INT64_MIN } from '../int64.js';

function limits(c: Client): ZSetLimits {
  return c.server.store.limits.zset;
}

// --- number parsing and printing ---

/** printf("%.<digits>f", d), exact and rounding ties to even as glibc does. */
function formatFixed(d: number, digits: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  const neg = d < 0 || Object.is(d, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(d));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exp === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = exp - 1075;
  }
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (e >= 0) q = (m << BigInt(e)) * scale;
  else {
    const sh = BigInt(-e);
    const num = m * scale;
    q = num >> sh;
    const rem = num - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  let s = q.toString();
  if (digits === 0) return (neg ? '-' : '') + s;
  if (s.length <= digits) s = '0'.repeat(digits - s.length + 1) + s;
  return (neg ? '-' : '') + s.slice(0, s.length - digits) + '.' + s.slice(s.length - digits);
}

/** addReplyHumanLongDouble: the long double "human" form, as a bulk (RESP2) or a double (RESP3). */
function replyCoordinate(c: Client, d: number): void {
  const s = formatHumanFloat(d);
  if (c.reply.resp === 2) c.reply.bulk(s);
  else c.reply.raw(Buffer.from(',' + s + '\r\n', 'latin1'));
}

/** Distances are printed with four decimals, as a bulk string in both protocols. */
function replyDistance(c: Client, d: number): void {
  c.reply.bulk(formatFixed(d, 4));
}

/** (long long) of a score, as addReplyLongLong(c, score) converts it on x86-64. */
function scoreAsInteger(score: number): bigint {
  return score > -9223372036854775808 && score < 9223372036854775808 ? BigInt(Math.trunc(score)) : INT64_MIN;
}

// --- argument helpers (each replies on error and returns null) ---

function lonLat(c: Client, lonArg: string, latArg: string): [number, number] | null {
  const lon = parseDoubleInRange(lonArg);
  if (lon === null) {
    c.reply.error(E.NOT_FLOAT);
    return null;
  }
  const lat = parseDoubleInRange(latArg);
  if (lat === null) {
    c.reply.error(E.NOT_FLOAT);
    return null;
  }
  if (lon < LONG_MIN || lon > LONG_MAX || lat < LAT_MIN || lat > LAT_MAX) {
    c.reply.error(E.geoInvalidPair(formatFixed(lon, 6), formatFixed(lat, 6)));
    return null;
  }
  return [lon, lat];
}

/** Meters per unit, or null after replying. */
function unit(c: Client, u: string): number | null {
  if (is(u, 'm')) return 1;
  if (is(u, 'km')) return 1000;
  if (is(u, 'ft')) return 0.3048;
  if (is(u, 'mi')) return 1609.34;
  c.reply.error(E.GEO_UNIT);
  return null;
}

function radiusArg(c: Client, value: string, u: string): { radius: number; conversion: number } | null {
  const radius = parseDoubleInRange(value);
  if (radius === null) {
    c.reply.error(E.GEO_NEED_RADIUS);
    return null;
  }
  if (radius < 0) {
    c.reply.error(E.GEO_RADIUS_NEGATIVE);
    return null;
  }
  const conversion = unit(c, u);
  return conversion === null ? null : { radius, conversion };
}

function boxArg(c: Client, w: string, h: string, u: string): { width: number; height: number; conversion: number } | null {
  const width = parseDoubleInRange(w);
  if (width === null) {
    c.reply.error(E.GEO_NEED_WIDTH);
    return null;
  }
  const height = parseDoubleInRange(h);
  if (height === null) {
    c.reply.error(E.GEO_NEED_HEIGHT);
    return null;
  }
  if (height < 0 || width < 0) {
    c.reply.error(E.GEO_BOX_NEGATIVE);
    return null;
  }
  const conversion = unit(c, u);
  return conversion === null ? null : { width, height, conversion };
}

// --- GEOADD ---

/** GEOADD is ZADD with the positions turned into scores; its options are ZADD's NX, XX and CH. */
function geoadd(c: Client, argv: string[]): void {
  let nx = false;
  let xx = false;
  let ch = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const o = argv[i];
    if (o === undefined) break;
    if (is(o, 'nx')) nx = true;
    else if (is(o, 'xx')) xx = true;
    else if (is(o, 'ch')) ch = true;
    else break;
  }
  const rest = argv.length - i;
  // The first member, there whenever at least one longitude/latitude/member triple follows.
  const first = argv[i + 2];
  if (rest % 3 !== 0 || (xx && nx) || first === undefined) {
    c.reply.error(E.SYNTAX);
    return;
  }
  const scores: number[] = [];
  for (let j = i; j < argv.length; j += 3) {
    const lon = argv[j];
    const lat = argv[j + 1];
    if (lon === undefined || lat === undefined) break;
    const p = lonLat(c, lon, lat);
    if (p === null) return;
    scores.push(scoreOf(p[0], p[1]));
  }
  const k = arg(argv, 1);
  const found = lookupTyped(c, k, 'zset', true);
  if (found === null) return;
  let added = 0;
  let updated = 0;
  if (found !== undefined || !xx) {
    const lim = limits(c);
    const z = found ?? ZSetValue.forFirst(first, lim);
    const flags = { nx, xx, gt: false, lt: false, incr: false };
    for (const [j, score] of scores.entries()) {
      const member = argv[i + 3 * j + 2];
      if (member === undefined) break;
      const res = z.add(member, score, flags, lim);
      if (res.kind === 'added') added++;
      else if (res.kind === 'updated') updated++;
    }
    if (found === undefined) {
      if (z.size > 0) c.db.set(k, z);
    } else if (added + updated > 0) c.db.modified(k, added + updated);
    // GEOADD is ZADD underneath, and announces itself as such.
    if (added + updated > 0) notify(c, NOTIFY_ZSET, 'zadd', k);
  }
  c.reply.integer(ch ? added + updated : added);
}

// --- GEODIST, GEOHASH, GEOPOS ---

function geodist(c: Client, argv: string[]): void {
  let toMeters = 1;
  const unitText = argv[4];
  if (argv.length > 5) {
    c.reply.error(E.SYNTAX);
    return;
  }
  if (unitText !== undefined) {
    const u = unit(c, unitText);
    if (u === null) return;
    toMeters = u;
  }
  const z = lookupTyped(c, arg(argv, 1), 'zset', false);
  if (z === null) return;
  if (z === undefined) {
    c.reply.nil();
    return;
  }
  const s1 = z.score(arg(argv, 2));
  const s2 = z.score(arg(argv, 3));
  if (s1 === undefined || s2 === undefined) {
    c.reply.nil();
    return;
  }
  const [lon1, lat1] = decodeScore(s1);
  const [lon2, lat2] = decodeScore(s2);
  replyDistance(c, distance(lon1, lat1, lon2, lat2) / toMeters);
}

function geohash(c: Client, argv: string[]): void {
  const z = lookupTyped(c, arg(argv, 1), 'zset', false);
  if (z === null) return;
  c.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const member = argv[j];
    if (member === undefined) break;
    const s = z?.score(member);
    if (s === undefined) c.reply.nil();
    else c.reply.bulk(standardGeohash(s));
  }
}

function geopos(c: Client, argv: string[]): void {
  const z = lookupTyped(c, arg(argv, 1), 'zset', false);
  if (z === null) return;
  c.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const member = argv[j];
    if (member === undefined) break;
    const s = z?.score(member);
    if (s === undefined) {
      c.reply.nilArray();
      continue;
    }
    const [lon, lat] = decodeScore(s);
    c.reply.array(2);
    replyCoordinate(c, lon);
    replyCoordinate(c, lat);
  }
}

// --- searches ---

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

interface GeoPoint {
  readonly member: string;
  readonly score: number;
  readonly lon: number;
  readonly lat: number;
  dist: number;
}

type Center = [number, number];

/** The position of `member` in `z`, or null after replying that it cannot be decoded. */
function memberCenter(c: Client, z: ZSetValue, member: string): Center | null {
  const s = z.score(member);
  if (s === undefined) {
    c.reply.error(E.GEO_MEMBER);
    return null;
  }
  return decodeScore(s);
}

/** membersOfAllNeighbors: the points of the 9 cells inside the shape, in cell then score order. */
function pointsInShape(z: ZSetValue, shape: Shape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const cells = searchCells(shape);
  let last = -1;
  for (const [i, cell] of cells.entries()) {
    if (cell === null) continue;
    // With huge radii neighbouring cells can coincide: skip a repeat of the last cell scanned.
    const prev = last > 0 ? cells[last] : null;
    if (prev !== undefined && prev !== null && prev.bits === cell.bits && prev.step === cell.step) continue;
    if (out.length > 0 && limit > 0 && out.length >= limit) break;
    const [min, max] = cellScores(cell);
    for (let n = z.firstInRange({ value: min, exclusive: false }, { value: max, exclusive: true }); n !== null && n.score < max; n = n.next0) {
      const [lon, lat] = decodeScore(n.score);
      const d = distanceIfInside(shape, lon, lat);
      if (d >= 0) out.push({ member: n.member, score: n.score, lon, lat, dist: d });
      if (out.length > 0 && limit > 0 && out.length >= limit) break;
    }
    last = i;
  }
  return out;
}

const ascending = (a: GeoPoint, b: GeoPoint): number => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const descending = (a: GeoPoint, b: GeoPoint): number => -ascending(a, b);

/** Redis's georadiusGeneric: argument parsing, the search, then the reply or the stored result. */
function georadiusGeneric(c: Client, argv: string[], srcIndex: number, flags: number): void {
  const z = lookupTyped(c, arg(argv, srcIndex), 'zset', false);
  if (z === null) return;
  let storeKey: string | null = null;
  let storeDist = false;
  let center: Center | null = null;
  let radius: { radius: number; conversion: number } | null = null;
  let box: { width: number; height: number; conversion: number } | null = null;
  let base: number;
  if (flags & RADIUS_COORDS) {
    base = 6;
    center = lonLat(c, arg(argv, 2), arg(argv, 3));
    if (center === null) return;
    radius = radiusArg(c, arg(argv, 4), arg(argv, 5));
    if (radius === null) return;
  } else if (flags & RADIUS_MEMBER) {
    base = 5;
    // Without a source key the member cannot be looked up; parsing goes on to pick the reply.
    if (z !== undefined) {
      center = memberCenter(c, z, arg(argv, 2));
      if (center === null) return;
      radius = radiusArg(c, arg(argv, 3), arg(argv, 4));
      if (radius === null) return;
    }
  } else {
    base = 2;
    if (flags & GEOSEARCHSTORE) {
      base = 3;
      storeKey = arg(argv, 1);
    }
  }

  let withdist = false;
  let withhash = false;
  let withcoord = false;
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  let sort: 'none' | 'asc' | 'desc' = 'none';
  let any = false;
  let count = 0;
  const search = (flags & GEOSEARCH) !== 0;
  const canStore = (flags & NOSTORE) === 0 && !search;
  for (let i = base; i < argv.length; i++) {
    const a = argv[i];
    if (a === undefined) break;
    // The values that follow, for the options that take them.
    const v1 = argv[i + 1];
    const v2 = argv[i + 2];
    const v3 = argv[i + 3];
    if (is(a, 'withdist')) withdist = true;
    else if (is(a, 'withhash')) withhash = true;
    else if (is(a, 'withcoord')) withcoord = true;
    else if (is(a, 'any')) any = true;
    else if (is(a, 'asc')) sort = 'asc';
    else if (is(a, 'desc')) sort = 'desc';
    else if (is(a, 'count') && v1 !== undefined) {
      const n = parseInteger(v1);
      if (n === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      if (n <= 0) {
        c.reply.error(E.GEO_COUNT);
        return;
      }
      count = n;
      i++;
    } else if (is(a, 'store') && v1 !== undefined && canStore) {
      storeKey = v1;
      storeDist = false;
      i++;
    } else if (is(a, 'storedist') && v1 !== undefined && canStore) {
      storeKey = v1;
      storeDist = true;
      i++;
    } else if (is(a, 'storedist') && search && (flags & GEOSEARCHSTORE) !== 0) {
      storeDist = true;
    } else if (is(a, 'frommember') && v1 !== undefined && search && !fromLonLat) {
      if (z !== undefined) {
        center = memberCenter(c, z, v1);
        if (center === null) return;
      }
      fromMember = true;
      i++;
    } else if (is(a, 'fromlonlat') && v1 !== undefined && v2 !== undefined && search && !fromMember) {
      center = lonLat(c, v1, v2);
      if (center === null) return;
      fromLonLat = true;
      i += 2;
    } else if (is(a, 'byradius') && v1 !== undefined && v2 !== undefined && search && !byBox) {
      radius = radiusArg(c, v1, v2);
      if (radius === null) return;
      box = null;
      byRadius = true;
      i += 2;
    } else if (is(a, 'bybox') && v1 !== undefined && v2 !== undefined && v3 !== undefined && search && !byRadius) {
      box = boxArg(c, v1, v2, v3);
      if (box === null) return;
      radius = null;
      byBox = true;
      i += 3;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }

  if (storeKey !== null && (withdist || withhash || withcoord)) {
    c.reply.error(E.geoStoreWith(flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'));
    return;
  }
  if (search && !(fromMember || fromLonLat)) {
    c.reply.error(E.geoFromRequired(arg(argv, 0)));
    return;
  }
  if (search && !(byRadius || byBox)) {
    c.reply.error(E.geoByRequired(arg(argv, 0)));
    return;
  }
  if (any && count === 0) {
    c.reply.error(E.GEO_ANY_NEEDS_COUNT);
    return;
  }

  if (z === undefined) {
    if (storeKey !== null) {
      if (c.db.delete(storeKey)) notify(c, NOTIFY_GENERIC, 'del', storeKey);
      c.reply.integer(0);
    } else {
      c.reply.array(0);
    }
    return;
  }
  if (count !== 0 && sort === 'none' && !any) sort = 'asc';

  // With a source key, parsing has set the center and exactly one of the two shapes.
  if (center === null) throw new RangeError('a GEO search reached its scan without a center');
  const [lon, lat] = center;
  let shape: Shape;
  if (box !== null) shape = { kind: 'box', lon, lat, width: box.width, height: box.height, conversion: box.conversion };
  else if (radius !== null) shape = { kind: 'radius', lon, lat, radius: radius.radius, conversion: radius.conversion };
  else throw new RangeError('a GEO search reached its scan without a shape');
  const points = pointsInShape(z, shape, any ? count : 0);
  if (points.length === 0 && storeKey === null) {
    c.reply.array(0);
    return;
  }

  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== 'none') {
    const cmp = sort === 'asc' ? ascending : descending;
    // A full sort is glibc's qsort, a stable merge sort; a partial one is Redis's pqsort.
    if (returned === points.length) points.sort(cmp);
    else pqsort(points, cmp, 0, returned - 1);
  }
  const conversion = shape.conversion;

  if (storeKey === null) {
    const options = (withdist ? 1 : 0) + (withcoord ? 1 : 0) + (withhash ? 1 : 0);
    c.reply.array(returned);
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (p === undefined) break;
      p.dist /= conversion;
      if (options > 0) c.reply.array(options + 1);
      c.reply.bulk(p.member);
      if (withdist) replyDistance(c, p.dist);
      if (withhash) c.reply.integer(scoreAsInteger(p.score));
      if (withcoord) {
        c.reply.array(2);
        replyCoordinate(c, p.lon);
        replyCoordinate(c, p.lat);
      }
    }
    return;
  }

  if (returned > 0) {
    const lim = limits(c);
    const dst = new ZSetValue('skiplist');
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (p === undefined) break;
      p.dist /= conversion;
      dst.set(p.member, storeDist ? p.dist : p.score, lim);
    }
    dst.convertToListpackIfNeeded(lim);
    c.db.set(storeKey, dst);
    notify(c, NOTIFY_ZSET, flags & GEOSEARCH ? 'geosearchstore' : 'georadiusstore', storeKey);
  } else if (c.db.delete(storeKey)) {
    notify(c, NOTIFY_GENERIC, 'del', storeKey);
  }
  c.reply.integer(returned);
}

function georadius(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_COORDS);
}

function georadiusbymember(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_MEMBER);
}

function georadiusRo(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_COORDS | NOSTORE);
}

function georadiusbymemberRo(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_MEMBER | NOSTORE);
}

function geosearch(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, GEOSEARCH);
}

function geosearchstore(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 2, GEOSEARCH | GEOSEARCHSTORE);
}

// --- the table ---

const ro: KeySpec[] = [key(1, 'RO', 'ACCESS')];
const oneKey = { range: { lastKey: 0, keyStep: 1, limit: 0 } } as const;
/** The source, then the STORE and STOREDIST destinations found by keyword after `from`. */
const radiusKeys = (from: number): KeySpec[] => [
  key(1, 'RO', 'ACCESS'),
  keyAfter('STORE', from, oneKey, 'OW', 'UPDATE'),
  keyAfter('STOREDIST', from, oneKey, 'OW', 'UPDATE'),
];

export const geoCommands: readonly CommandSpec[] = withDocs(geoDocs, [
  { name: 'geoadd', arity: -5, flags: ['write', 'denyoom'], acl: ['write', 'geo', 'slow'], keys: [key(1, 'RW', 'UPDATE')], run: geoadd },
  { name: 'geodist', arity: -4, flags: ['readonly'], acl: ['read', 'geo', 'slow'], keys: ro, run: geodist },
  { name: 'geohash', arity: -2, flags: ['readonly'], acl: ['read', 'geo', 'slow'], keys: ro, run: geohash },
  { name: 'geopos', arity: -2, flags: ['readonly'], acl: ['read', 'geo', 'slow'], keys: ro, run: geopos },
  { name: 'geosearch', arity: -7, flags: ['readonly'], acl: ['read', 'geo', 'slow'], keys: ro, run: geosearch },
  { name: 'geosearchstore', arity: -8, flags: ['write', 'denyoom'], acl: ['write', 'geo', 'slow'], run: geosearchstore,
    keys: [key(1, 'OW', 'UPDATE'), key(2, 'RO', 'ACCESS')] },
  { name: 'georadius', arity: -6, flags: ['write', 'denyoom'], acl: ['write', 'geo', 'slow'], keys: radiusKeys(6), run: georadius },
  { name: 'georadiusbymember', arity: -5, flags: ['write', 'denyoom'], acl: ['write', 'geo', 'slow'], keys: radiusKeys(5), run: georadiusbymember },
  { name: 'georadius_ro', arity: -6, flags: ['readonly'], acl: ['read', 'geo', 'slow'], keys: ro, run: georadiusRo },
  { name: 'georadiusbymember_ro', arity: -5, flags: ['readonly'], acl: ['read', 'geo', 'slow'], keys: ro, run: georadiusbymemberRo },
]);
