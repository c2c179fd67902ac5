import type { RedisClient } from 'tributary';
import { HttpError } from 'tributary/http';
import { gatewayError } from './errors.ts';

/** An operator view waits this long for the bus before saying it is unavailable. */
export const BUS_ANSWER_TIMEOUT_MS = 1_000;

const unavailable = () => gatewayError('BUS_UNAVAILABLE', 'the event bus cannot be reached, try again');

/**
 * The bus is another server: its outage is the gateway's 503, not a bug's
 * 500, and it is said at once. While node-redis reconnects it queues
 * commands instead of failing them, so a view that simply awaited its reads
 * would hang until the bus came back; a client that is not ready fails now,
 * and one whose server stops answering fails after BUS_ANSWER_TIMEOUT_MS.
 */
export async function onBus<T>(bus: RedisClient, call: () => Promise<T>): Promise<T> {
  if (!bus.isReady) throw unavailable();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(unavailable()), BUS_ANSWER_TIMEOUT_MS);
  });
  const work = call();
  // A read abandoned by the deadline may still fail later; nobody waits for it then.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw unavailable();
  } finally {
    clearTimeout(timer);
  }
}
