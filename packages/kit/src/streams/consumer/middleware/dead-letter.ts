import type { RedisClient } from '../../../redis/client.ts';
import { replyRecord } from '../../../redis/replies.ts';
import { moveToDeadLetters } from '../../dead-letters.ts';
import { asError, settleBatch, type BatchMiddleware, type Delivery, type Middleware } from '../pipeline.ts';

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

/** What fails past the retry middleware (the last attempt) goes to the dead-letter stream. */
export function deadLetterOnFailure(box: DeadLetterBox): Middleware {
  const failed = (delivery: Delivery, caught: unknown) => {
    const { entryId, fields, event, deliveryCount } = delivery;
    return deadLetter(box, { entryId, fields, type: event.type }, event.type, asError(caught).message, deliveryCount);
  };
  return (next) => (delivery) => {
    // `.then` rather than an async function with await: one promise per event instead of two (the bus's
    // hot path); the rejection handler is an unnamed arrow, as a named one is renamed per call under tsx.
    try {
      return next(delivery).then(undefined, (caught: unknown) => failed(delivery, caught));
    } catch (caught) {
      return failed(delivery, caught);
    }
  };
}

/** The same per event of a batch. */
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
