// Saving the dataset to `dir`/`dbfilename` as Redis does: SAVE (the whole file at once), BGSAVE
// (a forkless snapshot written a slice at a time while clients are served), the save points that
// start one from the cron, the state INFO persistence reports, -MISCONF after a failed save, and
// the final save of a shutdown. The file is written to a temporary file created exclusively, never
// through a symlink, mode 0600, then fsynced, renamed over the target and the directory fsynced;
// the target is never a symlink or a file that is not an RDB file.

import { close, closeSync, constants, fsync, fsyncSync, lstatSync, openSync, readSync, renameSync, unlinkSync, write, writeSync } from 'node:fs';
import { open as openFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Snapshot, type SnapshotEncoder } from '../persistence/snapshot.js';
import { RespBaseEncoder } from './aof-rewrite.js';
import type { RdbFileOptions } from '../persistence/rdb/file-writer.js';
import { strerror } from '../config/special.js';
import { REDIS_VERSION } from '../version.js';
import { processMemory } from './memory.js';
import type { Server } from './server.js';
import type { Client } from './client.js';
import type { Command } from '../commands/registry.js';
import { resumeInput } from './connection.js';

/** How long one slice of a background save may hold the event loop, in ms. */
const SLICE_MS = 4;
/** Bytes per chunk handed to the file (bounds the CRC work of one slice, too). */
const CHUNK_BYTES = 256 * 1024;
/** rdb-save-incremental-fsync: an fsync every this many bytes, as Redis's REDIS_AUTOSYNC_BYTES. */
const AUTOSYNC_BYTES = 4 * 1024 * 1024;
/** After a failed background save, save points wait this long before trying again (CONFIG_BGSAVE_RETRY_DELAY). */
const RETRY_DELAY_S = 5;

/** A save that failed: what was being done and the system's reason, for the log. */
class SaveError extends Error {
  constructor(
    readonly op: string,
    readonly reason: string,
  ) {
    super(`${op}: ${reason}`);
  }
}

interface BackgroundSave {
  readonly snapshot: Snapshot;
  readonly started: number;
  readonly tmp: string;
  /** Where the file goes, fixed at the start as a forked child's would be (CONFIG SET dir meanwhile changes the next save). */
  readonly target: string;
  cancelled: boolean;
}

/** What a snapshot holds: everything, the function libraries alone, or nothing (REPLCONF rdb-filter-only). */
export type SnapshotFilter = 'all' | 'functions' | 'nothing';

/** SHUTDOWN's and the signals' choices about the final save. */
export interface ShutdownFlags {
  readonly save: boolean;
  readonly nosave: boolean;
  readonly force: boolean;
}

export class RdbSaver {
  /** Unix time of the last successful save (Redis's lastsave; the start time until one happens). */
  lastSave: number;
  lastBgsaveOk = true;
  /** Unix time of the last background save attempt (lastbgsave_try). */
  private lastBgsaveTry = 0;
  /** Seconds the last background save took, -1 before any (rdb_last_bgsave_time_sec). */
  lastBgsaveTimeSec = -1;
  /** SAVE and BGSAVE started (rdb_saves). */
  saves = 0;
  /** Bytes the last background save held for old values at its peak (rdb_last_cow_size). */
  lastRetainedBytes = 0;
  /** BGSAVE SCHEDULE waiting for its turn. */
  scheduled = false;
  /** The running background save, if any. */
  private job: BackgroundSave | null = null;
  private dirtyBefore = 0;
  /** Snapshots being taken (BGSAVE and other consumers). */
  private readonly open = new Set<Snapshot>();

  constructor(private readonly server: Server) {
    this.lastSave = Math.floor(Date.now() / 1000);
    // The old values the open snapshots hold count in used_memory (docs/memory.md).
    server.memoryHolders.push({ name: 'snapshot', bytes: () => this.retainedBytes() });
  }

  /** Bytes the open snapshots hold for old values not yet written. */
  retainedBytes(): number {
    let bytes = 0;
    for (const s of this.open) bytes += s.retainedBytes;
    return bytes;
  }

  get inProgress(): boolean {
    return this.job !== null;
  }

  /** The running snapshot (for INFO and used memory), or null. */
  get snapshot(): Snapshot | null {
    return this.job?.snapshot ?? null;
  }

  /** Seconds the running background save has taken, -1 when none runs. */
  currentSeconds(): number {
    return this.job === null ? -1 : Math.floor((Date.now() - this.job.started) / 1000);
  }

  /** The save points in force, as [seconds, changes] pairs. */
  savePoints(): [number, number][] {
    const words = this.server.config.str('save').split(' ').filter((w) => w !== '');
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < words.length; i += 2) out.push([Number(words[i]), Number(words[i + 1])]);
    return out;
  }

  /** Redis's writeCommandsDeniedByDiskError for RDB: the last save failed and it matters. */
  writesDenied(): boolean {
    return !this.lastBgsaveOk && this.server.config.bool('stop-writes-on-bgsave-error') && this.savePoints().length > 0;
  }

  private target(): string {
    return join(process.cwd(), this.server.config.str('dbfilename'));
  }

  /** Redis's temp-<pid>.rdb; a background save adds its number, so a stopped one never touches the next one's file. */
  private tempPath(background = false): string {
    return join(process.cwd(), background ? `temp-${process.pid}-${this.saves}.rdb` : `temp-${process.pid}.rdb`);
  }

  private fileOptions(): RdbFileOptions {
    const c = this.server.config;
    return {
      compress: c.bool('rdbcompression'),
      checksum: c.bool('rdbchecksum'),
      listMaxListpackSize: c.num('list-max-listpack-size'),
      listCompressDepth: c.num('list-compress-depth'),
    };
  }

  /** The dataset as it is now, as an RDB file to be pulled a chunk at a time (not yet in the write barrier). */
  private newSnapshot(aofBase = false, encoder: SnapshotEncoder | null = null, only: SnapshotFilter = 'all'): Snapshot {
    const s = this.server;
    const mem = processMemory();
    const aux: [string, string][] = [
      ['redis-ver', REDIS_VERSION],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(Date.now() / 1000))],
      ['used-mem', String(mem.heapUsed + mem.external)],
    ];
    // The replication's place (rdbSaveInfoAuxFields): a replica restarted from this file, or a
    // replica of its own, resumes the stream from here. An AOF preamble has none, as in Redis.
    const repl = aofBase ? null : s.replication.saveInfo();
    if (repl !== null) aux.push(['repl-stream-db', String(repl.streamDb)], ['repl-id', repl.replid], ['repl-offset', String(repl.offset)]);
    aux.push(['aof-base', aofBase ? '1' : '0']);
    const libraries = only === 'nothing' ? [] : [...s.functions.live.libraries.values()].map((lib) => lib.code);
    return new Snapshot({ dbs: only === 'all' ? s.dbs : [], libraries, aux }, this.fileOptions(), encoder);
  }

  /**
   * A point-in-time snapshot for a background consumer (BGSAVE here; an AOF rewrite's RDB
   * preamble with `aofBase`, a replica's full sync; `only` for REPLCONF rdb-filter-only: the
   * function libraries alone, or nothing but the header): registered in the write barrier now, so the
   * clients can keep writing. Pull it with step() until it returns null (each call holds the
   * event loop for about its budget), then closeSnapshot() it, also when giving up early.
   */
  openSnapshot(aofBase = false, respBase = false, only: SnapshotFilter = 'all'): Snapshot {
    // An AOF BASE without the RDB preamble: the same image, as RESP commands.
    const encoder = respBase ? new RespBaseEncoder(this.fileOptions(), this.server.config.bool('aof-timestamp-enabled'), BigInt(this.server.store.clock.now())) : null;
    const snapshot = this.newSnapshot(aofBase, encoder, only);
    this.server.writeBarriers.push(snapshot);
    this.open.add(snapshot);
    return snapshot;
  }

  /** Leaves the write barrier and frees what the snapshot held. */
  closeSnapshot(snapshot: Snapshot): void {
    this.open.delete(snapshot);
    snapshot.cancel();
    const barriers = this.server.writeBarriers;
    const i = barriers.indexOf(snapshot);
    if (i !== -1) barriers.splice(i, 1);
  }

  /**
   * Holds a write command whose key is a large collection a running snapshot has not written yet:
   * rather than hold the event loop to serialize its old value, the snapshot serializes it a
   * slice at a time and the command runs once that is done (through the whole gate again, as a
   * request CLIENT PAUSE held). True when the command was held.
   */
  holdWrite(c: Client, cmd: Command, argv: string[]): boolean {
    if (this.open.size === 0) return false;
    for (const ref of cmd.keyRefs(argv)) {
      const key = argv[ref.pos];
      if (key === undefined) continue;
      for (const snapshot of this.open) {
        if (!snapshot.wouldStall(c.db, key)) continue;
        c.pendingArgv = argv;
        snapshot.prepare(c.db, key, () => {
          if (!c.closed) resumeInput(c);
        });
        return true;
      }
    }
    return false;
  }

  // --- SAVE ---

  /** SAVE: the whole file now, holding the event loop as Redis's SAVE does. True on success. */
  save(): boolean {
    const log = this.server.log;
    const tmp = this.tempPath();
    let fd: number;
    try {
      fd = createTemp(tmp);
    } catch (err) {
      log.warning(`Failed opening the temp RDB file ${tmp} (in server root dir ${process.cwd()}) for saving: ${strerror(err)}`);
      return false;
    }
    const snapshot = this.newSnapshot();
    let op = 'rdbSaveRio';
    try {
      for (let chunk = snapshot.step(Infinity, 4 * CHUNK_BYTES); chunk !== null; chunk = snapshot.step(Infinity, 4 * CHUNK_BYTES)) {
        writeAll(fd, chunk);
      }
      op = 'fsync';
      fsyncSync(fd);
      op = 'fclose';
      closeSync(fd);
      fd = -1;
      this.install(tmp);
    } catch (err) {
      if (fd !== -1) closeQuietly(fd);
      removeQuietly(tmp);
      const e = err instanceof SaveError ? err : new SaveError(op, strerror(err));
      log.warning(`Write error saving DB on disk(${e.op}): ${e.reason}`);
      return false;
    }
    log.notice('DB saved on disk');
    this.server.store.stats.dirty = 0;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.lastBgsaveOk = true;
    return true;
  }

  /** Checks the target, renames the finished temporary file over it, and fsyncs the directory. */
  private install(tmp: string): void {
    const target = this.target();
    const refusal = targetRefusal(target);
    if (refusal !== null) throw new SaveError('rename', `refusing to replace ${target}: ${refusal}`);
    try {
      renameSync(tmp, target);
    } catch (err) {
      throw new SaveError('rename', `Error moving temp DB file ${tmp} on the final destination ${target} (in server root dir ${process.cwd()}): ${strerror(err)}`);
    }
    try {
      const dir = openSync(process.cwd(), constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (err) {
      throw new SaveError('fsyncFileDir', strerror(err));
    }
  }

  /** install() without holding the event loop: the rename and the directory's fsync go through the thread pool. */
  private async installInBackground(tmp: string, target: string): Promise<void> {
    const refusal = targetRefusal(target);
    if (refusal !== null) throw new SaveError('rename', `refusing to replace ${target}: ${refusal}`);
    try {
      await rename(tmp, target);
    } catch (err) {
      throw new SaveError('rename', `Error moving temp DB file ${tmp} on the final destination ${target} (in server root dir ${process.cwd()}): ${strerror(err)}`);
    }
    try {
      const dir = await openFile(dirname(target), constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (err) {
      throw new SaveError('fsyncFileDir', strerror(err));
    }
  }

  // --- BGSAVE ---

  /** Starts a background save; false when one runs already or the temporary file cannot be made. */
  startBackground(): boolean {
    if (this.job !== null) return false;
    const s = this.server;
    this.saves++;
    this.dirtyBefore = s.store.stats.dirty;
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    const tmp = this.tempPath(true);
    let fd: number;
    try {
      fd = createTemp(tmp);
    } catch (err) {
      s.log.warning(`Failed opening the temp RDB file ${tmp} (in server root dir ${process.cwd()}) for saving: ${strerror(err)}`);
      this.finish(false, Date.now());
      return false;
    }
    const snapshot = this.openSnapshot();
    const job: BackgroundSave = { snapshot, started: Date.now(), tmp, target: this.target(), cancelled: false };
    this.job = job;
    s.log.notice('Background saving started');
    void this.runBackground(job, fd);
    return true;
  }

  private async runBackground(job: BackgroundSave, fd: number): Promise<void> {
    const log = this.server.log;
    let op = 'rdbSaveRio';
    // Read afresh after every await: kill() may have stopped the job meanwhile.
    const stopped = (): boolean => job.cancelled;
    try {
      const incremental = this.server.config.bool('rdb-save-incremental-fsync');
      let sinceSync = 0;
      // rdb-key-save-delay (a test hook, in microseconds per key, as Redis's): about one key per
      // slice, then a pause that holds nothing but the save.
      const keyDelayUs = this.server.config.num('rdb-key-save-delay');
      for (;;) {
        if (stopped()) return;
        const chunk = keyDelayUs > 0 ? job.snapshot.step(SLICE_MS, 1) : job.snapshot.step(SLICE_MS, CHUNK_BYTES);
        if (chunk === null) break;
        if (keyDelayUs > 0) await sleep(keyDelayUs / 1000);
        await writeChunk(fd, chunk);
        sinceSync += chunk.length;
        if (incremental && sinceSync >= AUTOSYNC_BYTES) {
          op = 'fsync';
          await syncFile(fd);
          op = 'rdbSaveRio';
          sinceSync = 0;
        }
        // Let the clients' requests in between slices even when the disk is quicker than them.
        await nextTurn();
      }
      if (stopped()) return;
      op = 'fsync';
      await syncFile(fd);
      op = 'fclose';
      await closeFile(fd);
      fd = -1;
      if (stopped()) {
        removeQuietly(job.tmp);
        return;
      }
      await this.installInBackground(job.tmp, job.target);
      if (stopped()) return;
      log.notice('DB saved on disk');
      this.finish(true, job.started);
    } catch (err) {
      const e = err instanceof SaveError ? err : new SaveError(op, strerror(err));
      if (!stopped()) {
        log.warning(`Write error saving DB on disk(${e.op}): ${e.reason}`);
        this.finish(false, job.started);
      }
      removeQuietly(job.tmp);
    } finally {
      if (fd !== -1) closeQuietly(fd);
      if (stopped()) removeQuietly(job.tmp);
      this.detach(job);
    }
  }

  /** Records the end of a background save (backgroundSaveDoneHandlerDisk). */
  private finish(ok: boolean, started: number): void {
    const s = this.server;
    const job = this.job;
    if (job !== null) this.lastRetainedBytes = job.snapshot.peakRetainedBytes;
    this.lastBgsaveTimeSec = Math.floor((Date.now() - started) / 1000);
    if (ok) {
      s.log.notice('Background saving terminated with success');
      s.store.stats.dirty = Math.max(0, s.store.stats.dirty - this.dirtyBefore);
      this.lastSave = Math.floor(Date.now() / 1000);
      this.lastBgsaveOk = true;
    } else {
      s.log.warning('Background saving error');
      this.lastBgsaveOk = false;
    }
  }

  private detach(job: BackgroundSave): void {
    this.closeSnapshot(job.snapshot);
    if (this.job === job) this.job = null;
  }

  /** Stops the running background save and removes its temporary file (killRDBChild). */
  kill(): void {
    const job = this.job;
    if (job === null) return;
    job.cancelled = true;
    this.lastRetainedBytes = job.snapshot.peakRetainedBytes;
    this.detach(job);
    removeQuietly(job.tmp);
  }

  /** FLUSHALL (flushAllDataAndResetRDB): stops a background save, and saves the empty dataset when save points are set. */
  afterFlushAll(): void {
    this.kill();
    if (this.savePoints().length > 0) this.save();
  }

  // --- the cron ---

  /** Save points and a scheduled BGSAVE, as Redis's serverCron checks them. */
  cron(): void {
    if (this.job !== null || this.server.aof.rewriting) return;
    if (this.scheduled) {
      this.scheduled = false;
      this.startBackground();
      return;
    }
    const dirty = this.server.store.stats.dirty;
    const now = Math.floor(Date.now() / 1000);
    for (const [seconds, changes] of this.savePoints()) {
      if (dirty >= changes && now - this.lastSave > seconds && (now - this.lastBgsaveTry > RETRY_DELAY_S || this.lastBgsaveOk)) {
        this.server.log.notice(`${changes} changes in ${seconds} seconds. Saving...`);
        this.startBackground();
        return;
      }
    }
  }

  // --- shutdown ---

  /**
   * The save part of Redis's finishShutdown: stops a background save, then saves when save
   * points are set (unless NOSAVE) or SAVE asks. False when the save failed and FORCE was not given.
   */
  finalSave(flags: ShutdownFlags): boolean {
    const log = this.server.log;
    if (this.job !== null) {
      log.warning('There is a child saving an .rdb. Killing it!');
      this.kill();
    }
    if (!((this.savePoints().length > 0 && !flags.nosave) || flags.save)) return true;
    log.notice('Saving the final RDB snapshot before exiting.');
    this.saves++;
    if (this.save()) return true;
    if (flags.force) {
      log.warning('Error trying to save the DB. Exit anyway.');
      return true;
    }
    log.warning("Error trying to save the DB, can't exit.");
    return false;
  }
}

// --- files ---

/** A new file for writing, mode 0600: never an existing file, never through a symlink. */
export function createTemp(path: string): number {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    return openSync(path, flags, 0o600);
  } catch (err) {
    // A leftover of an earlier process with the same pid (or anything planted there): unlinking
    // removes the name, symlink or not, and never touches what a symlink points to.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(path);
    return openSync(path, flags, 0o600);
  }
}

/**
 * Why the file at `target` must not be replaced, or null when it may: a symlink, anything but a
 * regular file, or a file that is not an RDB file (the `dir` + `dbfilename` overwrite attack).
 */
function targetRefusal(target: string): string | null {
  let st;
  try {
    st = lstatSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return strerror(err);
  }
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isFile()) return 'it is not a regular file';
  if (st.size === 0) return null;
  const head = Buffer.alloc(5);
  let fd = -1;
  try {
    fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    readSync(fd, head, 0, 5, 0);
  } catch (err) {
    return strerror(err);
  } finally {
    if (fd !== -1) closeQuietly(fd);
  }
  return head.latin1Slice() === 'REDIS' ? null : 'it is not an RDB file';
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

/** Writes `chunk` through the thread pool, so the event loop never waits for the disk. */
export async function writeChunk(fd: number, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const n = await new Promise<number>((resolve, reject) => {
      write(fd, chunk, off, chunk.length - off, null, (err, written) => {
        if (err) reject(err);
        else resolve(written);
      });
    });
    off += n;
  }
}

export function syncFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

export function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    close(fd, (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
