import { PackageCreated, type OrderShipped } from '@tributary/contracts';
import type { Envelope } from 'tributary';
import type { SqlEventsHandler } from 'tributary/sql';
import { buildPackage, type PackageDoc } from '../domain/build-package.ts';
import { insertPackages } from '../store/packages-store.ts';
import type { PackageContext } from './context.ts';

/**
 * Shipped orders with physical items become one package each. They run in
 * the transaction of their batch (the kit's batched SQL handlers), where the
 * "handled" markers, the documents (one insert for the batch) and
 * PackageCreated (in the outbox) commit together, so a crash leaves all or
 * nothing. A redelivery finds the marker; the same order shipped again under
 * another event id (a replay) finds the package, whose id is derived from the
 * order: either way nothing more is written or published. A missing userId
 * (MissingUserError) fails the batch, which the kit then runs one event per
 * transaction: that event fails every attempt and ends in the dead-letter
 * stream, where an operator sees it; its neighbours are not held back.
 */
export function orderShippedHandler(ctx: PackageContext): SqlEventsHandler<typeof OrderShipped> {
  return async (tx, items): Promise<Envelope[]> => {
    const made: Array<{ doc: PackageDoc; created: Envelope }> = [];
    for (const { event } of items) {
      const doc = buildPackage(event.data, ctx.warehouse);
      if (doc === null) {
        ctx.logger.debug({ orderId: event.data.orderId, eventId: event.id }, 'nothing physical shipped: no package');
        continue;
      }
      // Built (and validated) before writing: a document the contract refuses writes nothing.
      made.push({ doc, created: ctx.publisher.envelope(PackageCreated, doc, { causedBy: event }) });
    }
    const written = await insertPackages(tx, made.map(({ doc }) => doc));
    return made.filter(({ doc, created }) => {
      // Of two documents with one id in this batch, the first was written: its event only.
      if (written.delete(doc.packageId)) return true;
      ctx.logger.debug({ orderId: doc.orderId, packageId: doc.packageId, eventId: created.causationId }, 'package already made');
      return false;
    }).map(({ created }) => created);
  };
}
