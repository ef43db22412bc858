// Replication, the replica's side, as Redis 7.0's replication.c: the link to the primary as an
// explicit state machine (connect → handshake: PING, AUTH with masteruser/masterauth, REPLCONF
// listening-port, ip-address, capa eof psync2 → PSYNC with our ID and offset → a full sync or a
// partial one → the stream), the full sync's payload in either form (`$<len>` or `$EOF:<mark>`),
// verified whole before the old data is dropped and loaded through the RDB loader, the stream
// applied through a client of kind 'master' (only data-changing commands: a primary cannot make
// this server do more than hold data), REPLCONF ACK each second and on GETACK, repl-timeout, and
// a reconnection each second with PSYNC for a partial resync. Nothing a primary sends (garbage,
// a huge length, a truncated file, a slow drip, an endless stream) may hold more than the bounds
// set here or stop the server from answering its other clients.

import net from 'node:net';
import tls from 'node:tls';
import { constants as bufferConstants } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Server } from './server.js';
import type { Replication } from './replication.js';
import { Client } from './client.js';
import { formatAddr } from './connection.js';
import { call } from './dispatcher.js';
import { RespParser } from '../protocol/resp-parser.js';
import { encodeCommand } from '../persistence/aof/reader.js';
import { RdbFileError, RdbFileReader } from '../persistence/rdb/file.js';
import { DecodeBudget } from '../persistence/rdb/budget.js';
import { loadRdb, rdbLoadOptions } from './rdb-load.js';
import { auditEvent } from '../security/audit-log.js';
import { tlsClientOptions } from '../security/tls.js';

/** The longest line the handshake reads (a reply, the payload's header). */
const MAX_LINE = 64 * 1024;
const EOF_MARK_LEN = 40;
/** How long one slice of verifying a payload may hold the event loop. */
const SLICE_MS = 5;

type LinkState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';

/** Bytes from the primary during the handshake and the payload, read as lines or counts. */
class LinkReader {
  private chunks: Buffer[] = [];
  size = 0;
  private wake: (() => void) | null = null;
  private error: Error | null = null;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.wake?.();
  }

  fail(err: Error): void {
    this.error ??= err;
    this.wake?.();
  }

  private async more(): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
    this.check();
  }

  /** Throws the error the link failed with, if it did. */
  private check(): void {
    const err = this.error;
    if (err !== null) throw err;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** One line without its CR LF; fails past MAX_LINE bytes without one. */
  async line(): Promise<string> {
    for (;;) {
      const buf = this.joined();
      const nl = buf.indexOf(0x0a);
      if (nl !== -1) {
        this.chunks = nl + 1 < buf.length ? [buf.subarray(nl + 1)] : [];
        this.size -= nl + 1;
        const end = nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl;
        return buf.latin1Slice(0, end);
      }
      if (buf.length > MAX_LINE) throw new Error(`a line of more than ${MAX_LINE} bytes from the primary`);
      await this.more();
    }
  }

  /** Whatever has arrived (at least one byte), at most `max` bytes. */
  async some(max: number): Promise<Buffer> {
    while (this.size === 0) await this.more();
    const first = this.chunks[0];
    if (first === undefined) throw new Error('no data');
    if (first.length <= max) {
      this.chunks.shift();
      this.size -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(max);
    this.size -= max;
    return first.subarray(0, max);
  }

  /** Everything buffered, taken out. */
  rest(): Buffer {
    const buf = this.joined();
    this.chunks = [];
    this.size = 0;
    return buf;
  }
}

export class ReplicaLink {
  state: LinkState = 'connect';
  private socket: net.Socket | null = null;
  private reader: LinkReader | null = null;
  private stopped = false;
  /** Read afresh after every await: stop() may have run meanwhile. */
  private isStopped(): boolean {
    return this.stopped;
  }
  /** The client that runs the stream (kind 'master'), while the link is up. */
  private master: Client | null = null;
  private parser: RespParser | null = null;
  /** Bytes fed to the parser since the stream began, and our offset then. */
  private fed = 0;
  private base = 0;
  /** The commands of a MULTI from the primary, until its EXEC, and their size. */
  private multi: string[][] | null = null;
  private multiBytes = 0;
  /** slave_read_repl_offset: stream bytes read (applied or not). */
  private readOffset = 0;
  /** Stream bytes read and not yet passed on to our backlog and replicas, and the offset they start at. */
  private raw: Buffer[] = [];
  private proxiedTo = 0;
  /**
   * The database the primary's stream is in while no stream client exists (Redis's cached
   * master's db): kept across a broken link for the partial resync, from the RDB's
   * repl-stream-db after a full sync; null when we have no history with this primary.
   */
  private lastStreamDb: number | null = null;
  lastIo = 0;
  private downSince = Date.now();
  private transfer = { total: -1, read: 0 };
  /** The connection attempt in flight counts only once. */
  private running = false;
  /** Why the primary's certificate was last refused (audited once until the link succeeds). */
  private tlsRefused: string | null = null;

  constructor(
    private readonly server: Server,
    private readonly repl: Replication,
    readonly host: string,
    readonly port: number,
  ) {}

  get up(): boolean {
    return this.state === 'connected';
  }

  /** The history an RDB recorded, loaded at startup: the stream resumes in that database. */
  restoreHistory(streamDb: number): void {
    this.lastStreamDb = streamDb >= 0 && streamDb < this.server.dbs.length ? streamDb : 0;
  }

  /** The database the primary's stream is in (for an RDB's repl-stream-db), null without a history. */
  streamDb(): number | null {
    return this.master !== null && this.state === 'connected' ? this.master.db.id : this.lastStreamDb;
  }

  /** ROLE's name for the state. */
  roleState(): string {
    return this.state;
  }

  start(): void {
    this.server.log.notice(`Connecting to MASTER ${this.host}:${this.port}`);
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.drop(null);
  }

  /** Closes the link (with the reason logged); the cron connects again unless stopped. */
  private drop(reason: string | null): void {
    if (reason !== null && !this.stopped) this.server.log.warning(reason);
    const wasUp = this.state === 'connected';
    this.socket?.destroy();
    this.socket = null;
    this.reader?.fail(new Error(reason ?? 'link closed'));
    this.reader = null;
    if (this.master !== null && this.state === 'connected') this.lastStreamDb = this.master.db.id;
    if (this.master !== null) this.server.closeClient(this.master);
    this.master = null;
    this.parser = null;
    this.raw = [];
    this.multi = null;
    this.multiBytes = 0;
    if (this.state !== 'connect') this.state = 'connect';
    if (wasUp) {
      this.downSince = Date.now();
      this.repl.linkDownSince = this.downSince;
      auditEvent(this.server, 'replication', { change: 'link-lost', primary: `${this.host}:${this.port}`, reason: reason ?? 'closed' });
    }
  }

  /** Once a second: connect when down, ACK when up, and the repl-timeout. */
  cron(now: number): void {
    if (this.stopped) return;
    if (this.state === 'connect') {
      if (!this.running) void this.run();
      return;
    }
    const timeout = this.server.config.num('repl-timeout') * 1000;
    if (now - this.lastIo > timeout) {
      if (this.state === 'connected') this.drop('MASTER timeout: no data nor PING received...');
      else if (this.state === 'sync' && this.server.loading === null) this.drop('Timeout receiving bulk data from MASTER... If the problem persists try to set the \'repl-timeout\' parameter in redis.conf to a larger value.');
      else if (this.state !== 'sync') this.drop('Timeout connecting to the MASTER...');
      return;
    }
    if (this.state === 'connected') this.sendAck(this.repl.offset);
  }

  /**
   * A TLS handshake with the primary that failed: a certificate that does not verify is an
   * audit-log event (once until a handshake succeeds), since it may be a primary impersonated.
   */
  private refusedTls(err: NodeJS.ErrnoException): void {
    const reason = err.code !== undefined && err.code !== '' ? `${err.code}: ${err.message}` : err.message;
    if (reason === this.tlsRefused) return;
    this.tlsRefused = reason;
    this.server.log.warning(`TLS handshake with MASTER ${this.host}:${this.port} failed: ${reason}`);
    auditEvent(this.server, 'replication', { change: 'primary-tls-refused', primary: `${this.host}:${this.port}`, reason });
  }

  /**
   * REPLCONF ACK <offset>, with FACK <offset fsynced> while our AOF is on (Redis 7.2: a primary
   * counts it in WAITAOF; one before 7.2 reads the ACK and ignores the rest).
   */
  private sendAck(offset: number): void {
    const fsynced = this.server.aof.fsyncedReplOffset;
    const ack = ['REPLCONF', 'ACK', String(offset)];
    if (fsynced !== -1) ack.push('FACK', String(Math.min(fsynced, offset)));
    this.socket?.write(encodeCommand(ack));
  }

  /** An ACK now (our AOF fsynced more), while the link is up. */
  ackNow(): void {
    if (this.state === 'connected') this.sendAck(this.repl.offset);
  }

  // --- connecting, the handshake, the sync ---

  private async run(): Promise<void> {
    // Not while the dataset loads: the PSYNC names the history the load may restore (the cron retries).
    if (this.running || this.stopped || this.server.loading !== null) return;
    this.running = true;
    const log = this.server.log;
    try {
      await this.connectAndSync();
    } catch (err) {
      if (!this.isStopped()) this.drop(`Replication with MASTER ${this.host}:${this.port} failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
      if (this.isStopped()) log.verbose('Replication link stopped');
    }
  }

  private async connectAndSync(): Promise<void> {
    const log = this.server.log;
    const config = this.server.config;
    this.state = 'connecting';
    this.lastIo = Date.now();
    const reader = new LinkReader();
    this.reader = reader;
    // tls-replication: the link is a TLS client connection, the primary's certificate verified.
    const secure = config.bool('tls-replication');
    const socket = secure ? tls.connect({ host: this.host, port: this.port, ...tlsClientOptions(config) }) : net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setNoDelay(!config.bool('repl-disable-tcp-nodelay'));
    socket.on('data', (chunk: Buffer) => {
      this.lastIo = Date.now();
      if (this.parser !== null) this.onStream(chunk);
      else reader.push(chunk);
    });
    socket.on('error', (err: Error) => reader.fail(err));
    socket.on('close', () => {
      reader.fail(new Error('connection lost'));
      if (this.socket === socket && this.state === 'connected') this.drop(`Connection with master lost.`);
    });
    let tcpUp = false;
    socket.once('connect', () => (tcpUp = true));
    await new Promise<void>((resolve, reject) => {
      socket.once(secure ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('connection lost')));
    }).catch((err: unknown) => {
      // Reached over TCP, failed in the handshake: a certificate refused (ours or the primary's).
      if (secure && tcpUp) this.refusedTls(err as NodeJS.ErrnoException);
      throw err;
    });
    this.tlsRefused = null;
    if (this.isStopped()) throw new Error('stopped');
    log.notice('MASTER <-> REPLICA sync started');
    this.state = 'handshake';
    const ask = async (argv: string[]): Promise<string> => {
      socket.write(encodeCommand(argv));
      return reader.line();
    };
    const pong = await ask(['PING']);
    if (pong.startsWith('-') && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(pong)) {
      throw new Error(`Error reply to PING from master: '${printable(pong)}'`);
    }
    log.notice('Master replied to PING, replication can continue...');
    const auth = config.str('masterauth');
    if (auth !== '') {
      const user = config.str('masteruser');
      const reply = await ask(user !== '' ? ['AUTH', user, auth] : ['AUTH', auth]);
      if (reply.startsWith('-')) throw new Error(`Unable to AUTH to MASTER: ${printable(reply)}`);
    }
    // The port replicas of ours reach us on: the TLS one when the replication runs over TLS (as Redis).
    const port = config.num('replica-announce-port') || (secure && config.num('tls-port') !== 0 ? config.num('tls-port') : config.num('port'));
    let reply = await ask(['REPLCONF', 'listening-port', String(port)]);
    if (reply.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${printable(reply)}`);
    const ip = config.str('replica-announce-ip');
    if (ip !== '') {
      reply = await ask(['REPLCONF', 'ip-address', ip]);
      if (reply.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${printable(reply)}`);
    }
    reply = await ask(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    if (reply.startsWith('-')) log.notice(`(Non critical) Master does not understand REPLCONF capa: ${printable(reply)}`);
    // Our own history: a primary that shares it (we were its replica, or it was ours) resumes it.
    const repl = this.repl;
    log.notice(`Trying a partial resynchronization (request ${repl.replid}:${repl.offset + 1}).`);
    // Our FAILOVER: the new primary (our replica until now) takes over when it shares our history.
    const failingOver = repl.failingOver;
    const psync = ['PSYNC', repl.replid, String(repl.offset + 1)];
    socket.write(encodeCommand(failingOver ? [...psync, 'FAILOVER'] : psync));
    let line = '';
    // The primary may send newlines to keep the link alive before it answers.
    while (line === '') line = await reader.line();
    if (failingOver) {
      if (!line.startsWith('+FULLRESYNC') && !line.startsWith('+CONTINUE')) {
        log.warning(`FAILOVER target refused PSYNC FAILOVER: ${printable(line)}`);
        repl.abortFailover('Failover target rejected psync request');
        return;
      }
      repl.failoverDone();
    }
    if (line.startsWith('+FULLRESYNC')) {
      const [, id, off] = line.split(' ');
      const offset = Number(off);
      if (id === undefined || id.length !== 40 || !Number.isSafeInteger(offset) || offset < 0) throw new Error(`Master replied with wrong +FULLRESYNC syntax: '${printable(line)}'`);
      log.notice(`Full resync from master: ${id}:${offset}`);
      // Whatever we held of a history with this primary is no longer resumable.
      this.lastStreamDb = null;
      await this.fullSync(reader, id, offset);
      return;
    }
    if (line.startsWith('+CONTINUE')) {
      const id = line.slice('+CONTINUE'.length).trim();
      if (id !== '' && id.length === 40 && id !== repl.replid) log.notice(`Master replication ID changed to ${id}`);
      repl.continued(id.length === 40 ? id : '');
      log.notice('Successful partial resynchronization with master.');
      log.notice('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      auditEvent(this.server, 'replication', { change: 'partial-sync', primary: `${this.host}:${this.port}`, offset: repl.offset });
      this.startStream(reader.rest());
      return;
    }
    if (line.startsWith('-NOMASTERLINK') || line.startsWith('-LOADING')) {
      throw new Error(`Master is currently unable to PSYNC but should be in the future: ${printable(line)}`);
    }
    throw new Error(`Unexpected reply to PSYNC from master: ${printable(line)}`);
  }

  /** The payload (either form), verified, then loaded in place of our data; then the stream. */
  private async fullSync(reader: LinkReader, replid: string, offset: number): Promise<void> {
    const server = this.server;
    const log = server.log;
    this.state = 'sync';
    let header = '';
    while (header === '') header = await reader.line();
    if (!header.startsWith('$')) {
      throw new Error(`Bad protocol from MASTER, the first byte is not '$' (we received '${printable(header.slice(0, 64))}'), are you sure the host and port are right?`);
    }
    const limit = this.payloadLimit();
    const chunks: Buffer[] = [];
    let got = 0;
    this.transfer = { total: -1, read: 0 };
    if (header.startsWith('$EOF:')) {
      const mark = Buffer.from(header.slice(5), 'latin1');
      if (mark.length !== EOF_MARK_LEN) throw new Error(`Bad EOF mark from MASTER: '${printable(header)}'`);
      log.notice('MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk');
      let tail = Buffer.alloc(0);
      for (;;) {
        const chunk = await reader.some(1 << 20);
        got += chunk.length;
        if (got > limit + EOF_MARK_LEN) throw new Error(`the primary's RDB is larger than this server can hold (${limit} bytes)`);
        chunks.push(chunk);
        this.transfer.read = got;
        tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - EOF_MARK_LEN))]);
        if (tail.length > EOF_MARK_LEN) tail = tail.subarray(tail.length - EOF_MARK_LEN);
        if (tail.length === EOF_MARK_LEN && tail.equals(mark)) break;
      }
    } else {
      const text = header.slice(1);
      const len = /^\d{1,20}$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(len)) throw new Error(`Bad payload length from MASTER: '${printable(header.slice(0, 64))}'`);
      if (len > limit) throw new Error(`the primary's RDB of ${len} bytes is larger than this server can hold (${limit} bytes)`);
      this.transfer.total = len;
      log.notice(`MASTER <-> REPLICA sync: receiving ${len} bytes from master to disk`);
      while (got < len) {
        const chunk = await reader.some(len - got);
        got += chunk.length;
        chunks.push(chunk);
        this.transfer.read = got;
      }
    }
    let payload = Buffer.concat(chunks);
    chunks.length = 0;
    if (header.startsWith('$EOF:')) payload = payload.subarray(0, payload.length - EOF_MARK_LEN);
    // The stream after the payload is read (and held) while the payload is checked and loaded.
    this.startStream(reader.rest(), false);
    log.notice('MASTER <-> REPLICA sync: Verifying the RDB received from the master');
    const streamDb = await verifyRdb(server, payload);
    if (this.isStopped()) return;
    this.repl.attachToNewPrimary();
    log.notice('MASTER <-> REPLICA sync: Flushing old data');
    // replica-lazy-flush is Redis's EMPTYDB_ASYNC here: keys and functions count as freed in the background.
    const lazy = server.config.bool('replica-lazy-flush');
    for (const db of server.dbs) db.clear(lazy);
    const functions = server.functions.flush();
    if (lazy) server.store.lazyfree.freeTable(functions);
    log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    await loadRdb(server, payload, { source: `the RDB from the primary ${this.host}:${this.port}`, keepExpired: true });
    this.repl.adoptPrimary(replid, offset);
    this.base = offset;
    this.proxiedTo = offset;
    this.readOffset = offset + this.fed;
    // The stream after the payload is in the database the RDB names (a primary's starts with a
    // SELECT anyway; a replica's, passed on from its own primary, may not).
    const master = this.master;
    const db = server.dbs[streamDb];
    if (master !== null && db !== undefined) master.db = db;
    log.notice('MASTER <-> REPLICA sync: Finished with success');
    auditEvent(server, 'replication', { change: 'full-sync', primary: `${this.host}:${this.port}`, offset, bytes: payload.length });
    if (this.isStopped() || this.socket === null || this.socket.destroyed) {
      this.drop(null);
      return;
    }
    this.state = 'connected';
    this.lastIo = Date.now();
    if (master !== null) server.clients.set(master.id, master);
    this.sendAck(this.repl.offset);
    this.drain();
  }

  /** The most a full sync's payload may be: what a Buffer can be, and what memory is left. */
  private payloadLimit(): number {
    const free = this.server.maxmemoryLimit() - this.server.usedMemory();
    return Math.max(0, Math.min(bufferConstants.MAX_LENGTH, free));
  }

  // --- the stream ---

  /** The stream begins (after a partial resync at once; after a full one once it has loaded). */
  private startStream(first: Buffer, connected = true): void {
    const server = this.server;
    // The link's socket, so that CLIENT LIST shows it (flags=M, the primary's address) and CLIENT
    // KILL TYPE master closes it (the link then resumes with a partial resync), as in Redis.
    const socket = this.socket;
    const master = new Client(server, socket);
    master.kind = 'master';
    master.authenticated = true;
    // As Redis's master client, which has no ACL user.
    master.user = '(superuser)';
    master.addr = formatAddr(socket?.remoteAddress, socket?.remotePort);
    master.laddr = formatAddr(socket?.localAddress, socket?.localPort);
    master.db = this.server.dbs[this.lastStreamDb ?? 0] ?? master.db;
    this.master = master;
    this.raw = [];
    this.proxiedTo = this.repl.offset;
    this.parser = new RespParser({
      maxBulkLen: server.config.num('proto-max-bulk-len'),
      maxQueryBuffer: server.config.num('client-query-buffer-limit'),
      unauthenticated: false,
      admit: (bytes) => server.memory.admit(bytes),
    });
    this.fed = 0;
    this.base = this.repl.offset;
    this.readOffset = this.repl.offset;
    if (connected) {
      this.state = 'connected';
      server.clients.set(master.id, master);
      this.sendAck(this.repl.offset);
    }
    if (first.length > 0) this.onStream(first);
  }

  private onStream(chunk: Buffer): void {
    const parser = this.parser;
    if (parser === null) return;
    if (this.master !== null) this.master.lastInteraction = Date.now();
    this.fed += chunk.length;
    this.readOffset += chunk.length;
    this.raw.push(chunk);
    parser.feed(chunk);
    if (parser.overflow) {
      this.drop('The stream from the primary passed client-query-buffer-limit; closing the link.');
      return;
    }
    if (this.state === 'connected') this.drain();
  }

  /** Applies every complete command of the stream. */
  private drain(): void {
    const parser = this.parser;
    const master = this.master;
    if (parser === null || master === null || this.server.loading !== null) return;
    for (;;) {
      if (this.parser !== parser) return;
      const argv = parser.next();
      if (argv === null) break;
      const before = this.repl.offset;
      this.apply(master, argv, before);
      this.repl.offset = this.base + this.fed - parser.buffered;
    }
    this.passOn();
    if (parser.error !== null) {
      this.drop(`Protocol error in the stream from the primary (${parser.error}); closing the link.`);
      return;
    }
    parser.release();
  }

  /** The bytes of the commands applied so far, exactly as received, to our backlog and replicas. */
  private passOn(): void {
    let n = this.repl.offset - this.proxiedTo;
    if (n <= 0) return;
    this.proxiedTo += n;
    const out: Buffer[] = [];
    while (n > 0) {
      const first = this.raw[0];
      if (first === undefined) break;
      if (first.length <= n) {
        out.push(first);
        this.raw.shift();
        n -= first.length;
      } else {
        out.push(first.subarray(0, n));
        this.raw[0] = first.subarray(n);
        n = 0;
      }
    }
    this.repl.proxy(out.length === 1 && out[0] !== undefined ? out[0] : Buffer.concat(out));
  }

  private apply(master: Client, argv: string[], before: number): void {
    const name = (argv[0] ?? '').toLowerCase();
    if (name === 'replconf') {
      if ((argv[1] ?? '').toLowerCase() === 'getack') this.sendAck(before);
      return;
    }
    if (name === 'ping' || argv.length === 0) return;
    if (name === 'multi') {
      this.multi = [];
      this.multiBytes = 0;
      return;
    }
    const queued = this.multi;
    if (name === 'exec' && queued !== null) {
      this.multi = null;
      const p = this.server.propagation;
      p.beginUnit();
      try {
        for (const q of queued) this.execute(master, q);
      } finally {
        p.endUnit();
      }
      return;
    }
    if (queued !== null) {
      for (const a of argv) this.multiBytes += a.length;
      if (this.multiBytes > this.server.config.num('client-query-buffer-limit')) {
        this.drop('A transaction from the primary passed client-query-buffer-limit; closing the link.');
        return;
      }
      queued.push(argv);
      return;
    }
    this.execute(master, argv);
  }

  /** Runs one command of the stream: only those that change data (and SELECT). */
  private execute(master: Client, argv: string[]): void {
    const server = this.server;
    const cmd = server.commands.resolve(argv);
    if (!cmd.resolved) {
      server.log.warning(`Unknown command from the primary ignored: '${printable((argv[0] ?? '').slice(0, 64))}'`);
      return;
    }
    const name = cmd.spec.name;
    if (name !== 'select' && (!(cmd.isWrite || cmd.mayReplicate) || cmd.isAdmin)) {
      server.log.warning(`Command from the primary refused (a replica applies only data changes): '${cmd.fullName}'`);
      auditEvent(server, 'replication', { change: 'command-refused', primary: `${this.host}:${this.port}`, command: cmd.fullName });
      return;
    }
    call(master, cmd, argv);
    const errors = master.reply.take();
    if (errors.length !== 0 && errors[0]?.[0] === 0x2d) {
      server.log.warning(`== CRITICAL == This replica is sending an error to its master: '${printable(errors[0].latin1Slice(0, 128).trim())}' after processing the command '${cmd.fullName}'`);
    }
  }

  // --- INFO ---

  infoLines(offset: number): string[] {
    const now = Date.now();
    const out = [
      `master_host:${this.host}`,
      `master_port:${this.port}`,
      `master_link_status:${this.up ? 'up' : 'down'}`,
      `master_last_io_seconds_ago:${this.up ? Math.floor((now - this.lastIo) / 1000) : -1}`,
      `master_sync_in_progress:${this.state === 'sync' ? 1 : 0}`,
      `slave_read_repl_offset:${this.up ? this.readOffset : offset}`,
      `slave_repl_offset:${offset}`,
    ];
    if (this.state === 'sync') {
      const t = this.transfer;
      const left = t.total === -1 ? 0 : t.total - t.read;
      const perc = t.total > 0 ? (t.read * 100) / t.total : 0;
      out.push(
        `master_sync_total_bytes:${t.total}`,
        `master_sync_read_bytes:${t.read}`,
        `master_sync_left_bytes:${left}`,
        `master_sync_perc:${perc.toFixed(2)}`,
        `master_sync_last_io_seconds_ago:${Math.floor((now - this.lastIo) / 1000)}`,
      );
    }
    if (!this.up) out.push(`master_link_down_since_seconds:${Math.floor((now - this.downSince) / 1000)}`);
    return out;
  }
}

/**
 * Reads the whole payload as the loader would, without loading it: a damaged or hostile RDB is
 * refused before the data we hold is dropped. Runs in slices, as the loader does. Returns the
 * database the stream after it starts in (its repl-stream-db, else 0).
 */
async function verifyRdb(server: Server, buf: Buffer): Promise<number> {
  const reader = new RdbFileReader(buf, {
    load: rdbLoadOptions(server.config),
    budget: new DecodeBudget(Math.max(0, server.maxmemoryLimit() - server.usedMemory())),
    verifyChecksum: true,
  });
  let streamDb = 0;
  try {
    reader.header();
    for (;;) {
      const end = performance.now() + SLICE_MS;
      for (let n = 0; ; n++) {
        if ((n & 63) === 63 && performance.now() > end) break;
        const rec = reader.next();
        if (rec.kind === 'aux' && rec.key.toLowerCase() === 'repl-stream-db') {
          const db = parseInt(rec.value, 10);
          if (Number.isInteger(db) && db >= 0 && db < server.dbs.length) streamDb = db;
        }
        if (rec.kind === 'eof') {
          if (rec.end !== buf.length) throw new RdbFileError(rec.end, `${buf.length - rec.end} bytes of trailing data after the end of the RDB`, 'corrupt');
          return streamDb;
        }
      }
      await nextTurn();
    }
  } catch (err) {
    if (err instanceof RdbFileError) throw new Error(`the RDB from the primary is not valid at offset ${err.offset}: ${err.message}; the data held is kept`, { cause: err });
    throw err;
  }
}

/** A reply or line for the log: control bytes escaped, at most 128 characters. */
function printable(s: string): string {
  return s.slice(0, 128).replace(/[^\x20-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
