// ACL users with real clients: key permissions (%R~ / %W~) on reads, writes, COPY and RENAME,
// selectors, what happens to connections when users go away, ACL LOG fields, the aclfile (SAVE
// then LOAD, compared with redis-server), `user` lines in config files, and secrets kept out of
// SLOWLOG. Byte-level replies of every subcommand are in test/corpus/acl.redis.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startRedis, startRedoubt, REDOUBT_MAIN, useServerPair, useValkey, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const work = mkdtempSync(join(tmpdir(), 'redoubt-acl-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Redis 7.2's unified NOPERM texts. */
const noperm = (what: 'keys' | 'command', cmd = ''): RegExp =>
  what === 'keys' ? /NOPERM No permissions to access a key/ : new RegExp(`NOPERM User \\S+ has no permissions to run the '${cmd}' command`);

/** Runs the same script on both servers and returns both transcripts. */
async function both(servers: RunningServer[], script: string[][]): Promise<string[][]> {
  const out: string[][] = [];
  for (const s of servers) {
    const c = await RawClient.connect(s.port);
    const replies: string[] = [];
    for (const argv of script) replies.push(await c.call(...argv));
    c.close();
    out.push(replies);
  }
  return out;
}

describe('ACL with real clients', () => {
  const { redis, redoubt } = useServerPair();
  // Transcripts with NOPERM replies compare with Redis 7.2's texts, which valkey-server 8.0 has.
  const valkey = useValkey();

  test('ioredis as a user with %R~ and %W~ patterns: GET, SET, COPY, RENAME', async () => {
    const admin = new Redis({ port: redoubt.port, lazyConnect: true });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'kp', 'on', '>kp-pass', '%R~r:*', '%W~w:*', '~rw:*', '+get', '+set', '+copy', '+rename', '+ping');
    await admin.set('r:1', 'readable');
    await admin.set('rw:1', 'both');
    const u = new Redis({ port: redoubt.port, username: 'kp', password: 'kp-pass', lazyConnect: true });
    await u.connect();
    try {
      assert.equal(await u.get('r:1'), 'readable');
      await assert.rejects(u.get('w:1'), noperm('keys'));
      assert.equal(await u.set('w:1', 'x'), 'OK');
      await assert.rejects(u.set('r:1', 'x'), noperm('keys'));
      // SET ... GET reads the key too, so a write-only pattern is not enough.
      await assert.rejects(u.set('w:1', 'y', 'GET'), noperm('keys'));
      assert.equal(await u.call('COPY', 'r:1', 'w:2'), 1);
      await assert.rejects(u.call('COPY', 'w:1', 'r:2'), noperm('keys'));
      assert.equal(await u.rename('rw:1', 'rw:2'), 'OK');
      // RENAME deletes the source: read-only access to it is refused.
      await assert.rejects(u.rename('r:1', 'rw:3'), noperm('keys'));
      await assert.rejects(u.incr('w:1'), noperm('command', 'incr'));
      assert.equal(await admin.get('w:2'), 'readable');
    } finally {
      u.disconnect();
      await admin.call('ACL', 'DELUSER', 'kp');
      admin.disconnect();
    }
  });

  test('node-redis authenticates as an ACL user and sees its own name', async () => {
    const admin = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' } });
    await admin.connect();
    await admin.sendCommand(['ACL', 'SETUSER', 'nr', 'on', '>nr-pass', '~*', '+@all']);
    const c = createClient({ socket: { port: redoubt.port, host: '127.0.0.1' }, username: 'nr', password: 'nr-pass' });
    await c.connect();
    try {
      assert.equal(await c.sendCommand(['ACL', 'WHOAMI']), 'nr');
      const bad = createClient({ socket: { port: redoubt.port, host: '127.0.0.1', reconnectStrategy: false }, username: 'nr', password: 'nope' });
      bad.on('error', () => {});
      await assert.rejects(bad.connect(), /WRONGPASS/);
    } finally {
      await c.quit();
      await admin.sendCommand(['ACL', 'DELUSER', 'nr']);
      await admin.quit();
    }
  });

  test('selectors: a command passes when any selector allows command and keys', async () => {
    const script = [
      ['ACL', 'SETUSER', 'sel', 'on', 'nopass', '~a*', '+get', '(~b* +set)', '(%R~c* +get +set)'],
      ['AUTH', 'sel', 'x'],
      ['GET', 'a1'],
      ['GET', 'c1'],
      ['SET', 'b1', 'v'],
      ['SET', 'c1', 'v'],
      ['SET', 'a1', 'v'],
      ['GET', 'b1'],
      ['AUTH', 'default', 'x'],
      ['ACL', 'DELUSER', 'sel'],
    ];
    const [ours, theirs] = await both([redoubt, valkey], script);
    assert.deepEqual(ours, theirs);
    assert.equal(ours![2], '$-1\r\n');
    assert.match(ours![5]!, /^-NOPERM/);
  });

  test('DELUSER and ACL LOAD disconnect the users clients; SETUSER off does too (Redoubt)', async () => {
    const admin = await RawClient.connect(redoubt.port);
    await admin.call('ACL', 'SETUSER', 'gone', 'on', '>p', '+@all', '~*');
    const victim = await RawClient.connect(redoubt.port);
    assert.equal(await victim.call('AUTH', 'gone', 'p'), '+OK\r\n');
    assert.equal(await admin.call('ACL', 'DELUSER', 'gone'), ':1\r\n');
    assert.equal(await victim.waitClosed(), true);

    await admin.call('ACL', 'SETUSER', 'off1', 'on', '>p', '+@all', '~*');
    const v2 = await RawClient.connect(redoubt.port);
    assert.equal(await v2.call('AUTH', 'off1', 'p'), '+OK\r\n');
    // Adding rights keeps the session; switching the user off ends it.
    assert.equal(await admin.call('ACL', 'SETUSER', 'off1', '-@dangerous'), '+OK\r\n');
    assert.equal(await v2.call('PING'), '+PONG\r\n');
    assert.equal(await admin.call('ACL', 'SETUSER', 'off1', 'off'), '+OK\r\n');
    assert.equal(await v2.waitClosed(), true);
    assert.equal(await admin.call('ACL', 'DELUSER', 'off1'), ':1\r\n');

    // Deleting your own user: the reply still arrives, then the connection closes.
    await admin.call('ACL', 'SETUSER', 'self', 'on', '>p', '+@all', '~*');
    const me = await RawClient.connect(redoubt.port);
    await me.call('AUTH', 'self', 'p');
    assert.equal(await me.call('ACL', 'DELUSER', 'self'), ':1\r\n');
    assert.equal(await me.waitClosed(), true);
    admin.close();
  });

  test('CLIENT LIST shows the user; CLIENT KILL USER finds ACL users', async () => {
    const admin = await RawClient.connect(redoubt.port);
    await admin.call('ACL', 'SETUSER', 'kl', 'on', 'nopass', '+@all', '~*');
    const c = await RawClient.connect(redoubt.port);
    await c.call('AUTH', 'kl', 'x');
    assert.match(await c.call('CLIENT', 'INFO'), / user=kl /);
    assert.equal(await admin.call('CLIENT', 'KILL', 'USER', 'kl'), ':1\r\n');
    assert.equal(await c.waitClosed(), true);
    assert.equal(await admin.call('CLIENT', 'KILL', 'USER', 'nobody'), "-ERR No such user 'nobody'\r\n");
    await admin.call('ACL', 'DELUSER', 'kl');
    admin.close();
  });

  test('ACL LOG: fields, merging of repeats, client-info of the denied client, max length', async () => {
    const r = new Redis({ port: redoubt.port, lazyConnect: true });
    await r.connect();
    await r.call('ACL', 'LOG', 'RESET');
    await r.call('ACL', 'SETUSER', 'lg', 'on', 'nopass', '~k*', '+get');
    const u = await RawClient.connect(redoubt.port);
    await u.call('AUTH', 'lg', 'x');
    assert.match(await u.call('GET', 'zz'), /^-NOPERM/);
    assert.match(await u.call('GET', 'zz'), /^-NOPERM/);
    assert.match(await u.call('SET', 'k1', 'v'), /^-NOPERM/);
    const log = (await r.call('ACL', 'LOG')) as unknown[][];
    assert.equal(log.length, 2);
    const entry = (e: unknown[]): Record<string, unknown> => {
      assert.equal(e.length % 2, 0, 'an ACL LOG entry is a flat list of names and values');
      return Object.fromEntries(
        Array.from({ length: e.length / 2 }, (_, i): [string, unknown] => {
          const name = e[2 * i];
          assert.ok(typeof name === 'string', 'ACL LOG field names are strings');
          return [name, e[2 * i + 1]];
        }),
      );
    };
    const [first, second] = log.map(entry);
    assert.deepEqual(Object.keys(first!), [
      'count', 'reason', 'context', 'object', 'username', 'age-seconds', 'client-info',
      'entry-id', 'timestamp-created', 'timestamp-last-updated',
    ]);
    // Redis 7.2: ids count the entries created (RESET keeps counting), merging keeps the first time.
    assert.equal(Number(first!['entry-id']), Number(second!['entry-id']) + 1);
    const created = Number(second!['timestamp-created']);
    assert.ok(Math.abs(created - Date.now()) < 5000, `timestamp-created ${created}`);
    assert.ok(Number(second!['timestamp-last-updated']) >= created);
    assert.ok(Number(first!['timestamp-created']) >= Number(second!['timestamp-created']));
    assert.equal(first!['reason'], 'command');
    assert.equal(first!['object'], 'set');
    assert.equal(second!['count'], 2);
    assert.equal(second!['reason'], 'key');
    assert.equal(second!['object'], 'zz');
    assert.match(String(second!['client-info']), / cmd=get user=lg /);
    assert.ok(Number(second!['age-seconds']) < 5);
    await r.config('SET', 'acllog-max-len', '1');
    assert.match(await u.call('GET', 'other'), /^-NOPERM/);
    assert.equal(((await r.call('ACL', 'LOG')) as unknown[]).length, 1);
    await r.call('ACL', 'LOG', 'RESET');
    assert.match(await u.call('GET', 'again'), /^-NOPERM/);
    const [after] = ((await r.call('ACL', 'LOG')) as unknown[][]).map(entry);
    assert.equal(Number(after!['entry-id']), Number(first!['entry-id']) + 2);
    await r.config('SET', 'acllog-max-len', '128');
    u.close();
    await r.call('ACL', 'DELUSER', 'lg');
    r.disconnect();
  });

  test('ACL SETUSER arguments are redacted in SLOWLOG, as Redis does', async () => {
    const script = [
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '0'],
      ['SLOWLOG', 'RESET'],
      ['ACL', 'SETUSER', 'sl', 'on', '>secret', '~*'],
      ['SLOWLOG', 'GET', '1'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000'],
      ['ACL', 'DELUSER', 'sl'],
    ];
    const [ours, theirs] = await both([redoubt, redis], script);
    assert.ok(!ours![3]!.includes('secret'));
    const args = (s: string): string => s.slice(s.indexOf('$3\r\nacl'), s.indexOf('127.0.0.1'));
    assert.equal(args(ours![3]!), args(theirs![3]!));
  });

  test('ACL CAT <category> lists the same commands as Redis, for the commands Redoubt has', async () => {
    const r = new Redis({ port: redoubt.port, lazyConnect: true });
    const rr = new Redis({ port: redis.port, lazyConnect: true });
    await r.connect();
    await rr.connect();
    try {
      // Every command and subcommand name Redoubt has, from COMMAND's own rows.
      const ours = new Set<string>();
      for (const row of (await r.call('COMMAND')) as unknown[][]) {
        ours.add(row[0] as string);
        for (const sub of (row[9] ?? []) as unknown[][]) ours.add(sub[0] as string);
      }
      for (const cat of (await rr.call('ACL', 'CAT')) as string[]) {
        const mine = ((await r.call('ACL', 'CAT', cat)) as string[]).sort();
        const theirs = ((await rr.call('ACL', 'CAT', cat)) as string[]).filter((n) => ours.has(n)).sort();
        const known = new Set(mine);
        assert.deepEqual(theirs.filter((n) => !known.has(n)), [], `@${cat}`);
      }
    } finally {
      r.disconnect();
      rr.disconnect();
    }
  });
});

describe('ACL files and config user lines', () => {
  test('ACL SAVE writes what redis-server writes; ACL LOAD reads it back and drops old sessions', async () => {
    const ours = join(work, 'ours.acl');
    const theirs = join(work, 'theirs.acl');
    writeFileSync(ours, '');
    writeFileSync(theirs, '');
    const [rd, rs] = await Promise.all([startRedoubt(['--aclfile', ours]), startRedis(['--aclfile', theirs])]);
    try {
      const script = [
        ['ACL', 'SETUSER', 'alice', 'on', '>a', '%R~r*', '&news', '-@all', '+@read', '(~w* +set)'],
        ['ACL', 'SETUSER', 'bob', 'off', 'nopass'],
        ['ACL', 'SAVE'],
      ];
      await both([rd, rs], script);
      assert.equal(readFileSync(ours, 'latin1'), readFileSync(theirs, 'latin1'));
      const bob = await RawClient.connect(rd.port);
      const admin = await RawClient.connect(rd.port);
      await admin.call('ACL', 'SETUSER', 'bob', 'on');
      assert.equal(await bob.call('AUTH', 'bob', 'x'), '+OK\r\n');
      writeFileSync(ours, readFileSync(ours, 'latin1') + 'user carol on >c ~* +@all\n');
      assert.equal(await admin.call('ACL', 'LOAD'), '+OK\r\n');
      assert.equal(await bob.waitClosed(), true);
      assert.match(await admin.call('ACL', 'LIST'), /user carol on #/);
      assert.match(await admin.call('ACL', 'LIST'), /user bob off nopass/);
      writeFileSync(ours, 'user x on\nnonsense\n');
      const err = await admin.call('ACL', 'LOAD');
      assert.match(err, /should start with user keyword followed by the username\. WARNING: ACL errors detected/);
      assert.match(await admin.call('ACL', 'USERS'), /carol/);
      admin.close();
    } finally {
      await Promise.all([rd.stop(), rs.stop()]);
    }
  });

  test('user lines in the config file, and Redis refusals at startup', async () => {
    const conf = join(work, 'users.conf');
    writeFileSync(conf, 'user alice on >apw ~a* +get (~b* +set)\nuser default on >dpw ~* &* +@all\n');
    const rd = await startRedoubt([], { configFile: conf });
    try {
      const c = await RawClient.connect(rd.port);
      assert.equal(await c.call('PING'), '-NOAUTH Authentication required.\r\n');
      assert.equal(await c.call('AUTH', 'dpw'), '+OK\r\n');
      const list = await c.call('ACL', 'LIST');
      assert.match(list, /user alice on #[0-9a-f]{64} ~a\* resetchannels -@all \+get \(~b\* resetchannels -@all \+set\)/);
      c.close();
    } finally {
      await rd.stop();
    }
    const refuse = (text: string, ...flags: string[]): string => {
      writeFileSync(conf, text);
      const r = spawnSync(process.execPath, [REDOUBT_MAIN, conf, '--port', '0', ...flags], { encoding: 'latin1' });
      assert.equal(r.status, 1);
      return r.stderr + r.stdout;
    };
    const aclfile = join(work, 'x.acl');
    writeFileSync(aclfile, 'user a on\n');
    assert.match(refuse(`user alice on\naclfile ${aclfile}\n`), /users defined in redis\.conf and at the same setting an ACL file path is invalid/);
    assert.match(refuse('user alice on bogus\n'), /Error in user declaration 'alice': Syntax error/);
    assert.match(refuse('user alice on\nuser alice off\n'), /Duplicate user found/);
    assert.match(refuse('user alice on +nosuch\n'), /Error loading ACL rule '\+nosuch' for the user named 'alice'/);
    writeFileSync(aclfile, 'user a on\nuser b bogus\n');
    assert.match(refuse('', '--aclfile', aclfile), /Aborting Redis startup because of ACL errors: .*x\.acl:2: Syntax error\./);
  });
});
