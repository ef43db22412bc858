// kill -9 under each `appendfsync` policy: writers record every write the server acknowledged,
// the server is killed at a random moment (BGREWRITEAOF running now and then), restarted on the
// same directory, and every acknowledged write must be there. A process that dies keeps what it
// wrote to the kernel, so `everysec` and `no` lose nothing either: a reply leaves only after its
// command's AOF write (only a machine that dies loses their unsynced second). A few rounds here; `npm run crash-test`
// runs many more (CRASH_ROUNDS), with the results recorded in docs/aof.md.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedoubt, type RunningServer } from './helpers/servers.js';
import { scratchDir } from './helpers/aof.js';
import { until } from './helpers/workload-target.js';

const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? '4');
const WRITERS = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const servers: RunningServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

/** What the writers saw acknowledged. */
interface Acked {
  /** Keys set, with their values. */
  readonly keys: Map<string, string>;
  /** The highest value each counter was acknowledged at. */
  readonly counters: Map<string, number>;
  /** Elements acknowledged pushed, per list. */
  readonly pushes: Map<string, number>;
}

/** A connected client that gives up (rather than retries) when the server dies. */
async function quietClient(port: number): Promise<Redis> {
  const c = new Redis({ port, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/**
 * Waits until the server has loaded the AOF of the rounds before: a write refused with -LOADING
 * would end a writer before it wrote anything.
 */
async function loaded(port: number): Promise<void> {
  const c = await quietClient(port);
  try {
    await until('the AOF to load', async () => /\bloading:0\r\n/.test(await c.info('persistence')), 30_000);
  } finally {
    c.disconnect();
  }
}

/** Writes until the connection dies, recording what was acknowledged. */
async function writer(port: number, id: number, round: number, acked: Acked): Promise<void> {
  let c: Redis;
  try {
    c = await quietClient(port);
  } catch {
    return;
  }
  try {
    for (let i = 0; ; i++) {
      const key = `r${round}:w${id}:k${i}`;
      const value = `v${i}`;
      if (i % 3 === 0) {
        // A pipelined batch: each acknowledged reply counts on its own.
        const res = await c.pipeline().set(key, value).incr(`r${round}:counter:${id}`).rpush(`r${round}:list:${id}`, String(i)).exec();
        if (res === null) return;
        const [set, incr, push] = res;
        if (set !== undefined && set[0] === null) acked.keys.set(key, value);
        if (incr !== undefined && incr[0] === null) acked.counters.set(`r${round}:counter:${id}`, Number(incr[1]));
        if (push !== undefined && push[0] === null) acked.pushes.set(`r${round}:list:${id}`, Number(push[1]));
      } else {
        await c.set(key, value);
        acked.keys.set(key, value);
      }
    }
  } catch {
    // The server was killed.
  } finally {
    c.disconnect();
  }
}

for (const policy of ['always', 'everysec', 'no']) {
  test(`kill -9 under appendfsync ${policy} loses no acknowledged write (${ROUNDS} rounds)`, async (t) => {
    const dir = scratchDir('crash');
    const args = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', policy];
    let total = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startRedoubt(args);
      servers.push(server);
      await loaded(server.port);
      const acked: Acked = { keys: new Map(), counters: new Map(), pushes: new Map() };
      const writers = Array.from({ length: WRITERS }, (_, id) => writer(server.port, id, round, acked));
      // Every other round, rewrites run while the writers write, so the kill can fall near one.
      const admin = await quietClient(server.port);
      let rewriting = round % 2 === 1;
      const rewrites = (async () => {
        while (rewriting) {
          await admin.bgrewriteaof().catch(() => {});
          await sleep(40);
        }
      })();
      await sleep(300 + Math.floor(Math.random() * 900));
      server.process.kill('SIGKILL');
      rewriting = false;
      await Promise.all(writers);
      await rewrites;
      admin.disconnect();
      await server.stop();
      const again = await startRedoubt(args);
      servers.push(again);
      await loaded(again.port);
      const c = await quietClient(again.port);
      const missing: string[] = [];
      const keys = [...acked.keys.keys()];
      for (let i = 0; i < keys.length; i += 500) {
        const batch = keys.slice(i, i + 500);
        const values = await c.mget(...batch);
        batch.forEach((k, j) => {
          if (values[j] !== acked.keys.get(k)) missing.push(`${k}=${String(values[j])}`);
        });
      }
      for (const [k, n] of acked.counters) {
        const v = Number(await c.get(k));
        if (v < n) missing.push(`${k} is ${v}, acknowledged ${n}`);
      }
      for (const [k, n] of acked.pushes) {
        const len = await c.llen(k);
        if (len < n) missing.push(`${k} has ${len}, acknowledged ${n}`);
      }
      total += acked.keys.size;
      c.disconnect();
      await again.stop();
      assert.deepEqual(missing.slice(0, 10), [], `round ${round}: ${missing.length} acknowledged writes missing of ${acked.keys.size}`);
      assert.ok(acked.keys.size > 0, `round ${round}: nothing was acknowledged before the kill`);
    }
    t.diagnostic(`crash rounds: ${ROUNDS}, acknowledged keys checked: ${total}`);
  });
}
