import type { Handler } from 'tributary';
import type { DeliveryRecorded } from '@tributary/contracts';
import type { Logger } from 'tributary/service';
import type { DeliveryStore } from '../store/deliveries.ts';

/**
 * History is now the system of record for this delivery: our copy may go,
 * after `retentionSeconds` so customers polling right now still get it. A
 * delivery never recorded (history down) keeps its copy until it is.
 */
export function deliveryRecordedHandler(deps: { deliveries: DeliveryStore; retentionSeconds: number; logger: Logger }): Handler<typeof DeliveryRecorded> {
  return async (event) => {
    const outcome = await deps.deliveries.expire(event.data.deliveryId, deps.retentionSeconds);
    if (outcome === 'in-flight') {
      // History only records finished deliveries: a copy still in flight is newer than what it recorded.
      deps.logger.warn({ deliveryId: event.data.deliveryId, recorded: event.data.status }, 'DeliveryRecorded for a delivery still in flight; copy kept');
    }
  };
}
