// Brute-force throttling of AUTH / HELLO AUTH against a real server: progressive delays per
// (source, user name), serialized attempts from one address, lockout of an address for one user
// name (never of the user), other clients unaffected while one waits, the off switch, INFO, audit
// events; and the throttle's own tables: budgets per user name, trust, bounded memory.
// Attacks (HELLO / MULTI bypasses, 50 addresses, local clients): auth-throttle-attacks.test.ts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { AuthThrottle, delayFor, sourceKey, type ThrottleSettings, type Who } from '../src/security/auth-throttle.js';

const PW = 'S3cret-Passw0rd';
const GUESS = 'guess-7f3a';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
const OK = '+OK\r\n';

const ONE = '127.0.0.1';
const TWO = '127.0.0.2';
/** An address of its own: a peer at the server's own address (ONE) is counted per connection. */
const THREE = '127.0.0.3';

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
    const c = await RawClient.connect(s.port, ONE, from);
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
    admin.close();
    await s.stop();
  });

  test('the directives are in CONFIG GET, on by default, and validated', async () => {
    const all = await admin.call('CONFIG', 'GET', 'auth-failure-*');
    assert.match(all, /^\*18\r\n/);
    for (const [name, value] of [
      ['auth-failure-throttling', 'yes'],
      ['auth-failure-window', '60'],
      ['auth-failure-delay-after', '3'],
      ['auth-failure-delay-base-ms', '100'],
      ['auth-failure-delay-max-ms', '5000'],
      ['auth-failure-lockout-threshold', '10'],
      ['auth-failure-lockout-seconds', '300'],
      ['auth-failure-user-rate', '5'],
      ['auth-failure-user-burst', '10'],
    ] as const) {
      assert.ok(all.includes(`$${name.length}\r\n${name}\r\n$${value.length}\r\n${value}\r\n`), name);
    }
    for (const [name, bad] of [
      ['auth-failure-window', '0'],
      ['auth-failure-delay-after', '-1'],
      ['auth-failure-delay-max-ms', 'soon'],
      ['auth-failure-lockout-seconds', '0'],
      ['auth-failure-throttling', 'maybe'],
      ['auth-failure-user-rate', '0'],
      ['auth-failure-user-burst', '-1'],
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
    assert.ok(fast.every((t) => t < 80), `free attempts: ${fast.join(', ')}`);
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

  test('failures count per address and user name: another name, or the same name from another address, answers at once', async () => {
    await reset({ 'delay-after': 3, 'delay-base-ms': 150, 'delay-max-ms': 300, 'lockout-threshold': 0 });
    assert.equal(await admin.call('ACL', 'SETUSER', 'alice', 'on', '>alice-pw', '+@all', '~*'), OK);
    const c = await connect(THREE);
    for (let i = 0; i < 3; i++) assert.ok((await timed(c, 'AUTH', 'alice', GUESS))[1] < 80);
    const [r4, t4] = await timed(c, 'AUTH', 'alice', GUESS);
    assert.equal(r4, WRONGPASS);
    assert.ok(t4 >= 145, `the 4th failure of (${THREE}, alice) waits (${t4} ms)`);
    // Another name from the same address answers at once.
    const [r5, t5] = await timed(c, 'AUTH', 'bob', GUESS);
    assert.equal(r5, WRONGPASS);
    assert.ok(t5 < 80, `bob is not alice (${t5} ms)`);
    // alice from another address: at once, and in.
    const [ok, okMs] = await timed(await connect(TWO), 'AUTH', 'alice', 'alice-pw');
    assert.equal(ok, OK);
    assert.ok(okMs < 80, `${okMs} ms`);
    // From the failing address the right password waits like a guess (a fast reply would give it away).
    const [ok3, ok3Ms] = await timed(c, 'AUTH', 'alice', 'alice-pw');
    assert.equal(ok3, OK);
    assert.ok(ok3Ms >= 295, `${ok3Ms} ms`);
    assert.equal(await admin.call('ACL', 'DELUSER', 'alice'), ':1\r\n');
  });

  test('parallel connections from one address wait one after another', async () => {
    await reset({ 'delay-after': 0, 'delay-base-ms': 300, 'delay-max-ms': 300, 'lockout-threshold': 0 });
    const clients = [await connect(THREE), await connect(THREE), await connect(THREE)];
    const t = performance.now();
    const done = await Promise.all(clients.map(async (c) => [await c.call('AUTH', GUESS), performance.now() - t] as const));
    const times = done.map(([reply, ms]) => {
      assert.equal(reply, WRONGPASS);
      return ms;
    });
    times.sort((a, b) => a - b);
    assert.ok(times[0]! >= 295 && times[1]! >= 595 && times[2]! >= 895, `replies at ${times.map(Math.round).join(', ')} ms`);
  });

  test('EXEC with AUTH inside waits before it runs, then runs whole: WATCH still applies, blocked clients wake', async () => {
    await reset({ 'delay-after': 0, 'delay-base-ms': 300, 'delay-max-ms': 300, 'lockout-threshold': 0 });
    const [c, blocker] = [await connect(THREE), await connect()];
    assert.equal((await timed(c, 'AUTH', PW))[0], OK);
    assert.equal((await timed(blocker, 'AUTH', PW))[0], OK);
    blocker.write(RawClient.encode(['BLPOP', 'held-q', '5']));
    let t = performance.now();
    const replies = await c.pipeline([['MULTI'], ['AUTH', PW], ['LPUSH', 'held-q', 'v'], ['EXEC']]);
    const execMs = performance.now() - t;
    assert.deepEqual(replies, [OK, '+QUEUED\r\n', '+QUEUED\r\n', `*2\r\n${OK}:1\r\n`]);
    assert.ok(execMs >= 295, `EXEC answered after ${execMs} ms`);
    assert.equal((await blocker.read(1000))?.toString('latin1'), '*2\r\n$6\r\nheld-q\r\n$1\r\nv\r\n');
    // A watched key touched while EXEC waits aborts it, as it would have a moment later.
    assert.equal(await c.call('WATCH', 'held-k'), OK);
    c.write(Buffer.concat([['MULTI'], ['AUTH', PW], ['SET', 'held-k', 'mine']].map((a) => RawClient.encode(a))));
    assert.equal((await c.read())?.toString('latin1'), OK);
    t = performance.now();
    c.write(RawClient.encode(['EXEC']));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await admin.call('SET', 'held-k', 'theirs'), OK);
    const rest = [];
    for (let i = 0; i < 3; i++) rest.push((await c.read())?.toString('latin1'));
    assert.deepEqual(rest, ['+QUEUED\r\n', '+QUEUED\r\n', '*-1\r\n']);
    assert.ok(performance.now() - t >= 295);
    assert.equal(await admin.call('GET', 'held-k'), '$6\r\ntheirs\r\n');
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

  test('a locked-out address fails even the right password for that user; others and open sessions are unaffected', async () => {
    await reset({ 'delay-after': 3, 'delay-base-ms': 10, 'delay-max-ms': 20, 'lockout-threshold': 5, 'lockout-seconds': 2 });
    const before = infoField(await admin.call('INFO', 'stats'), 'auth_lockouts');
    const session = await connect(THREE);
    assert.equal(await session.call('AUTH', PW), OK);
    const attacker = await connect(THREE);
    for (let i = 0; i < 5; i++) assert.equal(await attacker.call('AUTH', `${GUESS}${i}`), WRONGPASS);
    // Locked: the right password, from a new connection, fails at once with the same reply.
    const fresh = await connect(THREE);
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
    assert.equal(infoField(info, 'auth_lockouts_active'), 1);
    assert.equal(infoField(info, 'auth_lockouts'), before + 1);
    // The lockout ends.
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await fresh.call('AUTH', PW), OK);
    assert.equal(await fresh.call('GET', 'k'), '$1\r\nv\r\n');
    assert.equal(infoField(await admin.call('INFO', 'stats'), 'auth_lockouts_active'), 0);
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
    assert.match(String(throttled['addr']), /^127\.0\.0\.[123]:\d+$/);
    assert.equal(typeof throttled['delay_ms'], 'number');
    assert.equal(typeof throttled['username'], 'string');
    const lockout = events.find((e) => e['event'] === 'auth-lockout' && e['source'] === THREE);
    assert.ok(lockout);
    // A peer at the server's own address is counted per connection.
    assert.ok(events.some((e) => e['event'] === 'auth-lockout' && /^conn:\d+$/.test(String(e['source']))));
    assert.equal(lockout['username'], 'default');
    assert.equal(lockout['reason'], 'auth-locked-out');
    const refused = events.filter((e) => e['event'] === 'auth-failed' && e['reason'] === 'auth-locked-out');
    assert.ok(refused.length >= 2);
    assert.ok(!text.includes(PW) && !text.includes(GUESS) && !text.includes('alice-pw'), 'no password in the audit log');
  });
});

describe('the throttle tables', () => {
  const cfg: ThrottleSettings = {
    windowMs: 1000,
    delayAfter: 3,
    baseMs: 100,
    maxMs: 5000,
    lockoutThreshold: 10,
    lockoutMs: 300000,
    userRate: 5,
    userBurst: 10,
  };
  const from = (source: string): Who => ({ source, sameHost: false });
  const A = from('10.0.0.1');
  const B = from('10.0.0.2');
  const LOCAL: Who = { source: 'conn:7', sameHost: true };
  /** How long an attempt would wait (0: at once); it is not left waiting. */
  const wait = (t: AuthThrottle, who: Who, users: string[], now: number, c = cfg) => {
    const s = t.schedule(who, users, now, c);
    t.release(s);
    return s.at - now;
  };

  test('delays grow from base by doubling, up to the maximum', () => {
    assert.deepEqual([0, 2, 3, 4, 5, 8, 9, 100].map((n) => delayFor(n, cfg)), [0, 0, 100, 200, 400, 3200, 5000, 5000]);
  });

  test('failures slide out of the window', () => {
    // Five failures at t=0 on one pair, then one attempt at `now` on a fresh table each time.
    const at = (now: number) => {
      const t = new AuthThrottle();
      for (let i = 0; i < 5; i++) t.failed(A, 'u', 0, cfg);
      return wait(t, A, ['u'], now, { ...cfg, delayAfter: 1, maxMs: 1e9 });
    };
    assert.equal(at(500), 1600);
    // Half-way through the next window, half of the old failures still count.
    assert.equal(at(1500), 200);
    assert.equal(at(1900), 0);
    assert.equal(at(2600), 0);
  });

  test('a command with several attempts waits for all of them, one after another', () => {
    const c = { ...cfg, baseMs: 20, maxMs: 160, lockoutThreshold: 0, userRate: 100 };
    // 3 free, then 20 + 40 + 80 + 160 ms, then 160 ms for each of the other 5.
    assert.equal(wait(new AuthThrottle(), A, Array<string>(12).fill('admin'), 0, c), 1100);
    // A known user's name in front of each guess changes nothing.
    const t2 = new AuthThrottle();
    t2.succeeded(A, 'known', 0);
    assert.equal(wait(t2, A, Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'known' : 'admin')), 0, c), 1100);
    // Attempts past the lockout threshold will fail unchecked: they only come after the others.
    assert.equal(wait(new AuthThrottle(), A, Array<string>(40).fill('admin'), 0, { ...c, lockoutThreshold: 12 }), 1100 + 28);
    // ... also when the attempts ahead are other connections' still waiting.
    const t4 = new AuthThrottle();
    const c4 = { ...c, lockoutThreshold: 5 };
    for (let i = 0; i < 4; i++) t4.failed(A, 'admin', 0, c4);
    const ahead = t4.schedule(A, ['admin'], 0, c4);
    assert.equal(ahead.at, 40);
    assert.equal(t4.schedule(A, ['admin'], 0, c4).at, 41);
    // The user name's budget holds as well: 40 attempts of a failing pair at 5/s after a burst of 10.
    assert.equal(wait(new AuthThrottle(), A, Array<string>(40).fill('admin'), 0, { ...c, maxMs: 0, lockoutThreshold: 0, userRate: 5 }), 5800);
  });

  test('a success clears only its own pair', () => {
    const t = new AuthThrottle();
    for (let i = 0; i < 5; i++) t.failed(A, 'admin', 0, cfg);
    t.succeeded(A, 'known', 1);
    assert.equal(wait(t, A, ['admin'], 2), 400);
    t.succeeded(A, 'admin', 3);
    assert.equal(wait(t, A, ['admin'], 4), 0);
  });

  test('a user name has a budget of guesses for failing sources, one for new sources, one for new local connections', () => {
    const t = new AuthThrottle();
    // Ten new addresses fail once each: the new-source budget (burst 10) is spent.
    for (let i = 0; i < 10; i++) t.failed(from(`10.1.0.${i}`), 'admin', 0, cfg);
    // The next new address waits one interval (5/s: 200 ms), the one after it two.
    const s1 = t.schedule(from('10.1.1.1'), ['admin'], 0, cfg);
    assert.equal(s1.at, 200);
    assert.equal(wait(t, from('10.1.1.2'), ['admin'], 0), 400);
    t.release(s1);
    // A new local connection, an address that failed once, one that logged in before: at once.
    assert.equal(wait(t, LOCAL, ['admin'], 0), 0);
    assert.equal(wait(t, from('10.1.0.1'), ['admin'], 0), 0);
    const trusted = from('10.9.9.9');
    t.succeeded(trusted, 'admin', 0);
    assert.equal(wait(t, trusted, ['admin'], 0), 0);
    // Another user name has budgets of its own.
    assert.equal(wait(t, from('10.1.1.3'), ['bob'], 0), 0);
    // The budget refills at its rate.
    assert.equal(wait(t, from('10.1.1.4'), ['admin'], 2000), 0);
  });

  test('failing sources share one budget per user name, whatever their number', () => {
    const t = new AuthThrottle();
    const c = { ...cfg, windowMs: 60000, delayAfter: 100, lockoutThreshold: 0 };
    const sources = Array.from({ length: 50 }, (_, i) => from(`10.2.0.${i}`));
    for (const s of sources) t.failed(s, 'admin', 0, c);
    // 50 failing pairs, none delayed by its own count: the budget lets 10 through at once, then 5/s.
    let checked = 0;
    for (let now = 0; now <= 10000; now += 50) {
      for (const s of sources) {
        if (wait(t, s, ['admin'], now, c) === 0) {
          t.failed(s, 'admin', now, c);
          checked++;
        }
      }
    }
    assert.ok(checked >= 50 && checked <= 10 + 5 * 10 + 1, `${checked} guesses in 10 s`);
  });

  test('a lockout starts at the threshold, lasts its time, and is per source and user name', () => {
    const t = new AuthThrottle();
    for (let i = 0; i < 9; i++) assert.equal(t.failed(A, 'default', i, cfg).lockedOut, false);
    assert.equal(t.failed(A, 'default', 10, cfg).lockedOut, true);
    assert.equal(t.locked(A.source, 'default', 11), true);
    assert.equal(t.locked(A.source, 'other', 11), false);
    assert.equal(t.locked(B.source, 'default', 11), false);
    assert.equal(t.lockedCount(12), 1);
    // A locked pair's attempts fail unchecked at once: no wait.
    assert.equal(wait(t, A, ['default'], 12), 0);
    assert.equal(t.locked(A.source, 'default', 300011), false);
  });

  test('rotating user names and addresses cannot grow memory past the cap', () => {
    const t = new AuthThrottle(100);
    for (let i = 0; i < 5000; i++) {
      const who = from(`10.0.${i >> 8}.${i & 255}`);
      const user = `user-${i}-${'x'.repeat(i % 3 === 0 ? 5000 : 1)}`;
      t.release(t.schedule(who, [user], i, cfg));
      t.failed(who, user, i, cfg);
      if (i % 7 === 0) t.succeeded(who, user, i);
    }
    const size = t.size();
    assert.ok(size.pairs <= 100 && size.users <= 100 && size.trusted <= 100, JSON.stringify(size));
  });

  test("made-up user names cannot push a guessed name's spent budget out of the table", () => {
    const t = new AuthThrottle(100);
    const c = { ...cfg, lockoutThreshold: 0 };
    for (let i = 0; i < 10; i++) t.failed(from(`10.3.0.${i}`), 'admin', 0, c);
    assert.equal(wait(t, from('10.3.1.1'), ['admin'], 0, c), 200);
    // 5000 made-up names, each spending its own budget, from as many addresses.
    for (let i = 0; i < 5000; i++) t.failed(from(`10.4.${i >> 8}.${i & 255}`), `made-up-${i}`, 1, c);
    assert.ok(t.size().users <= 100);
    assert.equal(wait(t, from('10.3.1.2'), ['admin'], 1, c), 199);
  });

  test('sources: IPv4 as is, IPv6 by /64', () => {
    assert.equal(sourceKey('192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('2001:db8:1:2:3:4:5:6'), sourceKey('2001:db8:1:2::9'));
    assert.equal(sourceKey('2001:db8:1:2::9'), '2001:db8:1:2::/64');
    assert.notEqual(sourceKey('2001:db8:1:3::9'), sourceKey('2001:db8:1:2::9'));
    assert.equal(sourceKey('::1'), '0:0:0:0::/64');
    assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
});
