import type { RedisClient } from '../../../redis/client.ts';
import { replyRecord } from '../../../redis/replies.ts';
import { moveToDeadLetters } from '../../dead-letters.ts';
import { asError, settleBatch, type BatchMiddleware, type Delivery } from '../pipeline.ts';

export interface DeadLetterBox {
  /** The consumer's own connection (set once it has started). */
  redis(): RedisClient;
  stream: string;
  group: string;
  consumer: string;
  onDeadLettered(type: string, entryId: string, reason: string): void;
}

/** Moves an entry to `{<stream>}:dlq` and acks it, in one MULTI (see moveToDeadLetters). */
export async function deadLetter(
  box: DeadLetterBox,
  entry: { entryId: string; fields: readonly string[] | null; type: string },
  handler: string,
  reason: string,
  attempts: number,
): Promise<'dead-lettered'> {
  await moveToDeadLetters(box.redis(), box.stream, { id: entry.entryId, fields: replyRecord(entry.fields) }, {
    group: box.group,
    consumer: box.consumer,
    handler,
    error: reason,
    attempts,
  });
  box.onDeadLettered(entry.type, entry.entryId, reason);
  return 'dead-lettered';
}

/** A delivery whose last attempt failed goes to the dead-letter stream (retry's `exhausted`). */
export function deadLetterFailed(box: DeadLetterBox): (delivery: Delivery, caught: unknown) => Promise<'dead-lettered'> {
  return (delivery, caught) => {
    const { entryId, fields, event, deliveryCount } = delivery;
    return deadLetter(box, { entryId, fields, type: event.type }, event.type, asError(caught).message, deliveryCount);
  };
}

/** A batch's failed deliveries, each on its own, go to the dead-letter stream. */
export function deadLetterBatch(box: DeadLetterBox): BatchMiddleware {
  return (next) => async (deliveries) => {
    const results = await settleBatch(next, deliveries);
    if (!results) return results;
    for (let i = 0; i < deliveries.length; i++) {
      const result = results[i];
      const delivery = deliveries[i];
      if (result instanceof Error && delivery) {
        const { entryId, fields, event, deliveryCount } = delivery;
        results[i] = await deadLetter(box, { entryId, fields, type: event.type }, event.type, result.message, deliveryCount);
      }
    }
    return results;
  };
}
