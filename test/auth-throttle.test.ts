// Brute-force throttling of AUTH / HELLO AUTH against a real server: progressive delays per
// source address and per user name, serialized attempts from one address, lockout of an address
// (and not of the user), other clients unaffected while one waits, the off switch, INFO, audit
// events; and the bounded tables of the throttle itself.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { AuthThrottle, delayFor, sourceKey, type ThrottleSettings } from '../src/security/auth-throttle.js';

const PW = 'S3cret-Passw0rd';
const GUESS = 'guess-7f3a';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
const OK = '+OK\r\n';

const ONE = '127.0.0.1';
const TWO = '127.0.0.2';

async function timed(c: RawClient, ...argv: string[]): Promise<[string, number]> {
  const t = performance.now();
  const reply = await c.call(...argv);
  return [reply, performance.now() - t];
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(info);
  assert.ok(m, `INFO has ${name}`);
  return Number(m[1]);
}

describe('AUTH throttling on a live server', () => {
  const audit = join(mkdtempSync(join(tmpdir(), 'redoubt-throttle-')), 'audit.jsonl');
  let s: RunningServer;
  let admin: RawClient;
  const open: RawClient[] = [];

  async function connect(from = ONE): Promise<RawClient> {
    const c = await RawClient.connect(s.port, from, from);
    open.push(c);
    return c;
  }

  /** Settles the directives given and forgets every count and lockout (throttling off, then on). */
  async function reset(settings: Record<string, number>): Promise<void> {
    const pairs = Object.entries(settings).flatMap(([k, v]) => [`auth-failure-${k}`, String(v)]);
    assert.equal(await admin.call('CONFIG', 'SET', 'auth-failure-throttling', 'no', ...pairs), OK);
    assert.equal(await admin.call('CONFIG', 'SET', 'auth-failure-throttling', 'yes'), OK);
  }

  before(async () => {
    s = await startRedoubt(['--requirepass', PW, '--bind', ONE, TWO, '--audit-log', audit]);
    // The admin connects from an address no test attacks from, before any delay is configured.
    admin = await RawClient.connect(s.port, TWO, TWO);
    assert.equal(await admin.call('AUTH', PW), OK);
  });
  after(async () => {
    for (const c of open) c.close();
    admin?.close();
    await s?.stop();
  });

  test('the directives are in CONFIG GET, on by default, and validated', async () => {
    const all = await admin.call('CONFIG', 'GET', 'auth-failure-*');
    assert.match(all, /^\*14\r\n/);
    for (const [name, value] of [
      ['auth-failure-throttling', 'yes'],
      ['auth-failure-window', '60'],
      ['auth-failure-delay-after', '3'],
      ['auth-failure-delay-base-ms', '100'],
      ['auth-failure-delay-max-ms', '5000'],
      ['auth-failure-lockout-threshold', '10'],
      ['auth-failure-lockout-seconds', '300'],
    ] as const) {
      assert.ok(all.includes(`$${name.length}\r\n${name}\r\n$${value.length}\r\n${value}\r\n`), name);
    }
    for (const [name, bad] of [
      ['auth-failure-window', '0'],
      ['auth-failure-delay-after', '-1'],
      ['auth-failure-delay-max-ms', 'soon'],
      ['auth-failure-lockout-seconds', '0'],
      ['auth-failure-throttling', 'maybe'],
    ]) {
      assert.match(await admin.call('CONFIG', 'SET', name!, bad!), /^-ERR CONFIG SET failed \(possibly related to argument 'auth-failure-/, name);
    }
  });

  test('the first failures answer at once, then each guess waits longer', async () => {
    await reset({ 'delay-after': 3, 'delay-base-ms': 100, 'delay-max-ms': 400, 'lockout-threshold': 20, window: 60 });
    const c = await connect();
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const [reply, ms] = await timed(c, 'AUTH', `${GUESS}${i}`);
      assert.equal(reply, WRONGPASS);
      times.push(ms);
    }
    const fast = times.slice(0, 3);
    assert.ok(fast.every((t) => t < 80), `free attempts: ${fast}`);
    // 100, 200, 400, then capped at 400 ms.
    const expected = [100, 200, 400, 400];
    expected.forEach((ms, i) => {
      const t = times[3 + i]!;
      assert.ok(t >= ms - 5 && t < ms + 250, `attempt ${4 + i} took ${t} ms, expected ~${ms}`);
    });
    const throttledRate = 4 / (times.slice(3).reduce((a, b) => a + b) / 1000);
    const freeRate = 3 / (fast.reduce((a, b) => a + b) / 1000);
    assert.ok(throttledRate < 4 && freeRate > 30, `guesses/s before ${freeRate.toFixed(0)}, after ${throttledRate.toFixed(1)}`);
    // The right password still works (after its wait), and success clears the address's count.
    const [ok, okMs] = await timed(c, 'AUTH', PW);
    assert.equal(ok, OK);
    assert.ok(okMs >= 395, `the right password waits too (${okMs} ms): a fast reply must not reveal it`);
    const [again, againMs] = await timed(c, 'AUTH', GUESS);
    assert.equal(again, WRONGPASS);
    assert.ok(againMs < 80, `after a success the count starts over (${againMs} ms)`);
    const info = await admin.call('INFO', 'stats');
    assert.ok(infoField(info, 'auth_throttled') >= 5);
    assert.ok(infoField(info, 'auth_failures') >= 8);
  });

  test('HELLO AUTH is throttled like AUTH', async () => {
    await reset({ 'delay-after': 1, 'delay-base-ms': 300, 'delay-max-ms': 300, 'lockout-threshold': 0 });
    const c = await connect();
    const [first, fastMs] = await timed(c, 'HELLO', '3', 'AUTH', 'default', GUESS);
    assert.equal(first, WRONGPASS);
    assert.ok(fastMs < 80);
    const [second, slowMs] = await timed(c, 'HELLO', '3', 'AUTH', 'default', GUESS);
    assert.equal(second, WRONGPASS);
    assert.ok(slowMs >= 295, `${slowMs} ms`);
    // HELLO without credentials is never held.
    const [noauth, helloMs] = await timed(c, 'HELLO', '3');
    assert.match(noauth, /^-NOAUTH HELLO must be called with the client already authenticated/);
    assert.ok(helloMs < 80);
  });

  test('failures on one user name delay that name from every address, other names not', async () => {
    await reset({ 'delay-after': 3, 'delay-base-ms': 150, 'delay-max-ms': 300, 'lockout-threshold': 4 });
    assert.equal(await admin.call('ACL', 'SETUSER', 'alice', 'on', '>alice-pw', '+@all', '~*'), OK);
    const [one, two] = [await connect(ONE), await connect(TWO)];
    // Two failures per address (under its threshold of 3), four on the name.
    for (const c of [one, two, one]) assert.ok((await timed(c, 'AUTH', 'alice', GUESS))[1] < 80);
    const [r4, t4] = await timed(two, 'AUTH', 'alice', GUESS);
    assert.equal(r4, WRONGPASS);
    assert.ok(t4 >= 145, `the 4th failure on alice waits (${t4} ms)`);
    // Another name from the same address answers at once.
    const [r5, t5] = await timed(two, 'AUTH', 'bob', GUESS);
    assert.equal(r5, WRONGPASS);
    assert.ok(t5 < 80, `bob is not alice (${t5} ms)`);
    // Four failures on alice and the lockout threshold at 4: the user is never locked out.
    const [ok, okMs] = await timed(await connect(TWO), 'AUTH', 'alice', 'alice-pw');
    assert.equal(ok, OK);
    assert.ok(okMs >= 295, `${okMs} ms`);
    assert.equal(await admin.call('ACL', 'DELUSER', 'alice'), ':1\r\n');
  });

  test('parallel connections from one address wait one after another', async () => {
    await reset({ 'delay-after': 0, 'delay-base-ms': 300, 'delay-max-ms': 300, 'lockout-threshold': 0 });
    const clients = [await connect(), await connect(), await connect()];
    const t = performance.now();
    const done = await Promise.all(clients.map(async (c) => [await c.call('AUTH', GUESS), performance.now() - t] as const));
    const times = done.map(([reply, ms]) => {
      assert.equal(reply, WRONGPASS);
      return ms;
    });
    times.sort((a, b) => a - b);
    assert.ok(times[0]! >= 295 && times[1]! >= 595 && times[2]! >= 895, `replies at ${times.map(Math.round)} ms`);
  });

  test('a held AUTH holds only its own client; its pipelined commands wait behind it', async () => {
    await reset({ 'delay-after': 0, 'delay-base-ms': 2000, 'delay-max-ms': 2000, 'lockout-threshold': 0 });
    const c = await connect();
    const t = performance.now();
    c.write(Buffer.concat([RawClient.encode(['AUTH', GUESS]), RawClient.encode(['PING']), RawClient.encode(['GET', 'k'])]));
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 5; i++) {
      const [pong, ms] = await timed(admin, 'PING');
      assert.equal(pong, '+PONG\r\n');
      assert.ok(ms < 50, `another client's PING took ${ms} ms`);
    }
    assert.equal(c.unread.length, 0, 'nothing answered while held');
    const first = (await c.read(5000))!.toString('latin1');
    const waited = performance.now() - t;
    assert.equal(first, WRONGPASS);
    assert.ok(waited >= 1990, `${waited} ms`);
    assert.equal((await c.read())!.toString('latin1'), '-NOAUTH Authentication required.\r\n');
    assert.equal((await c.read())!.toString('latin1'), '-NOAUTH Authentication required.\r\n');
  });

  test('a locked-out address fails even the right password; others and open sessions are unaffected', async () => {
    await reset({ 'delay-after': 3, 'delay-base-ms': 10, 'delay-max-ms': 20, 'lockout-threshold': 5, 'lockout-seconds': 2 });
    const before = infoField(await admin.call('INFO', 'stats'), 'auth_lockouts');
    const session = await connect();
    assert.equal(await session.call('AUTH', PW), OK);
    const attacker = await connect();
    for (let i = 0; i < 5; i++) assert.equal(await attacker.call('AUTH', `${GUESS}${i}`), WRONGPASS);
    // Locked: the right password, from a new connection, fails at once with the same reply.
    const fresh = await connect();
    const [r, ms] = await timed(fresh, 'AUTH', PW);
    assert.equal(r, WRONGPASS);
    assert.ok(ms < 50, `${ms} ms`);
    assert.equal(await fresh.call('HELLO', '3', 'AUTH', 'default', PW), WRONGPASS);
    assert.equal(await fresh.call('GET', 'k'), '-NOAUTH Authentication required.\r\n');
    // A session authenticated before the lockout goes on.
    assert.equal(await session.call('SET', 'k', 'v'), OK);
    // Another address logs in as the same user.
    assert.equal(await (await connect(TWO)).call('AUTH', PW), OK);
    const info = await admin.call('INFO', 'stats');
    assert.equal(infoField(info, 'auth_locked_addresses'), 1);
    assert.equal(infoField(info, 'auth_lockouts'), before + 1);
    // The lockout ends.
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await fresh.call('AUTH', PW), OK);
    assert.equal(await fresh.call('GET', 'k'), '$1\r\nv\r\n');
    assert.equal(infoField(await admin.call('INFO', 'stats'), 'auth_locked_addresses'), 0);
  });

  test('CONFIG SET auth-failure-throttling no lifts a lockout and stops every delay', async () => {
    await reset({ 'delay-after': 1, 'delay-base-ms': 1000, 'delay-max-ms': 1000, 'lockout-threshold': 2, 'lockout-seconds': 60 });
    const c = await connect();
    assert.equal(await c.call('AUTH', GUESS), WRONGPASS);
    assert.equal((await timed(c, 'AUTH', GUESS))[0], WRONGPASS);
    assert.equal(await c.call('AUTH', PW), WRONGPASS);
    const throttledBefore = infoField(await admin.call('INFO', 'stats'), 'auth_throttled');
    assert.equal(await admin.call('CONFIG', 'SET', 'auth-failure-throttling', 'no'), OK);
    const t = performance.now();
    for (let i = 0; i < 30; i++) assert.equal(await c.call('AUTH', GUESS), WRONGPASS);
    assert.ok(performance.now() - t < 500);
    assert.equal(await c.call('AUTH', PW), OK);
    assert.equal(infoField(await admin.call('INFO', 'stats'), 'auth_throttled'), throttledBefore);
    assert.equal(await admin.call('CONFIG', 'SET', 'auth-failure-throttling', 'yes'), OK);
  });

  test('audit events name the address and user, never the password', async () => {
    // The audit sink writes once per event-loop turn.
    await new Promise((r) => setTimeout(r, 100));
    const text = readFileSync(audit, 'utf8');
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const throttled = events.find((e) => e['event'] === 'auth-throttled');
    assert.ok(throttled);
    assert.match(String(throttled['addr']), /^127\.0\.0\.[12]:\d+$/);
    assert.equal(typeof throttled['delay_ms'], 'number');
    assert.equal(typeof throttled['username'], 'string');
    const lockout = events.find((e) => e['event'] === 'auth-lockout');
    assert.ok(lockout);
    assert.equal(lockout['source'], ONE);
    assert.equal(lockout['username'], 'default');
    assert.equal(lockout['reason'], 'auth-locked-out');
    const refused = events.filter((e) => e['event'] === 'auth-failed' && e['reason'] === 'auth-locked-out');
    assert.ok(refused.length >= 2);
    assert.ok(!text.includes(PW) && !text.includes(GUESS) && !text.includes('alice-pw'), 'no password in the audit log');
  });
});

describe('the throttle tables', () => {
  const cfg: ThrottleSettings = { windowMs: 1000, delayAfter: 3, baseMs: 100, maxMs: 5000, lockoutThreshold: 10, lockoutMs: 300000 };

  test('delays grow from base by doubling, up to the maximum', () => {
    assert.deepEqual([0, 2, 3, 4, 5, 8, 9, 100].map((n) => delayFor(n, cfg)), [0, 0, 100, 200, 400, 3200, 5000, 5000]);
  });

  test('failures slide out of the window', () => {
    // Five failures at t=0, then one attempt at `now` on a fresh table each time.
    const plan = (now: number) => {
      const t = new AuthThrottle();
      for (let i = 0; i < 5; i++) t.failed('10.0.0.1', 'u', 0, cfg);
      const p = t.plan('10.0.0.1', 'other', now, { ...cfg, delayAfter: 1, maxMs: 1e9 });
      return p.kind === 'wait' ? [p.ms, p.failures] : p.kind;
    };
    assert.deepEqual(plan(500), [1600, 5]);
    // Half-way through the next window, half of the old failures still count.
    assert.deepEqual(plan(1500), [200, 2]);
    assert.deepEqual(plan(1900), 'now');
    assert.deepEqual(plan(2600), 'now');
  });

  test('rotating user names and addresses cannot grow memory past the cap', () => {
    const t = new AuthThrottle(100);
    for (let i = 0; i < 5000; i++) t.failed(`10.0.${i >> 8}.${i & 255}`, `user-${i}-${'x'.repeat(i % 3 === 0 ? 5000 : 1)}`, i, cfg);
    assert.ok(t.users.size <= 100 && t.sources.size <= 100, `${t.users.size} users, ${t.sources.size} sources`);
    for (const k of t.users.keys()) assert.ok(k.length < 200);
  });

  test('a lockout starts at the threshold, lasts its time, and is per source', () => {
    const t = new AuthThrottle();
    for (let i = 0; i < 9; i++) assert.equal(t.failed('10.0.0.9', 'default', i, cfg).lockedOut, false);
    assert.equal(t.failed('10.0.0.9', 'default', 10, cfg).lockedOut, true);
    assert.equal(t.locked('10.0.0.9', 11), true);
    assert.deepEqual(t.plan('10.0.0.9', 'default', 12, cfg), { kind: 'locked' });
    assert.equal(t.locked('10.0.0.8', 12), false);
    assert.equal(t.locked('10.0.0.9', 300011), false);
  });

  test('sources: IPv4 as is, IPv6 by /64, unix sockets as one', () => {
    assert.equal(sourceKey('192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('2001:db8:1:2:3:4:5:6'), sourceKey('2001:db8:1:2::9'));
    assert.equal(sourceKey('2001:db8:1:2::9'), '2001:db8:1:2::/64');
    assert.notEqual(sourceKey('2001:db8:1:3::9'), sourceKey('2001:db8:1:2::9'));
    assert.equal(sourceKey('::1'), '0:0:0:0::/64');
    assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(sourceKey(undefined), 'unix');
  });
});
