// The cluster bus codec (src/server/cluster-bus-codec.ts): every message type round-trips, fields
// sit at the byte offsets Redis 7.0's cluster.h asserts, malformed messages are refused with a
// reason (never a throw), and the framer bounds what a peer can make it hold. The fuzz runs 20,000
// mutated messages. Compatibility with a real redis-server is in test/cluster-mode.test.ts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BusFramer,
  decode,
  encode,
  GOSSIP_LEN,
  HEADER_LEN,
  MFLAG0_EXT_DATA,
  MsgType,
  NodeFlag,
  SLOTS_BYTES,
  type BusBody,
  type BusHeader,
  type BusMessage,
} from '../src/server/cluster-bus-codec.js';

const name = (): string => randomBytes(20).toString('hex');

function header(type: number, over: Partial<BusHeader> = {}): BusHeader {
  const myslots = new Uint8Array(SLOTS_BYTES);
  myslots[0] = 0b101;
  myslots[SLOTS_BYTES - 1] = 0x80;
  return {
    type,
    port: 7001,
    currentEpoch: 12n,
    configEpoch: 7n,
    offset: 123456789n,
    sender: name(),
    myslots,
    slaveof: null,
    myip: '',
    pport: 0,
    cport: 17001,
    flags: NodeFlag.MASTER,
    state: 0,
    mflags0: 0,
    ...over,
  };
}

const samples = (): BusMessage[] => [
  {
    header: header(MsgType.PING),
    body: {
      kind: 'ping',
      gossip: [
        { name: name(), pingSent: 1, pongReceived: 1700000000, ip: '127.0.0.1', port: 7002, cport: 17002, flags: NodeFlag.MASTER, pport: 0 },
        { name: name(), pingSent: 0, pongReceived: 0, ip: '::1', port: 7003, cport: 17003, flags: NodeFlag.SLAVE | NodeFlag.PFAIL, pport: 0 },
      ],
      hostname: 'node-1.example',
      forgotten: [],
    },
  },
  { header: header(MsgType.PONG, { slaveof: name(), flags: NodeFlag.SLAVE, myip: '10.0.0.5' }), body: { kind: 'ping', gossip: [], hostname: null, forgotten: [] } },
  { header: header(MsgType.MEET), body: { kind: 'ping', gossip: [], hostname: null, forgotten: [{ name: name(), ttl: 60 }] } },
  { header: header(MsgType.FAIL), body: { kind: 'fail', name: name() } },
  { header: header(MsgType.PUBLISH), body: { kind: 'publish', channel: Buffer.from('news'), message: Buffer.from('hello\r\n\0world') } },
  { header: header(MsgType.PUBLISHSHARD), body: { kind: 'publish', channel: Buffer.from(''), message: Buffer.from('') } },
  { header: header(MsgType.UPDATE), body: { kind: 'update', configEpoch: 99n, name: name(), slots: new Uint8Array(SLOTS_BYTES).fill(0x0f) } },
  { header: header(MsgType.FAILOVER_AUTH_REQUEST), body: { kind: 'bare' } },
  { header: header(MsgType.FAILOVER_AUTH_ACK), body: { kind: 'bare' } },
  { header: header(MsgType.MFSTART), body: { kind: 'bare' } },
  { header: header(MsgType.MODULE), body: { kind: 'module' } },
];

function sameBody(a: BusBody, b: BusBody): void {
  assert.equal(a.kind, b.kind);
  if (a.kind === 'ping' && b.kind === 'ping') {
    assert.deepEqual(a.gossip, b.gossip);
    assert.equal(a.hostname, b.hostname);
    assert.deepEqual(a.forgotten, b.forgotten);
  } else if (a.kind === 'publish' && b.kind === 'publish') {
    assert.deepEqual(a.channel, b.channel);
    assert.deepEqual(a.message, b.message);
  } else if (a.kind === 'update' && b.kind === 'update') {
    assert.equal(a.configEpoch, b.configEpoch);
    assert.equal(a.name, b.name);
    assert.deepEqual(a.slots, b.slots);
  } else if (a.kind === 'fail' && b.kind === 'fail') {
    assert.equal(a.name, b.name);
  }
}

describe('cluster bus codec', () => {
  test('every message type round-trips', () => {
    for (const m of samples()) {
      const buf = encode(m);
      const back = decode(buf);
      if (typeof back === 'string') assert.fail(`type ${m.header.type}: ${back}`);
      assert.deepEqual({ ...back.header, mflags0: 0 }, { ...m.header, mflags0: 0 });
      sameBody(back.body, m.body);
    }
  });

  test("fields sit at cluster.h's offsets, big-endian", () => {
    const m = samples()[0];
    assert.ok(m !== undefined);
    const buf = encode(m);
    assert.equal(buf.toString('latin1', 0, 4), 'RCmb');
    assert.equal(buf.readUInt32BE(4), buf.length);
    assert.equal(buf.readUInt16BE(8), 1);
    assert.equal(buf.readUInt16BE(10), 7001);
    assert.equal(buf.readUInt16BE(12), MsgType.PING);
    assert.equal(buf.readUInt16BE(14), 2);
    assert.equal(buf.readBigUInt64BE(16), 12n);
    assert.equal(buf.readBigUInt64BE(24), 7n);
    assert.equal(buf.readBigUInt64BE(32), 123456789n);
    assert.equal(buf.toString('latin1', 40, 80), m.header.sender);
    assert.equal(buf[80], 0b101);
    assert.equal(buf[80 + SLOTS_BYTES - 1], 0x80);
    assert.equal(buf.readUInt16BE(2214), 1, 'one extension');
    assert.equal(buf.readUInt16BE(2248), 17001);
    assert.equal(buf.readUInt16BE(2250), NodeFlag.MASTER);
    assert.equal((buf[2253] ?? 0) & MFLAG0_EXT_DATA, MFLAG0_EXT_DATA);
    // The gossip entries follow the header, 104 bytes each; then the 8-byte-aligned hostname extension.
    assert.equal(buf.readUInt16BE(HEADER_LEN + 94), 7002);
    const ext = HEADER_LEN + 2 * GOSSIP_LEN;
    assert.equal(buf.readUInt32BE(ext), 8 + 16);
    assert.equal(buf.readUInt16BE(ext + 4), 0);
    assert.equal(buf.toString('latin1', ext + 8, ext + 8 + 14), 'node-1.example');
    assert.equal(buf.length, ext + 24);
    const fail = encode({ header: header(MsgType.FAIL), body: { kind: 'fail', name: name() } });
    assert.equal(fail.length, HEADER_LEN + 40);
    const update = encode({ header: header(MsgType.UPDATE), body: { kind: 'update', configEpoch: 1n, name: name(), slots: new Uint8Array(SLOTS_BYTES) } });
    assert.equal(update.length, HEADER_LEN + 8 + 40 + SLOTS_BYTES);
  });

  test('malformed messages are refused with a reason', () => {
    const ping = encode({ header: header(MsgType.PING), body: { kind: 'ping', gossip: [], hostname: null, forgotten: [] } });
    const cases: [string, (b: Buffer) => Buffer][] = [
      ['short', (b) => b.subarray(0, 100)],
      ['signature', (b) => (b.write('XXXX', 0), b)],
      ['version', (b) => (b.writeUInt16BE(2, 8), b)],
      ['type', (b) => (b.writeUInt16BE(11, 12), b)],
      ['count past the end', (b) => (b.writeUInt16BE(1, 14), b)],
      ['totlen mismatch', (b) => (b.writeUInt32BE(b.length + 1, 4), b)],
      ['sender', (b) => (b.write('not-a-node-name!', 40), b)],
      ['announced ip', (b) => (b.write('999.1.1.1', 2168), b)],
      ['extension flag without data', (b) => ((b[2253] = MFLAG0_EXT_DATA), b.writeUInt16BE(1, 2214), b)],
    ];
    for (const [what, mutate] of cases) {
      const r = decode(mutate(Buffer.from(ping)));
      assert.equal(typeof r, 'string', what);
    }
    const pub = encode({ header: header(MsgType.PUBLISH), body: { kind: 'publish', channel: Buffer.from('c'), message: Buffer.from('m') } });
    const bad = Buffer.from(pub);
    bad.writeUInt32BE(0xffffffff, HEADER_LEN);
    assert.equal(typeof decode(bad), 'string', 'PUBLISH lengths past the message');
  });

  test('fuzz: 20,000 mutated messages decode or are refused, never throw', () => {
    const bases = samples().map(encode);
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 20000; i++) {
      const base = bases[i % bases.length];
      assert.ok(base !== undefined);
      let buf = Buffer.from(base);
      const mode = i % 5;
      if (mode === 0) {
        // Random bytes anywhere, the header's included.
        for (let k = 0; k < 1 + (i % 8); k++) buf[Math.floor(Math.random() * buf.length)] = Math.floor(Math.random() * 256);
      } else if (mode === 1) {
        buf = buf.subarray(0, Math.floor(Math.random() * buf.length));
      } else if (mode === 2) {
        // Counts and lengths that lie.
        buf.writeUInt16BE(Math.floor(Math.random() * 65536), 14);
        buf.writeUInt16BE(Math.floor(Math.random() * 65536), 2214);
        buf[2253] = Math.floor(Math.random() * 256);
      } else if (mode === 3) {
        buf = Buffer.concat([buf, randomBytes(Math.floor(Math.random() * 300))]);
        buf.writeUInt32BE(buf.length, 4);
      } else {
        buf.writeUInt16BE(Math.floor(Math.random() * 16), 12);
        if (buf.length >= HEADER_LEN + 8) buf.writeUInt32BE(Math.floor(Math.random() * 2 ** 32), HEADER_LEN);
      }
      const r = decode(buf);
      if (typeof r === 'string') refused++;
      else decoded++;
    }
    assert.equal(decoded + refused, 20000);
    assert.ok(refused > 5000, `most mutations are refused (${refused})`);
  });

  test('the framer splits a stream and refuses oversized or foreign lengths before holding them', () => {
    const msgs = samples().map(encode);
    const stream = Buffer.concat(msgs);
    const framer = new BusFramer(() => 1 << 20);
    const out: Buffer[] = [];
    // One byte at a time: a slow drip still frames exactly.
    for (let i = 0; i < stream.length; i += 997) {
      const r = framer.push(stream.subarray(i, Math.min(stream.length, i + 997)));
      assert.ok(Array.isArray(r));
      out.push(...r);
    }
    assert.deepEqual(out, msgs);
    const huge = Buffer.alloc(8);
    huge.write('RCmb', 0);
    huge.writeUInt32BE(0xffffffff, 4);
    assert.match(String(new BusFramer(() => 1 << 20).push(huge)), /over the limit/);
    const tiny = Buffer.from(huge);
    tiny.writeUInt32BE(16, 4);
    assert.match(String(new BusFramer(() => 1 << 20).push(tiny)), /under the header/);
    assert.match(String(new BusFramer(() => 1 << 20).push(Buffer.from('GET / HTTP/1.1\r\n'))), /signature/);
  });
});
