import { describe, expect, it } from 'vitest';
import { runLuaScript } from 'tributary';
import { waitFor } from 'tributary/testing';
import { DeliveryScheduled, PackageCreated } from '@tributary/contracts';
import { scheduledEventId, statusEventId } from '../src/handlers/status-events.ts';
import { createDeliveryStore } from '../src/store/deliveries.ts';
import { watchdogDefaults } from '../src/handlers/watchdog.ts';
import { deliveryKeys, fleetShard, SCHEDULED_TTL_SECONDS } from '../src/store/keys.ts';
import { createDeliveryScript } from '../src/store/scripts.ts';
import { DROPOFF, PICKUP, useDelivery } from './harness.ts';

const env = useDelivery();

describe('PackageCreated -> delivery', () => {
  it('creates the delivery CREATED and announces it once, under derived ids', async () => {
    await env.start();
    const { event, deliveryId } = env.packageCreated();
    await env.packages.publishEnvelopes([event]);
    const events = await waitFor(async () => {
      const all = await env.events();
      return all.length >= 2 ? all : null;
    });
    const delivery = await env.get(deliveryId);
    expect(delivery).toMatchObject({
      deliveryId, packageId: event.data.packageId, orderId: event.data.orderId, status: 'CREATED', seq: -1,
      droneId: null, position: null, reason: null, pickup: PICKUP, dropoff: DROPOFF,
    });
    expect(delivery?.steps.map((step) => step.status)).toEqual(['CREATED']);

    expect(events.map((published) => [published.type, published.id])).toEqual([
      ['DeliveryScheduled', scheduledEventId(deliveryId)],
      ['DeliveryStatusChanged', statusEventId(deliveryId, 'CREATED')],
    ]);
    expect(events[0]?.data).toEqual({ deliveryId, packageId: event.data.packageId, orderId: event.data.orderId, pickup: PICKUP, dropoff: DROPOFF });
    expect(events[1]?.data).toEqual({ deliveryId, packageId: event.data.packageId, orderId: event.data.orderId, status: 'CREATED', at: delivery?.createdAt });
    // Traced back to the package.
    expect(events.every((published) => published.causationId === event.id && published.correlationId === event.correlationId)).toBe(true);
    // Queued for a drone, and in the watchdog's deadline index at creation + the wait limit.
    expect(Number(await env.store.sendCommand(['ZSCORE', deliveryKeys.due(fleetShard(deliveryId)), deliveryId]))).toBe((delivery?.heardAtMs as number) + watchdogDefaults.waitingTimeoutMs);
    expect(Number(await env.store.sendCommand(['ZSCORE', deliveryKeys.waiting(fleetShard(deliveryId)), deliveryId]))).toBe(delivery?.heardAtMs);
  });

  it('keeps the scheduled marker for the handled-marker retention it was given (HANDLED_MARKER_RETENTION_MS), not a fixed week', async () => {
    const defaults = await env.start();
    const week = await env.createDelivery();
    expect(await env.store.ttl(deliveryKeys.scheduled(week))).toBeGreaterThan(3_600);
    await env.stop(defaults);
    await env.start({ handledTtlSeconds: 300 });
    const configured = await env.createDelivery();
    const ttl = await env.store.ttl(deliveryKeys.scheduled(configured));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    expect(SCHEDULED_TTL_SECONDS).toBeGreaterThan(3_600);
  });

  it('a repeated PackageCreated (same event twice, or a replay) creates and announces nothing more', async () => {
    await env.start();
    const { event, deliveryId } = env.packageCreated();
    await env.packages.publishEnvelopes([event]);
    await waitFor(() => env.get(deliveryId));
    const first = await env.get(deliveryId);
    // A later reading moved it on; the duplicate must not reset it.
    await env.fly([env.reading(deliveryId, 0, 'PICKED_UP')]);
    await env.packages.publishEnvelopes([event, { ...event, id: 'replayed-with-a-new-id' }]);
    await env.consumed(PackageCreated.stream);

    const delivery = await env.get(deliveryId);
    expect(delivery?.status).toBe('PICKED_UP');
    expect(delivery?.createdAt).toBe(first?.createdAt);
    const types = (await env.events()).map((published) => published.type === 'DeliveryScheduled' ? 'scheduled' : (published.data as { status: string }).status);
    expect(types).toEqual(['scheduled', 'CREATED', 'PICKED_UP']);
  });

  it('a crash between the script and the publish: the redelivered entry publishes the announcement', async () => {
    const { event, deliveryId } = env.packageCreated();
    // A previous instance read the entry, ran the script and died before publishing.
    await env.packages.publishEnvelopes([event]);
    await env.bus.sendCommand(['XGROUP', 'CREATE', PackageCreated.stream, 'delivery', '0', 'MKSTREAM']);
    await env.bus.sendCommand(['XREADGROUP', 'GROUP', 'delivery', 'crashed-instance', 'COUNT', '10', 'STREAMS', PackageCreated.stream, '>']);
    const created = await createDeliveryStore(env.store).create(
      { deliveryId, packageId: event.data.packageId, orderId: event.data.orderId, pickup: PICKUP, dropoff: DROPOFF },
      new Date(),
    );
    expect(created.outcome).toBe('created');
    expect(await env.events()).toEqual([]);

    await env.start({ consumer: { claimIdleMs: 200, backoffMaxMs: 100 } });
    const events = await waitFor(async () => {
      const all = await env.events();
      return all.length >= 2 ? all : null;
    });
    expect(events.map((published) => published.id)).toEqual([scheduledEventId(deliveryId), statusEventId(deliveryId, 'CREATED')]);
    await env.consumed(PackageCreated.stream);
    expect(await env.events()).toHaveLength(2);
  });

  it('does not schedule a package again once its delivery expired', async () => {
    await env.start();
    const { event, deliveryId } = env.packageCreated();
    await env.packages.publishEnvelopes([event]);
    await waitFor(() => env.get(deliveryId));
    await env.store.sendCommand(['DEL', deliveryKeys.delivery(deliveryId)]);
    await env.packages.publishEnvelopes([{ ...event, id: 'replayed-after-expiry' }]);
    await env.consumed(PackageCreated.stream);
    expect(await env.get(deliveryId)).toBeNull();
    expect((await env.events()).filter((published) => published.type === DeliveryScheduled.type)).toHaveLength(1);
  });

  it('the creation script rejects malformed arguments before writing', async () => {
    const store = createDeliveryStore(env.store);
    await expect(store.create({ deliveryId: 'd-1', packageId: 'p', orderId: 'o', pickup: { lat: Number.NaN, lon: 0 }, dropoff: DROPOFF }, new Date()))
      .rejects.toThrow(/BAD_ARGUMENTS/);
    await expect(runLuaScript(env.store, createDeliveryScript, [deliveryKeys.delivery('d-1'), deliveryKeys.scheduled('d-1')], ['d-1', 'p', 'o', 1, 1, 1, 1, '', 1, 1]))
      .rejects.toThrow(/BAD_ARGUMENTS/);
    expect(await env.get('d-1')).toBeNull();
  });
});
