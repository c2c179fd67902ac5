export { readServiceConfig, type ServiceConfig } from './config.ts';
export { runService, type RunningService } from './run.ts';
export { createLogger, type Logger } from '../telemetry/logger.ts';
export { consumerMetrics } from '../telemetry/consumer-metrics.ts';
