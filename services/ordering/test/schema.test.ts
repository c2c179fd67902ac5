import { afterEach, describe, expect, it } from 'vitest';
import type { SqlDatabase, SqlExecutor } from 'tributary/sql';
import { testDatabases, type TestDatabase } from 'tributary/testing';
import { findCustomerAddresses, findCustomerName, parseStreamPosition, saveCustomerAddress } from '../src/store/customers-store.ts';
import { findOrdersWithHistory, recordDeliveries } from '../src/store/orders-store.ts';
import { installSchema } from '../src/store/schema.ts';

/** Ordering's copy of one customer's address; null while unknown or when the user has none. */
const addressOf = async (db: SqlExecutor, userId: string) => (await findCustomerAddresses(db, [userId])).get(userId) ?? null;

/** The tables as ordering created them before addresses and deliveries were kept. */
const BEFORE = [
  `CREATE TABLE orders (
    id text PRIMARY KEY, user_id text NOT NULL, items jsonb NOT NULL, total_cents bigint NOT NULL,
    status text NOT NULL, failure_reason text,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE customers (
    user_id text PRIMARY KEY, name text NOT NULL, name_at_ms numeric(20, 0) NOT NULL, name_at_seq numeric(20, 0) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `INSERT INTO orders (id, user_id, items, total_cents, status) VALUES ('order-1', 'user-1', '[{"productId":"p","quantity":1,"unitPriceCents":5}]', 5, 'AWAITING_SHIPMENT')`,
  `INSERT INTO customers (user_id, name, name_at_ms, name_at_seq) VALUES ('user-1', 'Ada', 10, 0)`,
];

describe.each(testDatabases())('ordering schema upgrade ($kind)', ({ create }) => {
  let database: TestDatabase | null = null;
  let db: SqlDatabase | null = null;
  afterEach(async () => {
    await db?.close();
    await database?.drop();
    db = null;
    database = null;
  });

  it('installs over the previous tables, twice, keeping their rows and adding address and delivery columns', async () => {
    database = await create();
    db = await database.open();
    for (const statement of BEFORE) await db.query(statement);

    await installSchema(db);
    await installSchema(db);

    expect(await findCustomerName(db, 'user-1')).toBe('Ada');
    expect(await addressOf(db, 'user-1')).toBeNull();
    const conn = db;
    await conn.transaction(async (tx) => {
      expect(await saveCustomerAddress(tx, 'user-1', 'Somewhere 1', parseStreamPosition('5-0'))).toBe(true);
      // A customer known only by an address: possible now that the name may be missing.
      expect(await saveCustomerAddress(tx, 'user-2', 'Elsewhere 2', parseStreamPosition('6-0'))).toBe(true);
      expect(await recordDeliveries(tx, [{ orderId: 'order-1', deliveryId: 'delivery-1' }, { orderId: 'order-1', deliveryId: 'delivery-0' }]))
        .toEqual(new Map([['order-1', 'recorded']]));
      expect(await recordDeliveries(tx, [{ orderId: 'order-1', deliveryId: 'delivery-2' }, { orderId: 'order-2', deliveryId: 'delivery-3' }]))
        .toEqual(new Map([['order-1', 'already-recorded'], ['order-2', 'unknown-order']]));
    });
    expect(await addressOf(db, 'user-1')).toBe('Somewhere 1');
    expect(await findCustomerName(db, 'user-2')).toBeNull();
    expect((await findOrdersWithHistory(db, ['order-1'])).get('order-1')).toMatchObject({ deliveryId: 'delivery-1', customerName: 'Ada', status: 'AWAITING_SHIPMENT' });
  });
});
