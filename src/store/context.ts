// What the databases of one server share, as Redis keeps it in its `server` struct: the command
// clock, the keyspace counters, the SCAN cursor table, and whether the running command may touch
// access times. The server makes one and hands it to each Database; nothing here is process-wide,
// so two servers in one process share none of it.

import { Clock } from './clock.js';
import { ScanCursors } from './scan.js';
import { AccessPolicy, DatasetBytes } from './key-meta.js';
import { LazyFree } from './lazyfree.js';
import type { HashLimits } from './hash.js';
import type { ZSetLimits } from './zset.js';
import type { NodeLimits } from './stream.js';

/** Counters INFO reports (persistence and stats sections). */
export class KeyspaceStats {
  /** Writes since the last save, as Redis's server.dirty. */
  dirty = 0;
  /** Lookups by read commands that found / did not find their key (keyspace_hits/misses). */
  hits = 0;
  misses = 0;
}

/**
 * The directives the commands consult on every write, as typed fields: the server sets them from
 * the configuration when it starts and after every CONFIG SET (Server.applyConfig), so no command
 * looks a directive up by name. The initial values are Redis's defaults.
 */
class StoreLimits {
  /** hash-max-listpack-entries and hash-max-listpack-value. */
  hash: HashLimits = { maxEntries: 512, maxValue: 64 };
  /** zset-max-listpack-entries and zset-max-listpack-value (sorted sets and geo sets). */
  zset: ZSetLimits = { maxEntries: 128, maxValue: 64 };
  /** set-max-intset-entries. */
  setMaxIntset = 512;
  /** stream-node-max-entries and stream-node-max-bytes. */
  streamNode: NodeLimits = { maxEntries: 100, maxBytes: 4096 };
  /** hll-sparse-max-bytes. */
  hllSparseMaxBytes = 3000;
  /** proto-max-bulk-len: the longest string a command may build, and a reply's element budget. */
  maxBulkLen = 512 * 1024 * 1024;
}

export class StoreContext {
  readonly clock = new Clock();
  readonly stats = new KeyspaceStats();
  /** Parked SCAN walks of every database and collection of this server. */
  readonly scanCursors = new ScanCursors();
  /** Set while a CLIENT NO-TOUCH client runs a command: lookups leave access times alone. */
  noTouch = false;
  /**
   * Set while clients are paused (CLIENT PAUSE): a key past its time reads as missing but is not
   * deleted until the pause ends, as Redis's expireIfNeeded, so nothing changes the dataset then.
   */
  expiryPaused = false;
  /** How key access is recorded (LRU or LFU, and LFU's parameters), from the configuration. */
  readonly access = new AccessPolicy();
  /** The estimated bytes of every database's keys, values and TTLs (the dataset part of used_memory). */
  readonly dataset = new DatasetBytes();
  /** The lazyfree-lazy-* settings and what Redis would have freed in the background (INFO). */
  readonly lazyfree = new LazyFree();
  /** Encoding thresholds and size limits from the configuration. */
  readonly limits = new StoreLimits();
}
