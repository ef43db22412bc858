// The cluster bus's messages in Redis 7.0's binary format (cluster.h's clusterMsg): pure encode and
// decode, no sockets and no state. Every length, type and version is checked here, before anything
// acts on a message: decode() answers a reason instead of a message for anything malformed, and the
// framer (BusFramer) refuses a declared length past its cap before buffering it.

import { isIP } from 'node:net';

/** Bytes of the fixed header, up to the union of bodies (offsetof(clusterMsg, data)). */
export const HEADER_LEN = 2256;
/** One gossip entry (clusterMsgDataGossip). */
export const GOSSIP_LEN = 104;
/** The slot bitmap: 16384 bits. */
export const SLOTS_BYTES = 2048;
const NAME_LEN = 40;
const IP_LEN = 46;
const FAIL_BODY = NAME_LEN;
const UPDATE_BODY = 8 + NAME_LEN + SLOTS_BYTES;
/** clusterMsgDataPublish without its 8 placeholder bytes: two uint32 lengths. */
const PUBLISH_FIXED = 8;
/** clusterMsgModule without its 3 placeholder bytes: id (8), len (4), type (1). */
const MODULE_FIXED = 13;
const MODULE_BODY_MIN = 16;

export const MsgType = {
  PING: 0,
  PONG: 1,
  MEET: 2,
  FAIL: 3,
  PUBLISH: 4,
  FAILOVER_AUTH_REQUEST: 5,
  FAILOVER_AUTH_ACK: 6,
  UPDATE: 7,
  MFSTART: 8,
  MODULE: 9,
  PUBLISHSHARD: 10,
} as const;
export const MSG_TYPE_COUNT = 11;
/** Names as Redis's clusterGetMessageTypeString (CLUSTER INFO's cluster_stats_messages_<name>_*). */
export const MSG_TYPE_NAMES = ['ping', 'pong', 'meet', 'fail', 'publish', 'auth-req', 'auth-ack', 'update', 'mfstart', 'module', 'publishshard'] as const;

/** Node flags (CLUSTER_NODE_*), as they travel in headers and gossip. */
export const NodeFlag = {
  MASTER: 1,
  SLAVE: 2,
  PFAIL: 4,
  FAIL: 8,
  MYSELF: 16,
  HANDSHAKE: 32,
  NOADDR: 64,
  MEET: 128,
  MIGRATE_TO: 256,
  NOFAILOVER: 512,
} as const;

/** mflags[0] bits. */
export const MFLAG0_PAUSED = 1;
export const MFLAG0_FORCEACK = 2;
export const MFLAG0_EXT_DATA = 4;

/** Ping extension types: 7.0 sends HOSTNAME; 7.2 added HUMAN_NODENAME (1), FORGOTTEN_NODE (2), SHARDID (3). */
const EXT_HOSTNAME = 0;
const EXT_FORGOTTEN_NODE = 2;

export interface BusHeader {
  readonly type: number;
  readonly port: number;
  readonly currentEpoch: bigint;
  readonly configEpoch: bigint;
  readonly offset: bigint;
  readonly sender: string;
  readonly myslots: Uint8Array;
  /** The primary's name, or null (all zero bytes) for a primary. */
  readonly slaveof: string | null;
  /** The address the sender announces, or '' (all zero: use the socket's). */
  readonly myip: string;
  readonly pport: number;
  readonly cport: number;
  readonly flags: number;
  readonly state: number;
  readonly mflags0: number;
}

export interface Gossip {
  readonly name: string;
  readonly pingSent: number;
  readonly pongReceived: number;
  readonly ip: string;
  readonly port: number;
  readonly cport: number;
  readonly flags: number;
  readonly pport: number;
}

export type BusBody =
  | { readonly kind: 'ping'; readonly gossip: readonly Gossip[]; readonly hostname: string | null; readonly forgotten: readonly { name: string; ttl: number }[] }
  | { readonly kind: 'fail'; readonly name: string }
  | { readonly kind: 'publish'; readonly channel: Buffer; readonly message: Buffer }
  | { readonly kind: 'update'; readonly configEpoch: bigint; readonly name: string; readonly slots: Uint8Array }
  | { readonly kind: 'module' }
  | { readonly kind: 'bare' };

export interface BusMessage {
  readonly header: BusHeader;
  readonly body: BusBody;
}

/** A node name: 40 lowercase hex characters (Redis's verifyClusterNodeId, stricter on case). */
export function validNodeName(name: string): boolean {
  return /^[0-9a-f]{40}$/.test(name);
}

/** A fixed-width, NUL-padded text field; null when it is not printable ASCII up to its first NUL. */
function readText(buf: Buffer, at: number, len: number): string | null {
  let end = at;
  const limit = at + len;
  while (end < limit && buf[end] !== 0) {
    const b = buf[end] ?? 0;
    if (b < 0x21 || b > 0x7e) return null;
    end++;
  }
  return buf.toString('latin1', at, end);
}

function allZero(buf: Buffer, at: number, len: number): boolean {
  for (let i = at; i < at + len; i++) if (buf[i] !== 0) return false;
  return true;
}

/** An address field: empty, or an IPv4/IPv6 address. */
function readIp(buf: Buffer, at: number): string | null {
  const ip = readText(buf, at, IP_LEN);
  if (ip === null) return null;
  return ip === '' || isIP(ip) !== 0 ? ip : null;
}

function readName(buf: Buffer, at: number): string | null {
  const name = buf.toString('latin1', at, at + NAME_LEN);
  return validNodeName(name) ? name : null;
}

/**
 * Decodes one whole message (exactly `totlen` bytes): the message, or why it is refused. As
 * Redis's clusterProcessPacket, the length each type implies must equal totlen; unlike Redis, names
 * and addresses must be well formed too, and an unknown type is refused rather than trusted.
 */
export function decode(buf: Buffer): BusMessage | string {
  if (buf.length < HEADER_LEN) return 'message shorter than the header';
  if (buf.toString('latin1', 0, 4) !== 'RCmb') return 'bad signature';
  const totlen = buf.readUInt32BE(4);
  if (totlen !== buf.length) return 'length field does not match the message';
  const ver = buf.readUInt16BE(8);
  if (ver !== 1) return `unsupported protocol version ${ver}`;
  const type = buf.readUInt16BE(12);
  if (type >= MSG_TYPE_COUNT) return `unknown message type ${type}`;
  const count = buf.readUInt16BE(14);
  const sender = readName(buf, 40);
  if (sender === null) return 'bad sender name';
  let slaveof: string | null = null;
  if (!allZero(buf, 2128, NAME_LEN)) {
    slaveof = readName(buf, 2128);
    if (slaveof === null) return 'bad primary name';
  }
  const myip = readIp(buf, 2168);
  if (myip === null) return 'bad announced address';
  const extensions = buf.readUInt16BE(2214);
  const header: BusHeader = {
    type,
    port: buf.readUInt16BE(10),
    currentEpoch: buf.readBigUInt64BE(16),
    configEpoch: buf.readBigUInt64BE(24),
    offset: buf.readBigUInt64BE(32),
    sender,
    myslots: new Uint8Array(buf.subarray(80, 80 + SLOTS_BYTES)),
    slaveof,
    myip,
    pport: buf.readUInt16BE(2246),
    cport: buf.readUInt16BE(2248),
    flags: buf.readUInt16BE(2250),
    state: buf[2252] ?? 0,
    mflags0: buf[2253] ?? 0,
  };
  const body = decodeBody(buf, type, count, extensions, header.mflags0);
  return typeof body === 'string' ? body : { header, body };
}

function decodeBody(buf: Buffer, type: number, count: number, extensions: number, mflags0: number): BusBody | string {
  const totlen = buf.length;
  switch (type) {
    case MsgType.PING:
    case MsgType.PONG:
    case MsgType.MEET:
      return decodePing(buf, count, extensions, mflags0);
    case MsgType.FAIL: {
      if (totlen !== HEADER_LEN + FAIL_BODY) return 'FAIL of the wrong length';
      const name = readName(buf, HEADER_LEN);
      return name === null ? 'bad node name in FAIL' : { kind: 'fail', name };
    }
    case MsgType.PUBLISH:
    case MsgType.PUBLISHSHARD: {
      if (totlen < HEADER_LEN + PUBLISH_FIXED) return 'PUBLISH too short';
      const channelLen = buf.readUInt32BE(HEADER_LEN);
      const messageLen = buf.readUInt32BE(HEADER_LEN + 4);
      // Sums of two 32-bit lengths stay exact in a double.
      if (HEADER_LEN + PUBLISH_FIXED + channelLen + messageLen !== totlen) return 'PUBLISH lengths do not match the message';
      const start = HEADER_LEN + PUBLISH_FIXED;
      return {
        kind: 'publish',
        channel: Buffer.from(buf.subarray(start, start + channelLen)),
        message: Buffer.from(buf.subarray(start + channelLen, totlen)),
      };
    }
    case MsgType.FAILOVER_AUTH_REQUEST:
    case MsgType.FAILOVER_AUTH_ACK:
    case MsgType.MFSTART:
      return totlen === HEADER_LEN ? { kind: 'bare' } : 'bodiless message with a body';
    case MsgType.UPDATE: {
      if (totlen !== HEADER_LEN + UPDATE_BODY) return 'UPDATE of the wrong length';
      const name = readName(buf, HEADER_LEN + 8);
      if (name === null) return 'bad node name in UPDATE';
      return {
        kind: 'update',
        configEpoch: buf.readBigUInt64BE(HEADER_LEN),
        name,
        slots: new Uint8Array(buf.subarray(HEADER_LEN + 8 + NAME_LEN, HEADER_LEN + UPDATE_BODY)),
      };
    }
    case MsgType.MODULE: {
      if (totlen < HEADER_LEN + MODULE_BODY_MIN - 3) return 'MODULE too short';
      const len = buf.readUInt32BE(HEADER_LEN + 8);
      return HEADER_LEN + MODULE_FIXED + len === totlen ? { kind: 'module' } : 'MODULE length does not match the message';
    }
    default:
      return `unknown message type ${type}`;
  }
}

function decodePing(buf: Buffer, count: number, extensions: number, mflags0: number): BusBody | string {
  const totlen = buf.length;
  let at = HEADER_LEN + count * GOSSIP_LEN;
  if (at > totlen) return 'gossip count past the end of the message';
  const gossip: Gossip[] = [];
  for (let i = 0; i < count; i++) {
    const g = HEADER_LEN + i * GOSSIP_LEN;
    const name = readName(buf, g);
    const ip = readIp(buf, g + 48);
    // A malformed entry is skipped, not fatal: the rest of the message is still well framed.
    if (name === null || ip === null) continue;
    gossip.push({
      name,
      pingSent: buf.readUInt32BE(g + 40),
      pongReceived: buf.readUInt32BE(g + 44),
      ip,
      port: buf.readUInt16BE(g + 94),
      cport: buf.readUInt16BE(g + 96),
      flags: buf.readUInt16BE(g + 98),
      pport: buf.readUInt16BE(g + 100),
    });
  }
  let hostname: string | null = null;
  const forgotten: { name: string; ttl: number }[] = [];
  if ((mflags0 & MFLAG0_EXT_DATA) !== 0) {
    for (let e = 0; e < extensions; e++) {
      if (totlen - at < 8) return 'extension header past the end of the message';
      const len = buf.readUInt32BE(at);
      const type = buf.readUInt16BE(at + 4);
      if (len < 8 || len % 8 !== 0) return 'extension without proper padding';
      if (len > totlen - at) return 'extension past the end of the message';
      if (type === EXT_HOSTNAME) {
        const text = readText(buf, at + 8, len - 8);
        if (text === null) return 'bad hostname extension';
        hostname = text;
      } else if (type === EXT_FORGOTTEN_NODE && len >= 8 + NAME_LEN + 8) {
        const name = readName(buf, at + 8);
        if (name !== null) forgotten.push({ name, ttl: Number(buf.readBigUInt64BE(at + 8 + NAME_LEN)) });
      }
      // Other types (7.2's human node name, shard id, and later ones) are skipped by their length.
      at += len;
    }
  }
  if (at !== totlen) return 'PING length does not match its gossip and extensions';
  return { kind: 'ping', gossip, hostname, forgotten };
}

// --- encoding ---

function writeText(buf: Buffer, at: number, len: number, text: string): void {
  buf.write(text.slice(0, len - 1), at, len - 1, 'latin1');
}

function encodeHeader(buf: Buffer, h: BusHeader, count: number, extensions: number): void {
  buf.write('RCmb', 0, 'latin1');
  buf.writeUInt32BE(buf.length, 4);
  buf.writeUInt16BE(1, 8);
  buf.writeUInt16BE(h.port, 10);
  buf.writeUInt16BE(h.type, 12);
  buf.writeUInt16BE(count, 14);
  buf.writeBigUInt64BE(h.currentEpoch, 16);
  buf.writeBigUInt64BE(h.configEpoch, 24);
  buf.writeBigUInt64BE(h.offset, 32);
  buf.write(h.sender, 40, NAME_LEN, 'latin1');
  buf.set(h.myslots.subarray(0, SLOTS_BYTES), 80);
  if (h.slaveof !== null) buf.write(h.slaveof, 2128, NAME_LEN, 'latin1');
  writeText(buf, 2168, IP_LEN, h.myip);
  buf.writeUInt16BE(extensions, 2214);
  buf.writeUInt16BE(h.pport, 2246);
  buf.writeUInt16BE(h.cport, 2248);
  buf.writeUInt16BE(h.flags, 2250);
  buf[2252] = h.state;
  buf[2253] = h.mflags0;
}

/** Encodes a message; for a ping with a hostname, sets the extension flag in mflags[0]. */
export function encode(msg: BusMessage): Buffer {
  const b = msg.body;
  let h = msg.header;
  switch (b.kind) {
    case 'ping': {
      const exts: Buffer[] = [];
      if (b.hostname !== null && b.hostname !== '') {
        const padded = Math.ceil((b.hostname.length + 1) / 8) * 8;
        const ext = Buffer.alloc(8 + padded);
        ext.writeUInt32BE(ext.length, 0);
        ext.writeUInt16BE(EXT_HOSTNAME, 4);
        ext.write(b.hostname, 8, 'latin1');
        exts.push(ext);
      }
      for (const f of b.forgotten) {
        const ext = Buffer.alloc(8 + NAME_LEN + 8);
        ext.writeUInt32BE(ext.length, 0);
        ext.writeUInt16BE(EXT_FORGOTTEN_NODE, 4);
        ext.write(f.name, 8, NAME_LEN, 'latin1');
        ext.writeBigUInt64BE(BigInt(f.ttl), 8 + NAME_LEN);
        exts.push(ext);
      }
      if (exts.length > 0) h = { ...h, mflags0: h.mflags0 | MFLAG0_EXT_DATA };
      const extLen = exts.reduce((n, e) => n + e.length, 0);
      const buf = Buffer.alloc(HEADER_LEN + b.gossip.length * GOSSIP_LEN + extLen);
      encodeHeader(buf, h, b.gossip.length, exts.length);
      b.gossip.forEach((g, i) => {
        const at = HEADER_LEN + i * GOSSIP_LEN;
        buf.write(g.name, at, NAME_LEN, 'latin1');
        buf.writeUInt32BE(g.pingSent >>> 0, at + 40);
        buf.writeUInt32BE(g.pongReceived >>> 0, at + 44);
        writeText(buf, at + 48, IP_LEN, g.ip);
        buf.writeUInt16BE(g.port, at + 94);
        buf.writeUInt16BE(g.cport, at + 96);
        buf.writeUInt16BE(g.flags, at + 98);
        buf.writeUInt16BE(g.pport, at + 100);
      });
      let at = HEADER_LEN + b.gossip.length * GOSSIP_LEN;
      for (const e of exts) {
        e.copy(buf, at);
        at += e.length;
      }
      return buf;
    }
    case 'fail': {
      const buf = Buffer.alloc(HEADER_LEN + FAIL_BODY);
      encodeHeader(buf, h, 0, 0);
      buf.write(b.name, HEADER_LEN, NAME_LEN, 'latin1');
      return buf;
    }
    case 'publish': {
      const buf = Buffer.alloc(HEADER_LEN + PUBLISH_FIXED + b.channel.length + b.message.length);
      encodeHeader(buf, h, 0, 0);
      buf.writeUInt32BE(b.channel.length, HEADER_LEN);
      buf.writeUInt32BE(b.message.length, HEADER_LEN + 4);
      b.channel.copy(buf, HEADER_LEN + PUBLISH_FIXED);
      b.message.copy(buf, HEADER_LEN + PUBLISH_FIXED + b.channel.length);
      return buf;
    }
    case 'update': {
      const buf = Buffer.alloc(HEADER_LEN + UPDATE_BODY);
      encodeHeader(buf, h, 0, 0);
      buf.writeBigUInt64BE(b.configEpoch, HEADER_LEN);
      buf.write(b.name, HEADER_LEN + 8, NAME_LEN, 'latin1');
      buf.set(b.slots.subarray(0, SLOTS_BYTES), HEADER_LEN + 8 + NAME_LEN);
      return buf;
    }
    case 'module': {
      const buf = Buffer.alloc(HEADER_LEN + MODULE_FIXED);
      encodeHeader(buf, h, 0, 0);
      return buf;
    }
    case 'bare': {
      const buf = Buffer.alloc(HEADER_LEN);
      encodeHeader(buf, h, 0, 0);
      return buf;
    }
  }
}

/**
 * Splits a byte stream into whole messages. The first 8 bytes (signature and length) are checked
 * before anything else is kept: a bad signature, a length under the header's, or one over `maxLen`
 * ends the stream, so a peer can make it hold at most `maxLen` bytes.
 */
export class BusFramer {
  private chunks: Buffer[] = [];
  private held = 0;
  private need = 0;

  constructor(private readonly maxLen: () => number) {}

  /** The messages `data` completes, or a reason to drop the connection. */
  push(data: Buffer): Buffer[] | string {
    const out: Buffer[] = [];
    let rest = data;
    while (rest.length > 0) {
      if (this.need === 0) {
        // Until the length is known, keep at most the 8 bytes that carry it.
        const take = Math.min(8 - this.held, rest.length);
        this.chunks.push(rest.subarray(0, take));
        this.held += take;
        rest = rest.subarray(take);
        if (this.held < 8) break;
        const head = Buffer.concat(this.chunks);
        if (head.toString('latin1', 0, 4) !== 'RCmb') return 'bad signature';
        const totlen = head.readUInt32BE(4);
        if (totlen < HEADER_LEN) return `message length ${totlen} under the header's`;
        if (totlen > this.maxLen()) return `message length ${totlen} over the limit of ${this.maxLen()}`;
        this.chunks = [head];
        this.need = totlen;
      }
      const take = Math.min(this.need - this.held, rest.length);
      this.chunks.push(rest.subarray(0, take));
      this.held += take;
      rest = rest.subarray(take);
      if (this.held === this.need) {
        out.push(Buffer.concat(this.chunks, this.held));
        this.chunks = [];
        this.held = 0;
        this.need = 0;
      }
    }
    return out;
  }
}
