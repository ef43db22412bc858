// One TCP, TLS or unix-socket connection: admission (trusted networks, maxclients, protected
// mode), the read loop that feeds the parser and runs every complete command of a batch before
// one flush, protocol errors, the bounds on what a client may make the server hold, and close.
// Nothing a peer does here (resetting, never reading, never closing) may throw out of it.

import type { Socket } from 'node:net';
import { REFUSED, RespParser } from '../protocol/resp-parser.js';
import { Client } from './client.js';
import { dispatch } from './dispatcher.js';
import type { Server } from './server.js';
import { defaultUserIsNopass } from '../security/auth.js';
import * as E from '../errors.js';
import { auditEvent } from '../security/audit-log.js';
import { protectedModeDenies } from '../security/protected-mode.js';
import { admitPeer } from '../security/trusted-networks.js';
import { checkOutputLimits, closeUnauthenticated, setReplyCeiling } from '../security/output-limits.js';
import { enforceClientMemory } from './client-memory.js';

/** A peer's address as Redis prints it: an IPv4-mapped IPv6 address in its IPv4 form. */
function plainIp(ip: string | undefined): string {
  if (ip === undefined) return '?';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export function formatAddr(ip: string | undefined, port: number | undefined): string {
  if (ip === undefined) return '';
  ip = plainIp(ip);
  return ip.includes(':') ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}

/** Which listener a connection came from: unix sockets have a path, TLS ones finished their handshake. */
export interface Origin {
  readonly unixPath: string | null;
  readonly tls: boolean;
}

const PLAIN: Origin = { unixPath: null, tls: false };

/** A socket closed by us: errors from a peer that resets it are expected and ignored. */
const ignore = (): void => {};

/**
 * A refused connection gets its error line and is closed as soon as the line is handed to the
 * kernel, as Redis closes it right after the write: a peer that never closes its side (or resets
 * it) holds no descriptor.
 */
function refuse(socket: Socket, message: string): void {
  socket.on('error', ignore);
  socket.end(`-${message}\r\n`, () => socket.destroy());
  // The line is tiny, but a peer that already went away may never let it finish.
  const timer = setTimeout(() => socket.destroy(), 1000);
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Admission, in Redis's order: trusted-networks (before a byte is read), maxclients, protected
 * mode; then the client is created. Only admitted connections count as received, as in Redis.
 */
export function acceptConnection(server: Server, socket: Socket, origin: Origin = PLAIN): void {
  try {
    admit(server, socket, origin);
  } catch (err) {
    // A connection that went away while it was being admitted must not take the server with it.
    server.log.warning(`Accepting client connection: ${(err as Error).message}`);
    socket.on('error', ignore);
    socket.destroy();
  }
}

function admit(server: Server, socket: Socket, origin: Origin): void {
  if (server.shuttingDown) {
    socket.destroy();
    return;
  }
  // A TLS peer was checked before its handshake, by the listener.
  if (origin.unixPath === null && !origin.tls && !admitPeer(server, socket)) {
    socket.destroy();
    return;
  }
  // As Redis's accept handlers, before maxclients and protected mode are checked (an IPv6 address
  // is not bracketed there).
  if (server.log.enabled('verbose')) {
    if (origin.unixPath !== null) server.log.verbose(`Accepted connection to ${origin.unixPath}`);
    else server.log.verbose(`Accepted ${plainIp(socket.remoteAddress)}:${socket.remotePort ?? 0}`);
  }
  if (server.clients.size >= server.config.num('maxclients')) {
    server.stats.rejectedConnections++;
    auditEvent(server, 'maxclients', { addr: formatAddr(socket.remoteAddress, socket.remotePort), clients: server.clients.size });
    refuse(socket, E.MAX_CLIENTS);
    return;
  }
  // Unix sockets have no peer address: Redis shows the socket path, port 0, for both ends.
  const addr = origin.unixPath !== null ? `${origin.unixPath}:0` : formatAddr(socket.remoteAddress, socket.remotePort);
  const laddr = origin.unixPath !== null ? addr : formatAddr(socket.localAddress, socket.localPort);
  if (protectedModeDenies(server, socket, origin.unixPath !== null)) {
    server.stats.rejectedConnections++;
    auditEvent(server, 'protected-mode', { addr, laddr });
    refuse(socket, E.PROTECTED_MODE_DENIED);
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
  const parser = new RespParser({
    maxBulkLen: server.config.num('proto-max-bulk-len'),
    maxQueryBuffer: server.config.num('client-query-buffer-limit'),
    unauthenticated: server.authRequired(c),
    admit: (bytes) => server.memory.admit(bytes),
  });
  c.parser = parser;
  server.clients.set(c.id, c);
  socket.on('data', (chunk: Buffer) => {
    server.stats.netInput += chunk.length;
    server.stats.reads++;
    c.lastInteraction = Date.now();
    try {
      parser.feed(chunk);
      processInput(c);
    } catch (err) {
      // A fault in the parser or the read loop costs this client its connection, nothing more.
      server.log.warning(`Closing client after an internal error reading its input: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      server.closeClient(c);
    }
  });
  socket.on('error', (err) => server.log.verbose(`Client ${c.addr} socket error: ${err.message}`));
  socket.on('close', () => {
    // Not closed by the server: the peer went away (Redis logs this when a read returns 0).
    if (!c.closed && server.log.enabled('verbose')) server.log.verbose(`Client closed connection ${c.infoLine()}`);
    server.closeClient(c);
  });
}

/** Runs every complete request in the client's buffer (until it blocks), then flushes once. */
export function processInput(c: Client): void {
  const parser = c.parser;
  // Only a client with a connection has input to read.
  if (parser === null) return;
  const server = c.server;
  while (!c.blocked && !c.closeAfterReply && !c.closed && !held(c)) {
    parser.limits.unauthenticated = server.authRequired(c);
    const argv = parser.next();
    if (argv === null) break;
    if (argv === REFUSED) {
      // Its arguments would not fit in the heap: read and dropped, answered as Redis answers OOM.
      c.reply.error(parser.refusal);
      continue;
    }
    if (argv.length === 0) continue;
    setReplyCeiling(c);
    dispatch(c, argv);
    // Held by CLIENT PAUSE: it has not run yet, so the reply mode does not move on.
    if (held(c)) break;
    c.afterCommand();
    // A pipelined batch is flushed only at its end: the hard limit must hold inside it too.
    if (checkOutputLimits(c)) return;
  }
  if (parser.error !== null && !c.closeAfterReply) {
    server.log.verbose(`Protocol error (${parser.error}) from client: addr=${c.addr}`);
    c.reply.error(parser.error);
    c.closeAfterReply = true;
  } else if (parser.overflow && !c.closed) {
    if (parser.limits.unauthenticated) {
      closeUnauthenticated(server, c, 'query', parser.buffered + parser.pendingArgvBytes);
    } else {
      server.log.warning(`Closing client that reached max query buffer length: addr=${c.addr}`);
      server.closeClient(c);
    }
    return;
  }
  parser.release();
  flushClient(c);
  if (!c.closed) enforceClientMemory(server, c);
}

/** Runs the request a paused client was holding, then the rest of its buffer. */
export function resumeInput(c: Client): void {
  const argv = c.pendingArgv;
  if (argv === null) return;
  c.pendingArgv = null;
  // Through the whole gate again: a pause still in force holds it anew.
  setReplyCeiling(c);
  dispatch(c, argv);
  if (held(c)) return;
  c.afterCommand();
  processInput(c);
}

/** Whether CLIENT PAUSE holds a request of the client (dispatch stores it in pendingArgv). */
function held(c: Client): boolean {
  return c.pendingArgv !== null;
}

/** Writes pending replies and, if the client asked for it, closes after them. */
export function flushClient(c: Client): void {
  const pending = c.reply.pending;
  // No reply leaves before this turn's AOF write (and, under appendfsync always, its fsync).
  if (pending > 0 && c.server.aof.mustHold()) {
    c.server.aof.hold(c);
    return;
  }
  c.flush();
  c.server.stats.netOutput += pending;
  if (pending > 0) c.server.stats.writes++;
  if (pending > 0 && checkOutputLimits(c)) return;
  if (c.closeAfterReply && !c.closed && c.socket) {
    // As closeClient (a replica leaves the replicas, a blocked client its keys), the socket after the write.
    c.server.detachClient(c);
    closeAfterWrite(c.socket);
  }
}

/**
 * Closes a socket once what was written to it is handed to the kernel, as Redis closes right after
 * the last write; a peer that does not read has 10 seconds before the socket is destroyed anyway.
 */
function closeAfterWrite(socket: Socket): void {
  socket.end(() => socket.destroy());
  const timer = setTimeout(() => socket.destroy(), 10_000);
  socket.once('close', () => clearTimeout(timer));
}
