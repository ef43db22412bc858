// The audit log on a live server: one JSON object per line, with a timestamp, the event type and
// the client's address and user, for every security event a test can trigger; secrets never
// appear in it; "" turns it off; a path that cannot be written does not stop the server.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const started: RunningServer[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Event = Record<string, unknown>;

function readEvents(file: string): Event[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Event);
}

/** Waits until an event of `type` is in the file (writes go out once per event-loop turn). */
async function waitEvent(file: string, type: string, timeoutMs = 3000): Promise<Event> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = readEvents(file).find((x) => x['event'] === type);
    if (e !== undefined) return e;
    if (Date.now() > deadline) assert.fail(`no ${type} event in ${file}:\n${existsSync(file) ? readFileSync(file, 'utf8') : '(no file)'}`);
    await sleep(25);
  }
}

function tmpFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'redoubt-audit-')), name);
}

const ADDR = /^127\.0\.0\.1:\d+$/;

describe('audit log events', () => {
  const file = tmpFile('audit.jsonl');
  const conf = tmpFile('redoubt.conf');
  let s: RunningServer;

  test('startup opens the log with a server-start event', async () => {
    writeFileSync(conf, 'maxclients 3\n');
    s = await startRedoubt(['--audit-log', file], { configFile: conf });
    started.push(s);
    const e = await waitEvent(file, 'server-start');
    assert.match(String(e['ts']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(String(e['addresses']), /127\.0\.0\.1:\d+/);
  });

  test('CONFIG SET records the new value, but never a secret', async () => {
    const c = await RawClient.connect(s.port);
    await c.call('CLIENT', 'SETNAME', 'ops');
    assert.equal(await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru', 'requirepass', 'Sup3r-secret-passw0rd!!'), '+OK\r\n');
    const set = readEventsWhen(file, 'config-set', 2);
    const policy = (await set).find((e) => e['param'] === 'maxmemory-policy')!;
    assert.equal(policy['value'], 'allkeys-lru');
    assert.match(String(policy['addr']), ADDR);
    assert.equal(policy['user'], 'default');
    assert.equal(policy['client_name'], 'ops');
    const pass = (await set).find((e) => e['param'] === 'requirepass')!;
    assert.equal(pass['value'], '(redacted)');
    assert.ok(!readFileSync(file, 'utf8').includes('Sup3r-secret'), 'the password reached the audit log');
    // Back to no password for the rest of the tests.
    assert.equal(await c.call('CONFIG', 'SET', 'requirepass', ''), '+OK\r\n');
    c.close();
  });

  test('a refused protected CONFIG SET is recorded', async () => {
    const c = await RawClient.connect(s.port);
    assert.match(await c.call('CONFIG', 'SET', 'dir', '/tmp'), /can't set protected config/);
    const e = await waitEvent(file, 'config-protected');
    assert.equal(e['param'], 'dir');
    c.close();
  });

  test('CONFIG REWRITE', async () => {
    const c = await RawClient.connect(s.port);
    assert.equal(await c.call('CONFIG', 'REWRITE'), '+OK\r\n');
    const e = await waitEvent(file, 'config-rewrite');
    assert.equal(e['file'], conf);
    c.close();
  });

  test('CLIENT KILL names the killer and the victim', async () => {
    const killer = await RawClient.connect(s.port);
    const victim = await RawClient.connect(s.port);
    const id = (await victim.call('CLIENT', 'ID')).slice(1, -2);
    assert.equal(await killer.call('CLIENT', 'KILL', 'ID', id), ':1\r\n');
    const e = await waitEvent(file, 'client-kill');
    assert.equal(String(e['target_id']), id);
    assert.match(String(e['target_addr']), ADDR);
    assert.match(String(e['addr']), ADDR);
    assert.notEqual(e['addr'], e['target_addr']);
    killer.close();
  });

  test('cross-protocol (HTTP) requests', async () => {
    const c = await RawClient.connect(s.port);
    c.write('POST / HTTP/1.1\r\nHost: example.com\r\n\r\n');
    assert.equal(await c.waitClosed(), true);
    const e = await waitEvent(file, 'cross-protocol');
    assert.match(String(e['addr']), ADDR);
  });

  test('a DEBUG refused by its gate', async () => {
    const c = await RawClient.connect(s.port);
    await c.call('DEBUG', 'SLEEP', '0');
    const e = await waitEvent(file, 'command-gate');
    assert.equal(e['setting'], 'no');
    c.close();
  });

  test('maxclients refusals', async () => {
    await sleep(100);
    const held = await Promise.all([RawClient.connect(s.port), RawClient.connect(s.port), RawClient.connect(s.port)]);
    for (const h of held) await h.call('PING');
    const extra = await RawClient.connect(s.port);
    assert.equal(await extra.waitClosed(), true);
    const e = await waitEvent(file, 'maxclients');
    assert.match(String(e['addr']), ADDR);
    assert.equal(e['clients'], 3);
    for (const h of held) h.close();
    await sleep(100);
  });

  test('failed authentication (no password in the record)', async () => {
    const c = await RawClient.connect(s.port);
    await c.call('CONFIG', 'SET', 'requirepass', 'another-long-secret-value');
    const fresh = await RawClient.connect(s.port);
    assert.match(await fresh.call('AUTH', 'wrong-guess-123'), /^-WRONGPASS/);
    assert.equal(await fresh.call('AUTH', 'another-long-secret-value'), '+OK\r\n');
    await fresh.call('CONFIG', 'SET', 'requirepass', '');
    fresh.close();
    c.close();
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('wrong-guess-123') && !text.includes('another-long-secret'), 'a password reached the audit log');
    const failed = await waitEvent(file, 'auth-failed');
    assert.match(String(failed['addr']), ADDR);
    assert.equal(failed['username'], 'default');
    const ok = await waitEvent(file, 'auth-success');
    assert.match(String(ok['addr']), ADDR);
    assert.equal(ok['username'], 'default');
  });

  test('SHUTDOWN is the last event, written before the process exits', async () => {
    const c = await RawClient.connect(s.port);
    c.write(RawClient.encode(['SHUTDOWN', 'NOSAVE']));
    await c.waitClosed(5000);
    await s.exited();
    const events = readEvents(file);
    const last = events[events.length - 1]!;
    assert.equal(last['event'], 'shutdown');
    assert.equal(last['args'], 'nosave');
    assert.match(String(last['addr']), ADDR);
    // Every line is one JSON object with the two fixed fields first.
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) assert.match(line, /^\{"ts":"[^"]+","event":"[a-z-]+"/);
  });
});

/** The `type` events once at least `n` are in the file. */
async function readEventsWhen(file: string, type: string, n: number): Promise<Event[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const found = readEvents(file).filter((e) => e['event'] === type);
    if (found.length >= n || Date.now() > deadline) return found;
    await sleep(25);
  }
}

describe('audit log destinations', () => {
  test('off by default: CONFIG GET shows "", nothing is written', async () => {
    const s = await startRedoubt([]);
    started.push(s);
    const c = await RawClient.connect(s.port);
    assert.equal(await c.call('CONFIG', 'GET', 'audit-log'), '*2\r\n$9\r\naudit-log\r\n$0\r\n\r\n');
    await c.call('DEBUG', 'SLEEP', '0');
    assert.ok(!s.output().includes('"event"'));
    c.close();
  });

  test('stdout', async () => {
    const s = await startRedoubt(['--audit-log', 'stdout']);
    started.push(s);
    const c = await RawClient.connect(s.port);
    await c.call('DEBUG', 'SLEEP', '0');
    await sleep(100);
    assert.match(s.output(), /^\{"ts":"[^"]+","event":"command-gate",.*"command":"debug"/m);
    c.close();
  });

  test('a path that cannot be written: one warning, the server keeps serving', async () => {
    const s = await startRedoubt(['--audit-log', '/nonexistent-dir/audit.jsonl']);
    started.push(s);
    const c = await RawClient.connect(s.port);
    await c.call('DEBUG', 'SLEEP', '0');
    await c.call('DEBUG', 'SLEEP', '0');
    assert.equal(await c.call('PING'), '+PONG\r\n');
    const warnings = s.output().match(/Audit log '\/nonexistent-dir\/audit.jsonl' cannot be written/g) ?? [];
    assert.equal(warnings.length, 1);
    c.close();
  });

  test('CONFIG SET audit-log is a protected config; with enable-protected-configs it moves the log', async () => {
    const s = await startRedoubt(['--enable-protected-configs', 'yes']);
    started.push(s);
    const file = tmpFile('moved.jsonl');
    const c = await RawClient.connect(s.port);
    assert.equal(await c.call('CONFIG', 'SET', 'audit-log', file), '+OK\r\n');
    await c.call('DEBUG', 'SLEEP', '0');
    const e = await waitEvent(file, 'command-gate');
    assert.equal(e['command'], 'debug');
    c.close();
    const plain = await startRedoubt([]);
    started.push(plain);
    const d = await RawClient.connect(plain.port);
    assert.match(await d.call('CONFIG', 'SET', 'audit-log', file), /^-ERR CONFIG SET failed \(possibly related to argument 'audit-log'\) - can't set protected config/);
    d.close();
  });
});
