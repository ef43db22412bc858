// Cluster mode (`cluster-enabled yes`, docs/cluster.md): this node's view of a Redis Cluster, kept
// as Redis 7.0's cluster.c keeps it. Nodes and their flags, epochs and slots; the slot table with
// its migrating/importing states; nodes.conf (Redis's line format, written atomically); the bus
// messages it sends and what it does with those it receives (PING/PONG/MEET with gossip, FAIL,
// UPDATE, PUBLISH); failure detection (PFAIL/FAIL) and the cluster state. The sockets are
// cluster-bus.ts, the wire format cluster-bus-codec.ts; the commands are commands/cluster.ts.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Server } from './server.js';
import type { Client } from './client.js';
import * as E from '../errors.js';
import { keyHashSlot } from './cluster.js';
import {
  decode,
  encode,
  MSG_TYPE_COUNT,
  MSG_TYPE_NAMES,
  MFLAG0_FORCEACK,
  MFLAG0_PAUSED,
  MsgType,
  NodeFlag,
  SLOTS_BYTES,
  validNodeName,
  type BusBody,
  type BusHeader,
  type BusMessage,
  type Gossip,
} from './cluster-bus-codec.js';
import { BusLink, ClusterBus, PeerAllowlist, plainAddress, type BusEvents } from './cluster-bus.js';
import { tlsClusterBus } from '../security/tls.js';
import { ClusterConfigLock } from './cluster-lock.js';

const SLOT_COUNT = 16384;
const PORT_INCR = 10000;
const CRON_MS = 100;
const FAIL_REPORT_VALIDITY_MULT = 2;
const FAIL_UNDO_TIME_MULT = 2;
const WRITABLE_DELAY = 2000;
const MIN_REJOIN_DELAY = 500;
const MAX_REJOIN_DELAY = 5000;
const BLACKLIST_TTL_MS = 60_000;
/** Nodes this node will know at most (Redis has no cap; its docs advise up to 1000): gossip and MEETs past it are ignored. */
const MAX_NODES = 10_000;
/** Handshakes under way at most: MEETs from unknown peers past it are answered but add no node. */
const MAX_HANDSHAKES = 256;
/** A manual failover's time limit (Redis's CLUSTER_MF_TIMEOUT); the primary pauses writes for twice that. */
const MF_TIMEOUT = 5000;

type Link = BusLink<ClusterNode>;

/** Why a replica of a failed primary is not failing over (Redis's CLUSTER_CANT_FAILOVER_*). */
type CantFailover = 'data-age' | 'waiting-delay' | 'expired' | 'waiting-votes';
const CANT_FAILOVER_TEXT: Record<CantFailover, string> = {
  'data-age': "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.",
  'waiting-delay': 'Waiting the delay before I can start a new failover.',
  expired: 'Failover attempt expired.',
  'waiting-votes': 'Waiting for votes, but majority still not reached.',
};
const CANT_FAILOVER_RELOG_MS = 5 * 60_000;
/** How long a primary stays orphaned before a replica migrates to it (Redis's CLUSTER_SLAVE_MIGRATION_DELAY). */
const MIGRATION_DELAY = 5000;

/** One node of the cluster as this node knows it (Redis's clusterNode). */
export class ClusterNode {
  configEpoch = 0n;
  readonly slots = new Uint8Array(SLOTS_BYTES);
  numSlots = 0;
  slaveof: ClusterNode | null = null;
  readonly replicas = new Set<ClusterNode>();
  pingSent = 0;
  pongReceived = 0;
  dataReceived = 0;
  failTime = 0;
  votedTime = 0;
  ip = '';
  port = 0;
  pport = 0;
  cport = 0;
  hostname = '';
  /** The link we opened to it, and the one it opened to us. */
  link: Link | null = null;
  inbound: Link | null = null;
  /** Primaries that reported it failing, and when. */
  readonly failReports = new Map<ClusterNode, number>();
  readonly ctime = Date.now();
  /** When its inbound link last closed (at first, when it was created), and when we last sent it an unasked MEET. */
  inboundFreedTime = Date.now();
  meetSentTime = 0;
  replOffset = 0n;
  /** Cron pass in which it was last put in a gossip section. */
  lastGossip = 0;
  /** Since when it has been a primary without working replicas, as a replica that may migrate sees it (0: it is not). */
  orphanedTime = 0;

  constructor(
    public name: string,
    public flags: number,
  ) {}

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  get isMaster(): boolean {
    return this.has(NodeFlag.MASTER);
  }

  get isReplica(): boolean {
    return this.has(NodeFlag.SLAVE);
  }

  get failed(): boolean {
    return this.has(NodeFlag.FAIL);
  }

  hasSlot(slot: number): boolean {
    return ((this.slots[slot >> 3] ?? 0) & (1 << (slot & 7))) !== 0;
  }

  setSlot(slot: number): boolean {
    if (this.hasSlot(slot)) return false;
    this.slots[slot >> 3] = (this.slots[slot >> 3] ?? 0) | (1 << (slot & 7));
    this.numSlots++;
    return true;
  }

  /** Redis's clusterNodeAddSlave: a primary that has (or had) a replica may get one by migration. */
  addReplica(r: ClusterNode): void {
    if (this.replicas.has(r)) return;
    this.replicas.add(r);
    this.flags |= NodeFlag.MIGRATE_TO;
  }

  /** Redis's clusterNodeRemoveSlave: a primary left with none is no migration target until it gets one again. */
  removeReplica(r: ClusterNode): void {
    if (!this.replicas.delete(r)) return;
    if (this.replicas.size === 0) this.flags &= ~NodeFlag.MIGRATE_TO;
  }

  /** Redis's clusterCountNonFailingSlaves. */
  workingReplicas(): number {
    let n = 0;
    for (const r of this.replicas) if (!r.failed) n++;
    return n;
  }

  clearSlot(slot: number): boolean {
    if (!this.hasSlot(slot)) return false;
    this.slots[slot >> 3] = (this.slots[slot >> 3] ?? 0) & ~(1 << (slot & 7));
    this.numSlots--;
    return true;
  }
}

function bitmapHas(bitmap: Uint8Array, slot: number): boolean {
  return ((bitmap[slot >> 3] ?? 0) & (1 << (slot & 7))) !== 0;
}

function bitmapEqual(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < SLOTS_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}

const FLAG_NAMES: readonly [number, string][] = [
  [NodeFlag.MYSELF, 'myself'],
  [NodeFlag.MASTER, 'master'],
  [NodeFlag.SLAVE, 'slave'],
  [NodeFlag.PFAIL, 'fail?'],
  [NodeFlag.FAIL, 'fail'],
  [NodeFlag.HANDSHAKE, 'handshake'],
  [NodeFlag.NOADDR, 'noaddr'],
  [NodeFlag.NOFAILOVER, 'nofailover'],
];

/** Redis's representClusterNodeFlags. */
function flagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([f]) => (flags & f) !== 0).map(([, n]) => n);
  return names.length === 0 ? 'noflags' : names.join(',');
}

/** A corrupt nodes.conf: the server refuses to start, as Redis does. */
class ClusterConfigError extends Error {}

/** The real cluster of one Redoubt node. Created by ClusterState when cluster-enabled is yes. */
export class ClusterMode {
  myself: ClusterNode;
  currentEpoch = 0n;
  lastVoteEpoch = 0n;
  private stateNow: 'ok' | 'fail' = 'fail';
  /** Primaries serving at least one slot. */
  private sizeNow = 0;
  /**
   * A change that may move the state happened since it was last computed (Redis's
   * CLUSTER_TODO_UPDATE_STATE). The state is recomputed when next read or at the end of this
   * event-loop turn, once, not once per change: a node learning 5,000 slots at once would
   * otherwise scan the slot table 5,000 times.
   */
  private stateDirty = false;
  readonly nodes = new Map<string, ClusterNode>();
  readonly slots: (ClusterNode | null)[] = new Array<ClusterNode | null>(SLOT_COUNT).fill(null);
  readonly migrating = new Map<number, ClusterNode>();
  readonly importing = new Map<number, ClusterNode>();
  /** Slots whose owner stopped claiming them (Redis's owner_not_claiming_slot). */
  private readonly notClaimed = new Uint8Array(SLOTS_BYTES);
  /** Forgotten node names and when they may be added again. */
  private readonly blacklist = new Map<string, number>();
  readonly sent: number[] = new Array<number>(MSG_TYPE_COUNT).fill(0);
  readonly received: number[] = new Array<number>(MSG_TYPE_COUNT).fill(0);
  /** Messages dropped for being malformed. */
  rejected = 0;
  readonly bus: ClusterBus;
  private readonly file: string;
  private allowlist: PeerAllowlist;
  private cron: NodeJS.Timeout | null = null;
  private iteration = 0;
  private pingsSent = 0;
  private firstStateCall = 0;
  private amongMinorityTime = 0;
  private saveScheduled = false;
  private stopped = false;
  /** The election this replica runs (Redis's failover_auth_*), and a forced manual failover. */
  private authTime = 0;
  private authCount = 0;
  private authSent = false;
  private authRank = 0;
  private authEpoch = 0n;
  private forcedFailover = 0;
  /** The coordinated manual failover (Redis's mf_*): its end, the replica (on the primary), the primary's paused offset (on the replica). */
  private mfEnd = 0;
  private mfReplica: ClusterNode | null = null;
  private mfMasterOffset = -1n;
  private mfCanStart = false;
  private readonly lock: ClusterConfigLock;
  private readonly releaseLock = (): void => {
    process.removeListener('exit', this.releaseLock);
    this.lock.release();
  };
  /** Why this replica last could not fail over, and when that was logged (Redis's cant_failover_reason). */
  private cantFailoverReason: CantFailover | null = null;
  private cantFailoverLogTime = 0;

  constructor(private readonly server: Server) {
    const config = server.config;
    this.allowlist = new PeerAllowlist(config.str('cluster-allowed-peers'));
    this.file = resolve(config.str('cluster-config-file'));
    const events: BusEvents = {
      message: (link, frame) => this.receive(link as Link, frame),
      connected: (link) => this.linkConnected(link as Link),
      closed: (link) => this.linkClosed(link as Link),
      log: (level, text) => server.log[level](text),
    };
    // tls-cluster is read once: the bus is TLS (peers authenticated by certificate) or plain TCP for its whole life.
    const secure = config.bool('tls-cluster') ? tlsClusterBus(config) : null;
    this.bus = new ClusterBus(events, () => this.allowlist, () => server.config.num('cluster-link-sendbuf-limit'), secure);
    // Locked before it is read, as Redis: no two nodes share a nodes.conf (throws ClusterLockError).
    this.lock = ClusterConfigLock.acquire(this.file, config.str('cluster-config-file'));
    if (this.lock.replaced !== null) server.log.warning(`Removed the stale lock of ${this.file} (held by pid ${this.lock.replaced.split(' ')[0] ?? ''}, no longer running)`);
    // Released however the process ends (a failed start included), not only by stop().
    process.once('exit', this.releaseLock);
    let loaded: ClusterNode | null;
    try {
      loaded = this.load();
    } catch (err) {
      this.releaseLock();
      throw err;
    }
    if (loaded === null) {
      this.myself = new ClusterNode(randomBytes(20).toString('hex'), NodeFlag.MYSELF | NodeFlag.MASTER);
      this.addNode(this.myself);
      server.log.notice(`No cluster configuration found, I'm ${this.myself.name}`);
      this.saveConfig();
    } else {
      this.myself = loaded;
      server.log.notice(`Node configuration loaded, I'm ${this.myself.name}`);
    }
    this.updateMyselfAnnounced();
  }

  /**
   * Redis's verifyClusterConfigWithData, once the dataset is loaded: a primary with keys in a slot
   * nobody serves takes the slot; keys in a slot another node serves put that slot in importing
   * state (from that node), as Redis 7.0 does. False when a database other than 0 has keys: the
   * server must not start.
   */
  verifyWithData(): boolean {
    if (this.myself.isReplica) return true;
    const dbs = this.server.dbs;
    for (let j = 1; j < dbs.length; j++) if ((dbs[j]?.size ?? 0) > 0) return false;
    let updated = 0;
    for (let j = 0; j < SLOT_COUNT; j++) {
      const owner = this.slots[j] ?? null;
      if (owner === this.myself || this.importing.has(j)) continue;
      if (this.server.cluster.slotKeys(j).size === 0) continue;
      updated++;
      if (owner === null) {
        this.server.log.warning(`I have keys for unassigned slot ${j}. Taking responsibility for it.`);
        this.addSlot(this.myself, j);
      } else {
        this.server.log.warning(`I have keys for slot ${j}, but the slot is assigned to another node. Setting it to importing state.`);
        this.importing.set(j, owner);
      }
    }
    if (updated > 0) {
      this.saveConfig();
      this.updateState();
    }
    return true;
  }

  /** cluster-allowed-peers changed (CONFIG SET). Throws on a bad value. */
  setAllowedPeers(text: string): void {
    this.allowlist = new PeerAllowlist(text);
  }

  allows(ip: string): boolean {
    return this.allowlist.allows(ip);
  }

  /** A tls-* directive changed: the bus's certificates follow (new links use them). An Error refuses the change. */
  reloadTls(): Error | undefined {
    if (!this.bus.tls) return undefined;
    try {
      this.bus.setTls(tlsClusterBus(this.server.config));
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  /**
   * The port a client is told for a node (NODES, SLOTS, MOVED, ASK): with tls-cluster a node's
   * port is its TLS port, and a client that is not on TLS gets its plaintext port when the node
   * has one (Redis's use_pport).
   */
  clientPort(n: ClusterNode, c: Client | null): number {
    const socket = c?.socket ?? null;
    const plain = socket === null || !('encrypted' in socket);
    return this.bus.tls && plain && n.pport !== 0 ? n.pport : n.port;
  }

  // --- lifecycle ---

  async start(hosts: readonly string[]): Promise<void> {
    const port = this.busPort();
    await this.bus.listen(hosts, port);
    this.cron = setInterval(() => this.clusterCron(), CRON_MS);
    this.updateState();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.cron !== null) clearInterval(this.cron);
    this.cron = null;
    for (const n of this.nodes.values()) {
      n.link?.close();
      n.inbound?.close();
    }
    await this.bus.close();
    if (this.saveScheduled) this.saveConfig();
    this.releaseLock();
  }

  /** The port the bus listens on: cluster-port, or the client port (tls-port with tls-cluster) plus 10000, as Redis. */
  busPort(): number {
    const c = this.server.config;
    return c.num('cluster-port') || c.num(this.bus.tls ? 'tls-port' : 'port') + PORT_INCR;
  }

  /** Redis's deriveAnnouncedPorts: with tls-cluster the node's port is tls-port, and port is its plaintext port (pport). */
  private updateMyselfAnnounced(): void {
    const c = this.server.config;
    const me = this.myself;
    const secure = this.bus.tls;
    me.port = c.num(secure ? 'tls-port' : 'port');
    me.pport = secure ? c.num('port') : 0;
    if (secure && c.num('cluster-announce-tls-port') !== 0) {
      me.port = c.num('cluster-announce-tls-port');
      me.pport = c.num('cluster-announce-port');
    } else if (c.num('cluster-announce-port') !== 0) {
      me.port = c.num('cluster-announce-port');
    }
    me.cport = c.num('cluster-announce-bus-port') || this.busPort();
    const ip = c.raw('cluster-announce-ip');
    if (typeof ip === 'string' && ip !== '') me.ip = ip;
    const host = c.raw('cluster-announce-hostname');
    me.hostname = typeof host === 'string' ? host : '';
  }

  private get nodeTimeout(): number {
    return this.server.config.num('cluster-node-timeout');
  }

  // --- nodes ---

  addNode(n: ClusterNode): void {
    this.nodes.set(n.name, n);
  }

  lookup(name: string): ClusterNode | null {
    return this.nodes.get(name) ?? null;
  }

  /** Removes a node: its slots, its links, its failure reports (Redis's clusterDelNode). */
  delNode(n: ClusterNode): void {
    for (let j = 0; j < SLOT_COUNT; j++) {
      if (this.importing.get(j) === n) this.importing.delete(j);
      if (this.migrating.get(j) === n) this.migrating.delete(j);
      if (this.slots[j] === n) this.delSlot(j);
    }
    for (const other of this.nodes.values()) other.failReports.delete(n);
    if (n.slaveof !== null) n.slaveof.removeReplica(n);
    for (const r of n.replicas) if (r.slaveof === n) r.slaveof = null;
    this.nodes.delete(n.name);
    n.link?.close();
    n.inbound?.close();
  }

  private renameNode(n: ClusterNode, name: string): void {
    this.nodes.delete(n.name);
    n.name = name;
    this.nodes.set(name, n);
  }

  addSlot(n: ClusterNode, slot: number): boolean {
    if (this.slots[slot] !== null) return false;
    n.setSlot(slot);
    this.slots[slot] = n;
    // As Redis's clusterNodeSetSlotBit: a primary's first slot makes it a migration target, when
    // the cluster has replicas at all (redis/redis#3043).
    if (n.numSlots === 1 && this.mastersHaveReplicas()) n.flags |= NodeFlag.MIGRATE_TO;
    return true;
  }

  private mastersHaveReplicas(): boolean {
    for (const n of this.nodes.values()) if (!n.isReplica && n.replicas.size > 0) return true;
    return false;
  }

  delSlot(slot: number): boolean {
    const n = this.slots[slot];
    if (n === null || n === undefined) return false;
    // The shard serving it (its primary and replicas) drops the slot's shard channels, as Redis.
    const primary = n.isReplica && n.slaveof !== null ? n.slaveof : n;
    if (primary === this.myself || primary.replicas.has(this.myself)) this.server.pubsub.dropShardSlot(slot);
    n.clearSlot(slot);
    this.slots[slot] = null;
    this.notClaimed[slot >> 3] = (this.notClaimed[slot >> 3] ?? 0) & ~(1 << (slot & 7));
    return true;
  }

  delNodeSlots(n: ClusterNode): number {
    let deleted = 0;
    for (let j = 0; j < SLOT_COUNT; j++) if (n.hasSlot(j) && this.delSlot(j)) deleted++;
    return deleted;
  }

  private setNodeAsMaster(n: ClusterNode): void {
    if (n.isMaster) return;
    if (n.slaveof !== null) {
      n.slaveof.removeReplica(n);
      if (n !== this.myself) n.flags |= NodeFlag.MIGRATE_TO;
    }
    n.flags = (n.flags & ~NodeFlag.SLAVE) | NodeFlag.MASTER;
    n.slaveof = null;
    this.changed(true);
  }

  maxEpoch(): bigint {
    let max = this.currentEpoch;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return max;
  }

  /** Redis's clusterBumpConfigEpochWithoutConsensus: true when the epoch moved. */
  bumpEpoch(): boolean {
    const max = this.maxEpoch();
    if (this.myself.configEpoch === 0n || this.myself.configEpoch !== max) {
      this.currentEpoch++;
      this.myself.configEpoch = this.currentEpoch;
      this.server.log.warning(`New configEpoch set to ${this.myself.configEpoch}`);
      this.changed(false);
      return true;
    }
    return false;
  }

  blacklistAdd(n: ClusterNode): void {
    this.blacklistCleanup();
    this.blacklist.set(n.name, Date.now() + BLACKLIST_TTL_MS);
  }

  private blacklisted(name: string): boolean {
    this.blacklistCleanup();
    return this.blacklist.has(name);
  }

  private blacklistCleanup(): void {
    const now = Date.now();
    for (const [k, until] of this.blacklist) if (until < now) this.blacklist.delete(k);
  }

  /** CLUSTER MEET: starts a handshake unless one with that address is under way. */
  startHandshake(ip: string, port: number, cport: number): 'ok' | 'invalid' | 'busy' {
    if (net.isIP(ip) === 0) return 'invalid';
    if (port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return 'invalid';
    const norm = ip;
    for (const n of this.nodes.values()) {
      if (n.has(NodeFlag.HANDSHAKE) && n.ip.toLowerCase() === norm.toLowerCase() && n.port === port && n.cport === cport) return 'busy';
    }
    const n = new ClusterNode(randomBytes(20).toString('hex'), NodeFlag.HANDSHAKE | NodeFlag.MEET);
    n.ip = norm;
    n.port = port;
    n.cport = cport;
    this.addNode(n);
    return 'ok';
  }

  /**
   * Makes this node a replica of `n` (Redis's clusterSetMaster): a primary gives up its open
   * slots; replication follows n's address. CLUSTER REPLICATE and a lost shard reach it.
   */
  setMaster(n: ClusterNode): void {
    const me = this.myself;
    if (me.isMaster) {
      me.flags = (me.flags & ~(NodeFlag.MASTER | NodeFlag.MIGRATE_TO)) | NodeFlag.SLAVE;
      this.migrating.clear();
      this.importing.clear();
    } else {
      me.slaveof?.removeReplica(me);
    }
    me.slaveof = n;
    n.addReplica(me);
    this.followMaster();
    this.forcedFailover = 0;
    this.resetManualFailover();
    this.changed(true);
  }

  /** Points replication at our primary's current address (a known cluster node: see docs/cluster.md). */
  private followMaster(): void {
    const m = this.myself.slaveof;
    if (m === null || m.has(NodeFlag.NOADDR) || m.ip === '' || m.port === 0) return;
    const link = this.server.replication.link;
    if (link !== null && link.host === m.ip && link.port === m.port) return;
    this.server.log.notice(`Connecting to MASTER ${m.ip}:${m.port} (cluster primary ${m.name})`);
    this.server.replication.follow(m.ip, m.port);
  }

  /** CLUSTER RESET (Redis's clusterReset): a replica becomes an empty primary first. */
  reset(hard: boolean): void {
    if (this.myself.isReplica) {
      this.setNodeAsMaster(this.myself);
      this.server.replication.promote();
      for (const db of this.server.dbs) db.clear();
    }
    this.migrating.clear();
    this.importing.clear();
    for (let j = 0; j < SLOT_COUNT; j++) this.delSlot(j);
    for (const n of [...this.nodes.values()]) if (n !== this.myself) this.delNode(n);
    if (hard) {
      this.currentEpoch = 0n;
      this.lastVoteEpoch = 0n;
      this.myself.configEpoch = 0n;
      this.renameNode(this.myself, randomBytes(20).toString('hex'));
      this.server.log.notice(`Node hard reset, now I'm ${this.myself.name}`);
    }
    this.changed(true);
    this.saveConfig();
  }

  // --- the description (CLUSTER NODES, nodes.conf) ---

  /** Redis's clusterGenNodeDescription: `c`, the asking client (its port per clientPort), or null for nodes.conf. */
  describe(n: ClusterNode, c: Client | null = null): string {
    const host = n.hostname !== '' ? `,${n.hostname}` : '';
    const port = c === null ? n.port : this.clientPort(n, c);
    let s = `${n.name} ${n.ip}:${port}@${n.cport}${host} ${flagsText(n.flags)} ${n.slaveof?.name ?? '-'}`;
    const epoch = n.isReplica && n.slaveof !== null ? n.slaveof.configEpoch : n.configEpoch;
    const connected = n.link?.established === true || n.has(NodeFlag.MYSELF);
    s += ` ${n.pingSent} ${n.pongReceived} ${epoch} ${connected ? 'connected' : 'disconnected'}`;
    if (n.numSlots > 0) {
      for (const [a, b] of this.ranges(n)) s += a === b ? ` ${a}` : ` ${a}-${b}`;
    }
    if (n === this.myself) {
      for (let j = 0; j < SLOT_COUNT; j++) {
        const to = this.migrating.get(j);
        const from = this.importing.get(j);
        if (to !== undefined) s += ` [${j}->-${to.name}]`;
        else if (from !== undefined) s += ` [${j}-<-${from.name}]`;
      }
    }
    return s;
  }

  /** The slot ranges a node owns, in order. */
  ranges(n: ClusterNode): [number, number][] {
    const out: [number, number][] = [];
    let start = -1;
    for (let j = 0; j <= SLOT_COUNT; j++) {
      const has = j < SLOT_COUNT && n.hasSlot(j);
      if (has && start === -1) start = j;
      if (!has && start !== -1) {
        out.push([start, j - 1]);
        start = -1;
      }
    }
    return out;
  }

  describeAll(skipHandshake: boolean, c: Client | null = null): string {
    let s = '';
    for (const n of this.nodes.values()) {
      if (skipHandshake && n.has(NodeFlag.HANDSHAKE)) continue;
      s += this.describe(n, c) + '\n';
    }
    return s;
  }

  // --- nodes.conf ---

  /** Writes nodes.conf atomically: a temporary file, fsync, rename, fsync of the directory. */
  saveConfig(): void {
    this.saveScheduled = false;
    const text = this.describeAll(true) + `vars currentEpoch ${this.currentEpoch} lastVoteEpoch ${this.lastVoteEpoch}\n`;
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    try {
      const dfd = openSync(dirname(this.file), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // Some filesystems refuse to fsync a directory; the rename is still atomic.
    }
  }

  /** SAVECONFIG: the error text, or null when saved. */
  trySave(): string | null {
    try {
      this.saveConfig();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** The configuration changed: save it (before the next turn of the event loop) and maybe the state. */
  /** OK or FAIL (CLUSTER INFO's cluster_state), up to date. */
  get state(): 'ok' | 'fail' {
    if (this.stateDirty) this.updateState();
    return this.stateNow;
  }

  /** Primaries serving at least one slot, up to date. */
  get size(): number {
    if (this.stateDirty) this.updateState();
    return this.sizeNow;
  }

  changed(updateState: boolean): void {
    if (updateState) this.stateDirty = true;
    if (this.saveScheduled || this.stopped) {
      if (this.stopped && this.stateDirty) this.updateState();
      return;
    }
    this.saveScheduled = true;
    setImmediate(() => {
      if (this.stateDirty) this.updateState();
      if (!this.saveScheduled) return;
      try {
        this.saveConfig();
      } catch (err) {
        this.server.log.warning(`Fatal: can't update cluster config file: ${(err as Error).message}`);
      }
    });
  }

  /** Saves now if a change is pending (commands call it before they reply). */
  flushSave(): void {
    if (this.saveScheduled) this.saveConfig();
  }

  /** Reads nodes.conf: myself, or null when there is none (or it is empty). Throws ClusterConfigError. */
  private load(): ClusterNode | null {
    let text: string;
    try {
      if (statSync(this.file).size === 0) return null;
      text = readFileSync(this.file, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ClusterConfigError(`Loading the cluster node config from ${this.file}: ${(err as Error).message}`);
    }
    const bad = (why: string): never => {
      throw new ClusterConfigError(`Unrecoverable error: corrupted cluster config file ${this.file}: ${why}`);
    };
    let myself: ClusterNode | null = null;
    const get = (name: string): ClusterNode => {
      if (!validNodeName(name)) bad(`bad node name '${name}'`);
      let n = this.nodes.get(name);
      if (n === undefined) {
        n = new ClusterNode(name, 0);
        this.addNode(n);
      }
      return n;
    };
    for (const line of text.split('\n')) {
      const argv = line.trim().split(/ +/);
      if (argv.length === 0 || argv[0] === '') continue;
      if ((argv[0] ?? '').toLowerCase() === 'vars') {
        if (argv.length % 2 === 0) bad('odd vars line');
        for (let j = 1; j + 1 < argv.length; j += 2) {
          const k = (argv[j] ?? '').toLowerCase();
          const v = argv[j + 1] ?? '';
          if (!/^\d{1,20}$/.test(v)) bad(`bad ${k}`);
          if (k === 'currentepoch') this.currentEpoch = BigInt(v);
          else if (k === 'lastvoteepoch') this.lastVoteEpoch = BigInt(v);
        }
        continue;
      }
      if (argv.length < 8) bad('a node line has fewer than eight fields');
      const n = get(argv[0] ?? '');
      let addr = argv[1] ?? '';
      const comma = addr.indexOf(',');
      if (comma !== -1) {
        n.hostname = addr.slice(comma + 1);
        addr = addr.slice(0, comma);
      }
      const colon = addr.lastIndexOf(':');
      if (colon === -1) bad(`bad address '${addr}'`);
      n.ip = addr.slice(0, colon);
      const [port = '', bus] = addr.slice(colon + 1).split('@');
      n.port = Number(port) || 0;
      n.cport = bus !== undefined ? Number(bus) || 0 : n.port + PORT_INCR;
      for (const f of (argv[2] ?? '').split(',')) {
        const entry = FLAG_NAMES.find(([, name]) => name === f.toLowerCase());
        if (f.toLowerCase() === 'noflags') continue;
        if (entry === undefined) bad(`unknown flag '${f}'`);
        else n.flags |= entry[0];
        if (f.toLowerCase() === 'myself') {
          if (myself !== null) bad('two nodes are myself');
          myself = n;
        }
        if (f.toLowerCase() === 'fail') n.failTime = Date.now();
      }
      const master = argv[3] ?? '-';
      if (master !== '-') {
        const m = get(master);
        n.slaveof = m;
        m.addReplica(n);
      }
      if (Number(argv[4]) !== 0) n.pingSent = Date.now();
      if (Number(argv[5]) !== 0) n.pongReceived = Date.now();
      const epoch = argv[6] ?? '';
      if (!/^\d{1,20}$/.test(epoch)) bad(`bad config epoch '${epoch}'`);
      n.configEpoch = n.isReplica && n.slaveof !== null ? 0n : BigInt(epoch);
      for (let j = 8; j < argv.length; j++) {
        const w = argv[j] ?? '';
        const open = /^\[(\d+)-([<>])-([0-9a-f]{40})\]$/.exec(w);
        if (open !== null) {
          const slot = Number(open[1]);
          if (slot >= SLOT_COUNT) bad(`bad slot ${slot}`);
          const other = get(open[3] ?? '');
          if (open[2] === '>') this.migrating.set(slot, other);
          else this.importing.set(slot, other);
          continue;
        }
        const range = /^(\d+)(?:-(\d+))?$/.exec(w);
        if (range === null) bad(`bad slot '${w}'`);
        const a = Number(range?.[1]);
        const b = range?.[2] !== undefined ? Number(range[2]) : a;
        if (!(a < SLOT_COUNT && b < SLOT_COUNT)) bad(`bad slot range '${w}'`);
        for (let s = a; s <= b; s++) this.addSlot(n, s);
      }
    }
    if (myself === null) bad('no node is myself');
    const max = this.maxEpoch();
    if (max > this.currentEpoch) this.currentEpoch = max;
    return myself;
  }

  // --- sending ---

  private header(type: number, mflags0 = 0): BusHeader {
    const me = this.myself;
    const master = me.isReplica && me.slaveof !== null ? me.slaveof : me;
    const c = this.server.config;
    const ip = c.raw('cluster-announce-ip');
    return {
      type,
      port: me.port,
      currentEpoch: this.currentEpoch,
      configEpoch: master.configEpoch,
      offset: BigInt(this.server.replication.offset),
      sender: me.name,
      myslots: master.slots,
      slaveof: me.slaveof?.name ?? null,
      myip: typeof ip === 'string' ? ip : '',
      pport: me.pport,
      cport: me.cport,
      flags: me.flags & 0xffff,
      state: this.state === 'ok' ? 0 : 1,
      mflags0: me.isMaster && this.mfEnd !== 0 ? mflags0 | MFLAG0_PAUSED : mflags0,
    };
  }

  private send(link: Link | null, msg: BusMessage): void {
    if (link === null || link.closed) return;
    this.sent[msg.header.type] = (this.sent[msg.header.type] ?? 0) + 1;
    link.send(encode(msg));
  }

  private broadcast(msg: BusMessage): void {
    const buf = encode(msg);
    for (const n of this.nodes.values()) {
      if (n.has(NodeFlag.MYSELF | NodeFlag.HANDSHAKE) || n.link === null || n.link.closed) continue;
      this.sent[msg.header.type] = (this.sent[msg.header.type] ?? 0) + 1;
      n.link.send(buf);
    }
  }

  private gossipEntry(n: ClusterNode): Gossip {
    return {
      name: n.name,
      pingSent: Math.floor(n.pingSent / 1000),
      pongReceived: Math.floor(n.pongReceived / 1000),
      ip: n.ip,
      port: n.port,
      cport: n.cport,
      flags: n.flags & 0xffff,
      pport: n.pport,
    };
  }

  /** Redis's clusterSendPing: a PING, PONG or MEET with a gossip section about other nodes. */
  private sendPing(link: Link, type: number): void {
    this.pingsSent++;
    const all = [...this.nodes.values()];
    let fresh = all.length - 2;
    let wanted = Math.max(3, Math.floor(all.length / 10));
    if (wanted > fresh) wanted = fresh;
    const gossip: Gossip[] = [];
    let tries = wanted * 3;
    while (fresh > 0 && gossip.length < wanted && tries-- > 0) {
      const n = all[Math.floor(Math.random() * all.length)];
      if (n === undefined || n === this.myself || n.has(NodeFlag.PFAIL)) continue;
      if (n.has(NodeFlag.HANDSHAKE | NodeFlag.NOADDR) || (n.link === null && n.numSlots === 0)) {
        fresh--;
        continue;
      }
      if (n.lastGossip === this.pingsSent) continue;
      gossip.push(this.gossipEntry(n));
      n.lastGossip = this.pingsSent;
      fresh--;
    }
    for (const n of all) {
      if (n.has(NodeFlag.PFAIL) && !n.has(NodeFlag.HANDSHAKE | NodeFlag.NOADDR)) gossip.push(this.gossipEntry(n));
    }
    if (!link.inbound && type === MsgType.PING && link.node !== null) link.node.pingSent = Date.now();
    const hostname = this.myself.hostname;
    this.send(link, { header: this.header(type), body: { kind: 'ping', gossip, hostname: hostname === '' ? null : hostname, forgotten: [] } });
  }

  /** Redis's clusterBroadcastPong: to every node, or (localReplicas) to the other replicas of our primary. */
  private broadcastPong(localReplicas = false): void {
    const me = this.myself;
    for (const n of this.nodes.values()) {
      if (n.link === null || n === me || n.has(NodeFlag.HANDSHAKE)) continue;
      if (localReplicas && !(n.isReplica && n.slaveof !== null && (n.slaveof === me || n.slaveof === me.slaveof))) continue;
      this.sendPing(n.link, MsgType.PONG);
    }
  }

  private sendUpdate(link: Link | null, n: ClusterNode): void {
    if (link === null) return;
    const slots = new Uint8Array(SLOTS_BYTES);
    for (let i = 0; i < SLOTS_BYTES; i++) slots[i] = (n.slots[i] ?? 0) & ~(this.notClaimed[i] ?? 0);
    this.send(link, { header: this.header(MsgType.UPDATE), body: { kind: 'update', configEpoch: n.configEpoch, name: n.name, slots } });
  }

  /** PUBLISH in cluster mode reaches every node (Redis's clusterPropagatePublish). */
  propagatePublish(channel: string, message: string, shard: boolean): void {
    const body: BusBody = { kind: 'publish', channel: Buffer.from(channel, 'latin1'), message: Buffer.from(message, 'latin1') };
    if (!shard) {
      this.broadcast({ header: this.header(MsgType.PUBLISH), body });
      return;
    }
    // Sharded: only the nodes of this shard (this primary and its replicas).
    const primary = this.myself.isReplica && this.myself.slaveof !== null ? this.myself.slaveof : this.myself;
    const msg = encode({ header: this.header(MsgType.PUBLISHSHARD), body });
    for (const n of [primary, ...primary.replicas]) {
      if (n === this.myself || n.link === null) continue;
      this.sent[MsgType.PUBLISHSHARD] = (this.sent[MsgType.PUBLISHSHARD] ?? 0) + 1;
      n.link.send(msg);
    }
  }

  // --- links ---

  private linkConnected(link: Link): void {
    const n = link.node;
    if (n === null) return;
    const old = n.pingSent;
    this.sendPing(link, n.has(NodeFlag.MEET) ? MsgType.MEET : MsgType.PING);
    if (old !== 0) n.pingSent = old;
    n.flags &= ~NodeFlag.MEET;
  }

  private linkClosed(link: Link): void {
    const n = link.node;
    if (n === null) return;
    if (n.link === link) n.link = null;
    if (n.inbound === link) {
      n.inbound = null;
      n.inboundFreedTime = Date.now();
    }
  }

  // --- receiving (Redis's clusterProcessPacket) ---

  private receive(link: Link, frame: Buffer): void {
    const msg = decode(frame);
    if (typeof msg === 'string') {
      this.rejected++;
      link.fail(`malformed message: ${msg}`);
      return;
    }
    const h = msg.header;
    this.received[h.type] = (this.received[h.type] ?? 0) + 1;
    const now = Date.now();
    let sender: ClusterNode | null;
    if (link.node !== null && !link.node.has(NodeFlag.HANDSHAKE)) sender = link.node;
    else {
      sender = this.lookup(h.sender);
      if (sender !== null && link.node === null && link.inbound) {
        if (sender.inbound !== null && sender.inbound !== link) sender.inbound.close();
        sender.inbound = link;
        link.node = sender;
      }
    }
    // An inbound link from an unknown node may send only MEET (the handshake): anything else is
    // answered as Redis does (a PONG to a PING) but changes nothing, and keeps the small limits.
    if (sender !== null || h.type === MsgType.MEET || h.type === MsgType.PING) link.accepted();
    if (sender !== null) sender.dataReceived = now;
    let senderConfigEpoch = 0n;
    if (sender !== null && !sender.has(NodeFlag.HANDSHAKE)) {
      if (h.currentEpoch > this.currentEpoch) this.currentEpoch = h.currentEpoch;
      senderConfigEpoch = h.configEpoch;
      if (senderConfigEpoch > sender.configEpoch) {
        sender.configEpoch = senderConfigEpoch;
        this.changed(false);
      }
      sender.replOffset = h.offset;
      // A replica in a manual failover learns the offset its paused primary stopped at.
      if (this.mfEnd !== 0 && this.myself.isReplica && this.myself.slaveof === sender && (h.mflags0 & MFLAG0_PAUSED) !== 0 && this.mfMasterOffset === -1n) {
        this.mfMasterOffset = h.offset;
        this.server.log.warning(`Received replication offset for paused master manual failover: ${h.offset}`);
        this.handleManualFailover();
      }
    }
    const b = msg.body;
    if (b.kind === 'ping') {
      this.processPing(link, h, b, sender, senderConfigEpoch, now);
    } else if (b.kind === 'fail') {
      if (sender === null) return;
      const failing = this.lookup(b.name);
      if (failing !== null && !failing.has(NodeFlag.FAIL | NodeFlag.MYSELF)) {
        this.server.log.notice(`FAIL message received from ${h.sender} about ${b.name}`);
        failing.flags = (failing.flags | NodeFlag.FAIL) & ~NodeFlag.PFAIL;
        failing.failTime = now;
        this.changed(true);
      }
    } else if (b.kind === 'publish') {
      if (sender === null) return;
      this.server.pubsub.publish(b.channel.toString('latin1'), b.message.toString('latin1'), h.type === MsgType.PUBLISHSHARD);
    } else if (b.kind === 'update') {
      if (sender === null) return;
      const n = this.lookup(b.name);
      if (n === null || n.configEpoch >= b.configEpoch) return;
      if (n.isReplica) this.setNodeAsMaster(n);
      n.configEpoch = b.configEpoch;
      this.changed(false);
      this.updateSlotsConfigWith(n, b.configEpoch, b.slots);
    }
    else if (h.type === MsgType.FAILOVER_AUTH_REQUEST) {
      if (sender !== null) this.voteIfNeeded(sender, h);
    } else if (h.type === MsgType.FAILOVER_AUTH_ACK) {
      if (sender === null) return;
      if (sender.isMaster && sender.numSlots > 0 && h.currentEpoch >= this.authEpoch) {
        this.authCount++;
        this.handleReplicaFailover();
      }
    }
    else if (h.type === MsgType.MFSTART) {
      // Only a primary, and only from one of its replicas: pause writes so the replica catches up.
      if (sender === null || sender.slaveof !== this.myself) return;
      this.resetManualFailover();
      this.mfEnd = Date.now() + MF_TIMEOUT;
      this.mfReplica = sender;
      this.server.pauseClients('write', MF_TIMEOUT * 2);
      this.server.log.warning(`Manual failover requested by replica ${sender.name}.`);
      this.sendPing(link, MsgType.PING);
    }
    // MODULE: counted and otherwise ignored.
  }

  /** CLUSTER FAILOVER (no option): ask the primary to pause, catch up, then hold an election. */
  manualFailover(): void {
    const master = this.myself.slaveof;
    if (master === null) return;
    this.resetManualFailover();
    this.mfEnd = Date.now() + MF_TIMEOUT;
    this.send(master.link, { header: this.header(MsgType.MFSTART), body: { kind: 'bare' } });
    this.server.log.warning('Manual failover user request accepted.');
  }

  /** Redis's clusterHandleManualFailover: once this replica has the paused primary's offset, the election may start. */
  private handleManualFailover(): void {
    if (this.mfEnd === 0 || this.mfMasterOffset === -1n || this.mfCanStart) return;
    if (BigInt(this.server.replication.offset) === this.mfMasterOffset) {
      this.mfCanStart = true;
      this.server.log.warning('All master replication stream processed, manual failover can start.');
      this.forcedFailover = this.mfEnd;
      this.authTime = 0;
      this.handleReplicaFailover();
    }
  }

  private resetManualFailover(): void {
    if (this.mfEnd !== 0 && this.mfReplica !== null && this.server.pause.type !== 'none') this.server.unpauseClients();
    this.mfEnd = 0;
    this.mfReplica = null;
    this.mfMasterOffset = -1n;
    this.mfCanStart = false;
  }

  // --- failover (Redis's clusterHandleSlaveFailover and clusterSendFailoverAuthIfNeeded) ---

  /** A primary votes for a replica of a failed primary, once per epoch and per shard in 2 × node timeout. */
  private voteIfNeeded(node: ClusterNode, h: BusHeader): void {
    const me = this.myself;
    const master = node.slaveof;
    const now = Date.now();
    if (me.isReplica || me.numSlots === 0) return;
    if (h.currentEpoch < this.currentEpoch) return;
    if (this.lastVoteEpoch === this.currentEpoch) return;
    const force = (h.mflags0 & MFLAG0_FORCEACK) !== 0;
    if (!node.isReplica || master === null || (!master.failed && !force)) return;
    if (now - master.votedTime < this.nodeTimeout * 2) return;
    for (let j = 0; j < SLOT_COUNT; j++) {
      if (!bitmapHas(h.myslots, j)) continue;
      const owner = this.slots[j] ?? null;
      if (owner === null || owner.configEpoch <= h.configEpoch) continue;
      return;
    }
    this.lastVoteEpoch = this.currentEpoch;
    master.votedTime = now;
    this.changed(false);
    this.flushSave();
    this.send(node.link, { header: this.header(MsgType.FAILOVER_AUTH_ACK), body: { kind: 'bare' } });
    this.server.log.notice(`Failover auth granted to ${node.name} for epoch ${this.currentEpoch}`);
  }

  /** This replica's rank among its primary's replicas: how many have a larger replication offset. */
  private replicaRank(): number {
    const me = this.myself;
    const master = me.slaveof;
    if (master === null) return 0;
    const mine = BigInt(this.server.replication.offset);
    let rank = 0;
    for (const r of master.replicas) if (r !== me && !r.has(NodeFlag.NOFAILOVER) && r.replOffset > mine) rank++;
    return rank;
  }

  /** CLUSTER FAILOVER FORCE: an election now, with votes asked even though the primary is up. */
  forceFailover(): void {
    this.forcedFailover = Date.now() + 5000;
    this.authTime = 0;
    this.handleReplicaFailover();
  }

  /** CLUSTER FAILOVER TAKEOVER: a new epoch without votes, and the primary's slots. */
  takeover(): void {
    this.bumpEpoch();
    this.replaceMaster();
  }

  private handleReplicaFailover(): void {
    const me = this.myself;
    const master = me.slaveof;
    const now = Date.now();
    const manual = this.forcedFailover > now;
    const config = this.server.config;
    if (me.isMaster || master === null || (!master.failed && !manual) || (!manual && config.bool('cluster-replica-no-failover')) || master.numSlots === 0) {
      this.cantFailoverReason = null;
      return;
    }
    // A replica whose data is too old stays out of the election (cluster-replica-validity-factor;
    // 0 always tries). The node timeout it took to flag the primary failed does not count.
    const timeout = this.nodeTimeout;
    const factor = config.num('cluster-replica-validity-factor');
    if (factor > 0 && !manual) {
      let age = this.server.replication.dataAge(now);
      if (age > timeout) age -= timeout;
      if (age > config.num('repl-ping-replica-period') * 1000 + timeout * factor) {
        this.logCantFailover('data-age', master, now);
        return;
      }
    }
    const authTimeout = Math.max(timeout * 2, 2000);
    const authRetry = authTimeout * 2;
    if (now - this.authTime > authRetry) {
      this.authTime = now + 500 + Math.floor(Math.random() * 500);
      this.authCount = 0;
      this.authSent = false;
      this.authRank = this.replicaRank();
      this.authTime += this.authRank * 1000;
      if (manual) {
        this.authTime = now;
        this.authRank = 0;
      }
      this.server.log.warning(`Start of election delayed for ${this.authTime - now} milliseconds (rank #${this.authRank}, offset ${this.server.replication.offset}).`);
      // The other replicas of our primary learn our offset, so that theirs rank against it.
      this.broadcastPong(true);
      return;
    }
    if (!this.authSent && !manual) {
      const rank = this.replicaRank();
      if (rank > this.authRank) {
        const added = (rank - this.authRank) * 1000;
        this.authTime += added;
        this.authRank = rank;
        this.server.log.warning(`Replica rank updated to #${rank}, added ${added} milliseconds of delay.`);
      }
    }
    if (now < this.authTime) {
      this.logCantFailover('waiting-delay', master, now);
      return;
    }
    if (now - this.authTime > authTimeout) {
      this.logCantFailover('expired', master, now);
      return;
    }
    if (!this.authSent) {
      this.currentEpoch++;
      this.authEpoch = this.currentEpoch;
      this.server.log.warning(`Starting a failover election for epoch ${this.currentEpoch}.`);
      this.broadcast({ header: this.header(MsgType.FAILOVER_AUTH_REQUEST, manual ? MFLAG0_FORCEACK : 0), body: { kind: 'bare' } });
      this.authSent = true;
      this.changed(false);
      return;
    }
    if (this.authCount >= Math.floor(this.size / 2) + 1) {
      this.server.log.warning('Failover election won: I\'m the new master.');
      if (me.configEpoch < this.authEpoch) {
        me.configEpoch = this.authEpoch;
        this.server.log.warning(`configEpoch set to ${me.configEpoch} after successful failover`);
      }
      this.replaceMaster();
    } else {
      this.logCantFailover('waiting-votes', master, now);
    }
  }

  /**
   * Redis's clusterLogCantFailover: why this replica is not failing over, logged when the reason
   * changes or every five minutes, and only once its primary has been failed for a while.
   */
  private logCantFailover(reason: CantFailover, master: ClusterNode, now: number): void {
    if (reason === this.cantFailoverReason && now - this.cantFailoverLogTime < CANT_FAILOVER_RELOG_MS) return;
    this.cantFailoverReason = reason;
    if (master.failed && now - master.failTime < this.nodeTimeout + 5000) return;
    this.cantFailoverLogTime = now;
    this.server.log.warning(`Currently unable to failover: ${CANT_FAILOVER_TEXT[reason]}`);
  }

  /**
   * Redis's clusterHandleSlaveMigration: a replica of a primary with the most working replicas
   * (the one with the smallest name among them) moves to a primary that has slots and lost its
   * replicas, once that primary has been orphaned for MIGRATION_DELAY and if its own primary keeps
   * more than cluster-migration-barrier working replicas.
   */
  private handleReplicaMigration(maxReplicas: number, now: number): void {
    const me = this.myself;
    const mine = me.slaveof;
    if (this.state !== 'ok' || mine === null) return;
    let working = 0;
    for (const r of mine.replicas) if (!r.has(NodeFlag.FAIL | NodeFlag.PFAIL)) working++;
    if (working <= this.server.config.num('cluster-migration-barrier')) return;
    let target: ClusterNode | null = null;
    let candidate = me;
    for (const n of this.nodes.values()) {
      // A target once had replicas, or took over from a primary that had some (MIGRATE_TO).
      const replicas = n.isMaster ? n.workingReplicas() : 0;
      const isOrphan = !n.isReplica && !n.failed && n.has(NodeFlag.MIGRATE_TO) && replicas === 0;
      if (isOrphan) {
        if (target === null && n.numSlots > 0) target = n;
        if (n.orphanedTime === 0) n.orphanedTime = now;
      } else {
        n.orphanedTime = 0;
      }
      if (replicas === maxReplicas) for (const r of n.replicas) if (r.name < candidate.name) candidate = r;
    }
    if (target !== null && candidate === me && now - target.orphanedTime > MIGRATION_DELAY) {
      this.server.log.warning(`Migrating to orphaned master ${target.name}`);
      this.setMaster(target);
    }
  }

  /** Redis's clusterFailoverReplaceYourMaster: this replica takes its primary's slots and says so. */
  private replaceMaster(): void {
    const me = this.myself;
    const old = me.slaveof;
    if (me.isMaster || old === null) return;
    this.setNodeAsMaster(me);
    this.server.replication.promote();
    for (let j = 0; j < SLOT_COUNT; j++) {
      if (!old.hasSlot(j)) continue;
      this.delSlot(j);
      this.addSlot(me, j);
    }
    this.forcedFailover = 0;
    this.authTime = 0;
    this.resetManualFailover();
    this.changed(true);
    this.flushSave();
    this.broadcastPong();
    this.server.log.warning(`Failover: now serving the slots of ${old.name}.`);
  }

  private processPing(link: Link, h: BusHeader, b: Extract<BusBody, { kind: 'ping' }>, sender: ClusterNode | null, senderConfigEpoch: bigint, now: number): void {
    const me = this.myself;
    if (h.type === MsgType.PING || h.type === MsgType.MEET) {
      // Our own address, as the peer reached it (unless announced).
      const announced = this.server.config.raw('cluster-announce-ip');
      if ((h.type === MsgType.MEET || me.ip === '') && !(typeof announced === 'string' && announced !== '')) {
        const local = plainAddress(link.socket.localAddress ?? '');
        if (local !== '' && local !== me.ip) {
          me.ip = local;
          this.server.log.warning(`IP address for this node updated to ${me.ip}`);
          this.changed(false);
        }
      }
      // A node CLUSTER FORGET removed does not come back by meeting us within the minute (Redis
      // keeps it out of gossip only; with MEETs sent again, it would otherwise return at once).
      if (sender === null && h.type === MsgType.MEET && !this.blacklisted(h.sender) && this.roomFor(true)) {
        const n = new ClusterNode(randomBytes(20).toString('hex'), NodeFlag.HANDSHAKE);
        n.ip = h.myip !== '' ? h.myip : plainAddress(link.socket.remoteAddress ?? '');
        n.port = h.port;
        n.pport = h.pport;
        n.cport = h.cport;
        this.addNode(n);
        this.changed(false);
        this.processGossip(b.gossip, link, null);
      }
      this.sendPing(link, MsgType.PONG);
    }
    if (!link.inbound && link.node !== null) {
      const ln = link.node;
      if (ln.has(NodeFlag.HANDSHAKE)) {
        if (sender !== null) {
          // We already know it under its real name: update its address, drop the handshake node.
          this.updateAddress(sender, link, h);
          this.delNode(ln);
          return;
        }
        this.renameNode(ln, h.sender);
        ln.flags = (ln.flags & ~NodeFlag.HANDSHAKE) | (h.flags & (NodeFlag.MASTER | NodeFlag.SLAVE));
        this.server.log.verbose(`Handshake with node ${ln.name} completed.`);
        this.changed(false);
        // From now on it is this link's node, known by its real name.
        sender = ln;
      } else if (ln.name !== h.sender) {
        ln.flags |= NodeFlag.NOADDR;
        ln.ip = '';
        ln.port = 0;
        ln.pport = 0;
        ln.cport = 0;
        link.close();
        this.changed(false);
        return;
      }
    }
    if (sender !== null) {
      sender.flags = (sender.flags & ~NodeFlag.NOFAILOVER) | (h.flags & NodeFlag.NOFAILOVER);
      if (h.type === MsgType.PING && !sender.has(NodeFlag.HANDSHAKE) && this.updateAddress(sender, link, h)) this.changed(true);
    }
    if (!link.inbound && h.type === MsgType.PONG && link.node !== null) {
      const ln = link.node;
      ln.pongReceived = now;
      ln.pingSent = 0;
      if (ln.has(NodeFlag.PFAIL)) {
        ln.flags &= ~NodeFlag.PFAIL;
        this.changed(true);
      } else if (ln.failed) {
        this.clearFailureIfNeeded(ln);
      }
    }
    if (sender === null) return;
    // Role: primary, or replica of a known primary.
    if (h.slaveof === null) {
      this.setNodeAsMaster(sender);
    } else {
      const master = this.lookup(h.slaveof);
      if (sender.isMaster) {
        this.delNodeSlots(sender);
        sender.flags = (sender.flags & ~(NodeFlag.MASTER | NodeFlag.MIGRATE_TO)) | NodeFlag.SLAVE;
        this.changed(true);
      }
      if (master !== null && sender.slaveof !== master) {
        sender.slaveof?.removeReplica(sender);
        master.addReplica(sender);
        sender.slaveof = master;
        this.changed(false);
      }
    }
    const senderMaster = sender.isMaster ? sender : sender.slaveof;
    const dirty = senderMaster !== null && !bitmapEqual(senderMaster.slots, h.myslots);
    if (sender.isMaster && dirty) this.updateSlotsConfigWith(sender, senderConfigEpoch, h.myslots);
    if (dirty) {
      for (let j = 0; j < SLOT_COUNT; j++) {
        if (!bitmapHas(h.myslots, j)) continue;
        const owner = this.slots[j];
        if (owner === sender || owner === null || owner === undefined || this.isUnclaimed(j)) continue;
        if (owner.configEpoch > senderConfigEpoch) {
          this.server.log.verbose(`Node ${sender.name} has old slots configuration, sending an UPDATE message about ${owner.name}`);
          this.sendUpdate(sender.link, owner);
          break;
        }
      }
    }
    if (me.isMaster && sender.isMaster && senderConfigEpoch === me.configEpoch) this.handleEpochCollision(sender);
    this.processGossip(b.gossip, link, sender);
    sender.hostname = b.hostname ?? '';
  }

  /** Whether another node (a handshake, when `handshake`) may be added without passing the caps. */
  private roomFor(handshake: boolean): boolean {
    if (this.nodes.size >= MAX_NODES) {
      this.server.log.verbose(`Not adding a node: ${MAX_NODES} known already`);
      return false;
    }
    if (handshake) {
      let n = 0;
      for (const node of this.nodes.values()) if (node.has(NodeFlag.HANDSHAKE)) n++;
      if (n >= MAX_HANDSHAKES) {
        this.server.log.verbose(`Not starting a handshake: ${MAX_HANDSHAKES} under way already`);
        return false;
      }
    }
    return true;
  }

  private isUnclaimed(slot: number): boolean {
    return bitmapHas(this.notClaimed, slot);
  }

  /** Redis's nodeUpdateAddressIfNeeded: true when the address changed. */
  private updateAddress(n: ClusterNode, link: Link, h: BusHeader): boolean {
    if (link === n.link) return false;
    const ip = h.myip !== '' ? h.myip : plainAddress(link.socket.remoteAddress ?? '');
    if (ip === '') return false;
    if (n.port === h.port && n.cport === h.cport && n.pport === h.pport && n.ip === ip) return false;
    n.ip = ip;
    n.port = h.port;
    n.pport = h.pport;
    n.cport = h.cport;
    n.link?.close();
    n.link = null;
    n.flags &= ~NodeFlag.NOADDR;
    this.server.log.warning(`Address updated for node ${n.name}, now ${n.ip}:${n.port}`);
    if (this.myself.isReplica && this.myself.slaveof === n) this.followMaster();
    return true;
  }

  private handleEpochCollision(sender: ClusterNode): void {
    const me = this.myself;
    if (sender.configEpoch !== me.configEpoch || !sender.isMaster || !me.isMaster) return;
    if (sender.name <= me.name) return;
    this.currentEpoch++;
    me.configEpoch = this.currentEpoch;
    this.saveConfig();
    this.server.log.verbose(`WARNING: configEpoch collision with node ${sender.name}. configEpoch set to ${me.configEpoch}`);
  }

  /** Redis's clusterProcessGossipSection. */
  private processGossip(entries: readonly Gossip[], link: Link, senderArg: ClusterNode | null): void {
    const sender = senderArg ?? (link.node !== null && !link.node.has(NodeFlag.HANDSHAKE) ? link.node : null);
    const now = Date.now();
    for (const g of entries) {
      const n = this.lookup(g.name);
      if (n !== null) {
        if (sender !== null && sender.isMaster && n !== this.myself) {
          if ((g.flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) !== 0) {
            if (!n.failReports.has(sender)) this.server.log.verbose(`Node ${sender.name} reported node ${n.name} as not reachable.`);
            n.failReports.set(sender, now);
            this.markFailingIfNeeded(n);
          } else if (n.failReports.delete(sender)) {
            this.server.log.verbose(`Node ${sender.name} reported node ${n.name} is back online.`);
          }
        }
        if ((g.flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) === 0 && n.pingSent === 0 && this.failureReports(n) === 0) {
          const pong = g.pongReceived * 1000;
          if (pong <= now + 500 && pong > n.pongReceived) n.pongReceived = pong;
        }
        if (
          n.has(NodeFlag.FAIL | NodeFlag.PFAIL) &&
          (g.flags & NodeFlag.NOADDR) === 0 &&
          (g.flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) === 0 &&
          (n.ip.toLowerCase() !== g.ip.toLowerCase() || n.port !== g.port || n.cport !== g.cport)
        ) {
          n.link?.close();
          n.link = null;
          n.ip = g.ip;
          n.port = g.port;
          n.pport = g.pport;
          n.cport = g.cport;
          n.flags &= ~NodeFlag.NOADDR;
        }
      } else if (sender !== null && (g.flags & NodeFlag.NOADDR) === 0 && !this.blacklisted(g.name) && g.ip !== '' && g.name !== this.myself.name) {
        // A node only a known node vouches for, at an address this node may talk to.
        if (!this.roomFor(false)) continue;
        if (!this.allowlist.allows(g.ip)) {
          this.server.log.verbose(`Gossip about node ${g.name} at ${g.ip} ignored: not in cluster-allowed-peers`);
          continue;
        }
        const added = new ClusterNode(g.name, g.flags & ~(NodeFlag.MYSELF | NodeFlag.MEET | NodeFlag.HANDSHAKE));
        added.ip = g.ip;
        added.port = g.port;
        added.pport = g.pport;
        added.cport = g.cport;
        this.addNode(added);
        this.changed(false);
      }
    }
  }

  /** Redis's clusterUpdateSlotsConfigWith, without the replica reconfiguration (not supported yet). */
  private updateSlotsConfigWith(sender: ClusterNode, senderConfigEpoch: bigint, slots: Uint8Array): void {
    if (sender === this.myself) {
      this.server.log.warning('Discarding UPDATE message about myself.');
      return;
    }
    const dirtySlots: number[] = [];
    const me = this.myself;
    const curmaster = me.isMaster ? me : me.slaveof;
    let newmaster: ClusterNode | null = null;
    let senderSlots = 0;
    let migratedOurSlots = 0;
    for (let j = 0; j < SLOT_COUNT; j++) {
      if (bitmapHas(slots, j)) {
        senderSlots++;
        const owner = this.slots[j] ?? null;
        if (owner === sender) {
          this.notClaimed[j >> 3] = (this.notClaimed[j >> 3] ?? 0) & ~(1 << (j & 7));
          continue;
        }
        if (this.importing.has(j)) continue;
        if (owner === null || this.isUnclaimed(j) || owner.configEpoch < senderConfigEpoch) {
          if (owner === this.myself && this.server.cluster.slotKeys(j).size > 0) dirtySlots.push(j);
          if (owner !== null && owner === curmaster) {
            newmaster = sender;
            migratedOurSlots++;
          }
          this.delSlot(j);
          this.addSlot(sender, j);
          this.changed(true);
        }
      } else if (this.slots[j] === sender) {
        this.notClaimed[j >> 3] = (this.notClaimed[j >> 3] ?? 0) | (1 << (j & 7));
      }
    }
    // Our shard lost its last slot to the sender (a failover elsewhere): follow the new owner.
    if (newmaster !== null && curmaster !== null && curmaster.numSlots === 0 && (this.server.config.bool('cluster-allow-replica-migration') || senderSlots === migratedOurSlots)) {
      this.server.log.warning(`Configuration change detected. Reconfiguring myself as a replica of ${sender.name}`);
      this.setMaster(sender);
      return;
    }
    // A primary that lost slots it still has keys in keeps serving the rest; the lost keys go, as Redis.
    for (const j of dirtySlots) {
      const db0 = this.server.dbs[0];
      if (db0 === undefined) break;
      for (const key of [...this.server.cluster.slotKeys(j)]) {
        if (db0.delete(key)) this.server.propagation.also(0, ['DEL', key]);
      }
    }
  }

  // --- failure detection ---

  failureReports(n: ClusterNode): number {
    const validity = this.nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    const now = Date.now();
    for (const [who, at] of n.failReports) if (now - at > validity) n.failReports.delete(who);
    return n.failReports.size;
  }

  private markFailingIfNeeded(n: ClusterNode): void {
    const quorum = Math.floor(this.size / 2) + 1;
    if (!n.has(NodeFlag.PFAIL) || n.has(NodeFlag.FAIL)) return;
    let failures = this.failureReports(n);
    if (this.myself.isMaster) failures++;
    if (failures < quorum) return;
    this.server.log.notice(`Marking node ${n.name} as failing (quorum reached).`);
    n.flags = (n.flags | NodeFlag.FAIL) & ~NodeFlag.PFAIL;
    n.failTime = Date.now();
    this.broadcast({ header: this.header(MsgType.FAIL), body: { kind: 'fail', name: n.name } });
    this.changed(true);
  }

  private clearFailureIfNeeded(n: ClusterNode): void {
    const now = Date.now();
    if (n.isReplica || n.numSlots === 0) {
      this.server.log.notice(`Clear FAIL state for node ${n.name}: ${n.isReplica ? 'replica' : 'master without slots'} is reachable again.`);
      n.flags &= ~NodeFlag.FAIL;
      this.changed(true);
    }
    if (n.isMaster && n.numSlots > 0 && now - n.failTime > this.nodeTimeout * FAIL_UNDO_TIME_MULT) {
      this.server.log.notice(`Clear FAIL state for node ${n.name}: is reachable again and nobody is serving its slots after some time.`);
      n.flags &= ~NodeFlag.FAIL;
      this.changed(true);
    }
  }

  /** Redis's clusterUpdateState. */
  updateState(): void {
    this.stateDirty = false;
    const now = Date.now();
    if (this.firstStateCall === 0) this.firstStateCall = now;
    if (this.myself.isMaster && this.stateNow === 'fail' && now - this.firstStateCall < WRITABLE_DELAY) return;
    let next: 'ok' | 'fail' = 'ok';
    if (this.server.config.bool('cluster-require-full-coverage')) {
      for (let j = 0; j < SLOT_COUNT; j++) {
        const n = this.slots[j];
        if (n === null || n === undefined || n.failed) {
          next = 'fail';
          break;
        }
      }
    }
    let reachable = 0;
    this.sizeNow = 0;
    for (const n of this.nodes.values()) {
      if (n.isMaster && n.numSlots > 0) {
        this.sizeNow++;
        if (!n.has(NodeFlag.FAIL | NodeFlag.PFAIL)) reachable++;
      }
    }
    if (reachable < Math.floor(this.sizeNow / 2) + 1) {
      next = 'fail';
      this.amongMinorityTime = now;
    }
    if (next !== this.stateNow) {
      const rejoin = Math.min(MAX_REJOIN_DELAY, Math.max(MIN_REJOIN_DELAY, this.nodeTimeout));
      if (next === 'ok' && this.myself.isMaster && now - this.amongMinorityTime < rejoin) return;
      this.server.log.warning(`Cluster state changed: ${next}`);
      this.stateNow = next;
    }
  }

  // --- the cron (Redis's clusterCron, ten times a second) ---

  private clusterCron(): void {
    this.iteration++;
    const now = Date.now();
    const timeout = this.nodeTimeout;
    const handshakeTimeout = Math.max(1000, timeout);
    let updateState = false;
    for (const n of [...this.nodes.values()]) {
      if (n.has(NodeFlag.MYSELF | NodeFlag.NOADDR)) continue;
      if (n.has(NodeFlag.HANDSHAKE) && now - n.ctime > handshakeTimeout) {
        this.delNode(n);
        continue;
      }
      if (n.link === null) {
        const link = this.bus.connect(n.ip, n.cport) as Link | null;
        if (link === null) {
          // Not an allowed peer: never dialled (a handshake with it times out).
          continue;
        }
        link.node = n;
        n.link = link;
        if (n.pingSent === 0) n.pingSent = now;
      } else if (
        n.inbound === null &&
        !n.has(NodeFlag.HANDSHAKE) &&
        n.pongReceived >= n.link.ctime &&
        now - n.inboundFreedTime > handshakeTimeout &&
        now - n.meetSentTime > handshakeTimeout
      ) {
        // It answers us but has not connected back for a handshake timeout: it does not know us,
        // its handshake with us having timed out (on a loaded machine). Meet it again, as Valkey
        // 8.1 does; otherwise it never learns of us and the cluster never agrees.
        this.server.log.notice(`Sending MEET packet to node ${n.name} because there is no inbound link for it`);
        n.meetSentTime = now;
        this.sendPing(n.link, MsgType.MEET);
      }
    }
    if (this.iteration % 10 === 0) {
      const all = [...this.nodes.values()];
      let best: ClusterNode | null = null;
      for (let j = 0; j < 5 && all.length > 0; j++) {
        const n = all[Math.floor(Math.random() * all.length)];
        if (n === undefined || n.link === null || n.pingSent !== 0 || n.has(NodeFlag.MYSELF | NodeFlag.HANDSHAKE)) continue;
        if (best === null || best.pongReceived > n.pongReceived) best = n;
      }
      if (best?.link) this.sendPing(best.link, MsgType.PING);
    }
    // Primaries without working replicas, the most working replicas one has, and how many ours has
    // (for replica migration; only a replica counts them).
    const me = this.myself;
    let orphaned = 0;
    let maxReplicas = 0;
    let ourReplicas = 0;
    for (const n of this.nodes.values()) {
      if (n.has(NodeFlag.MYSELF | NodeFlag.NOADDR | NodeFlag.HANDSHAKE)) continue;
      if (me.isReplica && n.isMaster && !n.failed) {
        const working = n.workingReplicas();
        if (working === 0 && n.numSlots > 0 && n.has(NodeFlag.MIGRATE_TO)) orphaned++;
        if (working > maxReplicas) maxReplicas = working;
        if (me.slaveof === n) ourReplicas = working;
      }
      const pingDelay = now - n.pingSent;
      const dataDelay = now - n.dataReceived;
      if (n.link !== null && now - n.link.ctime > timeout && n.pingSent !== 0 && pingDelay > timeout / 2 && dataDelay > timeout / 2) {
        n.link.close();
      }
      if (n.link !== null && n.pingSent === 0 && now - n.pongReceived > timeout / 2) {
        this.sendPing(n.link, MsgType.PING);
        continue;
      }
      if (n.pingSent === 0) continue;
      if (Math.min(pingDelay, dataDelay) > timeout && !n.has(NodeFlag.PFAIL | NodeFlag.FAIL)) {
        this.server.log.verbose(`*** NODE ${n.name} possibly failing`);
        n.flags |= NodeFlag.PFAIL;
        updateState = true;
      }
    }
    if (this.mfEnd !== 0 && this.mfEnd < now) {
      this.server.log.warning('Manual failover timed out.');
      this.resetManualFailover();
    }
    // A paused primary keeps its replica informed of the offset it stopped at.
    if (this.mfEnd !== 0 && this.myself.isMaster && this.mfReplica?.link) this.sendPing(this.mfReplica.link, MsgType.PING);
    if (me.isReplica) {
      this.followMaster();
      this.handleManualFailover();
      this.handleReplicaFailover();
      // A migration makes sense only from a primary with at least two working replicas.
      if (orphaned > 0 && maxReplicas >= 2 && ourReplicas === maxReplicas && this.server.config.bool('cluster-allow-replica-migration')) {
        this.handleReplicaMigration(maxReplicas, now);
      }
    }
    if (updateState || this.state === 'fail') this.updateState();
    if (this.server.blocking.blockedCount > 0) this.server.blocking.redirectWhere((w) => this.blockedRefusal(w.client, w.keys, w.origin?.cmd.isWrite ?? false));
  }

  /**
   * Redis's clusterRedirectBlockedClientIfNeeded: a client blocked on a key of a slot this node no
   * longer serves is answered with the redirect (or CLUSTERDOWN) instead of waiting for nothing.
   */
  private blockedRefusal(c: Client, keys: readonly string[], write: boolean): string | null {
    if (this.state === 'fail') return E.CLUSTERDOWN;
    const me = this.myself;
    for (const key of keys) {
      const slot = keyHashSlot(key);
      let owner = this.slots[slot] ?? null;
      if (c.readonlyCluster && !write && me.isReplica && me.slaveof === owner) owner = me;
      if (owner !== me && !this.importing.has(slot)) {
        return owner === null ? E.CLUSTERDOWN_UNBOUND : E.clusterMoved(false, slot, this.endpoint(owner), this.clientPort(owner, c));
      }
    }
    return null;
  }

  // --- what the gate and the commands read ---

  /** The address clients are sent to for a node (cluster-preferred-endpoint-type). */
  endpoint(n: ClusterNode): string {
    const preferred = this.server.config.str('cluster-preferred-endpoint-type');
    if (preferred === 'ip') return n.ip;
    if (preferred === 'hostname') return n.hostname !== '' ? n.hostname : '?';
    return '?';
  }

  /** Messages sent and received by type, for CLUSTER INFO. */
  stats(): string[] {
    const lines: string[] = [];
    const names = MSG_TYPE_NAMES;
    let total = 0;
    this.sent.forEach((n, i) => {
      if (n === 0) return;
      total += n;
      lines.push(`cluster_stats_messages_${names[i] ?? i}_sent:${n}`);
    });
    lines.push(`cluster_stats_messages_sent:${total}`);
    total = 0;
    this.received.forEach((n, i) => {
      if (n === 0) return;
      total += n;
      lines.push(`cluster_stats_messages_${names[i] ?? i}_received:${n}`);
    });
    lines.push(`cluster_stats_messages_received:${total}`);
    return lines;
  }

  /** Links for CLUSTER LINKS. */
  links(): { dir: 'to' | 'from'; node: ClusterNode; link: Link }[] {
    const out: { dir: 'to' | 'from'; node: ClusterNode; link: Link }[] = [];
    for (const n of this.nodes.values()) {
      if (n.link !== null) out.push({ dir: 'to', node: n, link: n.link });
      if (n.inbound !== null) out.push({ dir: 'from', node: n, link: n.inbound });
    }
    return out;
  }

  /** After a slot closed here by SETSLOT NODE myself: tell everyone at once. */
  announce(): void {
    this.broadcastPong();
  }
}
