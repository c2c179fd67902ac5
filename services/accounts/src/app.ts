import { OrderPlaced, PAYMENTS_STREAM, paymentEvents } from '@tributary/contracts';
import { createPublisher, SAGA_LINGER_MS, type RedisClient } from 'tributary';
import { createSqlServiceShell, type ConsumerTuning, type Logger, type StartedService } from 'tributary/service';
import { ensureHandledTable, type SqlDatabase } from 'tributary/sql';
import { registerPaymentHandlers } from './handlers/payments.ts';
import { userRoutes } from './routes/users.ts';
import { installSchema } from './store/schema.ts';

export const SERVICE = 'accounts';
/** Consumer group = service name: all accounts instances share the ordering events. */
export const GROUP = SERVICE;

export interface AccountsDeps {
  db: SqlDatabase;
  /** The bus Redis (streams). Accounts keeps no data in Redis: money lives in SQL. */
  bus: RedisClient;
  /** Consumer name; unique per live instance, stable across its restarts. */
  instance: string;
  logger?: Logger;
  /** Tuning for tests (short blocks, few attempts); production uses the kit defaults. */
  consumer?: ConsumerTuning;
  outboxPollIntervalMs?: number;
}

/**
 * Builds accounts: tables, outbox relay, the ordering-events consumer and the
 * HTTP app (not listening). close() stops what it started; the caller closes
 * the database and Redis it passed in.
 */
export async function startAccounts(deps: AccountsDeps): Promise<StartedService> {
  const { db, bus } = deps;
  // Payments on their own, trimmed stream; users stay on accounts:events, kept whole.
  const payments = createPublisher({ redis: bus, service: SERVICE, stream: PAYMENTS_STREAM });
  const { app, consumers, outbox, publisher, start } = await createSqlServiceShell({
    service: SERVICE,
    group: GROUP,
    db,
    bus,
    logger: deps.logger,
    instance: deps.instance,
    tuning: { lingerMs: SAGA_LINGER_MS, ...deps.consumer },
    tables: [ensureHandledTable, installSchema],
    outbox: { routes: [{ publisher: payments, events: paymentEvents }], pollIntervalMs: deps.outboxPollIntervalMs },
  });
  await app.register(async (scope) => userRoutes(scope, { db, outbox, publisher }));
  registerPaymentHandlers(consumers.consumer(OrderPlaced.stream), { db, outbox, publisher: payments, group: GROUP });
  return start(['http', 'outbox', 'consumers']);
}
