import type { Handler } from 'tributary';
import type { Logger } from 'tributary/service';
import type { BooksSentToShelving } from '@tributary/contracts';
import type { ShelvesStore } from '../store/shelves.ts';

/**
 * BooksSentToShelving: the books lending's automated storage had no room
 * for go back on their shelves. The script applies each event once (by its
 * envelope id), so a redelivery changes nothing.
 */
export function booksSentHandler(deps: { shelves: ShelvesStore; logger: Logger }): Handler<typeof BooksSentToShelving> {
  return async (event) => {
    const shelved = await deps.shelves.shelve(event.id, event.data.bookIds);
    if (shelved === null) return;
    deps.logger.info(
      { requestId: event.data.requestId, bookIds: event.data.bookIds, shelved },
      `Books back on the shelves after [${event.data.requestId}]: ${event.data.bookIds.join(', ')}`,
    );
  };
}
