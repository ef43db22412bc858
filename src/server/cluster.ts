// Hash slots, the gate's cluster step and the per-slot key index (docs/cluster.md). With
// `cluster-emulated yes` one Redoubt answers cluster-aware clients as a one-node cluster owning all
// 16384 slots; with `cluster-enabled yes` it is a node of a real Redis Cluster (cluster-mode.ts
// holds that state, cluster-bus.ts its sockets) and the gate redirects with MOVED and ASK as Redis's
// getNodeByQuery does. The per-slot key index behind COUNTKEYSINSLOT and GETKEYSINSLOT is built on
// first use and kept by the keyspace listener, so a server that never asks pays nothing.

import { randomBytes } from 'node:crypto';
import * as E from '../errors.js';
import type { Database, KeyspaceEvents } from '../store/database.js';
import type { Command } from '../commands/registry.js';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { ClusterMode, type ClusterNode } from './cluster-mode.js';

export const CLUSTER_SLOTS = 16384;

/** CRC16-CCITT (XMODEM), as Redis's crc16.c: polynomial 0x1021, initial 0. */
function crc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
}

const CRC16 = crc16Table();

function crc16(s: string, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ (CRC16[((crc >> 8) ^ s.charCodeAt(i)) & 0xff] ?? 0);
  return crc;
}

/**
 * Redis's keyHashSlot for a binary (latin1) key: the slot of the hash tag, the part between the
 * first `{` and the next `}`, when that part is not empty; otherwise of the whole key.
 */
export function keyHashSlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close !== -1 && close !== open + 1) return crc16(key, open + 1, close) & (CLUSTER_SLOTS - 1);
  }
  return crc16(key, 0, key.length) & (CLUSTER_SLOTS - 1);
}

/** Keys of database 0 by slot, kept current by keyspace events once built. */
class SlotIndex implements Partial<KeyspaceEvents> {
  private readonly bySlot = new Map<number, Set<string>>();
  private count = 0;

  constructor(private readonly db: Database) {
    for (const key of db.data.keys()) this.add(key);
  }

  /** False when the index and the database disagree on the number of keys (a bulk load): rebuild. */
  get valid(): boolean {
    return this.count === this.db.data.size;
  }

  keys(slot: number): ReadonlySet<string> {
    return this.bySlot.get(slot) ?? new Set();
  }

  modified(db: Database, key: string): void {
    if (db !== this.db) return;
    if (db.data.has(key)) this.add(key);
    else this.remove(key);
  }

  flushed(db: Database): void {
    if (db !== this.db) return;
    this.bySlot.clear();
    this.count = 0;
  }

  private add(key: string): void {
    const slot = keyHashSlot(key);
    let set = this.bySlot.get(slot);
    if (set === undefined) {
      set = new Set();
      this.bySlot.set(slot, set);
    }
    if (!set.has(key)) {
      set.add(key);
      this.count++;
    }
  }

  private remove(key: string): void {
    const slot = keyHashSlot(key);
    const set = this.bySlot.get(slot);
    if (set === undefined || !set.delete(key)) return;
    this.count--;
    if (set.size === 0) this.bySlot.delete(slot);
  }
}

/** The server's cluster face: off (standalone, Redis's cluster-enabled no), emulated, or a real cluster node. */
export class ClusterState implements Partial<KeyspaceEvents> {
  /** An emulated node's name: 40 hex characters, new at every start (it has no nodes.conf). */
  private readonly emulatedId = randomBytes(20).toString('hex');
  private on = false;
  private index: SlotIndex | null = null;
  /** The real cluster (cluster-enabled yes), made by enable() before the server listens. */
  mode: ClusterMode | null = null;

  constructor(
    private readonly dbs: readonly Database[],
    listeners: Partial<KeyspaceEvents>[],
  ) {
    listeners.push(this);
  }

  /** cluster-emulated (CONFIG SET may change it). */
  get emulated(): boolean {
    return this.on;
  }

  set emulated(on: boolean) {
    this.on = on;
    if (!on && this.mode === null) this.index = null;
  }

  /** Whether the node acts as a cluster node: emulated or real (INFO's cluster_enabled, the gate). */
  get enabled(): boolean {
    return this.on || this.mode !== null;
  }

  /** This node's name. */
  get myId(): string {
    return this.mode?.myself.name ?? this.emulatedId;
  }

  /** cluster-enabled yes: loads or creates nodes.conf (throws ClusterConfigError on a corrupt one). */
  enable(server: Server): void {
    this.mode = new ClusterMode(server);
  }

  /** The keys of `slot` (database 0, as cluster mode has only that one). */

  slotKeys(slot: number): ReadonlySet<string> {
    const db0 = this.dbs[0];
    if (db0 === undefined) return new Set();
    let index = this.index;
    if (index === null || !index.valid) {
      index = new SlotIndex(db0);
      this.index = index;
    }
    return index.keys(slot);
  }

  modified(db: Database, key: string): void {
    this.index?.modified(db, key);
  }

  flushed(db: Database): void {
    this.index?.flushed(db);
  }

  swapped(): void {
    this.index = null;
  }

  /**
   * The gate's step for cluster mode (Redis's getNodeByQuery on a node owning every slot): the
   * CROSSSLOT error when the keys (or shard channels) of the command — of every queued command,
   * for EXEC — are not all in one slot, else null.
   */
  refusal(c: Client, cmd: Command, argv: readonly string[], asking = false): string | null {
    if (c.kind === 'master' || c.socket === null) return null;
    if (this.mode !== null) return this.redirection(this.mode, c, cmd, argv, asking);
    if (!this.emulated) return null;
    if (cmd.fullName === 'exec') {
      const m = c.multi;
      if (m === null) return null;
      let slot = -1;
      let first: string | null = null;
      for (const q of m.commands) {
        const r = this.slotOf(q.cmd, q.argv, slot, first);
        if (r === null) return E.CROSSSLOT;
        slot = r.slot;
        first = r.first;
      }
      return null;
    }
    if (cmd.spec.keys.length === 0 && !cmd.movableKeys) return null;
    return this.slotOf(cmd, argv, -1, null) === null ? E.CROSSSLOT : null;
  }

  /**
   * Redis's getNodeByQuery and clusterRedirectClient for a node of a real cluster: null when this
   * node serves the request, else the error (CROSSSLOT, MOVED, ASK, TRYAGAIN or CLUSTERDOWN).
   */
  private redirection(mode: ClusterMode, c: Client, cmd: Command, argv: readonly string[], asking: boolean): string | null {
    const name = cmd.fullName;
    if (name !== 'exec' && cmd.spec.keys.length === 0 && !cmd.movableKeys && !isShardPubsub(name)) return null;
    const commands: { cmd: Command; argv: readonly string[] }[] = [];
    if (name === 'exec') {
      if (c.multi === null) return null;
      commands.push(...c.multi.commands);
    } else {
      commands.push({ cmd, argv });
    }
    const db0 = this.dbs[0];
    let first: string | null = null;
    let slot = 0;
    let owner: ClusterNode | null = null;
    let migrating = false;
    let importing = false;
    let multipleKeys = false;
    let missing = 0;
    let existing = 0;
    let pubsubShard = false;
    let writes = false;
    for (const q of commands) {
      const shard = isShardPubsub(q.cmd.fullName);
      if (shard) pubsubShard = true;
      if (q.cmd.isWrite) writes = true;
      for (const pos of clusterKeyPositions(q.cmd, q.argv)) {
        const key = q.argv[pos];
        if (key === undefined) continue;
        const thisSlot = keyHashSlot(key);
        if (first === null) {
          first = key;
          slot = thisSlot;
          owner = mode.slots[slot] ?? null;
          if (owner === null) return E.CLUSTERDOWN_UNBOUND;
          if (owner === mode.myself && mode.migrating.has(slot)) migrating = true;
          else if (mode.importing.has(slot)) importing = true;
        } else if (key !== first) {
          if (thisSlot !== slot) return E.CROSSSLOT;
          multipleKeys = true;
        }
        if ((migrating || importing) && !shard && db0 !== undefined) {
          if (liveKey(db0, key)) existing++;
          else missing++;
        }
      }
    }
    if (owner === null) return null;
    if (mode.state !== 'ok') {
      const config = c.server.config;
      if (pubsubShard) {
        if (!config.bool('cluster-allow-pubsubshard-when-down')) return E.CLUSTERDOWN;
      } else if (!config.bool('cluster-allow-reads-when-down')) {
        return E.CLUSTERDOWN;
      } else if (writes) {
        return E.CLUSTERDOWN_RO;
      }
    }
    if ((migrating || importing) && name === 'migrate') return null;
    if (migrating && missing > 0) {
      if (existing > 0) return E.TRYAGAIN;
      const to = mode.migrating.get(slot);
      if (to !== undefined) return E.clusterMoved(true, slot, mode.endpoint(to), mode.clientPort(to, c));
    }
    if (importing && (asking || cmd.spec.flags.includes('asking'))) {
      if (multipleKeys && missing > 0) return E.TRYAGAIN;
      return null;
    }
    const me = mode.myself;
    if ((c.readonlyCluster || pubsubShard) && !writes && me.isReplica && me.slaveof === owner) return null;
    if (owner === me) return null;
    return E.clusterMoved(false, slot, mode.endpoint(owner), mode.clientPort(owner, c));
  }

  /** The slot of a command's keys (-1: it has none), or null when they span slots. */
  commandSlot(cmd: Command, argv: readonly string[]): number | null {
    return this.slotOf(cmd, argv, -1, null)?.slot ?? null;
  }

  /** The slot of a script's declared keys (-1: none); the gate refused them if they span slots. */
  declaredSlot(keys: readonly string[]): number {
    const first = keys[0];
    return first === undefined ? -1 : keyHashSlot(first);
  }

  /** The slot the keys share so far (-1: no key yet), or null when they span slots. */
  private slotOf(
    cmd: Command,
    argv: readonly string[],
    slot: number,
    first: string | null,
  ): { slot: number; first: string | null } | null {
    for (const pos of clusterKeyPositions(cmd, argv)) {
      const key = argv[pos];
      if (key === undefined) continue;
      if (first === null) {
        first = key;
        slot = keyHashSlot(key);
      } else if (key !== first && keyHashSlot(key) !== slot) {
        return null;
      }
    }
    return { slot, first };
  }
}

function isShardPubsub(name: string): boolean {
  return name === 'spublish' || name === 'ssubscribe' || name === 'sunsubscribe';
}

/** Whether a key exists and has not expired, without deleting it (Redis's LOOKUP_NOEXPIRE). */
function liveKey(db: Database, key: string): boolean {
  if (!db.data.has(key)) return false;
  const at = db.expireAt(key);
  return at === undefined || at > Date.now();
}

/** The arguments Redis routes a command by: its keys, and the channels of sharded pub/sub. */
function clusterKeyPositions(cmd: Command, argv: readonly string[]): number[] {
  const name = cmd.fullName;
  if (name === 'spublish') return [1];
  if (name === 'ssubscribe' || name === 'sunsubscribe') return argv.map((_, i) => i).slice(1);
  return cmd.keyRefs(argv).map((k) => k.pos);
}
