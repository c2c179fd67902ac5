import type { Envelope, EventData, Handler } from 'tributary';
import type { OrderBlocked, OrderFailed } from '@tributary/contracts';
import type { FailureStore } from '../store/failure-store.ts';

type TerminalFailure = typeof OrderBlocked | typeof OrderFailed;

/**
 * OrderBlocked (BLOCKED_NO_FUNDS) and OrderFailed (COMPLETED_WITH_FAILURE) are
 * the two terminal failures of the saga; both carry the reason. The event's
 * time is recorded (not the time of handling) so a redelivery or a replay
 * tells the same story.
 */
export function orderFailedHandler<D extends TerminalFailure>(deps: { store: FailureStore; group: string }): Handler<D> {
  return async (event: Envelope<EventData<D>>) => {
    const { orderId, reason } = event.data;
    await deps.store.record(deps.group, event.id, { orderId, reason, at: event.time });
  };
}
