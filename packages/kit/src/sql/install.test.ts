import { describe, expect, it } from 'vitest';
import { testDatabases } from '../testing/databases.ts';
import type { SqlDatabase, SqlExecutor } from './database.ts';
import { installTables } from './install.ts';

const createNotes = async (tx: SqlExecutor) => {
  await tx.query('CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text)');
  // Widens the window in which an unlocked second instance would also find no index and create it.
  await tx.query('SELECT pg_sleep(0.05)');
  await tx.query('CREATE INDEX IF NOT EXISTS notes_body ON notes (body)');
};

describe.each(testDatabases())('installTables ($kind)', ({ kind, create }) => {
  it('lets instances starting together install the same tables: each waits, none fails', async () => {
    const database = await create();
    // Separate connections on a server, as separate instances have; PGlite is one process's directory.
    const connections: SqlDatabase[] = [];
    for (let i = 0; i < (kind === 'postgres' ? 4 : 1); i++) connections.push(await database.open());
    try {
      const starts = Array.from({ length: 4 }, (_, i) => installTables(connections[i % connections.length] as SqlDatabase, createNotes));
      expect((await Promise.allSettled(starts)).filter((start) => start.status === 'rejected')).toEqual([]);
      const db = connections[0] as SqlDatabase;
      await db.query("INSERT INTO notes VALUES (1, 'one')");
      expect((await db.query<{ count: string }>("SELECT count(*)::text AS count FROM pg_indexes WHERE indexname = 'notes_body'")).rows[0]?.count).toBe('1');
    } finally {
      for (const connection of connections) await connection.close();
      await database.drop();
    }
  });
});
