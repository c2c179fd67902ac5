import { PackageCreated, type OrderShipped } from '@tributary/contracts';
import type { Handler } from 'tributary';
import { markHandled } from 'tributary/sql';
import { buildPackage } from '../domain/build-package.ts';
import { insertPackage } from '../store/packages-store.ts';
import { GROUP, type PackageContext } from './context.ts';

type Outcome = 'created' | 'duplicate' | 'exists';

/**
 * A shipped order with physical items becomes one package. The "handled"
 * marker, the document and PackageCreated (in the outbox) commit together,
 * so a crash leaves all or nothing. A redelivery finds the marker; the same
 * order shipped again under another event id (a replay) finds the package,
 * whose id is derived from the order: either way nothing more is written or
 * published. A missing userId (MissingUserError) fails every attempt and ends
 * in the dead-letter stream, where an operator sees it.
 */
export function orderShippedHandler(ctx: PackageContext): Handler<typeof OrderShipped> {
  return async (event) => {
    const doc = buildPackage(event.data, ctx.warehouse);
    if (doc === null) {
      ctx.logger.debug({ orderId: event.data.orderId, eventId: event.id }, 'nothing physical shipped: no package');
      return;
    }
    // Built (and validated) before the transaction: a document the contract refuses writes nothing.
    const created = ctx.publisher.envelope(PackageCreated, doc, { causedBy: event });
    const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
      if (!(await markHandled(tx, GROUP, event.id))) return 'duplicate';
      if (!(await insertPackage(tx, doc))) return 'exists';
      await ctx.outbox.add(tx, created);
      return 'created';
    });
    if (outcome === 'created') ctx.outbox.nudge();
    else ctx.logger.debug({ orderId: doc.orderId, packageId: doc.packageId, eventId: event.id, outcome }, 'package already made');
  };
}
