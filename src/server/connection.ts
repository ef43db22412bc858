// One TCP, TLS or unix-socket connection: admission (trusted networks, maxclients, protected
// mode), the read loop that feeds the parser and runs every complete command of a batch before
// one flush, protocol errors, and close.

import type { Socket } from 'node:net';
import { RespParser } from '../protocol/resp-parser.js';
import { Client } from './client.js';
import { dispatch } from './dispatcher.js';
import type { Server } from './server.js';
import { defaultUserIsNopass } from '../security/auth.js';
import * as E from '../errors.js';
import { auditEvent } from '../security/audit-log.js';
import { protectedModeDenies } from '../security/protected-mode.js';
import { admitPeer } from '../security/trusted-networks.js';
import { checkOutputLimits } from '../security/output-limits.js';

export function formatAddr(ip: string | undefined, port: number | undefined): string {
  if (ip === undefined) return '';
  if (ip.startsWith('::ffff:') && ip.includes('.')) ip = ip.slice(7);
  return ip.includes(':') ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}

/** Which listener a connection came from: unix sockets have a path, TLS ones finished their handshake. */
export interface Origin {
  readonly unixPath: string | null;
  readonly tls: boolean;
}

const PLAIN: Origin = { unixPath: null, tls: false };

/**
 * Admission, in Redis's order: trusted-networks (before a byte is read), maxclients, protected
 * mode; then the client is created. Only admitted connections count as received, as in Redis.
 */
export function acceptConnection(server: Server, socket: Socket, origin: Origin = PLAIN): void {
  if (server.shuttingDown) {
    socket.destroy();
    return;
  }
  // A TLS peer was checked before its handshake, by the listener.
  if (origin.unixPath === null && !origin.tls && !admitPeer(server, socket)) {
    socket.destroy();
    return;
  }
  if (server.clients.size >= server.config.num('maxclients')) {
    server.stats.rejectedConnections++;
    auditEvent(server, 'maxclients', { addr: formatAddr(socket.remoteAddress, socket.remotePort), clients: server.clients.size });
    socket.end(`-${E.MAX_CLIENTS}\r\n`);
    return;
  }
  // Unix sockets have no peer address: Redis shows the socket path, port 0, for both ends.
  const addr = origin.unixPath !== null ? `${origin.unixPath}:0` : formatAddr(socket.remoteAddress, socket.remotePort);
  const laddr = origin.unixPath !== null ? addr : formatAddr(socket.localAddress, socket.localPort);
  if (protectedModeDenies(server, socket, origin.unixPath !== null)) {
    server.stats.rejectedConnections++;
    auditEvent(server, 'protected-mode', { addr, laddr });
    socket.on('error', () => {});
    socket.end(`-${E.PROTECTED_MODE_DENIED}\r\n`);
    return;
  }
  server.stats.connectionsReceived++;
  if (origin.unixPath === null) socket.setNoDelay(true);
  const keepAlive = server.config.num('tcp-keepalive');
  if (keepAlive > 0 && origin.unixPath === null) socket.setKeepAlive(true, keepAlive * 1000);
  const c = new Client(server, socket);
  // As Redis's createClient: while the default user has no password a connection starts
  // authenticated, and stays so if a password is set later. Also keeps auth checks off the hot path.
  c.authenticated = defaultUserIsNopass(server);
  c.addr = addr;
  c.laddr = laddr;
  c.reply.onError = (m) => server.countError(m);
  c.parser = new RespParser({
    maxBulkLen: server.config.num('proto-max-bulk-len'),
    maxQueryBuffer: server.config.num('client-query-buffer-limit'),
    unauthenticated: server.authRequired(c),
  });
  server.clients.set(c.id, c);
  socket.on('data', (chunk: Buffer) => {
    server.stats.netInput += chunk.length;
    server.stats.reads++;
    c.lastInteraction = Date.now();
    c.parser!.feed(chunk);
    processInput(c);
  });
  socket.on('error', (err) => server.log.verbose(`Client ${c.addr} socket error: ${err.message}`));
  socket.on('close', () => server.closeClient(c));
}

/** Runs every complete request in the client's buffer (until it blocks), then flushes once. */
export function processInput(c: Client): void {
  const parser = c.parser!;
  const server = c.server;
  while (!c.blocked && !c.closeAfterReply && !c.closed && c.pendingArgv === null) {
    parser.limits.unauthenticated = server.authRequired(c);
    const argv = parser.next();
    if (argv === null) break;
    if (argv.length === 0) continue;
    dispatch(c, argv);
    // Held by CLIENT PAUSE: it has not run yet, so the reply mode does not move on.
    if (c.pendingArgv !== null) break;
    c.afterCommand();
    // A pipelined batch is flushed only at its end: the hard limit must hold inside it too.
    checkOutputLimits(c);
  }
  if (parser.error !== null && !c.closeAfterReply) {
    server.log.verbose(`Protocol error (${parser.error}) from client: addr=${c.addr}`);
    c.reply.error(parser.error);
    c.closeAfterReply = true;
  } else if (parser.overflow && !c.closed) {
    server.log.warning(`Closing client that reached max query buffer length: addr=${c.addr}`);
    server.closeClient(c);
    return;
  }
  flushClient(c);
}

/** Runs the request a paused client was holding, then the rest of its buffer. */
export function resumeInput(c: Client): void {
  const argv = c.pendingArgv;
  if (argv === null) return;
  c.pendingArgv = null;
  // Through the whole gate again: a pause still in force holds it anew.
  dispatch(c, argv);
  if (c.pendingArgv !== null) return;
  c.afterCommand();
  processInput(c);
}

/** Writes pending replies and, if the client asked for it, closes after them. */
export function flushClient(c: Client): void {
  const pending = c.reply.pending;
  c.flush();
  c.server.stats.netOutput += pending;
  if (pending > 0) c.server.stats.writes++;
  if (pending > 0 && checkOutputLimits(c)) return;
  if (c.closeAfterReply && !c.closed && c.socket) {
    c.closed = true;
    c.server.clients.delete(c.id);
    c.socket.end();
  }
}
