// Every family's table, in the order COMMAND lists them. A new family file adds one line here.

import type { CommandSpec } from './spec.js';
import { connectionCommands } from './connection.js';
import { stringCommands } from './string.js';
import { bitmapCommands } from './bitmap.js';
import { keyspaceCommands } from './keyspace.js';
import { serverCommands } from './server.js';
import { memoryCommands } from './memory.js';
import { clientCommands } from './client.js';
import { commandCommands } from './command.js';
import { configCommands } from './config.js';
import { hashCommands } from './hash.js';
import { hashTtlCommands } from './hash-ttl.js';
import { setCommands } from './set.js';
import { zsetCommands } from './zset.js';
import { zsetBlockingCommands } from './zset-blocking.js';
import { listCommands } from './list.js';
import { listBlockingCommands } from './list-blocking.js';
import { debugCommands } from './debug.js';
import { moduleCommands } from './module.js';
import { aclCommands } from './acl.js';
import { streamCommands } from './stream.js';
import { streamReadCommands } from './stream-read.js';
import { streamGroupCommands } from './stream-group.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { geoCommands } from './geo.js';
import { dumpCommands } from './dump.js';
import { sortCommands } from './sort.js';
import { transactionCommands } from './transaction.js';
import { pubsubCommands } from './pubsub.js';
import { scriptingCommands } from './scripting.js';
import { functionCommands } from './function.js';
import { persistenceCommands } from './persistence.js';
import { aofCommands } from './aof.js';
import { clusterCommands } from './cluster.js';
import { migrateCommands } from './migrate.js';
import { replicationCommands } from './replication.js';

export const familyTables: readonly (readonly CommandSpec[])[] = [
  connectionCommands,
  stringCommands,
  bitmapCommands,
  keyspaceCommands,
  serverCommands,
  memoryCommands,
  persistenceCommands,
  clientCommands,
  commandCommands,
  configCommands,
  hashCommands,
  hashTtlCommands,
  setCommands,
  zsetCommands,
  zsetBlockingCommands,
  listCommands,
  listBlockingCommands,
  debugCommands,
  moduleCommands,
  aclCommands,
  streamCommands,
  streamReadCommands,
  streamGroupCommands,
  hyperloglogCommands,
  geoCommands,
  dumpCommands,
  sortCommands,
  transactionCommands,
  pubsubCommands,
  scriptingCommands,
  functionCommands,
  aofCommands,
  clusterCommands,
  migrateCommands,
  replicationCommands,
];
