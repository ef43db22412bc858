// Malformed ACL selectors and key-permission rules, next to redis-server 7.0 (Debian's 7.0.15,
// which carries the CVE-2024-31227 and CVE-2024-51741 fixes): `%` rules without R or W are a
// syntax error instead of a user the server later panics on; parenthesis mistakes are refused as
// Redis 7.2 does (#12452); a refused ACL SETUSER leaves the user exactly as it was. Then random
// rule lists, compared with Redis reply for reply and user for user.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { useServerPair } from './helpers/servers.js';
import { errorMessage } from './helpers/rejection.js';

const { redisClient: ref, redoubtClient: cli } = useServerPair({ redisClient: {}, redoubtClient: {} });

async function setuser(c: Redis, user: string, rules: readonly string[]): Promise<string> {
  return c.call('ACL', 'SETUSER', user, ...rules).then(String, errorMessage);
}

/** The user as ACL LIST prints it, or null when there is none. */
async function listed(c: Redis, user: string): Promise<string | null> {
  const lines = (await c.call('ACL', 'LIST')) as string[];
  return lines.find((l) => l.startsWith(`user ${user} `)) ?? null;
}

describe('ACL selector validation', () => {
  test('a % rule needs R and/or W: CVE-2024-31227 and CVE-2024-51741', async () => {
    for (const c of [ref, cli]) {
      assert.equal(await setuser(c, 'invalid', ['%~']), "ERR Error in ACL SETUSER modifier '%~': Syntax error");
      assert.equal(await setuser(c, 'invalid', ['%']), "ERR Error in ACL SETUSER modifier '%': Syntax error");
      assert.equal(await setuser(c, 'invalid', ['%~foo']), "ERR Error in ACL SETUSER modifier '%~foo': Syntax error");
      assert.equal(await setuser(c, 'invalid', ['(%~)']), "ERR Error in ACL SETUSER modifier '(%~)': Syntax error");
      assert.equal(await setuser(c, 'invalid', ['on', 'nopass', '(%)']), "ERR Error in ACL SETUSER modifier '(%)': Syntax error");
      assert.equal(await listed(c, 'invalid'), null);
      // The valid forms, empty pattern included ("%RW" without '~' stays accepted, as Redis keeps it).
      assert.equal(await setuser(c, 'nokey', ['on', 'nopass', '%RW~', '+@all']), 'OK');
      assert.equal(await setuser(c, 'omit', ['on', 'nopass', '%RW', '+@all']), 'OK');
      assert.equal(
        await c.call('ACL', 'DRYRUN', 'omit', 'GET', 'x'),
        // Redis 7.2's wording on Redoubt; 7.0's on redis-server.
        c === cli ? "User omit has no permissions to access the 'x' key" : "This user has no permissions to access the 'x' key",
      );
      assert.equal(await c.call('ACL', 'DRYRUN', 'omit', 'GET', ''), 'OK');
      assert.deepEqual(await c.call('ACL', 'GETUSER', 'omit'), await c.call('ACL', 'GETUSER', 'nokey'));
      await c.call('ACL', 'DELUSER', 'nokey', 'omit');
    }
  });

  test('parenthesis mistakes are refused as Redis 7.2 refuses them (#12452)', async () => {
    // Redis 7.0.15 accepts the first with only +DEL applied; 7.2 and Redoubt refuse all three.
    assert.equal(
      await setuser(cli, 'syntax', ['on', '(+PING', '(+SELECT', '(+DEL', ')']),
      "ERR Error in ACL SETUSER modifier '(+PING (+SELECT (+DEL )': Syntax error",
    );
    assert.equal(
      await setuser(cli, 'syntax', ['on', '(+PING', '(+SELECT', '(+DEL', ')', ')', ')']),
      "ERR Error in ACL SETUSER modifier '(+PING (+SELECT (+DEL )': Syntax error",
    );
    assert.equal(
      await setuser(cli, 'syntax', ['on', '(+PING', '(+SELECT', '(+DEL']),
      "ERR Unmatched parenthesis in acl selector starting at '(+PING'.",
    );
    assert.equal(await listed(cli, 'syntax'), null);
    // The cases 7.0 already answers right are the same in both.
    for (const rules of [['(&*', '&fail)'], ['(~*', '~x)'], ['('], [')'], ['((~x))'], ['(~x', '(~y)', ')'], ['x(~x)']]) {
      assert.equal(await setuser(cli, 'syntax', rules), await setuser(ref, 'syntax', rules), rules.join(' '));
      assert.equal(await listed(cli, 'syntax'), null);
    }
  });

  test('a refused SETUSER leaves an existing user exactly as it was', async () => {
    const rules = ['on', '>secret', '~app:*', '%R~cache:*', '&news', '-@all', '+get', '+set', '(~other:* +hget)'];
    for (const c of [ref, cli]) {
      assert.equal(await setuser(c, 'keep', rules), 'OK');
      const before = [await listed(c, 'keep'), await c.call('ACL', 'GETUSER', 'keep')];
      for (const bad of [['%'], ['%~x'], ['(%)'], ['~more', '%W', '%X~y'], ['(~a', '(+get)', ')'], ['+nosuchcommand'], ['(~x']]) {
        assert.match(await setuser(c, 'keep', bad), /^ERR /);
        assert.deepEqual([await listed(c, 'keep'), await c.call('ACL', 'GETUSER', 'keep')], before, bad.join(' '));
      }
      await c.call('ACL', 'DELUSER', 'keep');
    }
  });
});

/** Rule words built from the fragments selectors are made of. */
const fragment = fc.constantFrom('%', 'R', 'W', 'r', 'X', '~', '~*', '&', '&*', '*', 'x', 'k:', '(', ')', '+get', '-set', '+@read', '-@all', 'on', 'off', 'resetkeys', 'resetchannels', 'allkeys', 'clearselectors', ' ');
const word = fc.array(fragment, { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
const ruleList = fc.array(word, { minLength: 1, maxLength: 6 });

/**
 * Whether Redis 7.0's merging of "(" words goes wrong on these (#12452, fixed in 7.2): a word
 * opening a selector while one is already open.
 */
function hits12452(words: readonly string[]): boolean {
  let open = false;
  for (const w of words) {
    const opens = w.startsWith('(') && !w.endsWith(')');
    if (opens && open) return true;
    if (opens) open = true;
    else if (open && w.endsWith(')')) open = false;
  }
  return false;
}

/** A user's GETUSER reply with command rules as sets: Redis lists single commands in hash order. */
function normalise(user: unknown): unknown {
  if (!Array.isArray(user)) return user;
  return user.map((v: unknown, i: number) => {
    const prev: unknown = i > 0 ? user[i - 1] : null;
    if (prev === 'commands' && typeof v === 'string') return v.split(' ').sort().join(' ');
    if (prev === 'selectors') return normalise((v as unknown[]).map(normalise));
    return Array.isArray(v) ? normalise(v) : v;
  });
}

describe('random ACL rule lists against Redis 7.0', () => {
  test('same reply, and the same user afterwards', async () => {
    const samples = fc.sample(ruleList, { numRuns: 600, seed: 51741 });
    let compared = 0;
    for (const rules of samples) {
      const flat = rules.flatMap((w) => (w.trim() === '' ? [] : [w]));
      if (flat.length === 0) continue;
      const ours = await setuser(cli, 'fuzz', flat);
      const oursUser = normalise(await cli.call('ACL', 'GETUSER', 'fuzz'));
      // Redoubt must answer, stay up and keep a describable user whatever the rules.
      assert.ok(ours === 'OK' || ours.startsWith('ERR '), `${flat.join(' ')} -> ${ours}`);
      assert.ok((await listed(cli, 'fuzz')) !== null || ours !== 'OK');
      if (!hits12452(flat)) {
        const theirs = await setuser(ref, 'fuzz', flat);
        assert.equal(ours, theirs, flat.join(' '));
        assert.deepEqual(oursUser, normalise(await ref.call('ACL', 'GETUSER', 'fuzz')), flat.join(' '));
        compared++;
      }
      await Promise.all([cli.call('ACL', 'DELUSER', 'fuzz'), ref.call('ACL', 'DELUSER', 'fuzz')]);
    }
    assert.ok(compared > 400, `only ${compared} compared`);
    assert.equal(await cli.ping(), 'PONG');
  });
});
