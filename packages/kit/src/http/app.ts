import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Type } from '@sinclair/typebox';
import { currentTracing } from '../telemetry/tracing.ts';
import { registerProcessMetrics } from '../telemetry/process-metrics.ts';
import { TributaryError, type KitHttpErrorCode } from '../errors.ts';
import { HttpError, httpError, sendHttpError } from './errors.ts';
import { traceRequests } from './tracing.ts';
import { refuseControlCharacters } from './control-characters.ts';
import { INTERNAL_KEY_ENV, requireInternalKey } from './internal-key.ts';
import type { SqlDatabase, SqlExecutor } from '../sql/database.ts';
import { databaseStats } from '../sql/stats.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The prom-client registry behind /metrics, for a service's own metrics. */
    metricsRegistry: Registry;
  }
}

export type HttpApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpAppOptions {
  service: string;
  logger?: Logger;
  /** Readiness checks; /readyz answers 503 while one fails. */
  readiness?: Record<string, () => Promise<unknown>>;
  registry?: Registry;
  bodyLimit?: number;
  /** Shown by /healthz; defaults to the kit's version. */
  version?: string;
  /**
   * The key every route but /healthz, /readyz and /metrics asks for
   * (x-internal-key). Default: $INTERNAL_API_KEY, which the launcher sets;
   * unset (a service's unit tests), the port is open. The gateway, the
   * system's public door, passes null.
   */
  internalKey?: string | null;
  /**
   * The service's database: GET /database/stats answers its tables' row
   * counts and size; POST /database/dump its PGlite data directory as a
   * gzipped tarball (`tributary backup`). Both behind the internal key.
   */
  database?: SqlExecutor & Pick<SqlDatabase, 'dump'>;
}

const READINESS_TIMEOUT_MS = 1_000;

function withDeadline<T>(work: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

const KIT_VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
const STARTED_AT = new Date();

/** Fastify's own client errors, by its FST_ code, as the kit's codes (each keeps Fastify's status). */
const FASTIFY_CLIENT_ERRORS: Record<string, KitHttpErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
};

/**
 * Query strings, path parameters and headers arrive as text, so "?limit=5"
 * must be coerced to a number; a JSON body already has types, and coercing it
 * would accept `"100"` or `true` for an integer. Fastify's default compiler
 * uses one Ajv for every part, hence two here, picked by the part validated.
 */
function validatorCompiler() {
  const make = (coerceTypes: false | 'array') => {
    const ajv = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes, allErrors: false, strict: false });
    addFormats.default(ajv);
    return ajv;
  };
  const forText = make('array');
  const forBody = make(false);
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => {
    const ajv = httpPart === 'body' ? forBody : forText;
    // Compiled at the route's first request, not at start-up: compiling every
    // route's schemas was a tenth of a service's start (profiled), and most
    // routes of a given process are called seldom or never.
    let compiled: ValidateFunction | undefined;
    const validate = (data: unknown): boolean => {
      compiled ??= ajv.compile(schema);
      const valid = compiled(data) as boolean;
      validate.errors = compiled.errors;
      return valid;
    };
    validate.errors = null as ValidateFunction['errors'];
    return validate;
  };
}

/** HTTP latency by route (the route pattern, never the raw URL: ids would explode the label set). */
function measureRequests(app: FastifyInstance, registry: Registry) {
  const duration =
    (registry.getSingleMetric('tributary_http_request_duration_seconds') as Histogram<string> | undefined) ??
    new Histogram({
      name: 'tributary_http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    // Unmatched URLs (404s, scans) share one label value instead of one each.
    if (route !== '/metrics') duration.observe({ method: request.method, route: route ?? 'unmatched', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * A Fastify app with the behaviour every Tributary service shares: TypeBox
 * schemas, `{ error, message }` bodies, 4xx for every kind of bad input and
 * never a stack trace, /healthz, /readyz, /metrics, and /traces (this
 * process's recent spans, when `initTracing` was called; see telemetry/).
 */
/**
 * Names the service on every answer, so a caller can tell it reached the
 * process it meant: while a service restarts, another process may be given
 * its port for a moment (the chaos test saw the gateway relay another
 * service's 404 for POST /orders while ordering restarted).
 */
export const SERVICE_HEADER = 'tributary-service';

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  // Every body here is JSON. Fastify would also parse text/plain, the one
  // type (with forms, which it never parses) that a page of another origin
  // may POST without a preflight: refusing it with 415 before routing means a
  // cross-site form or fetch never reaches a handler.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header(SERVICE_HEADER, options.service);
    done();
  });
  traceRequests(app);
  refuseControlCharacters(app);
  const internalKey = options.internalKey === undefined ? process.env[INTERNAL_KEY_ENV] || null : options.internalKey;
  if (internalKey) requireInternalKey(app, internalKey);

  const registry = options.registry ?? new Registry();
  if (!options.registry) registerProcessMetrics(registry);
  registry.setDefaultLabels({ service: options.service });
  measureRequests(app, registry);

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) return sendHttpError(reply, error);
    if ((error as FastifyError).validation) return sendHttpError(reply, httpError('VALIDATION_FAILED', error.message));
    // A write the primary holds and the replicas do not yet: the client's retry (same key) finds it and waits again.
    if (error instanceof TributaryError && error.code === 'TRIB_NOT_REPLICATED') return sendHttpError(reply, httpError('NOT_REPLICATED', error.message));
    const status = (error as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = FASTIFY_CLIENT_ERRORS[(error as FastifyError).code] ?? 'BAD_REQUEST';
      return reply.status(status).send({ error: code, message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendHttpError(reply, httpError('INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => sendHttpError(reply, httpError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)));

  // What the dashboard shows per instance: which version, since when.
  app.get('/healthz', async () => ({
    status: 'ok',
    service: options.service,
    version: options.version ?? KIT_VERSION,
    instance: process.env.TRIBUTARY_INSTANCE ?? null,
    pid: process.pid,
    startedAt: STARTED_AT.toISOString(),
    // Not process.uptime(): a service running as a thread of the service host has been up since its own start, not the host's.
    uptimeSeconds: Math.round((Date.now() - STARTED_AT.getTime()) / 1000),
    // What a soak run watches per process (the same figures as /metrics' process_resident_memory_bytes and nodejs_heap_size_used_bytes).
    rssBytes: process.memoryUsage.rss(),
    heapUsedBytes: process.memoryUsage().heapUsed,
  }));
  app.get('/readyz', async (_request, reply) => {
    const failures: Record<string, string> = {};
    // All at once and each bounded: a client whose server is down queues its
    // command until reconnect, and /readyz must answer now, not then.
    await Promise.all(
      Object.entries(options.readiness ?? {}).map(async ([name, check]) => {
        try {
          await withDeadline(check(), READINESS_TIMEOUT_MS, `no answer within ${READINESS_TIMEOUT_MS} ms`);
        } catch (error) {
          failures[name] = (error as Error).message;
        }
      }),
    );
    const ready = Object.keys(failures).length === 0;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', service: options.service, failures });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  const database = options.database;
  if (database) app.get('/database/stats', async () => databaseStats(database));
  const dump = database?.dump?.bind(database);
  if (dump) app.post('/database/dump', async (_request, reply) => reply.type('application/gzip').send(Buffer.from(await dump())));
  app.get(
    '/traces',
    {
      schema: {
        querystring: Type.Object({
          traceId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
          limit: Type.Integer({ minimum: 1, maximum: 5_000, default: 200 }),
        }),
      },
    },
    async (request) => {
      const tracing = currentTracing();
      const { traceId, limit } = request.query;
      if (!tracing) return { service: options.service, enabled: false, spans: [] };
      return { service: options.service, enabled: true, spans: traceId ? tracing.ring.trace(traceId).slice(0, limit) : tracing.ring.recent(limit) };
    },
  );
  app.decorate('metricsRegistry', registry);
  return app;
}
