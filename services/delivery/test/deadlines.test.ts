import { describe, expect, it } from 'vitest';
import { createDeliveryStore } from '../src/store/deliveries.ts';
import { deliveryKeys, fleetShard } from '../src/store/keys.ts';
import { useDelivery } from './harness.ts';

/**
 * The watchdog's deadline index: a delivery is judged when its deadline
 * passes, once, and then moves on; a run takes a bounded number and the next
 * run carries on. Runs are driven with explicit clocks (`runOnce(nowMs)`), so
 * nothing here depends on how fast the machine is.
 */
const env = useDelivery();
const SILENCE_MS = 60_000;
const WAIT_MS = 600_000;
const watchdog = { timeoutMs: SILENCE_MS, waitingTimeoutMs: WAIT_MS, batchSize: 2, leaseMs: 30_000 };

const judgedByMetrics = async (service: Awaited<ReturnType<typeof env.start>>) => {
  const text = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((candidate) => candidate.startsWith('tributary_periodic_items_total{') && candidate.includes('job="delivery-watchdog"'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
};

describe('the watchdog judges by deadline', () => {
  it('a delivery far back in the queue (behind more than a run\'s worth) fails with NO_DRONE_AVAILABLE once its wait is over', async () => {
    const service = await env.start({ watchdog });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await env.createDelivery());
    const last = ids.at(-1) as string;
    const lastCreated = (await env.get(last))?.heardAtMs as number;
    expect((await service.app.inject({ method: 'GET', url: '/deliveries/queue' })).json()).toMatchObject({ waiting: 7, waitLimitSeconds: WAIT_MS / 1_000 });

    // Just before the last one's wait is over: the six before it fail, two per run, and it keeps waiting.
    const before = lastCreated + WAIT_MS - 1;
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await service.watchdog.runOnce(before));
    expect(runs.map((run) => run.judged)).toEqual([2, 2, 2, 0]);
    expect((await env.get(last))?.status).toBe('CREATED');

    const after = await service.watchdog.runOnce(lastCreated + WAIT_MS);
    expect(after).toEqual({ due: 1, judged: 1, failed: 1 });
    for (const deliveryId of ids) expect(await env.get(deliveryId)).toMatchObject({ status: 'FAILED', reason: 'NO_DRONE_AVAILABLE' });
    const failed = (await env.statusEvents(last)).filter((event) => event.data.status === 'FAILED');
    expect(failed.map((event) => event.data.reason)).toEqual(['NO_DRONE_AVAILABLE']);
    expect((await service.app.inject({ method: 'GET', url: '/deliveries/queue' })).json()).toMatchObject({ waiting: 0, oldestWaitSeconds: null });
  });

  it('a waiting delivery is judged once per deadline, not once per run', async () => {
    const service = await env.start({ watchdog });
    const deliveryId = await env.createDelivery();
    const createdAt = (await env.get(deliveryId))?.heardAtMs as number;

    // Twenty runs while it waits within its limit: none looks at it.
    for (let i = 0; i < 20; i++) {
      expect(await service.watchdog.runOnce(createdAt + i * (WAIT_MS / 20))).toEqual({ due: 0, judged: 0, failed: 0 });
    }
    expect(await judgedByMetrics(service)).toBe(0);

    // Its index entry missed a reading (a crash between the delivery's script and the index's): at the
    // old deadline it is judged once, found heard from, and moved to its next deadline.
    const heardAt = createdAt + WAIT_MS - 1_000;
    await createDeliveryStore(env.store).applyReading(env.reading(deliveryId, 0, 'TO_PICKUP'), heardAt);
    expect(await service.watchdog.runOnce(createdAt + WAIT_MS)).toEqual({ due: 1, judged: 1, failed: 0 });
    expect(Number(await env.store.sendCommand(['ZSCORE', deliveryKeys.due(fleetShard(deliveryId)), deliveryId]))).toBe(heardAt + SILENCE_MS);
    for (let i = 0; i < 10; i++) expect((await service.watchdog.runOnce(heardAt + SILENCE_MS - 1)).judged).toBe(0);

    // At that deadline: judged once more, and lost.
    expect(await service.watchdog.runOnce(heardAt + SILENCE_MS)).toEqual({ due: 1, judged: 1, failed: 1 });
    expect(await env.get(deliveryId)).toMatchObject({ status: 'FAILED', reason: 'DRONE_LOST' });
    for (let i = 0; i < 5; i++) expect((await service.watchdog.runOnce(heardAt + 10 * SILENCE_MS)).judged).toBe(0);
    expect(await judgedByMetrics(service)).toBe(2);
  });
});
