export * from './common.ts';
export * from './catalog.ts';
export * from './accounts.ts';
export * from './ordering.ts';
export * from './fulfillment.ts';
import { catalogEvents } from './catalog.ts';
import { accountsEvents } from './accounts.ts';
import { orderingEvents } from './ordering.ts';
import { fulfillmentEvents } from './fulfillment.ts';

/** Every published event, for the event catalogue and the dashboard. */
export const allEvents = [...catalogEvents, ...accountsEvents, ...orderingEvents, ...fulfillmentEvents];
