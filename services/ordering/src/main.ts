import { trimmedStreamsOf } from '@tributary/contracts';
import { runService, serveService } from 'tributary/service';
import { connectSqlService } from 'tributary/sql';
import { SERVICE, startOrdering } from './app.ts';
import { readOrderingSettings } from './settings.ts';
import { createHttpOwnerLookups, type OwnerLookups } from './owner-lookups.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const { bus, db, close: disconnect } = await connectSqlService(config, logger);
  // npm start sets both; without them a user or product ordering has not copied yet is unknown (422).
  const { ACCOUNTS_URL: accountsUrl, CATALOG_URL: catalogUrl } = process.env;
  const owners: OwnerLookups | undefined = accountsUrl && catalogUrl
    ? createHttpOwnerLookups({ accountsUrl: accountsUrl.replace(/\/+$/, ''), catalogUrl: catalogUrl.replace(/\/+$/, '') })
    : undefined;
  if (!owners) logger.warn('ACCOUNTS_URL or CATALOG_URL not set: orders are checked against ordering\'s copies only');
  const running = await startOrdering({ db, bus, logger, instance: config.instance, stuckAfterMs: readOrderingSettings().stuckAfterMs, ...(owners ? { owners } : {}) }).catch(async (error: unknown) => {
    await disconnect();
    throw error;
  });
  return {
    ...(await serveService(running, { bus, streams: trimmedStreamsOf(SERVICE), config, logger, disconnect })),
    retention: {
      db,
      registry: running.app.metricsRegistry,
      handledMarkers: { holdFrom: running.unsettledSince },
      // The key's row goes, the order stays: a retry after the window is a new order, as at the gateway.
      targets: [{ name: 'idempotency-keys', table: 'idempotency_keys', column: 'created_at', retentionMs: config.idempotencyKeyRetentionMs }],
    },
  };
});
