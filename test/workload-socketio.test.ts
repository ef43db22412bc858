// socket.io's Redis adapter across two server processes sharing Redoubt's pub/sub: one node on
// node-redis, one on ioredis, with the classic adapter (PUBLISH/PSUBSCRIBE, PUBSUB NUMSUB) and the
// sharded one (SPUBLISH/SSUBSCRIBE, PUBSUB SHARDNUMSUB). Room broadcasts, fetchSockets,
// serverSideEmit with acknowledgements, socketsJoin and disconnectSockets must cross between them.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import { terminate, type RunningServer } from './helpers/servers.js';
import { sleep, startTarget, targetName } from './helpers/workload-target.js';

const NODE_SCRIPT = fileURLToPath(new URL('./fixtures/socketio-node.js', import.meta.url));

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

interface SocketNode {
  readonly port: number;
  stop(): Promise<void>;
}

/** Spawns one socket.io server process and waits for it to print its port. */
function startNode(env: Record<string, string>): Promise<SocketNode> {
  const child = spawn(process.execPath, [NODE_SCRIPT], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket.io node did not start:\n${out}`)), 10000);
    child.once('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`socket.io node exited (${code}):\n${out}`));
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        port: Number(m[1]),
        stop: () => terminate(child),
      });
    });
  });
}

function client(node: SocketNode, name: string): Promise<Socket> {
  const socket = connect(`http://127.0.0.1:${node.port}`, { auth: { name }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** The next `event` on `socket`, or a failure after `ms`. */
function next(socket: Socket, event: string, ms = 3000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

for (const adapter of ['classic', 'sharded'] as const) {
  describe(`socket.io ${adapter} Redis adapter across two processes on ${targetName}`, { timeout: 30000 }, () => {
    let server: RunningServer;
    let nodeA: SocketNode;
    let nodeB: SocketNode;
    let c1: Socket;
    let c2: Socket;
    let c3: Socket;
    before(async () => {
      server = await startTarget();
      const common = { REDIS_PORT: String(server.port), ADAPTER: adapter };
      [nodeA, nodeB] = await Promise.all([
        startNode({ ...common, NODE_NAME: 'A', CLIENT_LIB: 'node-redis' }),
        startNode({ ...common, NODE_NAME: 'B', CLIENT_LIB: 'ioredis' }),
      ]);
      [c1, c2, c3] = await Promise.all([client(nodeA, 'c1'), client(nodeB, 'c2'), client(nodeB, 'c3')]);
    });
    after(async () => {
      for (const c of [c1, c2, c3]) c.disconnect();
      await Promise.all([nodeA.stop(), nodeB.stop()]);
      await server.stop();
    });

    test('a room broadcast from node A reaches only the room member on node B', async () => {
      assert.equal(await c2.emitWithAck('join', 'room1'), 'B');
      let strays = 0;
      const countStray = () => strays++;
      c1.on('news', countStray);
      c3.on('news', countStray);
      const got = next(c2, 'news');
      await c1.emitWithAck('to-room', 'room1', 'hello from A');
      assert.deepEqual(await got, ['hello from A', 'A']);
      await sleep(200);
      c1.off('news', countStray);
      c3.off('news', countStray);
      assert.equal(strays, 0, 'sockets outside the room got nothing');
    });

    test('fetchSockets sees sockets on both nodes', async () => {
      assert.deepEqual(await c1.emitWithAck('fetch', 'room1'), ['c2']);
      assert.equal(await c1.emitWithAck('join', 'room1'), 'A');
      assert.deepEqual(await c3.emitWithAck('fetch', 'room1'), ['c1', 'c2']);
    });

    test('serverSideEmit reaches the other node and brings back its acknowledgement', async () => {
      assert.deepEqual(await c1.emitWithAck('server-emit'), ['B heard A']);
      assert.deepEqual(await c2.emitWithAck('server-emit'), ['A heard B']);
    });

    test('socketsJoin from one node puts every socket on both nodes in the room', async () => {
      await c2.emitWithAck('all-join', 'everyone');
      let names: unknown = [];
      for (let i = 0; i < 50; i++) {
        names = await c1.emitWithAck('fetch', 'everyone');
        if (Array.isArray(names) && names.length === 3) break;
        await sleep(20);
      }
      assert.deepEqual(names, ['c1', 'c2', 'c3']);
      const got = Promise.all([next(c1, 'news'), next(c2, 'news'), next(c3, 'news')]);
      await c3.emitWithAck('to-room', 'everyone', 'all hands');
      assert.deepEqual(await got, [['all hands', 'B'], ['all hands', 'B'], ['all hands', 'B']]);
    });

    test('disconnectSockets on node B disconnects a room member on node A', async () => {
      const gone = next(c1, 'disconnect');
      await c3.emitWithAck('disconnect-room', 'room1');
      assert.equal((await gone)[0], 'io server disconnect');
      // c2 was in room1 too, on node B itself.
      if (c2.connected) await next(c2, 'disconnect');
      assert.equal(c3.connected, true, 'c3 was not in room1');
    });
  });
}
