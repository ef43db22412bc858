// The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO. Bitmaps
// are ordinary string values; argument order and error precedence follow Redis's bitops.c.

import * as E from '../errors.js';
import { arg, parseInteger, parseInt64, is } from '../protocol/args.js';
import { key, keyRange, withDocs, type CommandSpec, type KeySpecFlag } from './spec.js';
import { bitmapDocs } from './docs/bitmap.js';
import { lookupString } from './lookup.js';
import type { Client } from '../server/client.js';
import { bitCount, bitOp, bitPos, getBit, setBit, type BitOp } from '../store/bitops.js';
import { MAX_STRING_LENGTH } from '../store/string-ops.js';
import { checkSigned, checkUnsigned, getSigned, getUnsigned, setField, type Overflow } from '../store/bitfield.js';
import { notify, NOTIFY_GENERIC, NOTIFY_STRING } from '../server/notify.js';

/**
 * Redis's getBitOffsetFromArgument: a non-negative integer whose byte stays under
 * proto-max-bulk-len; with `bits` > 0 a "#n" form means n * bits (int64 arithmetic, wrapping).
 */
function bitOffsetArg(c: Client, text: string, bits: number): number | null {
  const hash = bits > 0 && text.charCodeAt(0) === 35; /* # */
  const body = hash ? text.slice(1) : text;
  let off = parseInteger(body);
  if (off !== null && hash) {
    // parseInteger accepted the text, so it is an int64 and parseInt64 reads it too.
    const exact = Number.isSafeInteger(off) ? BigInt(off) : parseInt64(body);
    off = exact === null ? null : Number(BigInt.asIntN(64, exact * BigInt(bits)));
  }
  if (off === null || off < 0 || Math.floor(off / 8) >= c.server.store.limits.maxBulkLen) {
    c.reply.error(E.BIT_OFFSET);
    return null;
  }
  return off;
}

function setbit(c: Client, argv: string[]): void {
  const offset = bitOffsetArg(c, arg(argv, 2), 0);
  if (offset === null) return;
  const on = parseInteger(arg(argv, 3));
  if (on !== 0 && on !== 1) {
    c.reply.error(E.BIT_VALUE);
    return;
  }
  const db = c.db;
  const k = arg(argv, 1);
  const v = lookupString(c, k, true);
  if (v === null) return;
  const s = v ?? '';
  if (Math.floor(offset / 8) >= MAX_STRING_LENGTH) {
    c.reply.error(E.STRING_TOO_LONG);
    return;
  }
  // Growing the string takes heap the size of the new one.
  if (Math.floor(offset / 8) >= s.length && !c.server.memory.admit(Math.floor(offset / 8) + 1)) {
    c.reply.error(E.OOM);
    return;
  }
  const old = getBit(s, offset);
  const next = setBit(s, offset, on);
  const changed = v === undefined || next !== s;
  if (changed) db.set(k, next, true);
  // Redis unshares the string before touching the bit, so it is raw even when nothing changed.
  db.markStringEncoding(k, 'raw');
  if (changed) notify(c, NOTIFY_STRING, 'setbit', k);
  c.reply.integer(old);
}

function getbit(c: Client, argv: string[]): void {
  const offset = bitOffsetArg(c, arg(argv, 2), 0);
  if (offset === null) return;
  const v = lookupString(c, arg(argv, 1), false);
  if (v !== null) c.reply.integer(v === undefined ? 0 : getBit(v, offset));
}

/** BYTE or BIT; null (after a syntax error) for anything else. */
function unitArg(c: Client, text: string): boolean | null {
  if (is(text, 'bit')) return true;
  if (is(text, 'byte')) return false;
  c.reply.error(E.SYNTAX);
  return null;
}

/** Redis's index normalisation for BITCOUNT/BITPOS ranges: from the end when negative, clamped. */
function clampRange(start: number, end: number, total: number): [number, number] {
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return [start, end];
}

function bitcount(c: Client, argv: string[]): void {
  const v = lookupString(c, arg(argv, 1), false);
  if (v === null) return;
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  const argc = argv.length;
  if (argc === 2) {
    c.reply.integer(bitCount(v, 0, v.length * 8 - 1));
    return;
  }
  const startText = argv[2];
  const endText = argv[3];
  if ((argc !== 4 && argc !== 5) || startText === undefined || endText === undefined) {
    c.reply.error(E.SYNTAX);
    return;
  }
  let start = parseInteger(startText);
  let end = start === null ? null : parseInteger(endText);
  if (start === null || end === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (start < 0 && end < 0 && start > end) {
    c.reply.integer(0);
    return;
  }
  let isBit = false;
  const unitText = argv[4];
  if (unitText !== undefined) {
    const u = unitArg(c, unitText);
    if (u === null) return;
    isBit = u;
  }
  [start, end] = clampRange(start, end, isBit ? v.length * 8 : v.length);
  if (start > end) c.reply.integer(0);
  else if (isBit) c.reply.integer(bitCount(v, start, end));
  else c.reply.integer(bitCount(v, start * 8, end * 8 + 7));
}

function bitpos(c: Client, argv: string[]): void {
  const bit = parseInteger(arg(argv, 2));
  if (bit === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (bit !== 0 && bit !== 1) {
    c.reply.error(E.BITPOS_BIT);
    return;
  }
  const v = lookupString(c, arg(argv, 1), false);
  if (v === null) return;
  if (v === undefined) {
    // A missing key is an endless run of zeros.
    c.reply.integer(bit ? -1 : 0);
    return;
  }
  const argc = argv.length;
  let start = 0;
  let end = v.length - 1;
  let isBit = false;
  let endGiven = false;
  const startText = argv[3];
  if (startText !== undefined && argc <= 6) {
    const s = parseInteger(startText);
    if (s === null) {
      c.reply.error(E.NOT_INTEGER);
      return;
    }
    const unitText = argv[5];
    if (unitText !== undefined) {
      const u = unitArg(c, unitText);
      if (u === null) return;
      isBit = u;
    }
    const endText = argv[4];
    if (endText !== undefined) {
      const e = parseInteger(endText);
      if (e === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      end = e;
      endGiven = true;
    }
    [start, end] = clampRange(s, end, isBit ? v.length * 8 : v.length);
  } else if (argc !== 3) {
    c.reply.error(E.SYNTAX);
    return;
  }
  if (start > end) {
    c.reply.integer(-1);
    return;
  }
  const startBit = isBit ? start : start * 8;
  const endBit = isBit ? end : end * 8 + 7;
  const pos = bitPos(v, bit, startBit, endBit);
  // Looking for a clear bit with no explicit end: the string continues with zeros past its end.
  if (pos === -1 && bit === 0 && !endGiven) c.reply.integer(endBit + 1);
  else c.reply.integer(pos);
}

function bitop(c: Client, argv: string[]): void {
  const name = arg(argv, 1).toLowerCase();
  if (name !== 'and' && name !== 'or' && name !== 'xor' && name !== 'not') {
    c.reply.error(E.SYNTAX);
    return;
  }
  const op: BitOp = name;
  if (op === 'not' && argv.length !== 4) {
    c.reply.error(E.BITOP_NOT_SINGLE);
    return;
  }
  const db = c.db;
  const sources: string[] = [];
  for (let i = 3; i < argv.length; i++) {
    const k = argv[i];
    if (k === undefined) break;
    const v = lookupString(c, k, false);
    if (v === null) return;
    sources.push(v ?? '');
  }
  const result = bitOp(op, sources);
  const dest = arg(argv, 2);
  if (result.length > 0) {
    db.set(dest, result);
    db.markStringEncoding(dest, 'raw');
    notify(c, NOTIFY_STRING, 'set', dest);
  } else if (db.delete(dest)) notify(c, NOTIFY_GENERIC, 'del', dest);
  c.reply.integer(result.length);
}

// --- BITFIELD ---

interface FieldOp {
  readonly op: 'get' | 'set' | 'incrby';
  readonly offset: number;
  readonly bits: number;
  readonly signed: boolean;
  readonly value: bigint;
  readonly overflow: Overflow;
}

/** "i<1..64>" or "u<1..63>", case-sensitive as Redis; null after replying with the error. */
function fieldType(c: Client, text: string): { signed: boolean; bits: number } | null {
  const t = text.charCodeAt(0);
  const nul = text.indexOf('\0');
  const n = parseInteger(text.slice(1, nul === -1 ? text.length : nul));
  const signed = t === 105; /* i */
  if ((t !== 105 && t !== 117) /* u */ || n === null || n < 1 || n > (signed ? 64 : 63)) {
    c.reply.error(E.BITFIELD_TYPE);
    return null;
  }
  return { signed, bits: n };
}

function bitfieldGeneric(c: Client, argv: string[], readOnlyCommand: boolean): void {
  const ops: FieldOp[] = [];
  let overflow: Overflow = 'wrap';
  let readonly = true;
  let changes = 0;
  let highest = 0;
  for (let j = 2; j < argv.length; j++) {
    const word = argv[j];
    if (word === undefined) break;
    const sub = word.toLowerCase();
    const typeText = argv[j + 1];
    const offsetText = argv[j + 2];
    if (sub === 'overflow' && typeText !== undefined) {
      const kind = typeText.toLowerCase();
      if (kind !== 'wrap' && kind !== 'sat' && kind !== 'fail') {
        c.reply.error(E.BITFIELD_OVERFLOW_TYPE);
        return;
      }
      overflow = kind;
      j++;
      continue;
    }
    // GET takes a type and an offset; SET and INCRBY a value too.
    const valueText = sub === 'get' ? '' : argv[j + 3];
    if ((sub !== 'get' && sub !== 'set' && sub !== 'incrby') || typeText === undefined || offsetText === undefined || valueText === undefined) {
      c.reply.error(E.SYNTAX);
      return;
    }
    const op: FieldOp['op'] = sub;
    const type = fieldType(c, typeText);
    if (type === null) return;
    const offset = bitOffsetArg(c, offsetText, type.bits);
    if (offset === null) return;
    let value = 0n;
    if (op !== 'get') {
      readonly = false;
      highest = Math.max(highest, offset + type.bits - 1);
      const v = parseInt64(valueText);
      if (v === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      value = v;
    }
    ops.push({ op, offset, bits: type.bits, signed: type.signed, value, overflow });
    j += op === 'get' ? 2 : 3;
  }

  const db = c.db;
  const k = arg(argv, 1);
  const r = c.reply;
  if (readonly) {
    const v = lookupString(c, k, false);
    if (v === null) return;
    const src = v ?? '';
    r.array(ops.length);
    for (const o of ops) r.integer(o.signed ? getSigned(src, o.offset, o.bits) : getUnsigned(src, o.offset, o.bits));
    return;
  }
  if (readOnlyCommand) {
    r.error(E.BITFIELD_RO_GET_ONLY);
    return;
  }
  const v = lookupString(c, k, true);
  if (v === null) return;
  const old = v ?? '';
  const size = Math.max(old.length, Math.floor(highest / 8) + 1);
  if (size > MAX_STRING_LENGTH) {
    r.error(E.STRING_TOO_LONG);
    return;
  }
  if (size > old.length && !c.server.memory.admit(size)) {
    r.error(E.OOM);
    return;
  }
  const buf = Buffer.alloc(size);
  buf.latin1Write(old, 0);
  // As Redis: a write counts as a change when the key is new or grew, or the field's value moved.
  const grown = v === undefined || size > old.length;
  r.array(ops.length);
  for (const o of ops) {
    if (o.op === 'get') {
      r.integer(o.signed ? getSigned(buf, o.offset, o.bits) : getUnsigned(buf, o.offset, o.bits));
      continue;
    }
    const incr = o.op === 'incrby';
    let current: bigint;
    let next: bigint;
    let overflowed: boolean;
    if (o.signed) {
      current = getSigned(buf, o.offset, o.bits);
      const chk = incr ? checkSigned(current, o.value, o.bits, o.overflow) : checkSigned(o.value, 0n, o.bits, o.overflow);
      overflowed = chk.overflow;
      next = overflowed ? chk.limit : incr ? current + o.value : o.value;
    } else {
      current = getUnsigned(buf, o.offset, o.bits);
      const asU = BigInt.asUintN(64, o.value);
      const chk = incr ? checkUnsigned(current, o.value, o.bits, o.overflow) : checkUnsigned(asU, 0n, o.bits, o.overflow);
      overflowed = chk.overflow;
      next = overflowed ? chk.limit : incr ? current + o.value : asU;
    }
    if (overflowed && o.overflow === 'fail') {
      r.nil();
      continue;
    }
    r.integer(incr ? next : current);
    setField(buf, o.offset, o.bits, next);
    if (grown || next !== current) changes++;
  }
  // Redis creates a missing key, or grows the string, before the first operation, whatever the
  // operations then do.
  if (changes > 0 || grown) db.set(k, buf.latin1Slice(0, size), true, changes);
  db.markStringEncoding(k, 'raw');
  if (changes > 0) notify(c, NOTIFY_STRING, 'setbit', k);
}

function bitfield(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, false);
}

function bitfieldRo(c: Client, argv: string[]): void {
  bitfieldGeneric(c, argv, true);
}

/** Redis's bitfieldGetKeys: only GETs read the key; a SET or INCRBY also updates it. */
function bitfieldKeyFlags(argv: readonly string[]): readonly KeySpecFlag[] {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const rest = argv.length - i - 1;
    if (is(a, 'get') && rest >= 2) i += 2;
    else if ((is(a, 'set') || is(a, 'incrby')) && rest >= 3) return ['RW', 'ACCESS', 'UPDATE'];
    else if (is(a, 'overflow') && rest >= 1) i += 1;
    // A syntax error: safer to assume it writes, as Redis does.
    else return ['RW', 'ACCESS', 'UPDATE'];
  }
  return ['RO', 'ACCESS'];
}

// --- the table ---

const rwAccessUpdate = [key(1, 'RW', 'ACCESS', 'UPDATE')] as const;
const roAccess = [key(1, 'RO', 'ACCESS')] as const;

export const bitmapCommands: readonly CommandSpec[] = withDocs(bitmapDocs, [
  { name: 'setbit', arity: 4, flags: ['write', 'denyoom'], acl: ['write', 'bitmap', 'slow'], keys: rwAccessUpdate, run: setbit },
  { name: 'getbit', arity: 3, flags: ['readonly', 'fast'], acl: ['read', 'bitmap', 'fast'], keys: roAccess, run: getbit },
  { name: 'bitcount', arity: -2, flags: ['readonly'], acl: ['read', 'bitmap', 'slow'], keys: roAccess, run: bitcount },
  { name: 'bitpos', arity: -3, flags: ['readonly'], acl: ['read', 'bitmap', 'slow'], keys: roAccess, run: bitpos },
  {
    name: 'bitop', arity: -4, flags: ['write', 'denyoom'], acl: ['write', 'bitmap', 'slow'],
    keys: [key(2, 'OW', 'UPDATE'), keyRange(3, -1, 1, 'RO', 'ACCESS')], run: bitop,
  },
  {
    name: 'bitfield', arity: -2, flags: ['write', 'denyoom'], acl: ['write', 'bitmap', 'slow'],
    keys: [{ ...key(1, 'RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'), notes: 'This command allows both access and modification of the key' }],
    keyFlags: bitfieldKeyFlags,
    run: bitfield,
  },
  { name: 'bitfield_ro', arity: -2, flags: ['readonly', 'fast'], acl: ['read', 'bitmap', 'fast'], keys: roAccess, run: bitfieldRo },
]);
