import type { BatchHandler, Envelope, EventData, Handler, Publisher } from 'tributary';
import type { PubSubPublisher } from 'tributary/pubsub';
import type { Logger } from 'tributary/service';
import { DronePositions, type DroneTelemetry } from '@tributary/contracts';
import type { ApplyResult, DeliveryStore } from '../store/deliveries.ts';
import type { FleetStore } from '../store/fleet.ts';
import type { Snapshot } from '../store/replies.ts';
import { markSent, publishSteps, type UnsentStep } from './status-events.ts';

type Telemetry = Envelope<EventData<typeof DroneTelemetry>>;
export type ReadingOutcome = ApplyResult['outcome'];

export interface TelemetryDeps {
  deliveries: DeliveryStore;
  fleet: FleetStore;
  publisher: Publisher;
  positions: PubSubPublisher;
  logger: Logger;
  count?: (outcome: ReadingOutcome) => void;
}

export interface TelemetryHandlers {
  /** For `consumer.onBatch`: every reading of one read, pipelined. */
  batch: BatchHandler<typeof DroneTelemetry>;
  /** For `consumer.on`: one reading per call (what pipelining is compared with). */
  single: Handler<typeof DroneTelemetry>;
}

/**
 * apply (one script call per reading, all issued in one tick so node-redis
 * sends them as one pipeline) -> publish the steps not yet sent -> mark them
 * sent and update the fleet indexes (one more pipeline) -> live positions
 * (the newest per delivery of the read).
 *
 * Idempotent per reading: the script drops a reading that is not newer, and
 * a step is published until it is marked sent, under one derived id, so a
 * crash anywhere in here is repaired by the redelivery.
 */
export function telemetryHandlers(deps: TelemetryDeps): TelemetryHandlers {
  const count = deps.count ?? (() => undefined);

  async function handle(events: Telemetry[]): Promise<void> {
    const nowMs = Date.now();
    const results = await Promise.all(events.map((event) => deps.deliveries.applyReading(event.data, nowMs)));

    const unsent: UnsentStep[] = [];
    // Replies come back in the order the calls ran, so the last one per delivery is its newest state.
    const latest = new Map<string, Snapshot>();
    results.forEach((result, index) => {
      count(result.outcome);
      if (result.outcome === 'unknown') return;
      const event = events[index] as Telemetry;
      const { deliveryId, droneId, position } = event.data;
      latest.set(deliveryId, result.snapshot);
      // The first reply that lists a step is the reading that reached it (or the first to see it unsent).
      // CREATED goes out with DeliveryScheduled, from PackageCreated (its redelivery repairs a crash):
      // the drone may answer DeliveryScheduled before that handler marked it sent.
      for (const step of result.unsent) {
        if (step.status !== 'CREATED') unsent.push({ deliveryId, state: result.snapshot, step, details: { droneId, position }, causedBy: event });
      }
    });
    const sent = await publishSteps(deps.publisher, unsent);
    await Promise.all([
      ...markSent(deps.deliveries, sent),
      ...[...latest].map(([deliveryId, state]) => deps.fleet.sync(deliveryId, state)),
    ]);

    // Fire and forget, the newest applied reading per delivery of this read: the
    // channel's contract is that a missed position is replaced by the next one,
    // and the ones in between are superseded within the same read.
    const newest = new Map<string, { event: Telemetry; status: Snapshot['status'] }>();
    results.forEach((result, index) => {
      if (result.outcome === 'applied') newest.set((events[index] as Telemetry).data.deliveryId, { event: events[index] as Telemetry, status: result.snapshot.status });
    });
    for (const { event, status } of newest.values()) {
      const { deliveryId, droneId, position, batteryPct, at } = event.data;
      deps.positions
        .publish(DronePositions, { droneId, deliveryId, status, position, batteryPct, at })
        .catch((error: unknown) => deps.logger.debug({ err: error }, 'drone position not published'));
    }
  }

  return {
    batch: (events) => handle(events),
    single: (event) => handle([event]),
  };
}
