// TLS for the tests: a CA, certificates made with openssl into a directory, and servers
// (Redoubt, redis-server) started with TLS on a free port, ready once a TLS handshake succeeds.

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { REDOUBT_MAIN, freePort, terminate, type RunningServer } from './servers.js';

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/**
 * In `dir`: ca.crt/.key and rogue-ca.crt/.key (two CAs); server.crt/.key (CA-signed, for
 * localhost and 127.0.0.1, serverAuth) and server2.crt/.key (the same, another CN, for rotation);
 * client.crt/.key (CA-signed, clientAuth); rogue.crt/.key (a client of the rogue CA);
 * rogue-server.crt/.key (the rogue CA's, for localhost and 127.0.0.1); server-enc.key (server.key
 * encrypted with the passphrase `hunter2`).
 */
export function makeCertificates(dir: string): void {
  const f = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'rogue-ca']) {
    openssl('req', '-x509', '-new', ...ec, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.crt`), '-days', '2', '-subj', `/CN=${ca}`);
  }
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = (name: string, ca: string, ext: string, cn: string): void => {
    openssl('req', '-new', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '2', '-extfile', f(ext));
  };
  sign('server', 'ca', 'server.ext', 'localhost');
  sign('server2', 'ca', 'server.ext', 'rotated');
  sign('client', 'ca', 'client.ext', 'client');
  sign('rogue', 'rogue-ca', 'client.ext', 'rogue');
  sign('rogue-server', 'rogue-ca', 'server.ext', 'localhost');
  openssl('pkey', '-in', f('server.key'), '-aes256', '-passout', 'pass:hunter2', '-out', f('server-enc.key'));
}

/** The TLS directives of a server using `dir`'s CA-signed server certificate (and its client one for outgoing links). */
export function tlsArgs(dir: string, opts: { server?: string } = {}): string[] {
  const f = (name: string): string => join(dir, name);
  const server = opts.server ?? 'server';
  return [
    '--tls-cert-file', f(`${server}.crt`),
    '--tls-key-file', f(`${server}.key`),
    '--tls-client-cert-file', f('client.crt'),
    '--tls-client-key-file', f('client.key'),
    '--tls-ca-cert-file', f('ca.crt'),
  ];
}

/** What a test client needs to reach a TLS port of a server using `dir`'s certificates. */
export function clientTls(dir: string): tls.ConnectionOptions {
  const f = (name: string): string => join(dir, name);
  return { ca: readFileSync(f('ca.crt')), cert: readFileSync(f('client.crt')), key: readFileSync(f('client.key')), servername: 'localhost' };
}

/** An ioredis client over TLS. */
export function tlsClient(dir: string, port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, tls: clientTls(dir), maxRetriesPerRequest: 0 });
}

/**
 * Starts Redoubt or redis-server listening only on a TLS port (`--port 0`), with `dir`'s
 * certificates (tlsArgs, `server` naming another server certificate) and `args`.
 */
export async function startTlsOnly(kind: 'redoubt' | 'redis', dir: string, args: string[] = [], opts: { server?: string } = {}): Promise<RunningServer> {
  const port = await freePort();
  const common = ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', ...tlsArgs(dir, opts)];
  const child =
    kind === 'redoubt'
      ? spawn(process.execPath, [REDOUBT_MAIN, ...common, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', [...common, '--appendonly', 'no', '--daemonize', 'no', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The server's own CA (the rogue one for a rogue certificate) for the readiness probe.
  const probe = { ...clientTls(dir), ...(opts.server === 'rogue-server' ? { ca: readFileSync(join(dir, 'rogue-ca.crt')) } : {}) };
  const deadline = Date.now() + 15000;
  for (;;) {
    if (await handshake(port, probe)) break;
    if (child.exitCode !== null) throw new Error(`${kind} exited:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} not listening on TLS port ${port}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    host: '127.0.0.1',
    process: child,
    output: () => out,
    exited: () => exited,
    stop: () => terminate(child),
  };
}

function handshake(port: number, options: tls.ConnectionOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', ...options });
    s.once('secureConnect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
