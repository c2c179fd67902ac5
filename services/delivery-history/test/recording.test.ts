import { DeliveryRecorded, DeliveryStatusChanged } from '@tributary/contracts';
import { describe, expect, it } from 'vitest';
import { deriveEventId } from 'tributary';
import { readEnvelopes, testDatabases, waitFor } from 'tributary/testing';
import { count, newTrip, stepEvent, tripEvents, useDeliveryHistory, waitUntilConsumed, type Harness } from './harness.ts';

const RECORDED_STREAM = DeliveryRecorded.stream;

/** Every DeliveryRecorded, once the outbox has nothing left to publish. */
async function recordedEvents(h: Harness) {
  await waitUntilConsumed(h.bus);
  await waitFor(async () => (await count(h.db, 'SELECT 1 FROM tributary_outbox')) === 0, { description: 'outbox drained' });
  return (await readEnvelopes(h.bus, RECORDED_STREAM)).filter((event) => event.type === DeliveryRecorded.type);
}

describe.each(testDatabases())('delivery-history records deliveries on $kind', (entry) => {
  const t = useDeliveryHistory(entry);

  it('records the steps, completes the record on DELIVERED and announces it once, however often events are redelivered', async () => {
    const h = await t.setup();
    const trip = newTrip();
    const events = tripEvents(h.delivery, trip, '2024-03-01T10:00:00.000Z', 1_500, 'DELIVERED');
    // Each entry twice (same event id), and the terminal step again under another id (a re-publish by a restarted delivery).
    const again = h.delivery.envelope(DeliveryStatusChanged, { ...trip, status: 'DELIVERED', at: '2024-03-01T10:30:00.000Z' });
    await h.delivery.publishEnvelopes([...events, ...events, again]);

    const recorded = await recordedEvents(h);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      id: deriveEventId(trip.deliveryId, 'DeliveryRecorded'),
      source: 'delivery-history',
      data: { deliveryId: trip.deliveryId, status: 'DELIVERED' },
    });
    expect(await count(h.db, 'SELECT 1 FROM delivery_steps WHERE delivery_id = $1', [trip.deliveryId])).toBe(4);
    expect(await count(h.db, 'SELECT 1 FROM deliveries')).toBe(1);

    const response = await h.history.app.inject({ method: 'GET', url: `/deliveries/${trip.deliveryId}/history` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      ...trip,
      status: 'DELIVERED',
      reason: null,
      steps: [
        { status: 'CREATED', at: '2024-03-01T10:00:00.000Z' },
        { status: 'PICKED_UP', at: '2024-03-01T10:01:00.000Z' },
        { status: 'IN_TRANSIT', at: '2024-03-01T10:02:00.000Z' },
        { status: 'DELIVERED', at: '2024-03-01T10:25:00.000Z' },
      ],
      startedAt: '2024-03-01T10:00:00.000Z',
      finishedAt: '2024-03-01T10:25:00.000Z',
      durationSeconds: 1_500,
      source: 'lookup',
    });
  });

  it('completes the record when CREATED arrives after the terminal step, with the failure reason and normalised instants', async () => {
    const h = await t.setup();
    const trip = newTrip();
    await h.delivery.publishEnvelopes([
      stepEvent(h.delivery, trip, { status: 'FAILED', at: '2024-03-02T12:10:00.250+02:00', reason: 'BATTERY_DEPLETED' }),
    ]);
    await waitUntilConsumed(h.bus);
    expect(await count(h.db, 'SELECT 1 FROM deliveries')).toBe(0);

    await h.delivery.publishEnvelopes([stepEvent(h.delivery, trip, { status: 'CREATED', at: '2024-03-02T10:00:00Z' })]);
    const recorded = await recordedEvents(h);
    expect(recorded.map((event) => event.data)).toEqual([{ deliveryId: trip.deliveryId, status: 'FAILED' }]);
    const history = (await h.history.app.inject({ method: 'GET', url: `/deliveries/${trip.deliveryId}/history` })).json();
    expect(history).toMatchObject({
      status: 'FAILED',
      reason: 'BATTERY_DEPLETED',
      startedAt: '2024-03-02T10:00:00.000Z',
      finishedAt: '2024-03-02T10:10:00.250Z',
      durationSeconds: 600.25,
      steps: [
        { status: 'CREATED', at: '2024-03-02T10:00:00.000Z' },
        { status: 'FAILED', at: '2024-03-02T10:10:00.250Z' },
      ],
    });
  });

  it('a step arriving after the record joins it while the record waits for the lake', async () => {
    const h = await t.setup();
    const trip = newTrip();
    const [created, pickedUp, inTransit, delivered] = tripEvents(h.delivery, trip, '2024-03-03T08:00:00.000Z', 900, 'DELIVERED');
    await h.delivery.publishEnvelopes([created!, pickedUp!, delivered!]);
    await recordedEvents(h);
    await h.delivery.publishEnvelopes([inTransit!]);
    await waitUntilConsumed(h.bus);
    const history = (await h.history.app.inject({ method: 'GET', url: `/deliveries/${trip.deliveryId}/history` })).json();
    expect(history.steps.map((step: { status: string }) => step.status)).toEqual(['CREATED', 'PICKED_UP', 'IN_TRANSIT', 'DELIVERED']);
  });

  it('two instances sharing the work record every delivery exactly once', async () => {
    const h = await t.setup();
    await h.startInstance();
    const trips = Array.from({ length: 20 }, () => newTrip());
    // Interleaved: the steps of one delivery are spread over both instances' reads.
    const perTrip = trips.map((trip, i) => tripEvents(h.delivery, trip, `2024-03-04T0${i % 10}:00:00.000Z`, 600 + i, i % 4 === 0 ? 'DRONE_LOST' : 'DELIVERED'));
    for (let step = 0; step < 4; step++) await h.delivery.publishEnvelopes(perTrip.map((events) => events[step]!));

    const recorded = await recordedEvents(h);
    expect(recorded).toHaveLength(trips.length);
    expect(new Set(recorded.map((event) => (event.data as { deliveryId: string }).deliveryId))).toEqual(new Set(trips.map((trip) => trip.deliveryId)));
    expect(await count(h.db, 'SELECT 1 FROM deliveries')).toBe(trips.length);
    expect(await count(h.db, "SELECT 1 FROM deliveries WHERE status = 'FAILED' AND reason = 'DRONE_LOST'")).toBe(5);
  });
});
