import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { DeliveryScheduled, DeliveryStatusChanged } from '@tributary/contracts';
import type { Fleet } from '../domain/fleet.ts';
import type { FlightCause } from '../simulator.ts';

/** One line per this long about refused jobs, not one per job: they come at the order rate. */
const REFUSED_LOG_INTERVAL_MS = 10_000;

/**
 * Hands the job to the in-memory fleet; resolving acks it. Once acked, a job
 * lives only in this process: a crash loses the flights in the air and the
 * queue, and delivery's silence watchdog fails those deliveries as
 * DRONE_LOST. That is the intended recovery: the simulator stays stateless.
 * A job refused because the queue is full is dropped the same way: delivery
 * fails it NO_DRONE_AVAILABLE when its wait for a drone runs out.
 */
export function deliveryScheduledHandler(deps: { fleet: Fleet<FlightCause>; logger: Logger; onRefused?: () => void }): Handler<typeof DeliveryScheduled> {
  let refusedSinceLog = 0;
  let lastRefusedLogAt = 0;
  return async (event) => {
    const { data } = event;
    // A reading's cause needs the envelope's ids and trace only, not its data: a job
    // may wait minutes in the queue, tens of thousands of them when deliveries outrun the fleet.
    const cause = { ...event, data: null };
    const outcome = deps.fleet.accept({ deliveryId: data.deliveryId, pickup: data.pickup, dropoff: data.dropoff, cause });
    if (outcome === 'refused') {
      deps.onRefused?.();
      refusedSinceLog++;
      if (Date.now() - lastRefusedLogAt >= REFUSED_LOG_INTERVAL_MS) {
        deps.logger.warn({ refused: refusedSinceLog, lastDeliveryId: data.deliveryId }, 'every drone busy and the queue full: jobs refused (their deliveries fail NO_DRONE_AVAILABLE after the wait)');
        refusedSinceLog = 0;
        lastRefusedLogAt = Date.now();
      }
    } else if (outcome === 'duplicate') deps.logger.info({ deliveryId: data.deliveryId }, 'delivery already flown or flying: no second flight');
    // Normal under load (every delivery beyond the fleet's size waits): a line per job would be most of the log.
    else if (outcome === 'queued') deps.logger.debug({ deliveryId: data.deliveryId }, 'every drone is busy: job queued');
  };
}

/**
 * A delivery that failed while still queued here (delivery's watchdog gave
 * up waiting: NO_DRONE_AVAILABLE) leaves the queue: flying it would only
 * hold up the deliveries behind it.
 */
export function deliveryFailedHandler(deps: { fleet: Fleet<FlightCause>; logger: Logger }): Handler<typeof DeliveryStatusChanged> {
  return async (event) => {
    if (event.data.status !== 'FAILED') return;
    if (deps.fleet.withdraw(event.data.deliveryId)) deps.logger.info({ deliveryId: event.data.deliveryId, reason: event.data.reason }, 'failed delivery taken out of the queue');
  };
}
