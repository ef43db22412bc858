// Authentication: requirepass from the config file and from CONFIG SET, AUTH and HELLO AUTH
// against ACL users, NOAUTH for every command but AUTH/HELLO/QUIT/RESET, RESET logging out, and a
// disabled default user. Replies are compared with redis-server (valkey-server for 7.2's HELLO) started the same way.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { useServerPair, useValkey } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { createCommandTable } from '../src/commands/registry.js';

async function transcript(port: number, script: string[][]): Promise<string[]> {
  const c = await RawClient.connect(port);
  const out: string[] = [];
  for (const argv of script) out.push(c.closed ? '<closed>' : await c.call(...argv));
  c.close();
  return out;
}

describe('requirepass from the configuration', () => {
  const { redis, redoubt } = useServerPair({ args: ['--requirepass', 's3cret'] });
  // HELLO's NOAUTH text and a failed HELLO that changes nothing are Redis 7.2's, which
  // valkey-server 8.0 has.
  const valkey = useValkey(['--requirepass', 's3cret']);
  // HELLO's map carries the client id, the server's name and its version, which differ by design.
  const strip = (s: string): string =>
    s
      .replace(/:\d+\r\n\$4\r\nmode/, ':ID\r\n$4\r\nmode')
      .replace(/\$7\r\nversion\r\n\$\d+\r\n[^\r]*/, 'V')
      .replace(/\$6\r\nserver\r\n\$\d+\r\n[^\r]*/, 'S');

  test('AUTH, HELLO AUTH, WRONGPASS and NOAUTH replies match Redis', async () => {
    const script = [
      ['PING'],
      ['INFO'],
      ['HELLO', '2', 'AUTH', 'default', 'wrong'],
      ['AUTH', 'wrong'],
      ['AUTH', 'default', 'wrong'],
      ['AUTH', 'a', 'b', 'c'],
      ['ACL', 'WHOAMI'],
      ['AUTH', 's3cret'],
      ['ACL', 'WHOAMI'],
      ['ACL', 'GETUSER', 'default'],
      ['ACL', 'LIST'],
      ['RESET'],
      ['GET', 'x'],
      ['HELLO', '2', 'AUTH', 'default', 's3cret', 'SETNAME', 'me'],
      ['CLIENT', 'GETNAME'],
      ['QUIT'],
    ];
    const [ours, theirs] = await Promise.all([transcript(redoubt.port, script), transcript(redis.port, script)]);
    assert.deepEqual(ours.map(strip), theirs.map(strip));
    assert.equal(ours[0], '-NOAUTH Authentication required.\r\n');
    assert.equal(ours[1], '-NOAUTH Authentication required.\r\n');
  });

  test('HELLO before AUTH, and a HELLO that fails, as Redis 7.2', async () => {
    const script = [
      ['HELLO', '3'],
      ['HELLO', '2', 'AUTH', 'default', 's3cret', 'BOGUS'],
      ['ACL', 'WHOAMI'],
      ['HELLO', '3', 'AUTH', 'default', 's3cret', 'SETNAME', 'a b'],
      ['ACL', 'WHOAMI'],
      ['HELLO', '3', 'AUTH', 'default', 'wrong', 'SETNAME', 'me'],
      ['CLIENT', 'GETNAME'],
      ['HELLO', '3', 'AUTH', 'default', 's3cret', 'SETNAME', 'me'],
      ['CLIENT', 'GETNAME'],
      ['QUIT'],
    ];
    const [ours, theirs] = await Promise.all([transcript(redoubt.port, script), transcript(valkey.port, script)]);
    assert.deepEqual(ours.map(strip), theirs.map(strip));
    assert.match(ours[0] ?? '', /^-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH/);
    assert.equal(ours[2], '-NOAUTH Authentication required.\r\n');
  });

  test('every command but AUTH, HELLO, QUIT and RESET answers NOAUTH before authentication', async () => {
    const c = await RawClient.connect(redoubt.port);
    const free = new Set(['auth', 'hello', 'quit', 'reset']);
    // As in Redis, DEBUG and MODULE refused by enable-*-command say so before asking for AUTH;
    // MIGRATE, under Redoubt's enable-migrate-command, too.
    const gated = new Set(['debug', 'module', 'migrate']);
    const problems: string[] = [];
    for (const cmd of createCommandTable().walk()) {
      if (cmd.subcommands !== null) continue;
      const top = cmd.parent ? cmd.parent.spec.name : cmd.spec.name;
      if (free.has(top) || gated.has(top)) continue;
      const words = cmd.parent ? [top, cmd.spec.name] : [top];
      const need = Math.abs(cmd.spec.arity);
      while (words.length < need) words.push('x');
      const reply = await c.call(...words);
      // A refused EXEC aborts the transaction it would run, and says why (as redis-server 7.0 does).
      const expected = top === 'exec' ? '-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n' : '-NOAUTH Authentication required.\r\n';
      if (reply !== expected) problems.push(`${words.join(' ')}: ${reply.trim()}`);
    }
    c.close();
    assert.deepEqual(problems, []);
  });

  test('ioredis with the password works', async () => {
    const good = new Redis({ port: redoubt.port, password: 's3cret', lazyConnect: true });
    await good.connect();
    assert.equal(await good.ping(), 'PONG');
    assert.equal(await good.call('ACL', 'WHOAMI'), 'default');
    good.disconnect();
  });
});

describe('passwords at runtime', () => {
  const { redis, redoubt } = useServerPair();

  test('CONFIG SET requirepass: the default user gets the password; connected clients stay in', async () => {
    for (const s of [redoubt, redis]) {
      const admin = await RawClient.connect(s.port);
      assert.equal(await admin.call('AUTH', 'x'), '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
      assert.equal(await admin.call('CONFIG', 'SET', 'requirepass', 'pw1'), '+OK\r\n');
      assert.equal(await admin.call('PING'), '+PONG\r\n');
      assert.match(await admin.call('ACL', 'LIST'), /user default on #[0-9a-f]{64} ~\* &\* \+@all/);
      const late = await RawClient.connect(s.port);
      assert.equal(await late.call('PING'), '-NOAUTH Authentication required.\r\n');
      assert.equal(await late.call('AUTH', 'pw1'), '+OK\r\n');
      assert.equal(await admin.call('CONFIG', 'SET', 'requirepass', ''), '+OK\r\n');
      assert.equal(await admin.call('ACL', 'LIST'), '*1\r\n$34\r\nuser default on nopass ~* &* +@all\r\n');
      admin.close();
      late.close();
    }
  });

  test('a disabled default user: new connections must authenticate as someone else', async () => {
    const script = [
      ['ACL', 'SETUSER', 'admin1', 'on', '>a', '+@all', '~*', '&*'],
      ['ACL', 'SETUSER', 'default', 'off'],
    ];
    for (const s of [redoubt, redis]) {
      const admin = await RawClient.connect(s.port);
      for (const argv of script) assert.equal(await admin.call(...argv), '+OK\r\n');
      const c = await RawClient.connect(s.port);
      assert.equal(await c.call('PING'), '-NOAUTH Authentication required.\r\n');
      assert.equal(await c.call('AUTH', 'default', 'x'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      assert.equal(await c.call('AUTH', 'admin1', 'a'), '+OK\r\n');
      assert.equal(await c.call('ACL', 'SETUSER', 'default', 'on'), '+OK\r\n');
      assert.equal(await c.call('RESET'), '+RESET\r\n');
      assert.equal(await c.call('ACL', 'WHOAMI'), '$7\r\ndefault\r\n');
      assert.equal(await c.call('ACL', 'DELUSER', 'admin1'), ':1\r\n');
      c.close();
      admin.close();
    }
  });

  test('failed AUTH goes to ACL LOG without the password', async () => {
    const c = await RawClient.connect(redoubt.port);
    await c.call('ACL', 'LOG', 'RESET');
    await c.call('AUTH', 'ghost', 'hunter2');
    const log = await c.call('ACL', 'LOG');
    assert.match(log, /\$6\r\nreason\r\n\$4\r\nauth\r\n/);
    assert.match(log, /\$8\r\nusername\r\n\$5\r\nghost\r\n/);
    assert.ok(!log.includes('hunter2'));
    c.close();
  });
});
