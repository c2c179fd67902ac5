import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAutovacuum, tablesDue, type Autovacuum } from './autovacuum.ts';
import { openDatabase, serverMaintenance, type SqlDatabase } from './database.ts';
import { createServerDatabase } from '../testing/databases.ts';
import { waitFor } from '../testing/wait-for.ts';

describe('the kit\'s autovacuum', () => {
  it("takes a table past PostgreSQL's default thresholds, and only then", () => {
    const due = tablesDue([
      { table: 'quiet', live: 10_000, dead: 100, modified: 900, inserted: 900 },
      { table: 'churned', live: 10, dead: 60, modified: 40, inserted: 0 },
      { table: 'changed', live: 10_000, dead: 0, modified: 1_100, inserted: 0 },
      { table: 'grown', live: 100, dead: 0, modified: 0, inserted: 1_100 },
    ]);
    expect(due).toEqual([
      { table: 'churned', vacuum: true, analyze: false },
      { table: 'changed', vacuum: false, analyze: true },
      { table: 'grown', vacuum: true, analyze: false },
    ]);
  });

  describe('on a database', () => {
    let db: PGlite;
    let autovacuum: Autovacuum;
    beforeAll(async () => {
      db = await PGlite.create();
      // The loop's own timer stays out of the way: rounds run when the test asks.
      autovacuum = startAutovacuum({ query: (text) => db.query(text), flushesStatsOnlyWhenAsked: true }, { intervalMs: 3_600_000 });
    });
    afterAll(async () => {
      await autovacuum.stop();
      await db.close();
    });

    it('replans a prepared statement that was planned while its table was empty', async () => {
      await db.exec(`
        CREATE TABLE orders (id text PRIMARY KEY, status text NOT NULL);
        SET plan_cache_mode = force_generic_plan;
        PREPARE mark(text[], text[]) AS UPDATE orders SET status = u.status FROM unnest($1, $2) AS u(id, status) WHERE orders.id = u.id;
      `);
      const plan = async () => (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE mark(ARRAY['o1'], ARRAY['PAID'])`)).rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(await plan()).toContain('Seq Scan on orders');
      await db.exec(`INSERT INTO orders SELECT 'o' || n, 'NEW' FROM generate_series(1, 5000) AS n`);
      // Nothing else would ever replan it: PGlite has no autovacuum of its own.
      expect(await plan()).toContain('Seq Scan on orders');

      const maintained = await autovacuum.runOnce();
      expect(maintained).toContainEqual({ table: 'orders', vacuum: true, analyze: true });
      expect(await plan()).toContain('Index Scan using orders_pkey on orders');
      const { rows } = await db.query<{ vacuumed: boolean; analyzed: boolean }>(
        `SELECT last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'orders'`,
      );
      expect(rows[0]).toEqual({ vacuumed: true, analyzed: true });
      // Its counters start again: the next round leaves the table alone.
      expect(await autovacuum.runOnce()).not.toContainEqual(expect.objectContaining({ table: 'orders' }));
    });

    it('vacuums a queue-like table whose rows are inserted and deleted', async () => {
      await db.exec(`CREATE TABLE outbox (position bigserial PRIMARY KEY, body text NOT NULL)`);
      for (let round = 0; round < 20; round++) {
        await db.exec(`INSERT INTO outbox (body) SELECT 'event' FROM generate_series(1, 10); DELETE FROM outbox;`);
      }
      const dead = async () => {
        await db.query('SELECT pg_stat_force_next_flush()');
        return (await db.query<{ dead: number }>(`SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables WHERE relname = 'outbox'`)).rows[0]?.dead;
      };
      expect(await dead()).toBe(200);
      expect(await autovacuum.runOnce()).toContainEqual({ table: 'outbox', vacuum: true, analyze: true });
      expect(await dead()).toBe(0);
    });

    it('reports its rounds to the registry it is given', async () => {
      const registry = new Registry();
      autovacuum.meterInto(registry);
      await autovacuum.runOnce();
      expect(await registry.metrics()).toContain('tributary_periodic_run_seconds_count{job="autovacuum"} 1');
    });
  });

  // The server's own setting decides: this project's test machines run PostgreSQL with `autovacuum = off`.
  describe.runIf(process.env.TEST_DATABASE_URL)('on a PostgreSQL server', () => {
    let server: Awaited<ReturnType<typeof createServerDatabase>>;
    let db: SqlDatabase;
    let serverVacuums: boolean;
    beforeAll(async () => {
      server = await createServerDatabase(process.env.TEST_DATABASE_URL as string);
      db = await openDatabase(server.url);
      const { rows } = await db.query<{ on: boolean }>(`SELECT current_setting('autovacuum') = 'on' AS on`);
      serverVacuums = rows[0]?.on === true;
    });
    afterAll(async () => {
      await db?.close();
      await server?.drop();
    });

    it('runs where the server does not: a table that grew is analyzed within a round or two, and a statement planned when it was empty is planned again', { timeout: 60_000 }, async () => {
      if (serverVacuums) {
        // The server's autovacuum does the work: the kit adds no loop of its own (nothing to meter).
        expect(db.meterInto).toBeUndefined();
        return;
      }
      expect(db.meterInto).toBeTypeOf('function');
      await db.query(`CREATE TABLE orders (id text PRIMARY KEY, status text NOT NULL)`);
      // Named, as the kit names every statement with parameters: planned now, while the table is empty.
      const lookup = () => db.query(`SELECT status FROM orders WHERE id = ANY($1::text[])`, [['o1']]);
      await lookup();
      await db.query(`INSERT INTO orders SELECT 'o' || n, 'NEW' FROM generate_series(1, 5000) AS n`);
      await waitFor(
        async () => (await db.query<{ analyzed: boolean }>(`SELECT last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'orders'`)).rows[0]?.analyzed === true,
        { timeoutMs: 30_000, intervalMs: 200, description: 'orders analyzed by the kit' },
      );
      const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT status FROM orders WHERE id = ANY(ARRAY['o1'])`)).rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan|Bitmap Index Scan/);
      expect((await lookup()).rows).toEqual([{ status: 'NEW' }]);
    });

    it('skips a table another replica is vacuuming instead of waiting for it', { timeout: 60_000 }, async () => {
      const pool = new pg.Pool({ connectionString: server.url, max: 2 });
      const replica = new pg.Client({ connectionString: server.url });
      await replica.connect();
      const loop = startAutovacuum(serverMaintenance(pool), { intervalMs: 3_600_000 });
      try {
        await pool.query(`CREATE TABLE outbox (position bigserial PRIMARY KEY, body text NOT NULL)`);
        await pool.query(`INSERT INTO outbox (body) SELECT 'event' FROM generate_series(1, 500)`);
        await pool.query(`DELETE FROM outbox`);
        // The lock a VACUUM or ANALYZE takes, held as another replica's VACUUM would hold it.
        await replica.query(`BEGIN; LOCK TABLE outbox IN SHARE UPDATE EXCLUSIVE MODE`);
        // Without SKIP_LOCKED this round would wait for the lock, and the test would time out.
        await waitFor(async () => (await loop.runOnce()).some((table) => table.table === 'outbox'), { timeoutMs: 30_000, intervalMs: 200, description: 'a round that found outbox due' });
        await replica.query('COMMIT');
        const { rows } = await pool.query<{ vacuumed: boolean }>(`SELECT last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables WHERE relname = 'outbox'`);
        expect(rows[0]?.vacuumed).toBe(false);
      } finally {
        await replica.query('ROLLBACK').catch(() => undefined);
        await loop.stop();
        await replica.end();
        await pool.end();
      }
    });
  });
});
