// Small in-test endpoints for the auditor's tests: each listens on one loopback address and
// behaves as one kind of thing an internet scan meets (an open Redis-protocol server of a given
// version, one that wants a password, protected mode, a busy server, an HTTP or SSH server, an
// accept-time address filter). They are fixtures, not servers under test: they parse just the
// RESP arrays the auditor sends and answer from a table.

import net from 'node:net';

export type Behavior =
  | { readonly kind: 'open'; readonly info: string; readonly config?: Readonly<Record<string, string>>; readonly acl?: readonly string[] }
  | { readonly kind: 'noauth' }
  | { readonly kind: 'denied' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'http' }
  | { readonly kind: 'ssh' }
  | { readonly kind: 'close-at-accept' }
  | { readonly kind: 'error'; readonly message: string };

const bulk = (s: string): string => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;

/** INFO text as a Redis-protocol server writes it. */
export function infoText(fields: Readonly<Record<string, string | number>>): string {
  return `# Server\r\n${Object.entries(fields).map(([k, v]) => `${k}:${v}`).join('\r\n')}\r\n`;
}

/** Splits complete RESP arrays of bulk strings off `buf`; returns the commands and the rest. */
function takeCommands(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let pos = 0;
  for (;;) {
    if (buf[pos] !== '*') break;
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) break;
    const n = Number(buf.slice(pos + 1, eol));
    let p = eol + 2;
    const args: string[] = [];
    let complete = true;
    for (let i = 0; i < n; i++) {
      const e = buf.indexOf('\r\n', p);
      if (e < 0 || buf[p] !== '$') {
        complete = false;
        break;
      }
      const len = Number(buf.slice(p + 1, e));
      if (buf.length < e + 2 + len + 2) {
        complete = false;
        break;
      }
      args.push(buf.slice(e + 2, e + 2 + len));
      p = e + 2 + len + 2;
    }
    if (!complete) break;
    commands.push(args);
    pos = p;
  }
  return { commands, rest: buf.slice(pos) };
}

function answer(b: Behavior & { kind: 'open' }, argv: readonly string[]): string {
  const name = (argv[0] ?? '').toUpperCase();
  const sub = (argv[1] ?? '').toUpperCase();
  if (name === 'INFO') return bulk(b.info);
  if (name === 'PING') return '+PONG\r\n';
  if (name === 'CONFIG' && sub === 'GET') {
    const key = argv[2] ?? '';
    const v = b.config?.[key];
    return v === undefined ? '*0\r\n' : `*2\r\n${bulk(key)}${bulk(v)}`;
  }
  if (name === 'ACL' && sub === 'LIST') return b.acl === undefined ? "-ERR unknown command 'ACL'\r\n" : `*${b.acl.length}\r\n${b.acl.map(bulk).join('')}`;
  if (name === 'COMMAND' && sub === 'INFO') return '*1\r\n*0\r\n';
  if (name === 'SCAN') return `*2\r\n${bulk('0')}*0\r\n`;
  if (name === 'SELECT') return '+OK\r\n';
  return `-ERR unknown command '${argv[0] ?? ''}'\r\n`;
}

function onConnection(b: Behavior, sock: net.Socket): void {
  sock.on('error', () => {});
  switch (b.kind) {
    case 'close-at-accept':
      sock.destroy();
      return;
    case 'ssh':
      sock.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
      break;
    default:
      break;
  }
  let pending = '';
  sock.on('data', (d: Buffer) => {
    if (b.kind === 'http') {
      sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (b.kind === 'ssh') {
      sock.end('Invalid SSH identification string.\r\n');
      return;
    }
    const { commands, rest } = takeCommands(pending + d.latin1Slice());
    pending = rest;
    for (const argv of commands) {
      if (b.kind === 'noauth') sock.write('-NOAUTH Authentication required.\r\n');
      else if (b.kind === 'busy') sock.write('-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n');
      else if (b.kind === 'error') sock.write(`-${b.message}\r\n`);
      else if (b.kind === 'denied') {
        sock.end('-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.\r\n');
        return;
      } else sock.write(answer(b, argv), 'latin1');
    }
  });
}

/** Starts one responder on host:port. */
export function startResponder(host: string, port: number, b: Behavior): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => onConnection(b, sock));
    server.once('error', reject);
    server.listen({ host, port, backlog: 64 }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

export function closeAll(servers: readonly net.Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
}
