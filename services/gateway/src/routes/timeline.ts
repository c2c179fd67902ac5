import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { compareIds, replyEntries, replyField, type RawEntry, type RedisClient, type Static } from 'tributary';
import { toLiveEntry } from '../live-events.ts';
import { callUpstream, relay } from '../upstream.ts';
import { errors } from './context.ts';
import { onBus, type OpsContext } from './ops-context.ts';
import { IdParams, OrderTimeline, TimelineStep } from './schemas.ts';
import { gatewayError } from '../errors.ts';

type Step = Static<typeof TimelineStep>;

/** Entries per XREVRANGE round trip: big enough to be few, small enough not to stall the bus. */
const PAGE = 1_000;

/**
 * The events of one order on one stream, searched newest first over at most
 * `limit` entries. Streams are not indexed by correlation id (that would be
 * another copy of every event to keep in step), and an operator asks about
 * recent orders, so a bounded scan back is the honest trade.
 */
async function eventsOf(bus: RedisClient, stream: string, orderId: string, limit: number): Promise<Step[]> {
  const steps: Step[] = [];
  let end = '+';
  for (let scanned = 0; scanned < limit; ) {
    const count = Math.min(PAGE, limit - scanned);
    const page = replyEntries(await bus.sendCommand(['XREVRANGE', stream, end, '-', 'COUNT', String(count)]));
    for (const [entryId, flat] of page) {
      // Only this order's entries are decoded (their data parsed): a scan reads thousands of others.
      // An event is the order's when it correlates to the order id (ordering makes the order id the
      // saga's correlation id, and caused events inherit it), or names it in its data: events written
      // before that, or by a flow that merely mentions the order. Data is JSON.stringify's, no spaces.
      if (replyField(flat, 'correlationId') !== orderId && !replyField(flat, 'data')?.includes(`"orderId":"${orderId}"`)) continue;
      const entry = toLiveEntry(stream, entryId, flat);
      if (!entry) continue;
      steps.push({
        at: entry.time,
        service: entry.source,
        stream,
        entryId,
        type: entry.type,
        eventId: entry.id,
        causationId: entry.causationId,
        traceId: entry.traceId,
      });
    }
    scanned += page.length;
    if (page.length < count) break;
    // Exclusive start (Redis 6.2+): the next page begins below the last entry read.
    end = `(${(page.at(-1) as RawEntry)[0]}`;
  }
  return steps;
}

interface OrderReply {
  status: string;
  history: Array<{ status: string; at: string }>;
}

/** GET /api/orders/:id/timeline: the saga of one order as the bus saw it, next to ordering's own status history. */
export const timelineRoutes: FastifyPluginAsyncTypebox<OpsContext> = async (app, { upstreams, bus, streams, timelineScanLimit }) => {
  app.get(
    '/api/orders/:id/timeline',
    {
      schema: {
        tags: ['orders'],
        summary: 'Every event of one order (its correlationId or its data.orderId is the order id) across every stream, oldest first, with its trace; searches the newest TIMELINE_SCAN_LIMIT (default 10 000) entries per stream',
        params: IdParams,
        response: { 200: OrderTimeline, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const orderId = request.params.id;
      const order = await callUpstream(upstreams.ordering, 'GET', `/orders/${orderId}`);
      if (order.status !== 200) return relay(reply, order);
      const { status, history } = order.body as OrderReply;
      if (typeof status !== 'string' || !Array.isArray(history)) throw gatewayError('SERVICE_UNAVAILABLE', 'ordering answered an unexpected shape');
      const perStream = await onBus(bus, () => Promise.all(streams.map((stream) => eventsOf(bus, stream, orderId, timelineScanLimit))));
      // Event time first (clocks of one machine, or NTP-close); the bus's entry id breaks ties within a millisecond.
      const steps = perStream.flat().sort((a, b) => a.at.localeCompare(b.at) || compareIds(a.entryId, b.entryId));
      return { orderId, status, traceId: steps[0]?.traceId ?? null, history, steps, scanLimit: timelineScanLimit };
    },
  );
};
