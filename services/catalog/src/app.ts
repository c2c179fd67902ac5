import { createPublisher, type RedisClient } from 'tributary';
import { createHttpApp, type HttpApp } from 'tributary/http';
import { createOutbox } from 'tributary/outbox';
import { createLogger, type Logger } from 'tributary/service';
import type { SqlDatabase } from 'tributary/sql';
import { productRoutes } from './routes/products.ts';
import { installSchema } from './store/schema.ts';

export const SERVICE = 'catalog';

export interface CatalogDeps {
  db: SqlDatabase;
  /** The bus Redis: catalog publishes ProductCreated on `catalog:events`. */
  bus: RedisClient;
  logger?: Logger;
  outboxPollIntervalMs?: number;
}

/**
 * Builds catalog: tables, outbox relay and the HTTP app (not listening).
 * Catalog consumes no events yet. close() stops what it started; the caller
 * closes the database and Redis it passed in.
 */
export async function startCatalog(deps: CatalogDeps): Promise<{ app: HttpApp; close(): Promise<void> }> {
  const { db, bus } = deps;
  const logger = deps.logger ?? createLogger(SERVICE);
  await installSchema(db);

  const publisher = createPublisher({ redis: bus, service: SERVICE });
  const outbox = createOutbox({
    db,
    publisher,
    ...(deps.outboxPollIntervalMs === undefined ? {} : { pollIntervalMs: deps.outboxPollIntervalMs }),
    onError: (error) => logger.warn({ err: error }, 'outbox relay failed, will retry'),
  });
  await outbox.install();

  const app = createHttpApp({
    service: SERVICE,
    logger,
    readiness: { database: () => db.query('SELECT 1'), bus: () => bus.ping() },
  });
  await app.register(async (scope) => productRoutes(scope, { db, outbox, publisher }));
  await app.ready();
  outbox.start();

  let closed = false;
  return {
    app,
    async close() {
      if (closed) return;
      closed = true;
      await outbox.close();
      await app.close();
    },
  };
}
