import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { currentTracing } from '../telemetry/tracing.ts';

/** Paths that would only add noise to traces (probes and scrapes). */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics', '/traces']);

/**
 * A server span per request, continuing the caller's `traceparent`, active
 * while the route handler runs so the events it publishes and the SQL it
 * runs join the trace.
 *
 * Written here rather than with @fastify/otel: that plugin wraps routes from
 * an `onRoute` hook installed when the plugin loads, so it has to be awaited
 * before any route exists, which our synchronous `createHttpApp` cannot
 * promise to the services that add routes right after it; and it adds a span
 * per lifecycle hook by default. Two hooks and a handler wrapper do the job.
 */
export function traceRequests(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();

  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function tracedHandler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const span = spans.get(request);
      if (!span) return handler.call(this, request, reply);
      return context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply));
    } as RouteHandlerMethod;
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const path = request.url.split('?')[0] as string;
    if (currentTracing() === null || UNTRACED.has(path)) return done();
    const route = request.routeOptions.url ?? path;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = trace.getTracer('tributary').startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': path } },
      parent,
    );
    spans.set(request, span);
    done();
  });

  app.addHook('onError', (request, _reply, error, done) => {
    spans.get(request)?.recordException(error);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${reply.statusCode}` });
      span.end();
      spans.delete(request);
    }
    done();
  });
}
