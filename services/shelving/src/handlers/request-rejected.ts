import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { RequestRejected } from '@tributary/contracts';
import type { ShelvesStore } from '../store/shelves.ts';

/**
 * RequestRejected with SHELVING_UNAVAILABLE: lending gave up on a checkout
 * it got no answer to, so a book we did hand to that request (the answer was
 * lost) would be out forever. Its `bookIdsAtFault` go back on the shelf if,
 * and only if, that request still holds them. HANDLING_FAILED (lending
 * released a dead-lettered request) names the books it asked for that it
 * did not hold itself: any of them shelving handed it comes back the same way.
 */
export function requestRejectedHandler(deps: { shelves: ShelvesStore; logger: Logger }): Handler<typeof RequestRejected> {
  return async (event) => {
    if (event.data.reason !== 'SHELVING_UNAVAILABLE' && event.data.reason !== 'HANDLING_FAILED') return;
    const bookIds = event.data.bookIdsAtFault ?? [];
    if (bookIds.length === 0) return;
    const released = await deps.shelves.release(event.data.requestId, bookIds);
    if (released > 0) {
      deps.logger.info({ requestId: event.data.requestId, bookIds, released }, `Books of refused request [${event.data.requestId}] back on the shelves`);
    }
  };
}
