import { defineEvent, Type } from 'tributary';
import { Id } from './common.ts';
import { DeliveryStatusSchema } from './delivery.ts';

/**
 * Delivery-history holds the finished delivery as its system of record:
 * delivery may now let its short-lived copy expire.
 */
export const DeliveryRecorded = defineEvent({
  source: 'delivery-history',
  type: 'DeliveryRecorded',
  version: 1,
  schema: Type.Object({ deliveryId: Id, status: DeliveryStatusSchema }),
});

export const deliveryHistoryEvents = [DeliveryRecorded] as const;
