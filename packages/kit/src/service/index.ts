export { handledMarkerTtlSeconds, readServiceConfig, redisOptionsOf, type ServiceConfig } from './config.ts';
export { EXIT_CONFIG, runService, type RunningService } from './run.ts';
export { createLogger, type Logger } from '../telemetry/logger.ts';
export { consumerMetrics } from '../telemetry/consumer-metrics.ts';
export { connectServiceRedis, serveService, startOwnStreamTrimmer, type ServiceRedis } from './connections.ts';
export { createServiceConsumers, unsettledSinceOf, logConsumerReport, type ServiceConsumers, type ServiceConsumersOptions, type ConsumerTuning } from './consumers.ts';
export {
  createServiceShell,
  createSqlServiceShell,
  type ServicePart,
  type ServiceShell,
  type ServiceShellOptions,
  type SqlServiceShell,
  type SqlServiceShellOptions,
  type StartedService,
} from './shell.ts';
