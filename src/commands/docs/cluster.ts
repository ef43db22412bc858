// COMMAND DOCS for the commands of ../cluster.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

export const clusterDocs: DocsTable = {
  cluster: {
    summary: 'A container for the cluster commands.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'Depends on subcommand.',
  },
  'cluster|addslots': {
    summary: 'Assigns hash slots to this node.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of hash slot arguments',
    arguments: [
      { name: 'slot', type: 'integer', multiple: true },
    ],
  },
  'cluster|addslotsrange': {
    summary: 'Assigns ranges of hash slots to this node.',
    since: '7.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of the slots between the start slot and end slot arguments.',
    arguments: [
      { name: 'start-slot_end-slot', type: 'block', multiple: true, arguments: [{ name: 'start-slot', type: 'integer' }, { name: 'end-slot', type: 'integer' }] },
    ],
  },
  'cluster|bumpepoch': {
    summary: "Advances this node's config epoch.",
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  'cluster|count-failure-reports': {
    summary: 'Counts the failure reports about a node.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the number of failure reports',
    arguments: [
      { name: 'node-id', type: 'string' },
    ],
  },
  'cluster|countkeysinslot': {
    summary: 'Counts the keys of a hash slot held here.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    arguments: [
      { name: 'slot', type: 'integer' },
    ],
  },
  'cluster|delslots': {
    summary: 'Unbinds hash slots from this node.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of hash slot arguments',
    arguments: [
      { name: 'slot', type: 'integer', multiple: true },
    ],
  },
  'cluster|delslotsrange': {
    summary: 'Unbinds ranges of hash slots from this node.',
    since: '7.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of the slots between the start slot and end slot arguments.',
    arguments: [
      { name: 'start-slot_end-slot', type: 'block', multiple: true, arguments: [{ name: 'start-slot', type: 'integer' }, { name: 'end-slot', type: 'integer' }] },
    ],
  },
  'cluster|failover': {
    summary: 'Makes a replica take over from its master.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    arguments: [
      { name: 'options', type: 'oneof', optional: true, arguments: [{ name: 'force', type: 'pure-token', token: 'FORCE' }, { name: 'takeover', type: 'pure-token', token: 'TAKEOVER' }] },
    ],
  },
  'cluster|flushslots': {
    summary: "Forgets this node's own slots.",
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  'cluster|forget': {
    summary: 'Removes a node from the node table.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    arguments: [
      { name: 'node-id', type: 'string' },
    ],
  },
  'cluster|getkeysinslot': {
    summary: 'Lists keys of a hash slot held here.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(log(N)) where N is the number of requested keys',
    arguments: [
      { name: 'slot', type: 'integer' },
      { name: 'count', type: 'integer' },
    ],
  },
  'cluster|help': {
    summary: 'Lists the CLUSTER subcommands.',
    since: '5.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  'cluster|info': {
    summary: "Reports the cluster's state as this node sees it.",
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  'cluster|keyslot': {
    summary: 'Computes the hash slot of a key.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the number of bytes in the key',
    arguments: [
      { name: 'key', type: 'string' },
    ],
  },
  'cluster|links': {
    summary: 'Lists the bus links to and from peer nodes.',
    since: '7.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of Cluster nodes',
  },
  'cluster|meet': {
    summary: 'Makes this node handshake with another node.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    history: [['4.0.0', 'Added the optional `cluster_bus_port` argument.']],
    arguments: [
      { name: 'ip', type: 'string' },
      { name: 'port', type: 'integer' },
      { name: 'cluster_bus_port', type: 'integer', optional: true, since: '4.0.0' },
    ],
  },
  'cluster|myid': {
    summary: "Returns this node's id.",
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  'cluster|nodes': {
    summary: 'Describes the cluster configuration as this node sees it.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of Cluster nodes',
  },
  'cluster|replicas': {
    summary: 'Lists the replicas of a master node.',
    since: '5.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    arguments: [
      { name: 'node-id', type: 'string' },
    ],
  },
  'cluster|replicate': {
    summary: 'Makes this node a replica of a master node.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    arguments: [
      { name: 'node-id', type: 'string' },
    ],
  },
  'cluster|reset': {
    summary: 'Resets this cluster node.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.',
    arguments: [
      { name: 'hard_soft', type: 'oneof', optional: true, arguments: [{ name: 'hard', type: 'pure-token', token: 'HARD' }, { name: 'soft', type: 'pure-token', token: 'SOFT' }] },
    ],
  },
  'cluster|saveconfig': {
    summary: 'Writes the cluster configuration to disk.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  'cluster|set-config-epoch': {
    summary: "Sets a new node's config epoch.",
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    arguments: [
      { name: 'config-epoch', type: 'integer' },
    ],
  },
  'cluster|setslot': {
    summary: 'Binds a hash slot to a node, or marks it migrating or importing.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    arguments: [
      { name: 'slot', type: 'integer' },
      { name: 'subcommand', type: 'oneof', arguments: [{ name: 'node-id', type: 'string', token: 'IMPORTING' }, { name: 'node-id', type: 'string', token: 'MIGRATING' }, { name: 'node-id', type: 'string', token: 'NODE' }, { name: 'stable', type: 'pure-token', token: 'STABLE' }] },
    ],
  },
  'cluster|shards': {
    summary: 'Maps slot ranges to shards and their nodes.',
    since: '7.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of cluster nodes',
  },
  'cluster|slaves': {
    summary: 'Lists the replicas of a master node.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
    docFlags: ['deprecated'],
    deprecatedSince: '5.0.0',
    replacedBy: '`CLUSTER REPLICAS`',
    arguments: [
      { name: 'node-id', type: 'string' },
    ],
  },
  'cluster|slots': {
    summary: 'Maps slot ranges to nodes.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(N) where N is the total number of Cluster nodes',
    history: [['4.0.0', 'Added node IDs.'], ['7.0.0', 'Added additional networking metadata field.']],
    docFlags: ['deprecated'],
    deprecatedSince: '7.0.0',
    replacedBy: '`CLUSTER SHARDS`',
  },
  asking: {
    summary: 'Lets the next command reach a slot being imported.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  readonly: {
    summary: 'Lets this connection read from replica nodes.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
  readwrite: {
    summary: 'Ends READONLY for this connection.',
    since: '3.0.0',
    group: 'cluster',
    complexity: 'O(1)',
  },
};
