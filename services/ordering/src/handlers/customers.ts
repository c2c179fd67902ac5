import type { UserProfileChanged, UserRegistered } from '@tributary/contracts';
import type { Handler } from 'tributary';
import { markHandled } from 'tributary/sql';
import { parseStreamPosition, saveCustomerAddress, saveCustomerName } from '../store/customers-store.ts';
import { GROUP, type OrderingContext } from './context.ts';

/**
 * What ordering copies of a user. `undefined` means "not in this event":
 * that field of the copy is left alone; a null address is a value.
 */
interface CustomerFields {
  name: string | undefined;
  address: string | null | undefined;
}

/**
 * Ordering's copy of who its customers are (the book's "each service keeps
 * the data it needs"): the name (shown on orders) and the address (sent with
 * OrderAwaitingShipment, where the parcel goes), from registration and from
 * profile changes. The "handled" marker commits with the writes.
 */
async function copyCustomer(ctx: OrderingContext, eventId: string, entryId: string, userId: string, fields: CustomerFields): Promise<void> {
  // Nothing ordering keeps, no effect: nothing to deduplicate either.
  if (fields.name === undefined && fields.address === undefined) return;
  const at = parseStreamPosition(entryId);
  await ctx.db.transaction(async (tx) => {
    if (!(await markHandled(tx, GROUP, eventId))) return;
    if (fields.name !== undefined) await saveCustomerName(tx, userId, fields.name, at);
    if (fields.address !== undefined) await saveCustomerAddress(tx, userId, fields.address, at);
  });
}

/** Registrations written before addresses existed have no `address`: the copy's address stays unknown. */
export function userRegisteredHandler(ctx: OrderingContext): Handler<typeof UserRegistered> {
  return (event, context) =>
    copyCustomer(ctx, event.id, context.entryId, event.data.userId, { name: event.data.name, address: event.data.address });
}

/** A change of email or country only is none of ordering's business. */
export function userProfileChangedHandler(ctx: OrderingContext): Handler<typeof UserProfileChanged> {
  return (event, context) =>
    copyCustomer(ctx, event.id, context.entryId, event.data.userId, { name: event.data.changes.name, address: event.data.changes.address });
}
