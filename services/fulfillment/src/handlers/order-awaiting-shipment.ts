import type { Handler, Publisher } from 'tributary';
import { OrderShipped, ShipmentFailed, type OrderAwaitingShipment } from '@tributary/contracts';
import { mergeLines, physicalLines } from '../domain/shipping.ts';
import type { StockStore } from '../store/stock-store.ts';

/** Thrown so the consumer retries with backoff: the product's ProductCreated may not have arrived yet. */
export class UnknownProductError extends Error {
  constructor(readonly productIds: string[]) {
    super(`unknown product(s) ${productIds.join(', ')}: not created yet, will retry`);
    this.name = 'UnknownProductError';
  }
}

/**
 * decode → rules + stock (stock-store.ts) → emit. The outcome is stored with the
 * dedup marker, so a redelivery after a crash between the script and the
 * publish gets the same outcome back and re-publishes the same event under
 * the same derived id (consumers deduplicate it).
 */
export function orderAwaitingShipmentHandler(deps: {
  store: StockStore;
  publisher: Publisher;
  group: string;
}): Handler<typeof OrderAwaitingShipment> {
  return async (event) => {
    const { orderId, userId, country, items } = event.data;
    const lines = mergeLines(items);
    const reply = await deps.store.shipOrder(deps.group, event.id, { country, lines });
    if (reply.outcome === 'UNKNOWN_PRODUCT') throw new UnknownProductError(reply.productIds);
    if (reply.outcome === 'SHIPPED') {
      // userId lets mailing address the e-book without asking ordering; the lists are left out when empty.
      const digital = reply.digitalProductIds.length > 0 ? { digitalProductIds: reply.digitalProductIds } : {};
      const parcel = physicalLines(lines, reply.digitalProductIds);
      const physical = parcel.length > 0 ? { physicalItems: parcel } : {};
      // Where package sends the parcel; orders paid before ordering sent addresses have none.
      const shipTo = { country, address: event.data.address ?? null };
      await deps.publisher.publish(OrderShipped, { orderId, userId, ...digital, ...physical, shipTo }, { causedBy: event });
    } else {
      await deps.publisher.publish(ShipmentFailed, { orderId, reason: reply.outcome, productIds: reply.productIds }, { causedBy: event });
    }
  };
}
