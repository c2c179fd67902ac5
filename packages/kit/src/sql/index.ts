export { openDatabase, type SqlDatabase, type SqlExecutor, type QueryResult } from './database.ts';
export { markHandled, markHandledMany, ensureHandledTable } from './handled.ts';
export {
  sqlBatchHandlers,
  type Emitted,
  type SqlBatchHandlers,
  type SqlBatchItem,
  type SqlBatchOptions,
  type SqlEventHandler,
  type SqlEventsHandler,
} from './batched-handlers.ts';
