// The state of one client connection, as Redis's `client` struct: protocol, selected database,
// authentication, name, reply mode, flags. Handlers receive the Client and reach the server,
// the database and the reply writer through it. Scripts and the AOF loader use clients with no socket.

import type { Socket } from 'node:net';
import { RespWriter } from '../protocol/reply-writer.js';
import type { RespParser } from '../protocol/resp-parser.js';
import type { Database } from '../store/database.js';
import type { Server } from './server.js';
import type { Command } from '../commands/registry.js';
import type { Subscriptions } from './pubsub.js';
import type { WatchState } from './watch.js';
import type { TrackingState } from './tracking.js';
import type { ReplicaInfo } from './replication.js';
import { discardTransaction, type MultiState } from './multi.js';
import { pendingOutput } from '../security/output-limits.js';
import { defaultUserIsNopass } from '../security/auth.js';

/** Size of Redis's per-client reply buffer and of its reply list blocks (CLIENT LIST obl/oll/omem). */
const REPLY_CHUNK = 16 * 1024;

export class Client {
  readonly id: number;
  readonly reply = new RespWriter();
  db: Database;
  name = '';
  libName = '';
  libVer = '';
  /** Name of the ACL user the client is authenticated as. */
  user = 'default';
  authenticated = false;
  /** CLIENT REPLY OFF. */
  replyOff = false;
  /** The reply of the command now running is dropped (the one after CLIENT REPLY SKIP). */
  replySkip = false;
  /** Set by CLIENT REPLY SKIP: the next command's reply is dropped. */
  replySkipNext = false;
  noEvict = false;
  /** In MONITOR mode (server/monitor.ts): sees every command; may not touch the keyspace. */
  monitor = false;
  noTouch = false;
  /** Messages published to this client by its own command, sent after that command's reply (Redis 7.2). */
  heldPushes: Buffer[] | null = null;
  /** Reply, then close (QUIT, protocol errors, CLIENT KILL of self). */
  closeAfterReply = false;
  /** Waiting on a blocking command: input is not read until it is served or times out. */
  blocked = false;
  /** Running the commands of EXEC (or a script): blocking commands don't block, wake-ups wait. */
  inExec = false;
  /** ASKING was sent: the next command may use a slot this cluster node is importing. */
  asking = false;
  /** READONLY: reads of its primary's slots are served by this cluster replica. */
  readonlyCluster = false;
  /** Running inside a Lua script (ACL LOG context 'lua'). */
  inScript = false;
  /** MULTI: the commands queued so far, or null outside a transaction. */
  multi: MultiState | null = null;
  /** Keys under WATCH, or null when none. */
  watched: WatchState | null = null;
  /** CLIENT TRACKING ON: the client's client-side caching mode (server/tracking.ts), else null. */
  tracking: TrackingState | null = null;
  /** A watched key changed (Redis's CLIENT_DIRTY_CAS): the next EXEC fails. */
  dirtyCas = false;
  /** A request read but held back by CLIENT PAUSE; it runs first when the pause ends. */
  pendingArgv: string[] | null = null;
  /** Bytes of the request parser, so the connection can stop and resume reading. */
  parser: RespParser | null = null;
  private isClosed = false;
  /** Channels, patterns and shard channels while subscribed (kind is then 'pubsub'), else null. */
  subs: Subscriptions | null = null;
  /** When the unsent output first reached the soft limit (ms), 0 while under it. */
  obufSoftSince = 0;
  /** Memory last accounted for the client, and whether as unauthenticated (see client-memory.ts). */
  memUsage = 0;
  memUnauth = false;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand: Command | null = null;
  /** The slow log entry of a command that blocked: written when the wait ends, as Redis does. */
  blockedEntry: { readonly cmd: Command; readonly argv: string[]; readonly usec: number } | null = null;
  /** The command that is running, for CLIENT LIST `cmd=` of the caller itself. */
  current: Command | null = null;
  /** Number of commands run, for diagnostics. */
  commands = 0;
  /** Address strings as CLIENT LIST shows them: "ip:port", or "/path:0" for a unix socket. */
  addr = '';
  laddr = '';
  /** Process-wide: 'normal', 'replica', 'pubsub', 'master' (CLIENT LIST `flags` and output limits). */
  kind: 'normal' | 'replica' | 'pubsub' | 'master' = 'normal';
  /** What the primary knows of this client as a replica (from its first REPLCONF), else null. */
  replica: ReplicaInfo | null = null;
  /** Stream bytes held for a replica until its full sync is sent (counted as its output). */
  replicaPending = 0;
  /** Set when the client is one of ours with no network peer (scripts, loading). */
  readonly socket: Socket | null;

  constructor(
    readonly server: Server,
    socket: Socket | null,
  ) {
    this.id = server.nextClientId++;
    this.socket = socket;
    const db = server.dbs[0];
    // databases is at least 1 (its bounds in the parameter table).
    if (db === undefined) throw new RangeError('the server has no database 0');
    this.db = db;
  }

  /** Called between two requests, as Redis's resetClient: moves CLIENT REPLY SKIP along. */
  afterCommand(): void {
    this.replySkip = this.replySkipNext;
    this.replySkipNext = false;
    this.reply.enabled = !this.replyOff && !this.replySkip && !this.reply.overflowed;
    if (this.tracking !== null) this.server.tracking.endRequest(this);
  }

  /**
   * RESET: the connection as it was when it connected, as Redis 7.0's clearClientConnectionState.
   * Every effect is here: the transaction and its watches go, every subscription (silently), the
   * name, CLIENT REPLY OFF/SKIP and NO-TOUCH; database 0, RESP2, and the default user, logged in
   * only if it needs no password, and out of MONITOR mode. CLIENT NO-EVICT stays, as in Redis 7.0
   * (7.2 clears it too).
   */
  resetConnection(): void {
    if (this.monitor) this.server.monitors.remove(this);
    this.server.tracking.disable(this);
    discardTransaction(this);
    this.server.pubsub.forget(this);
    this.db = this.server.dbs[0] ?? this.db;
    this.resp = 2;
    this.user = 'default';
    this.authenticated = defaultUserIsNopass(this.server);
    this.name = '';
    this.replyOff = false;
    this.replySkipNext = false;
    // RESET's own reply goes out unless CLIENT REPLY SKIP was for it.
    this.reply.enabled = !this.replySkip;
    this.noTouch = false;
    // Redis 7.2 (#11483): RESET clears CLIENT NO-EVICT too.
    this.noEvict = false;
  }

  /** Set once, by whatever closes the connection; a subscriber leaves every channel then, a watcher its keys, a monitor its mode, a tracking client its prefixes. */
  get closed(): boolean {
    return this.isClosed;
  }

  set closed(v: boolean) {
    this.isClosed = v;
    if (v && this.subs !== null) this.subs.registry.forget(this);
    if (v && this.watched !== null) this.watched.table.unwatchAll(this);
    if (v && this.monitor) this.server.monitors.remove(this);
    if (v && this.tracking !== null) this.server.tracking.disable(this);
  }

  get dbIndex(): number {
    return this.db.id;
  }

  get resp(): 2 | 3 {
    return this.reply.resp;
  }

  set resp(v: 2 | 3) {
    this.reply.resp = v;
  }

  /**
   * One CLIENT LIST line, fields in Redis's order (CLIENT LIST and INFO, ACL LOG's client-info).
   * `argv` is the caller's own request, whose memory Redis counts while it runs.
   */
  infoLine(argv: readonly string[] | null = null): string {
    let flags = '';
    if (this.monitor) flags += 'O';
    if (this.kind === 'replica') flags += 'S';
    if (this.kind === 'master') flags += 'M';
    if (this.kind === 'pubsub') flags += 'P';
    if (this.multi !== null) flags += 'x';
    if (this.blocked || this.pendingArgv !== null) flags += 'b';
    const t = this.tracking;
    if (t !== null) flags += t.brokenRedir ? (t.bcast ? 'tRB' : 'tR') : t.bcast ? 'tB' : 't';
    if (this.dirtyCas) flags += 'd';
    if (this.closeAfterReply) flags += 'c';
    if (this.socket !== null && this.socket.remoteAddress === undefined) flags += 'U';
    if (this.noEvict) flags += 'e';
    if (this.noTouch) flags += 'T';
    if (flags === '') flags = 'N';
    const now = Date.now();
    // Redis's query buffer still holds the request being run; Redoubt's parser has consumed it,
    // so the caller's own line counts it back in its wire form.
    const qbuf = (this.parser?.buffered ?? 0) + requestBytes(argv);
    const argvMem = argvBytes(argv ?? this.pendingArgv);
    const multiMem = this.multi?.mem ?? 0;
    // Redis keeps the first 16KB of replies in a fixed buffer (obl) and the rest in a list of
    // blocks (oll, omem); Redoubt reports its unsent bytes in the same shape.
    const unsent = pendingOutput(this);
    const obl = Math.min(unsent, REPLY_CHUNK);
    const omem = unsent - obl;
    const oll = Math.ceil(omem / REPLY_CHUNK);
    const writing = unsent > 0;
    const cmd = argv !== null && this.current !== null ? this.current : this.lastCommand;
    const subs = this.subs;
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${socketFd(this.socket)} name=${this.name} ` +
      `age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)} ` +
      `flags=${flags} db=${this.dbIndex} sub=${subs?.channels.size ?? 0} psub=${subs?.patterns.size ?? 0} ssub=${subs?.shard.size ?? 0} multi=${this.multi?.commands.length ?? -1} qbuf=${qbuf} qbuf-free=0 ` +
      `argv-mem=${argvMem} multi-mem=${multiMem} rbs=0 rbp=0 obl=${obl} oll=${oll} omem=${omem} tot-mem=${qbuf + argvMem + multiMem + unsent} ` +
      `events=${writing ? 'rw' : 'r'} cmd=${cmd ? cmd.fullName : 'NULL'} user=${this.user} redir=${t === null ? -1 : t.redirect} resp=${this.resp} ` +
      `lib-name=${this.libName} lib-ver=${this.libVer}`
    );
  }

  /** Writes what the handlers produced to the socket, in one write. */
  flush(): void {
    if (this.socket === null || this.reply.pending === 0 || this.reply.overflowed) return;
    const chunks = this.reply.take();
    if (this.closed) return;
    const first = chunks[0];
    if (chunks.length === 1 && first !== undefined) {
      this.socket.write(first);
    } else {
      this.socket.cork();
      for (const chunk of chunks) this.socket.write(chunk);
      this.socket.uncork();
    }
  }
}

/** The socket's file descriptor, when the platform exposes it (-1 otherwise, as for fake clients). */
function socketFd(socket: Socket | null): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } } | null)?._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

/** The size of `argv` sent as a RESP multibulk request. */
function requestBytes(argv: readonly string[] | null): number {
  if (argv === null) return 0;
  let n = 3 + String(argv.length).length;
  for (const a of argv) n += 5 + String(a.length).length + a.length;
  return n;
}

function argvBytes(argv: readonly string[] | null): number {
  if (argv === null) return 0;
  let n = 0;
  for (const a of argv) n += a.length;
  return n;
}
