// WAITAOF counting replicas (Redis 7.2): a replica with appendonly yes sends REPLCONF ACK <offset>
// FACK <offset its AOF has fsynced>, and the primary counts it in WAITAOF's second number.
// Compared with valkey-server 8.0.1 on either side: a Redoubt primary with valkey replicas and a
// valkey primary with Redoubt replicas (each with the AOF on and off), Redoubt with Redoubt, and
// WAITAOF refused on a replica with valkey's error.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedoubt, startValkey, type RunningServer } from './helpers/servers.js';
import { field, fleet } from './helpers/replication.js';
import { until } from './helpers/workload-target.js';

const { track, client, tempDir: tmp } = fleet({ dirPrefix: 'redoubt-waitaof-' });

const aof = (on: boolean, fsync = 'everysec'): string[] => ['--appendonly', on ? 'yes' : 'no', '--appendfsync', fsync, '--dir', tmp()];

type Kind = 'redoubt' | 'valkey';
function start(kind: Kind, args: string[]): Promise<RunningServer> {
  return track(kind === 'redoubt' ? startRedoubt(args) : startValkey(args));
}

/** A primary of `primaryKind` (AOF per `primaryAof`) with one replica of `replicaKind` per entry of `replicaAofs`. */
async function setup(primaryKind: Kind, primaryAof: boolean, replicaKind: Kind, replicaAofs: boolean[]): Promise<{ p: Redis; replicas: Redis[] }> {
  const primary = await start(primaryKind, aof(primaryAof));
  const p = client(primary);
  const replicas: Redis[] = [];
  for (const on of replicaAofs) {
    const r = await start(replicaKind, [...aof(on), '--replicaof', '127.0.0.1', String(primary.port)]);
    replicas.push(client(r));
  }
  await until('the replicas online', async () => ((await p.info('replication')).match(/state=online/g)?.length ?? 0) === replicaAofs.length, 20000);
  return { p, replicas };
}

/**
 * WAITAOF's answers to a write: the first ask waits until it is satisfied; the others, with no
 * write between, then see the same replicas (a replica without the AOF never counts).
 */
async function answers(p: Redis, asks: Array<[number, number, number]>): Promise<unknown[]> {
  await p.set('k', 'v');
  const out: unknown[] = [];
  for (const [local, reps, timeout] of asks) out.push(await p.call('WAITAOF', String(local), String(reps), String(timeout)));
  return out;
}

describe('WAITAOF counts replicas by their FACK', () => {
  test('a Redoubt primary and a valkey primary, each with a valkey replica with the AOF on and one with it off, answer alike', async () => {
    const asks: Array<[number, number, number]> = [[0, 1, 10000], [1, 1, 10000], [0, 2, 300], [1, 2, 300]];
    const ours = await setup('redoubt', true, 'valkey', [true, false]);
    const theirs = await setup('valkey', true, 'valkey', [true, false]);
    const expected = await answers(theirs.p, asks);
    assert.deepEqual(expected, [[1, 1], [1, 1], [1, 1], [1, 1]]);
    assert.deepEqual(await answers(ours.p, asks), expected);
  });

  test('a valkey primary counts Redoubt replicas with the AOF on (everysec and always), not one with it off', async () => {
    const theirs = await setup('valkey', false, 'redoubt', [true, false]);
    const always = await start('redoubt', [...aof(true, 'always'), '--replicaof', '127.0.0.1', String((theirs.p.options.port ?? 0))]);
    await until('three replicas online', async () => ((await theirs.p.info('replication')).match(/state=online/g)?.length ?? 0) === 3, 20000);
    await theirs.p.set('a', '1');
    assert.deepEqual(await theirs.p.call('WAITAOF', '0', '2', '10000'), [0, 2]);
    await theirs.p.set('b', '2');
    assert.deepEqual(await theirs.p.call('WAITAOF', '0', '2', '10000'), [0, 2]);
    assert.deepEqual(await theirs.p.call('WAITAOF', '0', '3', '300'), [0, 2]);
    // The replica's ACK carries FACK only with its AOF on.
    const offset = field(await theirs.p.info('replication'), 'master_repl_offset');
    await until('the replicas to catch up', async () => (await theirs.p.info('replication')).match(new RegExp(`offset=${offset},`, 'g'))?.length === 3, 20000);
    assert.equal(await client(always).get('b'), '2');
  });

  test('a Redoubt primary with Redoubt replicas; a Redoubt primary with the AOF off still counts replicas', async () => {
    const { p } = await setup('redoubt', false, 'redoubt', [true, true, false]);
    await p.set('x', '1');
    assert.deepEqual(await p.call('WAITAOF', '0', '2', '10000'), [0, 2]);
    assert.deepEqual(await p.call('WAITAOF', '0', '3', '300'), [0, 2]);
    await p.set('y', '1');
    // As soon as one has fsynced, with one asked for.
    const [, first] = (await p.call('WAITAOF', '0', '1', '10000')) as [number, number];
    assert.ok(first >= 1);
    assert.deepEqual(await p.call('WAITAOF', '0', '2', '10000'), [0, 2]);
    // Nothing written since: what the replicas fsynced still covers it, at once.
    assert.deepEqual(await p.call('WAITAOF', '0', '2', '0'), [0, 2]);
    await assert.rejects(p.call('WAITAOF', '1', '0', '0'), /^ReplyError: ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled\.$/);
  });

  test('WAITAOF on a replica is refused with valkey\'s error', async () => {
    const ours = await setup('redoubt', false, 'redoubt', [true]);
    const theirs = await setup('valkey', false, 'valkey', [true]);
    const [ourReplica] = ours.replicas;
    const [theirReplica] = theirs.replicas;
    assert.ok(ourReplica !== undefined && theirReplica !== undefined);
    const expected = await theirReplica.call('WAITAOF', '0', '0', '0').then(String, (e: unknown) => (e as Error).message);
    const actual = await ourReplica.call('WAITAOF', '0', '0', '0').then(String, (e: unknown) => (e as Error).message);
    assert.match(expected, /^ERR WAITAOF cannot be used with replica instances/);
    assert.equal(actual, expected);
  });
});
