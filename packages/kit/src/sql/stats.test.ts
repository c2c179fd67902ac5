import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../http/app.ts';
import { testDatabases } from '../testing/databases.ts';
import { ensureHandledTable, markHandled } from './handled.ts';

describe.each(testDatabases())('database stats ($kind)', ({ create }) => {
  it('counts every table of the schema and sums their size, at GET /database/stats', async () => {
    const database = await create();
    const db = await database.open();
    const app = createHttpApp({ service: 'stats-test', internalKey: null, database: db });
    try {
      await ensureHandledTable(db);
      await db.query('CREATE TABLE "odd ""name" (id int)');
      await markHandled(db, 'g', 'e1');
      await markHandled(db, 'g', 'e2');
      const reply = await app.inject({ method: 'GET', url: '/database/stats' });
      expect(reply.statusCode).toBe(200);
      const stats = reply.json() as { tables: Record<string, number>; bytes: number };
      expect(stats.tables).toEqual({ tributary_handled_events: 2, 'odd "name': 0 });
      expect(stats.bytes).toBeGreaterThan(0);
    } finally {
      await app.close();
      await db.close();
      await database.drop();
    }
  });
});
