// What kill -9 cannot show (the page cache survives it): the order of the system calls. Redoubt
// runs under strace; under `appendfsync always` no reply may reach a client socket while the AOF
// holds bytes written but not yet fsynced, and a pipelined batch costs far fewer fsyncs than
// commands; `everysec` fsyncs about once a second while writes flow; `no` never does.
// Skipped, saying why, where ptrace is not permitted.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { REDOUBT_MAIN, freePort } from './helpers/servers.js';
import { scratchDir } from './helpers/aof.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Why strace cannot be used here, or null when it can. */
function straceUnavailable(): string | null {
  const r = spawnSync('strace', ['-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (r.error) return `strace is not installed (${r.error.message})`;
  if (r.status !== 0) return `ptrace is not permitted here: ${r.stderr.trim()}`;
  return null;
}

const skip = straceUnavailable();
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Traced {
  readonly cli: Redis;
  /** Stops the server (SHUTDOWN) and returns the trace's lines. */
  finish(): Promise<string[]>;
}

async function traced(policy: string): Promise<Traced> {
  const dir = scratchDir(`strace-${policy}`);
  const trace = path.join(dir, 'trace.txt');
  const port = await freePort();
  const args = ['-f', '-yy', '-e', 'trace=write,writev,pwrite64,fdatasync,fsync', '-o', trace, process.execPath, REDOUBT_MAIN];
  args.push('--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', policy);
  const child = spawn('strace', args, { stdio: 'ignore' });
  children.push(child);
  const deadline = Date.now() + 20000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the traced server did not start');
    await sleep(50);
  }
  const cli = new Redis({ port, retryStrategy: () => null });
  cli.on('error', () => {});
  // The connection handshake is over once PONG is back: the test's own replies follow it.
  await cli.ping();
  return {
    cli,
    finish: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      await cli.call('SHUTDOWN', 'NOSAVE').catch(() => {});
      cli.disconnect();
      await exited;
      return fs.readFileSync(trace, 'utf8').split('\n');
    },
  };
}

const AOF_FILE = /appendonly\.aof\.\d+\.incr\.aof>/;

type Event = 'aof-write' | 'aof-sync-start' | 'aof-synced' | 'reply' | 'pong';

/** The trace as the events that matter, in order. */
function events(lines: readonly string[]): Event[] {
  const out: Event[] = [];
  let syncing = new Set<string>();
  for (const line of lines) {
    const tid = /^(\d+)/.exec(line)?.[1] ?? '';
    if (/^\d+ +(write|writev|pwrite64)\(\d+</.test(line) && AOF_FILE.test(line)) out.push('aof-write');
    else if (/^\d+ +(fdatasync|fsync)\(\d+</.test(line) && AOF_FILE.test(line)) {
      if (line.includes('<unfinished ...>')) {
        syncing.add(tid);
        out.push('aof-sync-start');
      } else if (/= 0$/.test(line)) out.push('aof-synced');
    } else if (/<\.\.\. (fdatasync|fsync) resumed>/.test(line) && syncing.has(tid)) {
      syncing = new Set([...syncing].filter((t) => t !== tid));
      if (/= 0$/.test(line)) out.push('aof-synced');
    } else if (/^\d+ +(write|writev)\(\d+<TCP/.test(line)) out.push(line.includes('"+PONG\\r\\n"') ? 'pong' : 'reply');
  }
  return out;
}

describe('the system calls behind appendfsync', { skip: skip ?? false }, () => {
  test('always: every reply to a client follows the fsync of the AOF bytes written before it', async () => {
    const t = await traced('always');
    for (let i = 0; i < 40; i++) await t.cli.set(`k${i}`, `v${i}`);
    const pipe = t.cli.pipeline();
    for (let i = 0; i < 200; i++) pipe.incr('counter');
    await pipe.exec();
    await t.cli.get('k1');
    const all = events(await t.finish());
    const ev = all.slice(all.indexOf('pong') + 1);
    assert.ok(all.includes('pong'));
    let unsynced = false;
    let replies = 0;
    let syncs = 0;
    let writes = 0;
    let syncedWrites = 0;
    for (const [i, e] of ev.entries()) {
      if (e === 'aof-write') {
        unsynced = true;
        writes++;
      } else if (e === 'aof-synced') {
        unsynced = false;
        syncs++;
        syncedWrites = writes;
      } else if (e === 'reply') {
        replies++;
        assert.ok(!unsynced, `a reply left before the fsync of the AOF (event ${i} of ${ev.length})`);
        // The n-th SET's reply: its own write (the n-th) is on disk already.
        if (replies <= 40) assert.ok(syncedWrites >= replies, `reply ${replies} left with only ${syncedWrites} AOF writes fsynced`);
      }
    }
    assert.ok(replies >= 42, `${replies} replies traced`);
    assert.ok(writes >= 41 && syncs >= 41, `${writes} AOF writes, ${syncs} fsyncs`);
    // 40 one by one, then 200 pipelined: the batch is fsynced a few times, not 200.
    assert.ok(syncs < 40 + 100, `${syncs} fsyncs for 240 writes`);
  });

  test('everysec: about one fsync a second while writes flow', async () => {
    const t = await traced('everysec');
    const start = Date.now();
    while (Date.now() - start < 3200) {
      await t.cli.set('k', String(Date.now()));
      await sleep(5);
    }
    const ev = events(await t.finish());
    const syncs = ev.filter((e) => e === 'aof-synced').length;
    const writes = ev.filter((e) => e === 'aof-write').length;
    assert.ok(writes > 100, `${writes} AOF writes`);
    // Three seconds of writes: about three fsyncs (the last may fall at shutdown).
    assert.ok(syncs >= 2 && syncs <= 5, `${syncs} fsyncs in about 3.2 s`);
  });

  test('no: the AOF is written but never fsynced while running', async () => {
    const t = await traced('no');
    for (let i = 0; i < 30; i++) await t.cli.set(`k${i}`, 'v');
    await sleep(1200);
    await t.cli.set('last', 'v');
    const lines = await t.finish();
    // SHUTDOWN fsyncs once on the way out: count what came before it.
    const ev = events(lines);
    const lastReply = ev.lastIndexOf('reply');
    const syncs = ev.slice(0, lastReply).filter((e) => e === 'aof-synced').length;
    assert.ok(ev.filter((e) => e === 'aof-write').length >= 31);
    assert.equal(syncs, 0);
  });
});
