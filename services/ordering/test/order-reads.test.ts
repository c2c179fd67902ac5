import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase, SqlExecutor } from 'tributary/sql';
import { testDatabases, type TestDatabase } from 'tributary/testing';
import { createOrderReads } from '../src/store/order-reads.ts';
import { installSchema } from '../src/store/schema.ts';

const ORDERS = Array.from({ length: 12 }, (_, i) => `order-${i}`);

/** The real database, counting the statements it is sent; `hold` keeps the next one from starting until released. */
function counted(db: SqlExecutor) {
  const statements: unknown[][] = [];
  let gate: Promise<void> | null = null;
  let release = () => {};
  const executor: SqlExecutor = {
    async query(text, params) {
      statements.push(params ?? []);
      if (gate) await gate;
      return db.query(text, params);
    },
  };
  return {
    executor,
    statements,
    hold() {
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = null;
          resolve();
        };
      });
      return () => release();
    },
  };
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe.each(testDatabases())('GET /orders/:id reads, together ($kind)', ({ create }) => {
  let database: TestDatabase;
  let db: SqlDatabase;
  beforeAll(async () => {
    database = await create();
    db = await database.open();
    await installSchema(db);
    for (const [i, id] of ORDERS.entries()) {
      await db.query(
        `INSERT INTO orders (id, user_id, items, total_cents, status) VALUES ($1, 'user-1', '[{"productId":"p","quantity":1,"unitPriceCents":5}]', 5, $2)`,
        [id, i % 2 === 0 ? 'AWAITING_PAYMENT' : 'COMPLETED_SUCCESSFULLY'],
      );
      await db.query(`INSERT INTO order_history (order_id, seq, status) VALUES ($1, 1, 'AWAITING_PAYMENT')`, [id]);
    }
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('answers the reads of one tick from one statement, each with its own order', async () => {
    const sql = counted(db);
    const reads = createOrderReads(sql.executor);
    const asked = [...ORDERS, 'order-3', 'no-such-order'];
    const statuses = await Promise.all(asked.map((id) => reads.status(id)));
    expect(sql.statements).toHaveLength(1);
    expect(statuses).toEqual(asked.map((id) => (id === 'no-such-order' ? null : Number(id.split('-')[1]) % 2 === 0 ? 'AWAITING_PAYMENT' : 'COMPLETED_SUCCESSFULLY')));

    const orders = await Promise.all(['order-1', 'order-2', 'no-such-order'].map((id) => reads.withHistory(id)));
    expect(sql.statements).toHaveLength(2);
    expect(orders[0]).toMatchObject({ id: 'order-1', status: 'COMPLETED_SUCCESSFULLY', history: [{ status: 'AWAITING_PAYMENT' }] });
    expect(orders[1]).toMatchObject({ id: 'order-2', status: 'AWAITING_PAYMENT' });
    expect(orders[2]).toBeNull();
  });

  it('gathers the reads asked while a statement runs into the next one, and holds back none when idle', async () => {
    const sql = counted(db);
    const reads = createOrderReads(sql.executor);
    const release = sql.hold();
    const first = reads.status('order-0');
    // Later reads, each in a tick of its own, while the first statement is held.
    const later: Array<Promise<unknown>> = [];
    for (const id of ['order-1', 'order-2', 'order-5']) {
      await nextTick();
      later.push(reads.status(id));
    }
    expect(sql.statements).toEqual([[['order-0']]]);
    release();
    expect(await first).toBe('AWAITING_PAYMENT');
    expect(await Promise.all(later)).toEqual(['COMPLETED_SUCCESSFULLY', 'AWAITING_PAYMENT', 'COMPLETED_SUCCESSFULLY']);
    expect(sql.statements).toEqual([[['order-0']], [['order-1', 'order-2', 'order-5']]]);

    // Idle again: a lone read goes at once.
    expect(await reads.status('order-7')).toBe('COMPLETED_SUCCESSFULLY');
    expect(sql.statements).toHaveLength(3);
  });
});
