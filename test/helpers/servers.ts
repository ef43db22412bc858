// Starting real servers for tests: Redoubt (the built CLI, as a user runs it) and the real
// redis-server, each on a free loopback port, stopped by pid when the test is done.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const REDOUBT_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

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

/** A port nothing listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
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
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function detach(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    const handle = stream as unknown as { unref?: () => void } | null;
    handle?.unref?.();
  }
}

async function launch(cmd: string, args: string[], port: number, host: string): Promise<RunningServer> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  detach(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  const deadline = Date.now() + 15000;
  while (!(await canConnect(port, host))) {
    if (exited) throw new Error(`${cmd} exited before listening:\n${out}`);
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
        if (exited || child.exitCode !== null) return resolve(child.exitCode);
        child.ref();
        child.once('exit', (code) => {
          child.unref();
          resolve(code);
        });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited || child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Starts Redoubt with `--port <free>` plus `args` (directives as `--name value` words). */
export async function startRedoubt(args: string[] = [], opts: { configFile?: string } = {}): Promise<RunningServer> {
  const port = await freePort();
  const argv = [REDOUBT_MAIN];
  if (opts.configFile) argv.push(opts.configFile);
  argv.push('--port', String(port), '--bind', '127.0.0.1', ...args);
  return launch(process.execPath, argv, port, '127.0.0.1');
}

/** Starts the real redis-server 7.0 (Debian package) with persistence off. */
export async function startRedis(args: string[] = []): Promise<RunningServer> {
  const port = await freePort();
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args];
  return launch('redis-server', argv, port, '127.0.0.1');
}
