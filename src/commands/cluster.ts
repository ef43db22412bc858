// CLUSTER, ASKING, READONLY and READWRITE. Standalone (the default) they answer Redis 7.0's
// "cluster support disabled"; with `cluster-emulated yes` this node is a one-node cluster that
// owns all 16384 slots (docs/cluster.md): the read-only subcommands describe it, those that would
// change the cluster's layout are refused. Slots and the CROSSSLOT gate are server/cluster.ts.

import type { Socket } from 'node:net';
import * as E from '../errors.js';
import { arg, parseInt64 } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { clusterDocs } from './docs/cluster.js';
import { replyHelp } from './server.js';
import type { Client } from '../server/client.js';
import { CLUSTER_SLOTS, keyHashSlot } from '../server/cluster.js';

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

/** Runs `fn` only on an emulated cluster node; standalone, Redis's refusal. */
function emulated(fn: (c: Client, argv: string[]) => void): (c: Client, argv: string[]) => void {
  return (c, argv) => {
    if (!c.server.cluster.emulated) c.reply.error(E.CLUSTER_DISABLED);
    else fn(c, argv);
  };
}

/** A subcommand that changes the layout of a cluster of several nodes, which an emulated node is not. */
const layoutOnly = emulated((c, argv) => c.reply.error(E.clusterEmulatedOnly(arg(argv, 1))));

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

// --- the table ---

const layout = ['no_async_loading', 'admin', 'stale'] as const;
const adminAcl = ['admin', 'slow', 'dangerous'] as const;
const slow = ['slow'] as const;
const nondet = ['nondeterministic_output'] as const;

const subcommands: readonly CommandSpec[] = [
  { name: 'addslots', arity: -3, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'addslotsrange', arity: -4, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'bumpepoch', arity: 2, flags: layout, acl: adminAcl, keys: NO_KEYS, tips: nondet, run: layoutOnly },
  { name: 'count-failure-reports', arity: 3, flags: ['admin', 'stale'], acl: adminAcl, keys: NO_KEYS, tips: nondet, run: emulated(countFailureReports) },
  { name: 'countkeysinslot', arity: 3, flags: ['stale'], acl: slow, keys: NO_KEYS, run: emulated(countkeysinslot) },
  { name: 'delslots', arity: -3, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'delslotsrange', arity: -4, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'failover', arity: -2, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'flushslots', arity: 2, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'forget', arity: 3, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'getkeysinslot', arity: 4, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: emulated(getkeysinslot) },
  { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: slow, keys: NO_KEYS, run: emulated(help) },
  { name: 'info', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: emulated(info) },
  { name: 'keyslot', arity: 3, flags: ['stale'], acl: slow, keys: NO_KEYS, run: emulated(keyslot) },
  { name: 'links', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: emulated(links) },
  { name: 'meet', arity: -4, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'myid', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, run: emulated(myid) },
  { name: 'nodes', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: emulated(nodes) },
  { name: 'replicas', arity: 3, flags: ['admin', 'stale'], acl: adminAcl, keys: NO_KEYS, tips: nondet, run: emulated(replicas) },
  { name: 'replicate', arity: 3, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'reset', arity: -2, flags: ['admin', 'stale', 'noscript'], acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'saveconfig', arity: 2, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'set-config-epoch', arity: 3, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'setslot', arity: -4, flags: layout, acl: adminAcl, keys: NO_KEYS, run: layoutOnly },
  { name: 'shards', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: emulated(shards) },
  { name: 'slaves', arity: 3, flags: ['admin', 'stale'], acl: adminAcl, keys: NO_KEYS, tips: nondet, run: emulated(replicas) },
  { name: 'slots', arity: 2, flags: ['stale'], acl: slow, keys: NO_KEYS, tips: nondet, run: emulated(slots) },
];

export const clusterCommands: readonly CommandSpec[] = withDocs(clusterDocs, [
  { name: 'cluster', arity: -2, flags: [], acl: slow, keys: NO_KEYS, subcommands },
  { name: 'asking', arity: 1, flags: ['fast'], acl: ['fast', 'connection'], keys: NO_KEYS, run: emulated(ok) },
  { name: 'readonly', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['fast', 'connection'], keys: NO_KEYS, run: emulated(ok) },
  { name: 'readwrite', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['fast', 'connection'], keys: NO_KEYS, run: emulated(ok) },
]);
