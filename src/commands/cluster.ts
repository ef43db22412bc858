// CLUSTER, ASKING, READONLY and READWRITE. Standalone (the default) they answer Redis 7.0's
// "cluster support disabled"; with `cluster-emulated yes` this node is a one-node cluster that
// owns all 16384 slots (docs/cluster.md): the read-only subcommands describe it, those that would
// change the cluster's layout are refused; with `cluster-enabled yes` they are Redis 7.0's
// clusterCommand over the node's state (server/cluster-mode.ts). Slots and the gate's redirections
// are server/cluster.ts.

import type { Socket } from 'node:net';
import * as E from '../errors.js';
import { arg, parseInt64 } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { clusterDocs } from './docs/cluster.js';
import { replyHelp } from './server.js';
import type { Client } from '../server/client.js';
import { CLUSTER_SLOTS, keyHashSlot } from '../server/cluster.js';
import type { ClusterMode, ClusterNode } from '../server/cluster-mode.js';
import { NodeFlag } from '../server/cluster-bus-codec.js';
import net from 'node:net';

const HELP = [
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]',
  '    Promote current replica node to being a master.',
  'FORGET <node-id>',
  '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]',
  '    Connect nodes into a working cluster.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>',
  '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]',
  '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>',
  '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SAVECONFIG',
  '    Force saving cluster configuration on disk.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
];

/** How this node is reached, as the client reached it unless cluster-announce-* says otherwise. */
interface Endpoint {
  readonly ip: string;
  readonly port: number;
  readonly tls: boolean;
  readonly busPort: number;
  readonly hostname: string;
}

function endpoint(c: Client): Endpoint {
  const config = c.server.config;
  const socket: Socket | null = c.socket;
  const local = socket?.localAddress;
  const announcedIp = config.raw('cluster-announce-ip');
  const ip = typeof announcedIp === 'string' && announcedIp !== '' ? announcedIp : local === undefined ? '' : local.replace(/^::ffff:/, '');
  const tls = socket !== null && 'encrypted' in socket;
  const port = config.num('cluster-announce-port') || (socket?.localPort ?? 0) || config.num('port');
  const busPort = config.num('cluster-announce-bus-port') || config.num('cluster-port') || port + 10000;
  const hostname = config.raw('cluster-announce-hostname');
  return { ip, port, tls, busPort, hostname: typeof hostname === 'string' ? hostname : '' };
}

function help(c: Client): void {
  replyHelp(c, 'CLUSTER', HELP);
}

function info(c: Client): void {
  const lines = [
    'cluster_state:ok',
    `cluster_slots_assigned:${CLUSTER_SLOTS}`,
    `cluster_slots_ok:${CLUSTER_SLOTS}`,
    'cluster_slots_pfail:0',
    'cluster_slots_fail:0',
    'cluster_known_nodes:1',
    'cluster_size:1',
    'cluster_current_epoch:0',
    'cluster_my_epoch:0',
    'cluster_stats_messages_sent:0',
    'cluster_stats_messages_received:0',
    'total_cluster_links_buffer_limit_exceeded:0',
  ];
  c.reply.verbatim(lines.map((l) => `${l}\r\n`).join(''));
}

function myid(c: Client): void {
  c.reply.bulk(c.server.cluster.myId);
}

/** This node's CLUSTER NODES line (Redis's clusterGenNodeDescription for myself). */
function nodeLine(c: Client): string {
  const e = endpoint(c);
  const host = e.hostname !== '' ? `,${e.hostname}` : '';
  return `${c.server.cluster.myId} ${e.ip}:${e.port}@${e.busPort}${host} myself,master - 0 0 0 connected 0-${CLUSTER_SLOTS - 1}\n`;
}

function nodes(c: Client): void {
  c.reply.verbatim(nodeLine(c));
}

/** One node of CLUSTER SLOTS: preferred endpoint, port, id, then the other endpoints as a map. */
function slotNode(c: Client): void {
  const e = endpoint(c);
  const preferred = c.server.config.str('cluster-preferred-endpoint-type');
  c.reply.array(4);
  if (preferred === 'ip') c.reply.bulk(e.ip);
  else if (preferred === 'hostname') c.reply.bulk(e.hostname !== '' ? e.hostname : '?');
  else c.reply.nil();
  c.reply.integer(e.port);
  c.reply.bulk(c.server.cluster.myId);
  const extra: [string, string][] = [];
  if (preferred !== 'ip') extra.push(['ip', e.ip]);
  if (preferred !== 'hostname' && e.hostname !== '') extra.push(['hostname', e.hostname]);
  c.reply.map(extra.length);
  for (const [k, v] of extra) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

function slots(c: Client): void {
  c.reply.array(1);
  c.reply.array(3);
  c.reply.integer(0);
  c.reply.integer(CLUSTER_SLOTS - 1);
  slotNode(c);
}

function shards(c: Client): void {
  const e = endpoint(c);
  const preferred = c.server.config.str('cluster-preferred-endpoint-type');
  const preferredEndpoint = preferred === 'ip' ? e.ip : preferred === 'hostname' ? (e.hostname !== '' ? e.hostname : '?') : '?';
  c.reply.array(1);
  c.reply.map(2);
  c.reply.bulk('slots');
  c.reply.array(2);
  c.reply.integer(0);
  c.reply.integer(CLUSTER_SLOTS - 1);
  c.reply.bulk('nodes');
  c.reply.array(1);
  const fields: [string, string | number][] = [['id', c.server.cluster.myId], [e.tls ? 'tls-port' : 'port', e.port]];
  fields.push(['ip', e.ip], ['endpoint', preferredEndpoint]);
  if (e.hostname !== '') fields.push(['hostname', e.hostname]);
  fields.push(['role', 'master'], ['replication-offset', 0], ['health', 'online']);
  c.reply.map(fields.length);
  for (const [k, v] of fields) {
    c.reply.bulk(k);
    if (typeof v === 'number') c.reply.integer(v);
    else c.reply.bulk(v);
  }
}

function keyslot(c: Client, argv: string[]): void {
  c.reply.integer(keyHashSlot(arg(argv, 2)));
}

/** A long long argument, or null after Redis's not-an-integer reply. */
function longArg(c: Client, text: string): bigint | null {
  const n = parseInt64(text);
  if (n === null) c.reply.error(E.NOT_INTEGER);
  return n;
}

function countkeysinslot(c: Client, argv: string[]): void {
  const slot = longArg(c, arg(argv, 2));
  if (slot === null) return;
  if (slot < 0n || slot >= BigInt(CLUSTER_SLOTS)) {
    c.reply.error(E.INVALID_SLOT);
    return;
  }
  c.reply.integer(c.server.cluster.slotKeys(Number(slot)).size);
}

function getkeysinslot(c: Client, argv: string[]): void {
  const slot = longArg(c, arg(argv, 2));
  if (slot === null) return;
  const max = longArg(c, arg(argv, 3));
  if (max === null) return;
  if (slot < 0n || slot >= BigInt(CLUSTER_SLOTS) || max < 0n) {
    c.reply.error(E.INVALID_SLOT_OR_COUNT);
    return;
  }
  const keys = c.server.cluster.slotKeys(Number(slot));
  const n = max > BigInt(keys.size) ? keys.size : Number(max);
  c.reply.array(n);
  let i = 0;
  for (const k of keys) {
    if (i++ === n) break;
    c.reply.bulk(k);
  }
}

/** A node id argument that is not this node's: Redis's "Unknown node", or null when it is ours. */
function unknownNode(c: Client, id: string): boolean {
  if (id === c.server.cluster.myId) return false;
  c.reply.error(E.unknownClusterNode(id));
  return true;
}

function replicas(c: Client, argv: string[]): void {
  if (unknownNode(c, arg(argv, 2))) return;
  c.reply.array(0);
}

function countFailureReports(c: Client, argv: string[]): void {
  if (unknownNode(c, arg(argv, 2))) return;
  c.reply.integer(0);
}

function links(c: Client): void {
  c.reply.array(0);
}

/** ASKING, READONLY, READWRITE: a single node owns every slot, so they change nothing it serves. */
function ok(c: Client): void {
  c.reply.ok();
}

// --- cluster mode (cluster-enabled yes): Redis 7.0's clusterCommand over server/cluster-mode.ts ---

type Real = (c: Client, argv: string[], mode: ClusterMode) => void;

/** A subcommand with an emulated form and a cluster-mode form; standalone, Redis's refusal. */
function both(emu: (c: Client, argv: string[]) => void, real: Real): (c: Client, argv: string[]) => void {
  return (c, argv) => {
    const mode = c.server.cluster.mode;
    if (mode !== null) real(c, argv, mode);
    else if (c.server.cluster.emulated) emu(c, argv);
    else c.reply.error(E.CLUSTER_DISABLED);
  };
}

/** A subcommand only cluster mode serves (an emulated node refuses it). */
function layout(real: Real): (c: Client, argv: string[]) => void {
  return both((c, argv) => c.reply.error(E.clusterEmulatedOnly(arg(argv, 1))), real);
}

/** The config changed: update the state and write nodes.conf before the reply, as Redis's beforeSleep. */
function saved(mode: ClusterMode): void {
  mode.changed(true);
  try {
    mode.flushSave();
  } catch {
    // Logged by the next scheduled save; the reply still says what changed.
  }
}

/** Redis's getSlotOrReply. */
function slotArg(c: Client, text: string): number | null {
  const n = parseInt64(text);
  if (n === null || n < 0n || n >= BigInt(CLUSTER_SLOTS)) {
    c.reply.error(E.INVALID_SLOT_RANGE);
    return null;
  }
  return Number(n);
}

function realInfo(c: Client, _argv: string[], mode: ClusterMode): void {
  let assigned = 0;
  let ok = 0;
  let pfail = 0;
  let fail = 0;
  for (const n of mode.slots) {
    if (n === null) continue;
    assigned++;
    if (n.has(NodeFlag.FAIL)) fail++;
    else if (n.has(NodeFlag.PFAIL)) pfail++;
    else ok++;
  }
  const me = mode.myself;
  const myEpoch = me.isReplica && me.slaveof !== null ? me.slaveof.configEpoch : me.configEpoch;
  const lines = [
    `cluster_state:${mode.state}`,
    `cluster_slots_assigned:${assigned}`,
    `cluster_slots_ok:${ok}`,
    `cluster_slots_pfail:${pfail}`,
    `cluster_slots_fail:${fail}`,
    `cluster_known_nodes:${mode.nodes.size}`,
    `cluster_size:${mode.size}`,
    `cluster_current_epoch:${mode.currentEpoch}`,
    `cluster_my_epoch:${myEpoch}`,
    ...mode.stats(),
    'total_cluster_links_buffer_limit_exceeded:0',
  ];
  c.reply.verbatim(lines.map((l) => `${l}\r\n`).join(''));
}

function realNodes(c: Client, _argv: string[], mode: ClusterMode): void {
  c.reply.verbatim(mode.describeAll(false, c));
}

/** One node of CLUSTER SLOTS (Redis's addNodeToNodeReply). */
function slotNodeReal(c: Client, mode: ClusterMode, n: ClusterNode): void {
  const preferred = c.server.config.str('cluster-preferred-endpoint-type');
  c.reply.array(4);
  if (preferred === 'unknown-endpoint') c.reply.nil();
  else c.reply.bulk(mode.endpoint(n));
  c.reply.integer(mode.clientPort(n, c));
  c.reply.bulk(n.name);
  const extra: [string, string][] = [];
  if (preferred !== 'ip') extra.push(['ip', n.ip]);
  if (preferred !== 'hostname' && n.hostname !== '') extra.push(['hostname', n.hostname]);
  c.reply.map(extra.length);
  for (const [k, v] of extra) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

function replicaAvailable(c: Client, mode: ClusterMode, n: ClusterNode): boolean {
  if (n.has(NodeFlag.FAIL)) return false;
  const offset = n === mode.myself ? BigInt(c.server.replication.offset) : n.replOffset;
  return offset !== 0n;
}

function realSlots(c: Client, _argv: string[], mode: ClusterMode): void {
  const runs: [number, number, ClusterNode][] = [];
  let start = 0;
  let owner: ClusterNode | null = null;
  for (let j = 0; j <= CLUSTER_SLOTS; j++) {
    const n = j < CLUSTER_SLOTS ? (mode.slots[j] ?? null) : null;
    if (n !== owner) {
      if (owner !== null) runs.push([start, j - 1, owner]);
      owner = n;
      start = j;
    }
  }
  c.reply.array(runs.length);
  for (const [a, b, n] of runs) {
    const replicas = [...n.replicas].filter((r) => replicaAvailable(c, mode, r));
    c.reply.array(3 + replicas.length);
    c.reply.integer(a);
    c.reply.integer(b);
    slotNodeReal(c, mode, n);
    for (const r of replicas) slotNodeReal(c, mode, r);
  }
}

function realShards(c: Client, _argv: string[], mode: ClusterMode): void {
  const primaries = [...mode.nodes.values()].filter((n) => n.isMaster);
  c.reply.array(primaries.length);
  for (const p of primaries) {
    c.reply.map(2);
    c.reply.bulk('slots');
    const ranges = mode.ranges(p);
    c.reply.array(ranges.length * 2);
    for (const [a, b] of ranges) {
      c.reply.integer(a);
      c.reply.integer(b);
    }
    c.reply.bulk('nodes');
    const members = [p, ...p.replicas];
    c.reply.array(members.length);
    for (const n of members) {
      const offset = n === mode.myself ? BigInt(c.server.replication.offset) : n.replOffset;
      const fields: [string, string | bigint | number][] = [['id', n.name]];
      // With tls-cluster a node's port is its TLS port, its pport the plaintext one (Redis's addNodeDetailsToShardReply).
      const plain = mode.bus.tls ? n.pport : n.port;
      if (plain !== 0) fields.push(['port', plain]);
      if (mode.bus.tls && n.port !== 0) fields.push(['tls-port', n.port]);
      fields.push(['ip', n.ip], ['endpoint', mode.endpoint(n)]);
      if (n.hostname !== '') fields.push(['hostname', n.hostname]);
      fields.push(['role', n.isReplica ? 'replica' : 'master'], ['replication-offset', offset]);
      fields.push(['health', n.has(NodeFlag.FAIL) ? 'fail' : n.isReplica && offset === 0n ? 'loading' : 'online']);
      c.reply.map(fields.length);
      for (const [k, v] of fields) {
        c.reply.bulk(k);
        if (typeof v === 'string') c.reply.bulk(v);
        else c.reply.integer(v);
      }
    }
  }
}

function realMeet(c: Client, argv: string[], mode: ClusterMode): void {
  if (argv.length !== 4 && argv.length !== 5) {
    c.reply.error(E.wrongArity('cluster|meet'));
    return;
  }
  const ip = arg(argv, 2);
  const portText = arg(argv, 3);
  const port = parseInt64(portText);
  if (port === null) {
    c.reply.error(E.invalidMeetPort(false, portText));
    return;
  }
  let cport = port + 10000n;
  if (argv.length === 5) {
    const busText = arg(argv, 4);
    const bus = parseInt64(busText);
    if (bus === null) {
      c.reply.error(E.invalidMeetPort(true, busText));
      return;
    }
    cport = bus;
  }
  const valid = net.isIP(ip) !== 0 && port > 0n && port <= 65535n && cport > 0n && cport <= 65535n;
  if (!valid) {
    c.reply.error(E.invalidMeetAddress(ip, portText));
    return;
  }
  // Redoubt's allowlist: a node outside cluster-allowed-peers is never dialled.
  if (!mode.allows(ip)) {
    c.reply.error(E.meetNotAllowed(ip));
    return;
  }
  mode.startHandshake(ip, Number(port), Number(cport));
  c.reply.ok();
}

/** ADDSLOTS/DELSLOTS and their RANGE forms (Redis's checkSlotAssignmentsOrReply and clusterUpdateSlots). */
function slotsChange(del: boolean, ranges: boolean): Real {
  return (c, argv, mode) => {
    if (ranges && argv.length % 2 === 1) {
      c.reply.error(E.wrongArity(`cluster|${arg(argv, 1).toLowerCase()}`));
      return;
    }
    const pairs: [number, number][] = [];
    if (ranges) {
      for (let j = 2; j < argv.length; j += 2) {
        const a = slotArg(c, arg(argv, j));
        if (a === null) return;
        const b = slotArg(c, arg(argv, j + 1));
        if (b === null) return;
        pairs.push([a, b]);
      }
    } else {
      for (let j = 2; j < argv.length; j++) {
        const a = slotArg(c, arg(argv, j));
        if (a === null) return;
        pairs.push([a, a]);
      }
    }
    const chosen = new Uint8Array(CLUSTER_SLOTS);
    for (const [a, b] of pairs) {
      if (ranges && a > b) {
        c.reply.error(E.slotRangeReversed(a, b));
        return;
      }
      for (let s = a; s <= b; s++) {
        const owner = mode.slots[s] ?? null;
        if (del && owner === null) {
          c.reply.error(E.slotUnassigned(s));
          return;
        }
        if (!del && owner !== null) {
          c.reply.error(E.slotBusy(s));
          return;
        }
        if (chosen[s] === 1) {
          c.reply.error(E.slotTwice(s));
          return;
        }
        chosen[s] = 1;
      }
    }
    for (let s = 0; s < CLUSTER_SLOTS; s++) {
      if (chosen[s] !== 1) continue;
      mode.importing.delete(s);
      if (del) mode.delSlot(s);
      else mode.addSlot(mode.myself, s);
    }
    saved(mode);
    c.reply.ok();
  };
}

function realFlushslots(c: Client, _argv: string[], mode: ClusterMode): void {
  if ((c.server.dbs[0]?.size ?? 0) !== 0) {
    c.reply.error(E.FLUSHSLOTS_NOT_EMPTY);
    return;
  }
  mode.delNodeSlots(mode.myself);
  saved(mode);
  c.reply.ok();
}

function realSetslot(c: Client, argv: string[], mode: ClusterMode): void {
  const me = mode.myself;
  if (me.isReplica) {
    c.reply.error(E.SETSLOT_ONLY_MASTERS);
    return;
  }
  const slot = slotArg(c, arg(argv, 2));
  if (slot === null) return;
  const action = arg(argv, 3).toLowerCase();
  const target = (unknown: (id: string) => string): ClusterNode | null => {
    const id = arg(argv, 4);
    const n = mode.lookup(id);
    if (n === null) {
      c.reply.error(unknown(id));
      return null;
    }
    if (n.isReplica) {
      c.reply.error(E.TARGET_NOT_MASTER);
      return null;
    }
    return n;
  };
  if (action === 'migrating' && argv.length === 5) {
    if (mode.slots[slot] !== me) {
      c.reply.error(E.notSlotOwner(slot));
      return;
    }
    const n = target(E.dontKnowNode);
    if (n === null) return;
    mode.migrating.set(slot, n);
  } else if (action === 'importing' && argv.length === 5) {
    if (mode.slots[slot] === me) {
      c.reply.error(E.alreadySlotOwner(slot));
      return;
    }
    const n = target(E.dontKnowNode);
    if (n === null) return;
    mode.importing.set(slot, n);
  } else if (action === 'stable' && argv.length === 4) {
    mode.importing.delete(slot);
    mode.migrating.delete(slot);
  } else if (action === 'node' && argv.length === 5) {
    const n = target(E.unknownClusterNode);
    if (n === null) return;
    const keys = c.server.cluster.slotKeys(slot).size;
    if (mode.slots[slot] === me && n !== me && keys !== 0) {
      c.reply.error(E.slotHasKeys(slot));
      return;
    }
    if (keys === 0) mode.migrating.delete(slot);
    const wasMine = mode.slots[slot] === me;
    mode.delSlot(slot);
    mode.addSlot(n, slot);
    // A primary left without slots follows the node that took the last one.
    if (wasMine && n !== me && me.numSlots === 0 && c.server.config.bool('cluster-allow-replica-migration')) {
      c.server.log.warning(`Configuration change detected. Reconfiguring myself as a replica of ${n.name}`);
      mode.setMaster(n);
    }
    if (n === me && mode.importing.has(slot)) {
      // A slot closed after an import: a new epoch of this node's own, so the change wins everywhere.
      if (mode.bumpEpoch()) c.server.log.warning(`configEpoch updated after importing slot ${slot}`);
      mode.importing.delete(slot);
      mode.announce();
    }
  } else {
    c.reply.error(E.SETSLOT_SYNTAX);
    return;
  }
  saved(mode);
  c.reply.ok();
}

function realBumpepoch(c: Client, _argv: string[], mode: ClusterMode): void {
  const bumped = mode.bumpEpoch();
  saved(mode);
  c.reply.status(`${bumped ? 'BUMPED' : 'STILL'} ${mode.myself.configEpoch}`);
}

function realSaveconfig(c: Client, _argv: string[], mode: ClusterMode): void {
  const err = mode.trySave();
  if (err === null) c.reply.ok();
  else c.reply.error(E.saveClusterConfigFailed(err));
}

function realForget(c: Client, argv: string[], mode: ClusterMode): void {
  const id = arg(argv, 2);
  const n = mode.lookup(id);
  if (n === null) c.reply.error(E.unknownClusterNode(id));
  else if (n === mode.myself) c.reply.error(E.FORGET_MYSELF);
  else if (mode.myself.isReplica && mode.myself.slaveof === n) c.reply.error(E.FORGET_MY_MASTER);
  else {
    mode.blacklistAdd(n);
    mode.delNode(n);
    saved(mode);
    c.reply.ok();
  }
}

function realReplicate(c: Client, argv: string[], mode: ClusterMode): void {
  const id = arg(argv, 2);
  const n = mode.lookup(id);
  if (n === null) c.reply.error(E.unknownClusterNode(id));
  else if (n === mode.myself) c.reply.error(E.REPLICATE_MYSELF);
  else if (n.isReplica) c.reply.error(E.REPLICATE_REPLICA);
  else if (mode.myself.isMaster && (mode.myself.numSlots !== 0 || (c.server.dbs[0]?.size ?? 0) !== 0)) c.reply.error(E.REPLICATE_NOT_EMPTY);
  else {
    // Replication follows the primary without replica-allowed-primaries: it is a node this one
    // already talks to on the bus, so its address passed cluster-allowed-peers (docs/cluster.md).
    mode.setMaster(n);
    saved(mode);
    c.reply.ok();
  }
}

function realReplicas(c: Client, argv: string[], mode: ClusterMode): void {
  const id = arg(argv, 2);
  const n = mode.lookup(id);
  if (n === null) c.reply.error(E.unknownClusterNode(id));
  else if (n.isReplica) c.reply.error(E.NOT_A_MASTER);
  else {
    c.reply.array(n.replicas.size);
    for (const r of n.replicas) c.reply.bulk(mode.describe(r, c));
  }
}

function realCountFailureReports(c: Client, argv: string[], mode: ClusterMode): void {
  const id = arg(argv, 2);
  const n = mode.lookup(id);
  if (n === null) c.reply.error(E.unknownClusterNode(id));
  else c.reply.integer(mode.failureReports(n));
}

function realFailover(c: Client, argv: string[], mode: ClusterMode): void {
  let opt = '';
  if (argv.length === 3) {
    opt = arg(argv, 2).toLowerCase();
    if (opt !== 'force' && opt !== 'takeover') {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const me = mode.myself;
  if (me.isMaster) c.reply.error(E.CLUSTER_FAILOVER_NOT_REPLICA);
  else if (me.slaveof === null) c.reply.error(E.CLUSTER_FAILOVER_MASTER_UNKNOWN);
  else if (opt === 'takeover') {
    c.server.log.warning('Taking over the master (user request).');
    mode.takeover();
    c.reply.ok();
  } else if (opt === 'force') {
    c.server.log.warning('Forced failover user request accepted.');
    mode.forceFailover();
    c.reply.ok();
  } else if (me.slaveof.failed || me.slaveof.link === null) {
    c.reply.error(E.CLUSTER_FAILOVER_MASTER_DOWN);
  } else {
    // The coordinated form: the primary pauses writes until this replica has them all (MFSTART).
    mode.manualFailover();
    c.reply.ok();
  }
}

function realSetConfigEpoch(c: Client, argv: string[], mode: ClusterMode): void {
  const epoch = parseInt64(arg(argv, 2));
  if (epoch === null) c.reply.error(E.NOT_INTEGER);
  else if (epoch < 0n) c.reply.error(E.invalidConfigEpoch(epoch));
  else if (mode.nodes.size > 1) c.reply.error(E.CONFIG_EPOCH_KNOWS_OTHERS);
  else if (mode.myself.configEpoch !== 0n) c.reply.error(E.CONFIG_EPOCH_NONZERO);
  else {
    mode.myself.configEpoch = epoch;
    c.server.log.warning(`configEpoch set to ${epoch} via CLUSTER SET-CONFIG-EPOCH`);
    if (mode.currentEpoch < epoch) mode.currentEpoch = epoch;
    saved(mode);
    c.reply.ok();
  }
}

function realReset(c: Client, argv: string[], mode: ClusterMode): void {
  let hard = false;
  if (argv.length === 3) {
    const opt = arg(argv, 2).toLowerCase();
    if (opt === 'hard') hard = true;
    else if (opt !== 'soft') {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  if (mode.myself.isMaster && c.db.size !== 0) {
    c.reply.error(E.RESET_WITH_KEYS);
    return;
  }
  mode.reset(hard);
  c.reply.ok();
}

function realLinks(c: Client, _argv: string[], mode: ClusterMode): void {
  const links = mode.links();
  c.reply.array(links.length);
  for (const l of links) {
    c.reply.map(6);
    c.reply.bulk('direction');
    c.reply.bulk(l.dir);
    c.reply.bulk('node');
    c.reply.bulk(l.node.name);
    c.reply.bulk('create-time');
    c.reply.integer(l.link.ctime);
    c.reply.bulk('events');
    c.reply.bulk(l.link.socket.writableLength > 0 ? 'rw' : 'r');
    c.reply.bulk('send-buffer-allocated');
    c.reply.integer(l.link.socket.writableLength);
    c.reply.bulk('send-buffer-used');
    c.reply.integer(l.link.socket.writableLength);
  }
}

function realAsking(c: Client): void {
  c.asking = true;
  c.reply.ok();
}

function realReadonly(c: Client): void {
  c.readonlyCluster = true;
  c.reply.ok();
}

function realReadwrite(c: Client): void {
  c.readonlyCluster = false;
  c.reply.ok();
}

// --- the table ---

const layoutFlags = ['no_async_loading', 'admin', 'stale'] as const;
const adminAcl = ['admin', 'slow', 'dangerous'] as const;
const slow = ['slow'] as const;
const nondet = ['nondeterministic_output'] as const;

const subcommands: readonly CommandSpec[] = [
  { name: 'addslots', arity: -3, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(slotsChange(false, false)) },
  { name: 'addslotsrange', arity: -4, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(slotsChange(false, true)) },
  { name: 'bumpepoch', arity: 2, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, tips: nondet, run: layout(realBumpepoch) },
  { name: 'count-failure-reports', arity: 3, flags: ['admin', 'stale'], acl: adminAcl, keys: NO_KEYS, tips: nondet, run: both(countFailureReports, realCountFailureReports) },
  { name: 'countkeysinslot', arity: 3, flags: ['stale'], acl: slow, keys: NO_KEYS, run: both(countkeysinslot, countkeysinslot) },
  { name: 'delslots', arity: -3, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(slotsChange(true, false)) },
  { name: 'delslotsrange', arity: -4, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(slotsChange(true, true)) },
  { name: 'failover', arity: -2, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realFailover) },
  { name: 'flushslots', arity: 2, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realFlushslots) },
  { name: 'forget', arity: 3, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realForget) },
  { name: 'getkeysinslot', arity: 4, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: both(getkeysinslot, getkeysinslot) },
  { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: slow, keys: NO_KEYS, run: both(help, help) },
  { name: 'info', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: both(info, realInfo) },
  { name: 'keyslot', arity: 3, flags: ['stale'], acl: slow, keys: NO_KEYS, run: both(keyslot, keyslot) },
  { name: 'links', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: both(links, realLinks) },
  { name: 'meet', arity: -4, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realMeet) },
  { name: 'myid', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, run: both(myid, myid) },
  { name: 'nodes', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: both(nodes, realNodes) },
  { name: 'replicas', arity: 3, flags: ['admin', 'stale'], acl: adminAcl, keys: NO_KEYS, tips: nondet, run: both(replicas, realReplicas) },
  { name: 'replicate', arity: 3, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realReplicate) },
  { name: 'reset', arity: -2, flags: ['admin', 'stale', 'noscript'], acl: adminAcl, keys: NO_KEYS, run: layout(realReset) },
  { name: 'saveconfig', arity: 2, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realSaveconfig) },
  { name: 'set-config-epoch', arity: 3, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realSetConfigEpoch) },
  { name: 'setslot', arity: -4, flags: layoutFlags, acl: adminAcl, keys: NO_KEYS, run: layout(realSetslot) },
  { name: 'shards', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: both(shards, realShards) },
  { name: 'slaves', arity: 3, flags: ['admin', 'stale'], acl: adminAcl, keys: NO_KEYS, tips: nondet, run: both(replicas, realReplicas) },
  { name: 'slots', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: both(slots, realSlots) },
];

export const clusterCommands: readonly CommandSpec[] = withDocs(clusterDocs, [
  { name: 'cluster', arity: -2, flags: [], acl: slow, keys: NO_KEYS, subcommands },
  { name: 'asking', arity: 1, flags: ['fast'], acl: ['fast', 'connection'], keys: NO_KEYS, run: both(ok, realAsking) },
  { name: 'readonly', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['fast', 'connection'], keys: NO_KEYS, run: both(ok, realReadonly) },
  { name: 'readwrite', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['fast', 'connection'], keys: NO_KEYS, run: both(ok, realReadwrite) },
]);
