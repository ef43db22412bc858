// The meta-test that keeps the command table honest: for every command Redoubt has, COMMAND INFO
// must equal the real redis-server's (byte for byte where Redis's order is fixed; subcommands of
// containers come out of a hash table in Redis, so those are compared as sets), and COMMAND DOCS
// must have Redis's shape, group and version. Also COMMAND COUNT/LIST/GETKEYS behaviour.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerPair, useValkey } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { METADATA_OF_72 } from './helpers/command-info.js';

/** A parsed RESP value that keeps the type byte, so a set never passes for an array. */
export type Resp = { t: string; v: string | number | null | Resp[] };

export function parseResp(buf: Buffer): Resp {
  let pos = 0;
  const line = (): string => {
    const end = buf.indexOf('\r\n', pos);
    const s = buf.toString('latin1', pos, end);
    pos = end + 2;
    return s;
  };
  const one = (): Resp => {
    const t = String.fromCharCode(buf[pos]!);
    pos++;
    const head = line();
    switch (t) {
      case '+': case '-': case ',': case '(': case '#':
        return { t, v: head };
      case ':':
        return { t, v: Number(head) };
      case '_':
        return { t, v: null };
      case '$': case '=': case '!': {
        const n = Number(head);
        if (n < 0) return { t, v: null };
        const s = buf.toString('latin1', pos, pos + n);
        pos += n + 2;
        return { t, v: s };
      }
      default: {
        let n = Number(head);
        if (n < 0) return { t, v: null };
        if (t === '%') n *= 2;
        const items: Resp[] = [];
        for (let i = 0; i < n; i++) items.push(one());
        return { t, v: items };
      }
    }
  };
  return one();
}

const items = (r: Resp): Resp[] => (Array.isArray(r.v) ? r.v : []);
/** A scalar's text ('' for nil or absent); an aggregate where a scalar belongs fails the test. */
function str(r: Resp | undefined): string {
  if (r === undefined || r.v === null) return '';
  if (Array.isArray(r.v)) throw new Error(`a scalar reply was expected, not an aggregate of type ${r.t}`);
  return String(r.v);
}

/** Subcommand lists sorted by name, at any depth, so hash order does not matter. */
function normalizeInfo(r: Resp): Resp {
  if (!Array.isArray(r.v) || r.v.length !== 10) return r;
  const v = r.v.slice();
  const subs = v[9]!;
  if (Array.isArray(subs.v)) {
    v[9] = { t: subs.t, v: subs.v.map(normalizeInfo).sort((a, b) => (str(items(a)[0]) < str(items(b)[0]) ? -1 : 1)) };
  }
  return { t: r.t, v };
}

/** Map entries as a JS object (RESP3 map or RESP2 flat array). */
function toObject(r: Resp): Record<string, Resp> {
  const out: Record<string, Resp> = {};
  const v = items(r);
  for (let i = 0; i + 1 < v.length; i += 2) out[str(v[i])] = v[i + 1]!;
  return out;
}

/** Commands and subcommands Redoubt has from later Redis versions, absent from the 7.0 reference. */
const NEWER_THAN_70 = new Set([
  'client|no-touch', 'client|setinfo', 'waitaof',
  // Hash-field expiration (7.4, 8.0): compared with Redis 8.0.2 in hash-ttl.test.ts.
  'hexpire', 'hpexpire', 'hexpireat', 'hpexpireat', 'httl', 'hpttl', 'hexpiretime', 'hpexpiretime', 'hpersist', 'hgetex', 'hsetex', 'hgetdel',
]);

const { redoubtRaw: ours, redisRaw: redisRaw } = useServerPair({ raw: true });
const valkey = useValkey();
let valkeyRaw: RawClient | null = null;
/** Connects to valkey-server once, from the first test on (its fixture starts it in a hook). */
async function connectValkey(resp: string): Promise<void> {
  valkeyRaw ??= await RawClient.connect(valkey.port);
  await call(valkeyRaw, 'HELLO', resp);
}
after(() => valkeyRaw?.close());
/** The reference for a command's metadata: valkey-server for what Redis 7.2 changed. */
const theirsFor = (name: string): RawClient => {
  if (METADATA_OF_72.has(name) && valkeyRaw !== null) return valkeyRaw;
  return redisRaw;
};
const theirs = redisRaw;

async function call(c: RawClient, ...argv: string[]): Promise<Buffer> {
  c.write(RawClient.encode(argv));
  const r = await c.read(10000);
  if (r === null) throw new Error('closed');
  return r;
}

async function ourCommandNames(): Promise<string[]> {
  return items(parseResp(await call(ours, 'COMMAND', 'LIST'))).map((r) => str(r)).filter((n) => !n.includes('|'));
}

for (const resp of [2, 3] as const) {
  test(`COMMAND INFO of every command matches redis-server (RESP${resp})`, async (t) => {
    await call(ours, 'HELLO', String(resp));
    await call(theirs, 'HELLO', String(resp));
    await connectValkey(String(resp));
    const names = (await ourCommandNames()).filter((n) => !NEWER_THAN_70.has(n));
    assert.ok(names.length > 20, 'the table has commands');
    for (const name of names) {
      await t.test(name, async () => {
        const mine = await call(ours, 'COMMAND', 'INFO', name);
        const ref = await call(theirsFor(name), 'COMMAND', 'INFO', name);
        const refInfo = items(parseResp(ref))[0]!;
        assert.notEqual(refInfo.v, null, `${name} is not a Redis 7.0 command`);
        const subs = items(refInfo)[9];
        if (subs === undefined || items(subs).length === 0) {
          assert.equal(mine.toString('latin1'), ref.toString('latin1'));
          return;
        }
        // A container: its own fields byte-equal after sorting, each subcommand we have equal to Redis's.
        const m = normalizeInfo(items(parseResp(mine))[0]!);
        const r = normalizeInfo(refInfo);
        assert.deepEqual(items(m).slice(0, 9), items(r).slice(0, 9), `${name} itself`);
        const refSubs = new Map(items(items(r)[9]!).map((s) => [str(items(s)[0]), s] as const));
        const missing: string[] = [];
        for (const sub of items(items(m)[9]!)) {
          const subName = str(items(sub)[0]);
          if (NEWER_THAN_70.has(subName)) continue;
          const refSub = refSubs.get(subName);
          assert.ok(refSub, `${subName} is not a Redis 7.0 subcommand`);
          assert.deepEqual(sub, refSub, subName);
          refSubs.delete(subName);
        }
        for (const left of refSubs.keys()) missing.push(left);
        if (missing.length > 0) t.diagnostic(`${name}: not implemented yet: ${missing.sort().join(' ')}`);
      });
    }
  });
}

test('COMMAND DOCS of every command has Redis shape, group and version', async (t) => {
  await call(ours, 'HELLO', '3');
  await call(theirs, 'HELLO', '3');
  await connectValkey('3');
  const names = await ourCommandNames();
  const allowed = ['summary', 'since', 'group', 'complexity', 'doc_flags', 'deprecated_since', 'replaced_by', 'history', 'arguments', 'subcommands'];
  const check = (name: string, mine: Resp, ref: Resp | undefined, noArgs: string[]): void => {
    assert.equal(mine.t, '%', `${name}: docs are a map`);
    const m = toObject(mine);
    const keys = Object.keys(m);
    assert.deepEqual(keys, allowed.filter((k) => keys.includes(k)), `${name}: fields in Redis's order`);
    assert.ok(str(m['summary']).length > 0, `${name}: has a summary`);
    if (ref === undefined) return;
    const r = toObject(ref);
    assert.equal(str(m['since']), str(r['since']), `${name}: since`);
    assert.equal(str(m['group']), str(r['group']), `${name}: group`);
    if (m['arguments'] !== undefined) assert.deepEqual(m['arguments'], r['arguments'], `${name}: arguments`);
    else if (r['arguments'] !== undefined) noArgs.push(name);
    // History entries are prose in each side's own words; the versions must agree.
    const versions = (h: Resp | undefined): string[] => (h ? items(h).map((e) => str(items(e)[0])) : []);
    if (m['history'] !== undefined) assert.deepEqual(versions(m['history']), versions(r['history']), `${name}: history`);
    if (m['subcommands'] !== undefined) {
      const refSubs = r['subcommands'] ? toObject(r['subcommands']) : {};
      const mineSubs = toObject(m['subcommands']);
      for (const [sub, d] of Object.entries(mineSubs)) check(sub, d, NEWER_THAN_70.has(sub) ? undefined : refSubs[sub], noArgs);
    }
  };
  const noArgs: string[] = [];
  for (const name of names) {
    await t.test(name, async () => {
      const mine = toObject(parseResp(await call(ours, 'COMMAND', 'DOCS', name)));
      const ref = toObject(parseResp(await call(theirsFor(name), 'COMMAND', 'DOCS', name)));
      assert.ok(mine[name], `${name} has docs`);
      check(name, mine[name], ref[name], noArgs);
    });
  }
  if (noArgs.length > 0) t.diagnostic(`docs without arguments: ${noArgs.join(' ')}`);
});

describe('COMMAND subcommands', () => {
  const same = async (...argv: string[]): Promise<void> => {
    const [a, b] = [await call(ours, ...argv), await call(theirs, ...argv)];
    assert.equal(a.toString('latin1'), b.toString('latin1'), argv.join(' '));
  };

  test('COUNT and bare COMMAND agree with the table', async () => {
    await call(ours, 'HELLO', '2');
    await call(theirs, 'HELLO', '2');
    const count = Number(parseResp(await call(ours, 'COMMAND', 'COUNT')).v);
    const all = items(parseResp(await call(ours, 'COMMAND')));
    assert.equal(all.length, count);
    const infoAll = items(parseResp(await call(ours, 'COMMAND', 'INFO')));
    assert.equal(infoAll.length, count);
    const list = items(parseResp(await call(ours, 'COMMAND', 'LIST'))).map(str);
    assert.equal(list.filter((n) => !n.includes('|')).length, count);
    assert.ok(list.includes('client|list') && list.includes('command|getkeys'));
  });

  test('LIST filters', async () => {
    const byPattern = items(parseResp(await call(ours, 'COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'client|k*'))).map(str);
    assert.deepEqual(byPattern, ['client|kill']);
    const byCat = items(parseResp(await call(ours, 'COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'connection'))).map(str);
    assert.ok(byCat.includes('ping') && byCat.includes('client|id') && !byCat.includes('client'));
    await same('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x');
    await same('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch');
    await same('COMMAND', 'LIST', 'FILTERBY', 'foo', 'x');
    await same('COMMAND', 'LIST', 'FILTERBY', 'PATTERN');
    await same('COMMAND', 'LIST', 'foo');
  });

  test('INFO and DOCS by name, unknown names, full names', async () => {
    await same('COMMAND', 'INFO', 'nosuch', 'get', 'GET');
    await same('COMMAND', 'INFO', 'client|nosuch', 'get|x', 'a|b|c');
    await same('COMMAND', 'DOCS', 'nosuch');
    const subInfo = items(parseResp(await call(ours, 'COMMAND', 'INFO', 'CLIENT|LIST')))[0]!;
    assert.equal(str(items(subInfo)[0]), 'client|list');
    const docs = toObject(parseResp(await call(ours, 'COMMAND', 'DOCS', 'client|list', 'nosuch')));
    assert.deepEqual(Object.keys(docs), ['client|list']);
  });

  test('GETKEYS and GETKEYSANDFLAGS', async () => {
    await same('COMMAND', 'GETKEYS', 'get', 'k');
    await same('COMMAND', 'GETKEYS', 'nosuch', 'a');
    await same('COMMAND', 'GETKEYS', 'get', 'a', 'b');
    await same('COMMAND', 'GETKEYS', 'ping', 'x');
    await same('COMMAND', 'GETKEYS', 'client', 'list');
    await same('COMMAND', 'GETKEYS', 'client', 'nosuch');
    await same('COMMAND', 'GETKEYS', 'get');
    await same('COMMAND', 'GETKEYSANDFLAGS', 'get', 'k');
    for (const argv of [['mset', 'a', '1', 'b', '2'], ['del', 'a', 'b', 'c'], ['mget', 'x', 'y'], ['rename', 'a', 'b']]) {
      const info = items(parseResp(await call(ours, 'COMMAND', 'INFO', argv[0]!)))[0]!;
      if (info.v === null) continue;
      await same('COMMAND', 'GETKEYS', ...argv);
      await same('COMMAND', 'GETKEYSANDFLAGS', ...argv);
    }
  });

  test('HELP and errors', async () => {
    await same('COMMAND', 'HELP');
    await same('COMMAND', 'COUNT', 'x');
    await same('COMMAND', 'NOSUCH');
  });
});
