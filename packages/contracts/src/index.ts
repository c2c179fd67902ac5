export * from './common.ts';
export * from './catalog.ts';
export * from './accounts.ts';
export * from './ordering.ts';
export * from './fulfillment.ts';
export * from './basket.ts';
export * from './mailing.ts';
export * from './geo.ts';
export * from './package.ts';
export * from './delivery.ts';
export * from './drone-sim.ts';
export * from './delivery-history.ts';
export * from './channels.ts';
export * from './lending.ts';
import { catalogEvents } from './catalog.ts';
import { accountsEvents } from './accounts.ts';
import { orderingEvents } from './ordering.ts';
import { fulfillmentEvents } from './fulfillment.ts';
import { basketEvents } from './basket.ts';
import { mailingEvents } from './mailing.ts';
import { packageEvents } from './package.ts';
import { deliveryEvents } from './delivery.ts';
import { droneSimEvents } from './drone-sim.ts';
import { deliveryHistoryEvents } from './delivery-history.ts';
import { lendingEvents, lendingRequests } from './lending.ts';
import { DronePositions } from './channels.ts';

/** Every published event, for the event catalogue and the dashboard. */
export const allEvents = [...catalogEvents, ...accountsEvents, ...orderingEvents, ...fulfillmentEvents, ...basketEvents, ...mailingEvents, ...packageEvents, ...deliveryEvents, ...droneSimEvents, ...deliveryHistoryEvents, ...lendingRequests, ...lendingEvents];

/** Every pub/sub channel (fire and forget, for live views), for the AsyncAPI document. */
export const allChannels = [DronePositions];
