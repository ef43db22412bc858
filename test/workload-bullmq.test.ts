// BullMQ, unmodified, on Redoubt: its Lua scripts (cmsgpack, cjson), blocking pops, streams and
// keyspace layout have to behave as on Redis for a Queue, a Worker and QueueEvents to run plain,
// delayed, prioritised, retried and failing jobs, report progress and keep the counts right.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowProducer, Queue, QueueEvents, Worker, type Job, type JobsOptions } from 'bullmq';
import type { RunningServer } from './helpers/servers.js';
import { startTarget, targetName, waitFor } from './helpers/workload-target.js';

describe(`BullMQ on ${targetName}`, { timeout: 30000 }, () => {
  let server: RunningServer;
  const closers: (() => Promise<unknown>)[] = [];
  before(async () => {
    server = await startTarget();
  });
  after(async () => {
    // Workers first, so none is blocked on a queue that is already closed.
    for (const close of closers.reverse()) await close();
    await server.stop();
  });

  const connection = () => ({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null });

  function queue(name: string): Queue {
    const q = new Queue(name, { connection: connection() });
    closers.push(() => q.close());
    return q;
  }

  interface WorkerOpts {
    concurrency?: number;
    autorun?: boolean;
    limiter?: { max: number; duration: number };
  }

  /** A worker running `process` (plain or async: a throw fails the job either way). */
  function worker<T, R>(name: string, process: (job: Job<T, R>) => R | Promise<R>, opts: WorkerOpts = {}): Worker<T, R> {
    const w = new Worker<T, R>(name, async (job) => await process(job), {
      connection: connection(),
      concurrency: opts.concurrency ?? 1,
      autorun: opts.autorun ?? true,
      drainDelay: 1,
      ...(opts.limiter ? { limiter: opts.limiter } : {}),
    });
    closers.push(() => w.close());
    return w;
  }

  async function events(name: string): Promise<QueueEvents> {
    const qe = new QueueEvents(name, { connection: connection() });
    closers.push(() => qe.close());
    await qe.waitUntilReady();
    return qe;
  }

  test('plain jobs are processed and their return values stored', async () => {
    const q = queue('plain');
    const done: string[] = [];
    const w = worker<{ n: number }, number>('plain', (job) => job.data.n * 2);
    w.on('completed', (job) => done.push(job.id!));
    const jobs = await q.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'double', data: { n } })));
    assert.ok(await waitFor(() => done.length === 5), `completed ${done.length} of 5`);
    for (const [i, added] of jobs.entries()) {
      const job = await q.getJob(added.id!);
      assert.ok(job);
      assert.equal(job.returnvalue, (i + 1) * 2);
      assert.equal(job.name, 'double');
      assert.equal(await job.getState(), 'completed');
      assert.ok(job.finishedOn! >= job.processedOn!);
    }
    const counts = await q.getJobCounts('completed', 'waiting', 'active', 'failed', 'delayed');
    assert.deepEqual(counts, { completed: 5, waiting: 0, active: 0, failed: 0, delayed: 0 });
  });

  test('a delayed job waits for its delay before it runs', async () => {
    const q = queue('delayed');
    let ranAt = 0;
    worker('delayed', () => {
      ranAt = Date.now();
      return 'late';
    });
    const addedAt = Date.now();
    const job = await q.add('later', {}, { delay: 600 });
    assert.equal(await job.getState(), 'delayed');
    assert.equal((await q.getJobCounts('delayed'))['delayed'], 1);
    assert.ok(await waitFor(() => ranAt > 0, 5000));
    assert.ok(ranAt - addedAt >= 600, `ran ${ranAt - addedAt} ms after being added`);
    assert.ok(ranAt - addedAt < 3000, `ran ${ranAt - addedAt} ms after being added`);
    assert.ok(await waitFor(async () => (await job.getState()) === 'completed'));
  });

  test('with concurrency 1, waiting jobs run in priority order', async () => {
    const q = queue('prio');
    const order: number[] = [];
    const w = worker<{ p: number }, undefined>(
      'prio',
      (job) => {
        order.push(job.data.p);
        return undefined;
      },
      { autorun: false },
    );
    for (const p of [5, 1, 4, 2, 3]) await q.add('p', { p }, { priority: p });
    assert.equal((await q.getJobCounts('prioritized'))['prioritized'], 5);
    void w.run();
    assert.ok(await waitFor(() => order.length === 5));
    assert.deepEqual(order, [1, 2, 3, 4, 5]);
  });

  test('a job failing twice succeeds on its third attempt after backoff', async () => {
    const q = queue('retry');
    const tries: number[] = [];
    worker('retry', () => {
      tries.push(Date.now());
      if (tries.length < 3) throw new Error(`flaky ${tries.length}`);
      return 'third time lucky';
    });
    const opts: JobsOptions = { attempts: 3, backoff: { type: 'fixed', delay: 100 } };
    const added = await q.add('flaky', {}, opts);
    assert.ok(await waitFor(async () => (await added.getState()) === 'completed', 8000));
    const job = (await q.getJob(added.id!))!;
    assert.equal(tries.length, 3);
    assert.equal(job.attemptsMade, 3);
    assert.equal(job.returnvalue, 'third time lucky');
    assert.ok(tries[1]! - tries[0]! >= 100 && tries[2]! - tries[1]! >= 100, `backoff gaps ${tries[1]! - tries[0]!}, ${tries[2]! - tries[1]!}`);
  });

  test('a job that always fails ends in the failed set with its reason', async () => {
    const q = queue('doomed');
    let calls = 0;
    worker('doomed', () => {
      calls++;
      throw new Error('boom');
    });
    const added = await q.add('bad', { x: 1 }, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    assert.ok(await waitFor(async () => (await added.getState()) === 'failed', 8000));
    const failed = await q.getFailed();
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.id, added.id);
    assert.equal(failed[0]!.failedReason, 'boom');
    assert.equal(failed[0]!.attemptsMade, 2);
    assert.equal(failed[0]!.stacktrace?.length, 2);
    assert.equal(calls, 2);
    assert.deepEqual(await q.getJobCounts('failed', 'completed', 'waiting'), { failed: 1, completed: 0, waiting: 0 });
  });

  test('progress and completion reach QueueEvents', async () => {
    const q = queue('progress');
    const qe = await events('progress');
    const progress: unknown[] = [];
    qe.on('progress', ({ data }) => progress.push(data));
    worker('progress', async (job) => {
      await job.updateProgress(50);
      await job.updateProgress({ step: 'two', pct: 100 });
      return { ok: true };
    });
    const job = await q.add('report', {});
    const result: unknown = await job.waitUntilFinished(qe, 5000);
    assert.deepEqual(result, { ok: true });
    assert.ok(await waitFor(() => progress.length === 2));
    assert.deepEqual(progress, [50, { step: 'two', pct: 100 }]);
    assert.deepEqual((await q.getJob(job.id!))!.progress, { step: 'two', pct: 100 });
  });

  test('removeOnComplete drops finished jobs, or keeps only the newest few', async () => {
    const q = queue('tidy');
    let finished = 0;
    const w = worker('tidy', () => 'x');
    w.on('completed', () => finished++);
    const gone = await q.add('gone', {}, { removeOnComplete: true });
    assert.ok(await waitFor(() => finished === 1));
    assert.equal(await q.getJob(gone.id!), undefined);
    const kept = await q.addBulk([1, 2, 3, 4, 5].map((i) => ({ name: `k${i}`, data: {}, opts: { removeOnComplete: { count: 2 } } })));
    assert.ok(await waitFor(() => finished === 6));
    assert.equal(await q.getCompletedCount(), 2);
    const names = (await q.getCompleted()).map((j) => j.name).sort();
    assert.deepEqual(names, ['k4', 'k5']);
    assert.equal(kept.length, 5);
  });

  test('a flow runs its children before the parent, which sees their results', async () => {
    const flows = new FlowProducer({ connection: connection() });
    closers.push(() => flows.close());
    queue('flow');
    const order: string[] = [];
    worker<{ n?: number }, unknown>('flow', async (job) => {
      order.push(job.name);
      if (job.name !== 'sum') return job.data.n;
      const values = Object.values(await job.getChildrenValues<number>());
      return values.reduce((a, b) => a + b, 0);
    });
    const tree = await flows.add({
      name: 'sum',
      queueName: 'flow',
      children: [1, 2, 3].map((n) => ({ name: `child${n}`, queueName: 'flow', data: { n } })),
    });
    assert.equal(await tree.job.getState(), 'waiting-children');
    assert.ok(await waitFor(async () => (await tree.job.getState()) === 'completed'));
    assert.equal(order.at(-1), 'sum');
    assert.equal(order.length, 4);
    assert.equal((await flows.getFlow({ id: tree.job.id!, queueName: 'flow' })).job.returnvalue, 6);
  });

  test('a job scheduler produces a job every interval', async () => {
    const q = queue('sched');
    const runs: number[] = [];
    worker('sched', () => {
      runs.push(Date.now());
    });
    await q.upsertJobScheduler('tick', { every: 200 }, { name: 'tick', data: {} });
    assert.equal((await q.getJobSchedulers()).length, 1);
    assert.ok(await waitFor(() => runs.length >= 3, 5000), `runs ${runs.length}`);
    assert.ok(runs[2]! - runs[0]! >= 300, `three runs within ${runs[2]! - runs[0]!} ms`);
    assert.equal(await q.removeJobScheduler('tick'), true);
    assert.equal((await q.getJobSchedulers()).length, 0);
  });

  test("a worker's rate limit spaces jobs out", async () => {
    const q = queue('limited');
    const runs: number[] = [];
    worker(
      'limited',
      () => {
        runs.push(Date.now());
      },
      { concurrency: 4, limiter: { max: 2, duration: 400 } },
    );
    await q.addBulk([1, 2, 3, 4, 5, 6].map((i) => ({ name: `j${i}`, data: {} })));
    assert.ok(await waitFor(() => runs.length === 6, 8000), `ran ${runs.length}`);
    // Six jobs at two per 400 ms need at least two full windows after the first.
    assert.ok(runs[5]! - runs[0]! >= 750, `six jobs in ${runs[5]! - runs[0]!} ms`);
  });

  test('pause holds jobs, resume releases them; logs, clean and obliterate', async () => {
    const q = queue('ops');
    const ran: string[] = [];
    worker('ops', async (job) => {
      await job.log(`ran ${job.name}`);
      ran.push(job.name);
    });
    await q.pause();
    assert.equal(await q.isPaused(), true);
    await q.add('a', {});
    await q.add('b', {});
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(ran, []);
    assert.equal(await q.getWaitingCount(), 2);
    await q.resume();
    assert.ok(await waitFor(() => ran.length === 2));
    const [first] = await q.getCompleted();
    assert.ok(first);
    const logs = await q.getJobLogs(first.id!);
    assert.deepEqual(logs, { logs: [`ran ${first.name}`], count: 1 });
    const cleaned = await q.clean(0, 10, 'completed');
    assert.equal(cleaned.length, 2);
    assert.equal(await q.getCompletedCount(), 0);
    await q.add('c', {}, { delay: 60000 });
    await q.obliterate({ force: true });
    assert.deepEqual(await q.getJobCounts('delayed', 'completed', 'waiting'), { delayed: 0, completed: 0, waiting: 0 });
  });
});
