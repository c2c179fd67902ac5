import { confirmReplicated, encodeEnvelope, runLuaScript, type EventData, type Publisher, type RedisClient } from 'tributary';
import { LendingRequested, ReturnRequested } from '@tributary/contracts';
import { lendingKeys as keys } from './keys.ts';
import { submitRequestScript } from './scripts.ts';

/** As long as the gateway keeps its own record of a key by default: a retry within it never appends twice. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export type Submission = { kind: 'appended' | 'replayed'; requestId: string } | { kind: 'mismatch'; requestId: string };

type RequestEvent = typeof LendingRequested | typeof ReturnRequested;

/**
 * Appends a request or return to `lending:requests`. With an
 * Idempotency-Key, once: the gateway releases a key when it could not get an
 * answer (503), so without this a retry after a lost answer would append a
 * second request for the same books.
 */
export async function submitRequest(
  redis: RedisClient,
  requests: Publisher,
  definition: RequestEvent,
  data: EventData<RequestEvent>,
  idempotencyKey: string | undefined,
): Promise<Submission> {
  if (idempotencyKey === undefined) return { kind: 'appended', requestId: await requests.publish(definition, data) };
  const envelope = requests.envelope(definition, data);
  const fingerprint = JSON.stringify([data.userId, data.bookIds]);
  const [kind, requestId] = await runLuaScript<[Submission['kind'], string]>(
    redis,
    submitRequestScript,
    [keys.requests(), keys.idempotency(definition.type, idempotencyKey)],
    [fingerprint, IDEMPOTENCY_TTL_SECONDS, ...Object.entries(encodeEnvelope(envelope)).flat()],
  );
  // The script's XADD skips the publisher's replica wait: a 202 must not come before a replica holds the request.
  if (kind !== 'mismatch') await confirmReplicated(redis, `request ${requestId} on ${keys.requests()}`, { key: keys.requests() });
  return { kind, requestId };
}
