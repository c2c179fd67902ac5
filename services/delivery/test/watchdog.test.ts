import { describe, expect, it } from 'vitest';
import { createPublisher } from 'tributary';
import { createLogger } from 'tributary/service';
import { waitFor } from 'tributary/testing';
import { createSilenceWatchdog } from '../src/handlers/watchdog.ts';
import { createDeliveryStore } from '../src/store/deliveries.ts';
import { createFleetStore } from '../src/store/fleet.ts';
import { deliveryKeys, FLEET_SHARDS, fleetShard, SERVICE } from '../src/store/keys.ts';
import { DROPOFF, useDelivery } from './harness.ts';

const env = useDelivery();
const TIMEOUT_MS = 60_000;
/** For tests that run a watchdog of their own beside the service: the service's never runs, and both compute the same deadlines. */
const SAME_LIMITS = { timeoutMs: TIMEOUT_MS, waitingTimeoutMs: TIMEOUT_MS, startDelayMs: 3_600_000 };

describe('silence watchdog', () => {
  it('running on its own, fails a silent delivery with DRONE_LOST; a DELIVERED arriving later changes nothing', async () => {
    await env.start({ watchdog: { timeoutMs: 300, intervalMs: 50, startDelayMs: 0 } });
    const deliveryId = await env.createDelivery();
    await env.fly([env.reading(deliveryId, 0, 'TO_PICKUP')]);
    const failed = await waitFor(async () => {
      const delivery = await env.get(deliveryId);
      return delivery?.status === 'FAILED' ? delivery : null;
    }, { description: 'delivery failed by the watchdog' });
    expect(failed.reason).toBe('DRONE_LOST');
    expect(failed.steps.map((step) => step.status)).toEqual(['CREATED', 'FAILED']);

    await env.fly([env.reading(deliveryId, 1, 'PICKED_UP'), env.reading(deliveryId, 2, 'DELIVERED', { position: DROPOFF })]);
    expect(await env.get(deliveryId)).toEqual(failed);
    // Status events are published at least once under a deterministic id (the watchdog and a late
    // reading may both send an unmarked step) and consumers deduplicate by id: count distinct ids.
    const events = await env.statusEvents(deliveryId);
    const distinct = [...new Map(events.map((event) => [event.id, event])).values()];
    expect(distinct.map((event) => [event.data.status, event.data.reason ?? null])).toEqual([['CREATED', null], ['FAILED', 'DRONE_LOST']]);
    expect(await env.store.sendCommand(['ZSCORE', deliveryKeys.due(fleetShard(deliveryId)), deliveryId])).toBeNull();
  });

  it('judges by the last reading heard: quiet for less than the timeout is fine, more is DRONE_LOST', async () => {
    const service = await env.start({ watchdog: { timeoutMs: TIMEOUT_MS } });
    const deliveryId = await env.createDelivery();
    await env.fly([env.reading(deliveryId, 0, 'PICKED_UP'), env.reading(deliveryId, 1, 'IN_TRANSIT')]);
    const heardAt = (await env.get(deliveryId))?.heardAtMs as number;

    expect((await service.watchdog.runOnce(heardAt + TIMEOUT_MS - 1)).failed).toBe(0);
    expect((await env.get(deliveryId))?.status).toBe('IN_TRANSIT');
    expect((await service.watchdog.runOnce(heardAt + TIMEOUT_MS)).failed).toBe(1);
    const delivery = await env.get(deliveryId);
    expect(delivery).toMatchObject({ status: 'FAILED', reason: 'DRONE_LOST', droneId: 'drone-7' });
    const failed = (await env.statusEvents(deliveryId)).filter((event) => event.data.status === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data).toMatchObject({ reason: 'DRONE_LOST', droneId: 'drone-7', position: delivery?.position });
    expect(await env.store.sendCommand(['GEOPOS', deliveryKeys.drones(fleetShard(deliveryId)), deliveryId])).toEqual([null]);
  });

  it('a reading applied after the watchdog listed the delivery wins: the script checks again', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    const store = createDeliveryStore(env.store);
    const createdAt = (await env.get(deliveryId))?.heardAtMs as number;
    // Listed as silent at a cutoff after its creation, but heard from (reading applied) before the verdict.
    await store.applyReading(env.reading(deliveryId, 0, 'PICKED_UP'), createdAt + 10_000);
    const verdict = await store.failIfSilent(deliveryId, createdAt + 5_000, new Date(createdAt + 5_000 + TIMEOUT_MS), 'DRONE_LOST');
    expect(verdict.outcome).toBe('heard');
    expect((await env.get(deliveryId))?.status).toBe('PICKED_UP');
  });

  it('several instances judging at once fail each delivery once, under one event id', async () => {
    const watchdog = { timeoutMs: TIMEOUT_MS, waitingTimeoutMs: TIMEOUT_MS };
    const [a, b] = [await env.start({ watchdog }), await env.start({ watchdog })];
    const ids = [await env.createDelivery(), await env.createDelivery(), await env.createDelivery()];
    const later = Date.now() + TIMEOUT_MS + 1_000;
    const [failedByA, failedByB] = await Promise.all([a.watchdog.runOnce(later), b.watchdog.runOnce(later)]);
    expect(failedByA.failed + failedByB.failed).toBe(3);
    // The claim hands each delivery to one instance.
    expect(failedByA.judged + failedByB.judged).toBe(3);
    for (const deliveryId of ids) {
      // The instance that lost the race may publish the same event again before the winner marks it
      // sent: the same id and content, which consumers deduplicate.
      const failed = (await env.statusEvents(deliveryId)).filter((event) => event.data.status === 'FAILED');
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(new Set(failed.map((event) => event.id)).size).toBe(1);
      expect(new Set(failed.map((event) => JSON.stringify(event.data))).size).toBe(1);
    }
  });

  it('repairs a crash: a delivery finished but never announced nor taken off the index is announced and removed', async () => {
    await env.start({ watchdog: SAME_LIMITS });
    const deliveryId = await env.createDelivery();
    // A telemetry handler applied DELIVERED and died before publishing and before the fleet update.
    await createDeliveryStore(env.store).applyReading(env.reading(deliveryId, 3, 'DELIVERED', { position: DROPOFF }), Date.now());
    expect(Number(await env.store.sendCommand(['ZSCORE', deliveryKeys.due(fleetShard(deliveryId)), deliveryId]))).toBeGreaterThan(0);

    const watchdog = createSilenceWatchdog({
      deliveries: createDeliveryStore(env.store),
      fleet: createFleetStore(env.store, { silenceTimeoutMs: TIMEOUT_MS, droneWaitTimeoutMs: TIMEOUT_MS }),
      publisher: createPublisher({ redis: env.bus, service: SERVICE }),
      logger: createLogger('delivery', 'silent'),
      options: { timeoutMs: TIMEOUT_MS, waitingTimeoutMs: TIMEOUT_MS, intervalMs: TIMEOUT_MS, batchSize: 2, leaseMs: TIMEOUT_MS },
    });
    expect((await watchdog.runOnce(Date.now() + TIMEOUT_MS)).failed).toBe(0);
    expect((await env.get(deliveryId))?.status).toBe('DELIVERED');
    expect((await env.statusEvents(deliveryId)).map((event) => event.data.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);
    expect(await env.store.sendCommand(['ZSCORE', deliveryKeys.due(fleetShard(deliveryId)), deliveryId])).toBeNull();
    // Nothing left to repair: a second round publishes nothing more.
    await watchdog.runOnce(Date.now() + TIMEOUT_MS);
    expect(await env.statusEvents(deliveryId)).toHaveLength(4);
  });

  it('judges at most one batch per run and carries on in the next, and forgets deliveries that are gone', async () => {
    await env.start({ watchdog: SAME_LIMITS });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await env.createDelivery());
    await env.store.sendCommand(['DEL', deliveryKeys.delivery(ids[0] as string)]);
    const watchdog = createSilenceWatchdog({
      deliveries: createDeliveryStore(env.store),
      fleet: createFleetStore(env.store, { silenceTimeoutMs: TIMEOUT_MS, droneWaitTimeoutMs: TIMEOUT_MS }),
      publisher: createPublisher({ redis: env.bus, service: SERVICE }),
      logger: createLogger('delivery', 'silent'),
      options: { timeoutMs: TIMEOUT_MS, waitingTimeoutMs: TIMEOUT_MS, intervalMs: TIMEOUT_MS, batchSize: 2, leaseMs: TIMEOUT_MS },
    });
    const later = Date.now() + TIMEOUT_MS;
    const runs = [await watchdog.runOnce(later), await watchdog.runOnce(later), await watchdog.runOnce(later), await watchdog.runOnce(later)];
    expect(runs.map((run) => run.judged)).toEqual([2, 2, 1, 0]);
    expect(runs.reduce((sum, run) => sum + run.failed, 0)).toBe(4);
    for (let shard = 0; shard < FLEET_SHARDS; shard++) expect(Number(await env.store.sendCommand(['ZCARD', deliveryKeys.due(shard)]))).toBe(0);
    await watchdog.close();
  });

  it('a delivery waiting for a free drone is not silent; past the waiting timeout it fails with NO_DRONE_AVAILABLE', async () => {
    const service = await env.start({ watchdog: { timeoutMs: TIMEOUT_MS, waitingTimeoutMs: 10 * TIMEOUT_MS } });
    const deliveryId = await env.createDelivery();
    const createdAt = (await env.get(deliveryId))?.heardAtMs as number;
    expect((await service.watchdog.runOnce(createdAt + 2 * TIMEOUT_MS)).failed).toBe(0);
    expect((await env.get(deliveryId))?.status).toBe('CREATED');
    expect((await service.watchdog.runOnce(createdAt + 10 * TIMEOUT_MS)).failed).toBe(1);
    expect(await env.get(deliveryId)).toMatchObject({ status: 'FAILED', reason: 'NO_DRONE_AVAILABLE' });
  });
});
