export { openDatabase, type SqlDatabase, type SqlExecutor, type QueryResult } from './database.ts';
export { connectSqlService, type SqlServiceConnections } from './connect-service.ts';
export { markHandled, markHandledMany, ensureHandledTable, handledMarkersTarget } from './handled.ts';
export { installTables } from './install.ts';
export { databaseStats, type DatabaseStats } from './stats.ts';
export { dumpPglite, loadPgliteDump } from './pglite-dump.ts';
export { pgliteStatements, type PgliteStatements, type PgliteResult } from './pglite-statements.ts';
export { pruneBatch, pruneCutoff, pruneTarget, startSqlPruner, PRUNE_BATCH_ROWS, type PruneTarget } from './retention.ts';
export {
  sqlBatchHandlers,
  type Emitted,
  type SqlBatchHandlers,
  type SqlBatchItem,
  type SqlBatchOptions,
  type SqlEventHandler,
  type SqlEventsHandler,
} from './batched-handlers.ts';
