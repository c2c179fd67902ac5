import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.ts';
import { useRedis } from '../streams/test-fixtures/harness.ts';
import { createQueue } from './queue.ts';
import { createWorker, type Worker } from './worker.ts';
import { TestJob } from './test-fixtures/jobs.ts';

const t = useRedis();
const fixture = fileURLToPath(new URL('./test-fixtures/hanging-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
const workers: Worker[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(workers.splice(0).map((worker) => worker.close()));
});

describe('a worker killed mid-item', () => {
  it('its item is recovered by the sweep once its heartbeat expires, and another worker completes it', async () => {
    const name = `test:killed-${randomBytes(4).toString('hex')}`;
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    const doneKey = `${name}:done`;
    for (let n = 1; n <= 5; n++) await queue.push({ n, label: `job ${n}` }, { id: `job-${n}` });

    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, REDIS_URL: t.server.url, QUEUE: name, WORKER_ID: 'doomed', HEARTBEAT_TTL_MS: '600', DONE_KEY: doneKey, HANG_AT: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`child exited early (${child.exitCode}): ${output}`);
      return (await t.redis.exists(`${doneKey}:hanging`)) === 1;
    }, { timeoutMs: 20_000, description: 'the child worker hangs on job 3' });
    expect((await t.redis.sMembers(doneKey)).sort()).toEqual(['1', '2']);
    expect(await t.redis.get(`${doneKey}:hanging`)).toBe('job-3');
    // The item is in the child's processing list and nowhere else.
    expect(await t.redis.lRange(queue.keys.processing('doomed'), 0, -1)).toEqual(['job-3']);
    expect(await t.redis.lRange(queue.keys.pending, 0, -1)).toEqual(['job-5', 'job-4']);

    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');

    // Sweep until the dead worker's heartbeat has expired and its item moved.
    const moved = await waitFor(async () => {
      const count = await queue.sweep();
      return count > 0 ? count : null;
    }, { timeoutMs: 10_000, description: 'the sweep recovers job-3' });
    expect(moved).toBe(1);
    expect(await t.redis.exists(queue.keys.processing('doomed'))).toBe(0);
    expect(await t.redis.sIsMember(queue.keys.workers, 'doomed')).toBe(0);
    // Recovered items go to the taking end: job-3 is next.
    expect(await t.redis.lRange(queue.keys.pending, 0, -1)).toEqual(['job-5', 'job-4', 'job-3']);

    const attempts = new Map<number, number>();
    const rescuer = createWorker({
      queue,
      workerId: 'rescuer',
      blockMs: 50,
      sweepIntervalMs: 0,
      handler: async (job, context) => {
        attempts.set(job.n, context.attempt);
        await t.redis.sAdd(doneKey, String(job.n));
      },
    });
    workers.push(rescuer);
    await rescuer.start();
    await waitFor(async () => (await t.redis.sCard(doneKey)) === 5, { description: 'all five jobs done' });
    expect((await t.redis.sMembers(doneKey)).sort()).toEqual(['1', '2', '3', '4', '5']);
    // The dead worker's take of job 3 counts as an attempt.
    expect(attempts.get(3)).toBe(2);
    expect(attempts.get(4)).toBe(1);
    expect(attempts.has(1)).toBe(false);
    await waitFor(async () => (await queue.counts()).processing === 0, { description: 'nothing in hand' });
    expect(await queue.counts()).toEqual({ pending: 0, processing: 0, delayed: 0, dead: 0, workers: 1 });
  });

  it('a worker restarted under the same id takes back what its previous run left in hand', async () => {
    const name = `test:restart-${randomBytes(4).toString('hex')}`;
    const queue = createQueue({ redis: t.redis, name, schema: TestJob });
    await queue.push({ n: 1, label: 'x' }, { id: 'job-1' });
    // What a SIGKILLed worker leaves behind once its heartbeat is gone.
    await t.redis.lMove(queue.keys.pending, queue.keys.processing('w-1'), 'RIGHT', 'LEFT');
    await t.redis.sAdd(queue.keys.workers, 'w-1');
    const handled: number[] = [];
    const worker = createWorker({ queue, workerId: 'w-1', blockMs: 50, sweepIntervalMs: 0, handler: async (job) => { handled.push(job.n); } });
    workers.push(worker);
    await worker.start();
    await waitFor(() => handled.length === 1, { description: 'job-1 handled by the restarted worker' });
    expect(handled).toEqual([1]);
  });
});
