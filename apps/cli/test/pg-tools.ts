import { openDatabase } from 'tributary/sql';
import { toolVersion } from '../src/backup/postgres.ts';

/**
 * Why the PostgreSQL backup tests cannot run here, or null: pg_dump or
 * pg_restore missing (scripts/ensure.mjs installs them on Debian), or a
 * pg_dump older than the TEST_DATABASE_URL server (it refuses to dump it).
 * The product's own messages for both are tested in backup-parts.test.ts.
 */
export async function pgToolsUnfit(serverUrl: string): Promise<string | null> {
  let dump: { major: number; version: string };
  try {
    dump = await toolVersion('pg_dump');
    await toolVersion('pg_restore');
  } catch (error) {
    return (error as Error).message;
  }
  const db = await openDatabase(serverUrl);
  try {
    const [row] = (await db.query<{ num: string }>("SELECT current_setting('server_version_num') AS num")).rows;
    const major = Math.floor(Number(row?.num) / 10_000);
    return major > dump.major ? `pg_dump ${dump.version} cannot dump the TEST_DATABASE_URL server (PostgreSQL ${major}): install postgresql-client-${major}` : null;
  } finally {
    await db.close();
  }
}
