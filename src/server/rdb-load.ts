// Loading an RDB file into the server's databases and function libraries, as Redis's rdbLoad:
// in time slices, so the event loop keeps answering (clients get -LOADING for commands without
// the `loading` flag, INFO shows the progress), with Redis's log lines and a progress line on
// long loads. A damaged or unloadable file stops the load with a message naming the file, the
// offset and the fix, and whatever was loaded is removed again: nothing is half-loaded.
// Used at startup, by DEBUG RELOAD, and by the AOF loader for an RDB preamble.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { getHeapStatistics } from 'node:v8';
import { resolve } from 'node:path';
import * as E from '../errors.js';
import type { Server } from './server.js';
import { RdbFileError, RdbFileReader, printable, type RdbKeyRecord } from '../persistence/rdb/file.js';
import { DecodeBudget } from '../persistence/rdb/budget.js';
import type { RdbLoadOptions } from '../persistence/rdb/value.js';
import { setExpireMs } from '../store/ttl.js';
import { keyBytes } from '../store/memory-usage.js';
import type { Database } from '../store/database.js';
import type { Config } from '../config/config.js';

/** What INFO's loading_* fields show while a load runs. */
export interface LoadingState {
  /** Seconds since the epoch (loading_start_time). */
  readonly startTime: number;
  totalBytes: number;
  loadedBytes: number;
  /** used-mem of the aux fields (loading_rdb_used_mem). */
  rdbUsedMem: number;
}

/** The figures of the last load (INFO rdb_last_load_keys_*). */
export interface LoadStats {
  keysLoaded: number;
  keysExpired: number;
}

/** A file that could not be loaded; the message names the file, the offset and what to do. */
export class RdbLoadError extends Error {}

/** How long one slice of loading may hold the event loop. */
const SLICE_MS = 5;
/** How often a long load logs its progress. */
const PROGRESS_EVERY_MS = 1000;
/** Only the first few empty keys are named in the log, as Redis. */
const EMPTY_KEYS_LOGGED = 10;

/**
 * Puts the server in the loading state (clients get -LOADING), unless it is already there: a
 * caller that loads several pieces (startup, the AOF loader) holds it across all of them.
 * Returns the state, and whether this call made it (and so must end it).
 */
export function beginLoading(server: Server): { state: LoadingState; owned: boolean } {
  const current = server.loading;
  if (current !== null) return { state: current, owned: false };
  const state: LoadingState = { startTime: Math.floor(Date.now() / 1000), totalBytes: 0, loadedBytes: 0, rdbUsedMem: 0 };
  server.loading = state;
  return { state, owned: true };
}

export function rdbLoadOptions(config: Config): RdbLoadOptions {
  return {
    setMaxIntsetEntries: config.num('set-max-intset-entries'),
    hashMaxListpackEntries: config.num('hash-max-listpack-entries'),
    hashMaxListpackValue: config.num('hash-max-listpack-value'),
    zsetMaxListpackEntries: config.num('zset-max-listpack-entries'),
    zsetMaxListpackValue: config.num('zset-max-listpack-value'),
  };
}

export interface LoadOptions {
  /** The name the messages use (the file's path). */
  readonly source: string;
  /** Where the RDB data starts in `buf`. */
  readonly start?: number;
  /** Bytes after the RDB's end are allowed (an AOF base file goes on with commands). */
  readonly trailing?: boolean;
  /** Keep keys whose time has passed (an AOF preamble: the commands after it expect them). */
  readonly keepExpired?: boolean;
  /** A key or library already there is replaced, not refused (DEBUG RELOAD MERGE, Redis's RDBFLAGS_ALLOW_DUP). */
  readonly allowDuplicates?: boolean;
  /** Told of each key skipped because its time has passed (a primary's startup: its DEL goes to the backlog). */
  readonly onExpired?: (db: number, key: string) => void;
}

/** The replication's place an RDB recorded (repl-id, repl-offset, repl-stream-db: Redis's rdbSaveInfo). */
export interface SavedReplication {
  readonly replid: string;
  readonly offset: number;
  readonly streamDb: number;
}

/** The result of a load: where the RDB data ended in the buffer. */
export interface LoadResult {
  readonly end: number;
  readonly keysLoaded: number;
  readonly keysExpired: number;
  /** The file's replication fields, when it has all three and they are valid (as Redis's loadDataFromDisk checks). */
  readonly repl: SavedReplication | null;
}

/**
 * Loads the RDB file at `path` (startup, DEBUG RELOAD). Resolves to null when the file does not
 * exist; rejects with RdbLoadError when it cannot be loaded.
 */
async function loadRdbFile(server: Server, path: string, opts: Partial<LoadOptions> = {}): Promise<LoadResult | null> {
  // Loading from the first moment: reading the file takes turns of the event loop already.
  const { owned } = beginLoading(server);
  try {
    return await readAndLoad(server, path, opts);
  } finally {
    if (owned) server.loading = null;
  }
}

async function readAndLoad(server: Server, path: string, opts: Partial<LoadOptions>): Promise<LoadResult | null> {
  const started = performance.now();
  let buf: Buffer;
  try {
    buf = await readWhole(path);
  } catch (err) {
    if (err instanceof RdbLoadError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RdbLoadError(`Cannot open the RDB file ${path}: ${(err as Error).message}. Fix: check its permissions and the dir setting.`);
  }
  const result = await loadRdb(server, buf, { ...opts, source: path });
  server.log.notice(`DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
  return result;
}

/** How much of a file is read before the event loop gets a turn. */
const READ_CHUNK = 16 * 1024 * 1024;

/**
 * The file's bytes, read synchronously in chunks with a turn of the event loop between them: a
 * small file is read and (in loadRdb's first slice) loaded before any client is served, as in
 * Redis, which answers nobody while it loads a file smaller than loading-process-events-interval-bytes.
 */
async function readWhole(path: string): Promise<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RdbLoadError(`${path} is not a regular file. Fix: point dir and dbfilename at an RDB file, or move it away.`);
    if (st.size > bufferConstants.MAX_LENGTH) {
      throw new RdbLoadError(`The RDB file ${path} is larger than this server can read into memory (${bufferConstants.MAX_LENGTH} bytes). Fix: load it on a server with the memory for it.`);
    }
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, Math.min(READ_CHUNK, st.size - off), off);
      if (n === 0) break;
      off += n;
      if (off < st.size) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // A file that shrank while it was read ends where it ended (and the load says it is cut).
    return off === st.size ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Loads RDB data from `buf` into the server, in time slices; see LoadOptions. */
export async function loadRdb(server: Server, buf: Buffer, opts: LoadOptions): Promise<LoadResult> {
  const log = server.log;
  const start = opts.start ?? 0;
  const reader = new RdbFileReader(buf, {
    load: rdbLoadOptions(server.config),
    budget: fileBudget(),
    verifyChecksum: server.config.bool('rdbchecksum'),
  }, start);
  const { state, owned } = beginLoading(server);
  state.totalBytes = buf.length - start;
  state.loadedBytes = 0;
  const loaded = { keys: 0, expired: 0, empty: 0 };
  const libraries: string[] = [];
  // Keys loaded by this call, so a failure can take them out again (a DEBUG RELOAD's or an
  // AOF preamble's databases may hold keys from before).
  const touched = new Set<number>();
  const dirty = server.store.stats.dirty;
  const began = performance.now();
  let lastProgress = began;
  const now = Date.now();
  let db = server.dbs[0];
  const repl = { replid: '', offset: -1, streamDb: -1 };
  try {
    reader.header();
    for (;;) {
      const sliceEnd = performance.now() + SLICE_MS;
      let eof: { end: number; checksum: string } | null = null;
      for (let n = 0; eof === null; n++) {
        if ((n & 63) === 63 && performance.now() > sliceEnd) break;
        const rec = reader.next();
        switch (rec.kind) {
          case 'key': {
            if (db === undefined) throw new RdbFileError(rec.offset, 'key before any database is selected', 'corrupt');
            if (!opts.keepExpired && rec.expireAt !== null && rec.expireAt < BigInt(now)) {
              loaded.expired++;
              opts.onExpired?.(db.id, rec.key);
              break;
            }
            touched.add(db.id);
            if (opts.allowDuplicates === true && db.data.has(rec.key)) db.delete(rec.key);
            addKey(db, rec);
            loaded.keys++;
            break;
          }
          case 'select': {
            db = server.dbs[rec.db];
            if (db === undefined) {
              throw new RdbFileError(
                rec.offset,
                `Data file was created with a server configured to handle more than ${server.dbs.length} databases (it selects DB ${rec.db})`,
                'unsupported',
                'raise the databases setting',
              );
            }
            break;
          }
          case 'aux':
            auxField(server, state, rec.key, rec.value);
            replField(repl, rec.key, rec.value);
            break;
          case 'function': {
            const fns = server.functions;
            const made = fns.create(rec.code, opts.allowDuplicates === true, fns.live);
            if ('error' in made) throw new RdbFileError(rec.offset, `Failed loading library, ${made.error}`, 'corrupt');
            libraries.push(made.name);
            break;
          }
          case 'empty-key':
            if (loaded.empty++ < EMPTY_KEYS_LOGGED) log.notice(`rdbLoadObject skipping empty key: ${printable(rec.key)}`);
            break;
          case 'eof':
            eof = rec;
            break;
          case 'resize':
          case 'module':
            break;
        }
      }
      state.loadedBytes = reader.pos - start;
      if (eof !== null) {
        if (eof.checksum === 'disabled') log.notice('RDB file was saved with checksum disabled: no check performed.');
        if (!opts.trailing && eof.end !== buf.length) {
          throw new RdbFileError(eof.end, `${buf.length - eof.end} bytes of trailing data after the end of the RDB file`, 'corrupt');
        }
        const empty = loaded.empty > 0 ? `, empty keys skipped: ${loaded.empty}` : '';
        log.notice(`Done loading RDB, keys loaded: ${loaded.keys}, keys expired: ${loaded.expired}${empty}.`);
        server.lastLoad.keysLoaded = loaded.keys;
        server.lastLoad.keysExpired = loaded.expired;
        const valid = repl.replid.length === 40 && repl.offset !== -1 && repl.streamDb !== -1 && Number.isSafeInteger(repl.offset) && repl.offset >= 0;
        return { end: eof.end, keysLoaded: loaded.keys, keysExpired: loaded.expired, repl: valid ? repl : null };
      }
      const t = performance.now();
      if (t - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = t;
        const pct = state.totalBytes === 0 ? 100 : (state.loadedBytes / state.totalBytes) * 100;
        const rate = Math.round(loaded.keys / ((t - began) / 1000));
        log.notice(`Loading RDB ${opts.source}: ${pct.toFixed(1)}% (${state.loadedBytes} of ${state.totalBytes} bytes), ${loaded.keys} keys, ${rate} keys/sec`);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Another load (FLUSHALL is refused meanwhile, but a shutdown may come) ends this one.
      if (server.shuttingDown) throw new RdbLoadError(`Loading ${opts.source} stopped: the server is shutting down.`);
    }
  } catch (err) {
    // Nothing half-loaded: the keys and libraries of this load go again.
    for (const id of touched) server.dbs[id]?.clear();
    for (const name of libraries) server.functions.delete(name);
    if (err instanceof RdbFileError) throw new RdbLoadError(describe(opts.source, err));
    throw err;
  } finally {
    server.store.stats.dirty = dirty;
    if (owned) server.loading = null;
  }
}

/**
 * One allowance for all the values of a file: three quarters of the heap's free room when the
 * load starts. A file holding more than that is refused with a message, where building it would
 * end in V8 aborting the process.
 */
function fileBudget(): DecodeBudget {
  const h = getHeapStatistics();
  return new DecodeBudget(Math.max(0, Math.floor((h.heap_size_limit - h.used_heap_size) * 0.75)));
}

/**
 * dbAddRDBLoad plus the key's expiry and its IDLE or FREQ (kept under the matching kind of
 * maxmemory policy, as Redis's objectSetLRUOrLFU); no notifications, nothing counted dirty.
 */
function addKey(db: Database, rec: RdbKeyRecord): void {
  if (!db.data.add(rec.key, rec.value, keyBytes(rec.key, rec.value, false), db.clock.now())) {
    throw new RdbFileError(rec.offset, `RDB has duplicated key '${printable(rec.key)}' in DB ${db.id}`, 'corrupt');
  }
  // A hash with field TTLs joins the active expiry of fields (Redis's hashTypeAddToExpires).
  const v = rec.value;
  if (typeof v !== 'string' && v.type === 'hash') {
    const soonest = v.minTtl();
    if (soonest !== undefined) db.trackFieldTtl(rec.key, soonest);
  }
  if (rec.idle !== null) db.setIdleSeconds(rec.key, rec.idle);
  if (rec.freq !== null) db.setFrequency(rec.key, rec.freq);
  const at = rec.expireAt;
  if (at === null) return;
  const approx = Number(at);
  if (Number.isSafeInteger(approx)) db.restoreExpire(rec.key, approx);
  else setExpireMs(db, rec.key, at);
}

/** repl-stream-db, repl-id and repl-offset, read as Redis's rdbLoadRioWithLoadingCtx reads them (atoi, strtoll). */
function replField(repl: { replid: string; offset: number; streamDb: number }, key: string, value: string): void {
  const k = key.toLowerCase();
  if (k === 'repl-stream-db') repl.streamDb = parseInt(value, 10) || 0;
  else if (k === 'repl-id' && value.length === 40) repl.replid = value;
  else if (k === 'repl-offset') repl.offset = Number.parseInt(value, 10) || 0;
}

/** The aux fields Redis logs or uses (rdbLoadRioWithLoadingCtx); others are skipped, as the format asks. */
function auxField(server: Server, state: LoadingState, key: string, value: string): void {
  const log = server.log;
  const k = key.toLowerCase();
  if (key.startsWith('%')) log.notice(`RDB '${printable(key)}': ${printable(value)}`);
  else if (k === 'redis-ver') log.notice(`Loading RDB produced by version ${printable(value)}`);
  else if (k === 'valkey-ver') log.notice(`Loading RDB produced by valkey version ${printable(value)}`);
  else if (k === 'ctime') log.notice(`RDB age ${Math.max(0, Math.floor(Date.now() / 1000) - (parseInt(value, 10) || 0))} seconds`);
  else if (k === 'used-mem') {
    const mem = parseInt(value, 10) || 0;
    state.rdbUsedMem = mem;
    log.notice(`RDB memory usage when created ${(mem / (1024 * 1024)).toFixed(2)} Mb`);
  } else if (k === 'aof-preamble' && value !== '0') log.notice('RDB has an AOF tail');
  else if (k === 'aof-base' && value !== '0') log.notice('RDB is base AOF');
  else if (k !== 'redis-bits' && k !== 'lua' && !k.startsWith('repl-')) log.debug(`Unrecognized RDB AUX field: '${printable(key)}'`);
}

/** The message an operator needs: which file, where, what is wrong, and what to do. */
function describe(source: string, err: RdbFileError): string {
  const fix =
    err.kind === 'unsupported'
      ? 'Fix: load it on a server that has what it needs, or remove that data there and save again.'
      : `Fix: check it with 'redoubt check-rdb ${source}', restore the file from a backup, or move it away to start with an empty dataset.`;
  return `Bad RDB file ${source} at offset ${err.offset}: ${err.message}. ${fix}`;
}

/**
 * The RDB file startup loads (Redis's loadDataFromDisk): dir/dbfilename when the append-only file
 * is off (the AOF loader runs instead) and the file is there; null when there is nothing to load,
 * so a server without one answers from its first connection, as Redis does.
 */
export function startupRdbFile(server: Server): string | null {
  if (server.config.bool('appendonly')) return null;
  const path = resolve(process.cwd(), server.config.str('dbfilename'));
  try {
    statSync(path);
  } catch (err) {
    // Any other failure (permissions) is the load's to report.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
  }
  return path;
}

/** What DEBUG RELOAD does besides loading: Redis's MERGE, NOFLUSH and NOSAVE options, inverted. */
export interface ReloadOptions {
  readonly save: boolean;
  readonly flush: boolean;
  readonly merge: boolean;
}

/**
 * DEBUG RELOAD: saves the dataset to dir/dbfilename, empties the databases and the function
 * libraries, and loads the file back, as Redis does; resolves to null on success or to the
 * error for the caller. Clients get -LOADING while the file loads.
 */
export async function reloadRdb(server: Server, opts: ReloadOptions): Promise<string | null> {
  if (opts.save && !server.rdb.save()) return E.SAVE_FAILED;
  const path = resolve(process.cwd(), server.config.str('dbfilename'));
  const { owned } = beginLoading(server);
  try {
    if (opts.flush) {
      for (const db of server.dbs) db.clear();
      server.functions.flush();
    }
    let buf: Buffer;
    try {
      buf = await readWhole(path);
    } catch (err) {
      server.log.warning(`Failed reading ${path} for DEBUG RELOAD: ${(err as Error).message}`);
      return E.RELOAD_FAILED;
    }
    await loadRdb(server, buf, { source: path, allowDuplicates: opts.merge });
  } catch (err) {
    server.log.warning(err instanceof Error ? err.message : String(err));
    return E.RELOAD_FAILED;
  } finally {
    if (owned) server.loading = null;
  }
  server.log.warning('DB reloaded by DEBUG RELOAD');
  return null;
}

/**
 * Loads the startup file (startupRdbFile) and ends the loading state beginLoading started before
 * the listeners opened. Rejects with RdbLoadError when the file cannot be loaded.
 */
export async function loadDataAtStartup(server: Server, path: string): Promise<void> {
  const repl = server.replication;
  try {
    // A primary's expired keys go to its backlog as DELs (Redis's RDBFLAGS_FEED_REPL).
    const feed = repl.beforeStartupLoad();
    const result = await loadRdbFile(server, path, feed ? { onExpired: (db, key) => repl.expiredAtLoad(db, key) } : {});
    repl.afterStartupLoad(result?.repl ?? null);
  } finally {
    server.loading = null;
  }
}
