import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'tributary';
import { currentTracing } from 'tributary/telemetry';
import { errors } from './context.ts';
import { fetchJson, type OpsContext } from './ops-context.ts';
import { SpanView, TraceParams, TraceView } from './schemas.ts';

type Span = Static<typeof SpanView>;

/** A service that does not answer within this is listed in `missing`: one slow process must not hide the rest of a trace. */
const TRACES_TIMEOUT_MS = 2_000;
/** The kit's /traces maximum: a trace's spans in one process never come near it. */
const SPANS_PER_SERVICE = 5_000;

function spansOf(body: unknown): Span[] {
  const spans = (body as { spans?: unknown } | null)?.spans;
  return Array.isArray(spans) ? (spans as Span[]) : [];
}

/** How many ancestors of each span are among the spans (0 for a root or an orphan). */
function depths(spans: readonly Span[]): Map<string, number> {
  const parents = new Map(spans.map((span) => [span.spanId, span.parentSpanId]));
  const depth = new Map<string, number>();
  for (const span of spans) {
    let count = 0;
    // Bounded by the span count: a malformed cycle cannot loop forever.
    for (let parent = span.parentSpanId; parent !== null && parents.has(parent) && count < spans.length; parent = parents.get(parent) ?? null) count++;
    depth.set(span.spanId, count);
  }
  return depth;
}

/**
 * GET /api/traces/:traceId: one trace put together from every process's span
 * ring (the kit's `GET /traces`), so a trace can be read with no collector
 * running. Rings are small and per process: old spans are gone, and a
 * restarted process has forgotten its own.
 */
export const tracesRoutes: FastifyPluginAsyncTypebox<OpsContext> = async (app, { services }) => {
  app.get(
    '/api/traces/:traceId',
    {
      schema: {
        tags: ['system'],
        summary: "One trace's spans from every service's span ring and the gateway's own, by start time; services that did not answer are in `missing`",
        params: TraceParams,
        response: { 200: TraceView, ...errors(400) },
      },
    },
    async (request) => {
      const { traceId } = request.params;
      const query = `traceId=${traceId}&limit=${SPANS_PER_SERVICE}`;
      const answers = await Promise.all(services.map(async ({ name, url }) => ({ name, answer: await fetchJson(`${url}/traces?${query}`, TRACES_TIMEOUT_MS) })));
      const missing = answers.filter(({ answer }) => !answer.ok).map(({ name }) => name);
      const found = [...(currentTracing()?.ring.trace(traceId) ?? []), ...answers.flatMap(({ answer }) => (answer.ok ? spansOf(answer.body) : []))];
      // Processes that share a ring (tests run several apps in one) would report a span twice.
      const spans = [...new Map(found.filter((span) => span.traceId === traceId).map((span) => [span.spanId, span])).values()];
      // Start times have millisecond precision: a parent and its child often share one, so depth breaks the tie.
      const depth = depths(spans);
      spans.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || (depth.get(a.spanId) ?? 0) - (depth.get(b.spanId) ?? 0));
      return { traceId, spans, missing };
    },
  );
};
