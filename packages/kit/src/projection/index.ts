/**
 * `tributary/projection`: read models built from streams, with a stored
 * checkpoint per source stream, catch-up after downtime, at-most-once apply
 * across instances, and rebuild from the start. See docs/kit/projection.md.
 */
export {
  createProjection,
  projectionDefaults,
  type Projection,
  type ProjectionOptions,
  type ProjectionReport,
  type Apply,
  type ApplyContext,
} from './projection.ts';
export type { ProjectionStore, ApplyEntry, ApplyResult } from './store.ts';
export { createRedisProjectionStore, type RedisProjectionTx, type RedisProjectionStoreOptions } from './redis-store.ts';
export { projectionMetrics } from './metrics.ts';
