import { describe, expect, it } from 'vitest';
import { type ChannelMessage, createPubSubSubscriber } from 'tributary/pubsub';
import { waitFor } from 'tributary/testing';
import { DronePositions, DroneTelemetry } from '@tributary/contracts';
import { statusEventId } from '../src/handlers/status-events.ts';
import { createDeliveryStore } from '../src/store/deliveries.ts';
import { deliveryKeys, fleetShard } from '../src/store/keys.ts';
import { DROPOFF, useDelivery, type Reading } from './harness.ts';

const env = useDelivery();

/** TO_PICKUP x3, PICKED_UP x2, IN_TRANSIT x5, DELIVERED: seq 0..10. */
function flight(deliveryId: string): Reading[] {
  const phases = ['TO_PICKUP', 'TO_PICKUP', 'TO_PICKUP', 'PICKED_UP', 'PICKED_UP', ...Array(5).fill('IN_TRANSIT'), 'DELIVERED'] as const;
  return phases.map((phase, seq) => env.reading(deliveryId, seq, phase, phase === 'DELIVERED' ? { position: DROPOFF, speedMps: 0 } : {}));
}

describe('drone telemetry -> delivery status', () => {
  it('a full flight: PICKED_UP, IN_TRANSIT, DELIVERED, one DeliveryStatusChanged each, in order', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    const readings = flight(deliveryId);
    await env.fly(readings);

    const delivery = await env.get(deliveryId);
    expect(delivery).toMatchObject({ status: 'DELIVERED', seq: 10, droneId: 'drone-7', position: DROPOFF, reason: null });
    expect(delivery?.steps).toEqual([
      { status: 'CREATED', at: delivery?.createdAt },
      { status: 'PICKED_UP', at: readings[3]?.at },
      { status: 'IN_TRANSIT', at: readings[5]?.at },
      { status: 'DELIVERED', at: readings[10]?.at },
    ]);
    const events = await env.statusEvents(deliveryId);
    expect(events.map((event) => [event.data.status, event.id])).toEqual(
      (['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED'] as const).map((status) => [status, statusEventId(deliveryId, status)]),
    );
    expect(events[1]?.data).toMatchObject({ droneId: 'drone-7', position: readings[3]?.position, at: readings[3]?.at });
    // Finished: off the map and out of the watchdog's index.
    expect(await env.store.sendCommand(['ZSCORE', deliveryKeys.due(fleetShard(deliveryId)), deliveryId])).toBeNull();
    expect(await env.store.sendCommand(['ZSCORE', deliveryKeys.waiting(fleetShard(deliveryId)), deliveryId])).toBeNull();
    expect(await env.store.sendCommand(['GEOPOS', deliveryKeys.drones(fleetShard(deliveryId)), deliveryId])).toEqual([null]);
  });

  it('a skipped step is filled in at the time of the reading that skipped it', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    const jump = env.reading(deliveryId, 4, 'IN_TRANSIT');
    await env.fly([env.reading(deliveryId, 0, 'TO_PICKUP'), jump]);
    const delivery = await env.get(deliveryId);
    expect(delivery?.steps.slice(1)).toEqual([{ status: 'PICKED_UP', at: jump.at }, { status: 'IN_TRANSIT', at: jump.at }]);
    expect((await env.statusEvents(deliveryId)).map((event) => event.data.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT']);
  });

  it('FAILED from the drone carries its reason and is terminal', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    await env.fly([env.reading(deliveryId, 0, 'PICKED_UP'), env.reading(deliveryId, 1, 'FAILED', { failure: 'BATTERY_DEPLETED', batteryPct: 0 })]);
    await env.fly([env.reading(deliveryId, 2, 'DELIVERED')]);
    const delivery = await env.get(deliveryId);
    expect(delivery).toMatchObject({ status: 'FAILED', reason: 'BATTERY_DEPLETED', seq: 1 });
    const failed = (await env.statusEvents(deliveryId)).filter((event) => event.data.status === 'FAILED');
    expect(failed.map((event) => event.data.reason)).toEqual(['BATTERY_DEPLETED']);
    expect((await env.statusEvents(deliveryId)).some((event) => event.data.status === 'DELIVERED')).toBe(false);
  });

  it('a reading for a delivery it does not know is dropped, not retried', async () => {
    const service = await env.start();
    await env.fly([env.reading('no-such-delivery', 0, 'IN_TRANSIT')]);
    expect(await env.get('no-such-delivery')).toBeNull();
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/delivery_telemetry_readings_total\{outcome="unknown"[^}]*\} 1/);
  });

  it('publishes live positions on DronePositions: the newest applied reading per delivery of each read', async () => {
    await env.start();
    const deliveryId = await env.createDelivery();
    const received: Array<ChannelMessage<typeof DronePositions>> = [];
    const subscriber = createPubSubSubscriber({ redis: env.bus });
    await subscriber.subscribe(DronePositions, (message) => { received.push(message); });
    await subscriber.start();
    try {
      const r = [0, 1, 2, 3, 4].map((seq) => env.reading(deliveryId, seq, seq === 0 ? 'TO_PICKUP' : 'PICKED_UP'));
      await env.fly([r[0] as Reading]);
      await waitFor(() => received.length >= 1);
      // A repeated reading is not applied, so not published; of 3 and 4 (one read) only 4 is.
      await env.fly([r[1] as Reading, r[1] as Reading]);
      await waitFor(() => received.length >= 2);
      await env.fly([r[4] as Reading, r[3] as Reading, r[2] as Reading]);
      await waitFor(() => received.length >= 3);
      const message = (reading: Reading, status: string) => ({ droneId: 'drone-7', deliveryId, status, position: reading.position, batteryPct: reading.batteryPct, at: reading.at });
      expect(received).toEqual([message(r[0] as Reading, 'CREATED'), message(r[1] as Reading, 'PICKED_UP'), message(r[4] as Reading, 'PICKED_UP')]);
    } finally {
      await subscriber.close();
    }
  });

  it('a crash after applying a reading: the redelivery publishes the step it reached', async () => {
    const first = await env.start();
    const deliveryId = await env.createDelivery();
    await env.stop(first);
    // Stand in for an instance that read two readings, applied them and died before publishing.
    const readings = [env.reading(deliveryId, 0, 'PICKED_UP'), env.reading(deliveryId, 1, 'IN_TRANSIT')];
    await env.drones.publishEnvelopes(readings.map((reading) => env.drones.envelope(DroneTelemetry, reading)));
    await env.bus.sendCommand(['XREADGROUP', 'GROUP', 'delivery', 'crashed-instance', 'COUNT', '10', 'STREAMS', DroneTelemetry.stream, '>']);
    const store = createDeliveryStore(env.store);
    for (const reading of readings) expect((await store.applyReading(reading, Date.now())).outcome).toBe('applied');
    expect((await env.statusEvents(deliveryId)).map((event) => event.data.status)).toEqual(['CREATED']);

    await env.start({ consumer: { claimIdleMs: 200, backoffMaxMs: 100 } });
    await waitFor(async () => (await env.statusEvents(deliveryId)).length === 3, { description: 'steps published by the redelivery' });
    await env.consumed(DroneTelemetry.stream);
    expect((await env.statusEvents(deliveryId)).map((event) => [event.data.status, event.data.at])).toEqual([
      ['CREATED', (await env.get(deliveryId))?.createdAt],
      ['PICKED_UP', readings[0]?.at],
      ['IN_TRANSIT', readings[1]?.at],
    ]);
  });
});
