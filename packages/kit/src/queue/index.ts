/**
 * `tributary/queue`: a reliable list queue on Redis (BLMOVE to a per-worker
 * processing list, heartbeats, a recovery sweep, bounded retries, a dead
 * list). See docs/kit/queue.md.
 */
export { createQueue, queueDefaults, type Queue, type QueueOptions, type QueueCounts, type DeadItem } from './queue.ts';
export { createWorker, workerDefaults, type Worker, type WorkerOptions, type WorkerReport, type JobHandler, type JobContext } from './worker.ts';
export { sweepQueue, startSweeper } from './sweep.ts';
export { PermanentJobError } from './errors.ts';
export { queueKeys, type QueueKeys } from './keys.ts';
export { queueMetrics } from './metrics.ts';
