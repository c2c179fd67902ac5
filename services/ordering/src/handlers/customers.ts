import type { UserProfileChanged, UserRegistered } from '@tributary/contracts';
import type { SqlEventHandler, SqlExecutor } from 'tributary/sql';
import { parseStreamPosition, saveCustomerAddress, saveCustomerName } from '../store/customers-store.ts';

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
 * profile changes, written in the batch's transaction with its "handled" markers.
 */
async function copyCustomer(tx: SqlExecutor, entryId: string, userId: string, fields: CustomerFields): Promise<void> {
  if (fields.name === undefined && fields.address === undefined) return;
  const at = parseStreamPosition(entryId);
  if (fields.name !== undefined) await saveCustomerName(tx, userId, fields.name, at);
  if (fields.address !== undefined) await saveCustomerAddress(tx, userId, fields.address, at);
}

/** Registrations written before addresses existed have no `address`: the copy's address stays unknown. */
export function userRegisteredHandler(): SqlEventHandler<typeof UserRegistered> {
  return (tx, { event, entryId }) => copyCustomer(tx, entryId, event.data.userId, { name: event.data.name, address: event.data.address });
}

/** A change of email or country only is none of ordering's business. */
export function userProfileChangedHandler(): SqlEventHandler<typeof UserProfileChanged> {
  return (tx, { event, entryId }) =>
    copyCustomer(tx, entryId, event.data.userId, { name: event.data.changes.name, address: event.data.changes.address });
}
