import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SqlExecutor } from '../sql/database.ts';
import { handledMarkersTarget } from '../sql/handled.ts';
import { startSqlPruner, type PruneTarget } from '../sql/retention.ts';
import { createLogger } from '../telemetry/logger.ts';
import { initTracing } from '../telemetry/tracing.ts';
import { TributaryError } from '../errors.ts';
import { readServiceConfig, type ServiceConfig } from './config.ts';

/**
 * The exit code of a service that cannot run with its configuration
 * (sysexits' EX_CONFIG): a supervisor does not restart it, since the same
 * settings would fail the same way.
 */
export const EXIT_CONFIG = 78;

export interface RunningService {
  /** The address the service listens on, printed for the launcher. */
  address?: string;
  close(): Promise<void>;
  /**
   * The service's bookkeeping rows, pruned by runService while it runs (job
   * `sql-prune`, see docs/operations.md): its handled-event markers, kept
   * HANDLED_MARKER_RETENTION_MS and while `holdMarkersFrom` says their entry
   * may still be delivered, and any further targets of its own.
   */
  retention?: {
    /** With `meterInto` (a PGlite database), its autovacuum's rounds go to `registry` too. */
    db: SqlExecutor & { meterInto?(registry: Registry): void };
    registry: Registry;
    handledMarkers?: { holdFrom?: () => Promise<number | null> };
    targets?: readonly PruneTarget[];
  };
}

/** Starts the pruner a started service asked for; null when it keeps no bookkeeping rows. */
function startRetention(running: RunningService, config: ServiceConfig, logger: Logger): { close(): Promise<void> } | null {
  const retention = running.retention;
  if (!retention) return null;
  retention.db.meterInto?.(retention.registry);
  const targets: PruneTarget[] = [...(retention.targets ?? [])];
  if (retention.handledMarkers) targets.unshift(handledMarkersTarget(config.handledMarkerRetentionMs, retention.handledMarkers.holdFrom));
  if (targets.length === 0) return null;
  return startSqlPruner({
    db: retention.db,
    targets,
    registry: retention.registry,
    onError: (error, target) => logger.warn({ err: error, target }, 'pruning failed; will retry'),
  });
}

/**
 * The `main.ts` of every service: read config, start, print one "ready" line
 * the launcher waits for, and on SIGTERM/SIGINT close within a deadline.
 */
export async function runService(
  service: string,
  start: (context: { config: ServiceConfig; logger: Logger }) => Promise<RunningService>,
  options: { shutdownTimeoutMs?: number } = {},
): Promise<void> {
  // Before anything opens a connection or a route: every span of this process has somewhere to go.
  const tracing = process.env.TRIBUTARY_TRACING === 'off' ? null : initTracing({ service });
  const logger = createLogger(service);
  let running: RunningService;
  let config: ServiceConfig;
  // Said before anything that can wait (a connection, a lock): a start that stalls shows in the log how far it came.
  logger.info('starting');
  try {
    config = readServiceConfig(service);
    running = await start({ config, logger });
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    process.exit(error instanceof TributaryError && error.code === 'TRIB_INVALID_CONFIG' ? EXIT_CONFIG : 1);
  }
  const pruner = startRetention(running, config, logger);
  logger.info({ address: running.address }, 'ready');
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown deadline passed, exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 15_000);
    timer.unref();
    Promise.resolve(pruner?.close())
      .then(() => running.close())
      .then(() => tracing?.shutdown()) // flush spans still queued for the OTLP exporter
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while closing');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Started by the launcher with an IPC channel: when the launcher dies (kill -9,
  // or a test runner's worker torn down mid start-up) the channel closes and
  // this process ends too, rather than living on unsupervised with its port,
  // its database directory and its consumer name. (A service thread has no
  // channel: the service host watches its own.)
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => shutdown('launcher gone'));
  }
}
