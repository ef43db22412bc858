// Replication, the primary's side, as Redis 7.0's replication.c: the replication ID and offset,
// the backlog (a ring of the last repl-backlog-size bytes of the stream), PSYNC (a partial resync
// from the backlog, else a full sync: a forkless snapshot streamed to the socket in the `$EOF:`
// form, or written to a temporary file and sent as `$<len>` plus the file, while the stream
// produced meanwhile waits in the replica's output, held to client-output-buffer-limit replica), SYNC for the old protocol (redis-cli --rdb and
// --replica, the test suite's stream readers), REPLCONF, the PING every
// repl-ping-replica-period, the timeout of silent replicas, and WAIT. A propagation sink: the
// stream is exactly the effects the AOF gets, plus PING and REPLCONF GETACK. The replica's side
// is replica-link.ts; this object owns it (`link`) and answers ROLE and INFO for both.

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import * as E from '../errors.js';
import type { Server } from './server.js';
import type { Client } from './client.js';
import type { Command } from '../commands/registry.js';
import type { PropagatedOp, PropagationSink } from './propagation.js';
import { TO_REPL } from './propagation.js';
import { encodeCommand } from '../persistence/aof/reader.js';
import { closeFile, closeQuietly, createTemp, removeQuietly, writeChunk, type SnapshotFilter } from './rdb-save.js';
import { checkOutputLimits } from '../security/output-limits.js';
import { auditEvent, clientFields } from '../security/audit-log.js';
import { ReplicaLink } from './replica-link.js';
import { HeldStream } from './held-stream.js';
import type { Snapshot } from '../persistence/snapshot.js';
import type { SavedReplication } from './rdb-load.js';

const NO_ID = '0000000000000000000000000000000000000000';
/** How long one slice of a full sync's snapshot may hold the event loop, in ms. */
const SLICE_MS = 4;
const CHUNK_BYTES = 256 * 1024;
const PING_ARGV = encodeCommand(['PING']);
const GETACK = encodeCommand(['REPLCONF', 'GETACK', '*']);

/** A new 40-character replication ID (Redis's changeReplicationId). */
function newReplicationId(): string {
  return randomBytes(20).toString('hex');
}

/** The last repl-backlog-size bytes of the stream, and the offset of the first of them. */
class Backlog {
  private buf: Buffer;
  /** Where the next byte goes. */
  private idx = 0;
  histlen = 0;
  /** The replication offset of the first byte held (Redis's repl_backlog->offset). */
  firstOffset: number;

  constructor(size: number, masterOffset: number) {
    this.buf = Buffer.alloc(size);
    this.firstOffset = masterOffset + 1;
  }

  get size(): number {
    return this.buf.length;
  }

  append(data: Buffer): void {
    const size = this.buf.length;
    let src = data;
    if (src.length > size) src = src.subarray(src.length - size);
    const first = Math.min(src.length, size - this.idx);
    src.copy(this.buf, this.idx, 0, first);
    if (first < src.length) src.copy(this.buf, 0, first);
    this.idx = (this.idx + src.length) % size;
    const before = this.histlen;
    this.histlen = Math.min(size, this.histlen + data.length);
    this.firstOffset += before + data.length - this.histlen;
  }

  /** The bytes from replication offset `from` to the end (from is within [firstOffset, firstOffset + histlen]). */
  from(from: number): Buffer {
    const skip = from - this.firstOffset;
    const len = this.histlen - skip;
    if (len <= 0) return Buffer.alloc(0);
    const size = this.buf.length;
    const start = (this.idx - len + size) % size;
    if (start + len <= size) return Buffer.from(this.buf.subarray(start, start + len));
    return Buffer.concat([this.buf.subarray(start), this.buf.subarray(0, len - (size - start))]);
  }

  /** The same history in a ring of another size (CONFIG SET repl-backlog-size). */
  resized(size: number): Backlog {
    const b = new Backlog(size, this.firstOffset - 1);
    const keep = Math.min(size, this.histlen);
    b.firstOffset = this.firstOffset + this.histlen - keep;
    b.append(this.from(this.firstOffset + this.histlen - keep));
    b.firstOffset = this.firstOffset + this.histlen - keep;
    return b;
  }
}

/** What the primary knows of one replica (Redis's slave fields of the client). */
export interface ReplicaInfo {
  state: 'wait_bgsave' | 'send_bulk' | 'online';
  listeningPort: number;
  announcedIp: string;
  capaEof: boolean;
  capaPsync2: boolean;
  /** Attached with SYNC: sends no ACKs (Redis's CLIENT_PRE_PSYNC). */
  oldProtocol: boolean;
  /** REPLCONF rdb-only 1: the RDB, then the connection closes. */
  rdbOnly: boolean;
  /** REPLCONF rdb-filter-only: `functions` keeps the libraries alone, an empty filter nothing. */
  only: SnapshotFilter;
  /**
   * A diskless payload was sent: the stream waits for the replica's first ACK, since a replica
   * looks for the EOF mark at the end of what it reads and must not read stream bytes behind it
   * (Redis's repl_start_cmd_stream_on_ack).
   */
  awaitingAck: boolean;
  ackOffset: number;
  /** The offset the replica says its AOF has fsynced (REPLCONF ACK ... FACK, Redis 7.2), for WAITAOF. */
  aofAckOffset: number;
  /** ms since the epoch of the last ACK (or of the attach). */
  ackTime: number;
  /** Stream bytes produced while the RDB was being made and sent, in order. */
  pending: HeldStream;
}

/**
 * A snapshot's bytes, one time slice at a time, until it is done or `gone()` (the replica left, the
 * server is stopping). rdb-key-save-delay (a test hook, microseconds per key, as Redis's) makes
 * each slice one key followed by that pause.
 */
async function* slices(snapshot: Snapshot, keyDelayUs: number, gone: () => boolean): AsyncGenerator<Buffer> {
  while (!gone()) {
    const chunk = keyDelayUs > 0 ? snapshot.step(SLICE_MS, 1) : snapshot.step(SLICE_MS, CHUNK_BYTES);
    if (chunk === null) return;
    if (keyDelayUs > 0) await sleep(keyDelayUs / 1000);
    yield chunk;
  }
}

/** Whether replica-allowed-primaries admits host:port: an entry `host`, `host:port` or a CIDR range. */
export function primaryAllowed(list: string, host: string, port: number): boolean {
  const h = host.toLowerCase();
  for (const entry of list.split(/[\s,]+/)) {
    if (entry === '') continue;
    const e = entry.toLowerCase();
    if (e === h || e === `${h}:${port}` || e === `[${h}]:${port}`) return true;
    const slash = e.indexOf('/');
    if (slash === -1) continue;
    const base = e.slice(0, slash);
    const bits = Number(e.slice(slash + 1));
    const family = net.isIP(base);
    if (family === 0 || net.isIP(h) !== family || !Number.isInteger(bits)) continue;
    const list = new net.BlockList();
    try {
      list.addSubnet(base, bits, family === 6 ? 'ipv6' : 'ipv4');
    } catch {
      continue;
    }
    if (list.check(h, family === 6 ? 'ipv6' : 'ipv4')) return true;
  }
  return false;
}

/** A FAILOVER under way (Redis's failover_state and its target). */
interface Failover {
  state: 'waiting-for-sync' | 'failover-in-progress';
  /** The target, null until one is chosen (FAILOVER without TO takes the first replica caught up). */
  host: string | null;
  port: number;
  /** ms since the epoch when the wait for the target ends, 0 for never. */
  endTime: number;
  force: boolean;
  readonly timer: NodeJS.Timeout;
}

/** How often a FAILOVER looks at its target's acknowledged offset (Redis runs its replication cron every 100 ms meanwhile). */
const FAILOVER_CHECK_MS = 100;

/** A client blocked in WAIT. */
interface Waiter {
  readonly client: Client;
  /** Whether what the client waits for has come (enough replicas acknowledged). */
  readonly ready: () => boolean;
  readonly release: () => void;
}

export class Replication implements PropagationSink {
  readonly target = TO_REPL;
  replid = newReplicationId();
  replid2 = NO_ID;
  /** master_repl_offset: bytes of stream produced (or, on a replica, applied) so far. */
  offset = 0;
  /** second_repl_offset: up to where replid2 is valid, -1 when none. */
  secondOffset = -1;
  private backlog: Backlog | null = null;
  /** The database the stream last selected (Redis's slaveseldb), -1 to force a SELECT. */
  private selectedDb = -1;
  readonly replicas = new Set<Client>();
  /** When the last replica left (for repl-backlog-ttl), 0 while one is attached. */
  private noReplicasSince = Date.now();
  /** Seconds the replication cron has run (Redis's replication_cron_loops): PINGs go on multiples of the period. */
  private cronLoops = 0;
  private readonly waiters: Waiter[] = [];
  private getackScheduled = false;
  /**
   * Online replicas whose socket is corked until the end of this turn of the event loop, so the
   * stream of every command run in it goes out in one write instead of one per command.
   */
  private readonly corked = new Set<Client>();
  private readonly uncorkAll = (): void => {
    for (const c of this.corked) c.socket?.uncork();
    this.corked.clear();
  };

  /**
   * Sends the replicas now what this turn has written to them (a shutdown closes their sockets
   * next, which would drop it): every write a client was told about reaches them, as Redis's
   * flushReplicasOutputBuffers on the way out.
   */
  flushReplicas(): void {
    this.uncorkAll();
  }
  /** Online replicas whose last ACK is within min-replicas-max-lag (Redis's repl_good_slaves_count). */
  goodReplicas = 0;
  /** sync_full, sync_partial_ok, sync_partial_err (INFO stats). */
  readonly stats = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0 };
  /** The link to our primary while this server is a replica, else null. */
  link: ReplicaLink | null = null;
  /**
   * The offset after the last data the stream carried (not its own PINGs and GETACKs): what
   * WAITAOF waits for, as Redis's client woff (a GETACK that asks for the FACKs is no write).
   */
  dataOffset = 0;
  /** The FAILOVER under way, else null. */
  failover: Failover | null = null;
  /**
   * When the link to our primary last went down (Redis's repl_down_since): 0 when it has not been
   * up since this server last became a primary (or started), which counts as down forever.
   */
  linkDownSince = 0;

  constructor(private readonly server: Server) {}

  /**
   * How old a replica's data is, in ms (what clusterHandleSlaveFailover measures): since the last
   * byte from the primary while the link is up, since the link went down otherwise.
   */
  dataAge(now: number): number {
    const link = this.link;
    if (link?.up === true) return now - link.lastIo;
    return this.linkDownSince === 0 ? now : now - this.linkDownSince;
  }

  get isReplica(): boolean {
    return this.link !== null;
  }

  // --- the stream ---

  /** PropagationSink: the effects of one unit of work, with SELECTs, to the backlog and every replica. */
  feed(ops: readonly PropagatedOp[]): void {
    // A replica's stream is its primary's, passed on as received (proxy), never its own.
    if (this.backlog === null || this.link !== null) return;
    let out = '';
    for (const op of ops) {
      if (op.db !== this.selectedDb) {
        out += encodeCommand(['SELECT', String(op.db)]);
        this.selectedDb = op.db;
      }
      out += encodeCommand(op.argv);
    }
    this.append(Buffer.from(out, 'latin1'));
    this.dataOffset = this.offset;
  }

  /**
   * On a replica: bytes of the primary's stream, exactly as received, that the link has applied
   * (the offset already counts them), to our backlog and our own replicas (Redis's
   * replicationFeedStreamFromMasterStream): replicas of a replica get the primary's stream
   * verbatim, with its replication ID and offsets.
   */
  proxy(data: Buffer): void {
    if (data.length !== 0) this.append(data, false);
  }

  /** Bytes of stream as they are: to the backlog, the online replicas, and those syncing. */
  private append(data: Buffer, advance = true): void {
    const backlog = this.backlog;
    if (backlog === null) return;
    backlog.append(data);
    if (advance) this.offset += data.length;
    for (const c of [...this.replicas]) {
      const r = c.replica;
      if (r === null || c.closed) continue;
      if (r.state === 'online' && !r.awaitingAck) {
        const socket = c.socket;
        if (socket !== null && !this.corked.has(c)) {
          socket.cork();
          this.corked.add(c);
          if (this.corked.size === 1) setImmediate(this.uncorkAll);
        }
        socket?.write(data);
      } else {
        r.pending.append(data);
        c.replicaPending += data.length;
      }
      checkOutputLimits(c);
    }
  }

  /** Creates the backlog (the first replica attaches) and joins the propagation sinks. */
  private ensureBacklog(): void {
    if (this.backlog !== null) return;
    this.backlog = new Backlog(this.server.config.num('repl-backlog-size'), this.offset);
    // A new history: replicas of an older one must sync anew (Redis's createReplicationBacklog).
    this.replid2 = NO_ID;
    this.secondOffset = -1;
    this.selectedDb = -1;
    const sinks = this.server.propagation.sinks;
    if (!sinks.includes(this)) sinks.push(this);
  }

  private freeBacklog(): void {
    this.backlog = null;
    const sinks = this.server.propagation.sinks;
    const i = sinks.indexOf(this);
    if (i !== -1) sinks.splice(i, 1);
  }

  // --- PSYNC and SYNC ---

  /** REPLCONF's options before PSYNC (listening-port, ip-address, capa, rdb-only); ACK and GETACK after. */
  replconf(c: Client, argv: readonly string[]): void {
    if (argv.length % 2 === 0) {
      c.reply.error(E.SYNTAX);
      return;
    }
    for (let i = 1; i + 1 < argv.length; i += 2) {
      const opt = (argv[i] ?? '').toLowerCase();
      const val = argv[i + 1] ?? '';
      if (opt === 'ack') {
        // An ACK is never answered, as in Redis.
        const r = c.replica;
        const off = Number(val);
        if (r === null || !Number.isSafeInteger(off)) return;
        if (off > r.ackOffset) r.ackOffset = off;
        if ((argv[i + 2] ?? '').toLowerCase() === 'fack') {
          const fack = Number(argv[i + 3]);
          if (!Number.isSafeInteger(fack)) return;
          if (fack > r.aofAckOffset) r.aofAckOffset = fack;
        }
        r.ackTime = Date.now();
        if (r.awaitingAck) {
          r.awaitingAck = false;
          this.online(c, r);
        }
        this.refreshGood();
        this.checkWaiters();
        return;
      }
      if (opt === 'getack') {
        // Only a primary asks; from anyone else it is ignored, as in Redis.
        return;
      }
      const info = this.handshake(c);
      if (opt === 'listening-port') {
        const port = Number(val);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          c.reply.error(E.NOT_INTEGER);
          return;
        }
        info.listeningPort = port;
      } else if (opt === 'ip-address') {
        if (val.length > 46 + 256) {
          c.reply.error(E.replconfIpTooLong());
          return;
        }
        info.announcedIp = val;
      } else if (opt === 'capa') {
        if (val.toLowerCase() === 'eof') info.capaEof = true;
        else if (val.toLowerCase() === 'psync2') info.capaPsync2 = true;
      } else if (opt === 'rdb-only') {
        info.rdbOnly = val === '1';
      } else if (opt === 'rdb-filter-only') {
        // Include filters: `functions` (redis-cli --functions-rdb); none at all, an empty RDB.
        const words = val.split(' ').filter((w) => w !== '');
        const other = words.find((w) => w.toLowerCase() !== 'functions');
        if (other !== undefined) {
          c.reply.error(E.replconfFilter(other));
          return;
        }
        info.only = words.length !== 0 ? 'functions' : 'nothing';
      } else {
        c.reply.error(E.replconfUnknown(argv[i] ?? ''));
        return;
      }
    }
    c.reply.ok();
  }

  /** The client's replica record, made at its first REPLCONF. */
  private handshake(c: Client): ReplicaInfo {
    c.replica ??= {
      state: 'wait_bgsave',
      listeningPort: 0,
      announcedIp: '',
      capaEof: false,
      capaPsync2: false,
      oldProtocol: false,
      rdbOnly: false,
      only: 'all',
      awaitingAck: false,
      ackOffset: 0,
      aofAckOffset: 0,
      ackTime: Date.now(),
      pending: new HeldStream(),
    };
    return c.replica;
  }

  /** PSYNC replid offset, or SYNC (`psync` false): attaches the client as a replica. */
  sync(c: Client, argv: readonly string[], psync: boolean): void {
    if (c.kind === 'replica') return;
    // PSYNC <replid> <offset> FAILOVER: our primary hands over to us (its FAILOVER), if we share its history.
    if (psync && argv.length > 3 && (argv[3] ?? '').toLowerCase() === 'failover') {
      const replid = argv[1] ?? '';
      this.server.log.warning(`Failover request received for replid ${printableId(replid)}.`);
      if (this.link === null) {
        c.reply.error(E.PSYNC_FAILOVER_MASTER);
        return;
      }
      if (replid.toLowerCase() !== this.replid) {
        c.reply.error(E.PSYNC_FAILOVER_REPLID);
        return;
      }
      this.promote();
      this.server.log.notice(`MASTER MODE enabled (failover request from '${c.infoLine()}')`);
    }
    if (this.failover !== null) {
      c.reply.error(E.NOMASTERLINK_FAILOVER);
      return;
    }
    const link = this.link;
    // A replica serves replicas of its own only while its stream flows (Redis's syncCommand).
    if (link !== null && !link.up) {
      c.reply.error(E.NOMASTERLINK_SYNC);
      return;
    }
    // Whatever was answered before (pipelined REPLCONFs) goes first; the rest is written here.
    c.flush();
    const info = this.handshake(c);
    info.oldProtocol = !psync;
    c.kind = 'replica';
    this.replicas.add(c);
    this.noReplicasSince = 0;
    const socket = c.socket;
    if (socket === null) return;
    if (psync && this.tryPartial(c, info, argv[1] ?? '', argv[2] ?? '')) return;
    if (psync && (argv[1] ?? '') !== '?') this.stats.syncPartialErr++;
    // A replica's backlog (made when its link synced) holds its primary's history: keep its IDs.
    if (link !== null) this.ensureBacklogKeepingIds();
    else this.ensureBacklog();
    this.stats.syncFull++;
    if (psync) socket.write(`+FULLRESYNC ${this.replid} ${this.offset}\r\n`);
    this.server.log.notice(`Replica ${this.describe(c)} asks for synchronization`);
    auditEvent(this.server, 'replication', { ...clientFields(c), change: 'full-sync', offset: this.offset });
    void this.fullSync(c, info);
  }

  /** +CONTINUE when the backlog holds what the replica lacks (Redis's masterTryPartialResynchronization). */
  private tryPartial(c: Client, info: ReplicaInfo, replid: string, offsetArg: string): boolean {
    const backlog = this.backlog;
    const want = Number(offsetArg);
    if (backlog === null || !Number.isSafeInteger(want)) return false;
    if (replid !== this.replid && !(replid === this.replid2 && want <= this.secondOffset)) {
      if (replid !== '?') this.server.log.notice(`Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`);
      return false;
    }
    if (want < backlog.firstOffset || want > backlog.firstOffset + backlog.histlen) {
      this.server.log.notice(`Unable to partial resync with replica ${this.describe(c)} for lack of backlog (Replica request was: ${want}).`);
      return false;
    }
    const socket = c.socket;
    if (socket === null) return false;
    info.state = 'online';
    info.ackTime = Date.now();
    socket.write(info.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : '+CONTINUE\r\n');
    const data = backlog.from(want);
    socket.write(data);
    this.stats.syncPartialOk++;
    this.server.log.notice(`Partial resynchronization request from ${this.describe(c)} accepted. Sending ${data.length} bytes of backlog starting from offset ${want}.`);
    auditEvent(this.server, 'replication', { ...clientFields(c), change: 'partial-sync', offset: want });
    return true;
  }

  /**
   * The full sync of one replica: a snapshot of now (the stream from here on waits in the
   * replica's output), written to a temporary file a slice at a time, then sent as `$<len>` and
   * the file, then the stream.
   */
  private async fullSync(c: Client, info: ReplicaInfo): Promise<void> {
    const server = this.server;
    // The stream after the RDB must say which database it is in.
    this.selectedDb = -1;
    info.state = 'wait_bgsave';
    const snapshot = server.rdb.openSnapshot(false, false, info.only);
    if (info.capaEof && server.config.bool('repl-diskless-sync')) {
      await this.disklessSync(c, info, snapshot);
      return;
    }
    const log = server.log;
    const tmp = join(process.cwd(), `temp-repl-${process.pid}-${c.id}.rdb`);
    let fd = -1;
    const gone = (): boolean => c.closed || server.shuttingDown;
    try {
      fd = createTemp(tmp);
      log.notice(`Starting BGSAVE for SYNC with target: disk`);
      let size = 0;
      let lastNewline = Date.now();
      for await (const chunk of slices(snapshot, server.config.num('rdb-key-save-delay'), gone)) {
        await writeChunk(fd, chunk);
        size += chunk.length;
        // Redis sends a newline now and then while the replica waits for the RDB.
        if (Date.now() - lastNewline >= 1000) {
          lastNewline = Date.now();
          c.socket?.write('\n');
        }
        await nextTurn();
      }
      server.rdb.closeSnapshot(snapshot);
      await closeFile(fd);
      fd = -1;
      if (gone()) return;
      log.notice('Background RDB transfer started');
      info.state = 'send_bulk';
      const socket = c.socket;
      if (socket === null) return;
      socket.write(`$${size}\r\n`);
      const file = await openFile(tmp, 'r');
      try {
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        for (let pos = 0; pos < size; ) {
          if (gone()) return;
          const { bytesRead } = await file.read(buf, 0, Math.min(CHUNK_BYTES, size - pos), pos);
          if (bytesRead === 0) throw new Error('the snapshot file is shorter than written');
          pos += bytesRead;
          if (!socket.write(Buffer.from(buf.subarray(0, bytesRead)))) await drained(c);
        }
      } finally {
        await file.close();
      }
      if (gone()) return;
      this.online(c, info);
    } catch (err) {
      if (!gone()) {
        log.warning(`Full synchronization with replica ${this.describe(c)} failed: ${(err as Error).message}`);
        server.closeClient(c);
      }
    } finally {
      server.rdb.closeSnapshot(snapshot);
      if (fd !== -1) closeQuietly(fd);
      removeQuietly(tmp);
    }
  }

  /**
   * The full sync straight to the socket (repl-diskless-sync, for a replica that sent capa eof):
   * `$EOF:<40 random bytes>`, the snapshot as the walk produces it, paced by the socket, the same
   * 40 bytes, then the stream. Each replica gets its own snapshot, so there is nothing to batch
   * and repl-diskless-sync-delay is not waited.
   */
  private async disklessSync(c: Client, info: ReplicaInfo, snapshot: Snapshot): Promise<void> {
    const server = this.server;
    const log = server.log;
    const gone = (): boolean => c.closed || server.shuttingDown;
    const mark = randomBytes(20).toString('hex');
    try {
      const socket = c.socket;
      if (socket === null) return;
      log.notice('Starting BGSAVE for SYNC with target: replicas sockets');
      info.state = 'send_bulk';
      socket.write(`$EOF:${mark}\r\n`);
      for await (const chunk of slices(snapshot, server.config.num('rdb-key-save-delay'), gone)) {
        if (!socket.write(chunk)) await drained(c);
        else await nextTurn();
      }
      if (gone()) return;
      socket.write(mark);
      log.notice(`Streamed RDB transfer with replica ${this.describe(c)} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming`);
      // A replica that only wanted the file (rdb-only) sends no ACK.
      if (info.rdbOnly) {
        this.online(c, info);
      } else {
        // Online now, as Redis shows it, but the stream starts with the first ACK.
        info.state = 'online';
        info.ackTime = Date.now();
        info.awaitingAck = true;
      }
    } finally {
      server.rdb.closeSnapshot(snapshot);
    }
  }

  /** The RDB is sent: the held stream follows, and the replica is online (or, rdb-only, done). */
  private online(c: Client, info: ReplicaInfo): void {
    const socket = c.socket;
    if (socket === null) return;
    this.server.log.notice(`Synchronization with replica ${this.describe(c)} succeeded`);
    if (info.rdbOnly) {
      // redis-cli --rdb: the file is what it wanted; no stream follows.
      socket.end();
      return;
    }
    info.state = 'online';
    info.ackTime = Date.now();
    for (const b of info.pending.take()) socket.write(b);
    c.replicaPending = 0;
    checkOutputLimits(c);
  }

  /** A replica's client closed (the server calls this for every replica client it closes). */
  forget(c: Client): void {
    if (!this.replicas.delete(c)) return;
    if (c.replica !== null) c.replica.pending.take();
    this.server.log.notice(`Connection with replica ${this.describe(c)} lost.`);
    auditEvent(this.server, 'replication', { ...clientFields(c), change: 'replica-lost' });
    if (this.replicas.size === 0) this.noReplicasSince = Date.now();
    this.refreshGood();
    this.checkWaiters();
  }

  /** ip:port of a replica as INFO and the log show it. */
  private describe(c: Client): string {
    const r = c.replica;
    const ip = r !== null && r.announcedIp !== '' ? r.announcedIp : peerIp(c);
    return `${ip}:${r?.listeningPort ?? 0}`;
  }

  // --- the cron ---

  /** Once a second: PINGs into the stream, silent replicas closed, the backlog's ttl and size. */
  cron(): void {
    const server = this.server;
    const now = Date.now();
    this.cronLoops++;
    this.link?.cron(now);
    this.refreshGood(now);
    const backlog = this.backlog;
    if (backlog !== null) {
      const size = server.config.num('repl-backlog-size');
      if (size !== backlog.size) this.backlog = backlog.resized(size);
    }
    if (this.replicas.size !== 0) {
      // A replica's replicas get its primary's PINGs, passed on with the rest of the stream.
      const period = server.config.num('repl-ping-replica-period');
      if (this.link === null && this.cronLoops % period === 0 && server.pause.type === 'none') this.append(Buffer.from(PING_ARGV, 'latin1'));
      const timeout = server.config.num('repl-timeout') * 1000;
      for (const c of [...this.replicas]) {
        const r = c.replica;
        if (r === null) continue;
        if (r.state !== 'online') {
          if (r.state === 'wait_bgsave') c.socket?.write('\n');
          continue;
        }
        if (r.oldProtocol) continue;
        if (now - r.ackTime > timeout) {
          server.log.warning(`Disconnecting timedout replica (streaming sync): ${this.describe(c)}`);
          server.closeClient(c);
        }
      }
    }
    const ttl = server.config.num('repl-backlog-ttl');
    if (this.backlog !== null && this.replicas.size === 0 && this.link === null && ttl > 0 && this.noReplicasSince !== 0 && now - this.noReplicasSince > ttl * 1000) {
      // A new ID: a replica of the old history can no longer resync partially.
      this.replid2 = NO_ID;
      this.secondOffset = -1;
      this.replid = newReplicationId();
      this.freeBacklog();
      server.log.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
    }
  }

  // --- WAIT ---

  /** Replicas whose ACK reached `offset`. */
  acked(offset: number): number {
    let n = 0;
    for (const c of this.replicas) {
      const r = c.replica;
      if (r !== null && r.state === 'online' && r.ackOffset >= offset) n++;
    }
    return n;
  }

  /** WAIT numreplicas timeout (the arguments already checked). */
  wait(c: Client, numreplicas: number, timeoutMs: number): void {
    if (this.link !== null) {
      c.reply.error(E.WAIT_ON_REPLICA);
      return;
    }
    const offset = this.offset;
    const have = this.acked(offset);
    if (have >= numreplicas || c.inExec) {
      c.reply.integer(have);
      return;
    }
    const waiter: Waiter = {
      client: c,
      ready: () => this.acked(offset) >= numreplicas,
      release: this.server.holdClient(c, timeoutMs === 0 ? 2 ** 31 - 1 : timeoutMs, () => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        c.reply.integer(this.acked(offset));
      }),
    };
    this.waiters.push(waiter);
    this.requestAcks();
  }

  /** Online replicas whose AOF has fsynced `offset` (their FACK reached it), for WAITAOF. */
  aofAcked(offset: number): number {
    let n = 0;
    for (const c of this.replicas) {
      const r = c.replica;
      if (r !== null && r.state === 'online' && r.aofAckOffset >= offset) n++;
    }
    return n;
  }

  /**
   * WAITAOF's wait for replicas: `then` runs once `numreplicas` replicas have fsynced `offset`
   * (GETACK asked of them now); returns the cancel function.
   */
  waitAofAcks(c: Client, offset: number, numreplicas: number, then: () => void): () => void {
    const waiter: Waiter = {
      client: c,
      ready: () => this.aofAcked(offset) >= numreplicas,
      release: () => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        then();
      },
    };
    this.waiters.push(waiter);
    this.requestAcks();
    return waiter.release;
  }

  /** Our AOF fsynced more of the stream: a replica tells its primary at once (the FACK). */
  localFsynced(): void {
    this.link?.ackNow();
  }

  /** REPLCONF GETACK * into the stream, once per turn of the event loop (Redis's beforeSleep). */
  private requestAcks(): void {
    if (this.getackScheduled) return;
    this.getackScheduled = true;
    setImmediate(() => {
      this.getackScheduled = false;
      if (this.replicas.size !== 0) this.append(Buffer.from(GETACK, 'latin1'));
    });
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) {
      if (w.client.closed || w.ready()) w.release();
    }
  }

  // --- FAILOVER ---

  /** The replica at host:port as INFO names it (announced IP or peer address, listening port), as Redis's findReplica. */
  findReplica(host: string, port: number): Client | null {
    const h = host.toLowerCase();
    for (const c of this.replicas) {
      const r = c.replica;
      if (r === null) continue;
      const ip = r.announcedIp !== '' ? r.announcedIp : peerIp(c);
      if (ip.toLowerCase() === h && r.listeningPort === port) return c;
    }
    return null;
  }

  /** Whether replica-allowed-primaries admits the replica as our primary (FAILOVER makes it one). */
  private mayFollow(c: Client): boolean {
    const r = c.replica;
    if (r === null) return false;
    return primaryAllowed(this.server.config.str('replica-allowed-primaries'), r.announcedIp !== '' ? r.announcedIp : peerIp(c), r.listeningPort);
  }

  /** Whether any replica could be FAILOVER's target under replica-allowed-primaries. */
  anyReplicaMayLead(): boolean {
    for (const c of this.replicas) if (this.mayFollow(c)) return true;
    return false;
  }

  /**
   * FAILOVER (the arguments checked by the caller): writes are held, and once the target (or,
   * without one, any replica) has acknowledged our whole stream, we follow it and ask it, with
   * PSYNC ... FAILOVER, to take over (Redis's failoverCommand and updateFailoverStatus).
   */
  startFailover(host: string | null, port: number, timeoutMs: number, force: boolean): void {
    const log = this.server.log;
    if (host !== null) log.notice(`FAILOVER requested to ${host}:${port}.`);
    else log.notice('FAILOVER requested to any replica.');
    const timer = setInterval(() => this.updateFailover(), FAILOVER_CHECK_MS);
    timer.unref();
    this.failover = { state: 'waiting-for-sync', host, port, endTime: timeoutMs > 0 ? Date.now() + timeoutMs : 0, force, timer };
    this.server.holdWritesForFailover(true);
    auditEvent(this.server, 'replication', { change: 'failover-requested', target: host === null ? 'any' : `${host}:${port}` });
  }

  private updateFailover(): void {
    const f = this.failover;
    if (f?.state !== 'waiting-for-sync') return;
    if (this.server.shuttingDown) {
      this.clearFailover();
      return;
    }
    const log = this.server.log;
    if (f.endTime !== 0 && f.endTime <= Date.now()) {
      if (f.force && f.host !== null) {
        log.notice(`FAILOVER to ${f.host}:${f.port} time out exceeded, failing over.`);
        this.failoverTo(f, f.host, f.port);
      } else {
        this.abortFailover('Replica never caught up before timeout');
      }
      return;
    }
    let target: Client | null = null;
    if (f.host !== null) {
      target = this.findReplica(f.host, f.port);
    } else {
      for (const c of this.replicas) {
        const r = c.replica;
        if (r === null || r.ackOffset !== this.offset || !this.mayFollow(c)) continue;
        f.host = r.announcedIp !== '' ? r.announcedIp : peerIp(c);
        f.port = r.listeningPort;
        target = c;
        break;
      }
    }
    if (target !== null && f.host !== null && target.replica?.ackOffset === this.offset) {
      log.notice(`Failover target ${f.host}:${f.port} is synced, failing over.`);
      this.failoverTo(f, f.host, f.port);
    }
  }

  private failoverTo(f: Failover, host: string, port: number): void {
    f.state = 'failover-in-progress';
    this.follow(host, port);
  }

  /** The target answered PSYNC FAILOVER with +CONTINUE or +FULLRESYNC: the roles are swapped. */
  failoverDone(): void {
    const f = this.failover;
    if (f === null) return;
    auditEvent(this.server, 'replication', { change: 'failover-done', primary: `${f.host ?? ''}:${f.port}` });
    this.clearFailover();
  }

  /** Ends a FAILOVER that did not happen; one that had begun to follow its target is a primary again. */
  abortFailover(reason: string): void {
    const f = this.failover;
    if (f === null) return;
    const log = this.server.log;
    if (f.host !== null) log.notice(`FAILOVER to ${f.host}:${f.port} aborted: ${reason}`);
    else log.notice(`FAILOVER to any replica aborted: ${reason}`);
    if (f.state === 'failover-in-progress') this.promote();
    auditEvent(this.server, 'replication', { change: 'failover-aborted', reason });
    this.clearFailover();
  }

  private clearFailover(): void {
    const f = this.failover;
    if (f === null) return;
    clearInterval(f.timer);
    this.failover = null;
    this.server.holdWritesForFailover(false);
  }

  /** The link is connecting for a FAILOVER: its PSYNC carries FAILOVER. */
  get failingOver(): boolean {
    return this.failover?.state === 'failover-in-progress';
  }

  // --- becoming a replica, or a primary again ---

  /** REPLICAOF host port: follows that primary (the checks were made by the caller). */
  follow(host: string, port: number): void {
    const server = this.server;
    this.link?.stop();
    // Our replicas follow our history; they sync again against what we will load.
    for (const c of [...this.replicas]) server.closeClient(c);
    this.link = new ReplicaLink(server, this, host, port);
    this.remember(`${host} ${port}`);
    server.log.role = 'S';
    server.store.expiryPaused = true;
    auditEvent(server, 'replication', { change: 'new-primary', primary: `${host}:${port}` });
    this.link.start();
  }

  /** REPLICAOF NO ONE: a primary again, keeping the history as the secondary ID (Redis's shiftReplicationId). */
  promote(): void {
    const link = this.link;
    if (link === null) return;
    link.stop();
    this.link = null;
    this.linkDownSince = 0;
    this.remember('');
    this.server.log.role = 'M';
    this.server.store.expiryPaused = this.server.pause.type !== 'none';
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.replid = newReplicationId();
    this.ensureBacklogKeepingIds();
    // Our replicas must learn the new ID; they resume at once with the old one (Redis's replicationUnsetMaster).
    for (const c of [...this.replicas]) this.server.closeClient(c);
    this.server.log.notice(`Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondOffset}. New replication ID is ${this.replid}`);
    this.server.log.notice('MASTER MODE enabled');
    this.dataOffset = this.offset;
    auditEvent(this.server, 'replication', { change: 'promotion' });
  }

  /** The primary followed, as CONFIG GET replicaof shows it and CONFIG REWRITE writes it (as Redis's masterhost). */
  private remember(value: string): void {
    const def = this.server.config.lookup('replicaof');
    if (def !== undefined) this.server.config.store(def, value);
  }

  /** A backlog for the history we hold now, keeping replid2 (a promoted replica's replicas resync partially). */
  private ensureBacklogKeepingIds(): void {
    const id2 = this.replid2;
    const off2 = this.secondOffset;
    if (this.backlog === null) this.ensureBacklog();
    this.replid2 = id2;
    this.secondOffset = off2;
    this.selectedDb = -1;
  }

  /**
   * A full sync's payload arrived and is about to replace our data (Redis's
   * replicationAttachToNewMaster): our own replicas follow a history that ends here, so they are
   * disconnected, and the backlog goes so that none of them resumes from it.
   */
  attachToNewPrimary(): void {
    for (const c of [...this.replicas]) this.server.closeClient(c);
    this.freeBacklog();
  }

  /**
   * The link finished a full sync: our history is the primary's from `offset` on, and a backlog
   * of it starts here, replicas of ours or not, in case we are promoted.
   */
  adoptPrimary(replid: string, offset: number): void {
    this.freeBacklog();
    this.replid = replid;
    this.offset = offset;
    this.dataOffset = offset;
    this.ensureBacklog();
    this.replid2 = NO_ID;
    this.secondOffset = -1;
  }

  /**
   * +CONTINUE: the history goes on. With a new ID (the primary failed over) our old one stays
   * valid up to here, and our replicas are disconnected to learn the new one as they resume.
   */
  continued(replid: string): void {
    if (replid !== '' && replid !== this.replid) {
      this.replid2 = this.replid;
      this.secondOffset = this.offset + 1;
      this.replid = replid;
      for (const c of [...this.replicas]) this.server.closeClient(c);
    }
    this.ensureBacklogKeepingIds();
  }

  /**
   * What an RDB saved now records of the replication (Redis's rdbPopulateSaveInfo): the
   * database the stream is in, for a primary with a backlog or a replica that has a history with
   * its primary; else null, and the file has no repl-* fields.
   */
  saveInfo(): { streamDb: number; replid: string; offset: number } | null {
    const link = this.link;
    let streamDb: number | null;
    if (link === null) streamDb = this.backlog === null ? null : Math.max(0, this.selectedDb);
    else streamDb = link.streamDb();
    return streamDb === null ? null : { streamDb, replid: this.replid, offset: this.offset };
  }

  // --- the replication's place across a restart (Redis's loadDataFromDisk) ---

  /**
   * Before the startup RDB loads: a primary makes its backlog now, for the DELs of the expired
   * keys the load skips (kept only if the file has its replication fields). True when it did.
   */
  beforeStartupLoad(): boolean {
    if (this.link !== null) return false;
    this.ensureBacklog();
    return true;
  }

  /** A key the startup load skipped as expired: its DEL (or UNLINK) goes to the backlog. */
  expiredAtLoad(db: number, key: string): void {
    const verb = this.server.store.lazyfree.expire ? 'UNLINK' : 'DEL';
    this.feed([{ db, argv: [verb, key], target: TO_REPL }]);
  }

  /**
   * After the startup RDB loaded, with its repl-id, repl-offset and repl-stream-db (null when it
   * had none). A replica takes them as its own history, so its primary can resume it partially;
   * a primary keeps the saved ID as its secondary ID, valid up to the saved offset + 1, and its
   * offsets go on from there, so its replicas resume partially from its backlog. Without them a
   * primary drops the backlog again.
   */
  afterStartupLoad(saved: SavedReplication | null): void {
    const log = this.server.log;
    const link = this.link;
    if (saved === null) {
      if (link === null) this.freeBacklog();
      return;
    }
    if (link !== null) {
      this.replid = saved.replid;
      this.offset = saved.offset;
      this.dataOffset = saved.offset;
      link.restoreHistory(saved.streamDb);
      log.notice('Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.');
      return;
    }
    const backlog = this.backlog;
    if (backlog === null) return;
    this.replid2 = saved.replid;
    this.secondOffset = saved.offset + 1;
    this.offset += saved.offset;
    backlog.firstOffset = this.offset - backlog.histlen + 1;
    this.noReplicasSince = Date.now();
  }

  // --- the gate ---

  /** min-replicas-to-write, min-replicas-max-lag, replica-read-only, replica-serve-stale-data: set by Server.applyConfig. */
  private minReplicas = 0;
  private minReplicasMaxLag = 10;
  private readOnly = true;
  private serveStale = true;

  /** Takes the gate's directives in force (at start and after every CONFIG SET). */
  configure(settings: { minReplicas: number; minReplicasMaxLag: number; readOnly: boolean; serveStale: boolean }): void {
    this.minReplicas = settings.minReplicas;
    this.minReplicasMaxLag = settings.minReplicasMaxLag;
    this.readOnly = settings.readOnly;
    this.serveStale = settings.serveStale;
  }

  /** -READONLY or -MASTERDOWN for a command a replica must refuse, else null. */
  refusal(c: Client, cmd: Command): string | null {
    const link = this.link;
    if (link === null || c.kind === 'master') return null;
    if (cmd.isWrite && this.readOnly) return E.READONLY_REPLICA;
    // EXEC is judged by what it queued, as Redis's is_denystale_command.
    const denyStale = !cmd.isStaleOk || (cmd.fullName === 'exec' && c.multi !== null && c.multi.notStale);
    if (!link.up && denyStale && !this.serveStale) return E.MASTERDOWN;
    return null;
  }

  /** min-replicas-to-write on a primary: fewer good replicas than it asks for (checkGoodReplicasStatus). */
  tooFewReplicas(c: Client): boolean {
    if (this.link !== null || c.kind === 'master') return false;
    const min = this.minReplicas;
    return min > 0 && this.minReplicasMaxLag > 0 && this.goodReplicas < min;
  }

  /** Counts the good replicas (refreshGoodSlavesCount): after each ACK, attach, loss and cron tick. */
  private refreshGood(now = Date.now()): void {
    const maxLag = this.minReplicasMaxLag * 1000;
    let n = 0;
    for (const c of this.replicas) {
      const r = c.replica;
      if (r !== null && r.state === 'online' && now - r.ackTime <= maxLag) n++;
    }
    this.goodReplicas = n;
  }

  // --- ROLE and INFO ---

  role(c: Client): void {
    const r = c.reply;
    const link = this.link;
    if (link !== null) {
      r.array(5);
      r.bulk('slave');
      r.bulk(link.host);
      r.integer(link.port);
      r.bulk(link.roleState());
      r.integer(link.up || link.state === 'connected' ? this.offset : -1);
      return;
    }
    r.array(3);
    r.bulk('master');
    r.integer(this.offset);
    const online = [...this.replicas].filter((x) => x.replica !== null && x.replica.state === 'online');
    r.array(online.length);
    for (const x of online) {
      const info = x.replica;
      if (info === null) continue;
      r.array(3);
      r.bulk(info.announcedIp !== '' ? info.announcedIp : peerIp(x));
      r.bulk(String(info.listeningPort));
      r.bulk(String(info.ackOffset));
    }
  }

  /** INFO replication, field for field as Redis 7.0. */
  info(): string[] {
    const s = this.server;
    const out: string[] = [];
    const link = this.link;
    if (link === null) {
      out.push('role:master');
    } else {
      out.push('role:slave', ...link.infoLines(this.offset));
      out.push(`slave_priority:${s.config.num('replica-priority')}`);
      out.push(`slave_read_only:${s.config.bool('replica-read-only') ? 1 : 0}`);
      out.push(`replica_announced:${s.config.bool('replica-announced') ? 1 : 0}`);
    }
    out.push(`connected_slaves:${this.replicas.size}`);
    let i = 0;
    const now = Date.now();
    for (const c of this.replicas) {
      const r = c.replica;
      if (r === null) continue;
      const ip = r.announcedIp !== '' ? r.announcedIp : peerIp(c);
      out.push(`slave${i++}:ip=${ip},port=${r.listeningPort},state=${r.state},offset=${r.ackOffset},lag=${Math.floor((now - r.ackTime) / 1000)}`);
    }
    const b = this.backlog;
    out.push(
      `master_failover_state:${this.failover?.state ?? 'no-failover'}`,
      `master_replid:${this.replid}`,
      `master_replid2:${this.replid2}`,
      `master_repl_offset:${this.offset}`,
      `second_repl_offset:${this.secondOffset}`,
      `repl_backlog_active:${b === null ? 0 : 1}`,
      `repl_backlog_size:${b === null ? s.config.num('repl-backlog-size') : b.size}`,
      `repl_backlog_first_byte_offset:${b === null ? 0 : b.firstOffset}`,
      `repl_backlog_histlen:${b === null ? 0 : b.histlen}`,
    );
    return out;
  }
}

/** A replication ID from a peer for the log: at most 40 printable characters. */
function printableId(s: string): string {
  return s.slice(0, 40).replace(/[^\x21-\x7e]/g, '?');
}

/** The peer's IP as CLIENT LIST's addr shows it, without the port. */
function peerIp(c: Client): string {
  const addr = c.addr;
  const colon = addr.lastIndexOf(':');
  const ip = colon === -1 ? addr : addr.slice(0, colon);
  return ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
}

/** Resolves once the client's socket takes more, or is gone. */
function drained(c: Client): Promise<void> {
  const socket = c.socket;
  if (socket === null || c.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
