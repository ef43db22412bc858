// The append-only file, as Redis 7.0's aof.c: a propagation sink that turns each batch of effects
// into RESP (a SELECT when the database changes, `#TS:` annotations with aof-timestamp-enabled),
// writes it once per event-loop turn, before any reply of that turn leaves (connection.ts holds
// them), and fsyncs it by appendfsync: `always` before those replies too, `everysec` about once a
// second, `no` never.
// Also: loading at startup, BGREWRITEAOF (a new INCR file, then a new BASE), turning appendonly
// on and off at runtime, the auto-rewrite rule, WAITAOF's local acknowledgement, and INFO's aof_*.

import fs from 'node:fs';
import path from 'node:path';
import type { Server } from './server.js';
import { Client } from './client.js';
import { call } from './dispatcher.js';
import { flushClient } from './connection.js';
import { TO_AOF, type PropagatedOp, type PropagationSink } from './propagation.js';
import { AofDir } from '../persistence/aof/files.js';
import { cloneManifest, emptyManifest, incrsToHistory, newBase, newIncr, ManifestError, type AofManifest } from '../persistence/aof/manifest.js';
import { encodeCommand, isRdb, scanAof } from '../persistence/aof/reader.js';
import { closeFile, closeQuietly, createTemp, removeQuietly, syncFile, writeChunk } from './rdb-save.js';
import type { Snapshot } from '../persistence/snapshot.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { beginLoading, loadRdb } from './rdb-load.js';

type Fsync = 'always' | 'everysec' | 'no';

/** A loading failure: the server must not start (the message names the file and offset). */
class AofLoadError extends Error {}

/** How long one slice of a rewrite may hold the event loop, in ms, and the bytes per chunk. */
const SLICE_MS = 4;
const CHUNK_BYTES = 256 * 1024;

/** A background rewrite: the snapshot being written to `tmp`, and where it goes. */
interface RewriteJob {
  readonly snapshot: Snapshot;
  readonly started: number;
  readonly tmp: string;
  readonly fd: number;
  /** aof-use-rdb-preamble at the start: the BASE is `.base.rdb`, else `.base.aof`. */
  readonly rdb: boolean;
  /** With appendonly being turned on: the temporary INCR file appended to meanwhile, and its fd. */
  readonly tempIncr: string | null;
  readonly tempIncrFd: number;
  /** The job closes tempIncrFd when it ends (false once appending adopted it, or once closed). */
  ownsTempIncrFd: boolean;
  readonly files: AofDir;
  cancelled: boolean;
}

/** A client waiting in WAITAOF for the local fsync of `offset`. */
interface AofWaiter {
  readonly client: Client;
  readonly offset: number;
  readonly release: () => void;
}

export class Aof implements PropagationSink {
  readonly target = TO_AOF;
  /** appendonly in force: the INCR file is open and batches are appended. */
  on = false;
  private fd = -1;
  private files: AofDir | null = null;
  manifest: AofManifest = emptyManifest();
  /** RESP not yet written to the file. */
  private buf: string[] = [];
  private bufBytes = 0;
  /** The database the file's last SELECT chose (-1: the next batch starts with one). */
  private selectedDb = -1;
  private lastTimestamp = 0;
  /** Bytes appended since the server started (fed, written, fsynced): WAITAOF and INFO compare them. */
  fedOffset = 0;
  writtenOffset = 0;
  fsyncedOffset = 0;
  /**
   * The replication offset every write up to which is fsynced (Redis 7.2's fsynced_reploff: a
   * replica sends it as REPLCONF ACK ... FACK), -1 while the AOF is off; and the replication
   * offset the bytes written so far reach.
   */
  fsyncedReplOffset = -1;
  private writtenReplOffset = 0;
  /** Size of the INCR file being written, and of the whole AOF (BASE + INCRs). */
  private incrSize = 0;
  currentSize = 0;
  /** Size of the AOF after the last rewrite (auto-aof-rewrite-percentage compares with it). */
  baseSize = 0;
  private turnScheduled = false;
  private readonly held = new Set<Client>();
  private lastFsync = Date.now();
  private fsyncInFlight = false;
  /** An old INCR file to close once the background fsync in flight is done with it. */
  private closeAfterFsync = -1;
  private everySecTimer: NodeJS.Timeout | null = null;
  /** The last write or fsync error, null when the last one succeeded (aof_last_write_status). */
  writeError: string | null = null;
  rewrites = 0;
  rewriteFailures = 0;
  lastRewriteStatus: 'ok' | 'err' = 'ok';
  lastRewriteSeconds = -1;
  rewriteScheduled = false;
  /** CONFIG SET appendonly yes waiting for a BGSAVE to end. */
  private pendingStart = false;
  /** The running background rewrite. */
  private job: RewriteJob | null = null;
  /** Bytes the last rewrite's snapshot held for old values at its peak (aof_last_cow_size). */
  private lastCowSize = 0;
  private readonly waiters: AofWaiter[] = [];
  delayedFsyncs = 0;
  /** Fsyncs done, for tests and the log. */
  fsyncs = 0;

  /** appendfsync and aof-timestamp-enabled, set from the configuration (Server.applyConfig). */
  private policy: Fsync = 'everysec';
  private timestamps = false;

  constructor(private readonly server: Server) {}

  /** Takes the fsync policy and the timestamp setting in force. */
  configure(policy: string, timestamps: boolean): void {
    this.policy = policy === 'always' || policy === 'no' ? policy : 'everysec';
    this.timestamps = timestamps;
  }

  /** The directory of the AOF, from dir (the working directory) and appenddirname. */
  private dir(): AofDir {
    const cfg = this.server.config;
    return new AofDir(path.resolve(cfg.str('appenddirname')), cfg.str('appendfilename'));
  }

  // --- the sink ---

  feed(ops: readonly PropagatedOp[]): void {
    if (!this.on) return;
    let out = '';
    if (this.timestamps) {
      const now = Math.floor(Date.now() / 1000);
      if (now > this.lastTimestamp) {
        this.lastTimestamp = now;
        out += `#TS:${now}\r\n`;
      }
    }
    for (const op of ops) {
      if (op.db !== this.selectedDb) {
        const id = String(op.db);
        out += `*2\r\n$6\r\nSELECT\r\n$${id.length}\r\n${id}\r\n`;
        this.selectedDb = op.db;
      }
      out += encodeCommand(op.argv);
    }
    this.buf.push(out);
    this.bufBytes += out.length;
    this.fedOffset += out.length;
    this.scheduleTurn();
  }

  /**
   * True when a reply must wait for the end of this turn, as Redis's beforeSleep writes the AOF
   * before any reply: under appendfsync always until this turn's fsync, under everysec and no
   * until this turn's write, so a process killed after a reply has its command in the kernel. A
   * write that is failing holds nothing (writes are refused meanwhile). The connection then hands
   * the client to hold().
   */
  mustHold(): boolean {
    if (!this.on) return false;
    if (this.policy === 'always') return this.fedOffset > this.fsyncedOffset;
    return this.bufBytes > 0 && this.fd !== -1 && this.writeError === null;
  }

  /** Keeps `c`'s replies until the end of this turn's write and fsync. */
  hold(c: Client): void {
    this.held.add(c);
    this.scheduleTurn();
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    // Once per event-loop turn, after every socket read of the turn ran its commands.
    setImmediate(() => {
      this.turnScheduled = false;
      this.endOfTurn();
    });
  }

  /** Redis's beforeSleep for the AOF: write the buffer, fsync by policy, then release held replies. */
  endOfTurn(): void {
    if (this.on) {
      this.write();
      if (this.policy === 'always' && this.writtenOffset > this.fsyncedOffset && this.writeError === null) this.fsyncNow();
      else if (this.policy === 'everysec') this.maybeBackgroundFsync();
      this.fsyncedRepl(-1);
    }
    if (this.held.size === 0) return;
    const held = [...this.held];
    this.held.clear();
    for (const c of held) if (!c.closed) flushClient(c);
  }

  /** Appends the buffer to the INCR file. On failure the buffer is kept and writes are refused. */
  private write(): void {
    if (this.bufBytes === 0 || this.fd === -1) return;
    const data = Buffer.from(this.buf.join(''), 'latin1');
    let off = 0;
    try {
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    } catch (err) {
      this.writeFailed(err as NodeJS.ErrnoException, off);
      return;
    }
    this.buf = [];
    this.bufBytes = 0;
    this.writtenOffset += data.length;
    this.writtenReplOffset = this.server.replication.offset;
    this.incrSize += data.length;
    this.currentSize += data.length;
    if (this.writeError !== null) {
      this.server.log.warning('AOF write error looks solved, Redis can write again.');
      this.writeError = null;
    }
  }

  private writeFailed(err: NodeJS.ErrnoException, partial: number): void {
    const log = this.server.log;
    // Never leave half a command at the end of the file: cut back to what was there.
    if (partial > 0) {
      try {
        fs.ftruncateSync(this.fd, this.incrSize);
      } catch (e) {
        log.warning(`Could not remove short write from the append-only file. Redis may refuse to load the AOF the next time it starts. ftruncate: ${(e as Error).message}`);
      }
    }
    if (this.policy === 'always') {
      // As Redis: under always, an acknowledged write must be on disk, so there is no going on.
      log.warning(`Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting... (${err.message})`);
      process.exit(1);
    }
    if (this.writeError === null) log.warning(`Error writing to the AOF file: ${err.message}`);
    this.writeError = err.message;
  }

  private fsyncNow(): void {
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      this.server.log.warning(`Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${(err as Error).message}. Exiting...`);
      process.exit(1);
    }
    this.fsyncs++;
    this.lastFsync = Date.now();
    this.fsynced(this.writtenOffset, this.writtenReplOffset);
  }

  /** everysec: one fsync in the background (the thread pool) when a second has passed since the last. */
  private maybeBackgroundFsync(): void {
    if (this.fsyncInFlight || this.writtenOffset <= this.fsyncedOffset || this.fd === -1) return;
    if (Date.now() - this.lastFsync < 1000) return;
    const fd = this.fd;
    const upTo = this.writtenOffset;
    const replUpTo = this.writtenReplOffset;
    this.fsyncInFlight = true;
    this.lastFsync = Date.now();
    fs.fdatasync(fd, (err) => {
      this.fsyncInFlight = false;
      // A file closed meanwhile (a rewrite, appendonly no) is closed now, as Redis's bio does.
      if (this.closeAfterFsync === fd) {
        this.closeAfterFsync = -1;
        fs.close(fd, () => {});
      }
      if (err) {
        this.server.log.warning(`Error fsyncing the AOF: ${err.message}`);
        if (fd === this.fd) this.writeError = err.message;
        return;
      }
      this.fsyncs++;
      this.fsynced(upTo, replUpTo);
    });
  }

  /** Closes an INCR file that is no longer appended to, after a background fsync of it if one runs. */
  private closeFile(fd: number): void {
    if (this.fsyncInFlight) this.closeAfterFsync = fd;
    else fs.closeSync(fd);
  }

  private fsynced(upTo: number, replUpTo = -1): void {
    if (upTo > this.fsyncedOffset) this.fsyncedOffset = upTo;
    this.fsyncedRepl(replUpTo);
    if (this.waiters.length === 0) return;
    for (const w of [...this.waiters]) if (this.fsyncedOffset >= w.offset) w.release();
  }

  /**
   * The replication offset now known to be on disk; with nothing written and not fsynced, all of
   * the stream so far (what is not in the AOF, PINGs and the like, needs no fsync). A replica
   * tells its primary at once (Redis 7.2 sends an ACK when fsynced_reploff moves).
   */
  private fsyncedRepl(replUpTo: number): void {
    if (!this.on) return;
    let off = replUpTo;
    if (this.bufBytes === 0 && this.writtenOffset === this.fsyncedOffset && !this.fsyncInFlight) off = Math.max(off, this.server.replication.offset);
    if (off <= this.fsyncedReplOffset) return;
    this.fsyncedReplOffset = off;
    this.server.replication.localFsynced();
  }

  /** Every second (from a timer of its own): write what waits and fsync under everysec. */
  private everySecond(): void {
    if (!this.on) return;
    this.write();
    if (this.policy === 'everysec') this.maybeBackgroundFsync();
    this.fsyncedRepl(-1);
    this.autoRewrite();
  }

  // --- startup ---

  /**
   * At startup with appendonly yes: loads the AOF (BASE then INCR files), then opens the INCR
   * file to append to, creating a BASE first when there was nothing (Redis's
   * aofOpenIfNeededOnServerStart). Throws AofLoadError naming file and offset on corruption.
   */
  async loadAndOpen(): Promise<void> {
    // Clients get -LOADING until the whole AOF is in (main.ts began it before listening).
    const { owned } = beginLoading(this.server);
    try {
      await this.loadAndOpenFiles();
    } finally {
      if (owned || this.server.loading !== null) this.server.loading = null;
    }
  }

  /**
   * DEBUG LOADAOF: writes what is pending, empties the databases and libraries, and loads the AOF
   * named by the manifest on disk again, as Redis does. Rejects with the reason on failure (Redis
   * exits there; a debugging command never ends the process here).
   */
  async reloadFromDisk(): Promise<void> {
    const server = this.server;
    if (this.on) this.write();
    for (const db of server.dbs) db.clear();
    server.functions.flush();
    const files = this.dir();
    const m = readManifestOrFail(files);
    const { owned } = beginLoading(server);
    try {
      if (m !== null) await this.load(files, m);
    } finally {
      if (owned) server.loading = null;
    }
    // What was loaded is already on disk: nothing of it counts as a change to save.
    server.store.stats.dirty = 0;
    server.log.warning('Append Only File loaded by DEBUG LOADAOF');
  }

  private async loadAndOpenFiles(): Promise<void> {
    const log = this.server.log;
    const files = this.dir();
    this.files = files;
    let m = readManifestOrFail(files);
    const oldStyle = path.resolve(files.prefix);
    if (m === null && fs.existsSync(oldStyle)) m = files.upgradeOldStyle(oldStyle, (l) => log.notice(l));
    this.manifest = m ?? emptyManifest();
    if (m !== null) await this.load(files, m);
    this.open(files);
  }

  private async load(files: AofDir, m: AofManifest): Promise<void> {
    const log = this.server.log;
    const all = [...(m.base === null ? [] : [m.base]), ...m.incr];
    if (all.length === 0) return;
    for (const f of all) {
      if (!fs.existsSync(files.file(f.name))) throw new AofLoadError(`The AOF file ${f.name} named in the manifest doesn't exist in ${files.dir}`);
    }
    const total = all.reduce((n, f) => n + files.size(f.name), 0);
    if (total === 0) return;
    const started = Date.now();
    log.notice('Reading AOF files...');
    const fake = new Client(this.server, null);
    fake.authenticated = true;
    fake.inExec = true;
    this.server.propagation.paused++;
    try {
      for (const [i, f] of all.entries()) {
        const t = Date.now();
        await this.loadFile(files, f.name, fake, i === all.length - 1);
        log.notice(`DB loaded from ${f.type === 'b' ? 'base' : 'incr'} file ${f.name}: ${((Date.now() - t) / 1000).toFixed(3)} seconds`);
      }
    } finally {
      this.server.propagation.paused--;
    }
    this.baseSize = m.base === null ? 0 : files.size(m.base.name);
    this.currentSize = total;
    log.notice(`DB loaded from append only file: ${((Date.now() - started) / 1000).toFixed(3)} seconds`);
  }

  /** Replays one file through the command table, as Redis's loadSingleAppendOnlyFile. */
  private async loadFile(files: AofDir, name: string, fake: Client, last: boolean): Promise<void> {
    const server = this.server;
    const buf = files.read(name);
    if (buf.length === 0) return;
    // A BASE written with aof-use-rdb-preamble (or an old-style AOF with an RDB preamble): the RDB
    // part first through the RDB loader, keeping keys whose time has passed (the commands after
    // it expect them), then whatever RESP follows.
    let from = 0;
    if (isRdb(buf)) {
      server.log.notice('Reading RDB base file on AOF loading...');
      const r = await loadRdb(server, buf, { source: files.file(name), trailing: true, keepExpired: true });
      from = r.end;
    }
    const queued: { argv: string[]; start: number }[] = [];
    // Offsets: past the last command applied, and where an unfinished MULTI began.
    const at = { inMulti: false, validUpTo: from, beforeMulti: from };
    const state: { failure: string | null } = { failure: null };
    const run = (argv: string[], at: number): void => {
      const cmd = server.commands.resolve(argv);
      if (!cmd.resolved) {
        state.failure ??= `Unknown command '${argv[0] ?? ''}' reading the append only file ${name} at offset ${at}`;
        return;
      }
      call(fake, cmd, argv);
      fake.reply.take();
    };
    const result = scanAof(buf, from, (argv, start, end) => {
      if (state.failure !== null) return;
      const verb = (argv[0] ?? '').toLowerCase();
      if (verb === 'multi') {
        at.inMulti = true;
        at.beforeMulti = at.validUpTo;
        queued.length = 0;
      } else if (verb === 'exec' && at.inMulti) {
        at.inMulti = false;
        for (const q of queued) run(q.argv, q.start);
        queued.length = 0;
      } else if (at.inMulti) {
        queued.push({ argv, start });
      } else {
        run(argv, start);
      }
      at.validUpTo = end;
    });
    if (state.failure !== null) throw new AofLoadError(state.failure);
    let truncatedAt: number | null = null;
    if (!result.ok) {
      if (!result.truncated) {
        throw new AofLoadError(
          `Bad file format reading the append only file ${name} at offset ${result.offset}: ${result.message}. ` +
            'Make a backup of your AOF file, then use redoubt check-aof --fix <filename.manifest>',
        );
      }
      truncatedAt = at.inMulti ? at.beforeMulti : at.validUpTo;
    } else if (at.inMulti) {
      server.log.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      truncatedAt = at.beforeMulti;
    }
    if (truncatedAt === null) return;
    if (!server.config.bool('aof-load-truncated') || !last) {
      throw new AofLoadError(
        `Unexpected end of file reading the append only file ${name} (the last complete command ends at offset ${truncatedAt} of ${buf.length}). ` +
          (last ? '' : 'The truncated file is not the last file. ') +
          'You can: 1) Make a backup of your AOF file, then use redoubt check-aof --fix <filename.manifest>. ' +
          "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
      );
    }
    server.log.warning(`!!! Warning: short read while loading the AOF file ${name}!!!`);
    server.log.warning(`!!! Truncating the AOF ${name} at offset ${truncatedAt} !!!`);
    fs.truncateSync(files.file(name), truncatedAt);
    server.log.warning(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
  }

  /** Opens (or creates) the INCR file to append to; with no file at all, a BASE is made first. */
  private open(files: AofDir): void {
    const log = this.server.log;
    files.ensure();
    // A rewrite cut short by a crash leaves its temporary BASE (and INCR) behind; no manifest names them.
    for (const name of fs.readdirSync(files.dir)) {
      if (/^temp-rewriteaof-(bg-)?\d+\.aof$/.test(name) || name === `temp-${files.prefix}.incr`) {
        removeQuietly(files.file(name));
        log.notice(`Removed the temporary file ${name} of an interrupted AOF rewrite`);
      }
    }
    const m = this.manifest;
    if (m.base === null && m.incr.length === 0) {
      const base = newBase(m, files.prefix, this.server.config.bool('aof-use-rdb-preamble'));
      files.writeWhole(base.name, this.baseContent(), `temp-rewriteaof-${process.pid}.aof`);
      log.notice(`Creating AOF base file ${base.name} on server start`);
    }
    const fresh = m.incr.length === 0;
    const incr = m.incr.at(-1) ?? newIncr(m, files.prefix);
    this.fd = files.openAppend(incr.name);
    files.writeManifest(m);
    this.incrSize = files.size(incr.name);
    if (this.currentSize === 0) this.currentSize = (m.base === null ? 0 : files.size(m.base.name)) + m.incr.reduce((n, f) => n + files.size(f.name), 0);
    if (this.baseSize === 0 && m.base !== null) this.baseSize = files.size(m.base.name);
    log.notice(`${fresh ? 'Creating' : 'Opening'} AOF incr file ${incr.name} on server start`);
    this.deleteHistory(files, m);
    this.selectedDb = -1;
    this.on = true;
    this.fsyncedReplOffset = 0;
    this.startTimer();
  }

  /** HISTORY files go once the manifest no longer needs them, unless aof-disable-auto-gc keeps them. */
  private deleteHistory(files: AofDir, m: AofManifest): void {
    if (this.server.config.bool('aof-disable-auto-gc')) return;
    files.deleteHistory(m, (l) => this.server.log.notice(l));
  }

  /** Appending starts: the AOF becomes a sink of the propagation point. */
  private startTimer(): void {
    const sinks = this.server.propagation.sinks;
    if (!sinks.includes(this)) sinks.push(this);
    if (this.everySecTimer !== null) return;
    this.everySecTimer = setInterval(() => this.everySecond(), 1000);
    this.everySecTimer.unref();
  }

  // --- rewrite ---

  /** A BASE of the dataset so far, written whole now (only at startup, when there is no AOF at all). */
  private baseContent(): Buffer {
    const snapshot = this.server.rdb.openSnapshot(true, !this.server.config.bool('aof-use-rdb-preamble'));
    try {
      const parts: Buffer[] = [];
      for (let c = snapshot.step(Infinity, 1 << 22); c !== null; c = snapshot.step(Infinity, 1 << 22)) parts.push(c);
      return Buffer.concat(parts);
    } finally {
      this.server.rdb.closeSnapshot(snapshot);
    }
  }

  /** True while a background rewrite runs (aof_rewrite_in_progress). */
  get rewriting(): boolean {
    return this.job !== null;
  }

  /**
   * BGREWRITEAOF, the auto rewrite and CONFIG SET appendonly yes (Redis's
   * rewriteAppendOnlyFileBackground, without a fork). In this turn: what is buffered goes to the
   * current INCR file, which is fsynced, a new INCR file is opened (named in the manifest at once,
   * so a crash meanwhile loads BASE + old INCRs + new INCR), and the forkless snapshot is taken:
   * every write before this instant is in the snapshot, every write after it in the new INCR.
   * Then the snapshot is written a slice at a time to a temporary file, fsynced and renamed to the
   * new BASE, and the manifest names the new BASE and the new INCR only; the old files become
   * HISTORY and are deleted. With appendonly off (CONFIG SET appendonly yes) the new INCR is
   * `temp-<appendfilename>.incr` until the BASE is done, as Redis's AOF_WAIT_REWRITE.
   * Returns an error message, or null once the rewrite is under way.
   */
  rewrite(): string | null {
    const log = this.server.log;
    if (this.job !== null) return 'Background append only file rewriting already in progress';
    const started = Date.now();
    const rdb = this.server.config.bool('aof-use-rdb-preamble');
    let tmpIncrFd = -1;
    try {
      const files = this.files ?? this.dir();
      this.files = files;
      files.ensure();
      const tmp = files.file(`temp-rewriteaof-bg-${process.pid}.aof`);
      const fd = createTemp(tmp);
      let tempIncr: string | null = null;
      try {
        if (this.on) {
          // What is buffered belongs to the old INCR file.
          this.write();
          if (this.fd !== -1) {
            fs.fdatasyncSync(this.fd);
            this.fsynced(this.writtenOffset);
          }
          const m = cloneManifest(this.manifest);
          const incr = newIncr(m, files.prefix);
          const incrFd = files.openAppend(incr.name);
          try {
            files.writeManifest(m);
          } catch (err) {
            fs.closeSync(incrFd);
            throw err;
          }
          this.manifest = m;
          this.closeFile(this.fd);
          this.fd = incrFd;
          this.incrSize = 0;
          this.selectedDb = -1;
        } else {
          tempIncr = files.file(`temp-${files.prefix}.incr`);
          tmpIncrFd = createTemp(tempIncr);
        }
      } catch (err) {
        fs.closeSync(fd);
        removeQuietly(tmp);
        throw err;
      }
      const snapshot = this.server.rdb.openSnapshot(true, !rdb);
      const job: RewriteJob = { snapshot, started, tmp, fd, rdb, tempIncr, tempIncrFd: tmpIncrFd, ownsTempIncrFd: tmpIncrFd !== -1, files, cancelled: false };
      this.job = job;
      this.rewriteScheduled = false;
      log.notice('Background append only file rewriting started');
      void this.runRewrite(job);
      return null;
    } catch (err) {
      this.lastRewriteStatus = 'err';
      this.rewriteFailures++;
      const message = (err as Error).message;
      log.warning(`Can't rewrite append only file in background: ${message}`);
      return message;
    }
  }

  /** The slices of a rewrite, then the switch to the new BASE (backgroundRewriteDoneHandler). */
  private async runRewrite(job: RewriteJob): Promise<void> {
    const log = this.server.log;
    let fd = job.fd;
    let op = 'write';
    // Read afresh after every await: killRewrite() may have stopped the job meanwhile.
    const stopped = (): boolean => job.cancelled;
    try {
      for (;;) {
        if (stopped()) return;
        const chunk = job.snapshot.step(SLICE_MS, CHUNK_BYTES);
        if (chunk === null) break;
        await writeChunk(fd, chunk);
        // Let the clients' requests in between slices even when the disk is quicker than them.
        await nextTurn();
      }
      if (stopped()) return;
      op = 'fsync';
      await syncFile(fd);
      op = 'close';
      await closeFile(fd);
      fd = -1;
      if (stopped()) return;
      op = 'rename';
      this.finishRewrite(job);
    } catch (err) {
      if (!stopped()) {
        this.lastRewriteStatus = 'err';
        this.rewriteFailures++;
        log.warning(`Background AOF rewrite failed (${op}): ${(err as Error).message}`);
        // appendonly was being turned on: it stays off, as Redis's stopAppendOnly after a failed start.
        if (job.tempIncr !== null) this.abandonStart(job);
      }
    } finally {
      if (fd !== -1) closeQuietly(fd);
      // BGREWRITEAOF with appendonly off: the new INCR file stays empty and nothing appends to it.
      this.releaseTempIncr(job);
      removeQuietly(job.tmp);
      this.lastCowSize = job.snapshot.peakRetainedBytes;
      this.server.rdb.closeSnapshot(job.snapshot);
      if (this.job === job) this.job = null;
    }
  }

  /** The BASE is on disk: rename it in, and name it (and the INCR written meanwhile) in the manifest. Throws on failure. */
  private finishRewrite(job: RewriteJob): void {
    const log = this.server.log;
    const files = job.files;
    const m = cloneManifest(this.manifest);
    if (job.tempIncr !== null) {
      // appendonly yes: the INCR written meanwhile becomes the first INCR of the new manifest.
      incrsToHistory(m, false);
      const incr = newIncr(m, files.prefix);
      const base = newBase(m, files.prefix, job.rdb);
      fs.renameSync(job.tmp, files.file(base.name));
      fs.renameSync(job.tempIncr, files.file(incr.name));
      files.writeManifest(m);
    } else {
      const base = newBase(m, files.prefix, job.rdb);
      fs.renameSync(job.tmp, files.file(base.name));
      incrsToHistory(m, true);
      files.writeManifest(m);
    }
    this.manifest = m;
    this.deleteHistory(files, m);
    const base = m.base;
    this.baseSize = base === null ? 0 : files.size(base.name);
    const incr = m.incr.at(-1);
    this.currentSize = this.baseSize + (incr === undefined ? 0 : files.size(incr.name));
    this.rewrites++;
    this.lastRewriteStatus = 'ok';
    this.rewriteFailures = 0;
    this.lastRewriteSeconds = Math.floor((Date.now() - job.started) / 1000);
    log.notice(`Background AOF rewrite terminated with success (base ${base?.name ?? ''}${incr === undefined ? '' : `, incr ${incr.name}`})`);
    log.notice('Background AOF rewrite finished successfully');
  }

  /** A rewrite begun by CONFIG SET appendonly yes failed: appending stops and the temporary INCR goes. */
  private abandonStart(job: RewriteJob): void {
    this.stop();
    if (job.tempIncr !== null) removeQuietly(job.tempIncr);
  }

  /** Stops a running rewrite (SHUTDOWN, appendonly no); the previous AOF stays as it was. */
  killRewrite(): void {
    const job = this.job;
    if (job === null) return;
    job.cancelled = true;
    this.job = null;
    this.lastCowSize = job.snapshot.peakRetainedBytes;
    this.server.rdb.closeSnapshot(job.snapshot);
    this.releaseTempIncr(job);
    if (job.tempIncr !== null) removeQuietly(job.tempIncr);
    removeQuietly(job.tmp);
  }

  /** BGREWRITEAOF with appendonly off: the new INCR file stays empty, and its fd is closed when the job ends. */
  private releaseTempIncr(job: RewriteJob): void {
    if (!job.ownsTempIncrFd) return;
    job.ownsTempIncrFd = false;
    closeQuietly(job.tempIncrFd);
  }

  /** A scheduled rewrite starts once no BGSAVE runs (Redis's serverCron). */
  cron(): void {
    if (!this.rewriteScheduled || this.job !== null || this.server.rdb.inProgress) return;
    if (!this.pendingStart) {
      // A start that fails is logged and not retried every tick.
      if (this.rewrite() !== null) this.rewriteScheduled = false;
      return;
    }
    this.pendingStart = false;
    const err = this.beginStart();
    if (err === undefined) return;
    this.rewriteScheduled = false;
    this.server.log.warning(err.message);
  }

  /** auto-aof-rewrite-percentage and -min-size, checked every second as Redis's serverCron. */
  private autoRewrite(): void {
    if (this.job !== null || this.server.rdb.inProgress) return;
    const cfg = this.server.config;
    const perc = cfg.num('auto-aof-rewrite-percentage');
    if (perc === 0 || this.currentSize <= cfg.num('auto-aof-rewrite-min-size')) return;
    const base = this.baseSize === 0 ? 1 : this.baseSize;
    const growth = Math.floor((this.currentSize * 100) / base) - 100;
    if (growth < perc) return;
    this.server.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
    this.rewrite();
  }

  // --- appendonly at runtime ---

  /** CONFIG SET appendonly yes: appending to a temporary INCR file starts, and a rewrite makes the BASE (Redis's startAppendOnly). */
  start(): Error | undefined {
    if (this.on) return undefined;
    if (this.server.rdb.inProgress) {
      // As Redis: the rewrite waits for the BGSAVE; appending starts once it begins.
      this.rewriteScheduled = true;
    }
    let m: AofManifest;
    try {
      const files = this.dir();
      this.files = files;
      files.ensure();
      m = files.readManifest() ?? emptyManifest();
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
    this.manifest = m;
    if (this.rewriteScheduled) {
      this.server.log.notice('AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.');
      this.pendingStart = true;
      return undefined;
    }
    return this.beginStart();
  }

  private beginStart(): Error | undefined {
    const err = this.rewrite();
    if (err !== null) return new Error(`Can't enable the AOF: ${err}`);
    const job = this.job;
    if (job === null || job.tempIncrFd === -1) return new Error("Can't enable the AOF");
    job.ownsTempIncrFd = false;
    this.fd = job.tempIncrFd;
    this.incrSize = 0;
    this.baseSize = 0;
    this.currentSize = 0;
    this.selectedDb = -1;
    this.on = true;
    this.fsyncedReplOffset = 0;
    this.startTimer();
    this.server.log.notice('AOF enabled');
    return undefined;
  }

  /** CONFIG SET appendonly no, and shutdown: everything written and fsynced, the file closed. */
  stop(): void {
    if (this.pendingStart) this.rewriteScheduled = false;
    this.pendingStart = false;
    if (this.job !== null) this.killRewrite();
    if (!this.on) return;
    this.write();
    if (this.fd !== -1) {
      try {
        fs.fdatasyncSync(this.fd);
        this.fsynced(this.writtenOffset);
      } catch (err) {
        this.server.log.warning(`Fail to fsync the AOF file: ${(err as Error).message}`);
      }
      this.closeFile(this.fd);
    }
    this.fd = -1;
    this.on = false;
    this.fsyncedReplOffset = -1;
    const sinks = this.server.propagation.sinks;
    const i = sinks.indexOf(this);
    if (i !== -1) sinks.splice(i, 1);
    if (this.everySecTimer !== null) clearInterval(this.everySecTimer);
    this.everySecTimer = null;
    // Nothing more will be fsynced: whoever waits is answered with what is.
    for (const w of [...this.waiters]) w.release();
    const held = [...this.held];
    this.held.clear();
    for (const c of held) if (!c.closed) flushClient(c);
  }

  // --- WAITAOF ---

  /** Waits until the AOF is fsynced up to `offset` (or `release` is called); returns the waiter. */
  waitFsync(c: Client, offset: number, release: () => void): () => void {
    const w: AofWaiter = {
      client: c,
      offset,
      release: () => {
        const i = this.waiters.indexOf(w);
        if (i !== -1) this.waiters.splice(i, 1);
        release();
      },
    };
    this.waiters.push(w);
    // Under everysec the next fsync is at most a second away; make sure one is coming.
    this.scheduleTurn();
    return w.release;
  }

  // --- INFO ---

  info(): string[] {
    const lines = [
      `aof_enabled:${this.on ? 1 : 0}`,
      `aof_rewrite_in_progress:${this.job === null ? 0 : 1}`,
      `aof_rewrite_scheduled:${this.rewriteScheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.lastRewriteSeconds}`,
      `aof_current_rewrite_time_sec:${this.job === null ? -1 : Math.floor((Date.now() - this.job.started) / 1000)}`,
      `aof_last_bgrewrite_status:${this.lastRewriteStatus}`,
      `aof_rewrites:${this.rewrites}`,
      `aof_rewrites_consecutive_failures:${this.rewriteFailures}`,
      `aof_last_write_status:${this.writeError === null ? 'ok' : 'err'}`,
      `aof_last_cow_size:${this.lastCowSize}`,
    ];
    return lines;
  }

  /** The fields INFO persistence shows after module_fork_* while the AOF is on. */
  infoWhenOn(): string[] {
    if (!this.on) return [];
    return [
      `aof_current_size:${this.currentSize}`,
      `aof_base_size:${this.baseSize}`,
      'aof_pending_rewrite:0',
      `aof_buffer_length:${this.bufBytes}`,
      `aof_pending_bio_fsync:${this.fsyncInFlight ? 1 : 0}`,
      `aof_delayed_fsync:${this.delayedFsyncs}`,
    ];
  }
}

/** The manifest of `files` (null when there is none); a damaged one fails the load, naming it. */
function readManifestOrFail(files: AofDir): AofManifest | null {
  try {
    return files.readManifest();
  } catch (err) {
    if (err instanceof ManifestError) throw new AofLoadError(`Bad AOF manifest ${files.file(`${files.prefix}.manifest`)}: ${err.message}`);
    throw err;
  }
}
