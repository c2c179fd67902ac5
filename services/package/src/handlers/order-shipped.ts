import { PackageCreated, type OrderShipped } from '@tributary/contracts';
import type { Emitted, SqlEventHandler } from 'tributary/sql';
import { buildPackage } from '../domain/build-package.ts';
import { insertPackage } from '../store/packages-store.ts';
import type { PackageContext } from './context.ts';

/**
 * A shipped order with physical items becomes one package. It runs in the
 * transaction of its batch (the kit's batched SQL handlers), where the
 * "handled" marker, the document and PackageCreated (in the outbox) commit
 * together, so a crash leaves all or nothing. A redelivery finds the marker;
 * the same order shipped again under another event id (a replay) finds the
 * package, whose id is derived from the order: either way nothing more is
 * written or published. A missing userId (MissingUserError) fails every
 * attempt and ends in the dead-letter stream, where an operator sees it; its
 * neighbours in the batch are not held back.
 */
export function orderShippedHandler(ctx: PackageContext): SqlEventHandler<typeof OrderShipped> {
  return async (tx, { event }): Promise<Emitted> => {
    const doc = buildPackage(event.data, ctx.warehouse);
    if (doc === null) {
      ctx.logger.debug({ orderId: event.data.orderId, eventId: event.id }, 'nothing physical shipped: no package');
      return;
    }
    // Built (and validated) before writing: a document the contract refuses writes nothing.
    const created = ctx.publisher.envelope(PackageCreated, doc, { causedBy: event });
    if (await insertPackage(tx, doc)) return created;
    ctx.logger.debug({ orderId: doc.orderId, packageId: doc.packageId, eventId: event.id }, 'package already made');
    return;
  };
}
