// Client limits on live servers: maxclients (the exact refusal, compared with redis-server),
// idle timeout, and client-output-buffer-limit hard and soft limits against a client that stops
// reading — it must be cut off while the server's memory for it stays bounded.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const started: RunningServer[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function start(kind: 'redoubt' | 'redis', args: string[]): Promise<RunningServer> {
  const s = kind === 'redoubt' ? await startRedoubt(args) : await startRedis(args);
  started.push(s);
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One field of INFO, as a number. */
async function infoField(c: RawClient, field: string): Promise<number> {
  const text = await c.call('INFO', 'everything');
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  assert.ok(m, `INFO has no ${field}`);
  return Number(m[1]);
}

/** What the server sends a connection before closing it, and whether it closed. */
async function firstBytes(port: number): Promise<{ bytes: string; closed: boolean }> {
  const c = await RawClient.connect(port);
  const closed = await c.waitClosed(2000);
  const bytes = c.unread.toString('latin1');
  c.close();
  return { bytes, closed };
}

describe('maxclients', () => {
  test('the client over the limit gets the same bytes as from redis-server, then is closed', async () => {
    const results: { bytes: string; closed: boolean }[] = [];
    for (const kind of ['redoubt', 'redis'] as const) {
      const s = await start(kind, ['--maxclients', '2']);
      // The start helper's readiness probe must be gone before the two slots are taken.
      await sleep(200);
      const a = await RawClient.connect(s.port);
      const b = await RawClient.connect(s.port);
      assert.equal(await a.call('PING'), '+PONG\r\n');
      assert.equal(await b.call('PING'), '+PONG\r\n', kind);
      results.push(await firstBytes(s.port));
      // The two admitted clients still work, and a slot freed is a slot reusable.
      assert.equal(await a.call('PING'), '+PONG\r\n');
      b.close();
      await sleep(100);
      const d = await RawClient.connect(s.port);
      assert.equal(await d.call('PING'), '+PONG\r\n');
      assert.equal(await infoField(a, 'rejected_connections'), 1);
      a.close();
      d.close();
    }
    assert.deepEqual(results[0], { bytes: '-ERR max number of clients reached\r\n', closed: true });
    assert.deepEqual(results[0], results[1]);
  });
});

describe('timeout', () => {
  test('an idle client is closed after the timeout, an active one is not', async () => {
    const s = await start('redoubt', ['--timeout', '1']);
    const idle = await RawClient.connect(s.port);
    const busy = await RawClient.connect(s.port);
    assert.equal(await idle.call('PING'), '+PONG\r\n');
    const deadline = Date.now() + 3500;
    while (Date.now() < deadline) {
      assert.equal(await busy.call('PING'), '+PONG\r\n');
      await sleep(200);
    }
    assert.equal(idle.closed, true, 'idle client still connected after 3.5 s with timeout 1');
    assert.equal(busy.closed, false);
    busy.close();
  });

  test('CONFIG SET timeout reaches connected clients', async () => {
    const s = await start('redoubt', []);
    const admin = await RawClient.connect(s.port);
    const idle = await RawClient.connect(s.port);
    await idle.call('PING');
    assert.equal(await admin.call('CONFIG', 'SET', 'timeout', '1'), '+OK\r\n');
    await admin.call('PING');
    assert.equal(await idle.waitClosed(4000), true);
    admin.close();
  });
});

/**
 * A client that sends many GETs of a big value and reads nothing: replies pile up in the server.
 * Returns the raw client (paused) after the requests were sent.
 */
async function slowReader(port: number, valueSize: number, gets: number): Promise<RawClient> {
  const setup = await RawClient.connect(port);
  assert.equal(await setup.call('SET', 'big', 'x'.repeat(valueSize)), '+OK\r\n');
  setup.close();
  const c = await RawClient.connect(port);
  c.socket.pause();
  const one = RawClient.encode(['GET', 'big']);
  c.write(Buffer.concat(Array.from({ length: gets }, () => one)));
  return c;
}

describe('client-output-buffer-limit', () => {
  test('hard limit: a client that stops reading is closed, counted, logged and audited', async () => {
    const s = await start('redoubt', ['--client-output-buffer-limit', 'normal', '1mb', '512kb', '2', '--audit-log', 'stdout']);
    const admin = await RawClient.connect(s.port);
    const before = await infoField(admin, 'used_memory');
    // 400 x 256 KB = 100 MB of replies if nothing stopped it.
    const slow = await slowReader(s.port, 256 * 1024, 400);
    const deadline = Date.now() + 5000;
    while ((await infoField(admin, 'client_output_buffer_limit_disconnections')) === 0 && Date.now() < deadline) await sleep(50);
    assert.equal(await infoField(admin, 'client_output_buffer_limit_disconnections'), 1);
    assert.equal(await infoField(admin, 'connected_clients'), 1);
    assert.ok((await infoField(admin, 'used_memory')) - before < 40 * 1024 * 1024, 'server memory grew with the unread replies');
    assert.match(s.output(), /# Client id=\d+ addr=127\.0\.0\.1:\d+ .* scheduled to be closed ASAP for overcoming of output buffer limits\./);
    assert.match(s.output(), /"event":"output-buffer-limit".*"class":"normal".*"hard":1048576/);
    slow.close();
    admin.close();
  });

  test('redis-server closes the same slow reader', async () => {
    const s = await start('redis', ['--client-output-buffer-limit', 'normal 1mb 512kb 2']);
    const admin = await RawClient.connect(s.port);
    const slow = await slowReader(s.port, 256 * 1024, 400);
    const deadline = Date.now() + 5000;
    while ((await infoField(admin, 'connected_clients')) !== 1 && Date.now() < deadline) await sleep(50);
    assert.equal(await infoField(admin, 'connected_clients'), 1);
    slow.close();
    admin.close();
  });

  test('soft limit: over it for longer than the soft seconds closes the client; CLIENT LIST shows the backlog', async () => {
    const s = await start('redoubt', ['--client-output-buffer-limit', 'normal', '0', '512kb', '2']);
    const admin = await RawClient.connect(s.port);
    const slow = await slowReader(s.port, 256 * 1024, 80);
    await sleep(500);
    // Under the soft limit's time: still connected, with its unsent replies visible.
    const list = await admin.call('CLIENT', 'LIST', 'TYPE', 'normal');
    const line = list.split('\n').find((l) => l.startsWith('id=') && !l.includes('cmd=client|list'));
    assert.ok(line, list);
    const omem = Number(/ omem=(\d+)/.exec(line)![1]);
    const oll = Number(/ oll=(\d+)/.exec(line)![1]);
    const obl = Number(/ obl=(\d+)/.exec(line)![1]);
    assert.ok(omem > 512 * 1024, `omem=${omem}`);
    assert.ok(oll > 0 && obl === 16384, line);
    assert.equal(await infoField(admin, 'connected_clients'), 2);
    const deadline = Date.now() + 5000;
    while ((await infoField(admin, 'connected_clients')) !== 1 && Date.now() < deadline) await sleep(100);
    assert.equal(await infoField(admin, 'connected_clients'), 1);
    assert.equal(await infoField(admin, 'client_output_buffer_limit_disconnections'), 1);
    slow.close();
    admin.close();
  });

  test('a client that reads its replies is never cut off', async () => {
    const s = await start('redoubt', ['--client-output-buffer-limit', 'normal', '1mb', '512kb', '1']);
    const c = await RawClient.connect(s.port);
    await c.call('SET', 'big', 'y'.repeat(300 * 1024));
    for (let i = 0; i < 50; i++) {
      const r = await c.call('GET', 'big');
      assert.equal(r.length, 300 * 1024 + 11);
    }
    assert.equal(await infoField(c, 'client_output_buffer_limit_disconnections'), 0);
    c.close();
  });

  test('CONFIG SET changes the limits of connected clients; CONFIG GET shows them as Redis', async () => {
    const s = await start('redoubt', []);
    const admin = await RawClient.connect(s.port);
    assert.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 2mb 1mb 5'), '+OK\r\n');
    assert.equal(
      await admin.call('CONFIG', 'GET', 'client-output-buffer-limit'),
      '*2\r\n$26\r\nclient-output-buffer-limit\r\n$79\r\nnormal 2097152 1048576 5 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n',
    );
    const slow = await slowReader(s.port, 256 * 1024, 400);
    const deadline = Date.now() + 5000;
    while ((await infoField(admin, 'connected_clients')) !== 1 && Date.now() < deadline) await sleep(50);
    assert.equal(await infoField(admin, 'client_output_buffer_limit_disconnections'), 1);
    slow.close();
    admin.close();
  });
});
