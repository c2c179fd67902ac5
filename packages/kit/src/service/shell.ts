import { createHttpApp, type HttpApp } from '../http/app.ts';
import { createOutbox, type Outbox, type OutboxOptions } from '../outbox/outbox.ts';
import { registerOutboxMetrics } from '../outbox/metrics.ts';
import type { RedisClient } from '../redis/client.ts';
import type { SqlDatabase, SqlExecutor } from '../sql/database.ts';
import { installTables } from '../sql/install.ts';
import { defaultConsumerName } from '../streams/consumer.ts';
import { createPublisher, type Publisher } from '../streams/publisher.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { createServiceConsumers, type ConsumerTuning, type ServiceConsumers } from './consumers.ts';

/**
 * A piece of a service with a lifetime: a sweep, a watchdog, a worker, a
 * cache. Either method may be missing: a start-up step has no close, a
 * resource the service opened itself (DuckDB) has no start.
 */
export interface ServicePart {
  start?(): unknown;
  close?(): unknown;
}

/** The parts every shell makes, named in `start()`'s order. */
export type ShellPart = 'http' | 'consumers';
export type SqlShellPart = ShellPart | 'outbox';

/** What `start()` resolves to: the fields every `start<Name>` returns. */
export interface StartedService {
  app: HttpApp;
  /** Closes every part, in the reverse of their start order, once; the connections belong to the caller. */
  close(): Promise<void>;
  /** The oldest entry the service's group may still be delivered (ms), for the handled-marker pruner. */
  unsettledSince(): Promise<number | null>;
}

export interface ServiceShellOptions {
  service: string;
  /** The consumer group; default the service's name (every instance shares the work). */
  group?: string;
  /** The bus Redis: the service's streams and those it reads. */
  bus: RedisClient;
  /** The service's own Redis, when it has one: /readyz checks it. */
  store?: RedisClient;
  /** Default: a logger named after the service. */
  logger?: Logger;
  /** Consumer name of this instance (config.instance); default host-pid-nonce. */
  instance?: string;
  /** For every consumer of the service (tests shorten blockMs). */
  tuning?: ConsumerTuning;
}

export interface ServiceShell<Part extends string = ShellPart> {
  app: HttpApp;
  consumers: ServiceConsumers;
  /** Writes the service's own stream, `<service>:events`. */
  publisher: Publisher;
  logger: Logger;
  /**
   * Starts the parts in the order given and, if one fails, closes those
   * started in reverse and rethrows. `close()` of the result stops them in
   * the reverse order too: what starts last (work producers) stops first,
   * what starts first (a resource the routes use) stops last. `undefined`
   * entries (an optional part) are skipped. Default: HTTP, then consumers.
   */
  start(order?: ReadonlyArray<Part | ServicePart | undefined>): Promise<StartedService>;
}

export interface SqlServiceShellOptions extends ServiceShellOptions {
  db: SqlDatabase;
  /**
   * The service's table installers (ensureHandledTable, its schema), run in
   * one transaction under the schema's lock with the outbox's table last.
   */
  tables: ReadonlyArray<(tx: SqlExecutor) => Promise<void>>;
  outbox?: Pick<OutboxOptions, 'routes' | 'pollIntervalMs' | 'batchSize'>;
  /**
   * True when the service keeps serving with the bus down (writes wait in
   * its outbox): /readyz then checks the database only, so the instance
   * stays in service through a bus outage.
   */
  readyWithoutBus?: boolean;
}

export interface SqlServiceShell extends ServiceShell<SqlShellPart> {
  outbox: Outbox;
}

/** Starts `parts` in order; on a failure closes the started ones (latest first) and rethrows. Returns the close of them all. */
async function startInOrder(parts: readonly ServicePart[]): Promise<() => Promise<void>> {
  const started: ServicePart[] = [];
  const closeStarted = async () => {
    for (const part of started.reverse()) await part.close?.();
  };
  try {
    for (const part of parts) {
      await part.start?.();
      started.push(part);
    }
  } catch (error) {
    await closeStarted();
    throw error;
  }
  return closeStarted;
}

interface ShellCore {
  app: HttpApp;
  consumers: ServiceConsumers;
  logger: Logger;
}

function shellCore(options: ServiceShellOptions, logger: Logger, readiness: Record<string, () => Promise<unknown>>, database?: SqlDatabase): ShellCore {
  const app = createHttpApp({ service: options.service, logger, readiness, ...(database ? { database } : {}) });
  const consumers = createServiceConsumers({
    bus: options.bus,
    group: options.group ?? options.service,
    instance: options.instance ?? defaultConsumerName(),
    logger,
    registry: app.metricsRegistry,
    tuning: options.tuning ?? {},
  });
  return { app, consumers, logger };
}

function starter<Part extends string>(core: ShellCore, named: Record<Part, ServicePart>, defaultOrder: readonly Part[]): ServiceShell<Part>['start'] {
  return async (order = defaultOrder) => {
    const closeAll = await startInOrder(order.flatMap((part) => (part === undefined ? [] : [typeof part === 'string' ? named[part as Part] : part])));
    let closing: Promise<void> | null = null;
    return {
      app: core.app,
      close: () => (closing ??= closeAll()),
      unsettledSince: () => core.consumers.unsettledSince(),
    };
  };
}

const httpPart = (app: HttpApp): ServicePart => ({ start: () => app.ready(), close: () => app.close() });
const consumersPart = (consumers: ServiceConsumers): ServicePart => ({ start: () => consumers.startAll(), close: () => consumers.closeAll() });

/**
 * The wiring every Redis-backed service shares: the HTTP app (readiness:
 * the bus and the store), its consumers in the service's group reporting to
 * the app's metrics, a publisher of its stream, and a start/close in one
 * declared order. The service adds its stores, handlers, routes and jobs.
 */
export function createServiceShell(options: ServiceShellOptions): ServiceShell {
  const { bus, store } = options;
  const readiness: Record<string, () => Promise<unknown>> = { bus: () => bus.ping() };
  if (store) readiness.store = () => store.ping();
  const core = shellCore(options, options.logger ?? createLogger(options.service), readiness);
  const named = { http: httpPart(core.app), consumers: consumersPart(core.consumers) };
  return { ...core, publisher: createPublisher({ redis: bus, service: options.service }), start: starter(core, named, ['http', 'consumers']) };
}

/**
 * The wiring every SQL service shares: its tables and the outbox's installed
 * in one locked transaction, the publisher and outbox relay (with its
 * metrics), the HTTP app with the database's routes and readiness, and the
 * consumers; `start()` defaults to HTTP, the relay, then the consumers.
 */
export async function createSqlServiceShell(options: SqlServiceShellOptions): Promise<SqlServiceShell> {
  const { db, bus, store } = options;
  const logger = options.logger ?? createLogger(options.service);
  const publisher = createPublisher({ redis: bus, service: options.service });
  const outbox = createOutbox({
    ...options.outbox,
    db,
    publisher,
    onError: (error) => logger.warn({ err: error }, 'outbox relay failed, will retry'),
  });
  await installTables(db, ...options.tables, outbox.install);

  const readiness: Record<string, () => Promise<unknown>> = { database: () => db.query('SELECT 1') };
  if (!options.readyWithoutBus) readiness.bus = () => bus.ping();
  if (store) readiness.store = () => store.ping();
  const core = shellCore(options, logger, readiness, db);
  registerOutboxMetrics(core.app.metricsRegistry, outbox);
  const named = { http: httpPart(core.app), consumers: consumersPart(core.consumers), outbox };
  return { ...core, publisher, outbox, start: starter<SqlShellPart>(core, named, ['http', 'outbox', 'consumers']) };
}
