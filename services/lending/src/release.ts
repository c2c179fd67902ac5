import { LendingRequested, LENDING_REQUESTS_STREAM } from '@tributary/contracts';
import type { Registry } from 'prom-client';
import { decodeEnvelope, listDeadLetters, type RedisClient } from 'tributary';
import type { Logger } from 'tributary/service';
import { periodicJob } from 'tributary/telemetry';
import { lendingKeys } from './store/keys.ts';
import type { LendingStore } from './store/lending.ts';

/** Dead letters looked at per round: a long queue of old ones is worked off over several rounds. */
const LETTERS_PER_ROUND = 100;

export interface ReleaseDeps {
  redis: RedisClient;
  store: LendingStore;
  group: string;
  logger: Logger;
  /** LENDING_RELEASE_AFTER_MS: how long a dead letter waits for an operator's replay. */
  releaseAfterMs: number;
}

/** Milliseconds of a stream id: when the entry was added (here, when the request was dead-lettered). */
const idMs = (id: string): number => Number(id.split('-')[0]);

/**
 * One round of the releaser: walks `lending:requests`' dead letters from the
 * stored cursor, oldest first, and rejects every lending request of this
 * group dead-lettered at least `releaseAfterMs` ago and still undecided,
 * with HANDLING_FAILED, through the same steps as any rejection: its
 * reserved books refill storage or go back to shelving (BooksSentToShelving),
 * the outcome is recorded, RequestRejected published. The books it asked for
 * and did not hold are named at fault, so shelving takes back any it handed
 * to the request. Idempotent: a decided request is skipped, and the steps
 * themselves do nothing twice. The dead letter stays (the operator still sees
 * what failed and why); the cursor moves past it. Returns how many were released.
 */
export async function releaseDeadLetteredRequests(deps: ReleaseDeps, now = Date.now()): Promise<number> {
  const { redis, store, group, logger } = deps;
  const cursor = (await redis.sendCommand<string | null>(['GET', lendingKeys.releaseCursor()])) ?? undefined;
  const letters = await listDeadLetters(redis, LENDING_REQUESTS_STREAM, { count: LETTERS_PER_ROUND, ...(cursor ? { after: cursor } : {}) });
  let released = 0;
  let done: string | null = null;
  for (const letter of letters) {
    // Letters are in dead-letter order: the first too young to release ends the round.
    if (now - idMs(letter.id) < deps.releaseAfterMs) break;
    done = letter.id;
    if (letter.group !== group) continue;
    const decoded = decodeEnvelope(letter.fields);
    if (!decoded.ok || decoded.envelope.type !== LendingRequested.type || LendingRequested.validate(decoded.envelope.data) !== null) continue;
    const requestId = letter.originalId;
    if (await store.decided(requestId)) continue;
    const data = decoded.envelope.data as { userId: string; bookIds: string[] };
    const request = { requestId, userId: data.userId, bookIds: data.bookIds, cause: decoded.envelope };
    // Its books already on the user's count (the failure came after that step): an acceptance half done is not undone here.
    if ((await store.loan(data.userId, requestId)) !== null) {
      logger.warn({ requestId, userId: data.userId }, `Dead-lettered request [${requestId}] not released: its user already holds its books; replay it to finish the acceptance`);
      continue;
    }
    const held = new Set(await store.reservedBooks(requestId));
    const notHeld = data.bookIds.filter((bookId) => !held.has(bookId));
    const settled = await store.undoReservations(request, 'HANDLING_FAILED', notHeld);
    if (settled.kind !== 'undone' || !(await store.recordRejected(request, settled))) continue;
    released += 1;
    logger.warn(
      { requestId, userId: data.userId, error: letter.error, attempts: letter.attempts, deadLetteredAt: letter.at, storedBookIds: settled.stored, sentBookIds: settled.sent },
      `Dead-lettered request [${requestId}] released: its books are back (HANDLING_FAILED)`,
    );
  }
  if (done !== null) await redis.sendCommand(['SET', lendingKeys.releaseCursor(), done]);
  return released;
}

/** Runs the releaser every `intervalMs` (job `lending-release` in /metrics) until closed. */
export function startReleaser(deps: ReleaseDeps & { registry: Registry; intervalMs?: number }): { close(): Promise<void>; runOnce(): Promise<number> } {
  const meter = periodicJob('lending-release', { registry: deps.registry });
  const runOnce = () =>
    meter.run(async (run) => {
      const released = await releaseDeadLetteredRequests(deps);
      run.items(released);
      return released;
    });
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = runOnce()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'releasing dead-lettered requests failed; will retry'))
      .finally(() => {
        running = null;
      });
  }, deps.intervalMs ?? Math.max(1_000, Math.min(60_000, deps.releaseAfterMs)));
  timer.unref();
  return {
    // Waits for a round in progress: the store it uses closes next.
    async close() {
      clearInterval(timer);
      await running;
    },
    runOnce,
  };
}
