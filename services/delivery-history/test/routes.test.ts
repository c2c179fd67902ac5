import { describe, expect, it } from 'vitest';
import { testDatabases } from 'tributary/testing';
import { count, newTrip, tripEvents, useDeliveryHistory, waitUntilConsumed } from './harness.ts';

/** One database kind is enough: these answers never reach a store. */
const [pglite] = testDatabases();

describe('delivery-history rejects bad input with a 4xx and changes nothing', () => {
  const t = useDeliveryHistory(pglite!);

  it.each([
    ['a missing to', '/analytics/deliveries?from=2024-01-01', 'VALIDATION_FAILED'],
    ['a date in another format', '/analytics/deliveries?from=01/02/2024&to=2024-01-03', 'VALIDATION_FAILED'],
    ['SQL in a date', "/analytics/deliveries?from=2024-01-01'%20OR%201=1--&to=2024-01-03", 'VALIDATION_FAILED'],
    ['a path in a date', '/analytics/deliveries?from=../../etc&to=2024-01-03', 'VALIDATION_FAILED'],
    ['an unknown parameter', '/analytics/deliveries?from=2024-01-01&to=2024-01-03&day=1', 'VALIDATION_FAILED'],
    ['a day that does not exist', '/analytics/deliveries?from=2023-02-29&to=2023-03-03', 'INVALID_DATE'],
    ['month 13', '/analytics/deliveries?from=2024-01-01&to=2024-13-01', 'INVALID_DATE'],
    ['from after to', '/analytics/deliveries?from=2024-03-02&to=2024-03-01', 'INVALID_RANGE'],
    ['more than 366 days', '/analytics/deliveries?from=2024-01-01&to=2025-01-01', 'RANGE_TOO_LONG'],
    ['an id with SQL in it', "/deliveries/x'%20OR%20'1'='1/history", 'VALIDATION_FAILED'],
    ['an id too long', `/deliveries/${'a'.repeat(65)}/history`, 'VALIDATION_FAILED'],
  ])('GET with %s -> 400', async (_name, url, code) => {
    const h = await t.setup();
    const response = await h.history.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: code, message: expect.any(String) });
  });

  it('accepts exactly 366 days', async () => {
    const h = await t.setup();
    const response = await h.history.app.inject({ method: 'GET', url: '/analytics/deliveries?from=2024-01-01&to=2024-12-31' });
    expect(response.statusCode).toBe(200);
    expect(response.json().days).toHaveLength(366);
  });

  it.each([
    ['a negative age', { olderThanDays: -1 }],
    ['a fraction', { olderThanDays: 1.5 }],
    ['a string', { olderThanDays: '30' }],
    ['an unknown field', { olderThan: 30 }],
    ['an array', [30]],
  ])('POST /archive with %s -> 400, nothing archived', async (_name, payload) => {
    const h = await t.setup();
    await h.db.query(`INSERT INTO lake_batches (batch_id, records, written_at) VALUES ('00000000-0000-4000-8000-000000000000', 1, now())`);
    await h.db.query(
      `INSERT INTO deliveries (delivery_id, package_id, order_id, status, steps, started_at, finished_at, duration_seconds, lake_batch)
       VALUES ('d1', 'p1', 'o1', 'DELIVERED', '[]', '2000-01-01T00:00:00Z', '2000-01-01T00:10:00Z', 600, '00000000-0000-4000-8000-000000000000')`,
    );
    const response = await h.history.app.inject({ method: 'POST', url: '/archive', payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
    expect(await count(h.db, 'SELECT 1 FROM deliveries')).toBe(1);
  });

  it('an unknown delivery is 404 HISTORY_NOT_FOUND, before and after the lake has files', async () => {
    const h = await t.setup();
    const unknown = () => h.history.app.inject({ method: 'GET', url: '/deliveries/no-such-delivery/history' });
    expect((await unknown()).statusCode).toBe(404);
    await h.delivery.publishEnvelopes(tripEvents(h.delivery, newTrip(), '2024-01-01T08:00:00.000Z', 60, 'DELIVERED'));
    await waitUntilConsumed(h.bus);
    expect(await h.history.lake.flushAll()).toBe(1);
    const response = await unknown();
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'HISTORY_NOT_FOUND', message: expect.any(String) });
  });

  it('POST /archive without a body archives with the configured retention', async () => {
    const h = await t.setup({ archiveDays: 7 });
    const response = await h.history.app.inject({ method: 'POST', url: '/archive' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ archived: 0, cutoff: expect.any(String) });
  });
});
