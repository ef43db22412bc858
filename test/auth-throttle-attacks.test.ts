// Password guessing against a real server, as an attacker would: a known user's password in front
// of every guess (HELLO with two AUTH options, MULTI/EXEC), guesses spread over 50 loopback
// addresses and over many connections from one, a fresh connection per guess; and the clients the
// throttle must leave alone while that goes on: a local application sharing the loopback address
// or the unix socket with the attacker, a clean address, an address that logged in before.
// Each measures what it claims: guesses per second, and the login time of the innocent client.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const PW = 'default-S3cret-Passw0rd';
const ADMIN_PW = 'admin-S3cret-Passw0rd';
const KNOWN_PW = 'known-Passw0rd';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
const OK = '+OK\r\n';

/** The auth-failure-* defaults, so each test states only what it changes. */
const DEFAULTS: Record<string, number> = {
  window: 60,
  'delay-after': 3,
  'delay-base-ms': 100,
  'delay-max-ms': 5000,
  'lockout-threshold': 10,
  'lockout-seconds': 300,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function infoField(info: string, name: string): number {
  const m = new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(info);
  assert.ok(m, `INFO has ${name}`);
  return Number(m[1]);
}

/** Replies that arrive within `ms`, with when each came (ms since `t0`). */
async function repliesWithin(c: RawClient, ms: number, t0 = performance.now()): Promise<number[]> {
  const at: number[] = [];
  for (;;) {
    const left = t0 + ms - performance.now();
    if (left <= 0) return at;
    let r: Buffer | null;
    try {
      r = await c.read(left);
    } catch {
      return at;
    }
    if (r === null) return at;
    assert.equal(r.toString('latin1'), WRONGPASS);
    at.push(performance.now() - t0);
  }
}

describe('password guessing against a live server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-guess-'));
  const sock = join(dir, 'redoubt.sock');
  let s: RunningServer;
  let admin: RawClient;
  const open: RawClient[] = [];

  async function connect(from = '127.0.0.1'): Promise<RawClient> {
    const c = await RawClient.connect(s.port, '127.0.0.1', from);
    open.push(c);
    return c;
  }

  async function connectUnix(): Promise<RawClient> {
    const c = await RawClient.connectPath(sock);
    open.push(c);
    return c;
  }

  function closeAll(): void {
    for (const c of open.splice(0)) c.close();
  }

  /** Forgets every count (throttling off, then on) and settles the directives given over the defaults. */
  async function reset(settings: Record<string, number> = {}): Promise<void> {
    const pairs = Object.entries({ ...DEFAULTS, ...settings }).flatMap(([k, v]) => [`auth-failure-${k}`, String(v)]);
    assert.equal(await admin.call('CONFIG', 'SET', 'auth-failure-throttling', 'no', ...pairs), OK);
    assert.equal(await admin.call('CONFIG', 'SET', 'auth-failure-throttling', 'yes'), OK);
  }

  /** How long a fresh connection from `from` takes to log in as `user`; asserts it succeeds. */
  async function login(from: string, user: string, password: string): Promise<number> {
    const c = from === 'unix' ? await connectUnix() : await connect(from);
    const t = performance.now();
    assert.equal(await c.call('AUTH', user, password), OK, `${user} from ${from}`);
    const ms = performance.now() - t;
    c.close();
    return ms;
  }

  before(async () => {
    s = await startRedoubt(['--requirepass', PW, '--unixsocket', sock, '--unixsocketperm', '700']);
    admin = await RawClient.connect(s.port);
    assert.equal(await admin.call('AUTH', PW), OK);
    assert.equal(await admin.call('ACL', 'SETUSER', 'admin', 'on', `>${ADMIN_PW}`, '+@all', '~*'), OK);
    assert.equal(await admin.call('ACL', 'SETUSER', 'known', 'on', `>${KNOWN_PW}`, '+@all', '~*'), OK);
  });
  after(async () => {
    closeAll();
    admin.close();
    await s.stop();
  });

  test('a known password in front of each guess (HELLO, MULTI/EXEC) or pipelining gains no speed over lone attempts', async (ctx) => {
    const cfg = { 'delay-base-ms': 20, 'delay-max-ms': 160, 'lockout-threshold': 0 };
    const N = 12;
    const guesses = Array.from({ length: N }, (_, i) => `guess-${i}`);
    const rate = (ms: number) => (N / ms) * 1000;

    await reset(cfg);
    const lone = await connect('127.0.0.3');
    let t = performance.now();
    for (const g of guesses) assert.equal(await lone.call('AUTH', 'admin', g), WRONGPASS);
    const loneMs = performance.now() - t;
    // 3 free, then 20, 40, 80, 160 ms and 160 ms for each of the other 5.
    assert.ok(loneMs >= 900, `lone attempts took ${loneMs.toFixed(0)} ms`);

    await reset(cfg);
    const piped = await connect('127.0.0.4');
    t = performance.now();
    for (const r of await piped.pipeline(guesses.map((g) => ['AUTH', 'admin', g]))) assert.equal(r, WRONGPASS);
    const pipedMs = performance.now() - t;

    await reset(cfg);
    const hello = await connect('127.0.0.5');
    t = performance.now();
    const helloReplies = await hello.pipeline(guesses.map((g) => ['HELLO', '2', 'AUTH', 'known', KNOWN_PW, 'AUTH', 'admin', g]));
    const helloMs = performance.now() - t;
    for (const r of helloReplies) assert.equal(r, WRONGPASS);

    await reset(cfg);
    const multi = await connect('127.0.0.6');
    assert.equal(await multi.call('AUTH', 'known', KNOWN_PW), OK);
    t = performance.now();
    const txReplies = await multi.pipeline([['MULTI'], ['AUTH', 'known', KNOWN_PW], ...guesses.map((g) => ['AUTH', 'admin', g]), ['EXEC']]);
    const multiMs = performance.now() - t;
    const exec = txReplies[txReplies.length - 1] ?? '';
    assert.equal(exec, `*${N + 1}\r\n${OK}${WRONGPASS.repeat(N)}`);

    const report = `guesses/s: lone ${rate(loneMs).toFixed(1)}/s, pipelined ${rate(pipedMs).toFixed(1)}/s, HELLO ${rate(helloMs).toFixed(1)}/s, MULTI ${rate(multiMs).toFixed(1)}/s`;
    ctx.diagnostic(report);
    for (const ms of [pipedMs, helloMs, multiMs]) {
      assert.ok(ms >= 0.8 * loneMs, report);
      assert.ok(rate(ms) < 15, report);
    }
  });

  test('wrong passwords from one local process neither lock out nor slow another local client (TCP and unix socket)', async () => {
    for (const via of ['127.0.0.1', 'unix'] as const) {
      await reset({ 'delay-base-ms': 5, 'delay-max-ms': 10 });
      const before = infoField(await admin.call('INFO', 'stats'), 'auth_lockouts');
      // Past the lockout threshold (10) on the default user and on admin, from the shared address.
      const attacker = via === 'unix' ? await connectUnix() : await connect(via);
      const replies = await attacker.pipeline([
        ...Array.from({ length: 12 }, (_, i) => ['AUTH', `wrong-${i}`]),
        ...Array.from({ length: 12 }, (_, i) => ['AUTH', 'admin', `wrong-${i}`]),
      ]);
      for (const r of replies) assert.equal(r, WRONGPASS);
      // The application, from the same address or socket: right in, at once.
      assert.ok((await login(via, 'default', PW)) < 100, via);
      assert.ok((await login(via, 'admin', ADMIN_PW)) < 100, via);
      // The attacker's connection was locked out for both names.
      assert.equal(infoField(await admin.call('INFO', 'stats'), 'auth_lockouts'), before + 2, via);
      attacker.close();

      // The same while the attacker keeps guessing with the default delays.
      await reset();
      const hammer = via === 'unix' ? await connectUnix() : await connect(via);
      hammer.write(Buffer.concat(Array.from({ length: 60 }, (_, i) => RawClient.encode(['AUTH', 'admin', `again-${i}`]))));
      await sleep(400);
      const times = [];
      for (let i = 0; i < 3; i++) {
        times.push(await login(via, 'admin', ADMIN_PW));
        await sleep(200);
      }
      assert.ok(times.every((ms) => ms < 100), `${via}: logins took ${times.map(Math.round).join(', ')} ms`);
      hammer.close();
    }
    closeAll();
  });

  test('failures on a user name from one address do not slow its login from a clean address', async () => {
    await reset({ 'lockout-threshold': 0 });
    const attacker = await connect('127.0.0.7');
    attacker.write(Buffer.concat(Array.from({ length: 30 }, (_, i) => RawClient.encode(['AUTH', 'admin', `g-${i}`]))));
    // By now admin has 5 or more failures: 3 free, then 100, 200 ms.
    await sleep(600);
    for (const from of ['127.0.0.8', '127.0.0.1']) {
      const ms = await login(from, 'admin', ADMIN_PW);
      assert.ok(ms < 100, `admin from ${from} took ${ms.toFixed(0)} ms`);
    }
    closeAll();
  });

  test('guesses from 50 loopback addresses stay under 20/s; clean, trusted and local clients log in promptly meanwhile', async (t) => {
    // No lockout, so every guess is checked: the rate measured is the most an attacker gets.
    await reset({ 'lockout-threshold': 0 });
    const stats0 = await admin.call('INFO', 'stats');
    // An address that logged in as admin before the attack.
    assert.ok((await login('127.0.0.60', 'admin', ADMIN_PW)) < 100);

    const attackers = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(`127.0.0.${i + 2}`)));
    const t0 = performance.now();
    for (const [i, a] of attackers.entries()) {
      a.write(Buffer.concat(Array.from({ length: 40 }, (_, j) => RawClient.encode(['AUTH', 'admin', `guess-${i}-${j}`]))));
    }
    const WINDOW = 6000;
    const counting = Promise.all(attackers.map((a) => repliesWithin(a, WINDOW + 4000, t0)));

    const logins: string[] = [];
    for (const at of [1000, 2500, 4000, 5500]) {
      await sleep(at - (performance.now() - t0));
      for (const from of ['127.0.0.1', '127.0.0.60']) {
        const ms = await login(from, 'admin', ADMIN_PW);
        logins.push(`${from}@${at}: ${ms.toFixed(0)} ms`);
        assert.ok(ms < 100, logins.join(', '));
      }
    }
    const arrivals = await counting;
    const inWindow = arrivals.flat().filter((ms) => ms <= WINDOW).length;
    const perSecond = inWindow / (WINDOW / 1000);
    t.diagnostic(`50 addresses: ${inWindow} guesses checked in ${WINDOW} ms (${perSecond.toFixed(1)}/s); logins ${logins.join(', ')}`);
    assert.ok(perSecond < 20, `${inWindow} guesses checked in ${WINDOW} ms: ${perSecond.toFixed(1)}/s`);
    assert.ok(inWindow >= 10, `the attack ran (${inWindow} guesses)`);
    // Once every attacking address has failed, a clean address is not held back by them.
    assert.ok(arrivals.every((a) => a.length > 0), 'every attacker got an answer');
    const clean = await login('127.0.0.61', 'admin', ADMIN_PW);
    t.diagnostic(`every attacker answered after ${Math.max(...arrivals.map((a) => a[0] ?? 0)).toFixed(0)} ms; then a clean address logged in in ${clean.toFixed(0)} ms`);
    assert.ok(clean < 100, `a clean address took ${clean.toFixed(0)} ms`);

    const stats1 = await admin.call('INFO', 'stats');
    const checked = arrivals.flat().length;
    assert.ok(infoField(stats1, 'auth_failures') - infoField(stats0, 'auth_failures') >= checked);
    assert.ok(infoField(stats1, 'auth_throttled') - infoField(stats0, 'auth_throttled') >= 40);
    assert.equal(infoField(stats1, 'auth_lockouts'), infoField(stats0, 'auth_lockouts'));
    closeAll();
  });

  test('many connections from one address, and a fresh local connection per guess, stay under 20 guesses/s', async (t) => {
    await reset({ 'lockout-threshold': 0 });
    const conns = await Promise.all(Array.from({ length: 20 }, () => connect('127.0.0.52')));
    const t0 = performance.now();
    for (const [i, c] of conns.entries()) c.write(Buffer.concat(Array.from({ length: 20 }, (_, j) => RawClient.encode(['AUTH', 'admin', `x-${i}-${j}`]))));
    const oneAddress = (await Promise.all(conns.map((c) => repliesWithin(c, 4000, t0)))).flat().length;
    t.diagnostic(`one address, 20 connections x 20 pipelined: ${(oneAddress / 4).toFixed(1)} guesses/s`);
    assert.ok(oneAddress / 4 < 20, `one address, 20 connections: ${oneAddress} guesses in 4 s`);
    closeAll();

    await reset({ 'lockout-threshold': 0 });
    let fresh = 0;
    const end = performance.now() + 3000;
    await Promise.all(
      Array.from({ length: 20 }, async (_, w) => {
        for (let j = 0; performance.now() < end; j++) {
          const c = await connect('127.0.0.1');
          c.write(RawClient.encode(['AUTH', 'admin', `f-${w}-${j}`]));
          const r = await c.read(Math.max(1, end - performance.now())).catch(() => null);
          if (r !== null) {
            assert.equal(r.toString('latin1'), WRONGPASS);
            fresh++;
          }
          c.close();
        }
      }),
    );
    t.diagnostic(`a fresh local connection per guess, 20 at a time: ${(fresh / 3).toFixed(1)} guesses/s`);
    assert.ok(fresh / 3 < 20, `fresh connections: ${fresh} guesses in 3 s`);
    closeAll();
  });

  test('a lockout is per address and user name: the address logs in as another user, other addresses as that user', async () => {
    await reset({ 'delay-base-ms': 5, 'delay-max-ms': 10, 'lockout-threshold': 5, 'lockout-seconds': 2 });
    const before = infoField(await admin.call('INFO', 'stats'), 'auth_lockouts');
    const c = await connect('127.0.0.9');
    for (let i = 0; i < 5; i++) assert.equal(await c.call('AUTH', 'admin', `guess-${i}`), WRONGPASS);
    const t = performance.now();
    assert.equal(await c.call('AUTH', 'admin', ADMIN_PW), WRONGPASS, 'locked out: even the right password fails');
    assert.ok(performance.now() - t < 50);
    assert.ok((await login('127.0.0.9', 'known', KNOWN_PW)) < 100);
    assert.ok((await login('127.0.0.10', 'admin', ADMIN_PW)) < 100);
    const info = await admin.call('INFO', 'stats');
    assert.equal(infoField(info, 'auth_lockouts'), before + 1);
    assert.equal(infoField(info, 'auth_lockouts_active'), 1);
    await sleep(2100);
    assert.equal(await c.call('AUTH', 'admin', ADMIN_PW), OK);
    assert.equal(infoField(await admin.call('INFO', 'stats'), 'auth_lockouts_active'), 0);
    closeAll();
  });

  test('HELLO redacts the password of every AUTH option in SLOWLOG', async () => {
    await reset();
    assert.equal(await admin.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0'), OK);
    assert.equal(await admin.call('SLOWLOG', 'RESET'), OK);
    const c = await connect('127.0.0.11');
    assert.equal(await c.call('HELLO', '2', 'AUTH', 'known', KNOWN_PW, 'AUTH', 'admin', 'second-secret-zz'), WRONGPASS);
    assert.equal(await c.call('HELLO', '2', 'SETNAME', 'auth', 'AUTH', 'admin', 'third-secret-zz'), WRONGPASS);
    const log = await admin.call('SLOWLOG', 'GET', '10');
    assert.equal(await admin.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000'), OK);
    assert.match(log, /HELLO/i);
    for (const secret of [KNOWN_PW, 'second-secret-zz', 'third-secret-zz']) assert.ok(!log.includes(secret), `${secret} in SLOWLOG`);
    closeAll();
  });
});
