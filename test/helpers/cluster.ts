// What the cluster-mode tests share: Redoubt (and redis-server) nodes started with
// cluster-enabled yes on loopback ports, raw clients on them, and the checks a test waits on
// (cluster_state:ok, redis-cli --cluster check). One `after` hook closes the clients and stops
// the nodes.

import { after } from 'node:test';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startRedis, startRedoubt, type RunningServer } from './servers.js';
import { RawClient, command } from './raw-client.js';

const exec = promisify(execFile);

/** Runs a tool; a failure's message carries what it printed. */
export async function run(cmd: string, args: string[], opts: { timeout?: number } = {}): Promise<{ stdout: string }> {
  try {
    return await exec(cmd, args, opts);
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${e.message}\n${(e.stdout ?? '').slice(-1500)}\n${e.stderr ?? ''}`, { cause: err });
  }
}

/** A bulk or verbatim reply's text. */
export function text(reply: string): string {
  const nl = reply.indexOf('\r\n');
  const body = reply.slice(nl + 2, reply.length - 2);
  return reply.startsWith('=') ? body.slice(4) : body;
}

export interface ClusterNode {
  readonly server: RunningServer;
  readonly port: number;
  readonly bus: number;
  readonly dir: string;
  id: string;
}

/** A Redoubt cluster node's server in `dir` (bus port `bus`), not yet asked anything (nor stopped at the end). */
export function launchNode(dir: string, bus: number, args: string[] = []): Promise<RunningServer> {
  return startRedoubt(['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-node-timeout', '3000', '--enable-migrate-command', 'local', ...args], { cwd: dir });
}

/** A redis-server cluster node's server in `dir` (bus port `bus`), not stopped at the end. */
export function launchRedisNode(dir: string, bus: number): Promise<RunningServer> {
  return startRedis(['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-node-timeout', '3000', '--cluster-config-file', join(dir, 'nodes.conf')], dir);
}

export interface ClusterNodes {
  /** Keeps a server started otherwise, to be stopped at the end of the file. */
  readonly track: (server: RunningServer) => RunningServer;
  /** A raw client, closed at the end of the file. */
  readonly raw: (port: number) => Promise<RawClient>;
  /** One command on a fresh connection; the raw reply. */
  readonly cmd: (port: number, ...args: string[]) => Promise<string>;
  /** A Redoubt node (node timeout 3 s, MIGRATE allowed from loopback) in `dir` (a new one unless told). */
  readonly startNode: (args?: string[], dir?: string) => Promise<ClusterNode>;
  /** A redis-server 7.0 node, node timeout 3 s, in `dir` (a new one unless told). */
  readonly startRedisNode: (dir?: string) => Promise<ClusterNode>;
  readonly clusterOk: (port: number) => Promise<boolean>;
  /** redis-cli --cluster check's output (it throws when the check fails). */
  readonly check: (port: number) => Promise<string>;
}

/** Called at a test file's top level: registers the file's `after` hook. */
export function clusterNodes(): ClusterNodes {
  const started: RunningServer[] = [];
  const raws: RawClient[] = [];

  after(async () => {
    for (const c of raws) c.close();
    await Promise.all(started.map((s) => s.stop()));
  });

  const raw = async (port: number): Promise<RawClient> => {
    const c = await RawClient.connect(port);
    raws.push(c);
    return c;
  };

  const track = (server: RunningServer): RunningServer => {
    started.push(server);
    return server;
  };

  const startNode = async (args: string[] = [], dir = mkdtempSync(join(tmpdir(), 'redoubt-cnode-'))): Promise<ClusterNode> => {
    const bus = await freePort();
    const server = track(await launchNode(dir, bus, args));
    const id = text(await command(server.port, 'CLUSTER', 'MYID'));
    return { server, port: server.port, bus, dir, id };
  };

  const startRedisNode = async (dir = mkdtempSync(join(tmpdir(), 'redis-cnode-'))): Promise<ClusterNode> => {
    const bus = await freePort();
    const server = track(await launchRedisNode(dir, bus));
    const id = text(await command(server.port, 'CLUSTER', 'MYID'));
    return { server, port: server.port, bus, dir, id };
  };

  const clusterOk = async (port: number): Promise<boolean> => (await command(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok');

  const check = async (port: number): Promise<string> => {
    const { stdout } = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${port}`]);
    return stdout;
  };

  return { track, raw, cmd: command, startNode, startRedisNode, clusterOk, check };
}
