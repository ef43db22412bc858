// A Redoubt replica against a hostile or broken primary: a raw socket server in the test that
// answers the handshake and then sends garbage, a huge bulk length, a truncated RDB, a damaged
// RDB, a slow drip, an endless line, an endless stream, or a valid sync followed by commands a
// primary has no business sending (CONFIG SET, MODULE LOAD, DEBUG). Each time the replica stays
// up, answers its other clients, keeps the data it had (nothing is flushed before a payload has
// been verified whole), holds memory to its bounds, and connects again a second later, as Redis
// does.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { sleep, until as waitUntil } from './helpers/workload-target.js';

const ID = 'a'.repeat(40);

const servers: RunningServer[] = [];
const clients: Redis[] = [];
const fakes: net.Server[] = [];
const dirs: string[] = [];
after(async () => {
  for (const c of clients) c.disconnect();
  for (const f of fakes) f.close();
  await Promise.all(servers.map((s) => s.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const until = (what: string, check: () => Promise<boolean> | boolean, ms = 15000): Promise<void> => waitUntil(what, check, ms);

/** A valid RDB file holding `k1`..`k3`, saved by the real redis-server. */
async function validRdb(): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-fake-'));
  dirs.push(dir);
  const s = await startRedis(['--dir', dir]);
  servers.push(s);
  const c = new Redis({ port: s.port, maxRetriesPerRequest: 0 });
  clients.push(c);
  await c.mset('k1', 'v1', 'k2', 'v2', 'k3', 'v3');
  await c.save();
  return readFileSync(join(dir, 'dump.rdb'));
}

/**
 * A fake primary: answers PING, AUTH and REPLCONF like one, then hands the socket to `psync`
 * when the replica sends PSYNC. Counts connections.
 */
async function fakePrimary(psync: (socket: net.Socket) => void): Promise<{ port: number; connections: () => number }> {
  const port = await freePort();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    let buf = '';
    let synced = false;
    socket.on('data', (d: Buffer) => {
      if (synced) return;
      buf += d.latin1Slice();
      for (;;) {
        // The replica speaks RESP arrays; the command name is the first bulk.
        const m = /^\*(\d+)\r\n((?:\$\d+\r\n[^\r]*\r\n)+)/.exec(buf);
        if (m === null) break;
        buf = buf.slice(m[0].length);
        const verb = (/\$\d+\r\n([^\r]*)\r\n/.exec(m[2] ?? '')?.[1] ?? '').toUpperCase();
        if (verb === 'PING') socket.write('+PONG\r\n');
        else if (verb === 'PSYNC') {
          synced = true;
          psync(socket);
          return;
        } else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  fakes.push(server);
  return { port, connections: () => connections };
}

/** A Redoubt with data of its own, told to follow the fake primary. */
async function replicaOf(port: number, extra: string[] = []): Promise<{ server: RunningServer; c: Redis }> {
  const server = await startRedoubt(['--replica-allowed-primaries', '127.0.0.1', ...extra]);
  servers.push(server);
  const c = new Redis({ port: server.port, maxRetriesPerRequest: 0 });
  clients.push(c);
  await c.set('mine', 'kept');
  assert.equal(await c.call('REPLICAOF', '127.0.0.1', String(port)), 'OK');
  return { server, c };
}

/** The replica answers, still has its own data, and the process is alive. */
async function stillServing(c: Redis, server: RunningServer): Promise<void> {
  assert.equal(server.process.exitCode, null);
  const t = Date.now();
  assert.equal(await c.ping(), 'PONG');
  assert.equal(await c.get('mine'), 'kept');
  assert.ok(Date.now() - t < 1000, 'answered promptly');
}

describe('a hostile primary', () => {
  test('garbage instead of the payload: refused, data kept, connects again', async () => {
    const fake = await fakePrimary((s) => s.write(`+FULLRESYNC ${ID} 0\r\nGARBAGE\x00\x01\r\n`));
    const { server, c } = await replicaOf(fake.port);
    await until('a second attempt', () => fake.connections() >= 2);
    await stillServing(c, server);
    assert.match(server.output(), /Bad protocol from MASTER, the first byte is not '\$'/);
  });

  test('a garbage reply to PSYNC and to PING', async () => {
    const fake = await fakePrimary((s) => s.write('\x16\x03\x01 nonsense\r\n'));
    const { server, c } = await replicaOf(fake.port);
    await until('a second attempt', () => fake.connections() >= 2);
    await stillServing(c, server);
    assert.match(server.output(), /Unexpected reply to PSYNC from master/);
  });

  test('a huge bulk length is refused before anything is allocated', async () => {
    const fake = await fakePrimary((s) => s.write(`+FULLRESYNC ${ID} 0\r\n$99999999999999\r\n`));
    const { server, c } = await replicaOf(fake.port, ['--maxmemory', '200mb']);
    await until('a second attempt', () => fake.connections() >= 2);
    await stillServing(c, server);
    assert.match(server.output(), /RDB of 99999999999999 bytes is larger than this server can hold/);
  });

  test('a truncated RDB leaves the data as it was', async () => {
    const rdb = await validRdb();
    const fake = await fakePrimary((s) => {
      s.write(`+FULLRESYNC ${ID} 0\r\n$${rdb.length}\r\n`);
      s.end(rdb.subarray(0, rdb.length - 10));
    });
    const { server, c } = await replicaOf(fake.port);
    await until('a second attempt', () => fake.connections() >= 2);
    await stillServing(c, server);
    assert.equal(await c.get('k1'), null);
  });

  test('a damaged RDB (checksum) and a diskless one with trailing junk are verified before the data is dropped', async () => {
    const rdb = Buffer.from(await validRdb());
    const damaged = Buffer.from(rdb);
    const at = damaged.indexOf('v2');
    damaged[at] = 0x77;
    const fake = await fakePrimary((s) => s.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID} 0\r\n$${damaged.length}\r\n`), damaged])));
    const { server, c } = await replicaOf(fake.port);
    await until('the refusal', () => /the RDB from the primary is not valid/.test(server.output()));
    await stillServing(c, server);
    assert.equal(await c.get('k2'), null);
    const mark = 'M'.repeat(40);
    const junk = await fakePrimary((s) => s.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID} 0\r\n$EOF:${mark}\r\n`), rdb, Buffer.from('junk' + mark)])));
    const other = await replicaOf(junk.port);
    await until('the refusal', () => /trailing data after the end of the RDB/.test(other.server.output()));
    await stillServing(other.c, other.server);
  });

  test('a valid sync, then commands no primary may make a replica run', async () => {
    const rdb = await validRdb();
    const dir = mkdtempSync(join(tmpdir(), 'redoubt-evil-'));
    dirs.push(dir);
    const cmd = (...argv: string[]): string => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const fake = await fakePrimary((s) => {
      s.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID} 0\r\n$${rdb.length}\r\n`), rdb]));
      s.write(cmd('SELECT', '0') + cmd('CONFIG', 'SET', 'dir', dir) + cmd('MODULE', 'LOAD', '/tmp/evil.so') + cmd('DEBUG', 'SLEEP', '5') + cmd('ACL', 'SETUSER', 'evil', 'on', 'nopass', '+@all') + cmd('SET', 'applied', 'yes'));
    });
    const { server, c } = await replicaOf(fake.port);
    await until('the stream to be applied', async () => (await c.get('applied')) === 'yes');
    assert.equal(await c.get('k1'), 'v1', 'the RDB was loaded');
    assert.equal(await c.get('mine'), null, 'a full sync replaces the data');
    const [, dirNow] = (await c.config('GET', 'dir')) as [string, string];
    assert.notEqual(dirNow, dir);
    assert.deepEqual(await c.call('ACL', 'USERS'), ['default']);
    const refused = server.output().match(/Command from the primary refused/g) ?? [];
    assert.equal(refused.length, 4);
    assert.equal(await c.ping(), 'PONG');
  });

  test('a slow drip keeps the replica answering', async () => {
    const drips: NodeJS.Timeout[] = [];
    const fake = await fakePrimary((s) => {
      s.write(`+FULLRESYNC ${ID} 0\r\n$100000\r\nREDIS`);
      const timer = setInterval(() => s.write('0'), 50);
      drips.push(timer);
      s.on('close', () => clearInterval(timer));
    });
    const { server, c } = await replicaOf(fake.port);
    await until('the transfer to start', async () => /master_sync_in_progress:1/.test(await c.info('replication')));
    for (let i = 0; i < 10; i++) {
      await stillServing(c, server);
      await sleep(50);
    }
    assert.match(await c.info('replication'), /master_sync_read_bytes:\d+/);
    for (const t of drips) clearInterval(t);
  });

  test('an endless line and an endless stream end the link, not the memory', async () => {
    const fake = await fakePrimary((s) => {
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = (): void => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', pump);
      };
      s.write('+FULLRESYNC ');
      pump();
    });
    const { server, c } = await replicaOf(fake.port);
    await until('a second attempt', () => fake.connections() >= 2);
    await stillServing(c, server);
    assert.match(server.output(), /a line of more than 65536 bytes/);

    const rdb = await validRdb();
    const endless = await fakePrimary((s) => {
      s.write(Buffer.concat([Buffer.from(`+FULLRESYNC ${ID} 0\r\n$${rdb.length}\r\n`), rdb, Buffer.from('*2\r\n$3\r\nSET\r\n$100000000\r\n')]));
      const chunk = Buffer.alloc(256 * 1024, 0x42);
      const pump = (): void => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', pump);
      };
      pump();
    });
    const other = await replicaOf(endless.port, ['--client-query-buffer-limit', '4mb']);
    await until('the link to be closed', () => /passed client-query-buffer-limit/.test(other.server.output()), 20000);
    assert.equal(await other.c.ping(), 'PONG');
    const used = Number(/used_memory:(\d+)/.exec(await other.c.info('memory'))?.[1]);
    assert.ok(used < 200 * 1024 * 1024, `used_memory ${used}`);
  });
});
