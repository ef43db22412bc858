// Redis 7.2 behaviour that the differential corpus cannot show byte for byte (counters, times,
// client ids), compared with valkey-server 8.0.1 in RESP2 and RESP3; and what Redoubt's auditor
// reports for a real Redoubt server and a real valkey-server (docs/compatibility.md).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REDOUBT_MAIN, useServerPair, useValkey, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const debug = ['--enable-debug-command', 'yes'];
const { redoubt } = useServerPair({ args: debug });
const valkey = useValkey(debug);

/** The `name:value` lines of an INFO reply (RESP2 bulk or RESP3 verbatim) that start with `prefix`. */
function infoLines(reply: string, prefix: string): string[] {
  return reply.split('\r\n').filter((l) => l.startsWith(prefix));
}

/** Denials of each kind (command, key, channel, failed AUTH), then INFO's counters and ACL LOG. */
async function denials(server: RunningServer, resp: 2 | 3): Promise<{ counters: string[]; log: string[]; ids: number[] }> {
  // Counters run from the server's start (CONFIG RESETSTAT keeps them): each run reads a difference.
  const admin = await RawClient.connect(server.port);
  const user = await RawClient.connect(server.port);
  try {
    if (resp === 3) {
      await admin.call('HELLO', '3');
      await user.call('HELLO', '3');
    }
    const before = infoLines(await admin.call('INFO', 'stats'), 'acl_access_denied_');
    await admin.call('ACL', 'LOG', 'RESET');
    await admin.call('ACL', 'SETUSER', 'den', 'on', '>pw', '~k*', '&ch', '+get', '+publish');
    assert.match(await user.call('AUTH', 'den', 'pw'), /^\+OK/);
    await user.call('SET', 'k1', 'v');
    await user.call('GET', 'other');
    await user.call('GET', 'other');
    await user.call('PUBLISH', 'nope', 'm');
    await user.call('AUTH', 'den', 'wrong');
    await user.call('AUTH', 'nouser', 'pw');
    const count = (l: string): number => Number(l.slice(l.indexOf(':') + 1));
    const counted = infoLines(await admin.call('INFO', 'stats'), 'acl_access_denied_');
    const counters = counted.map((l, i) => `${l.slice(0, l.indexOf(':'))}:${count(l) - count(before[i] ?? ':0')}`);
    await admin.call('CONFIG', 'RESETSTAT');
    const afterReset = infoLines(await admin.call('INFO', 'stats'), 'acl_access_denied_');
    assert.deepEqual(afterReset, counted, 'CONFIG RESETSTAT keeps the ACL counters');
    // Field names and entry ids: a map in RESP3, a flat array in RESP2; the rest varies by server.
    const raw = await admin.call('ACL', 'LOG');
    const log = [...raw.matchAll(/\$\d+\r\n([a-z-]+)\r\n/g)].map((m) => m[1] ?? '').filter((f) => /^(count|reason|context|object|username|age-seconds|client-info|entry-id|timestamp-created|timestamp-last-updated)$/.test(f));
    const ids = [...raw.matchAll(/entry-id\r\n:(\d+)\r\n/g)].map((m) => Number(m[1]));
    const stamps = [...raw.matchAll(/timestamp-(?:created|last-updated)\r\n:(\d+)\r\n/g)].map((m) => Number(m[1]));
    for (const t of stamps) assert.ok(Math.abs(t - Date.now()) < 10000, `timestamp ${t}`);
    await admin.call('ACL', 'DELUSER', 'den');
    return { counters, log, ids };
  } finally {
    admin.close();
    user.close();
  }
}

for (const resp of [2, 3] as const) {
  describe(`Redis 7.2 ACL accounting [RESP${resp}]`, () => {
    test('INFO acl_access_denied_* and ACL LOG entry ids as valkey-server counts them', async () => {
      const ours = await denials(redoubt, resp);
      const theirs = await denials(valkey, resp);
      assert.deepEqual(ours, theirs);
      assert.deepEqual(ours.counters, ['acl_access_denied_auth:2', 'acl_access_denied_cmd:1', 'acl_access_denied_key:2', 'acl_access_denied_channel:1']);
      assert.equal(ours.ids.length, 5, 'two key denials merge into one entry');
    });
  });
}

/** A transaction whose key's TTL runs out while it runs (DEBUG SLEEP in between); scripts: scripting.test.ts. */
async function frozenTime(server: RunningServer, resp: 2 | 3): Promise<string[]> {
  const c = await RawClient.connect(server.port);
  try {
    if (resp === 3) await c.call('HELLO', '3');
    await c.call('FLUSHALL');
    const out = [await c.call('MULTI')];
    for (const argv of [['SET', 'k', 'v', 'PX', '100'], ['DEBUG', 'SLEEP', '0.2'], ['EXISTS', 'k'], ['PTTL', 'k'], ['GET', 'k']]) out.push(await c.call(...argv));
    out.push(await c.call('EXEC'));
    out.push(await c.call('EXISTS', 'k'));
    return out;
  } finally {
    c.close();
  }
}

for (const resp of [2, 3] as const) {
  describe(`Redis 7.2 time frozen within a command [RESP${resp}]`, () => {
    test('a key does not expire halfway through EXEC, as on valkey-server', async () => {
      const ours = await frozenTime(redoubt, resp);
      assert.deepEqual(ours, await frozenTime(valkey, resp));
      // EXEC's replies: OK, then the key still there with its whole TTL; gone afterwards.
      assert.match(ours[6] ?? '', /^\*5\r\n\+OK\r\n\+OK\r\n:1\r\n:100\r\n\$1\r\nv\r\n$/);
      assert.equal(ours[7], ':0\r\n');
    });
  });
}

/**
 * A blocked BLPOP whose user loses the right meanwhile. (A blocked group reader whose key goes
 * keeps Redis 7.0's reply: stream.test.ts compares it with redis-server 7.0.)
 */
async function unblocked(server: RunningServer, resp: 2 | 3): Promise<string[]> {
  const [admin, u] = await Promise.all([RawClient.connect(server.port), RawClient.connect(server.port)]);
  const read = async (): Promise<string> => (await u.read())?.toString('latin1') ?? '<closed>';
  try {
    if (resp === 3) await u.call('HELLO', '3');
    await admin.call('ACL', 'SETUSER', 'bu', 'on', 'nopass', '+@all', '~*');
    const out = [await u.call('AUTH', 'bu', 'x')];
    u.write(RawClient.encode(['BLPOP', 'bl', '0']));
    await admin.call('CLIENT', 'LIST');
    await admin.call('ACL', 'SETUSER', 'bu', '-blpop');
    await admin.call('RPUSH', 'bl', 'x');
    out.push(await read());
    out.push(await admin.call('LLEN', 'bl'));
    const stats = (await admin.call('INFO', 'commandstats')).split('\r\n').filter((l) => l.startsWith('cmdstat_blpop:'));
    out.push(...stats.map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')));
    await admin.call('ACL', 'DELUSER', 'bu');
    await admin.call('DEL', 'bl');
    await admin.call('CONFIG', 'RESETSTAT');
    return out;
  } finally {
    admin.close();
    u.close();
  }
}

for (const resp of [2, 3] as const) {
  describe(`Redis 7.2 checks a blocked command again when it is served [RESP${resp}]`, () => {
    test('NOPERM for rights taken away while blocked', async () => {
      const ours = await unblocked(redoubt, resp);
      assert.deepEqual(ours, await unblocked(valkey, resp));
      assert.equal(ours[3], 'cmdstat_blpop:calls=0,rejected_calls=1,failed_calls=0');
      assert.equal(ours[1], "-NOPERM User bu has no permissions to run the 'blpop' command\r\n");
      assert.equal(ours[2], ':1\r\n', 'the refused BLPOP took nothing');
    });
  });
}

describe('RESET', () => {
  test('clears CLIENT NO-EVICT, as Redis 7.2 (#11483)', async () => {
    const flags = async (s: RunningServer): Promise<string[]> => {
      const c = await RawClient.connect(s.port);
      const out = [await c.call('CLIENT', 'NO-EVICT', 'on'), (/ flags=(\S*) /.exec(await c.call('CLIENT', 'INFO')) ?? [])[1] ?? '?', await c.call('RESET')];
      out.push((/ flags=(\S*) /.exec(await c.call('CLIENT', 'INFO')) ?? [])[1] ?? '?');
      c.close();
      return out;
    };
    const ours = await flags(redoubt);
    assert.deepEqual(ours, await flags(valkey));
    assert.deepEqual(ours, ['+OK\r\n', 'e', '+RESET\r\n', 'N']);
  });
});

describe('CLIENT LIST fields', () => {
  test("Redis 7.2's fields in Redis 7.2's order: valkey-server 8.0's less the ones Valkey added", async () => {
    const names = async (s: RunningServer): Promise<string[]> => {
      const c = await RawClient.connect(s.port);
      await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'redoubt-test');
      await c.call('CLIENT', 'SETINFO', 'LIB-VER', '1.2.3');
      const line = await c.call('CLIENT', 'INFO');
      c.close();
      assert.match(line, / lib-name=redoubt-test lib-ver=1\.2\.3/);
      return [...line.matchAll(/ ?([a-z-]+)=/g)].map((m) => m[1] ?? '');
    };
    // watch= is Redis 7.4's; tot-net-in, tot-net-out and tot-cmds are Valkey 8's.
    const valkeyOnly = new Set(['watch', 'tot-net-in', 'tot-net-out', 'tot-cmds']);
    const theirs = (await names(valkey)).filter((n) => !valkeyOnly.has(n));
    assert.deepEqual(await names(redoubt), theirs);
    assert.ok(theirs.includes('ssub') && theirs.includes('multi-mem') && theirs.includes('rbs') && theirs.includes('resp'));
  });
});

interface AuditEndpoint {
  product: string;
  version: string | null;
  fingerprint: { product: string; version: string | null; redisVersion: string | null };
  findings: { id: string; cve: string | null; evidence: string }[];
}

function auditJson(port: number): Promise<AuditEndpoint> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REDOUBT_MAIN, 'audit', '--timeout', '3000', '--json', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', () => {
      try {
        const report = JSON.parse(out) as { endpoints: AuditEndpoint[] };
        const e = report.endpoints[0];
        if (e === undefined) throw new Error('no endpoint in the report');
        resolve(e);
      } catch (e) {
        reject(new Error(`${String(e)}\n${err}`));
      }
    });
  });
}

describe('the auditor names the product by server_name', () => {
  test('a real Redoubt: redoubt and its own version, no Redis CVE whatever redis_version says', async () => {
    const e = await auditJson(redoubt.port);
    assert.equal(e.fingerprint.product, 'redoubt');
    assert.match(e.fingerprint.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(e.fingerprint.redisVersion, '7.0.15');
    assert.deepEqual(e.findings.filter((f) => f.cve !== null || f.id === 'eol-branch'), []);
  });

  test('a real valkey-server 8.0.1: Valkey 8.0.1, matched on the Valkey rows, never on redis_version 7.2.4', async () => {
    const e = await auditJson(valkey.port);
    assert.equal(e.fingerprint.product, 'valkey');
    assert.equal(e.fingerprint.version, '8.0.1');
    assert.equal(e.fingerprint.redisVersion, '7.2.4');
    const cves = e.findings.filter((f) => f.cve !== null);
    for (const f of cves) assert.match(f.evidence, /^valkey 8\.0\.1: /, f.id);
    const ids = new Set(cves.map((f) => f.cve));
    // Fixed in 8.0.6 (Valkey's row), so 8.0.1 has it.
    assert.ok(ids.has('CVE-2025-49844'), [...ids].join(' '));
    // Fixed in Valkey 8.0.1 itself; Redis's row would flag 7.2.4 (fixed there in 7.2.6).
    assert.ok(!ids.has('CVE-2024-31449'));
    assert.ok(!ids.has('CVE-2024-31228'));
    // Redis 7.2 is not end-of-life in the Redis table either; Valkey is not judged by it.
    assert.ok(!e.findings.some((f) => f.id === 'eol-branch'));
  });
});
