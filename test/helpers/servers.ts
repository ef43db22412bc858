// Starting real servers for tests: Redoubt (the built CLI, as a user runs it) and the real
// redis-server, each on a free loopback port, stopped by pid when the test is done. Most test
// files start both through one fixture, useServerPair (at the end).

import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions } from 'ioredis';
import { RawClient } from './raw-client.js';
import { processAlive } from '../../src/server/cluster-lock.js';

export const REDOUBT_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

// The server refuses to run as root unless its environment allows it. The tests start servers as
// whoever runs the tests, and CI runs them as root: every server a test starts inherits this.
process.env['REDOUBT_ALLOW_ROOT'] ??= 'yes';

export interface RunningServer {
  readonly port: number;
  readonly host: string;
  readonly process: ChildProcess;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
  /**
   * Resolves with the exit code once the server exits by itself (SHUTDOWN). The child is otherwise
   * detached from the event loop, so this holds the loop open while it waits.
   */
  exited(): Promise<number | null>;
}

/**
 * Ports handed out to any test process on this machine, one file each (named after the port,
 * holding the owner's pid): test files run in parallel processes, and a port one of them probed
 * free must not be given to another before its server binds it.
 */
const PORT_CLAIMS = join(tmpdir(), 'redoubt-test-ports');
const claimed: string[] = [];

/** Claims `port` for this process, taking over a claim whose owner is gone. */
function claim(port: number): boolean {
  const file = join(PORT_CLAIMS, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      claimed.push(file);
      return true;
    } catch {
      const owner = Number(readFileSync(file, { encoding: 'latin1', flag: 'r' }));
      if (processAlive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on right now and no other test process holds. Chosen below Linux's
 * ephemeral range (32768-60999), so no client's outgoing connection takes it before the server
 * binds it, and so that port + 10000 (a cluster bus) is below that range too.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  mkdirSync(PORT_CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 12000);
    if (claim(port) && (await canBind(port, host))) return port;
  }
  throw new Error('no free test port found');
}

/** `count` consecutive free ports whose cluster buses (port + 10000) are free too; the first is returned. */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  mkdirSync(PORT_CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 500; attempt++) {
    const base = 10000 + Math.floor(Math.random() * (12000 - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const taken: number[] = [];
    for (const p of ports) {
      if (!claim(p)) break;
      taken.push(p);
    }
    let free = taken.length === count;
    for (const p of free ? ports : []) {
      if (!(await canBind(p, host)) || !(await canBind(p + 10000, host))) {
        free = false;
        break;
      }
    }
    if (free) return base;
    for (const p of taken) {
      const file = join(PORT_CLAIMS, String(p));
      rmSync(file, { force: true });
      claimed.splice(claimed.indexOf(file), 1);
    }
  }
  throw new Error(`no ${count} consecutive free test ports found`);
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Servers still running. They do not keep a test file's process alive (a test that fails before
 * stopping its server must not hang the suite), and whatever is left is killed when it exits.
 */
const running = new Set<ChildProcess>();
/** Each server's own working directory, removed when the test file's process exits. */
const workDirs: string[] = [];
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  for (const file of claimed) rmSync(file, { force: true });
});

function detach(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    const handle = stream as unknown as { unref?: () => void } | null;
    handle?.unref?.();
  }
}

/** A fresh working directory, removed when the test file's process exits. */
function newWorkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-test-'));
  workDirs.push(dir);
  return dir;
}

async function launch(cmd: string, args: string[], port: number, host: string, cwd = newWorkDir(), env = process.env): Promise<RunningServer> {
  // By default a fresh working directory: a server that saves (SHUTDOWN, a save point) without a
  // --dir of its test's writes there, never into the repository where a later server would load it.
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd, env });
  running.add(child);
  detach(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // Node sets one of these before it emits 'exit'.
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  child.once('exit', () => running.delete(child));
  const deadline = Date.now() + 15000;
  while (!(await canConnect(port, host))) {
    if (exited()) throw new Error(`${cmd} exited before listening:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} did not listen on ${host}:${port} in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    host,
    process: child,
    output: () => out,
    exited: () =>
      new Promise<number | null>((resolve) => {
        if (exited()) {
          resolve(child.exitCode);
          return;
        }
        child.ref();
        child.once('exit', (code) => {
          child.unref();
          resolve(code);
        });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited()) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Sends SIGTERM to `child` and resolves once it has exited (at once if it already has). */
export function terminate(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface RedoubtOptions {
  configFile?: string;
  /** Flags for node itself, before the script (e.g. `--max-old-space-size=64`). */
  nodeArgs?: string[];
  /** Runs the server under `ulimit -n <fileLimit>` (the shell execs node, so the pid is the server's). */
  fileLimit?: number;
  /** The working directory (default: a fresh one; see launch). */
  cwd?: string;
  /** The server's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** The port (default: a free one); a restarted server takes its old one again. */
  port?: number;
}

/** Starts Redoubt with `--port <free>` plus `args` (directives as `--name value` words). */
export async function startRedoubt(args: string[] = [], opts: RedoubtOptions = {}): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const argv = [...(opts.nodeArgs ?? []), REDOUBT_MAIN];
  if (opts.configFile) argv.push(opts.configFile);
  // Persistence off unless the test asks (as startRedis): no dump.rdb left in the working directory.
  argv.push('--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args);
  if (opts.fileLimit !== undefined) {
    return launch('sh', ['-c', `ulimit -n ${opts.fileLimit} && exec "$0" "$@"`, process.execPath, ...argv], port, '127.0.0.1', opts.cwd, opts.env);
  }
  return launch(process.execPath, argv, port, '127.0.0.1', opts.cwd, opts.env);
}

/** Starts the real redis-server 7.0 (Debian package) with persistence off. */
export async function startRedis(args: string[] = [], cwd?: string): Promise<RunningServer> {
  const port = await freePort();
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args];
  return launch('redis-server', argv, port, '127.0.0.1', cwd);
}

/** Starts the real valkey-server 8.0 (Debian bookworm-backports) with persistence off. */
export async function startValkey(args: string[] = []): Promise<RunningServer> {
  const port = await freePort();
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args];
  return launch('valkey-server', argv, port, '127.0.0.1');
}

/**
 * valkey-server 8.0 (Redis 7.2's behaviour) for the tests of a file or describe block: started in
 * a before hook with `args`, stopped in its after hook; usable from the first test on.
 */
export function useValkey(args: readonly string[] = []): RunningServer {
  const valkey = late<RunningServer>('valkey-server');
  before(async () => {
    valkey.set(await startValkey([...args]));
  });
  after(async () => {
    await valkey.get()?.stop();
  });
  return valkey.stand;
}

/**
 * The Redis 8.0 binary (scripts/reference-servers.sh --redis8 DIR builds it; .ci/run exports
 * REDIS8_SERVER=DIR/src/redis-server), or null when this machine has none.
 */
export function redis8Path(): string | null {
  const path = process.env['REDIS8_SERVER'];
  return path === undefined || path === '' ? null : path;
}

/**
 * Why a test that needs Redis 8 cannot run here, or null when it can. Under CI (CI=true) a missing
 * Redis 8 is a failure, never a skip: this throws there instead of returning a reason to skip.
 */
export function redis8Missing(): string | null {
  if (redis8Path() !== null) return null;
  const why = 'Redis 8.0 is not available: set REDIS8_SERVER to a redis-server 8.0.2 (scripts/reference-servers.sh --redis8 DIR builds one)';
  if (process.env['CI'] === 'true') throw new Error(why);
  return why;
}

/** Starts the real redis-server 8.0.2 (built from Debian's source archive) with persistence off. */
export async function startRedis8(args: string[] = [], cwd?: string): Promise<RunningServer> {
  const path = redis8Path();
  if (path === null) throw new Error('REDIS8_SERVER is not set: Redis 8.0 is not available');
  const port = await freePort();
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args];
  return launch(path, argv, port, '127.0.0.1', cwd);
}

// --- the fixture most test files use: redis-server and Redoubt side by side ---

/**
 * Stands in for an object made in a before hook: property reads (and method calls) go to it once
 * `set` has run, so test files can name it at load time; using it before then throws.
 */
function late<T extends object>(what: string): { readonly stand: T; set(value: T): void; get(): T | null } {
  let target: T | null = null;
  const stand = new Proxy({} as T, {
    get(_, prop) {
      if (target === null) throw new Error(`${what} is not started: use it inside a test or a later hook`);
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { stand, set: (value) => (target = value), get: () => target };
}

/** ioredis options for the pair's clients (lazyConnect is the fixture's: it connects them itself). */
export type ClientOptions = Omit<RedisOptions, 'replyMapping' | 'lazyConnect'>;

export interface PairOptions {
  /** Directives for both servers (`--name value` words). */
  readonly args?: readonly string[];
  /** More directives for Redoubt only, after `args`. */
  readonly redoubtArgs?: readonly string[];
  /** More directives for redis-server only, after `args`. */
  readonly redisArgs?: readonly string[];
  /** An ioredis client on Redoubt (`redoubtClient`), connected before the first test. */
  readonly redoubtClient?: ClientOptions;
  /** An ioredis client on redis-server (`redisClient`), connected before the first test. */
  readonly redisClient?: ClientOptions;
  /** A RawClient on each server (`redoubtRaw`, `redisRaw`), connected before the first test. */
  readonly raw?: boolean;
  /** The reference server: redis-server 7.0 (the default) or Redis 8.0 (startRedis8). */
  readonly reference?: 'redis7' | 'redis8';
}

export interface ServerPair {
  readonly redis: RunningServer;
  readonly redoubt: RunningServer;
  /** Present when the options ask for them; reading one not asked for throws. */
  readonly redoubtClient: Redis;
  readonly redisClient: Redis;
  readonly redoubtRaw: RawClient;
  readonly redisRaw: RawClient;
}

/**
 * Starts redis-server and Redoubt (and the clients asked for) in a before hook of the current
 * file or describe block, and closes them all in its after hook. The objects returned can be
 * named right away (`const { redis, redoubt } = useServerPair()`); they work from the first test on.
 */
export function useServerPair(opts: PairOptions = {}): ServerPair {
  const redis = late<RunningServer>('redis-server');
  const redoubt = late<RunningServer>('Redoubt');
  const redoubtClient = late<Redis>('the ioredis client on Redoubt (option redoubtClient)');
  const redisClient = late<Redis>('the ioredis client on redis-server (option redisClient)');
  const redoubtRaw = late<RawClient>('the raw client on Redoubt (option raw)');
  const redisRaw = late<RawClient>('the raw client on redis-server (option raw)');
  const args = opts.args ?? [];
  const ioredis = async (server: RunningServer, options: ClientOptions): Promise<Redis> => {
    const client = new Redis({ port: server.port, host: server.host, ...options, lazyConnect: true });
    await client.connect();
    return client;
  };
  before(async () => {
    // One working directory for both, so what they report of it (CONFIG GET dir) is the same.
    const cwd = newWorkDir();
    const [rs, rd] = await Promise.all([
      (opts.reference === 'redis8' ? startRedis8 : startRedis)([...args, ...(opts.redisArgs ?? [])], cwd),
      startRedoubt([...args, ...(opts.redoubtArgs ?? [])], { cwd }),
    ]);
    redis.set(rs);
    redoubt.set(rd);
    if (opts.redoubtClient !== undefined) redoubtClient.set(await ioredis(rd, opts.redoubtClient));
    if (opts.redisClient !== undefined) redisClient.set(await ioredis(rs, opts.redisClient));
    if (opts.raw === true) {
      const [ours, theirs] = await Promise.all([RawClient.connect(rd.port), RawClient.connect(rs.port)]);
      redoubtRaw.set(ours);
      redisRaw.set(theirs);
    }
  });
  after(async () => {
    redoubtClient.get()?.disconnect();
    redisClient.get()?.disconnect();
    redoubtRaw.get()?.close();
    redisRaw.get()?.close();
    await Promise.all([redis.get()?.stop(), redoubt.get()?.stop()]);
  });
  return {
    redis: redis.stand,
    redoubt: redoubt.stand,
    redoubtClient: redoubtClient.stand,
    redisClient: redisClient.stand,
    redoubtRaw: redoubtRaw.stand,
    redisRaw: redisRaw.stand,
  };
}
