import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  LENDING_REQUESTS_STREAM,
  LendingRequested,
  lendingEvents,
  RequestAccepted,
  RequestRejected,
  ReturnProcessed,
  ReturnRequested,
} from '@tributary/contracts';
import { listDeadLetters, replyEntries, type Static } from 'tributary';
import { toLiveEntry } from '../live-events.ts';
import { errors } from './context.ts';
import { onBus, type OpsContext } from './ops-context.ts';
import { LendingRecent, LendingRecentQuery } from './schemas.ts';

type Row = Static<typeof LendingRecent>['requests'][number];

/** lending's event stream, per the contracts (its outcomes are published there). */
const LENDING_EVENTS_STREAM = (lendingEvents[0] as { stream: string }).stream;
/** Dead letters looked at for requests that could not be handled: the newest requests' are among the first thousand. */
const DEAD_LETTERS_READ = 1_000;

/**
 * GET /api/lending/recent: the newest requests and returns with their
 * outcomes, read from lending's public streams like any other consumer
 * would (the contracts, not lending's private store): a request is its
 * entry on `lending:requests`, its outcome the event on `lending:events`
 * whose `requestId` is that entry id.
 */
export const lendingRecentRoutes: FastifyPluginAsyncTypebox<OpsContext> = async (app, { bus, timelineScanLimit }) => {
  app.get(
    '/api/lending/recent',
    {
      schema: {
        tags: ['lending'],
        summary: 'The newest lending requests and returns with their outcomes (from lending:requests and lending:events), newest first',
        querystring: LendingRecentQuery,
        response: { 200: LendingRecent, ...errors(400) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const raw = replyEntries(await onBus(bus, () => bus.sendCommand(['XREVRANGE', LENDING_REQUESTS_STREAM, '+', '-', 'COUNT', String(limit)])));
      const rows = new Map<string, Row>();
      for (const [entryId, flat] of raw) {
        const entry = toLiveEntry(LENDING_REQUESTS_STREAM, entryId, flat);
        const kind = entry?.type === LendingRequested.type ? 'lend' : entry?.type === ReturnRequested.type ? 'return' : null;
        if (!entry || !kind) continue;
        const data = entry.data as { userId?: unknown; bookIds?: unknown };
        rows.set(entryId, {
          requestId: entryId,
          kind,
          userId: String(data.userId ?? ''),
          bookIds: Array.isArray(data.bookIds) ? data.bookIds.map(String) : [],
          status: 'PENDING',
          reason: null,
          at: entry.time,
          processedAt: null,
        });
      }
      const oldest = raw.at(-1)?.[0];
      if (oldest === undefined) return { requests: [] };
      // An outcome is always published after its request: only the events since the oldest request can be theirs.
      const [outcomes, letters] = await onBus(bus, () =>
        Promise.all([
          bus.sendCommand(['XREVRANGE', LENDING_EVENTS_STREAM, '+', oldest, 'COUNT', String(timelineScanLimit)]).then(replyEntries),
          listDeadLetters(bus, LENDING_REQUESTS_STREAM, { count: DEAD_LETTERS_READ }),
        ]),
      );
      for (const [entryId, flat] of outcomes) {
        const entry = toLiveEntry(LENDING_EVENTS_STREAM, entryId, flat);
        const data = (entry?.data ?? {}) as { requestId?: unknown; reason?: unknown };
        const row = typeof data.requestId === 'string' ? rows.get(data.requestId) : undefined;
        if (!entry || !row) continue;
        if (entry.type === RequestAccepted.type) row.status = 'ACCEPTED';
        else if (entry.type === RequestRejected.type) {
          row.status = 'REJECTED';
          row.reason = typeof data.reason === 'string' ? data.reason : null;
        } else if (entry.type === ReturnProcessed.type) row.status = 'PROCESSED';
        else continue;
        row.processedAt = entry.time;
      }
      for (const letter of letters) {
        const row = rows.get(letter.originalId);
        if (row && row.status === 'PENDING') Object.assign(row, { status: 'DEAD_LETTERED', reason: letter.error, processedAt: letter.at });
      }
      return { requests: [...rows.values()] };
    },
  );
};
