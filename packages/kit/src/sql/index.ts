export { openDatabase, type SqlDatabase, type SqlExecutor, type QueryResult } from './database.ts';
export { markHandled, ensureHandledTable } from './handled.ts';
