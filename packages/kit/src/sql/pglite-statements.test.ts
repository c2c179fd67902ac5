import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteStatements } from './pglite-statements.ts';

describe('prepared statements on PGlite', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(`
      CREATE TABLE items (id text PRIMARY KEY, tags text[] NOT NULL, doc jsonb, at timestamptz, n bigint, ok boolean, price numeric);
      CREATE TABLE counter (id int PRIMARY KEY, value int NOT NULL);
      INSERT INTO counter VALUES (1, 0);
    `);
  });
  afterAll(() => db.close());

  it('gives the rows and counts PGlite\'s own query gives, for every kind of value', async () => {
    const statements = pgliteStatements(db);
    const at = new Date('2026-12-05T06:00:00.123Z');
    const insert = 'INSERT INTO items (id, tags, doc, at, n, ok, price) VALUES ($1, $2, $3, $4, $5, $6, $7)';
    const inserted = await statements.query(insert, ['a', ['x', 'y,z', 'quo"te'], { k: [1, 'two'] }, at, 9007199254740993n, true, '12.50']);
    const own = await db.query(insert, ['b', ['x', 'y,z', 'quo"te'], { k: [1, 'two'] }, at, 9007199254740993n, true, '12.50']);
    expect(inserted.affectedRows).toBe(own.affectedRows);
    await statements.query(insert, ['c', [], null, null, null, null, null]);

    const select = 'SELECT id, tags, doc, at, n, ok, price FROM items WHERE id = ANY($1::text[]) ORDER BY id';
    const ours = await statements.query(select, [['a', 'b', 'c']]);
    const theirs = await db.query(select, [['a', 'b', 'c']]);
    expect(ours.rows).toEqual(theirs.rows);
    expect(ours.rows[0]).toEqual({ id: 'a', tags: ['x', 'y,z', 'quo"te'], doc: { k: [1, 'two'] }, at, n: 9007199254740993n, ok: true, price: '12.50' });
    expect(ours.rows[2]).toEqual({ id: 'c', tags: [], doc: null, at: null, n: null, ok: null, price: null });
    expect(statements.prepared).toBe(2);
  });

  it('prepares a text once and runs it again with other values', async () => {
    const statements = pgliteStatements(db);
    for (let i = 0; i < 5; i++) expect((await statements.query<{ sum: number }>('SELECT $1::int + $2::int AS sum', [i, 10])).rows).toEqual([{ sum: i + 10 }]);
    expect(statements.prepared).toBe(1);
  });

  it('keeps at most its capacity prepared, and a statement closed for room is prepared again when it comes back', async () => {
    const openStatements = async () => (await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM pg_prepared_statements WHERE name LIKE 'tributary_%'`)).rows[0]!.count;
    const before = await openStatements();
    const statements = pgliteStatements(db, { capacity: 2 });
    const texts = ['SELECT 1 AS v', 'SELECT 2 AS v', 'SELECT 3 AS v'];
    for (const text of [...texts, ...texts]) expect((await statements.query<{ v: number }>(text)).rows).toHaveLength(1);
    expect(statements.prepared).toBe(2);
    // The last eviction's Close rides on the next call: at most one more than the capacity is open between calls.
    expect((await openStatements()) - before).toBeLessThanOrEqual(3);
  });

  it('a transaction commits its statements together, and rolls them all back when the work throws', async () => {
    const statements = pgliteStatements(db);
    await statements.transaction(async (query) => {
      await query('INSERT INTO items (id, tags) VALUES ($1, $2)', ['t1', ['one']]);
      await query('INSERT INTO items (id, tags) VALUES ($1, $2)', ['t2', ['two']]);
    });
    await expect(statements.transaction(async (query) => {
      await query('INSERT INTO items (id, tags) VALUES ($1, $2)', ['t3', ['three']]);
      throw new Error('the work fails after a write');
    })).rejects.toThrow('the work fails after a write');
    await expect(statements.transaction(async (query) => {
      await query('INSERT INTO items (id, tags) VALUES ($1, $2)', ['t4', ['four']]);
      await query('INSERT INTO items (id, tags) VALUES ($1, $2)', ['t1', ['duplicate']]);
    })).rejects.toMatchObject({ code: '23505' });
    const { rows } = await statements.query<{ id: string }>(`SELECT id FROM items WHERE id LIKE 't%' ORDER BY id`);
    expect(rows.map((row) => row.id)).toEqual(['t1', 't2']);
  });

  it('a statement that failed inside the work, its error swallowed, makes COMMIT fail: nothing is written', async () => {
    const statements = pgliteStatements(db);
    await expect(statements.transaction(async (query) => {
      await query('INSERT INTO items (id, tags) VALUES ($1, $2)', ['s1', ['x']]);
      await query('SELECT 1 / $1::int', [0]).catch(() => undefined);
    })).rejects.toMatchObject({ code: '25P02' });
    expect((await statements.query('SELECT id FROM items WHERE id = $1', ['s1'])).rows).toEqual([]);
  });

  it('a text that does not parse fails with Postgres\'s error and is not kept; the next statements run', async () => {
    const statements = pgliteStatements(db);
    await expect(statements.query('SELEKT 1')).rejects.toMatchObject({ code: '42601' });
    expect(statements.prepared).toBe(0);
    expect((await statements.query<{ v: number }>('SELECT 1 AS v')).rows).toEqual([{ v: 1 }]);
  });

  it('a SELECT prepared before its table changed shape is prepared again', async () => {
    const statements = pgliteStatements(db);
    await db.exec('CREATE TABLE shapes (id int PRIMARY KEY); INSERT INTO shapes VALUES (1)');
    expect((await statements.query('SELECT * FROM shapes')).rows).toEqual([{ id: 1 }]);
    await db.exec('ALTER TABLE shapes ADD COLUMN label text');
    const again = await statements.query('SELECT * FROM shapes').catch((error: { code?: string }) => error);
    // Postgres re-plans silently when it can; when it refuses the old result type, the next call prepares anew.
    const rows = 'rows' in again ? again.rows : (await statements.query('SELECT * FROM shapes')).rows;
    expect(rows).toEqual([{ id: 1, label: null }]);
  });

  it('transactions started together run one after the other, and statements started together in one run in turn', async () => {
    const statements = pgliteStatements(db);
    await Promise.all(Array.from({ length: 20 }, () => statements.transaction(async (query) => {
      const { rows } = await query<{ value: number }>('SELECT value FROM counter WHERE id = 1');
      await Promise.all([
        query('UPDATE counter SET value = $1 WHERE id = 1', [rows[0]!.value + 1]),
        query('SELECT value FROM counter WHERE id = 1'),
      ]);
    })));
    // PGlite's own API waits for ours too.
    const [own] = await Promise.all([db.query<{ value: number }>('SELECT value FROM counter WHERE id = 1'), statements.query('SELECT 1')]);
    expect(own.rows[0]!.value).toBe(20);
  });
});
