import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Static } from '@sinclair/typebox';
import { waitFor } from '../testing/wait-for.ts';
import { deferred, useRedis } from '../streams/test-fixtures/harness.ts';
import { PermanentJobError } from './errors.ts';
import { queueKeys } from './keys.ts';
import { createQueue } from './queue.ts';
import { createWorker, type JobHandler, type Worker, type WorkerOptions, type WorkerReport } from './worker.ts';
import { TestJob } from './test-fixtures/jobs.ts';

const t = useRedis();
let workers: Worker[] = [];
afterEach(async () => {
  const closing = workers;
  workers = [];
  await Promise.all(closing.map((worker) => worker.close()));
});

type Job = Static<typeof TestJob>;
const uniqueQueue = () => `test:q-${randomBytes(4).toString('hex')}`;

async function startWorker(
  options: Omit<WorkerOptions<typeof TestJob>, 'queue' | 'handler'> & { name: string; handler: JobHandler<typeof TestJob>; deadLimit?: number },
) {
  const { name, deadLimit, ...rest } = options;
  const queue = createQueue({ redis: t.redis, name, schema: TestJob, ...(deadLimit ? { deadLimit } : {}) });
  const worker = createWorker({ blockMs: 50, backoffBaseMs: 10, backoffMaxMs: 20, ...rest, queue });
  workers.push(worker);
  await worker.start();
  return worker;
}

describe('keys', () => {
  it('every key of a queue shares one hash tag and keeps the caller prefix', () => {
    const keys = queueKeys('mailing:mails');
    const all = [keys.pending, keys.items, keys.attempts, keys.delayed, keys.seen, keys.dead, keys.workers, keys.processing('w1'), keys.heartbeat('w1')];
    for (const key of all) expect(key).toMatch(/^mailing:\{mails\}:/);
    expect(keys.pending).toBe('mailing:{mails}:pending');
    expect(keys.processing('w1')).toBe('mailing:{mails}:processing:w1');
    expect(queueKeys('jobs').pending).toBe('{jobs}:pending');
    expect(queueKeys('a:{b}').pending).toBe('a:{b}:pending');
  });
});

describe('push', () => {
  it('validates the payload and adds nothing when it is invalid', async () => {
    const queue = createQueue({ redis: t.redis, name: uniqueQueue(), schema: TestJob });
    await expect(queue.push({ n: -1, label: 'x' })).rejects.toMatchObject({ code: 'TRIB_INVALID_PAYLOAD' });
    await expect(queue.push({ n: 1 } as unknown as Job)).rejects.toMatchObject({ code: 'TRIB_INVALID_PAYLOAD' });
    expect(await queue.counts()).toMatchObject({ pending: 0 });
  });

  it('is idempotent by id, while queued and after the item was processed', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    expect(await queue.push({ n: 1, label: 'a' }, { id: 'job-1' })).toEqual({ id: 'job-1', added: true });
    expect(await queue.push({ n: 1, label: 'a' }, { id: 'job-1' })).toEqual({ id: 'job-1', added: false });
    expect(await queue.counts()).toMatchObject({ pending: 1 });
    const handled: number[] = [];
    await startWorker({ name, handler: async (job) => { handled.push(job.n); } });
    await waitFor(() => handled.length === 1, { description: 'job-1 handled' });
    await waitFor(async () => (await t.redis.hLen(queueKeys(name).items)) === 0, { description: 'job-1 forgotten' });
    expect(await queue.push({ n: 1, label: 'a' }, { id: 'job-1' })).toEqual({ id: 'job-1', added: false });
    expect(await queue.counts()).toMatchObject({ pending: 0 });
    expect(handled).toEqual([1]);
  });

  it('forgets an id once the dedup window has passed', async () => {
    const queue = createQueue({ redis: t.redis, name: uniqueQueue(), schema: TestJob, dedupWindowMs: 1 });
    expect((await queue.push({ n: 1, label: 'a' }, { id: 'job-1' })).added).toBe(true);
    await t.redis.del(queue.keys.items); // as if processed
    await t.redis.del(queue.keys.pending);
    await waitFor(async () => (await queue.push({ n: 1, label: 'a' }, { id: 'job-1' })).added, { description: 'window passed' });
  });
});

describe('processing', () => {
  it('at least once: two workers process every item, each exactly once when nothing fails, in FIFO order per worker', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    const total = 40;
    for (let n = 1; n <= total; n++) await queue.push({ n, label: `job ${n}` });
    const seen: Array<{ n: number; worker: string }> = [];
    const handler: JobHandler<typeof TestJob> = async (job, context) => { seen.push({ n: job.n, worker: context.workerId }); };
    await startWorker({ name, handler, workerId: 'w-a' });
    await startWorker({ name, handler, workerId: 'w-b' });
    await waitFor(() => seen.length === total, { description: 'every item handled' });
    expect(seen.map((item) => item.n).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const worker of ['w-a', 'w-b']) {
      const mine = seen.filter((item) => item.worker === worker).map((item) => item.n);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    await waitFor(async () => (await queue.counts()).processing === 0, { description: 'nothing in hand' });
    expect(await queue.counts()).toEqual({ pending: 0, processing: 0, delayed: 0, dead: 0, workers: 2 });
    expect(await t.redis.hLen(queue.keys.items)).toBe(0);
    expect(await t.redis.hLen(queue.keys.attempts)).toBe(0);
  });

  it('with concurrency, several items are in hand at once, at most that many, and a failing one does not hold up the rest', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    for (let n = 1; n <= 6; n++) await queue.push({ n, label: `job ${n}` }, { id: `job-${n}` });
    const release = deferred();
    let inHand = 0;
    let mostInHand = 0;
    const done: number[] = [];
    const handler: JobHandler<typeof TestJob> = async (job, context) => {
      inHand++;
      mostInHand = Math.max(mostInHand, inHand);
      try {
        await release.promise;
        if (job.n === 2 && context.attempt === 1) throw new Error('first take of job 2 fails');
        done.push(job.n);
      } finally {
        inHand--;
      }
    };
    await startWorker({ name, handler, concurrency: 3 });
    // Three taken and waiting together: one at a time, the second would never start.
    await waitFor(() => inHand === 3, { description: 'three items in hand at once' });
    expect(await queue.counts()).toMatchObject({ processing: 3, pending: 3 });
    release.resolve();
    await waitFor(() => done.length === 6, { description: 'every item done, job 2 on its retry' });
    expect(mostInHand).toBe(3);
    expect([...done].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    await waitFor(async () => (await queue.counts()).processing === 0, { description: 'nothing in hand' });
    expect(await queue.counts()).toMatchObject({ pending: 0, processing: 0, delayed: 0, dead: 0 });
  });

  it('with a backlog, a worker takes as many items as it has room for in one call instead of blocking for each', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    const total = 30;
    for (let n = 1; n <= total; n++) await queue.push({ n, label: `job ${n}` });
    // An id whose payload is gone (finished elsewhere after a sweep gave it back) is dropped by the take, not handled.
    await t.redis.lPush(queue.keys.pending, 'gone');
    await t.redis.sendCommand(['CONFIG', 'RESETSTAT']);
    const done: number[] = [];
    const reports: WorkerReport[] = [];
    await startWorker({ name, concurrency: 3, onReport: (report) => reports.push(report), handler: async (job) => { done.push(job.n); } });
    await waitFor(() => done.length === total, { description: 'every item handled' });
    const stats = await t.redis.sendCommand<string>(['INFO', 'commandstats']);
    const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    // One blocking take per item would be 30; the worker blocks only once pending is empty (every 50 ms here).
    expect(calls('blmove')).toBeLessThan(10);
    expect(reports).toContainEqual({ kind: 'stale', id: 'gone' });
    await waitFor(async () => (await queue.counts()).processing === 0, { description: 'nothing in hand' });
    expect(await t.redis.hExists(queue.keys.attempts, 'gone')).toBe(0);
    expect(await queue.counts()).toMatchObject({ pending: 0, processing: 0, delayed: 0, dead: 0 });
  });

  it('retries a failing item with backoff and completes it once the handler succeeds', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    await queue.push({ n: 7, label: 'flaky' });
    const attempts: number[] = [];
    const reports: WorkerReport[] = [];
    await startWorker({
      name,
      maxAttempts: 5,
      onReport: (report) => reports.push(report),
      handler: async (_job, context) => {
        attempts.push(context.attempt);
        if (context.attempt < 3) throw new Error(`boom ${context.attempt}`);
      },
    });
    await waitFor(() => reports.some((report) => report.kind === 'completed'), { description: 'completed' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(reports.filter((report) => report.kind === 'retry').map((report) => (report as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(await queue.counts()).toMatchObject({ pending: 0, delayed: 0, dead: 0 });
  });

  it('after maxAttempts failures the item goes to the dead list with the error; replay puts it back', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    const { id } = await queue.push({ n: 9, label: 'poison' });
    let calls = 0;
    let healed = false;
    const done = deferred();
    await startWorker({
      name,
      maxAttempts: 3,
      handler: async (_job, context) => {
        calls++;
        if (!healed) throw new Error(`cannot handle (attempt ${context.attempt})`);
        done.resolve();
      },
    });
    const [dead] = await waitFor(async () => {
      const list = await queue.listDead();
      return list.length === 1 ? list : null;
    }, { description: 'item buried' });
    expect(dead).toMatchObject({ id, error: 'cannot handle (attempt 3)', attempts: 3 });
    expect(JSON.parse(dead!.payload)).toEqual({ n: 9, label: 'poison' });
    expect(calls).toBe(3);
    expect(await queue.counts()).toMatchObject({ pending: 0, delayed: 0, processing: 0, dead: 1 });

    healed = true;
    expect(await queue.replayDead({ ids: [id] })).toBe(1);
    await done.promise;
    expect(calls).toBe(4);
    expect(await queue.counts()).toMatchObject({ dead: 0 });
  });

  it('a payload that does not match the schema goes to the dead list without reaching the handler', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    // As an older producer (or a hand-edit) might have left them.
    await t.redis.hSet(queue.keys.items, { bad1: JSON.stringify({ n: 'one', label: 'x' }), bad2: '{not json' });
    await t.redis.lPush(queue.keys.pending, ['bad1', 'bad2']);
    await queue.push({ n: 3, label: 'good' }, { id: 'good' });
    const handled: number[] = [];
    await startWorker({ name, handler: async (job) => { handled.push(job.n); } });
    const dead = await waitFor(async () => {
      const list = await queue.listDead();
      return list.length === 2 ? list : null;
    }, { description: 'both bad items buried' });
    await waitFor(() => handled.length === 1, { description: 'the good one handled' });
    expect(handled).toEqual([3]);
    const byId = new Map(dead.map((item) => [item.id, item]));
    expect(byId.get('bad1')?.error).toMatch(/^invalid payload: \/n/);
    expect(byId.get('bad1')?.attempts).toBe(1);
    expect(byId.get('bad2')?.error).toMatch(/^payload is not JSON/);
    expect(byId.get('bad2')?.payload).toBe('{not json');
  });

  it('a PermanentJobError buries the item at once', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    await queue.push({ n: 1, label: 'x' });
    let calls = 0;
    await startWorker({ name, maxAttempts: 5, handler: async () => { calls++; throw new PermanentJobError('recipient unknown'); } });
    const [dead] = await waitFor(async () => {
      const list = await queue.listDead();
      return list.length === 1 ? list : null;
    }, { description: 'buried' });
    expect(dead).toMatchObject({ error: 'recipient unknown', attempts: 1 });
    expect(calls).toBe(1);
  });

  it('the dead list is bounded', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob, deadLimit: 3 });
    for (let n = 1; n <= 5; n++) await queue.push({ n, label: 'x' }, { id: `j${n}` });
    await startWorker({ name, deadLimit: 3, handler: async () => { throw new PermanentJobError('no'); } });
    await waitFor(async () => (await queue.counts()).pending === 0 && (await t.redis.hLen(queue.keys.items)) === 0, { description: 'all buried' });
    expect((await queue.listDead()).map((item) => item.id)).toEqual(['j5', 'j4', 'j3']);
  });
});

describe('recovery', () => {
  it('the sweep leaves the items of a live worker alone', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    await queue.push({ n: 1, label: 'slow' }, { id: 'slow' });
    const started = deferred();
    const release = deferred();
    const worker = await startWorker({
      name,
      heartbeatTtlMs: 60_000,
      handler: async () => { started.resolve(); await release.promise; },
    });
    await started.promise;
    expect(await queue.sweep()).toBe(0);
    expect(await t.redis.lRange(queue.keys.processing(worker.id), 0, -1)).toEqual(['slow']);
    expect(await queue.counts()).toMatchObject({ pending: 0, processing: 1 });
    release.resolve();
    await waitFor(async () => (await queue.counts()).processing === 0, { description: 'completed' });
  });

  it('close() lets the item in hand finish, then unregisters the worker', async () => {
    const name = uniqueQueue();
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    await queue.push({ n: 1, label: 'x' });
    const started = deferred();
    const release = deferred();
    let finished = false;
    const worker = await startWorker({ name, handler: async () => { started.resolve(); await release.promise; finished = true; } });
    await started.promise;
    const closed = worker.close();
    release.resolve();
    await closed;
    expect(finished).toBe(true);
    expect(await queue.counts()).toEqual({ pending: 0, processing: 0, delayed: 0, dead: 0, workers: 0 });
    expect(await t.redis.exists(queue.keys.heartbeat(worker.id))).toBe(0);
  });

  it('a worker id held by a live worker is refused', async () => {
    const name = uniqueQueue();
    await startWorker({ name, workerId: 'same', handler: async () => undefined });
    const twin = createWorker({ queue: createQueue({ redis: t.redis, name, schema: TestJob }), workerId: 'same', handler: async () => undefined });
    await expect(twin.start()).rejects.toMatchObject({ code: 'TRIB_INVALID_CONFIG' });
  });
});
