// Two servers in one process, built by the composition root (cli/compose.ts) exactly as
// `redoubt` builds one, each with its own users, configuration and data, listening on its own
// port. Everything a server owns must stay its own: users and ACL, pub/sub and keyspace events,
// WATCH, scripts, functions, the auth throttle, the audit log, slowlog, statistics, CONFIG SET,
// rename-command and the clients themselves. Any state kept at module level would show here.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCommandTable } from '../src/commands/registry.js';
import { createServer, loadServerConfig } from '../src/cli/compose.js';
import type { Server } from '../src/server/server.js';
import { freePort } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const dir = mkdtempSync(join(tmpdir(), 'redoubt-composition-'));

interface Running {
  readonly server: Server;
  readonly port: number;
  readonly password: string;
  readonly auditFile: string;
}

/** Builds and starts a server from `redoubt`-style directives, in this process. */
async function start(name: string, password: string, directives: string[]): Promise<Running> {
  const port = await freePort();
  const auditFile = join(dir, `${name}.audit`);
  const options = [
    `port ${port}`,
    'bind 127.0.0.1',
    `requirepass ${password}`,
    `logfile ${join(dir, `${name}.log`)}`,
    `audit-log ${auditFile}`,
    // Every command enters the slowlog, so a leak between the two would show.
    'slowlog-log-slower-than 0',
    'save ""',
    ...directives,
  ];
  const commands = createCommandTable();
  const startup = loadServerConfig({ configFile: null, stdin: false, options }, commands);
  const server = createServer(startup.config, commands, startup.users);
  const running = { server, port, password, auditFile };
  started.push(running);
  await server.start();
  return running;
}

let a: Running;
let b: Running;
/** Every server started, stopped after the tests even if a later start failed. */
const started: Running[] = [];
const open: RawClient[] = [];
/** Connections made to each server, by port. */
const opened = new Map<number, number>();

/** A connection to `s`, logged in as the default user unless told otherwise. */
async function connect(s: Running, auth = true): Promise<RawClient> {
  const c = await RawClient.connect(s.port);
  open.push(c);
  opened.set(s.port, (opened.get(s.port) ?? 0) + 1);
  if (auth) assert.equal(await c.call('AUTH', s.password), '+OK\r\n');
  return c;
}

/** One INFO field. */
async function info(c: RawClient, field: string): Promise<string> {
  const text = await c.call('INFO', 'everything');
  const line = text.split('\r\n').find((l) => l.startsWith(`${field}:`));
  return line === undefined ? '' : line.slice(field.length + 1);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  a = await start('alpha', 'alpha-pass', [
    'user alice on >alice-pw ~* &* +@all',
    'notify-keyspace-events KEA',
    'databases 4',
    'rename-command FLUSHALL ""',
    // Two failures lock a source out of alpha; bravo keeps the default (ten). Neither delays.
    'auth-failure-lockout-threshold 2',
    'auth-failure-delay-after 100',
  ]);
  b = await start('bravo', 'bravo-pass', ['user bob on >bob-pw ~* &* +@all', 'databases 2', 'auth-failure-delay-after 100']);
});

after(async () => {
  for (const c of open) c.close();
  await Promise.all(started.map((s) => s.server.shutdown()));
  rmSync(dir, { recursive: true, force: true });
});

describe('two servers in one process', () => {
  test('each has its own users, password and command table', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    assert.equal(await ca.call('ACL', 'USERS'), '*2\r\n$5\r\nalice\r\n$7\r\ndefault\r\n');
    assert.equal(await cb.call('ACL', 'USERS'), '*2\r\n$3\r\nbob\r\n$7\r\ndefault\r\n');
    const guest = await connect(b, false);
    assert.equal(await guest.call('AUTH', 'alice', 'alice-pw'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(await guest.call('AUTH', a.password), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(await guest.call('AUTH', 'bob', 'bob-pw'), '+OK\r\n');
    assert.equal(await ca.call('ACL', 'SETUSER', 'carol', 'on', '>c'), '+OK\r\n');
    assert.equal(await cb.call('ACL', 'GETUSER', 'carol'), '$-1\r\n');
    // rename-command changed alpha's table only.
    assert.match(await ca.call('FLUSHALL'), /^-ERR unknown command 'FLUSHALL'/);
    assert.equal(await cb.call('DBSIZE'), ':0\r\n');
  });

  test('each has its own configuration, and CONFIG SET on one leaves the other alone', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    assert.equal(await ca.call('CONFIG', 'GET', 'databases'), '*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n');
    assert.equal(await cb.call('CONFIG', 'GET', 'databases'), '*2\r\n$9\r\ndatabases\r\n$1\r\n2\r\n');
    assert.equal(await ca.call('SELECT', '3'), '+OK\r\n');
    assert.equal(await cb.call('SELECT', '3'), '-ERR DB index is out of range\r\n');
    assert.equal(await ca.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru', 'slowlog-max-len', '7'), '+OK\r\n');
    assert.equal(await cb.call('CONFIG', 'GET', 'maxmemory-policy'), '*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n');
    assert.equal(await cb.call('CONFIG', 'GET', 'slowlog-max-len'), '*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n');
    // A new password for alpha's default user is not bravo's.
    assert.equal(await ca.call('CONFIG', 'SET', 'requirepass', 'alpha-two'), '+OK\r\n');
    const guest = await connect(b, false);
    assert.equal(await guest.call('AUTH', 'alpha-two'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(await ca.call('CONFIG', 'SET', 'requirepass', a.password), '+OK\r\n');
  });

  test('each has its own data', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    assert.equal(await ca.call('SET', 'only-on-alpha', '1'), '+OK\r\n');
    assert.equal(await cb.call('SET', 'only-on-bravo', '2'), '+OK\r\n');
    assert.equal(await cb.call('EXISTS', 'only-on-alpha'), ':0\r\n');
    assert.equal(await ca.call('EXISTS', 'only-on-bravo'), ':0\r\n');
    assert.equal(await ca.call('GET', 'only-on-alpha'), '$1\r\n1\r\n');
  });

  test('pub/sub and keyspace events stay on their server', async () => {
    const subA = await connect(a);
    const subB = await connect(b);
    const ca = await connect(a);
    const cb = await connect(b);
    await subA.call('SUBSCRIBE', 'news');
    await subB.call('SUBSCRIBE', 'news');
    await subA.call('PSUBSCRIBE', '__keyevent@0__:*');
    await subB.call('PSUBSCRIBE', '__keyevent@0__:*');
    assert.equal(await ca.call('PUBLISH', 'news', 'for alpha'), ':1\r\n');
    assert.equal(await ca.call('PUBSUB', 'NUMPAT'), ':1\r\n');
    assert.equal(await ca.call('SET', 'evented', '1'), '+OK\r\n');
    // bravo has notifications off: its SET publishes nothing, to anyone.
    assert.equal(await cb.call('SET', 'evented', '1'), '+OK\r\n');
    assert.equal((await subA.read())?.toString('latin1'), '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$9\r\nfor alpha\r\n');
    assert.equal(
      (await subA.read())?.toString('latin1'),
      '*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$18\r\n__keyevent@0__:set\r\n$7\r\nevented\r\n',
    );
    await sleep(100);
    assert.equal(subB.unread.length, 0, 'bravo\'s subscriber heard nothing');
    assert.equal(subA.unread.length, 0, 'alpha\'s subscriber heard only alpha');
    assert.equal(await cb.call('PUBLISH', 'news', 'for bravo'), ':1\r\n');
    assert.equal((await subB.read())?.toString('latin1'), '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$9\r\nfor bravo\r\n');
  });

  test('WATCH sees only its own server\'s writes', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    assert.equal(await ca.call('WATCH', 'w'), '+OK\r\n');
    assert.equal(await cb.call('SET', 'w', 'bravo'), '+OK\r\n');
    assert.equal(await ca.call('MULTI'), '+OK\r\n');
    assert.equal(await ca.call('GET', 'w'), '+QUEUED\r\n');
    assert.equal(await ca.call('EXEC'), '*1\r\n$-1\r\n', 'a write on bravo does not touch alpha\'s watched key');
    assert.equal(await ca.call('WATCH', 'w'), '+OK\r\n');
    const other = await connect(a);
    assert.equal(await other.call('SET', 'w', 'alpha'), '+OK\r\n');
    assert.equal(await ca.call('MULTI'), '+OK\r\n');
    assert.equal(await ca.call('GET', 'w'), '+QUEUED\r\n');
    assert.equal(await ca.call('EXEC'), '*-1\r\n', 'a write on alpha does');
  });

  test('scripts and functions are loaded per server', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    const sha = (await ca.call('SCRIPT', 'LOAD', "return 'alpha'")).split('\r\n')[1] ?? '';
    assert.equal(sha.length, 40);
    assert.equal(await ca.call('SCRIPT', 'EXISTS', sha), '*1\r\n:1\r\n');
    assert.equal(await cb.call('SCRIPT', 'EXISTS', sha), '*1\r\n:0\r\n');
    assert.equal(await cb.call('EVALSHA', sha, '0'), '-NOSCRIPT No matching script. Please use EVAL.\r\n');
    assert.equal(await ca.call('EVALSHA', sha, '0'), '$5\r\nalpha\r\n');
    const lib = "#!lua name=alib\nredis.register_function('whoami', function() return 'alpha' end)";
    assert.equal(await ca.call('FUNCTION', 'LOAD', lib), '$4\r\nalib\r\n');
    assert.equal(await cb.call('FUNCTION', 'LIST'), '*0\r\n');
    assert.equal(await cb.call('FCALL', 'whoami', '0'), '-ERR Function not found\r\n');
    assert.equal(await ca.call('FCALL', 'whoami', '0'), '$5\r\nalpha\r\n');
    // Each server's Lua engine sees its own keys.
    assert.equal(await cb.call('EVAL', "return redis.call('GET', KEYS[1])", '1', 'only-on-alpha'), '$-1\r\n');
  });

  test('each server has its own run_id and replication id', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    for (const field of ['run_id', 'master_replid']) {
      const [ia, ib] = [await info(ca, field), await info(cb, field)];
      assert.match(ia, /^[0-9a-f]{40}$/);
      assert.notEqual(ia, ib, field);
    }
  });

  test('failed logins count, delay and lock out per server', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    const guestA = await connect(a, false);
    assert.match(await guestA.call('AUTH', 'wrong'), /^-WRONGPASS/);
    assert.match(await guestA.call('AUTH', 'wrong'), /^-WRONGPASS/);
    // 127.0.0.1 is locked out of alpha's default user: even the right password fails there.
    assert.match(await guestA.call('AUTH', a.password), /^-WRONGPASS/);
    assert.equal(await info(ca, 'auth_lockouts_active'), '1');
    assert.equal(await info(cb, 'auth_lockouts_active'), '0');
    const guestB = await connect(b, false);
    const started = Date.now();
    assert.equal(await guestB.call('AUTH', b.password), '+OK\r\n', 'bravo does not know alpha\'s lockout');
    assert.ok(Date.now() - started < 500, 'nor delays for it');
    assert.ok(Number(await info(ca, 'auth_failures')) >= 3);
    // bravo's only failures are its own: alice's and alpha's passwords, tried on bravo earlier.
    assert.equal(await info(cb, 'auth_failures'), '3');
    // Lift the lockout for the tests after this one: turning throttling off forgets it.
    assert.equal(await ca.call('CONFIG', 'SET', 'auth-failure-throttling', 'no'), '+OK\r\n');
    assert.equal(await ca.call('CONFIG', 'SET', 'auth-failure-throttling', 'yes'), '+OK\r\n');
  });

  test('slowlog, command statistics and error statistics are per server', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    const errorsB = await cb.call('INFO', 'errorstats');
    assert.equal(await ca.call('ECHO', 'alpha-marker'), '$12\r\nalpha-marker\r\n');
    assert.equal(await ca.call('NOSUCHCOMMAND'), "-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: \r\n");
    const slowB = await cb.call('SLOWLOG', 'GET', '128');
    assert.ok(!slowB.includes('alpha-marker'), 'alpha\'s command is not in bravo\'s slowlog');
    assert.ok((await ca.call('SLOWLOG', 'GET', '7')).includes('alpha-marker'));
    const statsB = await cb.call('INFO', 'commandstats');
    assert.doesNotMatch(statsB, /cmdstat_function\|load|cmdstat_echo/, 'bravo never ran FUNCTION LOAD or ECHO');
    assert.match(await ca.call('INFO', 'commandstats'), /cmdstat_function\|load:calls=1,/);
    assert.match(errorsB, /errorstat_WRONGPASS/);
    assert.equal(await cb.call('INFO', 'errorstats'), errorsB, 'alpha\'s unknown command is not bravo\'s error');
    const processedA = Number(await info(ca, 'total_commands_processed'));
    const processedB = Number(await info(cb, 'total_commands_processed'));
    await ca.pipeline(Array.from({ length: 50 }, () => ['PING']));
    assert.ok(Number(await info(ca, 'total_commands_processed')) >= processedA + 50);
    assert.ok(Number(await info(cb, 'total_commands_processed')) < processedB + 5, 'alpha\'s pings are not bravo\'s');
  });

  test('keyspace hits and misses are per server', async () => {
    const ca = await connect(a);
    const cb = await connect(b);
    const missesB = Number(await info(cb, 'keyspace_misses'));
    for (let i = 0; i < 20; i++) await ca.call('GET', `missing-${i}`);
    assert.equal(Number(await info(cb, 'keyspace_misses')), missesB);
  });

  test('clients and the audit log belong to their server', async () => {
    const cb = await connect(b);
    const list = (await cb.call('CLIENT', 'LIST')).split('\n').filter((l) => l.startsWith('id='));
    assert.ok(list.length > 0 && list.every((l) => l.includes(`laddr=127.0.0.1:${b.port}`)), 'bravo lists only its own connections');
    // Client ids count per server: after its script client (id 1), one per connection to bravo.
    const ids = list.map((l) => Number(/^id=(\d+)/.exec(l)?.[1]));
    const mine = opened.get(b.port) ?? 0;
    assert.ok(Math.max(...ids) <= mine + 1, `bravo's ids ${ids.join(',')} count bravo's ${mine} connections only`);
    // Audit events are written once per turn of the event loop.
    await sleep(50);
    const auditA = readFileSync(a.auditFile, 'utf8');
    const auditB = readFileSync(b.auditFile, 'utf8');
    assert.match(auditA, /"event":"auth-lockout"/);
    assert.doesNotMatch(auditB, /"event":"auth-lockout"/);
    assert.match(auditA, /"event":"config-set"/);
    assert.doesNotMatch(auditB, /"event":"config-set"/);
  });
});
