import type { SqlDatabase, SqlExecutor } from './database.ts';

// The lock is (this class, the schema's hash), like the outbox relay's: each
// service has its own schema on a shared server, and only its own instances
// wait for one another.
const INSTALL_LOCK_CLASS = 730_246_682;

/**
 * Runs a service's table installers in one transaction under a lock on its
 * schema. Two instances starting together on one server (`--scale`) would
 * otherwise race on CREATE TABLE IF NOT EXISTS: both see no table, both
 * create it, and one fails on a unique violation in pg_type, so that
 * instance exits and is restarted. With the lock the second waits, then
 * finds every table there.
 */
export async function installTables(db: SqlDatabase, ...installers: Array<(tx: SqlExecutor) => Promise<void>>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::int4, hashtext(current_schema()))', [INSTALL_LOCK_CLASS]);
    for (const install of installers) await install(tx);
  });
}
