import { deriveEventId, type Handler, type Publisher } from 'tributary';
import { DeliveryScheduled, type PackageCreated } from '@tributary/contracts';
import type { DeliveryStore } from '../store/deliveries.ts';
import type { FleetStore } from '../store/fleet.ts';
import { markSent, publishSteps, scheduledEventId } from './status-events.ts';

/**
 * A package to fly: the delivery is created once (script), then announced
 * (DeliveryScheduled and DeliveryStatusChanged CREATED, derived ids) until
 * the announcement is marked sent. So a crash or a failed publish after the
 * script is repaired by the redelivery (or a replay from the dead letters),
 * and a duplicate PackageCreated publishes nothing.
 */
export function packageCreatedHandler(deps: { deliveries: DeliveryStore; fleet: FleetStore; publisher: Publisher }): Handler<typeof PackageCreated> {
  return async (event) => {
    const { packageId, orderId, pickup, dropoff } = event.data;
    const deliveryId = deriveEventId(packageId, 'delivery');
    const result = await deps.deliveries.create({ deliveryId, packageId, orderId, pickup, dropoff }, new Date());
    if (result.outcome === 'expired') return;
    await deps.fleet.sync(deliveryId, result.snapshot);
    const created = result.unsent.find((step) => step.status === 'CREATED');
    const steps = result.unsent.map((step) => ({ deliveryId, state: result.snapshot, step, causedBy: event }));
    const scheduled = created
      ? [deps.publisher.envelope(DeliveryScheduled, { deliveryId, packageId, orderId, pickup, dropoff }, { id: scheduledEventId(deliveryId), causedBy: event })]
      : [];
    await Promise.all(markSent(deps.deliveries, await publishSteps(deps.publisher, steps, scheduled)));
  };
}
