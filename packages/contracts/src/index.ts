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

/**
 * Streams kept whole: they carry the lifecycle of users and products, from
 * which other services build (and rebuild, from the first entry) their
 * copies: mailing's recipients, ordering's customers and prices,
 * fulfillment's stock. Trimming them would make a rebuild, or a service
 * added later, miss every user or product older than the retention.
 */
export const UNTRIMMED_STREAMS: readonly string[] = ['accounts:events', 'catalog:events'];

/**
 * The streams a service publishes to (its own) that its trimmer keeps short
 * (see the kit's startOwnStreamTrimmer): every one but UNTRIMMED_STREAMS.
 */
export function trimmedStreamsOf(service: string): string[] {
  const own = allEvents.filter((definition) => definition.source === service).map((definition) => definition.stream);
  return [...new Set(own)].filter((stream) => !UNTRIMMED_STREAMS.includes(stream)).sort();
}

/** Every pub/sub channel (fire and forget, for live views), for the AsyncAPI document. */
export const allChannels = [DronePositions];
