import type { Delivery, HandlerFunc } from './pipeline.ts';

/**
 * Handles a run of consecutive deliveries for handlers registered with a key
 * (`on(definition, handler, { key })`): the deliveries of one key one after
 * the other, in stream order; different keys at once, at most `concurrency`
 * keys in flight.
 *
 * Why: a handler that makes a few round trips per event (a script, a
 * publish, a mark) spends its time waiting, not computing. Handled one at
 * a time, a read of a hundred such events takes a hundred times that wait,
 * and a consumer off the latency path (delivery, monitoring) fell further
 * behind the longer the system ran at full load. With lanes the waits of
 * different orders overlap (node-redis writes the commands issued in one
 * tick together), while one order's events keep their order. The
 * parallel-consumer idea of Kafka's clients, per read, with no state kept
 * between reads.
 *
 * Each delivery whose handler settled it as handled is pushed onto `acks`
 * (completion order: XACK does not care). A handler that throws (its
 * middlewares settle failures, so only when Redis itself fails) stops its
 * own lane; the others finish, and the first error is thrown after all have.
 */
export interface Keyed {
  key: string;
  delivery: Delivery;
  handle: HandlerFunc;
}

export async function runInLanes(items: readonly Keyed[], concurrency: number, acks: string[]): Promise<void> {
  const lanes = new Map<string, Keyed[]>();
  for (const item of items) {
    const lane = lanes.get(item.key);
    if (lane) lane.push(item);
    else lanes.set(item.key, [item]);
  }
  const queue = [...lanes.values()];
  let next = 0;
  const errors: unknown[] = [];
  async function worker(): Promise<void> {
    while (next < queue.length) {
      const lane = queue[next++] as Keyed[];
      try {
        for (const { delivery, handle } of lane) {
          const outcome = await handle(delivery);
          if (outcome === undefined) acks.push(delivery.entryId);
        }
      } catch (error) {
        errors.push(error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}
