import type { OrderShipped, PackageCreated } from '@tributary/contracts';
import { deriveEventId, type EventData } from 'tributary';
import { dropoffFor, dropoffKey, type GeoPoint } from './dropoff.ts';
import { describeParcel } from './parcel.ts';

/** A package document: exactly PackageCreated's data, stored as is in `packages.doc`. */
export type PackageDoc = EventData<typeof PackageCreated>;

/** Fulfillment always names the user of a shipped order; without one there is nobody to deliver to. */
export class MissingUserError extends Error {
  constructor(orderId: string) {
    super(`OrderShipped for order ${orderId} has physical items but no userId: cannot make a package`);
    this.name = 'MissingUserError';
  }
}

/**
 * The package an OrderShipped makes, or null when nothing physical ships
 * (an all-digital order, or an entry written before fulfillment listed the
 * physical items). Deterministic: a redelivery builds the same document under
 * the same id.
 */
export function buildPackage(shipped: EventData<typeof OrderShipped>, warehouse: GeoPoint): PackageDoc | null {
  const items = shipped.physicalItems ?? [];
  if (items.length === 0) return null;
  if (shipped.userId === undefined) throw new MissingUserError(shipped.orderId);
  const parcel = describeParcel(items, shipped.shipTo?.country ?? null);
  return {
    packageId: deriveEventId(shipped.orderId, 'package'),
    orderId: shipped.orderId,
    userId: shipped.userId,
    ...parcel,
    items: items.map(({ productId, quantity }) => ({ productId, quantity })),
    pickup: { lat: warehouse.lat, lon: warehouse.lon },
    dropoff: dropoffFor(warehouse, dropoffKey(shipped.shipTo, shipped.userId)),
  };
}
