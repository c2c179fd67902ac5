import type { SqlExecutor } from './database.ts';

export interface DatabaseStats {
  /** Exact row count of every table in the service's schema, by name. */
  tables: Record<string, number>;
  /** Bytes the schema's tables take on disk, indexes and TOAST included. */
  bytes: number;
}

/**
 * What a service keeps in its database, for the soak (bench/src/soak.ts) and
 * operators: a count(*) per table, so it costs what the tables hold and is
 * asked for on demand (GET /database/stats), never per /metrics scrape.
 */
export async function databaseStats(db: SqlExecutor): Promise<DatabaseStats> {
  const { rows } = await db.query<{ table_name: string; bytes: string }>(
    `SELECT c.relname AS table_name, pg_total_relation_size(c.oid)::text AS bytes FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname`,
  );
  const tables: Record<string, number> = {};
  let bytes = 0;
  for (const row of rows) {
    const counted = await db.query<{ rows: string }>(`SELECT count(*)::text AS rows FROM "${row.table_name.replace(/"/g, '""')}"`);
    tables[row.table_name] = Number(counted.rows[0]?.rows ?? 0);
    bytes += Number(row.bytes);
  }
  return { tables, bytes };
}
