import { trimmedStreamsOf } from '@tributary/contracts';
import { runService, startOwnStreamTrimmer } from 'tributary/service';
import { connectSqlService } from 'tributary/sql';
import { SERVICE, startDeliveryHistory } from './app.ts';
import { readHistoryConfig } from './config.ts';
import { ownerFilePath, removeOwner, writeOwner } from './owner-file.ts';

await runService(SERVICE, async ({ config, logger }) => {
  const history = readHistoryConfig();
  const { bus, db, close: disconnect } = await connectSqlService(config, logger);
  const ownerFile = ownerFilePath(config.databaseUrl);
  if (ownerFile) writeOwner(ownerFile, { pid: process.pid, address: null });
  const running = await startDeliveryHistory({
    db,
    bus,
    instance: config.instance,
    logger,
    lakeDir: history.lakeDir,
    lakeFlushIntervalMs: history.lakeFlushIntervalMs,
    lakeBatchSize: history.lakeBatchSize,
    archiveDays: history.archiveDays,
    archiveIntervalMs: history.archiveIntervalMs,
  });
  const address = await running.app.listen({ host: config.host, port: config.port });
  const trimmer = startOwnStreamTrimmer(bus, trimmedStreamsOf(SERVICE), { config, logger, registry: running.app.metricsRegistry });
  if (ownerFile) writeOwner(ownerFile, { pid: process.pid, address });
  logger.info({ lakeDir: history.lakeDir }, 'data lake');
  return {
    address,
    retention: { db, registry: running.app.metricsRegistry, handledMarkers: { holdFrom: running.unsettledSince } },
    async close() {
      trimmer.close();
      await running.close();
      await disconnect();
      if (ownerFile) removeOwner(ownerFile);
    },
  };
});
